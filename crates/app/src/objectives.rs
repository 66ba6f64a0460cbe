//! Objectives: qualitative, scored from their key results, shown with colour and pace.

use crate::input::double_option;
use crate::read_model::Stamp;
use crate::views::ObjectiveView;
use crate::{App, AppResult, ListPage, or_current};
use quarterdeck_domain::access::{Action, Target};
use quarterdeck_domain::ids::{ObjectiveId, PersonId, UnitId};
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::ObjectiveKind;
use quarterdeck_domain::text::{LongText, Reason, Slug, Title, plain};
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::*;
use quarterdeck_store::records::{KeyResult, Objective};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateObjective {
    /// Cycle id, or `current`.
    pub cycle_id: String,
    /// A name unique within the cycle ("onboarding-delight"); made from the title when left out.
    pub key: Option<String>,
    /// Qualitative and directional: no number in it.
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub owner_id: PersonId,
    /// The owning unit; leave out for a personal objective.
    pub unit_id: Option<UnitId>,
    #[serde(default = "aspirational")]
    pub kind: ObjectiveKind,
    /// draft or active (default).
    #[serde(default = "active")]
    pub status: ObjectiveStatus,
}

fn aspirational() -> ObjectiveKind {
    ObjectiveKind::Aspirational
}
fn active() -> ObjectiveStatus {
    ObjectiveStatus::Active
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateObjective {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<PersonId>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub unit_id: Option<Option<UnitId>>,
    pub kind: Option<ObjectiveKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub version: Option<i64>,
    /// active (activate or resume), paused, closed, retired.
    pub status: ObjectiveStatus,
    /// Why; required when retiring.
    pub reason: Option<String>,
}

/// Which objectives a list shows.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveQuery {
    /// Cycle id or `current`.
    pub cycle: Option<String>,
    /// Unit id or slug.
    pub unit: Option<String>,
    /// The objective's key within the cycle.
    pub key: Option<String>,
    pub owner: Option<PersonId>,
    pub status: Option<ObjectiveStatus>,
    pub kind: Option<ObjectiveKind>,
    /// Embed each objective's key results.
    pub with_key_results: bool,
    /// Only objectives aligned to a parent (`true`), or to nothing (`false`).
    pub aligned: Option<bool>,
}

impl App {
    pub async fn list_objectives(&self, q: ObjectiveQuery, page: PageRequest) -> AppResult<ListPage<ObjectiveView>> {
        let cycle_id = match q.cycle.as_deref() {
            Some(c) => Some(self.resolve_cycle_id("cycle", c).await?),
            None => None,
        };
        let unit_id = self.resolve_unit_id("unit", q.unit.as_deref()).await?;
        let key = q.key.as_deref().map(|k| Slug::parse("key", k)).transpose()?;
        let filter = ObjectiveFilter {
            cycle_id,
            key,
            unit_id,
            owner_id: q.owner,
            status: q.status,
            kind: q.kind,
            aligned: q.aligned,
        };
        // The page's revisions first, then only the objectives whose ready view they made
        // stale (see `read_model`): a write costs the pages that show it one record's read.
        let today = self.today();
        let with_krs = q.with_key_results;
        let page = self.store().list_objective_revisions(filter, page).await?;
        let scoring = self.policy();
        let stamps: Vec<(ObjectiveId, Stamp)> =
            page.items.iter().map(|r| (r.id, Stamp::of(r, today, &scoring))).collect();
        let mut views: Vec<Option<ObjectiveView>> =
            stamps.iter().map(|(id, stamp)| self.objective_views.get(*id, with_krs, *stamp)).collect();
        let stale: Vec<ObjectiveId> =
            stamps.iter().zip(&views).filter(|(_, v)| v.is_none()).map(|((id, _), _)| *id).collect();
        if !stale.is_empty() {
            let objectives = self.store().objectives_by_ids(&stale).await?;
            let mut krs = if with_krs { self.key_results_by_objective(&objectives).await? } else { HashMap::new() };
            let mut built: HashMap<ObjectiveId, ObjectiveView> = HashMap::with_capacity(objectives.len());
            for o in objectives {
                let own = with_krs.then(|| krs.remove(&o.id).unwrap_or_default());
                built.insert(o.id, ObjectiveView::new(o, own, &self.policy(), today));
            }
            for ((id, stamp), slot) in stamps.iter().zip(views.iter_mut()) {
                if slot.is_none() {
                    // Gone since its revision was read (none is deleted today): left out.
                    if let Some(view) = built.remove(id) {
                        self.objective_views.put(with_krs, *stamp, &view);
                        *slot = Some(view);
                    }
                }
            }
        }
        Ok(ListPage { items: views.into_iter().flatten().collect(), next_cursor: page.next_cursor })
    }

