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
    let review = v.app.review(&id, Scope { unit, objective: None }).await?;
    let policy = v.app.coach_policy().await?;
    // A whole company's cycle holds thousands of findings: each rule's count, and the first
    // findings of each severity (the API and `quarterdeck lint --json` list them all).
    let mut by_rule: std::collections::BTreeMap<(Severity, RuleId), usize> = Default::default();
    for f in &review.findings {
        *by_rule.entry((f.severity, f.rule)).or_default() += 1;
    }
    let counts: Vec<minijinja::Value> =
        by_rule.into_iter().map(|((severity, rule), n)| context! { severity, rule, n }).collect();
    let mut shown = std::collections::HashMap::new();
    let findings: Vec<_> = review
        .findings
        .iter()
        .filter(|f| {
            let n = shown.entry(f.severity).or_insert(0usize);
            *n += 1;
            *n <= SHOWN_PER_SEVERITY
        })
        .collect();
    let hidden = review.findings.len() - findings.len();
    let review = context! {
        cycle_id => review.cycle_id, cycle_name => review.cycle_name, tally => review.tally, findings,
    };
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

/// The numbers a policy may change, as the form names them.
const POLICY_NUMBERS: &[(&str, &str)] = &[
    ("max_objectives_per_team", "Objectives per team per cycle, at most"),
    ("max_company_objectives", "Company objectives per cycle, at most"),
    ("min_key_results", "Key results per objective, at least"),
    ("max_key_results", "Key results per objective, at most"),
    ("stale_after_weeks", "Weeks without a check-in before an OKR is dead"),
    ("min_team_size", "Team size from which formal OKRs pay back"),
    ("max_rewrites", "Rewrites of an objective while its cycle runs"),
];

/// The organisation's scoring bands (0–1), as the form names them; every score's colour and
/// success follow them. A unit's own are not used yet, so its form does not offer them.
const POLICY_BANDS: &[(&str, &str)] = &[
    ("green_from", "Green from (score)"),
    ("amber_from", "Amber from (score)"),
    ("aspirational_success", "An aspirational objective succeeds at (score)"),
];

#[derive(Deserialize, Default)]
pub struct PolicyScope {
    /// A unit whose own policy is shown and changed (slug or id); the organisation's without.
    unit: Option<String>,
}

/// What the form shows for one level: the level's own values and the resolved ones.
struct Level {
    own: quarterdeck_domain::coach::policy::Overrides,
    resolved: quarterdeck_domain::coach::policy::CoachPolicy,
    version: i64,
    unit: Option<quarterdeck_app::views::UnitView>,
}

async fn policy_page(
    v: &Viewer,
    status: axum::http::StatusCode,
    unit: Option<&str>,
    error: Option<&quarterdeck_app::AppError>,
) -> PageResult {
    let policy = v.app.coach_policy().await?;
    let level = match unit {
        Some(u) => {
            let p = v.app.unit_coach_policy(u).await?;
            Level { own: p.own, resolved: p.resolved, version: p.version, unit: Some(p.unit) }
        }
        None => Level {
            own: policy.settings.organisation.clone(),
            resolved: policy.organisation.clone(),
            version: policy.version,
            unit: None,
        },
    };
    let admin = v.app.can(quarterdeck_app::access::Offer::Administer).await;
    let own = serde_json::to_value(&level.own).unwrap_or_default();
    let resolved = serde_json::to_value(&level.resolved).unwrap_or_default();
    let numbers: Vec<minijinja::Value> = POLICY_NUMBERS
        .iter()
        .map(|(name, label)| context! { name, label, own => own.get(*name), resolved => resolved.get(*name) })
        .collect();
    let bands: Vec<minijinja::Value> = if level.unit.is_some() {
        Vec::new()
    } else {
        POLICY_BANDS
            .iter()
            .map(|(name, label)| {
                context! { name, label, own => own.get(*name), resolved => resolved["scoring"].get(*name) }
            })
            .collect()
    };
    let rules: Vec<minijinja::Value> = RuleId::ALL
        .iter()
        .map(|r| context! { rule => r, severity => r.severity(), on => level.resolved.is_on(*r) })
        .collect();
    // The units that set their own policy, by name.
    let mut units = Vec::new();
    for id in policy.settings.units.keys() {
        if let Ok(u) = v.app.get_unit(id).await {
            units.push(context! { slug => u.slug, name => u.name, current => level.unit.as_ref().is_some_and(|l| l.id == u.id) });
        }
    }
    Ok(v.render_status(
        status,
        "coach_policy.html",
        "cycles",
        context! {
            own_preset => level.own.preset, preset => level.resolved.preset, version => level.version, unit => level.unit,
            numbers, bands, rules, admin, units,
            error => error.map(|e| context! { message => e.message, field => e.field }),
        },
    ))
}

