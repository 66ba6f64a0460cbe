//! The quarter end: carrying a key result into the next cycle, retiring it (into a KPI), and
//! the objective's retro — the writes a closed cycle still takes, none of which moves a
//! graded score.

use super::key_results::{create_in, locked_key_result};
use super::objectives::create_objective_in;
use super::{key_result_in, objective_in, writable};
use crate::cycles::cycle_in;
use crate::db::{Conn, Pools, q};
use crate::rows::time;
use crate::scores::refresh_objective;
use crate::write::Writer;
use crate::{check_version, found, referenced};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{KeyResultStatus, ObjectiveStatus, QuarterEndDecision};
use quarterdeck_domain::scoring::{Measure, Weight};
use quarterdeck_domain::text::{LongText, Slug, Title};
use quarterdeck_store::input::{NewKeyResult, NewObjective, RetroNotes};
use quarterdeck_store::kpi::{Kpi, KpiChange};
use quarterdeck_store::records::{KeyResult, Retro};
use quarterdeck_store::{Ctx, StoreError, StoreResult};

fn text<T>(r: Result<T, DomainError>) -> StoreResult<T> {
    r.map_err(StoreError::from)
}

pub(crate) async fn carry_forward(
    pools: &Pools,
    ctx: &Ctx,
    id: KeyResultId,
    version: quarterdeck_store::ExpectedVersion,
    into: CycleId,
    mid_cycle: bool,
) -> StoreResult<(KeyResult, KeyResult)> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let current = locked_key_result(&mut c, id).await?;
    check_version("key result", &id.to_string(), current.version, version.unwrap_or(current.version))?;
    if let Some(to) = current.carried_to {
        return Err(DomainError::AlreadyCarriedForward { to: to.to_string() }.into());
    }
    if mid_cycle {
        writable(&current.cycle)?;
        current.status.transition(KeyResultStatus::CarriedForward)?;
    }
    let objective =
        found("objective", current.objective_id, objective_in(&mut c, &current.objective_id.to_string()).await?)?;
    let cycle = referenced("into", "cycle", into, cycle_in(&mut c, &into.to_string()).await?)?;
    if cycle.id == objective.cycle_id || cycle.state == CycleState::Closed {
        return Err(DomainError::NoNextCycle { end: current.cycle.end }.into());
    }
    // The objective continues under its key in the next cycle; made there when missing.
    let there: Option<(String,)> = c
        .fetch_optional(&q!("SELECT id FROM objectives WHERE cycle_id = $1 AND key = $2", into, &objective.key))
        .await?;
    let key_free: Option<(i64,)> =
        c.fetch_optional(&q!("SELECT 1 FROM key_results WHERE cycle_id = $1 AND key = $2", into, &current.key)).await?;
    let objective_id = match there {
        Some((there,)) => crate::rows::word("objective id", &there)?,
        None => {
            let new = NewObjective {
                cycle_id: into,
                key: Slug::parse("key", &objective.key).ok(),
                title: text(Title::parse("title", &objective.title))?,
                description: text(LongText::parse("description", &objective.description))?,
                owner_id: objective.owner_id,
                unit_id: objective.unit_id,
                kind: objective.kind,
                status: if cycle.state == CycleState::Active {
                    ObjectiveStatus::Active
                } else {
                    ObjectiveStatus::Draft
                },
            };
            create_objective_in(&mut w, new).await?.id
        }
    };
    // From where it landed to the same target.
    let reached = current.current_value.unwrap_or(current.baseline);
    let measure = match current.kind {
        quarterdeck_domain::scoring::KeyResultKind::Milestone => Measure::milestone(),
        quarterdeck_domain::scoring::KeyResultKind::Metric => {
            text(Measure::new(reached, current.target, current.tolerance))?
        }
    };
    let copy = create_in(
        &mut w,
        NewKeyResult {
            objective_id,
            key: if key_free.is_none() { Slug::parse("key", &current.key).ok() } else { None },
            title: text(Title::parse("title", &current.title))?,
            kind: current.kind,
            unit_of_measure: text(quarterdeck_domain::text::UnitOfMeasure::parse(
                "unit_of_measure",
                &current.unit_of_measure,
            ))?,
            measure,
            weight: text(Weight::new("weight", current.weight))?,
            owner_id: current.owner_id,
            kpi_id: current.kpi_id,
        },
    )
    .await?;
    let mut c = w.conn();
    let status = if mid_cycle { KeyResultStatus::CarriedForward } else { current.status };
    c.execute(&q!(
        "UPDATE key_results SET version = version + 1, updated_at = $1, decision = $2, carried_to = $3, status = $4 \
         WHERE id = $5",
        now,
        QuarterEndDecision::CarryForward.as_str(),
        copy.id,
        status.as_str(),
        id
    ))
    .await?;
    if mid_cycle {
        refresh_objective(&mut c, &current.objective_id.to_string()).await?;
    }
    let kr = found("key result", id, key_result_in(&mut c, &id.to_string()).await?)?;
    w.updated("key_result", id, "carry_forward", &current, &kr);
    w.event(DomainEvent::KeyResultCarriedForward { key_result: id });
    w.commit().await?;
    Ok((kr, copy))
}

