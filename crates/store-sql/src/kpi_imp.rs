//! The one implementation of [`KpiStore`], expanded for each backend like `imp.rs`.
//!
//! Ingest keeps every aggregate current in the same transaction as the points: period
//! values (running totals, percentiles from the period's own points), the KPI's current
//! value and health, derived KPIs, linked key results, and guardrails that pause or resume
//! objectives. Reads never rescan raw history.

macro_rules! sql_kpi_store {
    ($Store:ident, $Db:ty, $Conn:ty) => {
        mod kpi_impl {
            use super::$Store;
            use $crate::kpi_rows::*;
            use $crate::rows::{convert, date, micros, time, word};
            use $crate::{DbResult, applied, check_version, new_id, unique_or};
            use async_trait::async_trait;
            use chrono::{DateTime, NaiveDate, Utc};
            use quarterdeck_domain::DomainError;
            use quarterdeck_domain::ids::*;
            use quarterdeck_domain::kpi::aggregate::Running;
            use quarterdeck_domain::kpi::definition::*;
            use quarterdeck_domain::kpi::formula::{Formula, check_no_cycle, dependents_in_order};
            use quarterdeck_domain::kpi::health::{guardrail_breached, health};
            use quarterdeck_domain::kpi::period::{Granularity, Period};
            use quarterdeck_domain::kpi::tree::check_new_edge;
            use quarterdeck_domain::scoring::{KeyResultKind, Measure, score_value};
            use quarterdeck_store::kpi::*;
            use quarterdeck_store::{ExpectedVersion, Page, PageRequest, StoreError, StoreResult};
            use sqlx::QueryBuilder;
            use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

            const MAX_BINDS: usize = 30_000;

            type PeriodKey = (Granularity, NaiveDate, String);

            fn not_found(id: KpiId) -> StoreError { StoreError::NotFound { entity: "KPI", id: id.to_string() } }

            impl $Store {
                pub(crate) async fn kpi_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Kpi>> {
                    let sql = format!("SELECT {KPI_COLUMNS} FROM kpis WHERE id = $1");
                    let row: Option<KpiRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                    row.map(Kpi::try_from).transpose()
                }

                async fn kpis_by_ids(conn: &mut $Conn, ids: &[String]) -> StoreResult<Vec<Kpi>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut q = QueryBuilder::<$Db>::new(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE id IN ("));
                    let mut list = q.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    let rows: Vec<KpiRow> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    convert(rows)
                }

                async fn event(conn: &mut $Conn, kind: &str, subject: &str, payload: serde_json::Value) -> StoreResult<()> {
                    sqlx::query("INSERT INTO events (id, at, kind, subject_id, payload) VALUES ($1, $2, $3, $4, $5)")
                        .bind(EventId(new_id()).to_string())
                        .bind(micros(Utc::now()))
                        .bind(kind)
                        .bind(subject)
                        .bind(payload.to_string())
                        .execute(&mut *conn)
                        .await
                        .db()?;
                    Ok(())
                }

                async fn record_target(conn: &mut $Conn, kpi: &str, target: Option<Target>, set_on: Option<NaiveDate>) -> StoreResult<()> {
                    let (v, lo, hi) = target_columns(target);
                    sqlx::query(
                        "INSERT INTO kpi_targets (id, kpi_id, target_value, range_low, range_high, set_on, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(new_id().to_string())
                    .bind(kpi)
                    .bind(v)
                    .bind(lo)
                    .bind(hi)
                    .bind(set_on.map(|d| d.to_string()))
                    .bind(micros(Utc::now()))
                    .execute(&mut *conn)
                    .await
                    .db()?;
                    Ok(())
                }

                /// Rules that need other rows: references, guardrail threshold, counterweight.
                async fn check_kpi_refs(conn: &mut $Conn, owner: Option<PersonId>, unit: Option<UnitId>, counterweight: Option<KpiId>, own: Option<KpiId>) -> StoreResult<()> {
                    Self::require_ref(conn, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
                    Self::require_ref(conn, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
                    check_counterweight(own, counterweight)?;
                    Self::require_ref(conn, "kpis", "KPI", "counterweight_id", counterweight.map(|k| k.to_string())).await
                }


                /// The KPI's current value and health from its latest period at its cadence.
                async fn refresh_summary(conn: &mut $Conn, kpi: &Kpi) -> StoreResult<()> {
                    let g = Granularity::of_cadence(kpi.cadence);
                    let latest: Option<(String, Option<f64>)> = sqlx::query_as(
                        "SELECT period_start, value FROM kpi_periods WHERE kpi_id = $1 AND granularity = $2 AND segment = '' \
                         AND value IS NOT NULL ORDER BY period_start DESC LIMIT 1",
                    )
                    .bind(kpi.id.to_string())
                    .bind(g.as_str())
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?;
                    let (period, value) = match latest {
                        Some((p, v)) => (Some(p), v),
                        None => (None, None),
                    };
                    let h = value.and_then(|v| health(kpi.target, kpi.direction, v, kpi.warning_from_pct));
                    sqlx::query(
                        "UPDATE kpis SET current_period = $1, current_value = $2, current_status = $3, current_attainment_pct = $4 \
                         WHERE id = $5",
                    )
                    .bind(period)
                    .bind(value)
                    .bind(h.map(|h| h.status.as_str()))
                    .bind(h.map(|h| h.attainment_pct))
                    .bind(kpi.id.to_string())
                    .execute(&mut *conn)
                    .await
                    .db()?;
                    Ok(())
                }

                /// Pauses the active objectives a breached guardrail is linked to, and resumes
                /// the ones it paused once it recovers (unless another guardrail still holds them).
                async fn apply_guardrail(conn: &mut $Conn, kpi_id: &str, report: &mut IngestReport) -> StoreResult<()> {
                    let kpi = Self::kpi_in(conn, kpi_id).await?.expect("caller holds the KPI");
                    if !kpi.guardrail {
                        return Ok(());
                    }
                    let breached = kpi
                        .current_value
                        .is_some_and(|v| guardrail_breached(kpi.direction, kpi.guardrail_threshold, kpi.target, v));
                    let now = micros(Utc::now());
                    if breached != kpi.guardrail_breached {
                        sqlx::query("UPDATE kpis SET guardrail_breached = $1 WHERE id = $2")
                            .bind(breached)
                            .bind(kpi_id)
                            .execute(&mut *conn)
                            .await
                            .db()?;
                        let kind = if breached { "guardrail_tripped" } else { "guardrail_recovered" };
                        Self::event(conn, kind, kpi_id, serde_json::json!({"kpi": kpi.key, "value": kpi.current_value, "threshold": kpi.guardrail_threshold})).await?;
                    }
                    if breached {
                        let reason = format!(
                            "Paused by guardrail '{}': {} {} against threshold {}",
                            kpi.name,
                            kpi.current_value.map(|v| v.to_string()).unwrap_or_default(),
                            kpi.unit_of_measure,
                            kpi.guardrail_threshold.map(|t| t.to_string()).unwrap_or_else(|| "its range".into()),
                        );
                        let to_pause: Vec<(String,)> = sqlx::query_as(
                            "SELECT o.id FROM guardrail_links g JOIN objectives o ON o.id = g.objective_id \
                             JOIN cycles c ON c.id = o.cycle_id WHERE g.kpi_id = $1 AND o.status = 'active' AND c.state <> 'closed'",
                        )
                        .bind(kpi_id)
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                        for (o,) in to_pause {
                            sqlx::query(
                                "UPDATE objectives SET status = 'paused', status_reason = $1, paused_by_kpi_id = $2, \
                                 version = version + 1, updated_at = $3 WHERE id = $4",
                            )
                            .bind(&reason)
                            .bind(kpi_id)
                            .bind(now)
                            .bind(&o)
                            .execute(&mut *conn)
                            .await
                            .db()?;
                            Self::event(conn, "objective_paused", &o, serde_json::json!({"by_kpi": kpi.key, "reason": reason})).await?;
                            report.objectives_paused.push(word("objective id", &o)?);
                        }
                    } else {
                        let paused: Vec<(String,)> = sqlx::query_as(
                            "SELECT o.id FROM objectives o JOIN cycles c ON c.id = o.cycle_id \
                             WHERE o.paused_by_kpi_id = $1 AND o.status = 'paused' AND c.state <> 'closed'",
                        )
                        .bind(kpi_id)
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                        for (o,) in paused {
                            let other: Option<(String,)> = sqlx::query_as(
                                "SELECT k.id FROM guardrail_links g JOIN kpis k ON k.id = g.kpi_id \
                                 WHERE g.objective_id = $1 AND k.guardrail_breached = $2 AND k.id <> $3 LIMIT 1",
                            )
                            .bind(&o)
                            .bind(true)
                            .bind(kpi_id)
                            .fetch_optional(&mut *conn)
                            .await
                            .db()?;
                            if let Some((other,)) = other {
                                sqlx::query("UPDATE objectives SET paused_by_kpi_id = $1 WHERE id = $2")
                                    .bind(other)
                                    .bind(&o)
                                    .execute(&mut *conn)
                                    .await
                                    .db()?;
                                continue;
                            }
                            sqlx::query(
                                "UPDATE objectives SET status = 'active', status_reason = NULL, paused_by_kpi_id = NULL, \
                                 version = version + 1, updated_at = $1 WHERE id = $2",
                            )
                            .bind(now)
                            .bind(&o)
                            .execute(&mut *conn)
                            .await
                            .db()?;
                            Self::event(conn, "objective_resumed", &o, serde_json::json!({"by_kpi": kpi.key})).await?;
                            report.objectives_resumed.push(word("objective id", &o)?);
                        }
                    }
                    Ok(())
                }

                /// Key results measured from the KPI take its current value ("same query, same owner").
                async fn update_linked_key_results(conn: &mut $Conn, kpi_id: &str, report: &mut IngestReport) -> StoreResult<()> {
                    let (value,): (Option<f64>,) =
                        sqlx::query_as("SELECT current_value FROM kpis WHERE id = $1").bind(kpi_id).fetch_one(&mut *conn).await.db()?;
                    let Some(value) = value else { return Ok(()) };
                    let linked: Vec<(String, String, String, f64, f64, Option<f64>)> = sqlx::query_as(
                        "SELECT k.id, k.objective_id, k.kind, k.baseline, k.target, k.tolerance FROM key_results k \
                         JOIN objectives o ON o.id = k.objective_id JOIN cycles c ON c.id = o.cycle_id \
                         WHERE k.kpi_id = $1 AND k.status = 'active' AND c.state <> 'closed'",
                    )
                    .bind(kpi_id)
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    // Objectives before key results, in id order, as every writer locks them.
                    let objectives: BTreeSet<String> = linked.iter().map(|l| l.1.clone()).collect();
                    for o in &objectives {
                        Self::lock_objective(conn, o).await?;
                    }
                    for (kr, _objective, kind, baseline, target, tolerance) in linked {
                        let kind: KeyResultKind = word("kind", &kind)?;
                        let measure = Measure::for_kind(kind, baseline, target, tolerance)?;
                        let score = score_value(kind, &measure, value);
                        sqlx::query("UPDATE key_results SET current_value = $1, score = $2 WHERE id = $3")
                            .bind(value)
                            .bind(score.value())
                            .bind(&kr)
                            .execute(&mut *conn)
                            .await
                            .db()?;
                        report.key_results_updated.push(word("key result id", &kr)?);
                    }
                    for o in objectives {
                        Self::refresh_locked_objective(conn, &o).await?;
                    }
                    Ok(())
                }

                /// Writes period rows (insert or replace).
                async fn upsert_periods(conn: &mut $Conn, kpi: &str, rows: &[(PeriodKey, Running, Option<f64>)]) -> StoreResult<()> {
                    for chunk in rows.chunks(MAX_BINDS / 11) {
                        let mut q = QueryBuilder::<$Db>::new(
                            "INSERT INTO kpi_periods (kpi_id, granularity, segment, period_start, count, sum, min_value, \
                             max_value, last_at, last_value, value) ",
                        );
                        q.push_values(chunk, |mut b, ((g, start, segment), r, value)| {
                            b.push_bind(kpi.to_owned())
                                .push_bind(g.as_str())
                                .push_bind(segment.clone())
                                .push_bind(start.to_string())
                                .push_bind(r.count)
                                .push_bind(r.sum)
                                .push_bind(r.min)
                                .push_bind(r.max)
                                .push_bind(r.last_at)
                                .push_bind(r.last_value)
                                .push_bind(*value);
                        });
                        q.push(
                            " ON CONFLICT (kpi_id, granularity, segment, period_start) DO UPDATE SET count = excluded.count, \
                             sum = excluded.sum, min_value = excluded.min_value, max_value = excluded.max_value, \
                             last_at = excluded.last_at, last_value = excluded.last_value, value = excluded.value",
                        );
                        q.build().execute(&mut *conn).await.db()?;
                    }
                    Ok(())
                }

                /// Stores one KPI's points and updates its period rows. Returns the periods
                /// (all segments) whose values changed, for derived KPIs.
                async fn ingest_kpi(
                    conn: &mut $Conn,
                    kpi: &Kpi,
                    points: Vec<(i64, f64, String)>,
                    report: &mut IngestReport,
                ) -> StoreResult<BTreeSet<(Granularity, NaiveDate)>> {
                    let id = kpi.id.to_string();
                    // Serialise ingests of one KPI (PostgreSQL row lock; SQLite has one writer).
                    sqlx::query("UPDATE kpis SET version = version WHERE id = $1").bind(&id).execute(&mut *conn).await.db()?;
                    // The last of several points with the same time and segment wins.
                    let mut batch: BTreeMap<(String, i64), f64> = BTreeMap::new();
                    for (at, value, segment) in points {
                        batch.insert((segment, at), value);
                    }
                    let min_at = batch.keys().map(|k| k.1).min().expect("non-empty batch");
                    let max_at = batch.keys().map(|k| k.1).max().expect("non-empty batch");
                    let stored: Vec<(String, i64, f64)> = sqlx::query_as(
                        "SELECT segment, at, value FROM measurements WHERE kpi_id = $1 AND at >= $2 AND at <= $3",
                    )
                    .bind(&id)
                    .bind(min_at)
                    .bind(max_at)
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
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
                    let received = micros(Utc::now());
                    for chunk in changed.chunks(MAX_BINDS / 5) {
                        let mut q = QueryBuilder::<$Db>::new("INSERT INTO measurements (kpi_id, segment, at, value, received_at) ");
                        q.push_values(chunk, |mut b, (segment, at, value, _)| {
                            b.push_bind(id.clone()).push_bind(segment.clone()).push_bind(*at).push_bind(*value).push_bind(received);
                        });
                        q.push(" ON CONFLICT (kpi_id, segment, at) DO UPDATE SET value = excluded.value, received_at = excluded.received_at");
                        q.build().execute(&mut *conn).await.db()?;
                    }

                    // Which periods the new points fall in, per segment and for all segments.
                    let percentile = kpi.aggregation.percentile().is_some();
                    let mut touched: BTreeMap<PeriodKey, (Vec<(i64, f64)>, bool)> = BTreeMap::new();
                    for (segment, at, value, replaced) in &changed {
                        let day = time("at", *at)?.date_naive();
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
                    let sql = format!(
                        "SELECT {PERIOD_COLUMNS} FROM kpi_periods WHERE kpi_id = $1 AND period_start >= $2 AND period_start <= $3"
                    );
                    let existing: Vec<PeriodRow> = sqlx::query_as(&sql)
                        .bind(&id)
                        .bind(first_start.to_string())
                        .bind(last_start.to_string())
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                    let mut existing_map: HashMap<PeriodKey, Running> = HashMap::new();
                    for r in existing {
                        let key = (word("granularity", &r.granularity)?, date("period_start", &r.period_start)?, r.segment.clone());
                        existing_map.insert(
                            key,
                            Running { count: r.count, sum: r.sum, min: r.min_value, max: r.max_value, last_at: r.last_at, last_value: r.last_value },
                        );
                    }
                    // Periods that need their points again (a replaced point, or a percentile):
                    // read the raw points of just those periods, once.
                    let recompute: Vec<&PeriodKey> = touched.iter().filter(|(_, (_, r))| *r).map(|(k, _)| k).collect();
                    let mut raw: Vec<(String, i64, f64)> = Vec::new();
                    if !recompute.is_empty() {
                        let from = recompute.iter().map(|k| k.1).min().expect("some");
                        let to = recompute.iter().map(|(g, s, _)| Period { granularity: *g, start: *s }.next_start()).max().expect("some");
                        let (from, to) = (micros(from.and_hms_opt(0, 0, 0).expect("midnight").and_utc()), micros(to.and_hms_opt(0, 0, 0).expect("midnight").and_utc()));
                        raw = sqlx::query_as("SELECT segment, at, value FROM measurements WHERE kpi_id = $1 AND at >= $2 AND at < $3")
                            .bind(&id)
                            .bind(from)
                            .bind(to)
                            .fetch_all(&mut *conn)
                            .await
                            .db()?;
                    }
                    let mut rows = Vec::with_capacity(touched.len());
                    let mut total_periods = BTreeSet::new();
                    for (key, (new_points, needs_raw)) in touched {
                        let (g, start, segment) = &key;
                        let (running, values) = if needs_raw {
                            let period = Period { granularity: *g, start: *start };
                            let pts: Vec<(i64, f64)> = raw
                                .iter()
                                .filter(|(s, at, _)| {
                                    (segment.is_empty() || s == segment)
                                        && time("at", *at).map(|t| period.contains(t.date_naive())).unwrap_or(false)
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
                        // Two points of 1.7e308 in one day add up to infinity: refused, never
                        // stored as a period that reads "healthy".
                        if !running.sum.is_finite() || value.is_some_and(|v| !v.is_finite()) {
                            return Err(DomainError::Overflow { field: "value" }.into());
                        }
                        if segment.is_empty() {
                            total_periods.insert((*g, *start));
                        }
                        rows.push((key, running, value));
                    }
                    Self::upsert_periods(conn, &id, &rows).await?;
                    sqlx::query(
                        "UPDATE kpis SET first_point_at = CASE WHEN first_point_at IS NULL OR first_point_at > $1 THEN $1 ELSE first_point_at END, \
                         last_point_at = CASE WHEN last_point_at IS NULL OR last_point_at < $2 THEN $2 ELSE last_point_at END WHERE id = $3",
                    )
                    .bind(min_at)
                    .bind(max_at)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .db()?;
                    Ok(total_periods)
                }

                /// Recomputes a derived KPI's values for the given periods from its inputs.
                async fn recompute_derived(conn: &mut $Conn, kpi: &Kpi, periods: &BTreeSet<(Granularity, NaiveDate)>) -> StoreResult<bool> {
                    let Some(source) = kpi.formula.as_deref() else { return Ok(false) };
                    if periods.is_empty() {
                        return Ok(false);
                    }
                    let formula = Formula::parse(source).map_err(DomainError::from)?;
                    let inputs: Vec<(String, String)> = sqlx::query_as(
                        "SELECT k.id, k.key FROM kpi_inputs i JOIN kpis k ON k.id = i.input_id WHERE i.kpi_id = $1",
                    )
                    .bind(kpi.id.to_string())
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    let key_of: HashMap<String, String> = inputs.iter().cloned().collect();
                    let from = periods.iter().map(|p| p.1).min().expect("some");
                    let to = periods.iter().map(|p| p.1).max().expect("some");
                    let mut q = QueryBuilder::<$Db>::new("SELECT kpi_id, granularity, period_start, value, last_at FROM kpi_periods WHERE segment = '' AND period_start >= ");
                    q.push_bind(from.to_string()).push(" AND period_start <= ").push_bind(to.to_string()).push(" AND kpi_id IN (");
                    let mut list = q.separated(", ");
                    for (id, _) in &inputs {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    let rows: Vec<(String, String, String, Option<f64>, i64)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    let mut values: HashMap<(Granularity, NaiveDate), (HashMap<String, f64>, i64)> = HashMap::new();
                    for (kpi_id, g, start, value, last_at) in rows {
                        let key = (word("granularity", &g)?, date("period_start", &start)?);
                        if !periods.contains(&key) {
                            continue;
                        }
                        let entry = values.entry(key).or_default();
                        if let (Some(v), Some(k)) = (value, key_of.get(&kpi_id)) {
                            entry.0.insert(k.clone(), v);
                        }
                        entry.1 = entry.1.max(last_at);
                    }
                    let mut upserts = Vec::new();
                    let mut deletes = Vec::new();
                    for p in periods {
                        let evaluated = values.get(p).and_then(|(vals, last_at)| formula.eval(&|k| vals.get(k).copied()).ok().map(|v| (v, *last_at)));
                        match evaluated.filter(|(v, _)| v.is_finite()) {
                            Some((v, last_at)) => upserts.push(((p.0, p.1, String::new()), Running { count: 1, sum: v, min: v, max: v, last_at, last_value: v }, Some(v))),
                            None => deletes.push(*p),
                        }
                    }
                    Self::upsert_periods(conn, &kpi.id.to_string(), &upserts).await?;
                    for (g, start) in deletes {
                        sqlx::query("DELETE FROM kpi_periods WHERE kpi_id = $1 AND granularity = $2 AND segment = '' AND period_start = $3")
                            .bind(kpi.id.to_string())
                            .bind(g.as_str())
                            .bind(start.to_string())
                            .execute(&mut *conn)
                            .await
                            .db()?;
                    }
                    if let Some(last) = upserts.iter().map(|u| u.1.last_at).max() {
                        sqlx::query("UPDATE kpis SET last_point_at = CASE WHEN last_point_at IS NULL OR last_point_at < $1 THEN $1 ELSE last_point_at END, \
                                     first_point_at = CASE WHEN first_point_at IS NULL OR first_point_at > $1 THEN $1 ELSE first_point_at END WHERE id = $2")
                            .bind(last)
                            .bind(kpi.id.to_string())
                            .execute(&mut *conn)
                            .await
                            .db()?;
                    }
                    Ok(true)
                }

                /// After a KPI's periods changed: its summary, guardrail and linked key results.
                async fn after_change(conn: &mut $Conn, kpi: &Kpi, report: &mut IngestReport) -> StoreResult<()> {
                    Self::refresh_summary(conn, kpi).await?;
                    Self::apply_guardrail(conn, &kpi.id.to_string(), report).await?;
                    Self::update_linked_key_results(conn, &kpi.id.to_string(), report).await?;
                    report.kpis_updated.push(kpi.id);
                    Ok(())
                }

                /// Updates every derived KPI that reads a changed one, inputs before users.
                async fn propagate(conn: &mut $Conn, changed: BTreeMap<String, BTreeSet<(Granularity, NaiveDate)>>, report: &mut IngestReport) -> StoreResult<()> {
                    if changed.is_empty() {
                        return Ok(());
                    }
                    let edges: Vec<(String, String)> = sqlx::query_as("SELECT kpi_id, input_id FROM kpi_inputs").fetch_all(&mut *conn).await.db()?;
                    if edges.is_empty() {
                        return Ok(());
                    }
                    let mut users_of: HashMap<String, Vec<String>> = HashMap::new();
                    let mut inputs_of: HashMap<String, Vec<String>> = HashMap::new();
                    for (user, input) in edges {
                        users_of.entry(input.clone()).or_default().push(user.clone());
                        inputs_of.entry(user).or_default().push(input);
                    }
                    const ROOT: &str = "";
                    users_of.insert(ROOT.to_owned(), changed.keys().cloned().collect());
                    let mut periods_of = changed;
                    for derived in dependents_in_order(ROOT, &users_of) {
                        if periods_of.contains_key(&derived) && inputs_of.get(&derived).is_none() {
                            continue;
                        }
                        let periods: BTreeSet<_> = inputs_of
                            .get(&derived)
                            .into_iter()
                            .flatten()
                            .filter_map(|i| periods_of.get(i))
                            .flatten()
                            .copied()
                            .collect();
                        let Some(kpi) = Self::kpi_in(conn, &derived).await? else { continue };
                        if Self::recompute_derived(conn, &kpi, &periods).await? {
                            Self::after_change(conn, &kpi, report).await?;
                            periods_of.insert(derived, periods);
                        }
                    }
                    Ok(())
                }
            }

            #[async_trait]
            impl KpiStore for $Store {
                async fn create_kpi(&self, new: NewKpi) -> StoreResult<Kpi> {
                    let mut tx = self.write.begin().await.db()?;
                    Self::check_kpi_refs(&mut tx, new.owner_id, new.unit_id, new.counterweight_id, None).await?;
                    check_guardrail(new.guardrail, new.direction, new.guardrail_threshold, new.target)?;
                    let id = KpiId(new_id());
                    let key = id.to_string();
                    // A derived KPI reads existing KPIs by key, never itself or in a loop.
                    let mut inputs: Vec<(String, String)> = Vec::new();
                    if let Some(formula) = &new.formula {
                        let names = formula.names();
                        let mut q = QueryBuilder::<$Db>::new("SELECT id, key FROM kpis WHERE key IN (");
                        let mut list = q.separated(", ");
                        for n in &names {
                            list.push_bind(n.clone());
                        }
                        q.push(")");
                        inputs = q.build_query_as().fetch_all(&mut *tx).await.db()?;
                        let known: HashSet<&str> = inputs.iter().map(|(_, k)| k.as_str()).collect();
                        formula.check_names(&new.key, |n| known.contains(n)).map_err(DomainError::from)?;
                        let all: Vec<(String, String)> = sqlx::query_as(
                            "SELECT u.key, i.key FROM kpi_inputs x JOIN kpis u ON u.id = x.kpi_id JOIN kpis i ON i.id = x.input_id",
                        )
                        .fetch_all(&mut *tx)
                        .await
                        .db()?;
                        let mut inputs_of: HashMap<String, Vec<String>> = HashMap::new();
                        for (u, i) in all {
                            inputs_of.entry(u).or_default().push(i);
                        }
                        check_no_cycle(&new.key, &names, &inputs_of).map_err(DomainError::from)?;
                    }
                    let (tv, lo, hi) = target_columns(new.target);
                    let now = micros(Utc::now());
                    sqlx::query(
                        "INSERT INTO kpis (id, version, created_at, updated_at, key, name, description, owner_id, unit_id, \
                         unit_of_measure, formula, query, cadence, aggregation, direction, target_value, range_low, range_high, \
                         target_set_on, baseline, caveats, class, timing, flow, nature, north_star, guardrail, guardrail_threshold, \
                         counterweight_id, valid_min, valid_max, warning_from_pct, window_periods, guardrail_breached) \
                         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                         $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)",
                    )
                    .bind(&key)
                    .bind(now)
                    .bind(&new.key)
                    .bind(&new.name)
                    .bind(&new.description)
                    .bind(new.owner_id.map(|p| p.to_string()))
                    .bind(new.unit_id.map(|u| u.to_string()))
                    .bind(&new.unit_of_measure)
                    .bind(new.formula.as_ref().map(|f| f.source().to_owned()))
                    .bind(&new.query)
                    .bind(new.cadence.as_str())
                    .bind(new.aggregation.as_str())
                    .bind(new.direction.as_str())
                    .bind(tv)
                    .bind(lo)
                    .bind(hi)
                    .bind(new.target_set_on.map(|d| d.to_string()))
                    .bind(new.baseline)
                    .bind(&new.caveats)
                    .bind(new.class.as_str())
                    .bind(new.timing.as_str())
                    .bind(new.flow.as_str())
                    .bind(new.nature.as_str())
                    .bind(new.north_star)
                    .bind(new.guardrail)
                    .bind(new.guardrail_threshold)
                    .bind(new.counterweight_id.map(|k| k.to_string()))
                    .bind(new.valid_min)
                    .bind(new.valid_max)
                    .bind(new.warning_from_pct)
                    .bind(new.window_periods)
                    .bind(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_or(e, "key", &new.key))?;
                    Self::record_target(&mut tx, &key, new.target, new.target_set_on).await?;
                    for (input, _) in &inputs {
                        sqlx::query("INSERT INTO kpi_inputs (kpi_id, input_id) VALUES ($1, $2)")
                            .bind(&key)
                            .bind(input)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                    }
                    let kpi = Self::kpi_in(&mut tx, &key).await?.expect("just inserted");
                    if !inputs.is_empty() {
                        // Backfill: every period where an input has a value.
                        let mut q = QueryBuilder::<$Db>::new("SELECT DISTINCT granularity, period_start FROM kpi_periods WHERE segment = '' AND kpi_id IN (");
                        let mut list = q.separated(", ");
                        for (input, _) in &inputs {
                            list.push_bind(input.clone());
                        }
                        q.push(")");
                        let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *tx).await.db()?;
                        let periods = rows
                            .iter()
                            .map(|(g, s)| Ok((word("granularity", g)?, date("period_start", s)?)))
                            .collect::<StoreResult<BTreeSet<_>>>()?;
                        Self::recompute_derived(&mut tx, &kpi, &periods).await?;
                        Self::refresh_summary(&mut tx, &kpi).await?;
                    }
                    let kpi = Self::kpi_in(&mut tx, &key).await?.expect("just inserted");
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(kpi)
                }

                async fn get_kpi(&self, id: KpiId) -> StoreResult<Kpi> {
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kpi_in(&mut conn, &id.to_string()).await?.ok_or_else(|| not_found(id))
                }

                async fn find_kpi_by_key(&self, key: &str) -> StoreResult<Kpi> {
                    let sql = format!("SELECT {KPI_COLUMNS} FROM kpis WHERE key = $1");
                    let row: Option<KpiRow> = sqlx::query_as(&sql).bind(key).fetch_optional(&self.read).await.db()?;
                    row.map(Kpi::try_from)
                        .transpose()?
                        .ok_or_else(|| StoreError::NotFound { entity: "KPI", id: key.to_owned() })
                }

                async fn list_kpis(&self, filter: KpiFilter, page: PageRequest) -> StoreResult<Page<Kpi>> {
                    let mut q = QueryBuilder::<$Db>::new(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE 1 = 1"));
                    if let Some(u) = filter.unit_id {
                        q.push(" AND unit_id = ").push_bind(u.to_string());
                    }
                    if let Some(p) = filter.owner_id {
                        q.push(" AND owner_id = ").push_bind(p.to_string());
                    }
                    if let Some(k) = filter.kra_id {
                        q.push(" AND id IN (SELECT kpi_id FROM kra_kpis WHERE kra_id = ").push_bind(k.to_string()).push(")");
                    }
                    if let Some(g) = filter.guardrail {
                        q.push(" AND guardrail = ").push_bind(g);
                    }
                    if let Some(n) = filter.north_star {
                        q.push(" AND north_star = ").push_bind(n);
                    }
                    if filter.missing_counterweight {
                        q.push(" AND nature IN ('speed', 'volume') AND counterweight_id IS NULL \
                                 AND id NOT IN (SELECT counterweight_id FROM kpis WHERE counterweight_id IS NOT NULL)");
                    }
                    if let Some(after) = &page.after {
                        q.push(" AND id > ").push_bind(after.clone());
                    }
                    q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                    let rows: Vec<KpiRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                    Ok(Page::from_rows(convert(rows)?, page.limit, |k: &Kpi| k.id.to_string()))
                }

                async fn update_kpi(&self, id: KpiId, version: i64, patch: KpiPatch) -> StoreResult<Kpi> {
                    let mut tx = self.write.begin().await.db()?;
                    let key = id.to_string();
                    let cur = Self::kpi_in(&mut tx, &key).await?.ok_or_else(|| not_found(id))?;
                    check_version("KPI", &key, cur.version, version)?;
                    let owner = patch.owner_id.unwrap_or(cur.owner_id);
                    let unit = patch.unit_id.unwrap_or(cur.unit_id);
                    let counterweight = patch.counterweight_id.unwrap_or(cur.counterweight_id);
                    Self::check_kpi_refs(&mut tx, owner, unit, counterweight, Some(id)).await?;
                    let (target, set_on) = patch.target.unwrap_or((cur.target, cur.target_set_on));
                    let guardrail = patch.guardrail.unwrap_or(cur.guardrail);
                    let threshold = patch.guardrail_threshold.unwrap_or(cur.guardrail_threshold);
                    check_guardrail(guardrail, cur.direction, threshold, target)?;
                    if let Some(t) = target {
                        // The direction is fixed at creation; the target must fit it.
                        Target::new(
                            cur.direction,
                            match t { Target::Value { value } => Some(value), _ => None },
                            match t { Target::Range { low, .. } => Some(low), _ => None },
                            match t { Target::Range { high, .. } => Some(high), _ => None },
                        )?;
                    }
                    let (tv, lo, hi) = target_columns(target);
                    let done = sqlx::query(
                        "UPDATE kpis SET version = version + 1, updated_at = $1, name = $2, description = $3, owner_id = $4, \
                         unit_id = $5, unit_of_measure = $6, query = $7, cadence = $8, target_value = $9, range_low = $10, \
                         range_high = $11, target_set_on = $12, baseline = $13, caveats = $14, class = $15, timing = $16, flow = $17, \
                         nature = $18, north_star = $19, guardrail = $20, guardrail_threshold = $21, counterweight_id = $22, \
                         valid_min = $23, valid_max = $24, warning_from_pct = $25, window_periods = $26 WHERE id = $27 AND version = $28",
                    )
                    .bind(micros(Utc::now()))
                    .bind(patch.name.unwrap_or(cur.name))
                    .bind(patch.description.unwrap_or(cur.description))
                    .bind(owner.map(|p| p.to_string()))
                    .bind(unit.map(|u| u.to_string()))
                    .bind(patch.unit_of_measure.unwrap_or(cur.unit_of_measure))
                    .bind(patch.query.unwrap_or(cur.query))
                    .bind(patch.cadence.unwrap_or(cur.cadence).as_str())
                    .bind(tv)
                    .bind(lo)
                    .bind(hi)
                    .bind(set_on.map(|d| d.to_string()))
                    .bind(patch.baseline.unwrap_or(cur.baseline))
                    .bind(patch.caveats.unwrap_or(cur.caveats))
                    .bind(patch.class.unwrap_or(cur.class).as_str())
                    .bind(patch.timing.unwrap_or(cur.timing).as_str())
                    .bind(patch.flow.unwrap_or(cur.flow).as_str())
                    .bind(patch.nature.unwrap_or(cur.nature).as_str())
                    .bind(patch.north_star.unwrap_or(cur.north_star))
                    .bind(guardrail)
                    .bind(threshold)
                    .bind(counterweight.map(|k| k.to_string()))
                    .bind(patch.valid_min.unwrap_or(cur.valid_min))
                    .bind(patch.valid_max.unwrap_or(cur.valid_max))
                    .bind(patch.warning_from_pct.unwrap_or(cur.warning_from_pct))
                    .bind(patch.window_periods.unwrap_or(cur.window_periods))
                    .bind(&key)
                    .bind(version)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    applied("KPI", &key, done.rows_affected(), version)?;
                    if patch.target.is_some() {
                        Self::record_target(&mut tx, &key, target, set_on).await?;
                    }
                    // Target, cadence or threshold may change health and guardrail state.
                    let kpi = Self::kpi_in(&mut tx, &key).await?.expect("exists");
                    Self::refresh_summary(&mut tx, &kpi).await?;
                    Self::apply_guardrail(&mut tx, &key, &mut IngestReport::default()).await?;
                    let kpi = Self::kpi_in(&mut tx, &key).await?.expect("exists");
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(kpi)
                }

                async fn kpi_target_history(&self, id: KpiId) -> StoreResult<Vec<TargetChange>> {
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kpi_in(&mut conn, &id.to_string()).await?.ok_or_else(|| not_found(id))?;
                    let rows: Vec<(Option<f64>, Option<f64>, Option<f64>, Option<String>, i64)> = sqlx::query_as(
                        "SELECT target_value, range_low, range_high, set_on, recorded_at FROM kpi_targets WHERE kpi_id = $1 \
                         ORDER BY recorded_at, id",
                    )
                    .bind(id.to_string())
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    rows.into_iter()
                        .map(|(v, lo, hi, set_on, at)| {
                            Ok(TargetChange {
                                target: target_of(v, lo, hi),
                                set_on: set_on.as_deref().map(|d| date("set_on", d)).transpose()?,
                                recorded_at: time("recorded_at", at)?,
                            })
                        })
                        .collect()
                }

                async fn ingest(&self, points: Vec<NewMeasurement>) -> StoreResult<IngestReport> {
                    let mut report = IngestReport::default();
                    if points.is_empty() {
                        return Ok(report);
                    }
                    let mut by_kpi: BTreeMap<KpiId, (usize, Vec<(i64, f64, String)>)> = BTreeMap::new();
                    for (i, p) in points.into_iter().enumerate() {
                        let entry = by_kpi.entry(p.kpi_id).or_insert_with(|| (i + 1, Vec::new()));
                        entry.1.push((micros(p.at), p.value, p.segment.unwrap_or_default()));
                    }
                    let mut tx = self.write.begin().await.db()?;
                    let mut changed = BTreeMap::new();
                    for (kpi_id, (first_row, pts)) in by_kpi {
                        let _ = first_row;
                        let kpi = Self::kpi_in(&mut tx, &kpi_id.to_string()).await?.ok_or_else(|| {
                            StoreError::UnknownReference { field: "kpi", entity: "KPI", id: kpi_id.to_string() }
                        })?;
                        if kpi.aggregation.is_derived() {
                            return Err(DomainError::DerivedKpi { kpi: kpi.key }.into());
                        }
                        let periods = Self::ingest_kpi(&mut tx, &kpi, pts, &mut report).await?;
                        if !periods.is_empty() {
                            Self::after_change(&mut tx, &kpi, &mut report).await?;
                            changed.insert(kpi.id.to_string(), periods);
                        }
                    }
                    Self::propagate(&mut tx, changed, &mut report).await?;
                    tx.commit().await.db()?;
                self.after_commit().await;
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
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kpi_in(&mut conn, &kpi.to_string()).await?.ok_or_else(|| not_found(kpi))?;
                    let mut q = QueryBuilder::<$Db>::new("SELECT segment, at, value FROM measurements WHERE kpi_id = ");
                    q.push_bind(kpi.to_string());
                    if let Some(s) = &segment {
                        q.push(" AND segment = ").push_bind(s.clone());
                    }
                    if let Some(f) = from {
                        q.push(" AND at >= ").push_bind(micros(f));
                    }
                    if let Some(t) = to {
                        q.push(" AND at <= ").push_bind(micros(t));
                    }
                    // Newest first; the cursor is "at.segment-free position": at micros and a row index.
                    if let Some(after) = &page.after {
                        let (at, seg) = after.split_once('.').unwrap_or((after.as_str(), ""));
                        let at: i64 = at.parse().map_err(|_| StoreError::InvalidCursor)?;
                        let seg = String::from_utf8(seg.bytes().collect()).unwrap_or_default();
                        q.push(" AND (at < ").push_bind(at).push(" OR (at = ").push_bind(at).push(" AND segment < ").push_bind(hex_decode(&seg)).push("))");
                    }
                    q.push(" ORDER BY at DESC, segment DESC LIMIT ").push_bind(page.limit as i64 + 1);
                    let rows: Vec<(String, i64, f64)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    let items = rows
                        .into_iter()
                        .map(|(s, at, value)| Ok(Measurement { kpi_id: kpi, at: time("at", at)?, value, segment: (!s.is_empty()).then_some(s) }))
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page::from_rows(items, page.limit, |m: &Measurement| {
                        format!("{}.{}", micros(m.at), hex_encode(m.segment.as_deref().unwrap_or("")))
                    }))
                }

                async fn list_periods(&self, kpi: KpiId, granularity: Granularity, segment: Option<String>, from: Option<NaiveDate>, to: Option<NaiveDate>, limit: u32) -> StoreResult<Vec<PeriodValue>> {
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kpi_in(&mut conn, &kpi.to_string()).await?.ok_or_else(|| not_found(kpi))?;
                    let mut q = QueryBuilder::<$Db>::new(format!("SELECT {PERIOD_COLUMNS} FROM kpi_periods WHERE kpi_id = "));
                    q.push_bind(kpi.to_string()).push(" AND granularity = ").push_bind(granularity.as_str());
                    q.push(" AND segment = ").push_bind(segment.unwrap_or_default());
                    if let Some(f) = from {
                        q.push(" AND period_start >= ").push_bind(Period::containing(granularity, f).start.to_string());
                    }
                    if let Some(t) = to {
                        q.push(" AND period_start <= ").push_bind(t.to_string());
                    }
                    q.push(" ORDER BY period_start DESC LIMIT ").push_bind(limit as i64);
                    let rows: Vec<PeriodRow> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    let mut out: Vec<PeriodValue> = convert(rows)?;
                    out.reverse();
                    Ok(out)
                }

                async fn kpi_segments(&self, kpi: KpiId) -> StoreResult<Vec<String>> {
                    // Quarter rows: one per segment per quarter, far fewer than raw points.
                    let rows: Vec<(String,)> = sqlx::query_as(
                        "SELECT DISTINCT segment FROM kpi_periods WHERE kpi_id = $1 AND granularity = 'quarter' AND segment <> '' ORDER BY segment",
                    )
                    .bind(kpi.to_string())
                    .fetch_all(&self.read)
                    .await
                    .db()?;
                    Ok(rows.into_iter().map(|(s,)| s).collect())
                }

                async fn create_kpi_edge(&self, new: NewKpiEdge) -> StoreResult<KpiEdge> {
                    let mut tx = self.write.begin().await.db()?;
                    Self::require_ref(&mut tx, "kpis", "KPI", "parent_id", Some(new.parent_id.to_string())).await?;
                    Self::require_ref(&mut tx, "kpis", "KPI", "child_id", Some(new.child_id.to_string())).await?;
                    let edges: Vec<(String, String)> = sqlx::query_as("SELECT child_id, parent_id FROM kpi_edges").fetch_all(&mut *tx).await.db()?;
                    let mut parents_of: HashMap<KpiId, Vec<KpiId>> = HashMap::new();
                    for (c, p) in edges {
                        parents_of.entry(word("child_id", &c)?).or_default().push(word("parent_id", &p)?);
                    }
                    let stars: Vec<(String,)> = sqlx::query_as("SELECT id FROM kpis WHERE north_star = $1").bind(true).fetch_all(&mut *tx).await.db()?;
                    let stars: HashSet<KpiId> = stars.iter().map(|(s,)| word("kpi id", s)).collect::<StoreResult<_>>()?;
                    check_new_edge(new.parent_id, new.child_id, &parents_of, |k| stars.contains(&k))?;
                    let id = KpiEdgeId(new_id());
                    let now = micros(Utc::now());
                    sqlx::query(
                        "INSERT INTO kpi_edges (id, version, created_at, updated_at, parent_id, child_id, influence, confidence, sign) \
                         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id.to_string())
                    .bind(now)
                    .bind(new.parent_id.to_string())
                    .bind(new.child_id.to_string())
                    .bind(new.influence.as_str())
                    .bind(new.confidence.as_str())
                    .bind(new.sign.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_or(e, "child_id", "this edge already exists"))?;
                    let sql = format!("SELECT {EDGE_COLUMNS} FROM kpi_edges WHERE id = $1");
                    let row: EdgeRow = sqlx::query_as(&sql).bind(id.to_string()).fetch_one(&mut *tx).await.db()?;
                    tx.commit().await.db()?;
                self.after_commit().await;
                    KpiEdge::try_from(row)
                }

                async fn delete_kpi_edge(&self, id: KpiEdgeId) -> StoreResult<()> {
                    let done = sqlx::query("DELETE FROM kpi_edges WHERE id = $1").bind(id.to_string()).execute(&self.write).await.db()?;
                    self.after_commit().await;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound { entity: "KPI edge", id: id.to_string() });
                    }
                    Ok(())
                }

                async fn kpi_tree(&self, root: KpiId, max_nodes: usize) -> StoreResult<(Vec<Kpi>, Vec<KpiEdge>)> {
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kpi_in(&mut conn, &root.to_string()).await?.ok_or_else(|| not_found(root))?;
                    let sql = format!(
                        "WITH RECURSIVE down(id) AS (SELECT CAST($1 AS TEXT) UNION SELECT e.child_id FROM kpi_edges e JOIN down ON e.parent_id = down.id) \
                         SELECT {EDGE_COLUMNS} FROM kpi_edges WHERE parent_id IN (SELECT id FROM down) ORDER BY id LIMIT $2"
                    );
                    let rows: Vec<EdgeRow> = sqlx::query_as(&sql).bind(root.to_string()).bind(max_nodes as i64).fetch_all(&mut *conn).await.db()?;
                    let edges: Vec<KpiEdge> = convert(rows)?;
                    let mut ids = vec![root.to_string()];
                    for e in &edges {
                        for k in [e.parent_id.to_string(), e.child_id.to_string()] {
                            if !ids.contains(&k) {
                                ids.push(k);
                            }
                        }
                    }
                    let mut kpis = Self::kpis_by_ids(&mut conn, &ids).await?;
                    kpis.sort_by_key(|k| ids.iter().position(|i| *i == k.id.to_string()));
                    Ok((kpis, edges))
                }

                async fn create_kra(&self, new: NewKra) -> StoreResult<Kra> {
                    let mut tx = self.write.begin().await.db()?;
                    let id = KraId(new_id());
                    let now = micros(Utc::now());
                    sqlx::query("INSERT INTO kras (id, version, created_at, updated_at, name, role, description) VALUES ($1, 1, $2, $2, $3, $4, $5)")
                        .bind(id.to_string())
                        .bind(now)
                        .bind(&new.name)
                        .bind(&new.role)
                        .bind(&new.description)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    Self::write_kra_kpis(&mut tx, id, &new.kpi_ids).await?;
                    let kra = Self::kra_in(&mut tx, id).await?.expect("just inserted");
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(kra)
                }

                async fn get_kra(&self, id: KraId) -> StoreResult<Kra> {
                    let mut conn = self.read.acquire().await.db()?;
                    Self::kra_in(&mut conn, id).await?.ok_or_else(|| StoreError::NotFound { entity: "KRA", id: id.to_string() })
                }

                async fn list_kras(&self, page: PageRequest) -> StoreResult<Page<Kra>> {
                    let mut conn = self.read.acquire().await.db()?;
                    let mut q = QueryBuilder::<$Db>::new("SELECT id FROM kras WHERE 1 = 1");
                    if let Some(after) = &page.after {
                        q.push(" AND id > ").push_bind(after.clone());
                    }
                    q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                    let ids: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    let mut kras = Vec::new();
                    for (id,) in ids {
                        kras.extend(Self::kra_in(&mut conn, word("kra id", &id)?).await?);
                    }
                    Ok(Page::from_rows(kras, page.limit, |k: &Kra| k.id.to_string()))
                }

                async fn set_kra_kpis(&self, id: KraId, version: ExpectedVersion, kpi_ids: Vec<KpiId>) -> StoreResult<Kra> {
                    let mut tx = self.write.begin().await.db()?;
                    let cur = Self::kra_in(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound { entity: "KRA", id: id.to_string() })?;
                    let expected = version.unwrap_or(cur.version);
                    check_version("KRA", &id.to_string(), cur.version, expected)?;
                    let done = sqlx::query("UPDATE kras SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                        .bind(micros(Utc::now()))
                        .bind(id.to_string())
                        .bind(expected)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    applied("KRA", &id.to_string(), done.rows_affected(), expected)?;
                    sqlx::query("DELETE FROM kra_kpis WHERE kra_id = $1").bind(id.to_string()).execute(&mut *tx).await.db()?;
                    Self::write_kra_kpis(&mut tx, id, &kpi_ids).await?;
                    let kra = Self::kra_in(&mut tx, id).await?.expect("exists");
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(kra)
                }

                async fn link_guardrail(&self, kpi: KpiId, objective: ObjectiveId) -> StoreResult<(GuardrailLink, IngestReport)> {
                    let mut tx = self.write.begin().await.db()?;
                    let k = Self::kpi_in(&mut tx, &kpi.to_string()).await?.ok_or_else(|| StoreError::UnknownReference {
                        field: "kpi_id",
                        entity: "KPI",
                        id: kpi.to_string(),
                    })?;
                    if !k.guardrail {
                        return Err(DomainError::NotAGuardrail { kpi: k.key }.into());
                    }
                    let o = Self::objective_in(&mut tx, &objective.to_string()).await?.ok_or_else(|| StoreError::UnknownReference {
                        field: "objective_id",
                        entity: "objective",
                        id: objective.to_string(),
                    })?;
                    if o.cycle.state == quarterdeck_domain::cycle::CycleState::Closed {
                        return Err(DomainError::CycleClosed.into());
                    }
                    let id = GuardrailLinkId(new_id());
                    let now = micros(Utc::now());
                    sqlx::query("INSERT INTO guardrail_links (id, created_at, kpi_id, objective_id) VALUES ($1, $2, $3, $4)")
                        .bind(id.to_string())
                        .bind(now)
                        .bind(kpi.to_string())
                        .bind(objective.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_or(e, "objective_id", "this guardrail is already linked to the objective"))?;
                    let mut report = IngestReport::default();
                    Self::apply_guardrail(&mut tx, &kpi.to_string(), &mut report).await?;
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok((GuardrailLink { id, created_at: time("created_at", now)?, kpi_id: kpi, objective_id: objective }, report))
                }

                async fn unlink_guardrail(&self, id: GuardrailLinkId) -> StoreResult<()> {
                    let mut tx = self.write.begin().await.db()?;
                    let link: Option<(String, String)> = sqlx::query_as("SELECT kpi_id, objective_id FROM guardrail_links WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                    let Some((kpi, objective)) = link else {
                        return Err(StoreError::NotFound { entity: "guardrail link", id: id.to_string() });
                    };
                    sqlx::query("DELETE FROM guardrail_links WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await.db()?;
                    // An objective this guardrail paused is released with the link.
                    let paused: Option<(String,)> = sqlx::query_as("SELECT id FROM objectives WHERE id = $1 AND paused_by_kpi_id = $2 AND status = 'paused'")
                        .bind(&objective)
                        .bind(&kpi)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                    if paused.is_some() {
                        sqlx::query("UPDATE objectives SET status = 'active', status_reason = NULL, paused_by_kpi_id = NULL, version = version + 1, updated_at = $1 WHERE id = $2")
                            .bind(micros(Utc::now()))
                            .bind(&objective)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                    }
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(())
                }

                async fn list_guardrail_links(&self, kpi: Option<KpiId>, objective: Option<ObjectiveId>, page: PageRequest) -> StoreResult<Page<GuardrailLink>> {
                    let mut q = QueryBuilder::<$Db>::new("SELECT id, created_at, kpi_id, objective_id FROM guardrail_links WHERE 1 = 1");
                    if let Some(k) = kpi {
                        q.push(" AND kpi_id = ").push_bind(k.to_string());
                    }
                    if let Some(o) = objective {
                        q.push(" AND objective_id = ").push_bind(o.to_string());
                    }
                    if let Some(after) = &page.after {
                        q.push(" AND id > ").push_bind(after.clone());
                    }
                    q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                    let rows: Vec<(String, i64, String, String)> = q.build_query_as().fetch_all(&self.read).await.db()?;
                    let items = rows
                        .into_iter()
                        .map(|(id, at, k, o)| {
                            Ok(GuardrailLink { id: word("link id", &id)?, created_at: time("created_at", at)?, kpi_id: word("kpi_id", &k)?, objective_id: word("objective_id", &o)? })
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page::from_rows(items, page.limit, |l: &GuardrailLink| l.id.to_string()))
                }

                async fn create_data_source(&self, new: NewDataSource) -> StoreResult<DataSource> {
                    let mut tx = self.write.begin().await.db()?;
                    let kpi = Self::kpi_in(&mut tx, &new.kpi_id.to_string()).await?.ok_or_else(|| StoreError::UnknownReference {
                        field: "kpi_id",
                        entity: "KPI",
                        id: new.kpi_id.to_string(),
                    })?;
                    if kpi.aggregation.is_derived() {
                        return Err(DomainError::DerivedKpi { kpi: kpi.key }.into());
                    }
                    let id = DataSourceId(new_id());
                    let now = micros(Utc::now());
                    let (kind, url, query, header, path, ts, val, seg) = match new.spec {
                        DataSourceSpec::Sql { url, query } => ("sql", url, Some(query), None, None, None, None, None),
                        DataSourceSpec::Http { url, header, value_path, timestamp_field, value_field, segment_field } => {
                            ("http", url, None, header, Some(value_path), timestamp_field, value_field, segment_field)
                        }
                    };
                    let (header_name, header_value) = header.map_or((None, None), |(n, v)| (Some(n), Some(v)));
                    sqlx::query(
                        "INSERT INTO data_sources (id, version, created_at, updated_at, kpi_id, kind, url, query, header_name, header_value, \
                         value_path, timestamp_field, value_field, segment_field, interval_seconds, timeout_seconds, enabled, next_run_at) \
                         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $2)",
                    )
                    .bind(id.to_string())
                    .bind(now)
                    .bind(new.kpi_id.to_string())
                    .bind(kind)
                    .bind(url)
                    .bind(query)
                    .bind(header_name)
                    .bind(header_value)
                    .bind(path)
                    .bind(ts)
                    .bind(val)
                    .bind(seg)
                    .bind(new.interval_seconds)
                    .bind(new.timeout_seconds)
                    .bind(new.enabled)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let source = Self::source_in(&mut tx, id).await?.expect("just inserted");
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(source.source)
                }

                async fn get_data_source(&self, id: DataSourceId) -> StoreResult<DataSource> {
                    let mut conn = self.read.acquire().await.db()?;
                    Ok(Self::source_in(&mut conn, id).await?.ok_or_else(|| StoreError::NotFound { entity: "data source", id: id.to_string() })?.source)
                }

                async fn list_data_sources(&self, kpi: Option<KpiId>, page: PageRequest) -> StoreResult<Page<DataSource>> {
                    let mut q = QueryBuilder::<$Db>::new(format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE 1 = 1"));
                    if let Some(k) = kpi {
                        q.push(" AND kpi_id = ").push_bind(k.to_string());
                    }
                    if let Some(after) = &page.after {
                        q.push(" AND id > ").push_bind(after.clone());
                    }
                    q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                    let rows: Vec<SourceRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                    let items: Vec<DataSourceSecret> = convert(rows)?;
                    Ok(Page::from_rows(items.into_iter().map(|s| s.source).collect(), page.limit, |s: &DataSource| s.id.to_string()))
                }

                async fn delete_data_source(&self, id: DataSourceId) -> StoreResult<()> {
                    let done = sqlx::query("DELETE FROM data_sources WHERE id = $1").bind(id.to_string()).execute(&self.write).await.db()?;
                    self.after_commit().await;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound { entity: "data source", id: id.to_string() });
                    }
                    Ok(())
                }

                async fn claim_due_sources(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<DataSourceSecret>> {
                    let sql = format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE enabled = $1 AND next_run_at <= $2 ORDER BY next_run_at LIMIT $3");
                    let due: Vec<SourceRow> = sqlx::query_as(&sql).bind(true).bind(micros(now)).bind(limit as i64).fetch_all(&self.read).await.db()?;
                    let mut claimed = Vec::new();
                    for row in due {
                        // Compare-and-set on next_run_at: of several servers, exactly one moves it.
                        let next = micros(now) + row.interval_seconds.max(1) * 1_000_000;
                        let done = sqlx::query("UPDATE data_sources SET next_run_at = $1, last_run_at = $2 WHERE id = $3 AND next_run_at = $4")
                            .bind(next)
                            .bind(micros(now))
                            .bind(&row.id)
                            .bind(row.next_run_at)
                            .execute(&self.write)
                            .await
                            .db()?;
                        if done.rows_affected() == 1 {
                            claimed.push(DataSourceSecret::try_from(row)?);
                        }
                    }
                    Ok(claimed)
                }

                async fn claim_source(&self, id: DataSourceId, now: DateTime<Utc>) -> StoreResult<DataSourceSecret> {
                    let mut tx = self.write.begin().await.db()?;
                    let source = Self::source_in(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound { entity: "data source", id: id.to_string() })?;
                    let next = micros(now) + source.source.interval_seconds.max(1) * 1_000_000;
                    sqlx::query("UPDATE data_sources SET next_run_at = $1, last_run_at = $2 WHERE id = $3")
                        .bind(next)
                        .bind(micros(now))
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(source)
                }

                async fn record_source_run(&self, id: DataSourceId, at: DateTime<Utc>, run: SourceRun) -> StoreResult<DataSource> {
                    let mut tx = self.write.begin().await.db()?;
                    match run {
                        SourceRun::Succeeded { points } => {
                            sqlx::query("UPDATE data_sources SET last_success_at = $1, last_points = $2, last_error = NULL WHERE id = $3")
                                .bind(micros(at))
                                .bind(points as i64)
                                .bind(id.to_string())
                                .execute(&mut *tx)
                                .await
                                .db()?
                        }
                        SourceRun::Failed { error } => {
                            sqlx::query("UPDATE data_sources SET last_error = $1, last_error_at = $2 WHERE id = $3")
                                .bind(error.chars().take(2000).collect::<String>())
                                .bind(micros(at))
                                .bind(id.to_string())
                                .execute(&mut *tx)
                                .await
                                .db()?
                        }
                    };
                    let source = Self::source_in(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound { entity: "data source", id: id.to_string() })?;
                    tx.commit().await.db()?;
                self.after_commit().await;
                    Ok(source.source)
                }
            }

            impl $Store {
                async fn kra_in(conn: &mut $Conn, id: KraId) -> StoreResult<Option<Kra>> {
                    let row: Option<(String, i64, i64, i64, String, String, String)> =
                        sqlx::query_as("SELECT id, version, created_at, updated_at, name, role, description FROM kras WHERE id = $1")
                            .bind(id.to_string())
                            .fetch_optional(&mut *conn)
                            .await
                            .db()?;
                    let Some((_, version, created, updated, name, role, description)) = row else { return Ok(None) };
                    let kpis: Vec<(String,)> = sqlx::query_as("SELECT kpi_id FROM kra_kpis WHERE kra_id = $1 ORDER BY position")
                        .bind(id.to_string())
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                    Ok(Some(Kra {
                        id,
                        version,
                        created_at: time("created_at", created)?,
                        updated_at: time("updated_at", updated)?,
                        name,
                        role,
                        description,
                        kpi_ids: kpis.iter().map(|(k,)| word("kpi id", k)).collect::<StoreResult<_>>()?,
                    }))
                }

                async fn write_kra_kpis(conn: &mut $Conn, id: KraId, kpis: &[KpiId]) -> StoreResult<()> {
                    let mut seen = HashSet::new();
                    for (i, k) in kpis.iter().enumerate() {
                        if !seen.insert(*k) {
                            continue;
                        }
                        Self::require_ref(conn, "kpis", "KPI", "kpi_ids", Some(k.to_string())).await?;
                        sqlx::query("INSERT INTO kra_kpis (kra_id, kpi_id, position) VALUES ($1, $2, $3)")
                            .bind(id.to_string())
                            .bind(k.to_string())
                            .bind(i as i64)
                            .execute(&mut *conn)
                            .await
                            .db()?;
                    }
                    Ok(())
                }

                async fn source_in(conn: &mut $Conn, id: DataSourceId) -> StoreResult<Option<DataSourceSecret>> {
                    let sql = format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE id = $1");
                    let row: Option<SourceRow> = sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(&mut *conn).await.db()?;
                    row.map(DataSourceSecret::try_from).transpose()
                }
            }

            /// Cursor part for a segment label (any text) in the '.'-and-alphanumerics cursor alphabet.
            fn hex_encode(s: &str) -> String { s.bytes().map(|b| format!("{b:02x}")).collect() }

            fn hex_decode(s: &str) -> String {
                let bytes: Vec<u8> = (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect();
                String::from_utf8(bytes).unwrap_or_default()
            }
        }
    };
}

pub(crate) use sql_kpi_store;
