//! The KPI dictionary and a KPI's page: its definition one-pager, a chart of its period
//! values with the target (or healthy band) and the guardrail threshold, the granularity
//! switch, its data sources with "run now", and the edit form.

use super::{PageForm, PageResult, Viewer, number, see_other, sparkline};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::access::Offer;
use quarterdeck_app::kpis::{KpiQuery, UpdateKpi};
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_domain::kpi::definition::Target;
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_store::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct ListParams {
    unit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(v: Viewer, Query(q): Query<ListParams>) -> PageResult {
    let query = KpiQuery { unit: q.unit.clone(), ..Default::default() };
    let cards = v.app.list_kpi_cards(query, quarterdeck_app::page(Some(100), q.cursor.as_deref())?).await?;
    let rows: Vec<minijinja::Value> = cards
        .items
        .iter()
        .map(|c| {
            let spark = sparkline(&c.trust.recent_values);
            context! { card => c, spark }
        })
        .collect();
    Ok(v.render("kpis.html", "kpis", context! { rows, next => cards.next_cursor, unit => q.unit }))
}

#[derive(Deserialize)]
pub struct KpiParams {
    /// day, week, month or quarter; the KPI's cadence when left out.
    granularity: Option<String>,
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct KpiForm {
    name: Option<String>,
    description: Option<String>,
    caveats: Option<String>,
    target: Option<String>,
    range_low: Option<String>,
    range_high: Option<String>,
    guardrail_threshold: Option<String>,
    version: Option<i64>,
}

async fn show(
    v: &Viewer,
    key: &str,
    granularity: Option<Granularity>,
    status: StatusCode,
    form: Option<&KpiForm>,
    error: Option<&AppError>,
) -> PageResult {
    let detail = v.app.get_kpi(key).await?;
    let kpi = &detail.card.kpi;
    let g = granularity.unwrap_or(Granularity::of_cadence(kpi.cadence));
    let limit = match g {
        Granularity::Day => 365,
        Granularity::Week => 104,
        Granularity::Month => 36,
        Granularity::Quarter => 16,
    };
    let (_, periods) = v.app.list_periods(key, Some(g), None, None, None, Some(limit)).await?;
    let sources = v.app.list_data_sources(Some(kpi.id), PageRequest::first(20)).await?.items;
    let stretch = v.app.kpi_stretch_targets(key).await.ok();
    let targets = v.app.kpi_target_history(key).await?;
    let can_edit = v.app.can(Offer::EditKpi(kpi.id)).await;
    let (target, band) = match kpi.target {
        Some(Target::Value { value }) => (Some(value), None),
        Some(Target::Range { low, high }) => (None, Some([low, high])),
        None => (None, None),
    };
    let points: Vec<(i64, Option<f64>)> = periods
        .iter()
        .map(|p| (p.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp(), p.value))
        .collect();
    let chart = serde_json::json!({
        "kind": "kpi",
        "unit": kpi.unit_of_measure,
        "points": points,
        "target": target,
        "band": band,
        "guardrail": kpi.guardrail_threshold,
    });
    let form = form.cloned().unwrap_or_else(|| KpiForm {
        name: Some(kpi.name.clone()),
        description: Some(kpi.description.clone()),
        caveats: Some(kpi.caveats.clone()),
        target: target.map(|t| t.to_string()),
        range_low: band.map(|b| b[0].to_string()),
        range_high: band.map(|b| b[1].to_string()),
        guardrail_threshold: kpi.guardrail_threshold.map(|t| t.to_string()),
        version: Some(kpi.version),
    });
    let conflict = error.filter(|e| e.is_stale()).and_then(|e| e.current.clone());
    let recent: Vec<_> = periods.iter().rev().take(12).collect();
    Ok(v.render_status(
        status,
        "kpi.html",
        "kpis",
        context! {
            k => detail, granularity => g.to_string(), chart => chart.to_string(), sources, stretch, targets,
            can_edit, form, conflict, recent, points => periods.len(),
            granularities => ["day", "week", "month", "quarter"],
            error => error.map(|e| context! { message => e.message, field => e.field }),
        },
    ))
}

fn granularity_of(raw: Option<&str>) -> Result<Option<Granularity>, AppError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| AppError::bad_query("granularity", "granularity: choose day, week, month or quarter"))
        })
        .transpose()
}

