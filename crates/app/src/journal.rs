//! Reading the trail: the audit log, each record's history, records "as of" a past moment
//! (reconstructed from the audit rows), and the feed of domain events.

use crate::views::*;
use crate::views::{KeyResultView, ObjectiveView};
use crate::{App, AppError, AppResult, ListPage};
use chrono::{DateTime, Utc};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use quarterdeck_domain::okr::objective_score;
use quarterdeck_domain::scoring::{Score, Weight};
use quarterdeck_domain::text::plain;
use quarterdeck_store::PageRequest;
use quarterdeck_store::journal::{AuditEntry, AuditFilter, EventRecord};
use quarterdeck_store::records::{KeyResult, Objective};

/// Most events one read of the feed returns.
pub const MAX_EVENTS: u32 = 1000;

/// Which audit rows to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// `kind` or `kind:id` (`person:…`, `job:data_sources`, `api`).
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of the event feed. `next_cursor` is where the next read starts; it is never null, so
/// an integration can poll with it.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventFeed {
    pub items: Vec<EventView>,
    pub next_cursor: String,
}

fn restore<T: serde::de::DeserializeOwned>(entry: &AuditEntry) -> AppResult<Option<T>> {
    entry.after.clone().map(serde_json::from_value).transpose().map_err(|e| {
        tracing::error!(error = %e, entity = %entry.entity, id = %entry.entity_id, "an audit row cannot be read back");
        AppError::new(Code::Internal, "the record's history cannot be read back")
    })
}

impl App {
    pub async fn list_audit(&self, q: AuditQuery, page: PageRequest) -> AppResult<ListPage<AuditEntryView>> {
        for (field, v) in [("entity", &q.entity), ("entity_id", &q.entity_id), ("actor", &q.actor)] {
            if let Some(v) = v {
                plain(field, v)?;
            }
        }
        let actor = match q.actor.as_deref() {
            Some(raw) => Some(Actor::filter(raw).ok_or_else(|| {
                AppError::bad_query(
                    "actor",
                    "actor is a kind (person, api, cli, job, guardrail, import), optionally with its id: job:data_sources",
                )
            })?),
            None => None,
        };
        let filter = AuditFilter { entity: q.entity, entity_id: q.entity_id, actor, from: q.from, to: q.to };
        Ok(self.store().list_audit(filter, page).await?.into())
    }

    /// The audit rows of one record, newest first.
    pub async fn history(&self, entity: &str, id: &str, page: PageRequest) -> AppResult<ListPage<AuditEntryView>> {
        let filter =
            AuditFilter { entity: Some(entity.to_owned()), entity_id: Some(id.to_owned()), ..Default::default() };
        Ok(self.store().list_audit(filter, page).await?.into())
    }

    /// Key results as they stood at `at`, from their last audit rows at or before it.
    async fn key_results_as_of(&self, ids: &[String], at: DateTime<Utc>) -> AppResult<Vec<KeyResult>> {
        let entries = self.store().audit_as_of("key_result", ids, at).await?;
        let mut out = Vec::with_capacity(entries.len());
        for e in &entries {
            out.extend(restore::<KeyResult>(e)?);
        }
        out.sort_by_key(|k| k.id);
        Ok(out)
    }

    /// Objectives as they stood at `at`: their own fields from the trail, their score and
    /// key-result count recomputed from their key results as they stood then.
    async fn objectives_as_of(
        &self,
        ids: &[ObjectiveId],
        at: DateTime<Utc>,
        with_key_results: bool,
    ) -> AppResult<Vec<ObjectiveView>> {
        let keys: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let entries = self.store().audit_as_of("objective", &keys, at).await?;
        let mut objectives: Vec<Objective> = Vec::new();
        for e in &entries {
            objectives.extend(restore::<Objective>(e)?);
        }
        let now_krs = self.store().key_results_of(ids).await?;
        let kr_keys: Vec<String> = now_krs.iter().map(|k| k.id.to_string()).collect();
        let then_krs = self.key_results_as_of(&kr_keys, at).await?;
        let day = self.zone().local_date(at);
        let mut views = Vec::with_capacity(objectives.len());
        objectives.sort_by_key(|o| o.id);
        for mut o in objectives {
            let own: Vec<KeyResult> = then_krs.iter().filter(|k| k.objective_id == o.id).cloned().collect();
            let scored = own
                .iter()
                .filter_map(|k| Weight::new("weight", k.weight).ok().map(|w| (k.status, Score::clamped(k.score), w)));
            o.score = objective_score(scored).value();
            o.key_result_count = own.len() as i64;
            views.push(ObjectiveView::new(o, with_key_results.then_some(own), &self.policy(), day));
        }
        Ok(views)
    }

