//! Units: the list (one level at a time) and a unit's page with its OKRs and KPI scorecard.

use super::{PageResult, Viewer, sparkline};
use axum::extract::{Path, Query};
use minijinja::context;
use quarterdeck_app::objectives::ObjectiveQuery;

use quarterdeck_store::PageRequest;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListParams {
    /// A unit whose sub-units are listed (id or slug); the top level without it.
    pub parent: Option<String>,
    pub cursor: Option<String>,
}

pub async fn list(v: Viewer, Query(q): Query<ListParams>) -> PageResult {
    let parent = match q.parent.as_deref() {
        Some(p) => Some(v.app.get_unit(p).await?),
        None => None,
    };
    let units = match &parent {
        Some(p) => {
            v.app
                .list_units(Some(&p.id.to_string()), None, quarterdeck_app::page(Some(100), q.cursor.as_deref())?)
                .await?
        }
        None => {
            v.app
                .list_units(
                    None,
                    Some(quarterdeck_domain::UnitKind::Department),
                    quarterdeck_app::page(Some(100), q.cursor.as_deref())?,
                )
                .await?
        }
    };
    let companies = if parent.is_none() {
        v.app.list_units(None, Some(quarterdeck_domain::UnitKind::Company), PageRequest::first(10)).await?.items
    } else {
        Vec::new()
    };
    Ok(v.render("teams.html", "teams", context! { parent, units => units.items, next => units.next_cursor, companies }))
}

pub async fn page(v: Viewer, Path(slug): Path<String>) -> PageResult {
    let unit = v.app.get_unit(&slug).await?;
    let id = unit.id.to_string();
    let cycle = match v.app.get_cycle("current").await {
        Ok(c) => Some(c),
        Err(e) if e.kind() == quarterdeck_domain::error::Kind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let objectives = match &cycle {
        Some(c) => {
            let q = ObjectiveQuery {
                cycle: Some(c.id.to_string()),
                unit: Some(id.clone()),
                with_key_results: true,
                ..Default::default()
            };
            v.app.list_objectives(q, PageRequest::first(50)).await?.items
        }
        None => Vec::new(),
    };
    let kr_ids: Vec<_> = objectives.iter().flat_map(|o| o.key_results.iter().flatten().map(|k| k.id)).collect();
    let trends: std::collections::HashMap<String, Vec<String>> = v
        .app
        .confidence_trends(&kr_ids, 6)
        .await?
        .into_iter()
        .map(|(k, t)| (k.to_string(), t.into_iter().map(|c| c.to_string()).collect()))
        .collect();
    let scorecard = v.app.unit_scorecard(&id, PageRequest::first(100)).await?;
    let warned: Vec<String> = scorecard.counterweight_warnings.iter().map(|k| k.to_string()).collect();
    let kpis: Vec<minijinja::Value> = scorecard
        .kpis
        .iter()
        .map(|c| {
            let spark = sparkline(&c.trust.recent_values);
            let warning = warned.contains(&c.kpi.id.to_string());
            context! { card => c, spark, warning }
        })
        .collect();
    let subunits = v.app.list_units(Some(&id), None, PageRequest::first(100)).await?.items;
    let candidates = v.app.okr_candidates(Some(&id)).await?;
    let calibration = v.app.calibration(Some(&id)).await?;
    let can_create = cycle.is_some() && v.app.can(quarterdeck_app::access::Offer::CreateObjective(Some(unit.id))).await;
    Ok(v.render(
        "team.html",
        "teams",
        context! {
            unit, cycle, objectives, kpis, subunits, can_create, trends, candidates, calibration,
            completion => scorecard.completion_share_pct,
            within_norm => scorecard.within_norm,
        },
    ))
}
