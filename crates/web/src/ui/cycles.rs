//! Cycle admin: the cycles, a new one, and moving one from planning to active to closed.

use super::{PageForm, PageResult, Viewer, filled, see_other};
use axum::extract::Path;
use axum::http::StatusCode;
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::access::Offer;
use quarterdeck_app::coach::Scope;
use quarterdeck_app::cycles::CreateCycle;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_store::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Default)]
pub struct CycleForm {
    name: Option<String>,
    kind: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

/// Asks before activating a cycle the coach found errors in.
#[derive(Serialize)]
struct Confirm {
    cycle: quarterdeck_app::views::CycleView,
    tally: quarterdeck_domain::coach::Tally,
}

async fn show(
    v: &Viewer,
    status: StatusCode,
    form: &CycleForm,
    error: Option<&AppError>,
    confirm: Option<Confirm>,
) -> PageResult {
    let cycles = v.app.list_cycles(None, None, PageRequest::first(100)).await?.items;
    let admin = v.app.can(Offer::Administer).await;
    Ok(v.render_status(
        status,
        "cycles.html",
        "cycles",
        context! { cycles, admin, form, confirm, error => error.map(|e| context! { message => e.message, field => e.field }) },
    ))
}

pub async fn list(v: Viewer) -> PageResult {
    show(&v, StatusCode::OK, &CycleForm::default(), None, None).await
}

fn date(field: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    filled(v)
        .map(|s| {
            s.parse().map_err(|_| {
                AppError::new(Code::InvalidField, format!("{field}: '{s}' is not a date (YYYY-MM-DD)"))
                    .with_field(field.to_owned())
            })
        })
        .transpose()
}

pub async fn create(v: Viewer, PageForm(f): PageForm<CycleForm>) -> PageResult {
    let result = async {
        let kind = match filled(&f.kind) {
            Some(k) => k.parse().map_err(|_| {
                AppError::new(Code::InvalidField, "kind: choose quarter, six weeks, half year or custom")
                    .with_field("kind")
            })?,
            None => quarterdeck_domain::cycle::CycleKind::Quarter,
        };
        let input = CreateCycle {
            name: filled(&f.name).map(str::to_owned),
            kind,
            start: date("start", &f.start)?,
            end: date("end", &f.end)?,
            state: quarterdeck_domain::cycle::CycleState::Planning,
        };
        v.app.create_cycle(input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/cycles")),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => show(&v, crate::error::status_of(e.kind()), &f, Some(&e), None).await,
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    state: Option<String>,
    version: Option<i64>,
    /// Set by "Activate anyway" after the coach's errors were shown.
    confirm: Option<String>,
}

pub async fn change_state(v: Viewer, Path(id): Path<String>, PageForm(f): PageForm<StateForm>) -> PageResult {
    let result = async {
        let to = filled(&f.state)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| AppError::new(Code::InvalidField, "state: choose active or closed").with_field("state"))?;
        if to == CycleState::Active && filled(&f.confirm).is_none() {
            // Activating commits the teams to their OKRs: the coach's errors are shown first
            // and the admin decides. Nothing is changed until they confirm.
            let review = v.app.review(&id, Scope::default()).await?;
            if review.has_errors() {
                let cycle = v.app.get_cycle(&id).await?;
                return Ok(Some(Confirm { cycle, tally: review.tally }));
            }
        }
        v.app.move_cycle(&id, f.version, to).await.map(|_| None)
    }
    .await;
    match result {
        Ok(None) => Ok(see_other("/cycles")),
        Ok(Some(confirm)) => show(&v, StatusCode::OK, &CycleForm::default(), None, Some(confirm)).await,
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => show(&v, crate::error::status_of(e.kind()), &CycleForm::default(), Some(&e), None).await,
    }
}
