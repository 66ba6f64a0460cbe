//! The alignment map: the cycle's objective graph one level at a time, from the roots
//! (company objectives, then orphans), each level opened on demand with its roll-up.

use super::company::roots;
use super::{PageResult, Viewer};
use axum::extract::{Path, Query};
use minijinja::context;
use quarterdeck_domain::ids::ObjectiveId;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct MapParams {
    pub cycle: Option<String>,
    /// An objective whose level below is opened at once.
    pub open: Option<ObjectiveId>,
}

pub async fn page(v: Viewer, Query(q): Query<MapParams>) -> PageResult {
    let cycle = v.app.get_cycle(q.cycle.as_deref().unwrap_or("current")).await?;
    let (company, orphans, more_orphans) = roots(&v, &cycle.id.to_string(), false).await?;
    let opened = match q.open {
        Some(id) => Some(context! { parent => v.app.get_objective(id).await?, children => level(&v, id).await? }),
        None => None,
    };
    Ok(v.render("alignment.html", "alignment", context! { cycle, company, orphans, more_orphans, opened }))
}

async fn level(v: &Viewer, id: ObjectiveId) -> Result<Vec<minijinja::Value>, quarterdeck_app::AppError> {
    let below = v.app.aligned_below(&[id], false).await?;
    let ids: Vec<ObjectiveId> = below.iter().map(|(_, o)| o.id).collect();
    let deeper = v.app.count_below(&ids).await?;
    Ok(below
        .into_iter()
        .map(|(link, o)| {
            let has_children = deeper.contains_key(&o.id);
            context! { link, o, has_children }
        })
        .collect())
}

#[derive(Deserialize)]
pub struct OrphanParams {
    pub cycle: Option<String>,
    pub cursor: Option<String>,
}

/// Orphans shown per page.
const ORPHANS_PER_PAGE: u32 = 50;

/// Every orphan of a cycle, 50 a page: department and team objectives aligned to nothing (the
/// company's own objectives are roots by design and are not listed).
pub async fn orphans(v: Viewer, Query(q): Query<OrphanParams>) -> PageResult {
    use quarterdeck_app::objectives::ObjectiveQuery;
    let cycle = v.app.get_cycle(q.cycle.as_deref().unwrap_or("current")).await?;
    let companies: Vec<quarterdeck_domain::ids::UnitId> = v
        .app
        .list_units(None, Some(quarterdeck_domain::UnitKind::Company), quarterdeck_store::PageRequest::first(10))
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    let query = ObjectiveQuery { cycle: Some(cycle.id.to_string()), aligned: Some(false), ..Default::default() };
    let page =
        quarterdeck_app::page(Some(ORPHANS_PER_PAGE), q.cursor.as_deref()).map_err(|e| e.with_field("cursor"))?;
    let found = v.app.list_objectives(query, page).await?;
    let orphans: Vec<_> =
        found.items.into_iter().filter(|o| o.unit_id.is_none_or(|u| !companies.contains(&u))).collect();
    let next = found.next_cursor;
    Ok(v.render("alignment_orphans.html", "alignment", context! { cycle, orphans, next, first => q.cursor.is_none() }))
}

/// The objectives aligned to one objective (an htmx fragment, or a page without it).
pub async fn below(v: Viewer, Path(id): Path<ObjectiveId>) -> PageResult {
    let children = level(&v, id).await?;
    Ok(super::render(axum::http::StatusCode::OK, "alignment_level.html", context! { children }))
}
