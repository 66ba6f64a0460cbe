//! People and users (admins): invite a user with a role, change roles, deactivate and
//! reactivate.

use super::{PageForm, PageResult, Viewer, filled, see_other};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use minijinja::context;
use quarterdeck_app::accounts::{AddUser, UpdateUser};
use quarterdeck_app::{AppError, page};
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_domain::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct ListParams {
    cursor: Option<String>,
}

#[derive(Deserialize, Serialize, Default)]
pub struct InviteForm {
    email: Option<String>,
    name: Option<String>,
    role: Option<String>,
    /// The person of the directory they are, by e-mail or id, when the address differs.
    person: Option<String>,
}

async fn show(
    v: &Viewer,
    status: StatusCode,
    cursor: Option<&str>,
    form: &InviteForm,
    invited: Option<minijinja::Value>,
    error: Option<&AppError>,
) -> PageResult {
    let users = v.app.list_users(page(Some(100), cursor)?).await?;
    Ok(v.render_status(
        status,
        "people.html",
        "people",
        context! {
            users => users.items, next => users.next_cursor, form, invited,
            roles => ["admin", "lead", "member", "viewer"],
            error => error.map(|e| context! { message => e.message, field => e.field }),
        },
    ))
}

pub async fn list(v: Viewer, Query(q): Query<ListParams>) -> PageResult {
    show(&v, StatusCode::OK, q.cursor.as_deref(), &InviteForm::default(), None, None).await
}

fn role(v: &Option<String>) -> Result<quarterdeck_domain::access::Role, AppError> {
    filled(v)
        .unwrap_or("member")
        .parse()
        .map_err(|_| AppError::new(Code::InvalidField, "role: choose admin, lead, member or viewer").with_field("role"))
}

/// Invites a user: the account with a first password, shown once to hand over (they
/// change it, or sign in with single sign-on).
pub async fn invite(v: Viewer, PageForm(f): PageForm<InviteForm>) -> PageResult {
    let password = quarterdeck_app::accounts::random_password();
    let result = async {
        let person_id = match filled(&f.person) {
            Some(raw) => Some(v.app.resolve_person("person", raw).await?.id),
            None => None,
        };
        let input = AddUser {
            email: f.email.clone().unwrap_or_default(),
            name: f.name.clone().unwrap_or_default(),
            role: role(&f.role)?,
            person_id,
            password: Some(password.clone()),
        };
        v.app.add_user(input).await
    }
    .await;
    match result {
        Ok(user) => {
            let invited = context! { email => user.email, password };
            show(&v, StatusCode::CREATED, None, &InviteForm::default(), Some(invited), None).await
        }
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => show(&v, crate::error::status_of(e.kind()), None, &f, None, Some(&e)).await,
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    role: Option<String>,
    active: Option<String>,
    version: Option<i64>,
}

pub async fn change(v: Viewer, Path(id): Path<UserId>, PageForm(f): PageForm<ChangeForm>) -> PageResult {
    let result = async {
        let version =
            f.version.ok_or_else(|| AppError::new(Code::Missing, "version: reload the page").with_field("version"))?;
        let input = UpdateUser {
            role: filled(&f.role).map(|_| role(&f.role)).transpose()?,
            active: filled(&f.active).map(|a| a == "true"),
            ..Default::default()
        };
        v.app.update_user(id, version, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/people")),
        Err(e) if e.kind() == Kind::Unauthenticated => Err(e.into()),
        Err(e) => show(&v, crate::error::status_of(e.kind()), None, &InviteForm::default(), None, Some(&e)).await,
    }
}
