//! The company on one page: the cycle's company objectives with their key results, the
//! department objectives aligned beneath them, and how many team objectives align to each
//! of those (opened on the alignment map). Printable.

use super::{PageResult, Viewer};
use axum::extract::Query;
use minijinja::context;
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::views::ObjectiveView;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::ids::{ObjectiveId, UnitId};
use quarterdeck_store::PageRequest;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct CycleParam {
    pub cycle: Option<String>,
}

/// How many orphans a page lists (the alignment map pages through the rest).
const ORPHANS_SHOWN: u32 = 50;

/// The top of the alignment graph: the company's own objectives (of the company unit, with
/// their key results when asked) and the first orphans (department and team objectives
/// aligned to nothing), with whether there are more orphans.
pub(super) async fn roots(
    v: &Viewer,
    cycle: &str,
    with_key_results: bool,
) -> Result<(Vec<ObjectiveView>, Vec<ObjectiveView>, bool), quarterdeck_app::AppError> {
    let companies: Vec<UnitId> = v
        .app
        .list_units(None, Some(UnitKind::Company), PageRequest::first(10))
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    let mut company = Vec::new();
    for unit in &companies {
        let q = ObjectiveQuery {
            cycle: Some(cycle.to_owned()),
            unit: Some(unit.to_string()),
            with_key_results,
            ..Default::default()
        };
        company.extend(v.app.list_objectives(q, PageRequest::first(PageRequest::MAX_LIMIT)).await?.items);
    }
    // The company's objectives are roots too: ask for enough to fill the page with orphans.
    let wanted = ORPHANS_SHOWN + company.len() as u32;
    let q = ObjectiveQuery { cycle: Some(cycle.to_owned()), aligned: Some(false), ..Default::default() };
    let page = v.app.list_objectives(q, PageRequest::first(wanted.min(PageRequest::MAX_LIMIT))).await?;
    let more = page.next_cursor.is_some();
    let orphans = page.items.into_iter().filter(|o| o.unit_id.is_none_or(|u| !companies.contains(&u))).collect();
    Ok((company, orphans, more))
}

pub async fn page(v: Viewer, Query(q): Query<CycleParam>) -> PageResult {
    let cycle = v.app.get_cycle(q.cycle.as_deref().unwrap_or("current")).await?;
    let cycle_id = cycle.id.to_string();
    let (company, orphans, more_orphans) = roots(&v, &cycle_id, true).await?;
    let company_ids: Vec<ObjectiveId> = company.iter().map(|o| o.id).collect();
    let below = v.app.aligned_below(&company_ids, true).await?;
    let second_ids: Vec<ObjectiveId> = below.iter().map(|(_, o)| o.id).collect();
    let third = v.app.count_below(&second_ids).await?;
    let mut children: HashMap<ObjectiveId, Vec<minijinja::Value>> = HashMap::new();
    for (link, o) in below {
        let count = third.get(&o.id).copied().unwrap_or(0);
        children.entry(link.parent_objective_id).or_default().push(context! { link, o, below => count });
    }
    let tree: Vec<minijinja::Value> = company
        .into_iter()
        .map(|o| {
            let kids = children.remove(&o.id).unwrap_or_default();
            context! { o, children => kids }
        })
        .collect();
    Ok(v.render("company.html", "company", context! { cycle, tree, orphans, more_orphans }))
}
