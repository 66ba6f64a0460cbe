//! Derived KPIs: a formula over other KPIs, recomputed from their period values whenever an
//! input changes, inputs before the KPIs that use them.

use super::ingest::{PeriodKey, upsert_periods};
use super::kpi_in;
use crate::db::{Conn, Sql, q};
use crate::rows::{date, word};
use crate::write::Writer;
use chrono::NaiveDate;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::kpi::aggregate::Running;
use quarterdeck_domain::kpi::formula::{Formula, dependents_in_order};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_store::StoreResult;
use quarterdeck_store::kpi::{IngestReport, Kpi};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Recomputes a derived KPI's values for the given periods from its inputs.
pub(super) async fn recompute(
    c: &mut Conn<'_>,
    kpi: &Kpi,
    periods: &BTreeSet<(Granularity, NaiveDate)>,
) -> StoreResult<bool> {
    let Some(source) = kpi.formula.as_deref() else { return Ok(false) };
    if periods.is_empty() {
        return Ok(false);
    }
    let formula = Formula::parse(source).map_err(DomainError::from)?;
    let inputs: Vec<(String, String)> = c
        .fetch_all(&q!(
            "SELECT k.id, k.key FROM kpi_inputs i JOIN kpis k ON k.id = i.input_id WHERE i.kpi_id = $1",
            kpi.id
        ))
        .await?;
    let key_of: HashMap<String, String> = inputs.iter().cloned().collect();
    let from = periods.iter().map(|p| p.1).min().expect("some");
    let to = periods.iter().map(|p| p.1).max().expect("some");
    let mut s = Sql::new(
        "SELECT kpi_id, granularity, period_start, value, last_at FROM kpi_periods WHERE segment = '' AND period_start >= ",
    );
    s.bind(from.to_string()).push(" AND period_start <= ").bind(to.to_string()).push(" AND kpi_id IN (");
    s.list(inputs.iter().map(|(id, _)| id)).push(")");
    let rows: Vec<(String, String, String, Option<f64>, i64)> = c.fetch_all(&s).await?;
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
    let mut upserts: Vec<(PeriodKey, Running, Option<f64>)> = Vec::new();
    let mut deletes = Vec::new();
    for p in periods {
        let evaluated = values
            .get(p)
            .and_then(|(vals, last_at)| formula.eval(&|k| vals.get(k).copied()).ok().map(|v| (v, *last_at)));
        match evaluated.filter(|(v, _)| v.is_finite()) {
            Some((v, last_at)) => upserts.push((
                (p.0, p.1, String::new()),
                Running { count: 1, sum: v, min: v, max: v, last_at, last_value: v },
                Some(v),
            )),
            None => deletes.push(*p),
        }
    }
    let id = kpi.id.to_string();
    upsert_periods(c, &id, &upserts).await?;
    for (g, start) in deletes {
        c.execute(&q!(
            "DELETE FROM kpi_periods WHERE kpi_id = $1 AND granularity = $2 AND segment = '' AND period_start = $3",
            &id,
            g.as_str(),
            start.to_string()
        ))
        .await?;
    }
    if let Some(last) = upserts.iter().map(|u| u.1.last_at).max() {
        c.execute(&q!(
            "UPDATE kpis SET last_point_at = CASE WHEN last_point_at IS NULL OR last_point_at < $1 THEN $1 ELSE last_point_at END, \
             first_point_at = CASE WHEN first_point_at IS NULL OR first_point_at > $1 THEN $1 ELSE first_point_at END WHERE id = $2",
            last,
            &id
        ))
        .await?;
    }
    Ok(true)
}

/// Updates every derived KPI that reads a changed one, inputs before users. Only the input
/// graph reachable from the changed KPIs is read.
pub(super) async fn propagate(
    w: &mut Writer<'_>,
    changed: BTreeMap<String, BTreeSet<(Granularity, NaiveDate)>>,
    report: &mut IngestReport,
) -> StoreResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut c = w.conn();
    let mut s = Sql::new("WITH RECURSIVE dependents(id) AS (SELECT kpi_id FROM kpi_inputs WHERE input_id IN (");
    s.list(changed.keys()).push(") UNION SELECT x.kpi_id FROM kpi_inputs x JOIN dependents u ON x.input_id = u.id) ");
    s.push("SELECT kpi_id, input_id FROM kpi_inputs WHERE kpi_id IN (SELECT id FROM dependents)");
    let edges: Vec<(String, String)> = c.fetch_all(&s).await?;
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
        if periods_of.contains_key(&derived) && !inputs_of.contains_key(&derived) {
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
        let mut c = w.conn();
        let Some(kpi) = kpi_in(&mut c, &derived).await? else { continue };
        if recompute(&mut c, &kpi, &periods).await? {
            super::ingest::after_change(w, &kpi, report).await?;
            periods_of.insert(derived, periods);
        }
    }
    Ok(())
}
