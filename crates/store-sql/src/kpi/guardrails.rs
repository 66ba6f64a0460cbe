//! Guardrails on objectives: when a guardrail KPI breaches its threshold, the active
//! objectives it guards pause — through the objective's own transition, with the guardrail as
//! the actor — and when it recovers, the ones it paused resume.

use super::kpi_in;
use crate::db::{Sql, q};
use crate::okr::objectives::transition;
use crate::okr::{objective_in, writable};
use crate::rows::{time, word};
use crate::scores::lock_objectives;
use crate::write::Writer;
use crate::{SqlStore, found, new_id, referenced};
use async_trait::async_trait;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::health::guardrail_breached;
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, GuardrailStore, Page, PageRequest, StoreResult};
use std::collections::BTreeSet;

/// Why a guardrail paused an objective, as its status reason says.
pub(crate) fn pause_reason(kpi: &Kpi) -> String {
    format!(
        "Paused by guardrail '{}': {} {} against threshold {}",
        kpi.name,
        kpi.current_value.map(|v| v.to_string()).unwrap_or_default(),
        kpi.unit_of_measure,
        kpi.guardrail_threshold.map(|t| t.to_string()).unwrap_or_else(|| "its range".into()),
    )
}

/// A guardrail linked to `objective` that is tripped now, if any: an objective made active
/// while one is tripped pauses at once, on its account.
pub(crate) async fn tripped_for(w: &mut Writer<'_>, objective: &str) -> StoreResult<Option<Kpi>> {
    let mut c = w.conn();
    let tripped: Option<(String,)> = c
        .fetch_optional(&q!(
            "SELECT k.id FROM guardrail_links g JOIN kpis k ON k.id = g.kpi_id \
             WHERE g.objective_id = $1 AND k.guardrail_breached = $2 ORDER BY k.id LIMIT 1",
            objective,
            true
        ))
        .await?;
    match tripped {
        Some((id,)) => kpi_in(&mut c, &id).await,
        None => Ok(None),
    }
}

/// Brings a guardrail's breach flag up to date and pauses or resumes its objectives.
pub(crate) async fn apply(w: &mut Writer<'_>, kpi_id: &str, report: &mut IngestReport) -> StoreResult<()> {
    let mut c = w.conn();
    let kpi = kpi_in(&mut c, kpi_id).await?.ok_or_else(|| super::not_found(kpi_id))?;
    if !kpi.guardrail {
        return Ok(());
    }
    let breached =
        kpi.current_value.is_some_and(|v| guardrail_breached(kpi.direction, kpi.guardrail_threshold, kpi.target, v));
    if breached != kpi.guardrail_breached {
        c.execute(&q!("UPDATE kpis SET guardrail_breached = $1 WHERE id = $2", breached, kpi_id)).await?;
        w.event(if breached {
            DomainEvent::GuardrailTripped { kpi: kpi.id, value: kpi.current_value, threshold: kpi.guardrail_threshold }
        } else {
            DomainEvent::GuardrailRecovered { kpi: kpi.id, value: kpi.current_value }
        });
    }
    let by = Actor::Guardrail { kpi: kpi.id };
    let mut c = w.conn();
    if breached {
        let reason = pause_reason(&kpi);
        let to_pause: Vec<(String,)> = c
            .fetch_all(&q!(
                "SELECT o.id FROM guardrail_links g JOIN objectives o ON o.id = g.objective_id \
                 JOIN cycles c ON c.id = o.cycle_id WHERE g.kpi_id = $1 AND o.status = 'active' AND c.state <> 'closed' \
                 ORDER BY o.id",
                kpi_id
            ))
            .await?;
        let ids: BTreeSet<String> = to_pause.into_iter().map(|(o,)| o).collect();
        lock_objectives(&mut c, &ids).await?;
        for o in ids {
            let id: ObjectiveId = word("objective id", &o)?;
            transition(w, by.clone(), id, None, ObjectiveStatus::Paused, Some(reason.clone())).await?;
            report.objectives_paused.push(id);
        }
    } else {
        let paused: Vec<(String,)> = c
            .fetch_all(&q!(
                "SELECT o.id FROM objectives o JOIN cycles c ON c.id = o.cycle_id \
                 WHERE o.paused_by_kpi_id = $1 AND o.status = 'paused' AND c.state <> 'closed' ORDER BY o.id",
                kpi_id
            ))
            .await?;
        let ids: BTreeSet<String> = paused.into_iter().map(|(o,)| o).collect();
        lock_objectives(&mut c, &ids).await?;
        for o in ids {
            let mut c = w.conn();
            let other: Option<(String,)> = c
                .fetch_optional(&q!(
                    "SELECT k.id FROM guardrail_links g JOIN kpis k ON k.id = g.kpi_id \
                     WHERE g.objective_id = $1 AND k.guardrail_breached = $2 AND k.id <> $3 LIMIT 1",
                    &o,
                    true,
                    kpi_id
                ))
                .await?;
            if let Some((other,)) = other {
                // Another guardrail still holds it: it stays paused, now on that one's account.
                c.execute(&q!(
                    "UPDATE objectives SET paused_by_kpi_id = $1, revision = revision + 1 WHERE id = $2",
                    other,
                    &o
                ))
                .await?;
                continue;
            }
            let id: ObjectiveId = word("objective id", &o)?;
            transition(w, by.clone(), id, None, ObjectiveStatus::Active, None).await?;
            report.objectives_resumed.push(id);
        }
    }
    Ok(())
}