    pub(crate) async fn key_results_by_objective(
        &self,
        objectives: &[Objective],
    ) -> AppResult<HashMap<ObjectiveId, Vec<KeyResult>>> {
        let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
        let mut grouped: HashMap<ObjectiveId, Vec<KeyResult>> = HashMap::new();
        for kr in self.store().key_results_of(&ids).await? {
            grouped.entry(kr.objective_id).or_default().push(kr);
        }
        Ok(grouped)
    }

    /// One objective with its key results.
    pub async fn get_objective(&self, id: ObjectiveId) -> AppResult<ObjectiveView> {
        let objective = self.store().get_objective(id).await?;
        let krs = self.store().key_results_of(&[id]).await?;
        Ok(ObjectiveView::new(objective, Some(krs), &self.policy(), self.today()))
    }

    pub async fn create_objective(&self, input: CreateObjective) -> AppResult<ObjectiveView> {
        let cycle = self.resolve_cycle("cycle_id", &input.cycle_id).await?;
        let cycle_id = cycle.id;
        self.may(Action::EditOkr, async {
            let unit = match input.unit_id {
                Some(u) => Some(u),
                None => self.store().get_person(input.owner_id).await?.unit_id,
            };
            let draft = input.status == ObjectiveStatus::Draft
                || cycle.state == quarterdeck_domain::cycle::CycleState::Planning;
            Ok(Target { units: self.unit_chain(unit).await?, owner: Some(input.owner_id), draft })
        })
        .await?;
        let new = NewObjective {
            cycle_id,
            key: input.key.as_deref().map(|k| Slug::parse("key", k)).transpose()?,
            title: Title::parse("title", &input.title)?,
            description: LongText::parse("description", &input.description)?,
            owner_id: input.owner_id,
            unit_id: input.unit_id,
            kind: input.kind,
            status: input.status,
        };
        let objective = self.store().create_objective(&self.ctx(), new).await?;
        Ok(ObjectiveView::new(objective, Some(Vec::new()), &self.policy(), self.today()))
    }

    pub async fn update_objective(
        &self,
        id: ObjectiveId,
        version: i64,
        input: UpdateObjective,
    ) -> AppResult<ObjectiveView> {
        self.may(Action::EditOkr, self.objective_target_of(id)).await?;
        if let Some(Some(unit)) = input.unit_id {
            // Moving it: the unit it goes to must be one the actor may edit too.
            self.may(Action::EditOkr, async {
                let mut target = self.objective_target_of(id).await?;
                target.units = self.unit_chain(Some(unit)).await?;
                Ok(target)
            })
            .await?;
        }
        let patch = ObjectivePatch {
            title: input.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
            description: input.description.as_deref().map(|d| LongText::parse("description", d)).transpose()?,
            owner_id: input.owner_id,
            unit_id: input.unit_id,
            kind: input.kind,
        };
        or_current(
            self.store().update_objective(&self.ctx(), id, version, patch).await,
            self.store().get_objective(id),
            |o| ObjectiveView::new(o, None, &self.policy(), self.today()),
        )
        .await?;
        self.get_objective(id).await
    }

    /// Activate, pause, resume (to active), close or retire (with a reason) an objective.
    pub async fn change_objective_status(
        &self,
        id: ObjectiveId,
        version: Option<i64>,
        input: StatusChange,
    ) -> AppResult<ObjectiveView> {
        self.may(Action::EditOkr, self.objective_target_of(id)).await?;
        let reason = match input.reason.as_deref().map(|r| plain("reason", r)).transpose()?.map(str::trim) {
            Some(r) if !r.is_empty() => Some(Reason::parse("reason", r)?.into_string()),
            _ => None,
        };
        let version = version.or(input.version);
        or_current(
            self.store().set_objective_status(&self.ctx(), id, version, input.status, reason).await,
            self.store().get_objective(id),
            |o| ObjectiveView::new(o, None, &self.policy(), self.today()),
        )
        .await?;
        self.get_objective(id).await
    }
}
