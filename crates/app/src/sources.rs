//! Live data sources: a SQL query on an external database or an HTTP JSON endpoint, pulled
//! on a schedule into a KPI. Connection strings and header values stay on the server.
//! Creating one, running one now, and running what is due (the scheduler's job) live here
//! once, for the API, the command line and the jobs.

use crate::views::RunReport;
use crate::views::*;
use crate::{App, AppResult, ListPage};
use chrono::{DateTime, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::ids::{DataSourceId, KpiId};
use quarterdeck_domain::kpi::definition::check_measurement;
use quarterdeck_domain::kpi::source::{DataSourceSpec, SourceDraft, SourceKind, check_schedule};
pub use quarterdeck_sources::Reach;
use quarterdeck_sources::{SourceSpec, fetch};
use quarterdeck_store::PageRequest;
use quarterdeck_store::kpi::{DataSourceSecret, IngestReport, NewDataSource, NewMeasurement, SourceRun};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Sources claimed per scheduler round.
const CLAIM_BATCH: usize = 16;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSource {
    /// KPI id or key.
    pub kpi: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: SourceKind,
    /// sql: postgres://…, mysql://…, mariadb://… or sqlite:PATH. http: the endpoint's URL.
    /// Stored on the server, never returned (passwords are masked).
    pub url: String,
    /// sql: returns (timestamp, value[, segment]) rows. Runs read-only with a timeout.
    pub query: Option<String>,
    /// http: path to a number or to an array of points (`$.data.series`).
    pub value_path: Option<String>,
    /// http: a header to send, e.g. "Authorization".
    pub header_name: Option<String>,
    /// http: the header's value (a token). Never returned.
    pub header_value: Option<String>,
    pub timestamp_field: Option<String>,
    pub value_field: Option<String>,
    pub segment_field: Option<String>,
    /// How often to pull, 60 s to 7 days (default 3600).
    #[serde(default = "hourly")]
    pub interval_seconds: i64,
    /// Query or request timeout, 1–300 s (default 30).
    #[serde(default = "thirty")]
    pub timeout_seconds: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl CreateSource {
    /// A source of `kind` feeding `kpi` from `url`, with the default schedule.
    pub fn new(kpi: &str, kind: SourceKind, url: &str) -> CreateSource {
        CreateSource {
            kpi: kpi.to_owned(),
            kind,
            url: url.to_owned(),
            query: None,
            value_path: None,
            header_name: None,
            header_value: None,
            timestamp_field: None,
            value_field: None,
            segment_field: None,
            interval_seconds: hourly(),
            timeout_seconds: thirty(),
            enabled: yes(),
        }
    }
}

fn hourly() -> i64 {
    3600
}
fn thirty() -> i64 {
    30
}
fn yes() -> bool {
    true
}

/// What "run now" answers: what was pulled or why it failed, and the source as it is now.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunResult {
    pub points: usize,
    /// Why the run failed (also recorded on the source and in the KPI's trust badge).
    pub error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub ingest: Option<IngestReport>,
    pub source: DataSourceView,
}

/// Builds the fetch spec of a stored source.
fn spec_of(source: &DataSourceSecret) -> Result<SourceSpec, String> {
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

impl App {
    async fn may_edit_source(&self, id: DataSourceId) -> AppResult<()> {
        self.may(Action::EditKpi, async { self.kpi_target(self.store().get_data_source(id).await?.kpi_id).await }).await
    }

    /// Adds a source to a KPI, with every rule of the spec checked (the URL's scheme fits
    /// the kind, a header comes with its value, the schedule is within bounds).
    pub async fn create_data_source(&self, input: CreateSource) -> AppResult<DataSourceView> {
        let kpi = self.resolve_kpi(&input.kpi).await?;
        self.may(Action::EditKpi, self.kpi_target(kpi.id)).await?;
        if kpi.aggregation.is_derived() {
            return Err(DomainError::DerivedKpi { kpi: kpi.key }.into());
        }
        let draft = SourceDraft {
            url: input.url,
            query: input.query,
            value_path: input.value_path,
            header_name: input.header_name,
            header_value: input.header_value,
            timestamp_field: input.timestamp_field,
            value_field: input.value_field,
            segment_field: input.segment_field,
        };
        let spec = DataSourceSpec::parse(input.kind, &draft)?;
        let (interval_seconds, timeout_seconds) = check_schedule(input.interval_seconds, input.timeout_seconds)?;
        let new = NewDataSource { kpi_id: kpi.id, spec, interval_seconds, timeout_seconds, enabled: input.enabled };
        Ok(self.store().create_data_source(&self.ctx(), new).await?.into())
    }

    pub async fn list_data_sources(
        &self,
        kpi: Option<KpiId>,
        page: PageRequest,
    ) -> AppResult<ListPage<DataSourceView>> {
        Ok(self.store().list_data_sources(kpi, page).await?.into())
    }

    pub async fn get_data_source(&self, id: DataSourceId) -> AppResult<DataSourceView> {
        Ok(self.store().get_data_source(id).await?.into())
    }

    pub async fn delete_data_source(&self, id: DataSourceId) -> AppResult<()> {
        self.may_edit_source(id).await?;
        Ok(self.store().delete_data_source(&self.ctx(), id).await?)
    }

    /// "Run now": claims one source whatever its schedule, runs it, and answers with what
    /// it pulled or why it failed.
    pub async fn run_data_source(&self, id: DataSourceId) -> AppResult<RunResult> {
        self.may_edit_source(id).await?;
        let now = self.now();
        let source = self.store().claim_source(id, now).await?;
        let report = self.run_claimed(source, now).await?;
        let source = self.store().get_data_source(id).await?;
        Ok(RunResult { points: report.points, error: report.error, ingest: report.ingest, source: source.into() })
    }

    /// Claims and runs every source due now. Several servers on one database each run a
    /// pull exactly once: the claim is a compare-and-set on the source's next run time.
    pub async fn run_due_sources(&self) -> AppResult<Vec<RunReport>> {
        let now = self.now();
        let mut reports = Vec::new();
        loop {
            let claimed = self.store().claim_due_sources(now, CLAIM_BATCH).await?;
            if claimed.is_empty() {
                return Ok(reports);
            }
            for source in claimed {
                reports.push(self.run_claimed(source, now).await?);
            }
        }
    }

    /// Runs one claimed source: fetch, check every point, ingest, record the outcome.
    async fn run_claimed(&self, source: DataSourceSecret, now: DateTime<Utc>) -> AppResult<RunReport> {
        let id = source.source.id;
        let kpi_id = source.source.kpi_id;
        let (run, report) = match self.pull(&source, now).await {
            Ok((points, ingest)) => (
                SourceRun::Succeeded { points },
                RunReport { source_id: id, kpi_id, points, ingest: Some(ingest), error: None, at: now },
            ),
            Err(error) => {
                tracing::warn!(source = %id, kpi = %kpi_id, %error, "data source run failed");
                (
                    SourceRun::Failed { error: error.clone() },
                    RunReport { source_id: id, kpi_id, points: 0, ingest: None, error: Some(error), at: now },
                )
            }
        };
        self.store().record_source_run(id, self.now(), run).await?;
        Ok(report)
    }

    async fn pull(&self, source: &DataSourceSecret, now: DateTime<Utc>) -> Result<(usize, IngestReport), String> {
        let spec = spec_of(source)?;
        // The fetch runs on a blocking-pool thread driving its own future: the database
        // drivers' futures are not `Send` for every lifetime, which a spawned task requires.
        let handle = tokio::runtime::Handle::current();
        let reach = self.source_reach().clone();
        let raw = tokio::task::spawn_blocking(move || handle.block_on(fetch(&spec, &reach, now)))
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
        let report =
            self.store().ingest(&self.ctx(), points).await.map_err(|e| format!("storing the points failed: {e}"))?;
        Ok((n, report))
    }
}
