//! My API tokens: create one with scopes (its secret shown once), see when each was last
//! used, revoke.

use super::{PageForm, PageResult, Viewer, filled, see_other};
use axum::extract::Path;
use axum::http::StatusCode;
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::accounts::CreateToken;
use quarterdeck_domain::error::Kind;
use quarterdeck_domain::ids::TokenId;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Default)]
pub struct TokenForm {
    name: Option<String>,
    /// Scopes, space- or comma-separated (the checkboxes are joined by the page's script).
    scopes: Option<String>,
    kpis: Option<String>,
    expires_in_days: Option<String>,
}

async fn show(
    v: &Viewer,
    status: StatusCode,
    form: &TokenForm,
    created: Option<quarterdeck_app::accounts::CreatedToken>,
    error: Option<&AppError>,
) -> PageResult {
    let tokens = v.app.list_tokens(None).await?;
    Ok(v.render_status(
        status,
        "tokens.html",
        "tokens",
        context! {
            tokens, form, created,
            scopes => ["read", "check-in", "kpi:push", "write", "admin"],
            error => error.map(|e| context! { message => e.message, field => e.field }),
        },
    ))
}

pub async fn list(v: Viewer) -> PageResult {
    show(&v, StatusCode::OK, &TokenForm::default(), None, None).await
}

fn words(v: &Option<String>) -> Vec<String> {
    filled(v).map(|s| s.split([',', ' ']).filter(|w| !w.is_empty()).map(str::to_owned).collect()).unwrap_or_default()
}

pub async fn create(v: Viewer, PageForm(f): PageForm<TokenForm>) -> PageResult {
    let days = match filled(&f.expires_in_days) {
        Some(d) => match d.parse::<u32>() {
            Ok(d) => Some(d),
            Err(_) => {
                let e =
                    AppError::new(quarterdeck_domain::error::Code::InvalidField, "expires in: a whole number of days")
                        .with_field("expires_in_days");
                return show(&v, StatusCode::UNPROCESSABLE_ENTITY, &f, None, Some(&e)).await;
            }
        },
        None => None,
    };
    let input = CreateToken {
        name: f.name.clone().unwrap_or_default(),
        scopes: words(&f.scopes),
        kpis: words(&f.kpis),
        expires_in_days: days,
        user: None,
    };
    match v.app.create_token(input).await {
        Ok(created) => show(&v, StatusCode::CREATED, &TokenForm::default(), Some(created), None).await,
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => show(&v, crate::error::status_of(e.kind()), &f, None, Some(&e)).await,
    }
}

pub async fn revoke(v: Viewer, Path(id): Path<TokenId>, PageForm(_): PageForm<serde::de::IgnoredAny>) -> PageResult {
    v.app.revoke_token(id).await?;
    Ok(see_other("/tokens"))
}
