//! Ingest: raw points stored idempotently (per KPI, time and segment), and every aggregate
//! brought up to date in the same transaction — period values, the KPI's summary, derived
//! KPIs, linked key results and guardrails.

use super::{kpi_in, not_found};
use crate::db::{Conn, Sql, q};
use crate::kpi_rows::*;
use crate::rows::{date, micros, time, word};
use crate::write::Writer;
use crate::{SqlStore, referenced};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::aggregate::Running;
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, MeasurementStore, Page, PageRequest, StoreResult};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows per multi-row statement, under both databases' bind limits.
const MAX_BINDS: usize = 30_000;

pub(super) type PeriodKey = (Granularity, NaiveDate, String);

const PERIOD_INSERT: &str =
    "kpi_id, granularity, segment, period_start, count, sum, min_value, max_value, last_at, last_value, value";

/// Rows that exist nowhere yet (a first load, history pushed in bulk, the next day's
/// points), gathered over the KPIs of a batch and written together in bulk.
#[derive(Default)]
struct NewRows {
    measurements: Vec<(KpiId, String, i64, f64)>,
    periods: Vec<(KpiId, PeriodKey, Running, Option<f64>)>,
}

impl NewRows {
    async fn write(&mut self, c: &mut Conn<'_>, received: i64) -> StoreResult<()> {
        let columns = "kpi_id, segment, at, value, received_at";
        c.insert_rows("measurements", columns, &self.measurements, |t, (kpi, segment, at, value)| {
            t.bind(*kpi).bind(segment).bind(*at).bind(*value).bind(received);
        })
        .await?;
        insert_periods(c, &self.periods).await?;
        *self = NewRows::default();
        Ok(())
    }
}

/// Writes period rows that do not exist yet, in bulk.
async fn insert_periods(c: &mut Conn<'_>, rows: &[(KpiId, PeriodKey, Running, Option<f64>)]) -> StoreResult<()> {
    c.insert_rows("kpi_periods", PERIOD_INSERT, rows, |t, (kpi, (g, start, segment), r, value)| {
        t.bind(*kpi).bind(g.as_str()).bind(segment).bind(start.to_string());
        t.bind(r.count).bind(r.sum).bind(r.min).bind(r.max).bind(r.last_at).bind(r.last_value).bind(*value);
    })
    .await
}

/// Writes period rows (insert or replace).
pub(super) async fn upsert_periods(
    c: &mut Conn<'_>,
    kpi: &str,
    rows: &[(PeriodKey, Running, Option<f64>)],
) -> StoreResult<()> {
    for chunk in rows.chunks(MAX_BINDS / 11) {
        let mut s = Sql::new(
            "INSERT INTO kpi_periods (kpi_id, granularity, segment, period_start, count, sum, min_value, \
             max_value, last_at, last_value, value)",
        );
        s.values(chunk, |t, ((g, start, segment), r, value)| {
            t.bind(kpi)
                .bind(g.as_str())
                .bind(segment)
                .bind(start.to_string())
                .bind(r.count)
                .bind(r.sum)
                .bind(r.min)
                .bind(r.max)
                .bind(r.last_at)
                .bind(r.last_value)
                .bind(*value);
        });
        s.push(
            " ON CONFLICT (kpi_id, granularity, segment, period_start) DO UPDATE SET count = excluded.count, \
             sum = excluded.sum, min_value = excluded.min_value, max_value = excluded.max_value, \
             last_at = excluded.last_at, last_value = excluded.last_value, value = excluded.value",
        );
        c.execute(&s).await?;
    }
    Ok(())
}