pub async fn page(v: Viewer, Path(key): Path<String>, Query(q): Query<KpiParams>) -> PageResult {
    let g = granularity_of(q.granularity.as_deref())?;
    show(&v, &key, g, StatusCode::OK, None, None).await
}

pub async fn edit(v: Viewer, Path(key): Path<String>, PageForm(f): PageForm<KpiForm>) -> PageResult {
    let result = async {
        let version = f.version.ok_or_else(|| {
            AppError::new(Code::Missing, "version: reload the page and edit again").with_field("version")
        })?;
        let target = number("target", &f.target)?;
        let (low, high) = (number("range_low", &f.range_low)?, number("range_high", &f.range_high)?);
        let input = UpdateKpi {
            name: f.name.clone(),
            description: f.description.clone(),
            caveats: f.caveats.clone(),
            target: if low.is_some() || high.is_some() { None } else { Some(target) },
            range_low: low,
            range_high: high,
            guardrail_threshold: Some(number("guardrail_threshold", &f.guardrail_threshold)?),
            ..Default::default()
        };
        v.app.update_kpi(&key, version, input).await
    }
    .await;
    match result {
        Ok(kpi) => Ok(see_other(&format!("/kpis/{}", kpi.key))),
        Err(e) if matches!(e.kind(), Kind::Unauthenticated | Kind::NotFound) && e.field.is_none() => Err(e.into()),
        Err(e) => show(&v, &key, None, crate::error::status_of(e.kind()), Some(&f), Some(&e)).await,
    }
}