/// The coach's policy: the preset, the numbers and the rules in force (admins change them),
/// for the organisation or, with `?unit=`, for one unit that differs.
pub async fn policy(v: Viewer, Query(q): Query<PolicyScope>) -> PageResult {
    let unit = q.unit.filter(|u| !u.trim().is_empty());
    policy_page(&v, axum::http::StatusCode::OK, unit.as_deref().map(str::trim), None).await
}

/// The level's own values as the form sent them: an empty field follows the level above. The
/// scoring bands come from the form where it shows them (`with_bands`), else stay as `current`
/// holds them.
fn overrides_from(
    form: &std::collections::HashMap<String, String>,
    inherited_off: &[RuleId],
    current: &quarterdeck_domain::coach::policy::Overrides,
    with_bands: bool,
) -> Result<quarterdeck_domain::coach::policy::Overrides, quarterdeck_app::AppError> {
    use quarterdeck_domain::coach::policy::Overrides;
    let bad = |field: &str, message: String| {
        quarterdeck_app::AppError::new(quarterdeck_domain::error::Code::InvalidField, message)
            .with_field(field.to_owned())
    };
    let mut values = serde_json::Map::new();
    if let Some(p) = form.get("preset").filter(|p| !p.is_empty()) {
        let preset: quarterdeck_domain::coach::policy::Preset =
            p.parse().map_err(|e: String| bad("preset", format!("preset: {e}")))?;
        values.insert("preset".into(), serde_json::to_value(preset).unwrap_or_default());
    }
    for (name, _) in POLICY_NUMBERS {
        if let Some(raw) = form.get(*name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let n: u32 = raw.parse().map_err(|_| bad(name, format!("{name}: '{raw}' is not a whole number")))?;
            values.insert((*name).to_owned(), n.into());
        }
    }
    for (name, _) in POLICY_BANDS.iter().filter(|_| with_bands) {
        if let Some(raw) = form.get(*name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let x: f64 = raw
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| bad(name, format!("{name}: '{raw}' is not a score between 0 and 1 (e.g. 0.7)")))?;
            values.insert((*name).to_owned(), x.into());
        }
    }
    let mut own: Overrides =
        serde_json::from_value(serde_json::Value::Object(values)).map_err(|e| bad("policy", format!("policy: {e}")))?;
    // Rules switched off are the level's own only where they differ from the level above.
    let off: Vec<RuleId> = RuleId::ALL.iter().copied().filter(|r| !form.contains_key(&format!("on-{r}"))).collect();
    let mut inherited: Vec<RuleId> = inherited_off.to_vec();
    inherited.sort();
    own.disabled = (off != inherited).then_some(off);
    if !with_bands {
        (own.green_from, own.amber_from, own.aspirational_success) =
            (current.green_from, current.amber_from, current.aspirational_success);
    }
    Ok(own)
}

pub async fn set_policy(v: Viewer, PageForm(form): PageForm<std::collections::HashMap<String, String>>) -> PageResult {
    use quarterdeck_domain::coach::policy::PolicySettings;
    let unit = form.get("unit").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    let result = async {
        let version: i64 = form.get("version").and_then(|v| v.parse().ok()).ok_or_else(|| {
            quarterdeck_app::AppError::new(
                quarterdeck_domain::error::Code::InvalidField,
                "version: reload the page and change the policy again",
            )
            .with_field("version")
        })?;
        match &unit {
            Some(u) if form.contains_key("remove") => v.app.set_unit_coach_policy(version, u, None).await.map(|_| ()),
            Some(u) => {
                let unit = v.app.unit_coach_policy(u).await?;
                let own = overrides_from(&form, &unit.inherited.disabled, &unit.own, false)?;
                v.app.set_unit_coach_policy(version, u, Some(own)).await.map(|_| ())
            }
            None => {
                let current = v.app.coach_policy().await?;
                let own = overrides_from(&form, &[], &current.settings.organisation, true)?;
                let settings = PolicySettings { organisation: own, units: current.settings.units };
                v.app.set_coach_policy(version, settings).await.map(|_| ())
            }
        }
    }
    .await;
    match (result, &unit) {
        (Ok(()), Some(u)) if !form.contains_key("remove") => Ok(super::see_other(&format!("/coach/policy?unit={u}"))),
        (Ok(()), _) => Ok(super::see_other("/coach/policy")),
        (Err(e), _) if e.kind() == quarterdeck_domain::error::Kind::Unauthenticated => Err(e.into()),
        (Err(e), u) => policy_page(&v, crate::error::status_of(e.kind()), u.as_deref(), Some(&e)).await,
    }
}