/// Stores one KPI's points and updates its period rows. Returns the periods (all segments)
/// whose values changed, for derived KPIs.
async fn ingest_kpi(
    c: &mut Conn<'_>,
    kpi: &Kpi,
    points: Vec<(i64, f64, String)>,
    received: i64,
    zone: Zone,
    report: &mut IngestReport,
    new_rows: &mut NewRows,
) -> StoreResult<BTreeSet<(Granularity, NaiveDate)>> {
    let id = kpi.id.to_string();
    // Serialise ingests of one KPI (PostgreSQL row lock; SQLite has one writer).
    c.execute(&q!("UPDATE kpis SET version = version WHERE id = $1", &id)).await?;
    // The last of several points with the same time and segment wins (a stable sort keeps
    // their order; `dedup` keeps the first of equals, so walk it backwards).
    let mut batch: Vec<((String, i64), f64)> = points.into_iter().map(|(at, v, seg)| ((seg, at), v)).collect();
    batch.reverse();
    batch.sort_by(|a, b| a.0.cmp(&b.0));
    batch.dedup_by(|later, first| later.0 == first.0);
    let min_at = batch.iter().map(|k| k.0.1).min().expect("non-empty batch");
    let max_at = batch.iter().map(|k| k.0.1).max().expect("non-empty batch");
    let stored: Vec<(String, i64, f64)> = c
        .fetch_all(&q!(
            "SELECT segment, at, value FROM measurements WHERE kpi_id = $1 AND at >= $2 AND at <= $3",
            &id,
            min_at,
            max_at
        ))
        .await?;
    let stored: HashMap<(String, i64), f64> = stored.into_iter().map(|(s, a, v)| ((s, a), v)).collect();
    let mut changed = Vec::new();
    for ((segment, at), value) in batch {
        match stored.get(&(segment.clone(), at)) {
            Some(old) if *old == value => report.unchanged += 1,
            Some(_) => {
                report.replaced += 1;
                changed.push((segment, at, value, true));
            }
            None => {
                report.inserted += 1;
                changed.push((segment, at, value, false));
            }
        }
    }
    if changed.is_empty() {
        return Ok(BTreeSet::new());
    }
    // A percentile reads its periods' raw points back below, so they must be stored first.
    let percentile = kpi.aggregation.percentile().is_some();
    if stored.is_empty() && !percentile {
        // Nothing stored between the batch's first and last point: every row is new.
        new_rows
            .measurements
            .extend(changed.iter().map(|(segment, at, value, _)| (kpi.id, segment.clone(), *at, *value)));
    } else {
        for chunk in changed.chunks(MAX_BINDS / 5) {
            let mut s = Sql::new("INSERT INTO measurements (kpi_id, segment, at, value, received_at)");
            s.values(chunk, |t, (segment, at, value, _)| {
                t.bind(&id).bind(segment).bind(*at).bind(*value).bind(received);
            });
            s.push(
                " ON CONFLICT (kpi_id, segment, at) DO UPDATE SET value = excluded.value, received_at = excluded.received_at",
            );
            c.execute(&s).await?;
        }
    }

    // Which periods the new points fall in, per segment and for all segments.
    let mut touched: HashMap<PeriodKey, (Vec<(i64, f64)>, bool)> = HashMap::new();
    for (segment, at, value, replaced) in &changed {
        let day = zone.local_date(time("at", *at)?);
        for g in Granularity::ALL {
            let start = Period::containing(*g, day).start;
            let mut keys = vec![(*g, start, String::new())];
            if !segment.is_empty() {
                keys.push((*g, start, segment.clone()));
            }
            for key in keys {
                let entry = touched.entry(key).or_default();
                entry.0.push((*at, *value));
                entry.1 |= *replaced || percentile;
            }
        }
    }
    let first_start = touched.keys().map(|k| k.1).min().expect("touched periods");
    let last_start = touched.keys().map(|k| k.1).max().expect("touched periods");
    let existing: Vec<PeriodRow> = c
        .fetch_all(&q!(
            format!("SELECT {PERIOD_COLUMNS} FROM kpi_periods WHERE kpi_id = $1 AND period_start >= $2 AND period_start <= $3"),
            &id,
            first_start.to_string(),
            last_start.to_string()
        ))
        .await?;
    let mut existing_map: HashMap<PeriodKey, Running> = HashMap::new();
    for r in existing {
        let key = (word("granularity", &r.granularity)?, date("period_start", &r.period_start)?, r.segment.clone());
        let running = Running {
            count: r.count,
            sum: r.sum,
            min: r.min_value,
            max: r.max_value,
            last_at: r.last_at,
            last_value: r.last_value,
        };
        existing_map.insert(key, running);
    }
    // Periods that need their points again (a replaced point, or a percentile): read the raw
    // points of just those periods, once.
    let recompute: Vec<&PeriodKey> = touched.iter().filter(|(_, (_, r))| *r).map(|(k, _)| k).collect();
    let mut raw: Vec<(String, i64, f64)> = Vec::new();
    if !recompute.is_empty() {
        let from = recompute.iter().map(|k| k.1).min().expect("some");
        let to =
            recompute.iter().map(|(g, st, _)| Period { granularity: *g, start: *st }.next_start()).max().expect("some");
        let midnight = |d: NaiveDate| micros(zone.start_of(d));
        raw = c
            .fetch_all(&q!(
                "SELECT segment, at, value FROM measurements WHERE kpi_id = $1 AND at >= $2 AND at < $3",
                &id,
                midnight(from),
                midnight(to)
            ))
            .await?;
    }
    let mut rows = Vec::with_capacity(touched.len());
    let mut total_periods = BTreeSet::new();
    let mut touched: Vec<_> = touched.into_iter().collect();
    touched.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (key, (new_points, needs_raw)) in touched {
        let (g, start, segment) = &key;
        let (running, values) = if needs_raw {
            let period = Period { granularity: *g, start: *start };
            let pts: Vec<(i64, f64)> = raw
                .iter()
                .filter(|(s, at, _)| {
                    (segment.is_empty() || s == segment)
                        && time("at", *at).map(|t| period.contains(zone.local_date(t))).unwrap_or(false)
                })
                .map(|(_, at, v)| (*at, *v))
                .collect();
            let values: Vec<f64> = pts.iter().map(|p| p.1).collect();
            (Running::of(pts), Some(values))
        } else {
            let fresh = Running::of(new_points).expect("a touched period has points");
            (Some(existing_map.get(&key).map_or(fresh, |old| old.merge(fresh))), None)
        };
        let Some(running) = running else { continue };
        let value = running.value(kpi.aggregation, values.as_deref());
        // Two points of 1.7e308 in one day add up to infinity: refused, never stored as a
        // period that reads "healthy".
        if !running.sum.is_finite() || value.is_some_and(|v| !v.is_finite()) {
            return Err(DomainError::Overflow { field: "value" }.into());
        }
        if segment.is_empty() {
            total_periods.insert((*g, *start));
        }
        rows.push((key, running, value));
    }
    if existing_map.is_empty() {
        new_rows.periods.extend(rows.into_iter().map(|(key, running, value)| (kpi.id, key, running, value)));
    } else {
        upsert_periods(c, &id, &rows).await?;
    }
    c.execute(&q!(
        "UPDATE kpis SET first_point_at = CASE WHEN first_point_at IS NULL OR first_point_at > $1 THEN $1 ELSE first_point_at END, \
         last_point_at = CASE WHEN last_point_at IS NULL OR last_point_at < $2 THEN $2 ELSE last_point_at END WHERE id = $3",
        min_at,
        max_at,
        &id
    ))
    .await?;
    Ok(total_periods)
}

