//! Key results: created, changed, killed or carried forward, always after their objective's
//! lock (objective before key result is the lock order of every writer).

use super::{key_result_in, objective_in, writable};
use crate::db::{Conn, Pools, Sql, q};
use crate::rows::*;
use crate::scores::{lock_objective, refresh_objective};
use crate::sql::SELECT_KEY_RESULT;
use crate::store::require_ref;
use crate::write::Writer;
use crate::{applied, check_version, found, new_id, referenced};
use quarterdeck_domain::event::{DomainEvent, TargetSubject};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::KeyResultStatus;
use quarterdeck_domain::scoring::{Measure, Score, Weight, score_value};
use quarterdeck_store::input::*;
use quarterdeck_store::records::KeyResult;
use quarterdeck_store::{Ctx, ExpectedVersion, Page, PageRequest, StoreError, StoreResult};

/// A key result read after its objective's row lock is taken, so that what it holds cannot
/// change under a concurrent writer until this one commits.
pub(crate) async fn locked_key_result(c: &mut Conn<'_>, id: KeyResultId) -> StoreResult<KeyResult> {
    let key = id.to_string();
    let first = found("key result", id, key_result_in(c, &key).await?)?;
    lock_objective(c, &first.objective_id.to_string()).await?;
    found("key result", id, key_result_in(c, &key).await?)
}

/// The current value of the KPI a key result is measured from; the KPI must exist.
pub(crate) async fn linked_value(c: &mut Conn<'_>, kpi: Option<KpiId>) -> StoreResult<Option<f64>> {
    let Some(kpi) = kpi else { return Ok(None) };
    let row: Option<(Option<f64>,)> =
        c.fetch_optional(&q!("SELECT current_value FROM kpis WHERE id = $1", kpi)).await?;
    match row {
        Some((value,)) => Ok(value),
        None => Err(StoreError::UnknownReference { field: "kpi_id", entity: "KPI", id: kpi.to_string() }),
    }
}

pub(super) async fn create(pools: &Pools, ctx: &Ctx, new: NewKeyResult) -> StoreResult<KeyResult> {
    let mut w = Writer::begin(pools, ctx).await?;
    let kr = create_in(&mut w, new).await?;
    w.commit().await?;
    Ok(kr)
}

/// Adds a key result inside a write that may hold more.
pub(crate) async fn create_in(w: &mut Writer<'_>, new: NewKeyResult) -> StoreResult<KeyResult> {
    let now = w.now();
    let mut c = w.conn();
    let objective_key = new.objective_id.to_string();
    let objective =
        referenced("objective_id", "objective", new.objective_id, objective_in(&mut c, &objective_key).await?)?;
    writable(&objective.cycle)?;
    lock_objective(&mut c, &objective_key).await?;
    require_ref(&mut c, "people", "person", "owner_id", new.owner_id.map(|p| p.to_string())).await?;
    // Measured from a KPI: it takes the KPI's current value at once.
    let value = linked_value(&mut c, new.kpi_id).await?;
    let score = value.map(|v| score_value(new.kind, &new.measure, v).value()).unwrap_or(0.0);
    let id = KeyResultId(new_id());
    let cycle = objective.cycle_id.to_string();
    let key = super::choose_key(&mut c, "key_results", &cycle, new.key.as_ref(), new.title.as_str(), "kr").await?;
    let insert = q!(
        "INSERT INTO key_results (id, version, created_at, updated_at, objective_id, title, kind, \
         unit_of_measure, baseline, target, tolerance, weight, owner_id, status, status_reason, kpi_id, \
         current_value, confidence, last_check_in_at, score, cycle_id, key) \
         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', NULL, $12, $13, NULL, NULL, $14, $15, $16)",
        id,
        now,
        new.objective_id,
        new.title.as_str(),
        new.kind.as_str(),
        new.unit_of_measure.as_str(),
        new.measure.baseline(),
        new.measure.target(),
        new.measure.tolerance(),
        new.weight.value(),
        new.owner_id,
        new.kpi_id,
        value,
        score,
        &cycle,
        &key
    );
    c.execute_unique(&insert, "key", &key).await?;
    refresh_objective(&mut c, &objective_key).await?;
    let kr = found("key result", id, key_result_in(&mut c, &id.to_string()).await?)?;
    w.created("key_result", id, &kr);
    w.event(DomainEvent::KeyResultCreated { key_result: id, objective: new.objective_id });
    Ok(kr)
}

pub(super) async fn list(pools: &Pools, filter: KeyResultFilter, page: PageRequest) -> StoreResult<Page<KeyResult>> {
    let mut s = Sql::new(SELECT_KEY_RESULT);
    s.push(" WHERE 1 = 1");
    if let Some(o) = filter.objective_id {
        s.push(" AND k.objective_id = ").bind(o);
    }
    if let Some(k) = &filter.key {
        s.push(" AND k.key = ").bind(k.as_str());
    }
    if let Some(p) = filter.owner_id {
        s.push(" AND k.owner_id = ").bind(p);
    }
    if let Some(cy) = filter.cycle_id {
        s.push(" AND o.cycle_id = ").bind(cy);
    }
    if let Some(after) = &page.after {
        s.push(" AND k.id > ").bind(after);
    }
    s.push(" ORDER BY k.id LIMIT ").bind(page.limit as i64 + 1);
    let mut r = pools.reader().await?;
    let rows: Vec<KeyResultRow> = r.conn().fetch_all(&s).await?;
    Ok(Page::from_rows(convert(rows)?, page.limit, |k: &KeyResult| k.id.to_string()))
}

