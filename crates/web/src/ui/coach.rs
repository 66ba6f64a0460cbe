//! The coach in the browser: hints while a person drafts (the rules that need only the
//! words), a cycle's findings, and the findings of one objective on its page.

use super::{PageResult, Viewer};
use axum::extract::{Path, Query};
use minijinja::context;
use quarterdeck_app::coach::{Scope, draft_findings};
use quarterdeck_domain::coach::{RuleId, Severity};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Draft {
    title: Option<String>,
}

/// The hints for an objective's title as it is typed (htmx swaps them in under the field).
/// Only signed-in readers get them, like every page.
pub async fn objective_hints(_: Viewer, Query(d): Query<Draft>) -> PageResult {
    hints(draft_findings(d.title.as_deref(), None))
}

/// The hints for a key result's title as it is typed.
pub async fn key_result_hints(_: Viewer, Query(d): Query<Draft>) -> PageResult {
    hints(draft_findings(None, d.title.as_deref()))
}

fn hints(found: Vec<(RuleId, Severity, String)>) -> PageResult {
    let hints: Vec<minijinja::Value> =
        found.into_iter().map(|(rule, severity, message)| context! { rule, severity, message }).collect();
    Ok(super::render(axum::http::StatusCode::OK, "coach_hints.html", context! { hints }))
}

#[derive(Deserialize)]
pub struct CycleScope {
    unit: Option<String>,
}

/// Every finding in a cycle, errors first, each linked to its record.
pub async fn cycle(v: Viewer, Path(id): Path<String>, Query(q): Query<CycleScope>) -> PageResult {
    let unit = v.app.resolve_unit_id("unit", q.unit.as_deref().filter(|u| !u.is_empty())).await?;
    let review = v.app.review(&id, Scope { unit, objective: None }).await?;
    let policy = v.app.coach_policy().await?;
    Ok(v.render("coach.html", "cycles", context! { review, policy => policy.organisation, unit => q.unit }))
}
