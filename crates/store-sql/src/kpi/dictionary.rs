//! The metric dictionary: KPIs with dated targets, their health summary, and the rules that
//! need other rows (references, formula inputs, counterweights).

use super::{kpi_in, not_found};
use crate::db::{Conn, Pools, Sql, q};
use crate::kpi_rows::*;
use crate::rows::{convert, date, time, word};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{applied, check_version, new_id};
use chrono::NaiveDate;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::event::{DomainEvent, TargetSubject};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::formula::check_no_cycle;
use quarterdeck_domain::kpi::health::{HealthStatus, health};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, Page, PageRequest, StoreResult};
use std::collections::{BTreeSet, HashMap, HashSet};

async fn record_target(
    c: &mut Conn<'_>,
    kpi: &str,
    target: Option<Target>,
    set_on: Option<NaiveDate>,
    now: i64,
) -> StoreResult<()> {
    let (v, lo, hi) = target_columns(target);
    c.execute(&q!(
        "INSERT INTO kpi_targets (id, kpi_id, target_value, range_low, range_high, set_on, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        new_id().to_string(),
        kpi,
        v,
        lo,
        hi,
        set_on.map(|d| d.to_string()),
        now
    ))
    .await?;
    Ok(())
}

/// References, and a KPI that would balance itself.
async fn check_refs(
    c: &mut Conn<'_>,
    owner: Option<PersonId>,
    unit: Option<UnitId>,
    counterweight: Option<KpiId>,
    own: Option<KpiId>,
) -> StoreResult<()> {
    require_ref(c, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
    require_ref(c, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
    check_counterweight(own, counterweight)?;
    require_ref(c, "kpis", "KPI", "counterweight_id", counterweight.map(|k| k.to_string())).await
}

/// The KPI's current value and health from its latest period at its cadence; a move into
/// or out of breach is an event.
pub(super) async fn refresh_summary(w: &mut Writer<'_>, kpi: &Kpi) -> StoreResult<()> {
    let g = Granularity::of_cadence(kpi.cadence);
    let mut c = w.conn();
    let latest: Option<(String, Option<f64>)> = c
        .fetch_optional(&q!(
            "SELECT period_start, value FROM kpi_periods WHERE kpi_id = $1 AND granularity = $2 AND segment = '' \
             AND value IS NOT NULL ORDER BY period_start DESC LIMIT 1",
            kpi.id,
            g.as_str()
        ))
        .await?;
    let (period, value) = match latest {
        Some((p, v)) => (Some(p), v),
        None => (None, None),
    };
    let h = value.and_then(|v| health(kpi.target, kpi.direction, v, kpi.warning_from_pct));
    c.execute(&q!(
        "UPDATE kpis SET current_period = $1, current_value = $2, current_status = $3, current_attainment_pct = $4 \
         WHERE id = $5",
        period,
        value,
        h.map(|h| h.status.as_str()),
        h.map(|h| h.attainment_pct),
        kpi.id
    ))
    .await?;
    let was = kpi.current_status == Some(HealthStatus::Breached);
    match (h, value) {
        (Some(h), Some(v)) if h.status == HealthStatus::Breached && !was => {
            w.event(DomainEvent::KpiBreached { kpi: kpi.id, value: v, attainment_pct: h.attainment_pct })
        }
        (Some(h), Some(v)) if h.status != HealthStatus::Breached && was => {
            w.event(DomainEvent::KpiRecovered { kpi: kpi.id, value: v })
        }
        _ => {}
    }
    Ok(())
}

pub(super) async fn create(pools: &Pools, ctx: &Ctx, new: NewKpi) -> StoreResult<Kpi> {
    let mut w = Writer::begin(pools, ctx).await?;
    let kpi = create_in(&mut w, new).await?;
    w.commit().await?;
    Ok(kpi)
}

/// Defines a KPI inside a write that may hold more.
pub(crate) async fn create_in(w: &mut Writer<'_>, new: NewKpi) -> StoreResult<Kpi> {
    let now = w.now();
    let mut c = w.conn();
    check_refs(&mut c, new.owner_id, new.unit_id, new.counterweight_id, None).await?;
    check_guardrail(new.guardrail, new.direction, new.guardrail_threshold, new.target)?;
    let id = KpiId(new_id());
    let key = id.to_string();
    // A derived KPI reads existing KPIs by key, never itself or in a loop.
    let mut inputs: Vec<(String, String)> = Vec::new();
    if let Some(formula) = &new.formula {
        let names = formula.names();
        let mut s = Sql::new("SELECT id, key FROM kpis WHERE key IN (");
        s.list(names.iter()).push(")");
        inputs = c.fetch_all(&s).await?;
        let known: HashSet<&str> = inputs.iter().map(|(_, k)| k.as_str()).collect();
        formula.check_names(new.key.as_str(), |n| known.contains(n)).map_err(DomainError::from)?;
        // Only the input graph above these inputs matters for a loop.
        let all: Vec<(String, String)> = c
            .fetch_all(&Sql::new(
                "SELECT u.key, i.key FROM kpi_inputs x JOIN kpis u ON u.id = x.kpi_id JOIN kpis i ON i.id = x.input_id",
            ))
            .await?;
        let mut inputs_of: HashMap<String, Vec<String>> = HashMap::new();
        for (u, i) in all {
            inputs_of.entry(u).or_default().push(i);
        }
        check_no_cycle(new.key.as_str(), &names, &inputs_of).map_err(DomainError::from)?;
    }
    let (tv, lo, hi) = target_columns(new.target);
    let mut s = Sql::new(
        "INSERT INTO kpis (id, version, created_at, updated_at, key, name, description, owner_id, unit_id, \
         unit_of_measure, formula, query, cadence, aggregation, direction, target_value, range_low, range_high, \
         target_set_on, baseline, caveats, class, timing, flow, nature, north_star, guardrail, guardrail_threshold, \
         counterweight_id, valid_min, valid_max, warning_from_pct, window_periods, guardrail_breached)",
    );
    s.values(&[()], |t, _| {
        t.bind(&key)
            .raw("1")
            .bind(now)
            .bind(now)
            .bind(new.key.as_str())
            .bind(new.name.as_str())
            .bind(new.description.as_str())
            .bind(new.owner_id)
            .bind(new.unit_id)
            .bind(new.unit_of_measure.as_str())
            .bind(new.formula.as_ref().map(|f| f.source().to_owned()))
            .bind(new.query.as_str())
            .bind(new.cadence.as_str())
            .bind(new.aggregation.as_str())
            .bind(new.direction.as_str())
            .bind(tv)
            .bind(lo)
            .bind(hi)
            .bind(new.target_set_on.map(|d| d.to_string()))
            .bind(new.baseline)
            .bind(new.caveats.as_str())
            .bind(new.class.as_str())
            .bind(new.timing.as_str())
            .bind(new.flow.as_str())
            .bind(new.nature.as_str())
            .bind(new.north_star)
            .bind(new.guardrail)
            .bind(new.guardrail_threshold)
            .bind(new.counterweight_id)
            .bind(new.valid_min)
            .bind(new.valid_max)
            .bind(new.warning_from_pct)
            .bind(new.window_periods)
            .bind(false);
    });
    c.execute_unique(&s, "key", new.key.as_str()).await?;
    record_target(&mut c, &key, new.target, new.target_set_on, now).await?;
    for (input, _) in &inputs {
        c.execute(&q!("INSERT INTO kpi_inputs (kpi_id, input_id) VALUES ($1, $2)", &key, input)).await?;
    }
    let kpi = kpi_in(&mut c, &key).await?.ok_or_else(|| not_found(&key))?;
    if !inputs.is_empty() {
        // Backfill: every period where an input has a value.
        let mut s =
            Sql::new("SELECT DISTINCT granularity, period_start FROM kpi_periods WHERE segment = '' AND kpi_id IN (");
        s.list(inputs.iter().map(|(i, _)| i)).push(")");
        let rows: Vec<(String, String)> = c.fetch_all(&s).await?;
        let periods = rows
            .iter()
            .map(|(g, st)| Ok((word("granularity", g)?, date("period_start", st)?)))
            .collect::<StoreResult<BTreeSet<_>>>()?;
        super::derived::recompute(&mut c, &kpi, &periods).await?;
        refresh_summary(w, &kpi).await?;
    }
    let kpi = kpi_in(&mut w.conn(), &key).await?.ok_or_else(|| not_found(&key))?;
    w.created("kpi", id, &kpi);
    Ok(kpi)
}

pub(super) async fn list(pools: &Pools, filter: KpiFilter, page: PageRequest) -> StoreResult<Page<Kpi>> {
    let mut s = Sql::new(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE 1 = 1"));
    if let Some(u) = filter.unit_id {
        s.push(" AND unit_id = ").bind(u);
    }
    if let Some(p) = filter.owner_id {
        s.push(" AND owner_id = ").bind(p);
    }
    if let Some(k) = filter.kra_id {
        s.push(" AND id IN (SELECT kpi_id FROM kra_kpis WHERE kra_id = ").bind(k).push(")");
    }
    if let Some(g) = filter.guardrail {
        s.push(" AND guardrail = ").bind(g);
    }
    if let Some(n) = filter.north_star {
        s.push(" AND north_star = ").bind(n);
    }
    if filter.missing_counterweight {
        // The domain's counterweight rule, in SQL over every KPI: a nature that wants a
        // counterweight, none of its own, and no other KPI that names it as one.
        let natures: Vec<&str> = Nature::ALL.iter().filter(|n| n.needs_counterweight()).map(|n| n.as_str()).collect();
        s.push(" AND nature IN (").list(natures).push(") AND counterweight_id IS NULL");
        s.push(" AND NOT EXISTS (SELECT 1 FROM kpis paired WHERE paired.counterweight_id = kpis.id)");
    }
    if let Some(after) = &page.after {
        s.push(" AND id > ").bind(after);
    }
    s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
    let mut r = pools.reader().await?;
    let rows: Vec<KpiRow> = r.conn().fetch_all(&s).await?;
    Ok(Page::from_rows(convert(rows)?, page.limit, |k: &Kpi| k.id.to_string()))
}

pub(super) async fn update(pools: &Pools, ctx: &Ctx, id: KpiId, version: i64, patch: KpiPatch) -> StoreResult<Kpi> {
    let mut w = Writer::begin(pools, ctx).await?;
    let kpi = update_in(&mut w, id, version, patch).await?;
    w.commit().await?;
    Ok(kpi)
}

/// Changes a KPI inside a write that may hold more.
pub(crate) async fn update_in(w: &mut Writer<'_>, id: KpiId, version: i64, patch: KpiPatch) -> StoreResult<Kpi> {
    let now = w.now();
    let mut c = w.conn();
    let key = id.to_string();
    let cur = kpi_in(&mut c, &key).await?.ok_or_else(|| not_found(id))?;
    check_version("KPI", &key, cur.version, version)?;
    let owner = patch.owner_id.unwrap_or(cur.owner_id);
    let unit = patch.unit_id.unwrap_or(cur.unit_id);
    let counterweight = patch.counterweight_id.unwrap_or(cur.counterweight_id);
    check_refs(&mut c, owner, unit, counterweight, Some(id)).await?;
    let (target, set_on) = patch.target.unwrap_or((cur.target, cur.target_set_on));
    let target = target.map(|t| t.fit(cur.direction)).transpose()?;
    let guardrail = patch.guardrail.unwrap_or(cur.guardrail);
    let threshold = patch.guardrail_threshold.unwrap_or(cur.guardrail_threshold);
    check_guardrail(guardrail, cur.direction, threshold, target)?;
    let (tv, lo, hi) = target_columns(target);
    let update = q!(
        "UPDATE kpis SET version = version + 1, updated_at = $1, name = $2, description = $3, owner_id = $4, \
         unit_id = $5, unit_of_measure = $6, query = $7, cadence = $8, target_value = $9, range_low = $10, \
         range_high = $11, target_set_on = $12, baseline = $13, caveats = $14, class = $15, timing = $16, flow = $17, \
         nature = $18, north_star = $19, guardrail = $20, guardrail_threshold = $21, counterweight_id = $22, \
         valid_min = $23, valid_max = $24, warning_from_pct = $25, window_periods = $26 WHERE id = $27 AND version = $28",
        now,
        patch.name.map(|n| n.into_string()).unwrap_or(cur.name.clone()),
        patch.description.map(|d| d.into_string()).unwrap_or(cur.description.clone()),
        owner,
        unit,
        patch.unit_of_measure.map(|u| u.into_string()).unwrap_or(cur.unit_of_measure.clone()),
        patch.query.map(|q| q.into_string()).unwrap_or(cur.query.clone()),
        patch.cadence.unwrap_or(cur.cadence).as_str(),
        tv,
        lo,
        hi,
        set_on.map(|d| d.to_string()),
        patch.baseline.unwrap_or(cur.baseline),
        patch.caveats.map(|c| c.into_string()).unwrap_or(cur.caveats.clone()),
        patch.class.unwrap_or(cur.class).as_str(),
        patch.timing.unwrap_or(cur.timing).as_str(),
        patch.flow.unwrap_or(cur.flow).as_str(),
        patch.nature.unwrap_or(cur.nature).as_str(),
        patch.north_star.unwrap_or(cur.north_star),
        guardrail,
        threshold,
        counterweight,
        patch.valid_min.unwrap_or(cur.valid_min),
        patch.valid_max.unwrap_or(cur.valid_max),
        patch.warning_from_pct.unwrap_or(cur.warning_from_pct),
        patch.window_periods.unwrap_or(cur.window_periods),
        &key,
        version
    );
    applied("KPI", &key, c.execute(&update).await?, version)?;
    if patch.target.is_some() {
        record_target(&mut c, &key, target, set_on, now).await?;
    }
    // Target, cadence or threshold may change health and guardrail state.
    let kpi = kpi_in(&mut c, &key).await?.ok_or_else(|| not_found(id))?;
    refresh_summary(w, &kpi).await?;
    super::guardrails::apply(w, &key, &mut IngestReport::default()).await?;
    let kpi = kpi_in(&mut w.conn(), &key).await?.ok_or_else(|| not_found(id))?;
    w.updated("kpi", id, "update", &cur, &kpi);
    if patch.target.is_some() && kpi.target != cur.target {
        let value = |t: Option<Target>| match t {
            Some(Target::Value { value }) => Some(value),
            _ => None,
        };
        w.event(DomainEvent::TargetChanged {
            subject: TargetSubject::Kpi(id),
            from: value(cur.target),
            to: value(kpi.target),
        });
    }
    Ok(kpi)
}

/// (target_value, range_low, range_high, set_on, recorded_at) of one dated target.
type TargetRow = (Option<f64>, Option<f64>, Option<f64>, Option<String>, i64);
/// A target change with the KPI it belongs to (reads over several KPIs).
type KpiTargetRow = (String, Option<f64>, Option<f64>, Option<f64>, Option<String>, i64);

pub(super) async fn target_history(pools: &Pools, id: KpiId) -> StoreResult<Vec<TargetChange>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    kpi_in(&mut c, &id.to_string()).await?.ok_or_else(|| not_found(id))?;
    let rows: Vec<TargetRow> = c
        .fetch_all(&q!(
            "SELECT target_value, range_low, range_high, set_on, recorded_at FROM kpi_targets WHERE kpi_id = $1 \
             ORDER BY recorded_at, id",
            id
        ))
        .await?;
    rows.into_iter().map(target_change).collect()
}

fn target_change((v, lo, hi, set_on, at): TargetRow) -> StoreResult<TargetChange> {
    Ok(TargetChange {
        target: target_of(v, lo, hi),
        set_on: set_on.as_deref().map(|d| date("set_on", d)).transpose()?,
        recorded_at: time("recorded_at", at)?,
    })
}

pub(super) async fn target_histories(pools: &Pools, ids: &[KpiId]) -> StoreResult<Vec<(KpiId, TargetChange)>> {
    let mut r = pools.reader().await?;
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut s = Sql::new(
            "SELECT kpi_id, target_value, range_low, range_high, set_on, recorded_at FROM kpi_targets WHERE kpi_id IN (",
        );
        s.list(chunk.iter().copied()).push(") ORDER BY kpi_id, recorded_at, id");
        let rows: Vec<KpiTargetRow> = r.conn().fetch_all(&s).await?;
        for (kpi, v, lo, hi, set_on, at) in rows {
            out.push((word("kpi_id", &kpi)?, target_change((v, lo, hi, set_on, at))?));
        }
    }
    Ok(out)
}
