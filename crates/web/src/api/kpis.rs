//! The metric dictionary, measurements, period values, health and trust, stretch targets,
//! driver trees, KRAs, guardrail links and unit scorecards.

use super::{created, or_conflict, page, resolve_unit, with_etag};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, double_option};
use crate::measurements::{Batch, PointIn, ResolveError, parse_csv, resolve};
use crate::views::ListPage;
use crate::views_kpi::{KpiCard, PeriodView, TreeView, period_view, trust};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::error::finite;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::formula::Formula;
use quarterdeck_domain::kpi::health::{COMPLETION_NORM_PCT, completion_share};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_domain::kpi::stats::{StretchTargets, stretch_targets};
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_domain::text::{LongText, Name, UnitOfMeasure};
use quarterdeck_store::kpi::*;
use quarterdeck_store::{PageRequest, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_kpis, create_kpi))
        .routes(routes!(get_kpi, update_kpi))
        .routes(routes!(target_history))
        .routes(routes!(list_measurements, ingest_kpi_measurements))
        .routes(routes!(ingest_measurements))
        .routes(routes!(list_periods))
        .routes(routes!(kpi_stretch_targets))
        .routes(routes!(kpi_tree))
        .routes(routes!(create_edge))
        .routes(routes!(delete_edge))
        .routes(routes!(list_kras, create_kra))
        .routes(routes!(get_kra))
        .routes(routes!(set_kra_kpis))
        .routes(routes!(list_guardrail_links, link_guardrail))
        .routes(routes!(unlink_guardrail))
        .routes(routes!(unit_scorecard))
}

/// A KPI named by id or key.
pub(crate) async fn resolve_kpi(state: &AppState, raw: &str) -> ApiResult<Kpi> {
    let found = match raw.parse::<KpiId>() {
        Ok(id) => state.store.get_kpi(id).await,
        Err(_) => state.store.find_kpi_by_key(raw).await,
    };
    found.map_err(|e| match e {
        StoreError::NotFound { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no KPI with id or key '{raw}'"))
        }
        e => e.into(),
    })
}

fn bounded(field: &'static str, raw: &str, max: usize) -> ApiResult<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(DomainError::TooLong { field, max }.into());
    }
    Ok(s.to_owned())
}

fn opt_finite(field: &'static str, v: Option<f64>) -> ApiResult<Option<f64>> {
    Ok(v.map(|v| finite(field, v)).transpose()?)
}

fn check_bounds(min: Option<f64>, max: Option<f64>) -> ApiResult<()> {
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(ApiError::unprocessable("bounds_inverted", "valid_min", "valid_min is above valid_max"));
    }
    Ok(())
}

fn check_warning(pct: f64) -> ApiResult<f64> {
    if !(0.0..=100.0).contains(&finite("warning_from_pct", pct)?) {
        return Err(ApiError::unprocessable(
            "out_of_range",
            "warning_from_pct",
            "warning_from_pct is a percentage between 0 and 100",
        ));
    }
    Ok(pct)
}