pub(super) async fn of_objectives(pools: &Pools, objectives: &[ObjectiveId]) -> StoreResult<Vec<KeyResult>> {
    if objectives.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = Sql::new(SELECT_KEY_RESULT);
    s.push(" WHERE k.objective_id IN (").list(objectives.iter().copied()).push(") ORDER BY k.objective_id, k.id");
    let mut r = pools.reader().await?;
    let rows: Vec<KeyResultRow> = r.conn().fetch_all(&s).await?;
    convert(rows)
}

pub(super) async fn update(
    pools: &Pools,
    ctx: &Ctx,
    id: KeyResultId,
    version: i64,
    patch: KeyResultPatch,
) -> StoreResult<KeyResult> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let key = id.to_string();
    let current = locked_key_result(&mut c, id).await?;
    check_version("key result", &key, current.version, version)?;
    writable(&current.cycle)?;
    let owner = patch.owner_id.unwrap_or(current.owner_id);
    if patch.owner_id.is_some() {
        require_ref(&mut c, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
    }
    let measure = match patch.measure {
        Some(m) => Measure::for_kind(current.kind, m.baseline(), m.target(), m.tolerance())?,
        None => current.measure(),
    };
    let kpi_id = patch.kpi_id.unwrap_or(current.kpi_id);
    // Newly linked to a KPI: the key result takes the KPI's current value at once.
    let value = match patch.kpi_id {
        Some(Some(k)) if Some(k) != current.kpi_id => linked_value(&mut c, Some(k)).await?.or(current.current_value),
        _ => current.current_value,
    };
    let score = value.map(|v| score_value(current.kind, &measure, v)).unwrap_or(Score::ZERO);
    let update = q!(
        "UPDATE key_results SET version = version + 1, updated_at = $1, title = $2, unit_of_measure = $3, \
         baseline = $4, target = $5, tolerance = $6, weight = $7, owner_id = $8, kpi_id = $9, score = $10, \
         current_value = $11 WHERE id = $12 AND version = $13",
        now,
        patch.title.map(|t| t.into_string()).unwrap_or(current.title.clone()),
        patch.unit_of_measure.map(|u| u.into_string()).unwrap_or(current.unit_of_measure.clone()),
        measure.baseline(),
        measure.target(),
        measure.tolerance(),
        patch.weight.map(Weight::value).unwrap_or(current.weight),
        owner,
        kpi_id,
        score.value(),
        value,
        &key,
        version
    );
    applied("key result", &key, c.execute(&update).await?, version)?;
    refresh_objective(&mut c, &current.objective_id.to_string()).await?;
    let kr = found("key result", id, key_result_in(&mut c, &key).await?)?;
    w.updated("key_result", id, "update", &current, &kr);
    if kr.target != current.target {
        w.event(DomainEvent::TargetChanged {
            subject: TargetSubject::KeyResult(id),
            from: Some(current.target),
            to: Some(kr.target),
        });
    }
    w.commit().await?;
    Ok(kr)
}

pub(super) async fn set_status(
    pools: &Pools,
    ctx: &Ctx,
    id: KeyResultId,
    version: ExpectedVersion,
    change: KeyResultStatusChange,
) -> StoreResult<KeyResult> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let key = id.to_string();
    let current = locked_key_result(&mut c, id).await?;
    let expected = version.unwrap_or(current.version);
    check_version("key result", &key, current.version, expected)?;
    writable(&current.cycle)?;
    let (to, reason) = match change {
        KeyResultStatusChange::Kill { reason } => (KeyResultStatus::Killed, Some(reason.into_string())),
        KeyResultStatusChange::CarryForward => (KeyResultStatus::CarriedForward, None),
    };
    current.status.transition(to)?;
    let update = q!(
        "UPDATE key_results SET version = version + 1, updated_at = $1, status = $2, status_reason = $3 \
         WHERE id = $4 AND version = $5",
        now,
        to.as_str(),
        reason.clone(),
        &key,
        expected
    );
    applied("key result", &key, c.execute(&update).await?, expected)?;
    refresh_objective(&mut c, &current.objective_id.to_string()).await?;
    let kr = found("key result", id, key_result_in(&mut c, &key).await?)?;
    w.updated("key_result", id, "status", &current, &kr);
    w.event(match reason {
        Some(reason) => DomainEvent::KeyResultKilled { key_result: id, reason },
        None => DomainEvent::KeyResultCarriedForward { key_result: id },
    });
    w.commit().await?;
    Ok(kr)
}