/// Records a decision at the cycle's end; a carried-forward key result keeps its own.
async fn decide(w: &mut Writer<'_>, id: KeyResultId, decision: QuarterEndDecision) -> StoreResult<KeyResult> {
    let now = w.now();
    let mut c = w.conn();
    let current = locked_key_result(&mut c, id).await?;
    if let Some(to) = current.carried_to {
        return Err(DomainError::AlreadyCarriedForward { to: to.to_string() }.into());
    }
    c.execute(&q!(
        "UPDATE key_results SET version = version + 1, updated_at = $1, decision = $2 WHERE id = $3",
        now,
        decision.as_str(),
        id
    ))
    .await?;
    let kr = found("key result", id, key_result_in(&mut c, &id.to_string()).await?)?;
    w.updated("key_result", id, decision.as_str(), &current, &kr);
    Ok(kr)
}

pub(crate) async fn retire(pools: &Pools, ctx: &Ctx, id: KeyResultId) -> StoreResult<KeyResult> {
    let mut w = Writer::begin(pools, ctx).await?;
    let kr = decide(&mut w, id, QuarterEndDecision::Retire).await?;
    w.commit().await?;
    Ok(kr)
}

pub(crate) async fn retire_into_kpi(
    pools: &Pools,
    ctx: &Ctx,
    id: KeyResultId,
    change: KpiChange,
) -> StoreResult<(KeyResult, Kpi)> {
    let mut w = Writer::begin(pools, ctx).await?;
    let kpi = match change {
        KpiChange::Create(new) => crate::kpi::dictionary::create_in(&mut w, new).await?,
        KpiChange::Update { id, version, patch } => {
            crate::kpi::dictionary::update_in(&mut w, id, version, patch).await?
        }
    };
    let kr = decide(&mut w, id, QuarterEndDecision::RetireIntoKpi).await?;
    w.commit().await?;
    Ok((kr, kpi))
}

async fn retro_in(c: &mut Conn<'_>, objective: ObjectiveId) -> StoreResult<Option<Retro>> {
    let row: Option<(i64, i64, String, String, String)> = c
        .fetch_optional(&q!(
            "SELECT version, updated_at, moved, not_moved, learnings FROM retros WHERE objective_id = $1",
            objective
        ))
        .await?;
    row.map(|(version, at, moved, not_moved, learnings)| {
        Ok(Retro { objective_id: objective, version, updated_at: time("updated_at", at)?, moved, not_moved, learnings })
    })
    .transpose()
}

pub(crate) async fn retro(pools: &Pools, objective: ObjectiveId) -> StoreResult<Option<Retro>> {
    let mut r = pools.reader().await?;
    retro_in(&mut r.conn(), objective).await
}

pub(crate) async fn set_retro(
    pools: &Pools,
    ctx: &Ctx,
    objective: ObjectiveId,
    version: Option<i64>,
    notes: RetroNotes,
) -> StoreResult<Retro> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    found("objective", objective, objective_in(&mut c, &objective.to_string()).await?)?;
    let before = retro_in(&mut c, objective).await?;
    let key = objective.to_string();
    match (&before, version) {
        (Some(b), Some(v)) => check_version("retro", &key, b.version, v)?,
        (Some(b), None) => check_version("retro", &key, b.version, 0)?,
        (None, Some(v)) if v != 0 => check_version("retro", &key, 0, v)?,
        (None, _) => {}
    }
    let next = before.as_ref().map_or(1, |b| b.version + 1);
    c.execute_all(&[
        q!("DELETE FROM retros WHERE objective_id = $1", objective),
        q!(
            "INSERT INTO retros (objective_id, version, updated_at, moved, not_moved, learnings) VALUES ($1, $2, $3, $4, $5, $6)",
            objective,
            next,
            now,
            notes.moved.as_str(),
            notes.not_moved.as_str(),
            notes.learnings.as_str()
        ),
    ])
    .await?;
    let after = retro_in(&mut c, objective).await?.ok_or_else(|| StoreError::Backend("retro vanished".into()))?;
    match &before {
        Some(b) => w.updated("retro", objective, "update", b, &after),
        None => w.created("retro", objective, &after),
    }
    w.commit().await?;
    Ok(after)
}