fn check_window(n: i64) -> ApiResult<i64> {
    if !(2..=520).contains(&n) {
        return Err(ApiError::unprocessable("out_of_range", "window_periods", "window_periods is between 2 and 520"));
    }
    Ok(n)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKpi {
    pub name: String,
    /// The name formulas use; derived from the name when left out (`win_rate`).
    pub key: Option<String>,
    #[serde(default)]
    pub description: String,
    pub owner_id: Option<PersonId>,
    /// Unit id or slug.
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_of_measure: String,
    /// Makes a derived KPI: `won / qualified * 100` over other KPIs' keys.
    pub formula: Option<String>,
    /// How the number is computed, for people.
    #[serde(default)]
    pub query: String,
    #[serde(default = "daily")]
    pub cadence: Cadence,
    /// sum (default), mean, min, max, last, count, p50, p90, p95, p99; formula for a derived KPI.
    pub aggregation: Option<Aggregation>,
    #[serde(default = "higher")]
    pub direction: KpiDirection,
    /// Target value (for higher/lower is better).
    pub target: Option<f64>,
    /// Healthy range (for within_range).
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    /// When the target was set; defaults to today when a target is given.
    pub target_set_on: Option<NaiveDate>,
    pub baseline: Option<f64>,
    #[serde(default)]
    pub caveats: String,
    #[serde(default = "kpi_class")]
    pub class: KpiClass,
    #[serde(default = "lagging")]
    pub timing: Timing,
    #[serde(default = "output")]
    pub flow: Flow,
    /// speed, volume, quality, cost or other; speed and volume KPIs want a counterweight.
    #[serde(default = "other")]
    pub nature: Nature,
    #[serde(default)]
    pub north_star: bool,
    #[serde(default)]
    pub guardrail: bool,
    pub guardrail_threshold: Option<f64>,
    pub counterweight_id: Option<KpiId>,
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
    #[serde(default = "warning")]
    pub warning_from_pct: f64,
    #[serde(default = "window")]
    pub window_periods: i64,
}

fn daily() -> Cadence {
    Cadence::Daily
}
fn higher() -> KpiDirection {
    KpiDirection::HigherIsBetter
}
fn kpi_class() -> KpiClass {
    KpiClass::Kpi
}
fn lagging() -> Timing {
    Timing::Lagging
}
fn output() -> Flow {
    Flow::Output
}
fn other() -> Nature {
    Nature::Other
}
fn warning() -> f64 {
    quarterdeck_domain::kpi::health::DEFAULT_WARNING_FROM_PCT
}
fn window() -> i64 {
    12
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKpi {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<Option<UnitId>>,
    pub unit_of_measure: Option<String>,
    pub query: Option<String>,
    pub cadence: Option<Cadence>,
    /// A new target; the old one stays in the target history.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub target: Option<Option<f64>>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub target_set_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub baseline: Option<Option<f64>>,
    pub caveats: Option<String>,
    pub class: Option<KpiClass>,
    pub timing: Option<Timing>,
    pub flow: Option<Flow>,
    pub nature: Option<Nature>,
    pub north_star: Option<bool>,
    pub guardrail: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub guardrail_threshold: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub counterweight_id: Option<Option<KpiId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub valid_min: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub valid_max: Option<Option<f64>>,
    pub warning_from_pct: Option<f64>,
    pub window_periods: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListKpis {
    /// Unit id or slug.
    pub unit: Option<String>,
    pub owner: Option<PersonId>,
    pub kra: Option<KraId>,
    pub guardrail: Option<bool>,
    pub north_star: Option<bool>,
    /// `counterweight`: only speed/volume KPIs without a quality counterweight.
    pub warning: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/kpis", tag = "kpis", params(ListKpis),
    responses((status = 200, body = ListPage<Kpi>), (status = 400, body = ErrorBody)))]
async fn list_kpis(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListKpis>,
) -> ApiResult<Response> {
    let key = format!("kpis?{}", uri.query().unwrap_or_default());
    crate::cache::cached_json(&state.clone(), key, &headers, || render_kpis(state, q)).await
}

async fn render_kpis(state: AppState, q: ListKpis) -> ApiResult<ListPage<Kpi>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let unit_id = match q.unit.as_deref() {
        Some(u) => Some(resolve_unit(&state, "unit", u).await?),
        None => None,
    };
    let missing_counterweight = match q.warning.as_deref() {
        None => false,
        Some("counterweight") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("warning: '{other}' is not one of: counterweight"),
            )
            .with_field("warning"));
        }
    };
    let filter = KpiFilter {
        unit_id,
        owner_id: q.owner,
        kra_id: q.kra,
        guardrail: q.guardrail,
        north_star: q.north_star,
        missing_counterweight,
    };
    Ok(state.store.list_kpis(filter, page).await?.into())
}