    pub async fn get_objective_as_of(&self, id: ObjectiveId, at: DateTime<Utc>) -> AppResult<ObjectiveView> {
        self.store().get_objective(id).await?;
        self.objectives_as_of(&[id], at, true).await?.pop().ok_or_else(|| did_not_exist("objective", id, at))
    }

    pub async fn get_key_result_as_of(&self, id: KeyResultId, at: DateTime<Utc>) -> AppResult<KeyResultView> {
        self.store().get_key_result(id).await?;
        let kr = self
            .key_results_as_of(&[id.to_string()], at)
            .await?
            .pop()
            .ok_or_else(|| did_not_exist("key result", id, at))?;
        Ok(KeyResultView::new(kr, &self.policy(), self.zone().local_date(at)))
    }

    /// A list of objectives as they stood at `at`: those of the page that existed then.
    pub async fn list_objectives_as_of(
        &self,
        q: crate::objectives::ObjectiveQuery,
        page: PageRequest,
        at: DateTime<Utc>,
    ) -> AppResult<ListPage<ObjectiveView>> {
        let with_key_results = q.with_key_results;
        let now =
            self.list_objectives(crate::objectives::ObjectiveQuery { with_key_results: false, ..q }, page).await?;
        let ids: Vec<ObjectiveId> = now.items.iter().map(|v| v.id).collect();
        let items = self.objectives_as_of(&ids, at, with_key_results).await?;
        Ok(ListPage { items, next_cursor: now.next_cursor })
    }

    /// Events committed after `after` (from the start when `None`), oldest first.
    pub async fn events_after(&self, after: Option<&str>, limit: Option<u32>) -> AppResult<EventFeed> {
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_EVENTS).contains(&limit) {
            return Err(AppError::new(Code::InvalidPage, format!("limit must be between 1 and {MAX_EVENTS}"))
                .with_field("limit"));
        }
        let items = self.store().events_after(after, limit).await?;
        let next_cursor =
            items.last().map(|e| e.cursor.clone()).or(after.map(str::to_owned)).unwrap_or_else(|| "-1.-1".into());
        Ok(EventFeed { items: items.into_iter().map(Into::into).collect(), next_cursor })
    }

    /// Delivers undelivered events to `deliver`, each exactly once across every server: claims
    /// a batch under a lease, hands each event over, and marks the delivered ones done. An
    /// event whose delivery fails is left for a later run (its lease runs out). Returns how
    /// many were delivered.
    pub async fn deliver_events(&self, consumer: &str, deliver: impl Fn(&EventRecord) -> bool) -> AppResult<usize> {
        let mut delivered = 0;
        loop {
            let now = self.now();
            let lease = now + chrono::Duration::seconds(60);
            let batch = self.store().claim_events(consumer, now, lease, 100).await?;
            if batch.is_empty() {
                return Ok(delivered);
            }
            let done: Vec<String> = batch.iter().filter(|e| deliver(e)).map(|e| e.id.clone()).collect();
            delivered += done.len();
            self.store().complete_events(consumer, &done, self.now()).await?;
            if done.len() < batch.len() {
                return Ok(delivered);
            }
        }
    }
}

fn did_not_exist(what: &str, id: impl std::fmt::Display, at: DateTime<Utc>) -> AppError {
    AppError::new(Code::NotFound, format!("{what} {id} did not exist at {at} (or has no trail from then)"))
}
