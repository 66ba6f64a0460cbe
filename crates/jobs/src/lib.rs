//! Scheduled work, spawned beside the HTTP server (or run alone with `quarterdeck jobs`):
//! pulling each KPI's live data source on its schedule. Work is claimed through the store,
//! so several servers on one PostgreSQL run each pull exactly once. Every run returns what
//! it did, so tests drive it to completion without sleeping.

#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use quarterdeck_domain::ids::{DataSourceId, KpiId};
use quarterdeck_domain::kpi::definition::check_measurement;
use quarterdeck_sources::{SourceSpec, fetch};
use quarterdeck_store::kpi::{DataSourceSecret, IngestReport, NewMeasurement, SourceRun};
use quarterdeck_store::{Store, StoreResult};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Sources claimed per scheduler tick.
const CLAIM_BATCH: usize = 16;

/// What one run of a source did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub source_id: DataSourceId,
    pub kpi_id: KpiId,
    /// Points the source returned.
    pub points: usize,
    pub ingest: Option<IngestReport>,
    /// Why the run failed; recorded on the source and shown in the KPI's trust badge.
    pub error: Option<String>,
}

/// Builds the fetch spec of a stored source.
pub fn spec_of(source: &DataSourceSecret) -> Result<SourceSpec, String> {
    let s = &source.source;
    let timeout = Duration::from_secs(s.timeout_seconds.clamp(1, 3600) as u64);
    match s.kind.as_str() {
        "sql" => Ok(SourceSpec::Sql { url: source.url.clone(), query: s.query.clone().unwrap_or_default(), timeout }),
        "http" => Ok(SourceSpec::Http {
            url: source.url.clone(),
            header: s.header_name.clone().zip(source.header_value.clone()),
            value_path: s.value_path.clone().unwrap_or_default(),
            timestamp_field: s.timestamp_field.clone(),
            value_field: s.value_field.clone(),
            segment_field: s.segment_field.clone(),
            timeout,
        }),
        other => Err(format!("unknown data source kind '{other}'")),
    }
}

/// Runs one claimed source: fetch, check every point, ingest, record the outcome.
pub async fn run_claimed(store: &dyn Store, source: DataSourceSecret, now: DateTime<Utc>) -> StoreResult<RunReport> {
    let id = source.source.id;
    let kpi_id = source.source.kpi_id;
    let outcome = pull(store, &source, now).await;
    let (run, report) = match outcome {
        Ok((points, ingest)) => (
            SourceRun::Succeeded { points },
            RunReport { source_id: id, kpi_id, points, ingest: Some(ingest), error: None },
        ),
        Err(error) => {
            tracing::warn!(source = %id, kpi = %kpi_id, %error, "data source run failed");
            (
                SourceRun::Failed { error: error.clone() },
                RunReport { source_id: id, kpi_id, points: 0, ingest: None, error: Some(error) },
            )
        }
    };
    store.record_source_run(id, Utc::now(), run).await?;
    Ok(report)
}

async fn pull(
    store: &dyn Store,
    source: &DataSourceSecret,
    now: DateTime<Utc>,
) -> Result<(usize, IngestReport), String> {
    let spec = spec_of(source)?;
    // The fetch runs on a blocking-pool thread driving its own future: the database drivers'
    // futures are not `Send` for every lifetime, which a spawned scheduler task requires.
    let handle = tokio::runtime::Handle::current();
    let raw = tokio::task::spawn_blocking(move || handle.block_on(fetch(&spec, now)))
        .await
        .map_err(|e| format!("the fetch task failed: {e}"))?
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let mut points = Vec::with_capacity(raw.len());
    for (i, p) in raw.into_iter().enumerate() {
        let segment = p.segment.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        check_measurement(p.at, p.value, segment.as_deref(), now).map_err(|e| format!("row {}: {e}", i + 1))?;
        points.push(NewMeasurement { kpi_id: source.source.kpi_id, at: p.at, value: p.value, segment });
    }
    let n = points.len();
    let report = store.ingest(points).await.map_err(|e| format!("storing the points failed: {e}"))?;
    Ok((n, report))
}

/// Claims and runs every source due at `now`.
pub async fn run_due(store: &dyn Store, now: DateTime<Utc>) -> StoreResult<Vec<RunReport>> {
    let mut reports = Vec::new();
    loop {
        let claimed = store.claim_due_sources(now, CLAIM_BATCH).await?;
        if claimed.is_empty() {
            return Ok(reports);
        }
        for source in claimed {
            reports.push(run_claimed(store, source, now).await?);
        }
    }
}

/// "Run now": claims one source whatever its schedule and runs it.
pub async fn run_now(store: &dyn Store, id: DataSourceId) -> StoreResult<RunReport> {
    let now = Utc::now();
    let source = store.claim_source(id, now).await?;
    run_claimed(store, source, now).await
}

/// `run_due` as an owned, boxed future: the scheduler task needs a future that is `Send` for
/// every lifetime, which the compiler cannot see through the borrowed store on its own.
fn due_now(
    store: Arc<dyn Store>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<Vec<RunReport>>> + Send>> {
    Box::pin(async move { run_due(store.as_ref(), Utc::now()).await })
}

/// The scheduler loop: every `every`, runs what is due, until `shutdown` turns true.
pub fn spawn(store: Arc<dyn Store>, every: Duration, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match due_now(store.clone()).await {
                        Ok(reports) if !reports.is_empty() => tracing::info!(runs = reports.len(), "data sources pulled"),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "the scheduler could not claim work"),
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    })
}