#[utoipa::path(post, path = "/kpis", tag = "kpis", request_body = CreateKpi,
    responses((status = 201, body = Kpi), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_kpi(State(state): State<AppState>, ApiJson(b): ApiJson<CreateKpi>) -> ApiResult<Response> {
    let name = Name::parse("name", &b.name)?;
    let key = match b.key.as_deref() {
        Some(k) => parse_key(k)?,
        None => key_from_name(name.as_str()).ok_or_else(|| {
            ApiError::unprocessable("invalid_key", "key", "no key can be made from this name; give one")
        })?,
    };
    let formula = b.formula.as_deref().map(Formula::parse).transpose().map_err(DomainError::from)?;
    let aggregation = match (&formula, b.aggregation) {
        (Some(_), None | Some(Aggregation::Formula)) => Aggregation::Formula,
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "formula_aggregation",
                "aggregation",
                "a KPI with a formula is derived: leave aggregation out (or 'formula')",
            ));
        }
        (None, Some(Aggregation::Formula)) => {
            return Err(ApiError::unprocessable("formula_missing", "formula", "aggregation 'formula' needs a formula"));
        }
        (None, a) => a.unwrap_or(Aggregation::Sum),
    };
    let target = Target::new(b.direction, opt_finite("target", b.target)?, b.range_low, b.range_high)?;
    let (valid_min, valid_max) = (opt_finite("valid_min", b.valid_min)?, opt_finite("valid_max", b.valid_max)?);
    check_bounds(valid_min, valid_max)?;
    let unit_id = match b.unit.as_deref() {
        Some(u) => Some(resolve_unit(&state, "unit", u).await?),
        None => None,
    };
    let new = NewKpi {
        key,
        name: name.into_string(),
        description: LongText::parse("description", &b.description)?.into_string(),
        owner_id: b.owner_id,
        unit_id,
        unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &b.unit_of_measure)?.into_string(),
        formula,
        query: bounded("query", &b.query, 5000)?,
        cadence: b.cadence,
        aggregation,
        direction: b.direction,
        target,
        target_set_on: b.target_set_on.or(target.map(|_| state.today())),
        baseline: opt_finite("baseline", b.baseline)?,
        caveats: LongText::parse("caveats", &b.caveats)?.into_string(),
        class: b.class,
        timing: b.timing,
        flow: b.flow,
        nature: b.nature,
        north_star: b.north_star,
        guardrail: b.guardrail,
        guardrail_threshold: opt_finite("guardrail_threshold", b.guardrail_threshold)?,
        counterweight_id: b.counterweight_id,
        valid_min,
        valid_max,
        warning_from_pct: check_warning(b.warning_from_pct)?,
        window_periods: check_window(b.window_periods)?,
    };
    let kpi = state.store.create_kpi(new).await?;
    Ok(created(kpi.version, kpi))
}

#[derive(Serialize, ToSchema)]
pub struct KpiDetail {
    #[serde(flatten)]
    pub card: KpiCard,
    /// Segment labels with data.
    pub segments: Vec<String>,
}

#[utoipa::path(get, path = "/kpis/{id}", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = KpiDetail), (status = 404, body = ErrorBody)))]
async fn get_kpi(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let kpi = resolve_kpi(&state, &id).await?;
    let trust = trust(&state, &kpi).await?;
    let segments = state.store.kpi_segments(kpi.id).await?;
    Ok(with_etag(kpi.version, KpiDetail { card: KpiCard { kpi, trust }, segments }))
}

