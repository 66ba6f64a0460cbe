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
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
pub struct CycleParam {
    pub cycle: Option<String>,
}

/// Objectives aligned to nothing: the company's own (of the company unit, or of no unit)
/// and the orphans (of a department or team).
pub(super) async fn roots(
    v: &Viewer,
    cycle: &str,
    with_key_results: bool,
) -> Result<(Vec<ObjectiveView>, Vec<ObjectiveView>), quarterdeck_app::AppError> {
    let q =
        ObjectiveQuery { cycle: Some(cycle.to_owned()), aligned: Some(false), with_key_results, ..Default::default() };
    let roots = v.app.list_objectives(q, PageRequest::first(PageRequest::MAX_LIMIT)).await?.items;
    let companies: HashSet<UnitId> = v
        .app
        .list_units(None, Some(UnitKind::Company), PageRequest::first(10))
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    Ok(roots.into_iter().partition(|o| o.unit_id.is_none_or(|u| companies.contains(&u))))
}

pub async fn page(v: Viewer, Query(q): Query<CycleParam>) -> PageResult {
    let cycle = v.app.get_cycle(q.cycle.as_deref().unwrap_or("current")).await?;
    let cycle_id = cycle.id.to_string();
    let (company, orphans) = roots(&v, &cycle_id, true).await?;
    let company_ids: Vec<ObjectiveId> = company.iter().map(|o| o.id).collect();
    let below = v.app.aligned_below(&company_ids, true).await?;
    let second_ids: Vec<ObjectiveId> = below.iter().map(|(_, o)| o.id).collect();
    let mut third: HashMap<ObjectiveId, usize> = HashMap::new();
    for link in v.app.links_below(&second_ids).await? {
        *third.entry(link.parent_objective_id).or_default() += 1;
    }
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
    let orphan_count = orphans.len();
    let orphans: Vec<ObjectiveView> = orphans.into_iter().take(50).collect();
    Ok(v.render("company.html", "company", context! { cycle, tree, orphans, orphan_count }))
}
