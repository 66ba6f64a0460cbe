//! The coach: findings of the quality rules, the policy that holds their numbers, and the
//! forecast of a key result.

use super::with_etag;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::agenda::Agenda;
use quarterdeck_app::calibration::CalibrationView;
use quarterdeck_app::candidates::OkrCandidate;
use quarterdeck_app::coach::{AlignmentReviewView, PolicyView, Review, Scope};
use quarterdeck_app::correlation::Correlation;
use quarterdeck_app::forecast::KeyResultForecast;
use quarterdeck_app::views::ObjectiveView;
use quarterdeck_domain::coach::policy::{Overrides, PolicySettings};
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_findings))
        .routes(routes!(objective_findings))
        .routes(routes!(get_policy, set_policy))
        .routes(routes!(forecast))
        .routes(routes!(okr_candidates))
        .routes(routes!(accept_okr_candidate))
        .routes(routes!(agenda))
        .routes(routes!(correlation))
        .routes(routes!(alignment_review))
        .routes(routes!(calibration))
}

#[utoipa::path(get, path = "/calibration", tag = "coach", params(CandidatesQuery),
    description = "Calibration over the last closed cycles (mean aspirational score, share of 1.0s, sandbagging \
                   when every cycle ends at 0.95 or more, fantasy at 0.3 or less) and the OKR completion share per \
                   cycle against the 67–73 % norm, for a unit's own objectives or the whole organisation.",
    responses((status = 200, body = CalibrationView), (status = 404, body = ErrorBody)))]
