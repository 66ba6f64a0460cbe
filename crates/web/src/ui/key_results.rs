//! Key results: adding one to an objective, its page (value against the straight line from
//! baseline to target, check-ins, history), the weekly check-in that updates the score in
//! place, editing with conflicts shown, and kill / carry forward with a reason.

use super::{PageForm, PageResult, Viewer, filled, number, see_other};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::access::Offer;
use quarterdeck_app::key_results::{CreateKeyResult, Kill, RecordCheckIn, UpdateKeyResult};
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use quarterdeck_store::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct KrForm {
    title: Option<String>,
    baseline: Option<String>,
    target: Option<String>,
    unit_of_measure: Option<String>,
    weight: Option<String>,
    tolerance: Option<String>,
    kpi: Option<String>,
    version: Option<i64>,
}

fn required(field: &str, v: Option<f64>) -> Result<f64, AppError> {
    v.ok_or_else(|| AppError::new(Code::Missing, format!("{field}: enter a number")).with_field(field.to_owned()))
}

pub async fn create(v: Viewer, Path(id): Path<ObjectiveId>, PageForm(f): PageForm<KrForm>) -> PageResult {
    let result = async {
        let kpi_id = match filled(&f.kpi) {
            Some(k) => Some(v.app.get_kpi(k).await.map_err(|e| e.with_field("kpi"))?.card.kpi.id),
            None => None,
        };
        let input = CreateKeyResult {
            objective_id: id,
            key: None,
            title: f.title.clone().unwrap_or_default(),
            kind: quarterdeck_domain::scoring::KeyResultKind::Metric,
            unit_of_measure: f.unit_of_measure.clone().unwrap_or_default(),
            baseline: number("baseline", &f.baseline)?,
            target: number("target", &f.target)?,
            tolerance: number("tolerance", &f.tolerance)?,
            weight: number("weight", &f.weight)?.unwrap_or(1.0),
            owner_id: v.app.person_id(),
            kpi_id,
        };
        v.app.create_key_result(input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) if matches!(e.kind(), Kind::Unauthenticated | Kind::NotFound) && e.field.is_none() => Err(e.into()),
        Err(e) => {
            let status = crate::error::status_of(e.kind());
            let kr_form = minijinja::Value::from_serialize(&f);
            super::objectives::show(&v, id, status, None, Some(&e), Some(kr_form)).await
        }
    }
}

/// The key result's page; `form` and `error` refill the edit form after a failed save.
async fn show(
    v: &Viewer,
    id: KeyResultId,
    status: StatusCode,
    form: Option<&KrForm>,
    error: Option<&AppError>,
) -> PageResult {
    show_with(v, id, status, form, error, None).await
}

