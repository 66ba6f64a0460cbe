//! Key results, their check-ins, and the moves kill / carry forward.

use super::{created, or_conflict, page, resolve_cycle, with_etag};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, double_option};
use crate::views::{KeyResultView, ListPage};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId, PersonId};
use quarterdeck_domain::okr::Confidence;
use quarterdeck_domain::scoring::{KeyResultKind, Measure, Weight};
use quarterdeck_domain::text::{Note, Reason, Title, UnitOfMeasure};
use quarterdeck_store::input::*;
use quarterdeck_store::records::CheckIn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_key_results, create_key_result))
        .routes(routes!(get_key_result, update_key_result))
        .routes(routes!(list_check_ins, record_check_in))
        .routes(routes!(kill_key_result))
        .routes(routes!(carry_forward))
        .routes(routes!(key_result_stretch_targets))
}

/// The KPI a key result is measured from, checked to exist.
async fn linked_kpi(state: &AppState, kpi: Option<uuid::Uuid>) -> ApiResult<Option<quarterdeck_store::kpi::Kpi>> {
    let Some(id) = kpi else { return Ok(None) };
    match state.store.get_kpi(quarterdeck_domain::ids::KpiId(id)).await {
        Ok(k) => Ok(Some(k)),
        Err(quarterdeck_store::StoreError::NotFound { .. }) => Err(crate::error::ApiError::unprocessable(
            "unknown_reference",
            "kpi_id",
            format!("kpi_id: no KPI with id {id}"),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyResult {
    pub objective_id: ObjectiveId,
    /// A measurable outcome, "from X to Y" — never a task.
    pub title: String,
    /// metric (default) or milestone (0 → 1, for the rare committed milestone).
    #[serde(default = "metric")]
    pub kind: KeyResultKind,
    #[serde(default)]
    pub unit_of_measure: String,
    /// Where it starts. Required for a metric, unless the key result is linked to a KPI:
    /// then it defaults to the KPI's value at the cycle's start. A milestone starts at 0.
    pub baseline: Option<f64>,
    /// Where it should be at the cycle's end. Must differ from the baseline.
    pub target: Option<f64>,
    /// Within this distance of the target the key result counts as met (e.g. ±1 pp).
    pub tolerance: Option<f64>,
    #[serde(default = "one")]
    pub weight: f64,
    pub owner_id: Option<PersonId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub kpi_id: Option<uuid::Uuid>,
}

fn metric() -> KeyResultKind {
    KeyResultKind::Metric
}
fn one() -> f64 {
    1.0
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyResult {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub unit_of_measure: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub tolerance: Option<Option<f64>>,
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub kpi_id: Option<Option<uuid::Uuid>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCheckIn {
    /// The current value. May be left out on a key result linked to a KPI: the KPI's current
    /// value is used.
    pub value: Option<f64>,
    pub confidence: Confidence,
    /// One sentence on the next move.
    #[serde(default)]
    pub note: String,
    pub author_id: Option<PersonId>,
    /// When the value was true (RFC 3339); defaults to now. Not before the cycle's start,
    /// not in the future; after the cycle's end it is accepted until the cycle is closed.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckInRecorded {
    pub check_in: CheckIn,
    /// The key result after the check-in (current value, score, pace).
    pub key_result: KeyResultView,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Kill {
    pub version: Option<i64>,
    /// Why it is stopped: required, and kept with the key result.
    pub reason: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CarryForward {
    pub version: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListKeyResults {
    pub objective: Option<ObjectiveId>,
    pub owner: Option<PersonId>,
    /// Cycle id, or `current`.
    pub cycle: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCheckIns {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/key-results", tag = "key-results", params(ListKeyResults),
    responses((status = 200, body = ListPage<KeyResultView>), (status = 400, body = ErrorBody)))]
async fn list_key_results(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<ListKeyResults>,
) -> ApiResult<Response> {
    let key = format!("key-results?{}", uri.query().unwrap_or_default());
    crate::cache::cached_json(&state.clone(), key, &headers, || render_key_results(state, q)).await
}

async fn render_key_results(state: AppState, q: ListKeyResults) -> ApiResult<ListPage<KeyResultView>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let cycle_id = match q.cycle.as_deref() {
        Some(c) => Some(resolve_cycle(&state, "cycle", c).await?),
        None => None,
    };
    let filter = KeyResultFilter { objective_id: q.objective, owner_id: q.owner, cycle_id };
    let today = state.today();
    Ok(state.store.list_key_results(filter, page).await?.map(|k| KeyResultView::new(k, &state.policy, today)).into())
}

#[utoipa::path(post, path = "/key-results", tag = "key-results", request_body = CreateKeyResult,
    responses((status = 201, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key_result(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateKeyResult>,
) -> ApiResult<Response> {
    let kpi = linked_kpi(&state, body.kpi_id).await?;
    let baseline = match (body.baseline, &kpi) {
        (Some(b), _) => Some(b),
        (None, Some(kpi)) if body.kind == KeyResultKind::Metric => {
            let objective = state.store.get_objective(body.objective_id).await.map_err(|e| match e {
                quarterdeck_store::StoreError::NotFound { .. } => crate::error::ApiError::unprocessable(
                    "unknown_reference",
                    "objective_id",
                    format!("objective_id: no objective with id {}", body.objective_id),
                ),
                e => e.into(),
            })?;
            let at_start = quarterdeck_store::kpi::value_at(state.store.as_ref(), kpi, objective.cycle.start).await?;
            Some(at_start.ok_or_else(|| {
                crate::error::ApiError::unprocessable(
                    "baseline_unknown",
                    "baseline",
                    format!(
                        "KPI '{}' has no value at the cycle's start ({}); give the baseline",
                        kpi.key, objective.cycle.start
                    ),
                )
            })?)
        }
        (None, _) => None,
    };
    let measure = match body.kind {
        KeyResultKind::Metric => Measure::for_kind(
            body.kind,
            baseline.ok_or(quarterdeck_domain::DomainError::Empty { field: "baseline" })?,
            body.target.ok_or(quarterdeck_domain::DomainError::Empty { field: "target" })?,
            body.tolerance,
        )?,
        KeyResultKind::Milestone => {
            Measure::for_kind(body.kind, body.baseline.unwrap_or(0.0), body.target.unwrap_or(1.0), body.tolerance)?
        }
    };
    let new = NewKeyResult {
        objective_id: body.objective_id,
        title: Title::parse("title", &body.title)?,
        kind: body.kind,
        unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &body.unit_of_measure)?,
        measure,
        weight: Weight::new("weight", body.weight)?,
        owner_id: body.owner_id,
        kpi_id: body.kpi_id,
    };
    let kr = state.store.create_key_result(new).await?;
    Ok(created(kr.version, KeyResultView::new(kr, &state.policy, state.today())))
}

#[utoipa::path(get, path = "/key-results/{id}", tag = "key-results", params(("id" = KeyResultId, Path)),
    responses((status = 200, body = KeyResultView), (status = 404, body = ErrorBody)))]
async fn get_key_result(State(state): State<AppState>, ApiPath(id): ApiPath<KeyResultId>) -> ApiResult<Response> {
    let kr = state.store.get_key_result(id).await?;
    Ok(with_etag(kr.version, KeyResultView::new(kr, &state.policy, state.today())))
}

#[utoipa::path(patch, path = "/key-results/{id}", tag = "key-results", request_body = UpdateKeyResult,
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_key_result(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateKeyResult>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    if let Some(Some(kpi)) = body.kpi_id {
        linked_kpi(&state, Some(kpi)).await?;
    }
    let measure = if body.baseline.is_some() || body.target.is_some() || body.tolerance.is_some() {
        let current = state.store.get_key_result(id).await?;
        Some(Measure::new(
            body.baseline.unwrap_or(current.baseline),
            body.target.unwrap_or(current.target),
            body.tolerance.unwrap_or(current.tolerance),
        )?)
    } else {
        None
    };
    let patch = KeyResultPatch {
        title: body.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
        unit_of_measure: body
            .unit_of_measure
            .as_deref()
            .map(|u| UnitOfMeasure::parse("unit_of_measure", u))
            .transpose()?,
        measure,
        weight: body.weight.map(|w| Weight::new("weight", w)).transpose()?,
        owner_id: body.owner_id,
        kpi_id: body.kpi_id,
    };
    let kr =
        or_conflict(state.store.update_key_result(id, version, patch).await, state.store.get_key_result(id)).await?;
    Ok(with_etag(kr.version, KeyResultView::new(kr, &state.policy, state.today())))
}

#[utoipa::path(get, path = "/key-results/{id}/check-ins", tag = "key-results", params(("id" = KeyResultId, Path), ListCheckIns),
    responses((status = 200, body = ListPage<CheckIn>, description = "Newest first"), (status = 404, body = ErrorBody)))]
async fn list_check_ins(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiQuery(q): ApiQuery<ListCheckIns>,
) -> ApiResult<Json<ListPage<CheckIn>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.store.list_check_ins(id, page).await?.into()))
}

#[utoipa::path(post, path = "/key-results/{id}/check-ins", tag = "key-results", request_body = RecordCheckIn,
    description = "Records the key result's current value with a confidence and the next move; the key result's \
                   score, its objective's score and the roll-ups it contributes to are updated in the same transaction.",
    params(("id" = KeyResultId, Path)),
    responses((status = 201, body = CheckInRecorded), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The cycle is closed"), (status = 422, body = ErrorBody)))]
async fn record_check_in(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiJson(body): ApiJson<RecordCheckIn>,
) -> ApiResult<Response> {
    let value = match body.value {
        Some(v) => v,
        None => {
            let kr = state.store.get_key_result(id).await?;
            let kpi = linked_kpi(&state, kr.kpi_id).await?;
            kpi.and_then(|k| k.current_value).ok_or_else(|| {
                crate::error::ApiError::from(quarterdeck_domain::DomainError::Empty { field: "value" })
            })?
        }
    };
    let new = NewCheckIn {
        value,
        confidence: body.confidence,
        note: Note::parse("note", &body.note)?,
        author_id: body.author_id,
        at: body.at,
    };
    let (check_in, kr) = state.store.record_check_in(id, new).await?;
    let version = kr.version;
    Ok(created(version, CheckInRecorded { check_in, key_result: KeyResultView::new(kr, &state.policy, state.today()) }))
}

#[utoipa::path(post, path = "/key-results/{id}/kill", tag = "key-results", request_body = Kill,
    description = "Stops a key result mid-cycle with a written reason; it leaves the objective's score.",
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn kill_key_result(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<Kill>,
) -> ApiResult<Response> {
    let change = KeyResultStatusChange::Kill { reason: Reason::parse("reason", &body.reason)? };
    let version = if_match.0.or(body.version);
    let kr = or_conflict(state.store.set_key_result_status(id, version, change).await, state.store.get_key_result(id))
        .await?;
    Ok(with_etag(kr.version, KeyResultView::new(kr, &state.policy, state.today())))
}

#[utoipa::path(post, path = "/key-results/{id}/carry-forward", tag = "key-results", request_body(content = Option<CarryForward>),
    description = "Marks a key result as carried forward to the next cycle; it leaves this cycle's score.",
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn carry_forward(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    body: Option<ApiJson<CarryForward>>,
) -> ApiResult<Response> {
    let version = if_match.0.or(body.and_then(|b| b.0.version));
    let kr = or_conflict(
        state.store.set_key_result_status(id, version, KeyResultStatusChange::CarryForward).await,
        state.store.get_key_result(id),
    )
    .await?;
    Ok(with_etag(kr.version, KeyResultView::new(kr, &state.policy, state.today())))
}

#[utoipa::path(get, path = "/key-results/{id}/stretch-targets", tag = "key-results",
    description = "For a key result linked to a KPI: mean + 1 / 1.5 / 2 sd of the KPI's recent history (mean − … when lower is better).",
    params(("id" = KeyResultId, Path)),
    responses((status = 200, body = super::kpis::StretchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn key_result_stretch_targets(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
) -> ApiResult<Json<super::kpis::StretchView>> {
    let kr = state.store.get_key_result(id).await?;
    let kpi = linked_kpi(&state, kr.kpi_id).await?.ok_or_else(|| {
        crate::error::ApiError::unprocessable(
            "not_linked",
            "kpi_id",
            "this key result is not linked to a KPI; link one to get stretch targets",
        )
    })?;
    Ok(Json(super::kpis::stretch_for(&state, &kpi).await?))
}