async fn calibration(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CandidatesQuery>,
) -> ApiResult<Json<CalibrationView>> {
    Ok(Json(state.app.calibration(q.unit.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// A cycle id or `current` (the default).
    pub cycle: Option<String>,
}

#[utoipa::path(get, path = "/alignment-review", tag = "coach", params(ReviewQuery),
    description = "The alignment review of a cycle: company key results nobody aligns to, KPIs claimed by two \
                   teams, targets beyond the KPI's µ + 2σ, orphans, and objectives whose key results touch no KPI.",
    responses((status = 200, body = AlignmentReviewView), (status = 404, body = ErrorBody)))]
async fn alignment_review(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<AlignmentReviewView>> {
    Ok(Json(state.app.alignment_review(q.cycle.as_deref().unwrap_or("current")).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CorrelationQuery {
    /// The KPI (key or id) to correlate with the key result's progress.
    pub kpi: String,
}

#[utoipa::path(get, path = "/key-results/{id}/correlation", tag = "coach", params(CorrelationQuery),
    description = "Pearson's r between the key result's weekly check-ins and the KPI's weekly values, from six \
                   weeks that have both (METHOD.md §5.5, §9).",
    responses((status = 200, body = Correlation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correlation(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiQuery(q): ApiQuery<CorrelationQuery>,
) -> ApiResult<Json<Correlation>> {
    Ok(Json(state.app.correlation(id, &q.kpi).await?))
}

#[utoipa::path(get, path = "/units/{id}/agenda", tag = "coach",
    description = "The unit's weekly meeting in the 45-minute skeleton of METHOD.md §4: KPI deltas against baseline, \
                   key results with blockers, who owes a check-in and forecasts, decisions and next bets (behind pace, \
                   OKR candidates), risks and guardrails. The page /teams/{slug}/agenda shows it, \
                   /teams/{slug}/agenda.md gives it as Markdown.",
    params(("id" = String, Path, description = "Unit id or slug")),
    responses((status = 200, body = Agenda), (status = 404, body = ErrorBody)))]
async fn agenda(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Agenda>> {
    Ok(Json(state.app.agenda(&id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CandidatesQuery {
    /// Only this unit's KPIs (id or slug); all KPIs without it.
    pub unit: Option<String>,
}

#[utoipa::path(get, path = "/okr-candidates", tag = "coach", params(CandidatesQuery),
    description = "KPIs that deserve an OKR (METHOD.md §5.1, §5.4): outside their healthy range for the last two \
                   complete periods, drifting against their direction (XmR chart, Western Electric rules), or with \
                   a target further ahead than their history makes plausible; each pre-filled with an objective, a \
                   key result from the current value to a stretch target, and its counterweight.",
    responses((status = 200, body = Vec<OkrCandidate>), (status = 404, body = ErrorBody)))]
async fn okr_candidates(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CandidatesQuery>,
) -> ApiResult<Json<Vec<OkrCandidate>>> {
    Ok(Json(state.app.okr_candidates(q.unit.as_deref()).await?))
}

#[utoipa::path(post, path = "/kpis/{key}/okr-candidate", tag = "coach",
    description = "Accepts the KPI's candidate: a draft objective (in the cycle being planned, or the running one) \
                   with the proposed key result measured from the KPI, in one transaction.",
    params(("key" = String, Path, description = "KPI id or key")),
    responses((status = 201, body = ObjectiveView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept_okr_candidate(Caller(app): Caller, ApiPath(key): ApiPath<String>) -> ApiResult<Response> {
    let view = app.accept_okr_candidate(&key).await?;
    Ok(super::created(view.version, view))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindingsQuery {
    /// A cycle id or `current` (the default).
    pub cycle: Option<String>,
    /// Only this unit's objectives (id or slug).
    pub unit: Option<String>,
}

#[utoipa::path(get, path = "/findings", tag = "coach", params(FindingsQuery),
    description = "What the coach finds in a cycle: every quality rule of the method, each finding with its \
                   rule id, severity (error, warning, info), message, fix and the record it is about.",
    responses((status = 200, body = Review), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_findings(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> ApiResult<Json<std::sync::Arc<Review>>> {
    let unit = state.app.resolve_unit_id("unit", q.unit.as_deref()).await?;
    let cycle = q.cycle.as_deref().unwrap_or("current");
    Ok(Json(state.app.review(cycle, Scope { unit, objective: None }).await?))
}

#[utoipa::path(get, path = "/objectives/{id}/findings", tag = "coach",
    responses((status = 200, body = Review), (status = 404, body = ErrorBody)))]
async fn objective_findings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ObjectiveId>,
) -> ApiResult<Json<Review>> {
    Ok(Json(state.app.review_objective(id).await?))
}

#[utoipa::path(get, path = "/coach/policy", tag = "coach",
    responses((status = 200, body = PolicyView)))]
async fn get_policy(State(state): State<AppState>) -> ApiResult<Response> {
    let view = state.app.coach_policy().await?;
    Ok(with_etag(view.version, view))
}

/// The coach's settings: a preset and numbers for the organisation, and for units that differ.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPolicy {
    pub version: Option<i64>,
    #[serde(default)]
    pub organisation: Overrides,
    /// By unit id or slug.
    #[serde(default)]
    pub units: BTreeMap<String, Overrides>,
}

#[utoipa::path(put, path = "/coach/policy", tag = "coach", request_body = SetPolicy,
    params(("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = PolicyView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn set_policy(Caller(app): Caller, if_match: IfMatch, ApiJson(body): ApiJson<SetPolicy>) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let settings = PolicySettings { organisation: body.organisation, units: body.units };
    let view = app.set_coach_policy(version, settings).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(get, path = "/key-results/{id}/forecast", tag = "coach",
    description = "Where the key result lands at the cycle's end: OLS over its check-ins against time, P50 and \
                   the 80 % prediction interval (Student's t, n − 2 degrees of freedom), with the formula and its \
                   inputs. Fewer than three check-ins: no forecast, and `no_forecast` says why.",
    responses((status = 200, body = KeyResultForecast), (status = 404, body = ErrorBody)))]
async fn forecast(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
) -> ApiResult<Json<KeyResultForecast>> {
    Ok(Json(state.app.forecast_key_result(id).await?))
}
