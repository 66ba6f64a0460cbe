//! Objectives: drafting one, its page (key results, alignment, history), editing it with
//! conflicts shown side by side, and pausing, resuming or closing it with a reason.

use super::{PageForm, PageResult, Viewer, filled, see_other};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::access::Offer;
use quarterdeck_app::objectives::{CreateObjective, StatusChange, UpdateObjective};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::ObjectiveId;
use quarterdeck_store::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ObjectiveForm {
    pub cycle: Option<String>,
    pub unit: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub version: Option<i64>,
}

fn word<T: std::str::FromStr>(field: &str, v: &Option<String>, default: T) -> Result<T, AppError> {
    match filled(v) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| {
            AppError::new(Code::InvalidField, format!("{field}: '{s}' is not one of the choices"))
                .with_field(field.to_owned())
        }),
    }
}

async fn open_cycles(v: &Viewer) -> Result<Vec<quarterdeck_app::views::CycleView>, AppError> {
    let all = v.app.list_cycles(None, None, PageRequest::first(100)).await?.items;
    Ok(all.into_iter().filter(|c| c.state != CycleState::Closed).collect())
}

async fn new_page(v: &Viewer, status: StatusCode, form: &ObjectiveForm, error: Option<&AppError>) -> PageResult {
    let cycles = open_cycles(v).await?;
    Ok(v.render_status(
        status,
        "objective_new.html",
        "company",
        context! { form, cycles, error => error.map(|e| context! { message => e.message, field => e.field }) },
    ))
}

#[derive(Deserialize)]
pub struct NewParams {
    unit: Option<String>,
}

pub async fn new_form(v: Viewer, Query(q): Query<NewParams>) -> PageResult {
    let form = ObjectiveForm { unit: q.unit, kind: Some("aspirational".into()), ..Default::default() };
    new_page(&v, StatusCode::OK, &form, None).await
}

pub async fn create(v: Viewer, PageForm(form): PageForm<ObjectiveForm>) -> PageResult {
    match create_from(&v, &form).await {
        Ok(id) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) if e.kind() == quarterdeck_domain::error::Kind::Unauthenticated => Err(e.into()),
        Err(e) => new_page(&v, crate::error::status_of(e.kind()), &form, Some(&e)).await,
    }
}

async fn create_from(v: &Viewer, f: &ObjectiveForm) -> Result<ObjectiveId, AppError> {
    let owner = v.app.person_id().ok_or_else(|| {
        AppError::new(
            Code::Missing,
            "your account is not linked to a person of the organisation; ask an admin to link it",
        )
        .with_field("owner")
    })?;
    let unit_id = match filled(&f.unit) {
        Some(u) => Some(v.app.get_unit(u).await.map_err(|e| e.with_field("unit"))?.id),
        None => None,
    };
    let input = CreateObjective {
        cycle_id: filled(&f.cycle).unwrap_or("current").to_owned(),
        key: None,
        title: f.title.clone().unwrap_or_default(),
        description: f.description.clone().unwrap_or_default(),
        owner_id: owner,
        unit_id,
        kind: word("kind", &f.kind, quarterdeck_domain::scoring::ObjectiveKind::Aspirational)?,
        status: word("status", &f.status, quarterdeck_domain::okr::ObjectiveStatus::Draft)?,
    };
    Ok(v.app.create_objective(input).await?.id)
}

/// The objective's page, with the edit form holding `form` and a conflict or error shown.
pub(super) async fn show(
    v: &Viewer,
    id: ObjectiveId,
    status: StatusCode,
    form: Option<&ObjectiveForm>,
    error: Option<&AppError>,
    kr_form: Option<minijinja::Value>,
) -> PageResult {
    let o = v.app.get_objective(id).await?;
    let owner = v.app.get_person(o.owner_id).await.ok();
    let unit = match o.unit_id {
        Some(u) => v.app.get_unit(&u.to_string()).await.ok(),
        None => None,
    };
    let cycle = v.app.get_cycle(&o.cycle_id.to_string()).await?;
    let parents = v.app.list_alignments(Some(id), None, PageRequest::first(20)).await?.items;
    let mut parent_views = Vec::new();
    for link in parents {
        if let Ok(p) = v.app.get_objective(link.parent_objective_id).await {
            parent_views.push(context! { link, title => p.title, id => p.id });
        }
    }
    let children = v.app.aligned_below(&[id], false).await?;
    let can_edit = v.app.can(Offer::EditObjective(id)).await;
    // What it may align to: the objectives (and their key results) of the unit above.
    let mut candidates = Vec::new();
    if can_edit && let Some(parent_unit) = unit.as_ref().and_then(|u| u.parent_id) {
        let q = quarterdeck_app::objectives::ObjectiveQuery {
            cycle: Some(o.cycle_id.to_string()),
            unit: Some(parent_unit.to_string()),
            with_key_results: true,
            ..Default::default()
        };
        candidates = v.app.list_objectives(q, PageRequest::first(50)).await?.items;
    }
    let history =
        super::history_lines(v.app.history("objective", &id.to_string(), PageRequest::first(20)).await?.items);
    let conflict = error.filter(|e| e.is_stale()).and_then(|e| e.current.clone());
    let form = form.cloned().unwrap_or_else(|| ObjectiveForm {
        title: Some(o.title.clone()),
        description: Some(o.description.clone()),
        kind: Some(o.kind.to_string()),
        version: Some(o.version),
        ..Default::default()
    });
    let review = v.app.review_objective(id).await?;
    let retro = v.app.retro(id).await?;
    let error = error.map(|e| context! { message => e.message, field => e.field });
    let children: Vec<minijinja::Value> = children.into_iter().map(|(link, o)| context! { link, o }).collect();
    Ok(v.render_status(
        status,
        "objective.html",
        "company",
        context! { o, owner, unit, cycle, parents => parent_views, children, history, can_edit, form, error, conflict, kr_form, candidates, review, retro },
    ))
}

