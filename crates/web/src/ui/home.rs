//! Home: what the signed-in person should look at this week — their key results due a
//! check-in, their team's OKRs, and the KPIs they own that need attention.

use super::{PageResult, Viewer, sparkline};
use minijinja::context;
use quarterdeck_app::kpis::KpiQuery;
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_domain::access::Rights;
use quarterdeck_store::PageRequest;

pub async fn page(v: Viewer) -> PageResult {
    let app = &v.app;
    let cycle = match app.get_cycle("current").await {
        Ok(c) => Some(c),
        Err(e) if e.kind() == quarterdeck_domain::error::Kind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let person = app.person_id();
    let unit = match app.rights() {
        Rights::User { member, .. } => member.unit,
        _ => None,
    };
    // Due this week: not checked in since Monday (the organisation's calendar).
    let today = app.today();
    let week_start = today - chrono::Days::new(u64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
    let zone = app.zone();
    let (mut due, mut team, mut unit_view, mut kpis) = (Vec::new(), Vec::new(), None, Vec::new());
    if let (Some(cycle), Some(person)) = (&cycle, person) {
        let cycle_id = cycle.id.to_string();
        let mine = app.list_key_results(None, Some(person), Some(&cycle_id), None, PageRequest::first(100)).await?;
        due = mine
            .items
            .into_iter()
            .filter(|kr| kr.status == quarterdeck_domain::okr::KeyResultStatus::Active)
            .filter(|kr| kr.last_check_in_at.is_none_or(|t| zone.local_date(t) < week_start))
            .collect();
        if let Some(unit) = unit {
            let q = ObjectiveQuery {
                cycle: Some(cycle_id.clone()),
                unit: Some(unit.to_string()),
                with_key_results: true,
                ..Default::default()
            };
            team = app.list_objectives(q, PageRequest::first(50)).await?.items;
            unit_view = Some(app.get_unit(&unit.to_string()).await?);
        }
    }
    if let Some(person) = person {
        let q = KpiQuery { owner: Some(person), ..Default::default() };
        kpis = app
            .list_kpi_cards(q, PageRequest::first(100))
            .await?
            .items
            .into_iter()
            .filter(|c| {
                !c.trust.trusted
                    || c.kpi.guardrail_breached
                    || c.kpi.current_status == Some(quarterdeck_domain::kpi::health::HealthStatus::Breached)
            })
            .map(|c| {
                let spark = sparkline(&c.trust.recent_values);
                context! { card => c, spark }
            })
            .collect();
    }
    Ok(v.render("home.html", "home", context! { cycle, due, team, unit => unit_view, kpis, person }))
}
