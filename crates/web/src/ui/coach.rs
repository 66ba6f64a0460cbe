//! The coach in the browser: hints while a person drafts (the rules that need only the
//! words), a cycle's findings, and the findings of one objective on its page.

use super::{PageForm, PageResult, Viewer};
use axum::extract::{Path, Query};
use axum::response::IntoResponse;
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

/// Findings listed per severity on a cycle's page.
const SHOWN_PER_SEVERITY: usize = 100;

#[derive(Deserialize)]
pub struct CycleScope {
    unit: Option<String>,
}

/// Every finding in a cycle, errors first, each linked to its record.
pub async fn cycle(v: Viewer, Path(id): Path<String>, Query(q): Query<CycleScope>) -> PageResult {
    let unit = v.app.resolve_unit_id("unit", q.unit.as_deref().filter(|u| !u.is_empty())).await?;
    let mut review = v.app.review(&id, Scope { unit, objective: None }).await?;
    let policy = v.app.coach_policy().await?;
    // A whole company's cycle holds thousands of findings: each rule's count, and the first
    // findings of each severity (the API and `quarterdeck lint --json` list them all).
    let mut by_rule: std::collections::BTreeMap<(Severity, RuleId), usize> = Default::default();
    for f in &review.findings {
        *by_rule.entry((f.severity, f.rule)).or_default() += 1;
    }
    let counts: Vec<minijinja::Value> =
        by_rule.into_iter().map(|((severity, rule), n)| context! { severity, rule, n }).collect();
    let total = review.findings.len();
    let mut shown = std::collections::HashMap::new();
    review.findings.retain(|f| {
        let n = shown.entry(f.severity).or_insert(0usize);
        *n += 1;
        *n <= SHOWN_PER_SEVERITY
    });
    let hidden = total - review.findings.len();
    Ok(v.render(
        "coach.html",
        "cycles",
        context! { review, counts, hidden, policy => policy.organisation, unit => q.unit },
    ))
}

/// A team's weekly meeting in the 45-minute skeleton.
pub async fn agenda(v: Viewer, Path(slug): Path<String>) -> PageResult {
    let a = v.app.agenda(&slug).await?;
    let can_create = v.app.can(quarterdeck_app::access::Offer::CreateObjective(Some(a.unit.id))).await;
    Ok(v.render("agenda.html", "teams", context! { a, can_create }))
}

/// The same agenda as Markdown, to paste into the meeting's notes.
pub async fn agenda_markdown(v: Viewer, Path(slug): Path<String>) -> PageResult {
    let a = v.app.agenda(&slug).await?;
    let text = super::TEMPLATES
        .get_template("agenda.md")
        .and_then(|t| t.render(context! { a }))
        .map_err(|e| quarterdeck_app::AppError::new(quarterdeck_domain::error::Code::Internal, e.to_string()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// Drafts the OKR a KPI's candidate proposes, and opens it.
pub async fn accept_candidate(
    v: Viewer,
    Path(key): Path<String>,
    PageForm(_): PageForm<serde::de::IgnoredAny>,
) -> PageResult {
    let objective = v.app.accept_okr_candidate(&key).await?;
    Ok(super::see_other(&format!("/objectives/{}", objective.id)))
}

#[derive(Deserialize)]
pub struct ReviewScope {
    cycle: Option<String>,
}

/// The alignment review of a cycle (the current one by default).
pub async fn alignment_review(v: Viewer, Query(q): Query<ReviewScope>) -> PageResult {
    let cycle = q.cycle.filter(|c| !c.is_empty()).unwrap_or_else(|| "current".to_owned());
    let r = v.app.alignment_review(&cycle).await?;
    Ok(v.render("alignment_review.html", "alignment", context! { r }))
}