/// The page; `moves_with` names a KPI to correlate with the key result's progress.
async fn show_with(
    v: &Viewer,
    id: KeyResultId,
    status: StatusCode,
    form: Option<&KrForm>,
    error: Option<&AppError>,
    moves_with: Option<&str>,
) -> PageResult {
    let kr = v.app.get_key_result(id).await?;
    let objective = v.app.get_objective(kr.objective_id).await?;
    let cycle = v.app.get_cycle(&objective.cycle_id.to_string()).await?;
    let check_ins = v.app.list_check_ins(id, PageRequest::first(200)).await?.items;
    let history =
        super::history_lines(v.app.history("key_result", &id.to_string(), PageRequest::first(20)).await?.items);
    let initiatives = v.app.list_initiatives(Some(id), None, PageRequest::first(50)).await?.items;
    let can_check_in = v.app.can(Offer::CheckIn(id)).await;
    let can_edit = v.app.can(Offer::EditKeyResult(id)).await;
    let kpi = match kr.kpi_id {
        Some(k) => v.app.get_kpi(&k.to_string()).await.ok().map(|d| d.card.kpi),
        None => None,
    };
    // The chart: each check-in's value, and the straight line from the baseline at the
    // cycle's start to the target at its end.
    let start = cycle.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp();
    let end = cycle.end.and_hms_opt(23, 59, 59).expect("a time").and_utc().timestamp();
    let mut points: Vec<(i64, f64)> = check_ins.iter().map(|c| (c.at.timestamp(), c.value)).collect();
    points.sort_by_key(|p| p.0);
    let forecast = v.app.forecast_key_result(id).await?;
    let correlation = match moves_with {
        Some(k) => {
            Some(v.app.correlation(id, k).await.map_err(|e| context! { message => e.message, field => e.field }))
        }
        None => None,
    };
    let (correlation, correlation_error) = match correlation {
        Some(Ok(c)) => (Some(c), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    // The check-in's draft: what the data says; confidence and the next move stay human.
    let expected_now = kr.baseline + (kr.target - kr.baseline) * kr.expected_progress;
    let band: Vec<(i64, f64, f64, f64)> = forecast
        .forecast
        .iter()
        .flat_map(|f| f.band.iter().map(|b| (b.at.timestamp(), b.low, b.p50, b.high)))
        .collect();
    let chart = serde_json::json!({
        "kind": "key_result",
        "unit": kr.unit_of_measure,
        "points": points,
        "ideal": [[start, kr.baseline], [end, kr.target]],
        "forecast": band,
    });
    let conflict = error.filter(|e| e.is_stale()).and_then(|e| e.current.clone());
    let form = form.cloned().unwrap_or_else(|| KrForm {
        title: Some(kr.title.clone()),
        baseline: Some(kr.baseline.to_string()),
        target: Some(kr.target.to_string()),
        unit_of_measure: Some(kr.unit_of_measure.clone()),
        weight: Some(kr.weight.to_string()),
        tolerance: kr.tolerance.map(|t| t.to_string()),
        kpi: None,
        version: Some(kr.version),
    });
    let mut recent = check_ins;
    recent.sort_by_key(|c| std::cmp::Reverse(c.at));
    recent.truncate(20);
    Ok(v.render_status(
        status,
        "key_result.html",
        "company",
        context! {
            kr, objective, cycle, check_ins => recent, history, can_check_in, can_edit, kpi, initiatives, forecast,
            correlation, correlation_error, moves_with, expected_now,
            chart => chart.to_string(), form, conflict,
            error => error.map(|e| context! { message => e.message, field => e.field }),
        },
    ))
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// A KPI (key) to correlate with the key result's progress.
    moves_with: Option<String>,
}

pub async fn page(v: Viewer, Path(id): Path<KeyResultId>, Query(q): Query<PageQuery>) -> PageResult {
    let moves_with = filled(&q.moves_with).map(str::to_owned);
    show_with(&v, id, StatusCode::OK, None, None, moves_with.as_deref()).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct CheckInForm {
    value: Option<String>,
    confidence: Option<String>,
    note: Option<String>,
}

fn htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Records a check-in. From htmx the answer is the key result's summary, updated in place
/// (or the form with its error: htmx swaps only successful answers, so it comes as 200).
pub async fn check_in(
    v: Viewer,
    Path(id): Path<KeyResultId>,
    headers: HeaderMap,
    PageForm(f): PageForm<CheckInForm>,
) -> PageResult {
    let result = async {
        let confidence = match filled(&f.confidence) {
            Some(c) => c.parse().map_err(|_| {
                AppError::new(Code::InvalidField, "confidence: choose on track, at risk or off track")
                    .with_field("confidence")
            })?,
            None => {
                return Err(
                    AppError::new(Code::Missing, "confidence: say how confident you are").with_field("confidence")
                );
            }
        };
        let input = RecordCheckIn {
            value: number("value", &f.value)?,
            confidence,
            note: f.note.clone().unwrap_or_default(),
            author_id: None,
            at: None,
        };
        v.app.record_check_in(id, input).await
    }
    .await;
    match (result, htmx(&headers)) {
        (Ok(done), true) => Ok(super::render(
            StatusCode::OK,
            "kr_summary.html",
            context! { kr => done.key_result, just_checked_in => true },
        )),
        (Ok(_), false) => Ok(see_other(&format!("/key-results/{id}"))),
        (Err(e), _) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        (Err(e), true) => {
            let kr = v.app.get_key_result(id).await?;
            Ok(super::render(
                StatusCode::OK,
                "kr_summary.html",
                context! { kr, check_in_error => context! { message => e.message, field => e.field }, typed => f },
            ))
        }
        (Err(e), false) => show(&v, id, crate::error::status_of(e.kind()), None, Some(&e)).await,
    }
}

pub async fn edit(v: Viewer, Path(id): Path<KeyResultId>, PageForm(f): PageForm<KrForm>) -> PageResult {
    let result = async {
        let version = f.version.ok_or_else(|| {
            AppError::new(Code::Missing, "version: reload the page and edit again").with_field("version")
        })?;
        let input = UpdateKeyResult {
            version: None,
            title: f.title.clone(),
            unit_of_measure: f.unit_of_measure.clone(),
            baseline: Some(required("baseline", number("baseline", &f.baseline)?)?),
            target: Some(required("target", number("target", &f.target)?)?),
            tolerance: Some(number("tolerance", &f.tolerance)?),
            weight: number("weight", &f.weight)?,
            owner_id: None,
            kpi_id: None,
        };
        v.app.update_key_result(id, version, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/key-results/{id}"))),
        Err(e) if matches!(e.kind(), Kind::Unauthenticated | Kind::NotFound) => Err(e.into()),
        Err(e) => show(&v, id, crate::error::status_of(e.kind()), Some(&f), Some(&e)).await,
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    action: Option<String>,
    reason: Option<String>,
    version: Option<i64>,
}

pub async fn status(v: Viewer, Path(id): Path<KeyResultId>, PageForm(f): PageForm<StatusForm>) -> PageResult {
    let result = match filled(&f.action) {
        Some("kill") => {
            v.app
                .kill_key_result(id, f.version, Kill { version: None, reason: f.reason.clone().unwrap_or_default() })
                .await
        }
        Some("carry_forward") => v.app.carry_forward(id, f.version).await,
        _ => Err(AppError::new(Code::InvalidField, "action: choose kill or carry forward").with_field("action")),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/key-results/{id}"))),
        Err(e) if matches!(e.kind(), Kind::Unauthenticated | Kind::NotFound) => Err(e.into()),
        Err(e) => show(&v, id, crate::error::status_of(e.kind()), None, Some(&e)).await,
    }
}

#[derive(Deserialize)]
pub struct InitiativeForm {
    title: Option<String>,
    kind: Option<String>,
    link: Option<String>,
}

/// Adds an initiative: the work the team bets will move the key result (tracked, never scored).
pub async fn add_initiative(
    v: Viewer,
    Path(id): Path<KeyResultId>,
    PageForm(f): PageForm<InitiativeForm>,
) -> PageResult {
    let result = async {
        let kind = match filled(&f.kind) {
            Some(k) => k.parse().map_err(|_| {
                AppError::new(Code::InvalidField, "kind: choose project, experiment or task").with_field("kind")
            })?,
            None => quarterdeck_domain::okr::InitiativeKind::Project,
        };
        let input = quarterdeck_app::initiatives::CreateInitiative {
            key_result_id: id,
            title: f.title.clone().unwrap_or_default(),
            kind,
            status: quarterdeck_domain::okr::InitiativeStatus::Planned,
            owner_id: v.app.person_id(),
            link: filled(&f.link).map(str::to_owned),
        };
        v.app.create_initiative(input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/key-results/{id}"))),
        Err(e) if matches!(e.kind(), Kind::Unauthenticated | Kind::NotFound) && e.field.is_none() => Err(e.into()),
        Err(e) => show(&v, id, crate::error::status_of(e.kind()), None, Some(&e)).await,
    }
}