/// Runs the KPI's data sources now, then shows the page with what they brought.
pub async fn run(v: Viewer, Path(key): Path<String>, PageForm(_): PageForm<serde::de::IgnoredAny>) -> PageResult {
    let kpi = v.app.get_kpi(&key).await?.card.kpi;
    let sources = v.app.list_data_sources(Some(kpi.id), PageRequest::first(20)).await?.items;
    if sources.is_empty() {
        let e =
            AppError::new(Code::InvalidField, "this KPI has no data source to run; add one with the API or the CLI");
        return show(&v, &key, None, StatusCode::UNPROCESSABLE_ENTITY, None, Some(&e)).await;
    }
    for s in sources {
        v.app.run_data_source(s.id).await?;
    }
    Ok(see_other(&format!("/kpis/{key}")))
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct FromKpiForm {
    objective: Option<String>,
    title: Option<String>,
    baseline: Option<String>,
    target: Option<String>,
}

/// "Create a key result from this KPI": the objectives of the viewer's team (and their
/// own) in the current cycle to choose from, the KPI's value now as the baseline.
async fn from_kpi_page(
    v: &Viewer,
    key: &str,
    status: StatusCode,
    form: Option<&FromKpiForm>,
    error: Option<&AppError>,
) -> PageResult {
    let kpi = v.app.get_kpi(key).await?.card.kpi;
    let mut objectives = Vec::new();
    if let Ok(cycle) = v.app.get_cycle("current").await {
        let unit = match v.app.rights() {
            quarterdeck_domain::access::Rights::User { member, .. } => member.unit,
            _ => None,
        };
        let mut queries = Vec::new();
        if let Some(u) = unit {
            queries
                .push(quarterdeck_app::objectives::ObjectiveQuery { unit: Some(u.to_string()), ..Default::default() });
        }
        if let Some(p) = v.app.person_id() {
            queries.push(quarterdeck_app::objectives::ObjectiveQuery { owner: Some(p), ..Default::default() });
        }
        for q in queries {
            let q = quarterdeck_app::objectives::ObjectiveQuery { cycle: Some(cycle.id.to_string()), ..q };
            for o in v.app.list_objectives(q, PageRequest::first(50)).await?.items {
                if !objectives.iter().any(|x: &quarterdeck_app::views::ObjectiveView| x.id == o.id) {
                    objectives.push(o);
                }
            }
        }
    }
    let form = form.cloned().unwrap_or_else(|| FromKpiForm {
        title: Some(format!("{} from {} to …", kpi.name, super::format_number(kpi.current_value))),
        baseline: kpi.current_value.map(|v| v.to_string()),
        ..Default::default()
    });
    Ok(v.render_status(
        status,
        "kpi_key_result.html",
        "kpis",
        context! { k => kpi, objectives, form, error => error.map(|e| context! { message => e.message, field => e.field }) },
    ))
}

pub async fn key_result_form(v: Viewer, Path(key): Path<String>) -> PageResult {
    from_kpi_page(&v, &key, StatusCode::OK, None, None).await
}

pub async fn create_key_result(v: Viewer, Path(key): Path<String>, PageForm(f): PageForm<FromKpiForm>) -> PageResult {
    let result = async {
        let kpi = v.app.get_kpi(&key).await?.card.kpi;
        let objective = super::filled(&f.objective).and_then(|o| o.parse().ok()).ok_or_else(|| {
            AppError::new(Code::Missing, "objective: choose the objective it measures").with_field("objective")
        })?;
        let input = quarterdeck_app::key_results::CreateKeyResult {
            objective_id: objective,
            key: None,
            title: f.title.clone().unwrap_or_default(),
            kind: quarterdeck_domain::scoring::KeyResultKind::Metric,
            unit_of_measure: kpi.unit_of_measure.clone(),
            baseline: number("baseline", &f.baseline)?,
            target: number("target", &f.target)?,
            tolerance: None,
            weight: 1.0,
            owner_id: v.app.person_id(),
            kpi_id: Some(kpi.id),
        };
        v.app.create_key_result(input).await
    }
    .await;
    match result {
        Ok(kr) => Ok(see_other(&format!("/key-results/{}", kr.id))),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => from_kpi_page(&v, &key, crate::error::status_of(e.kind()), Some(&f), Some(&e)).await,
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct NewKpiForm {
    name: Option<String>,
    unit: Option<String>,
    unit_of_measure: Option<String>,
    description: Option<String>,
    formula: Option<String>,
    cadence: Option<String>,
    aggregation: Option<String>,
    direction: Option<String>,
    target: Option<String>,
    range_low: Option<String>,
    range_high: Option<String>,
    timing: Option<String>,
    nature: Option<String>,
    caveats: Option<String>,
}

fn new_page(v: &Viewer, status: StatusCode, form: &NewKpiForm, error: Option<&AppError>) -> PageResult {
    Ok(v.render_status(
        status,
        "kpi_new.html",
        "kpis",
        context! { form, error => error.map(|e| context! { message => e.message, field => e.field }) },
    ))
}

pub async fn new_form(v: Viewer) -> PageResult {
    let form = NewKpiForm { cadence: Some("weekly".into()), ..Default::default() };
    new_page(&v, StatusCode::OK, &form, None)
}

/// Defines a KPI from the form: the filled fields, with the use case's own defaults for the
/// rest (the same as the API's).
pub async fn create(v: Viewer, PageForm(f): PageForm<NewKpiForm>) -> PageResult {
    let result = async {
        let mut body = serde_json::Map::new();
        let text = [
            ("name", &f.name),
            ("unit", &f.unit),
            ("unit_of_measure", &f.unit_of_measure),
            ("description", &f.description),
            ("formula", &f.formula),
            ("cadence", &f.cadence),
            ("aggregation", &f.aggregation),
            ("direction", &f.direction),
            ("timing", &f.timing),
            ("nature", &f.nature),
            ("caveats", &f.caveats),
        ];
        for (field, value) in text {
            if let Some(v) = super::filled(value) {
                body.insert(field.into(), v.into());
            }
        }
        for (field, value) in [("target", &f.target), ("range_low", &f.range_low), ("range_high", &f.range_high)] {
            if let Some(n) = number(field, value)? {
                body.insert(field.into(), n.into());
            }
        }
        if let Some(p) = v.app.person_id() {
            body.insert("owner_id".into(), p.to_string().into());
        }
        body.entry("name").or_insert_with(|| "".into());
        let body = serde_json::to_vec(&serde_json::Value::Object(body)).expect("a JSON object serialises");
        let input: quarterdeck_app::kpis::CreateKpi = quarterdeck_app::measurements::from_json(&body)?;
        v.app.create_kpi(input).await
    }
    .await;
    match result {
        Ok(kpi) => Ok(see_other(&format!("/kpis/{}", kpi.key))),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => new_page(&v, crate::error::status_of(e.kind()), &f, Some(&e)),
    }
}
