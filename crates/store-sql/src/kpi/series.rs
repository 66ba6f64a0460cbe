//! Reading a KPI's series: raw points (newest first), period values, segment labels.

use super::{kpi_in, not_found};
use crate::db::{Pools, Sql, q};
use crate::kpi_rows::*;
use crate::rows::{convert, date, micros, time};
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_store::kpi::{Measurement, PeriodValue, RecentPeriod};
use quarterdeck_store::{Page, PageRequest, StoreError, StoreResult};

/// Cursor part for a segment label (any text) in the '.'-and-alphanumerics cursor alphabet.
fn hex_encode(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> String {
    let bytes: Vec<u8> =
        (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes).unwrap_or_default()
}

pub(super) async fn measurements(
    pools: &Pools,
    kpi: KpiId,
    segment: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: PageRequest,
) -> StoreResult<Page<Measurement>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    kpi_in(&mut c, &kpi.to_string()).await?.ok_or_else(|| not_found(kpi))?;
    let mut s = Sql::new("SELECT segment, at, value FROM measurements WHERE kpi_id = ");
    s.bind(kpi);
    if let Some(seg) = &segment {
        s.push(" AND segment = ").bind(seg);
    }
    if let Some(f) = from {
        s.push(" AND at >= ").bind(micros(f));
    }
    if let Some(t) = to {
        s.push(" AND at <= ").bind(micros(t));
    }
    // Newest first; the cursor is "at.segment" with the segment hex-encoded.
    if let Some(after) = &page.after {
        let (at, seg) = after.split_once('.').unwrap_or((after.as_str(), ""));
        let at: i64 = at.parse().map_err(|_| StoreError::InvalidCursor)?;
        s.push(" AND (at < ")
            .bind(at)
            .push(" OR (at = ")
            .bind(at)
            .push(" AND segment < ")
            .bind(hex_decode(seg))
            .push("))");
    }
    s.push(" ORDER BY at DESC, segment DESC LIMIT ").bind(page.limit as i64 + 1);
    let rows: Vec<(String, i64, f64)> = c.fetch_all(&s).await?;
    let items = rows
        .into_iter()
        .map(|(seg, at, value)| {
            Ok(Measurement { kpi_id: kpi, at: time("at", at)?, value, segment: (!seg.is_empty()).then_some(seg) })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page.limit, |m: &Measurement| {
        format!("{}.{}", micros(m.at), hex_encode(m.segment.as_deref().unwrap_or("")))
    }))
}

pub(super) async fn periods(
    pools: &Pools,
    kpi: KpiId,
    granularity: Granularity,
    segment: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: u32,
) -> StoreResult<Vec<PeriodValue>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    kpi_in(&mut c, &kpi.to_string()).await?.ok_or_else(|| not_found(kpi))?;
    let mut s = Sql::new(format!("SELECT {PERIOD_COLUMNS} FROM kpi_periods WHERE kpi_id = "));
    s.bind(kpi).push(" AND granularity = ").bind(granularity.as_str());
    s.push(" AND segment = ").bind(segment.unwrap_or_default());
    if let Some(f) = from {
        s.push(" AND period_start >= ").bind(Period::containing(granularity, f).start.to_string());
    }
    if let Some(t) = to {
        s.push(" AND period_start <= ").bind(t.to_string());
    }
    s.push(" ORDER BY period_start DESC LIMIT ").bind(limit as i64);
    let rows: Vec<PeriodRow> = c.fetch_all(&s).await?;
    let mut out: Vec<PeriodValue> = convert(rows)?;
    out.reverse();
    Ok(out)
}

pub(super) async fn recent_periods(
    pools: &Pools,
    kpis: &[(KpiId, Granularity)],
    per_kpi: u32,
) -> StoreResult<Vec<(KpiId, RecentPeriod)>> {
    if kpis.is_empty() {
        return Ok(Vec::new());
    }
    // One statement, one short backward index range per KPI (never a KPI's whole history).
    // A page of KPIs reads about a thousand of these rows, and on SQLite each value of each
    // row is copied and freed one by one: the KPI is named by its position in `kpis` (an
    // integer) and only the columns the readers use are read.
    let mut s = Sql::new("");
    for (i, (kpi, granularity)) in kpis.iter().enumerate() {
        if i > 0 {
            s.push(" UNION ALL ");
        }
        s.push(&format!(
            "SELECT * FROM (SELECT {i} AS n, period_start, count, min_value, max_value, value FROM kpi_periods \
             WHERE kpi_id = "
        ));
        s.bind(*kpi).push(" AND granularity = ").bind(granularity.as_str());
        s.push(" AND segment = '' ORDER BY period_start DESC LIMIT ").bind(per_kpi as i64).push(")");
        s.push(&format!(" AS p{i}"));
    }
    let mut r = pools.reader().await?;
    let rows: Vec<(i32, String, i64, f64, f64, Option<f64>)> = r.conn().fetch_all(&s).await?;
    rows.into_iter()
        .map(|(n, start, count, min, max, value)| {
            let kpi =
                kpis.get(n as usize).map(|k| k.0).ok_or_else(|| StoreError::Backend(format!("period row {n}")))?;
            Ok((kpi, RecentPeriod { start: date("period_start", &start)?, count, min, max, value }))
        })
        .collect()
}

pub(super) async fn values_at(
    pools: &Pools,
    kpis: &[(KpiId, Granularity)],
    from: NaiveDate,
    before: NaiveDate,
) -> StoreResult<Vec<(KpiId, f64)>> {
    let (from, before) = (from.to_string(), before.to_string());
    let mut r = pools.reader().await?;
    let mut out = Vec::new();
    // One short backward index range per KPI, as in `recent_periods`; 200 KPIs a statement
    // keeps the binds under SQLite's limit.
    for (c, chunk) in kpis.chunks(200).enumerate() {
        let mut s = Sql::new("");
        for (i, (kpi, granularity)) in chunk.iter().enumerate() {
            if i > 0 {
                s.push(" UNION ALL ");
            }
            s.push(&format!("SELECT * FROM (SELECT {} AS n, value FROM kpi_periods WHERE kpi_id = ", c * 200 + i));
            s.bind(*kpi).push(" AND granularity = ").bind(granularity.as_str());
            s.push(" AND segment = '' AND value IS NOT NULL AND period_start >= ").bind(from.as_str());
            s.push(" AND period_start < ").bind(before.as_str()).push(" ORDER BY period_start DESC LIMIT 1)");
            s.push(&format!(" AS p{i}"));
        }
        let rows: Vec<(i32, f64)> = r.conn().fetch_all(&s).await?;
        for (n, value) in rows {
            let kpi =
                kpis.get(n as usize).map(|k| k.0).ok_or_else(|| StoreError::Backend(format!("period row {n}")))?;
            out.push((kpi, value));
        }
    }
    Ok(out)
}

pub(super) async fn segments(pools: &Pools, kpi: KpiId) -> StoreResult<Vec<String>> {
    // Quarter rows: one per segment per quarter, far fewer than raw points.
    let mut r = pools.reader().await?;
    let rows: Vec<(String,)> = r
        .conn()
        .fetch_all(&q!(
            "SELECT DISTINCT segment FROM kpi_periods WHERE kpi_id = $1 AND granularity = 'quarter' AND segment <> '' \
             ORDER BY segment",
            kpi
        ))
        .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}