#[utoipa::path(patch, path = "/kpis/{id}", tag = "kpis", request_body = UpdateKpi,
    params(("id" = String, Path, description = "KPI id or key"), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Kpi), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_kpi(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(b): ApiJson<UpdateKpi>,
) -> ApiResult<Response> {
    let current = resolve_kpi(&state, &id).await?;
    let version = if_match.require(b.version)?;
    let target = if b.target.is_some() || b.range_low.is_some() || b.range_high.is_some() {
        let t = Target::new(current.direction, opt_finite("target", b.target.flatten())?, b.range_low, b.range_high)?;
        Some((t, b.target_set_on.or(Some(state.today()))))
    } else {
        None
    };
    let valid_min = b.valid_min.map(|v| opt_finite("valid_min", v)).transpose()?;
    let valid_max = b.valid_max.map(|v| opt_finite("valid_max", v)).transpose()?;
    check_bounds(valid_min.unwrap_or(current.valid_min), valid_max.unwrap_or(current.valid_max))?;
    let patch = KpiPatch {
        name: b.name.as_deref().map(|n| Name::parse("name", n).map(Name::into_string)).transpose()?,
        description: b
            .description
            .as_deref()
            .map(|d| LongText::parse("description", d).map(LongText::into_string))
            .transpose()?,
        owner_id: b.owner_id,
        unit_id: b.unit_id,
        unit_of_measure: b
            .unit_of_measure
            .as_deref()
            .map(|u| UnitOfMeasure::parse("unit_of_measure", u).map(UnitOfMeasure::into_string))
            .transpose()?,
        query: b.query.as_deref().map(|q| bounded("query", q, 5000)).transpose()?,
        cadence: b.cadence,
        target,
        baseline: b.baseline.map(|v| opt_finite("baseline", v)).transpose()?,
        caveats: b.caveats.as_deref().map(|c| LongText::parse("caveats", c).map(LongText::into_string)).transpose()?,
        class: b.class,
        timing: b.timing,
        flow: b.flow,
        nature: b.nature,
        north_star: b.north_star,
        guardrail: b.guardrail,
        guardrail_threshold: b.guardrail_threshold.map(|v| opt_finite("guardrail_threshold", v)).transpose()?,
        counterweight_id: b.counterweight_id,
        valid_min,
        valid_max,
        warning_from_pct: b.warning_from_pct.map(check_warning).transpose()?,
        window_periods: b.window_periods.map(check_window).transpose()?,
    };
    let kpi =
        or_conflict(state.store.update_kpi(current.id, version, patch).await, state.store.get_kpi(current.id)).await?;
    Ok(with_etag(kpi.version, kpi))
}

#[utoipa::path(get, path = "/kpis/{id}/targets", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = Vec<TargetChange>, description = "Oldest first"), (status = 404, body = ErrorBody)))]
async fn target_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<TargetChange>>> {
    let kpi = resolve_kpi(&state, &id).await?;
    Ok(Json(state.store.kpi_target_history(kpi.id).await?))
}

/// Reads a batch body: JSON `{"points": [...]}` or CSV with a header row.
fn read_batch(headers: &HeaderMap, body: &Bytes) -> ApiResult<(Vec<PointIn>, bool)> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ct.starts_with("text/csv") {
        return parse_csv(body).map(|p| (p, false)).map_err(|e| e.into_api(false));
    }
    if !(ct.starts_with("application/json") || ct.contains("+json")) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send measurements as JSON (application/json, {\"points\": [...]}) or CSV (text/csv with a header row)",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let batch: Batch = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"))
        } else {
            ApiError::unprocessable("invalid_field", &path, format!("{path}: {inner}"))
        }
    })?;
    Ok((batch.points, true))
}

async fn ingest(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    kpi: Option<KpiId>,
) -> ApiResult<Json<IngestReport>> {
    let (points, json) = read_batch(headers, body)?;
    let checked = resolve(state.store.as_ref(), points, kpi, Utc::now(), crate::measurements::MAX_POINTS)
        .await
        .map_err(|e| match e {
            ResolveError::Row(r) => r.into_api(json),
            ResolveError::Store(s) => s.into(),
        })?;
    Ok(Json(state.store.ingest(checked).await?))
}