/// After a KPI's periods changed: its summary, guardrail and linked key results, and its
/// audit row (the KPI before and after).
pub(super) async fn after_change(w: &mut Writer<'_>, before: &Kpi, report: &mut IngestReport) -> StoreResult<()> {
    let key = before.id.to_string();
    super::dictionary::refresh_summary(w, before).await?;
    super::guardrails::apply(w, &key, report).await?;
    super::linked::update_key_results(w, &key, report).await?;
    let after = kpi_in(&mut w.conn(), &key).await?.ok_or_else(|| not_found(&key))?;
    w.updated("kpi", before.id, "measurements", before, &after);
    report.kpis_updated.push(before.id);
    Ok(())
}

/// Every KPI's period values, computed again from the raw points in `zone` (the time zone
/// changed), derived KPIs after their inputs, then each KPI's summary. Returns the rows written.
pub(crate) async fn recompute_all(w: &mut Writer<'_>, zone: Zone) -> StoreResult<usize> {
    let mut c = w.conn();
    let rows: Vec<KpiRow> = c.fetch_all(&Sql::new(format!("SELECT {KPI_COLUMNS} FROM kpis ORDER BY id"))).await?;
    let kpis: Vec<Kpi> = crate::rows::convert(rows)?;
    c.execute(&Sql::new("DELETE FROM kpi_periods")).await?;
    let mut written = 0;
    for kpi in kpis.iter().filter(|k| !k.aggregation.is_derived()) {
        let points: Vec<(String, i64, f64)> =
            c.fetch_all(&q!("SELECT segment, at, value FROM measurements WHERE kpi_id = $1", kpi.id)).await?;
        let mut by_period: BTreeMap<PeriodKey, Vec<(i64, f64)>> = BTreeMap::new();
        for (segment, at, value) in points {
            let day = zone.local_date(time("at", at)?);
            for g in Granularity::ALL {
                let start = Period::containing(*g, day).start;
                by_period.entry((*g, start, String::new())).or_default().push((at, value));
                if !segment.is_empty() {
                    by_period.entry((*g, start, segment.clone())).or_default().push((at, value));
                }
            }
        }
        let mut out = Vec::with_capacity(by_period.len());
        for (key, pts) in by_period {
            let values: Vec<f64> = pts.iter().map(|p| p.1).collect();
            let running = Running::of(pts).expect("a period with points");
            let value = running.value(kpi.aggregation, Some(&values));
            out.push((key, running, value));
        }
        written += out.len();
        // Every period row was deleted above.
        let out: Vec<_> = out.into_iter().map(|(key, running, value)| (kpi.id, key, running, value)).collect();
        insert_periods(&mut c, &out).await?;
    }
    // Derived KPIs were created after their inputs (ids are time-ordered): inputs first.
    for kpi in kpis.iter().filter(|k| k.aggregation.is_derived()) {
        let mut s = Sql::new(
            "SELECT DISTINCT granularity, period_start FROM kpi_periods WHERE segment = '' AND kpi_id IN \
             (SELECT input_id FROM kpi_inputs WHERE kpi_id = ",
        );
        s.bind(kpi.id).push(")");
        let rows: Vec<(String, String)> = c.fetch_all(&s).await?;
        let periods = rows
            .iter()
            .map(|(g, st)| Ok((word("granularity", g)?, date("period_start", st)?)))
            .collect::<StoreResult<BTreeSet<_>>>()?;
        written += periods.len();
        super::derived::recompute(&mut c, kpi, &periods).await?;
    }
    for kpi in &kpis {
        super::dictionary::refresh_summary(w, kpi).await?;
    }
    Ok(written)
}

