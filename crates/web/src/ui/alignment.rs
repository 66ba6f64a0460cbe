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

/// The objectives aligned to one objective (an htmx fragment, or a page without it).
pub async fn below(v: Viewer, Path(id): Path<ObjectiveId>) -> PageResult {
    let children = level(&v, id).await?;
    Ok(super::render(axum::http::StatusCode::OK, "alignment_level.html", context! { children }))
}