#[derive(Deserialize)]
pub struct AlignForm {
    /// `objective:<id>` or `key_result:<id>`.
    parent: Option<String>,
    kind: Option<String>,
}

/// Aligns the objective to a parent objective or one of its key results.
pub async fn align(v: Viewer, Path(id): Path<ObjectiveId>, PageForm(f): PageForm<AlignForm>) -> PageResult {
    let result = async {
        let bad =
            || AppError::new(Code::InvalidField, "parent: choose what this objective aligns to").with_field("parent");
        let (what, raw) = filled(&f.parent).and_then(|p| p.split_once(':')).ok_or_else(bad)?;
        let (parent_objective_id, parent_key_result_id) = match what {
            "objective" => (Some(raw.parse().map_err(|_| bad())?), None),
            "key_result" => (None, Some(raw.parse().map_err(|_| bad())?)),
            _ => return Err(bad()),
        };
        let input = quarterdeck_app::alignments::CreateAlignment {
            child_id: id,
            parent_objective_id,
            parent_key_result_id,
            kind: word("kind", &f.kind, quarterdeck_domain::alignment::LinkKind::Contributes)?,
            weight: 1.0,
        };
        v.app.create_alignment(input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) => failed(&v, id, None, e).await,
    }
}

/// Takes one alignment of the objective away.
pub async fn unalign(
    v: Viewer,
    Path((id, link)): Path<(ObjectiveId, quarterdeck_domain::ids::AlignmentId)>,
    PageForm(_): PageForm<serde::de::IgnoredAny>,
) -> PageResult {
    match v.app.delete_alignment(link).await {
        Ok(()) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) => failed(&v, id, None, e).await,
    }
}

pub async fn page(v: Viewer, Path(id): Path<ObjectiveId>) -> PageResult {
    show(&v, id, StatusCode::OK, None, None, None).await
}

pub async fn edit(v: Viewer, Path(id): Path<ObjectiveId>, PageForm(form): PageForm<ObjectiveForm>) -> PageResult {
    let result = async {
        let version = form.version.ok_or_else(|| {
            AppError::new(Code::Missing, "version: reload the page and edit again").with_field("version")
        })?;
        let input = UpdateObjective {
            version: None,
            title: form.title.clone(),
            description: form.description.clone(),
            owner_id: None,
            unit_id: None,
            kind: Some(word("kind", &form.kind, quarterdeck_domain::scoring::ObjectiveKind::Aspirational)?),
        };
        v.app.update_objective(id, version, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) => failed(&v, id, Some(&form), e).await,
    }
}

async fn failed(v: &Viewer, id: ObjectiveId, form: Option<&ObjectiveForm>, e: AppError) -> PageResult {
    if matches!(e.kind(), quarterdeck_domain::error::Kind::Unauthenticated | quarterdeck_domain::error::Kind::NotFound)
    {
        return Err(e.into());
    }
    show(v, id, crate::error::status_of(e.kind()), form, Some(&e), None).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: Option<String>,
    reason: Option<String>,
    version: Option<i64>,
}

pub async fn status(v: Viewer, Path(id): Path<ObjectiveId>, PageForm(f): PageForm<StatusForm>) -> PageResult {
    let result = async {
        let status = word("status", &f.status, quarterdeck_domain::okr::ObjectiveStatus::Active)?;
        let input = StatusChange { version: None, status, reason: filled(&f.reason).map(str::to_owned) };
        v.app.change_objective_status(id, f.version, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/objectives/{id}"))),
        Err(e) => failed(&v, id, None, e).await,
    }
}