#[async_trait]
impl MeasurementStore for SqlStore {
    async fn ingest(&self, ctx: &Ctx, points: Vec<NewMeasurement>) -> StoreResult<IngestReport> {
        let mut report = IngestReport::default();
        if points.is_empty() {
            return Ok(report);
        }
        let mut by_kpi: BTreeMap<KpiId, Vec<(i64, f64, String)>> = BTreeMap::new();
        for p in points {
            by_kpi.entry(p.kpi_id).or_default().push((micros(p.at), p.value, p.segment.unwrap_or_default()));
        }
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let received = w.now();
        let zone = crate::org::zone_in(&mut w.conn()).await?;
        let mut changed = BTreeMap::new();
        let mut moved = Vec::new();
        let mut new_rows = NewRows::default();
        for (kpi_id, pts) in by_kpi {
            let mut c = w.conn();
            let kpi = referenced("kpi", "KPI", kpi_id, kpi_in(&mut c, &kpi_id.to_string()).await?)?;
            if kpi.aggregation.is_derived() {
                return Err(DomainError::DerivedKpi { kpi: kpi.key }.into());
            }
            let periods = ingest_kpi(&mut c, &kpi, pts, received, zone, &mut report, &mut new_rows).await?;
            if !periods.is_empty() {
                changed.insert(kpi.id.to_string(), periods);
                moved.push(kpi);
            }
        }
        // The new rows of every KPI in one stream, then each KPI's summary from its periods.
        new_rows.write(&mut w.conn(), received).await?;
        for kpi in &moved {
            after_change(&mut w, kpi, &mut report).await?;
        }
        super::derived::propagate(&mut w, changed, &mut report).await?;
        if w.changes.is_empty() {
            // A re-sent batch changes nothing: nothing to write, nothing to audit.
            return Ok(report);
        }
        w.commit().await?;
        Ok(report)
    }

    async fn list_measurements(
        &self,
        kpi: KpiId,
        segment: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> StoreResult<Page<Measurement>> {
        super::series::measurements(&self.pools, kpi, segment, from, to, page).await
    }

    async fn list_periods(
        &self,
        kpi: KpiId,
        granularity: Granularity,
        segment: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        limit: u32,
    ) -> StoreResult<Vec<PeriodValue>> {
        super::series::periods(&self.pools, kpi, granularity, segment, from, to, limit).await
    }

    async fn recent_periods(
        &self,
        kpis: &[(KpiId, Granularity)],
        per_kpi: u32,
    ) -> StoreResult<Vec<(KpiId, RecentPeriod)>> {
        super::series::recent_periods(&self.pools, kpis, per_kpi).await
    }

    async fn period_values_at(
        &self,
        kpis: &[(KpiId, Granularity)],
        from: NaiveDate,
        before: NaiveDate,
    ) -> StoreResult<Vec<(KpiId, f64)>> {
        super::series::values_at(&self.pools, kpis, from, before).await
    }

    async fn kpi_segments(&self, kpi: KpiId) -> StoreResult<Vec<String>> {
        super::series::segments(&self.pools, kpi).await
    }
}