#[utoipa::path(post, path = "/kpis/{id}/measurements", tag = "kpis",
    description = "Pushes points of one KPI: JSON `{\"points\": [{\"at\": \"2026-11-24T09:00:00Z\", \"value\": 4.2, \"segment\": \"emea\"}]}` \
                   or CSV (`text/csv`, header `at,value[,segment]`). Re-sending a point (same time and segment) replaces it; \
                   one bad row rejects the batch.",
    params(("id" = String, Path, description = "KPI id or key")),
    request_body(content = Batch, content_type = "application/json"),
    responses((status = 200, body = IngestReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ingest_kpi_measurements(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestReport>> {
    let kpi = resolve_kpi(&state, &id).await?;
    ingest(&state, &headers, &body, Some(kpi.id)).await
}

#[utoipa::path(post, path = "/measurements", tag = "kpis",
    description = "Pushes points of several KPIs: JSON with `kpi` (key or id) on each point, or CSV with a `kpi` column.",
    request_body(content = Batch, content_type = "application/json"),
    responses((status = 200, body = IngestReport), (status = 422, body = ErrorBody)))]
async fn ingest_measurements(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestReport>> {
    ingest(&state, &headers, &body, None).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMeasurements {
    pub segment: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/kpis/{id}/measurements", tag = "kpis", params(("id" = String, Path, description = "KPI id or key"), ListMeasurements),
    responses((status = 200, body = ListPage<Measurement>, description = "Newest first"), (status = 404, body = ErrorBody)))]
async fn list_measurements(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListMeasurements>,
) -> ApiResult<Json<ListPage<Measurement>>> {
    let kpi = resolve_kpi(&state, &id).await?;
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.store.list_measurements(kpi.id, q.segment, q.from, q.to, page).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPeriods {
    /// day, week, month or quarter; defaults to the KPI's cadence.
    pub granularity: Option<Granularity>,
    pub segment: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The most recent periods to return, 1–1000 (default 52).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/kpis/{id}/periods", tag = "kpis",
    description = "Period values (oldest first) with attainment and health against the target; read from values kept \
                   up to date on ingest, never from raw history.",
    params(("id" = String, Path, description = "KPI id or key"), ListPeriods),
    responses((status = 200, body = Vec<PeriodView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_periods(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListPeriods>,
) -> ApiResult<Json<Vec<PeriodView>>> {
    let kpi = resolve_kpi(&state, &id).await?;
    let limit = q.limit.unwrap_or(52);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_page", "limit must be between 1 and 1000").with_field("limit"));
    }
    let g = q.granularity.unwrap_or(Granularity::of_cadence(kpi.cadence));
    let periods = state.store.list_periods(kpi.id, g, q.segment, q.from, q.to, limit).await?;
    Ok(Json(periods.into_iter().map(|p| period_view(&kpi, p)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct StretchView {
    /// Mean ± sd over this many recent periods at the KPI's cadence.
    pub window_periods: i64,
    #[schema(value_type = Object)]
    pub stretch: StretchTargets,
    /// Advice from the method: + 1–1.5 sd for noisy drivers, + 2 sd for stable ones.
    pub advice: String,
}

pub(crate) async fn stretch_for(state: &AppState, kpi: &Kpi) -> ApiResult<StretchView> {
    let g = Granularity::of_cadence(kpi.cadence);
    let periods = state.store.list_periods(kpi.id, g, None, None, None, kpi.window_periods as u32).await?;
    let values: Vec<f64> = periods.iter().filter_map(|p| p.value).collect();
    let stretch = stretch_targets(&values, kpi.direction == KpiDirection::LowerIsBetter).ok_or_else(|| {
        ApiError::unprocessable(
            "not_enough_history",
            "kpi",
            format!("stretch targets need at least 2 periods of '{}' with values; it has {}", kpi.key, values.len()),
        )
    })?;
    let cv = if stretch.mean != 0.0 { stretch.sd / stretch.mean.abs() } else { f64::INFINITY };
    let advice = if cv > 0.2 {
        "noisy history (sd above 20 % of the mean): aim for mean + 1 to 1.5 sd".to_owned()
    } else {
        "stable history: mean + 2 sd is a real stretch".to_owned()
    };
    Ok(StretchView { window_periods: kpi.window_periods, stretch, advice })
}

#[utoipa::path(get, path = "/kpis/{id}/stretch-targets", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = StretchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn kpi_stretch_targets(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StretchView>> {
    let kpi = resolve_kpi(&state, &id).await?;
    Ok(Json(stretch_for(&state, &kpi).await?))
}

#[utoipa::path(get, path = "/kpis/{id}/tree", tag = "kpis",
    description = "The driver tree below a KPI (usually a North Star): nodes with current value and status, and edges.",
    params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = TreeView), (status = 404, body = ErrorBody)))]
async fn kpi_tree(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<TreeView>> {
    let kpi = resolve_kpi(&state, &id).await?;
    let (nodes, edges) = state.store.kpi_tree(kpi.id, 500).await?;
    Ok(Json(TreeView { nodes, edges }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEdge {
    pub parent_id: KpiId,
    pub child_id: KpiId,
    #[serde(default = "medium")]
    pub influence: Influence,
    #[serde(default = "medium")]
    pub confidence: Influence,
    #[serde(default = "positive")]
    pub sign: EdgeSign,
}

fn medium() -> Influence {
    Influence::Medium
}
fn positive() -> EdgeSign {
    EdgeSign::Positive
}

#[utoipa::path(post, path = "/kpi-edges", tag = "kpis", request_body = CreateEdge,
    responses((status = 201, body = KpiEdge), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_edge(State(state): State<AppState>, ApiJson(b): ApiJson<CreateEdge>) -> ApiResult<Response> {
    let edge = state
        .store
        .create_kpi_edge(NewKpiEdge {
            parent_id: b.parent_id,
            child_id: b.child_id,
            influence: b.influence,
            confidence: b.confidence,
            sign: b.sign,
        })
        .await?;
    Ok(created(edge.version, edge))
}

#[utoipa::path(delete, path = "/kpi-edges/{id}", tag = "kpis", params(("id" = KpiEdgeId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_edge(State(state): State<AppState>, ApiPath(id): ApiPath<KpiEdgeId>) -> ApiResult<StatusCode> {
    state.store.delete_kpi_edge(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKra {
    pub name: String,
    /// The role it belongs to ("Recruiter").
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetKraKpis {
    pub version: Option<i64>,
    #[schema(value_type = Vec<String>)]
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/kras", tag = "kpis", params(Paging), responses((status = 200, body = ListPage<Kra>)))]
async fn list_kras(State(state): State<AppState>, ApiQuery(q): ApiQuery<Paging>) -> ApiResult<Json<ListPage<Kra>>> {
    Ok(Json(state.store.list_kras(page(q.limit, q.cursor.as_deref())?).await?.into()))
}

#[utoipa::path(post, path = "/kras", tag = "kpis", request_body = CreateKra,
    description = "A Key Result Area: a named group of a role's KPIs (3–7 per role is the norm).",
    responses((status = 201, body = Kra), (status = 422, body = ErrorBody)))]
async fn create_kra(State(state): State<AppState>, ApiJson(b): ApiJson<CreateKra>) -> ApiResult<Response> {
    let new = NewKra {
        name: Name::parse("name", &b.name)?.into_string(),
        role: bounded("role", &b.role, 120)?,
        description: LongText::parse("description", &b.description)?.into_string(),
        kpi_ids: b.kpi_ids,
    };
    let kra = state.store.create_kra(new).await?;
    Ok(created(kra.version, kra))
}

#[utoipa::path(get, path = "/kras/{id}", tag = "kpis", params(("id" = KraId, Path)),
    responses((status = 200, body = Kra), (status = 404, body = ErrorBody)))]
async fn get_kra(State(state): State<AppState>, ApiPath(id): ApiPath<KraId>) -> ApiResult<Response> {
    let kra = state.store.get_kra(id).await?;
    Ok(with_etag(kra.version, kra))
}

#[utoipa::path(put, path = "/kras/{id}/kpis", tag = "kpis", request_body = SetKraKpis, params(("id" = KraId, Path)),
    responses((status = 200, body = Kra), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_kra_kpis(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KraId>,
    if_match: IfMatch,
    ApiJson(b): ApiJson<SetKraKpis>,
) -> ApiResult<Response> {
    let version = if_match.0.or(b.version);
    let kra = or_conflict(state.store.set_kra_kpis(id, version, b.kpi_ids).await, state.store.get_kra(id)).await?;
    Ok(with_etag(kra.version, kra))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkGuardrail {
    pub kpi_id: KpiId,
    pub objective_id: ObjectiveId,
}

#[derive(Serialize, ToSchema)]
pub struct GuardrailLinked {
    pub link: GuardrailLink,
    /// Objectives paused at once because the guardrail is already breached.
    #[schema(value_type = Vec<String>)]
    pub objectives_paused: Vec<ObjectiveId>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListLinks {
    pub kpi: Option<KpiId>,
    pub objective: Option<ObjectiveId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/guardrail-links", tag = "kpis", params(ListLinks), responses((status = 200, body = ListPage<GuardrailLink>)))]
async fn list_guardrail_links(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListLinks>,
) -> ApiResult<Json<ListPage<GuardrailLink>>> {
    Ok(Json(state.store.list_guardrail_links(q.kpi, q.objective, page(q.limit, q.cursor.as_deref())?).await?.into()))
}

#[utoipa::path(post, path = "/guardrail-links", tag = "kpis", request_body = LinkGuardrail,
    description = "Links a guardrail KPI to an objective. While the guardrail's latest period breaches its threshold, \
                   the objective is paused; when it recovers, the objective resumes.",
    responses((status = 201, body = GuardrailLinked), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_guardrail(State(state): State<AppState>, ApiJson(b): ApiJson<LinkGuardrail>) -> ApiResult<Response> {
    let (link, report) = state.store.link_guardrail(b.kpi_id, b.objective_id).await?;
    Ok(created(1, GuardrailLinked { link, objectives_paused: report.objectives_paused }))
}

#[utoipa::path(delete, path = "/guardrail-links/{id}", tag = "kpis", params(("id" = GuardrailLinkId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unlink_guardrail(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<GuardrailLinkId>,
) -> ApiResult<StatusCode> {
    state.store.unlink_guardrail(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Scorecard {
    pub unit_id: UnitId,
    pub kpis: Vec<KpiCard>,
    /// Share of the unit's KPIs at target, in % (norm 94–100 %).
    pub completion_share_pct: Option<f64>,
    pub within_norm: Option<bool>,
    /// Speed/volume KPIs of this unit without a quality counterweight.
    #[schema(value_type = Vec<String>)]
    pub counterweight_warnings: Vec<KpiId>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/units/{id}/kpi-scorecard", tag = "kpis",
    description = "A unit's KPIs with current value, health and trust badge, and the KPI completion share.",
    params(("id" = String, Path, description = "Unit id or slug"), Paging),
    responses((status = 200, body = Scorecard), (status = 404, body = ErrorBody)))]
async fn unit_scorecard(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<Scorecard>> {
    let unit_id = resolve_unit(&state, "id", &id).await?;
    let page: PageRequest = page(q.limit, q.cursor.as_deref())?;
    let kpis = state.store.list_kpis(KpiFilter { unit_id: Some(unit_id), ..Default::default() }, page).await?;
    let share = completion_share(kpis.items.iter().filter_map(|k| k.current_status));
    let mut paired: std::collections::HashSet<KpiId> = kpis.items.iter().filter_map(|k| k.counterweight_id).collect();
    paired.extend(kpis.items.iter().filter(|k| k.counterweight_id.is_some()).map(|k| k.id));
    let warnings =
        kpis.items.iter().filter(|k| k.nature.needs_counterweight() && !paired.contains(&k.id)).map(|k| k.id).collect();
    let mut cards = Vec::with_capacity(kpis.items.len());
    for kpi in kpis.items {
        let trust = trust(&state, &kpi).await?;
        cards.push(KpiCard { kpi, trust });
    }
    Ok(Json(Scorecard {
        unit_id,
        kpis: cards,
        completion_share_pct: share,
        within_norm: share.map(|s| s >= COMPLETION_NORM_PCT),
        counterweight_warnings: warnings,
        next_cursor: kpis.next_cursor,
    }))
}