/// Links a guardrail to an objective inside `w`'s transaction; a guardrail already breached
/// pauses it at once.
pub(crate) async fn link_in(
    w: &mut Writer<'_>,
    kpi: KpiId,
    objective: ObjectiveId,
) -> StoreResult<(GuardrailLink, IngestReport)> {
    let now = w.now();
    let mut c = w.conn();
    let k = referenced("kpi_id", "KPI", kpi, kpi_in(&mut c, &kpi.to_string()).await?)?;
    if !k.guardrail {
        return Err(DomainError::NotAGuardrail { kpi: k.key }.into());
    }
    let o = referenced("objective_id", "objective", objective, objective_in(&mut c, &objective.to_string()).await?)?;
    writable(&o.cycle)?;
    let id = GuardrailLinkId(new_id());
    let insert = q!(
        "INSERT INTO guardrail_links (id, created_at, kpi_id, objective_id) VALUES ($1, $2, $3, $4)",
        id,
        now,
        kpi,
        objective
    );
    c.execute_unique(&insert, "objective_id", "this guardrail is already linked to the objective").await?;
    let link = GuardrailLink { id, created_at: time("created_at", now)?, kpi_id: kpi, objective_id: objective };
    w.created("guardrail_link", id, &link);
    let mut report = IngestReport::default();
    apply(w, &kpi.to_string(), &mut report).await?;
    Ok((link, report))
}

#[async_trait]
impl GuardrailStore for SqlStore {
    async fn link_guardrail(
        &self,
        ctx: &Ctx,
        kpi: KpiId,
        objective: ObjectiveId,
    ) -> StoreResult<(GuardrailLink, IngestReport)> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let linked = link_in(&mut w, kpi, objective).await?;
        w.commit().await?;
        Ok(linked)
    }

    async fn guardrail_link_objective(&self, id: GuardrailLinkId) -> StoreResult<ObjectiveId> {
        crate::id_column(&self.pools, "guardrail link", "SELECT objective_id FROM guardrail_links WHERE id = $1", id)
            .await
    }

    async fn unlink_guardrail(&self, ctx: &Ctx, id: GuardrailLinkId) -> StoreResult<()> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let mut c = w.conn();
        let row: Option<(String, i64, String, String)> = c
            .fetch_optional(&q!("SELECT id, created_at, kpi_id, objective_id FROM guardrail_links WHERE id = $1", id))
            .await?;
        let (_, created, kpi, objective) = found("guardrail link", id, row)?;
        let link = GuardrailLink {
            id,
            created_at: time("created_at", created)?,
            kpi_id: word("kpi_id", &kpi)?,
            objective_id: word("objective_id", &objective)?,
        };
        c.execute(&q!("DELETE FROM guardrail_links WHERE id = $1", id)).await?;
        w.deleted("guardrail_link", id, &link);
        // An objective this guardrail paused is released with the link.
        let mut c = w.conn();
        let paused: Option<(String,)> = c
            .fetch_optional(&q!(
                "SELECT id FROM objectives WHERE id = $1 AND paused_by_kpi_id = $2 AND status = 'paused'",
                &objective,
                &kpi
            ))
            .await?;
        if paused.is_some() {
            lock_objectives(&mut c, &BTreeSet::from([objective.clone()])).await?;
            let actor = ctx.actor.clone();
            transition(&mut w, actor, link.objective_id, None, ObjectiveStatus::Active, None).await?;
        }
        w.commit().await
    }

    async fn list_guardrail_links(
        &self,
        kpi: Option<KpiId>,
        objective: Option<ObjectiveId>,
        page: PageRequest,
    ) -> StoreResult<Page<GuardrailLink>> {
        let mut s = Sql::new("SELECT id, created_at, kpi_id, objective_id FROM guardrail_links WHERE 1 = 1");
        if let Some(k) = kpi {
            s.push(" AND kpi_id = ").bind(k);
        }
        if let Some(o) = objective {
            s.push(" AND objective_id = ").bind(o);
        }
        if let Some(after) = &page.after {
            s.push(" AND id > ").bind(after);
        }
        s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<(String, i64, String, String)> = r.conn().fetch_all(&s).await?;
        let items = rows
            .into_iter()
            .map(|(id, at, k, o)| {
                Ok(GuardrailLink {
                    id: word("link id", &id)?,
                    created_at: time("created_at", at)?,
                    kpi_id: word("kpi_id", &k)?,
                    objective_id: word("objective_id", &o)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |l: &GuardrailLink| l.id.to_string()))
    }
}
