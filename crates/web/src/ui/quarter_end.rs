//! The quarter end in the browser: the close walkthrough (grades, then a decision for each
//! key result and a retro for each objective, then the close), and the forms behind it.

use super::{PageForm, PageResult, Viewer, filled, see_other};
use axum::extract::{Path, Query};
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::access::Offer;
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::quarter_end::{RetireIntoKpi, WriteRetro};
use quarterdeck_domain::calibration::{OKR_COMPLETION_NORM, okr_completion_share};
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ClosePage {
    cursor: Option<String>,
}

/// Objectives shown per page of the walkthrough.
const PER_PAGE: u32 = 50;

/// Step by step: the grades as they stand, each objective with its key results' decisions,
/// and the button that closes the cycle (decisions and retros stay possible after it).
pub async fn close_page(v: Viewer, Path(id): Path<String>, Query(q): Query<ClosePage>) -> PageResult {
    let cycle = v.app.get_cycle(&id).await?;
    let page = quarterdeck_app::page(Some(PER_PAGE), q.cursor.as_deref())?;
    let query = ObjectiveQuery { cycle: Some(id.clone()), with_key_results: true, ..Default::default() };
    let objectives = v.app.list_objectives(query, page).await?;
    let scores: Vec<f64> = objectives.items.iter().map(|o| o.score).collect();
    let share = okr_completion_share(&scores);
    let decided =
        objectives.items.iter().flat_map(|o| o.key_results.iter().flatten()).filter(|k| k.decision.is_some()).count();
    let key_results = objectives.items.iter().flat_map(|o| o.key_results.iter().flatten()).count();
    let admin = v.app.can(Offer::Administer).await;
    Ok(v.render(
        "cycle_close.html",
        "cycles",
        context! {
            cycle, objectives => objectives.items, next_cursor => objectives.next_cursor, share,
            norm => OKR_COMPLETION_NORM, decided, key_results, admin,
        },
    ))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: Option<String>,
    /// For retire into a KPI without a linked one: the new KPI's name and key.
    name: Option<String>,
    key: Option<String>,
    /// Where to come back to.
    back: Option<String>,
}

pub async fn decide(v: Viewer, Path(id): Path<KeyResultId>, PageForm(f): PageForm<DecisionForm>) -> PageResult {
    let result = async {
        match filled(&f.decision) {
            Some("carry_forward") => v.app.carry_forward(id, None).await.map(|_| ()),
            Some("retire") => v.app.retire_key_result(id).await.map(|_| ()),
            Some("retire_into_kpi") => {
                let input = RetireIntoKpi {
                    kpi: None,
                    name: filled(&f.name).map(str::to_owned),
                    key: filled(&f.key).map(str::to_owned),
                };
                v.app.retire_into_kpi(id, input).await.map(|_| ())
            }
            _ => Err(AppError::new(Code::InvalidField, "decision: choose carry forward, retire or retire into a KPI")
                .with_field("decision")),
        }
    }
    .await;
    let kr = v.app.get_key_result(id).await?;
    let back = filled(&f.back)
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/objectives/{}", kr.objective_id));
    match result {
        Ok(()) => Ok(see_other(&back)),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => {
            let status = crate::error::status_of(e.kind());
            super::objectives::show(&v, kr.objective_id, status, None, Some(&e), None).await
        }
    }
}

#[derive(Deserialize)]
pub struct RetroForm {
    moved: Option<String>,
    not_moved: Option<String>,
    learnings: Option<String>,
    version: Option<i64>,
}

pub async fn retro(v: Viewer, Path(id): Path<ObjectiveId>, PageForm(f): PageForm<RetroForm>) -> PageResult {
    let input = WriteRetro {
        version: f.version.filter(|v| *v > 0),
        moved: f.moved.unwrap_or_default(),
        not_moved: f.not_moved.unwrap_or_default(),
        learnings: f.learnings.unwrap_or_default(),
    };
    match v.app.write_retro(id, input).await {
        Ok(_) => Ok(see_other(&format!("/objectives/{id}#retro"))),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => {
            let status = crate::error::status_of(e.kind());
            super::objectives::show(&v, id, status, None, Some(&e), None).await
        }
    }
}
