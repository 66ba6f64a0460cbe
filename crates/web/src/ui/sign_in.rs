//! Signing in and out, and the first admin of a new server.

use super::{PageForm, PageResult, Viewer, render, see_other};
use crate::AppState;
use crate::api::accounts::{peer, secure};
use crate::auth::{CurrentSession, SESSION_COOKIE};
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use quarterdeck_app::AppError;
use quarterdeck_app::sessions::{SetUp, SignedIn};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a path of this site only (never another site's address).
fn next_or_home(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

fn form_page(state: &AppState, status: StatusCode, next: &str, email: &str, error: Option<&AppError>) -> Response {
    render(
        status,
        "sign_in.html",
        context! {
            next, email,
            error => error.map(|e| e.message.clone()),
            sso => state.oidc.is_some(),
            setup => state.setup_code.is_some(),
            nav => "",
        },
    )
}

pub async fn form(State(state): State<AppState>, Query(q): Query<Next>) -> Response {
    form_page(&state, StatusCode::OK, next_or_home(q.next.as_deref()), "", None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The session cookie a sign-in sets.
fn session_cookie(headers: &HeaderMap, signed: &SignedIn, now: chrono::DateTime<chrono::Utc>) -> String {
    let max_age = (signed.expires_at - now).num_seconds().max(0);
    format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", signed.secret, secure(headers))
}

pub async fn submit(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    PageForm(f): PageForm<SignInForm>,
) -> Response {
    let app = state.app.clone();
    let next = next_or_home(f.next.as_deref()).to_owned();
    let address = peer(&extensions, &headers, &state.trusted_proxies);
    match app.sign_in(f.email.trim(), &f.password, &address).await {
        Ok(signed) => {
            let cookie = session_cookie(&headers, &signed, app.now());
            let mut res = see_other(&next);
            res.headers_mut().insert(SET_COOKIE, cookie.parse().expect("cookie header"));
            res
        }
        Err(e) => {
            let status = crate::error::status_of(e.kind());
            form_page(&state, status, &next, f.email.trim(), Some(&e))
        }
    }
}

pub async fn sign_out(
    viewer: Viewer,
    session: Option<axum::Extension<CurrentSession>>,
    headers: HeaderMap,
    PageForm(_): PageForm<serde::de::IgnoredAny>,
) -> PageResult {
    if let Some(axum::Extension(CurrentSession(id))) = session {
        viewer.app.sign_out(id).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", secure(&headers));
    let mut res = see_other("/sign-in");
    res.headers_mut().insert(SET_COOKIE, clear.parse().expect("cookie header"));
    Ok(res)
}

fn setup_page(status: StatusCode, email: &str, name: &str, error: Option<&AppError>) -> Response {
    render(
        status,
        "setup.html",
        context! { email, name, error => error.map(|e| e.message.clone()), field => error.and_then(|e| e.field.clone()), nav => "" },
    )
}

pub async fn setup_form(State(state): State<AppState>) -> Response {
    if state.setup_code.is_none() {
        return see_other("/sign-in");
    }
    setup_page(StatusCode::OK, "", "", None)
}

#[derive(Deserialize)]
pub struct SetUpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// The first admin: the server's one-time code, then signed in at once.
pub async fn setup(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    PageForm(f): PageForm<SetUpForm>,
) -> Response {
    let Some(code) = state.setup_code.as_deref() else { return see_other("/sign-in") };
    let app = state.app.clone().with_rights(quarterdeck_domain::access::Rights::Anonymous { read: false });
    let input = SetUp { code: f.code, email: f.email.clone(), name: f.name.clone(), password: f.password.clone() };
    if let Err(e) = app.set_up(code, input).await {
        return setup_page(crate::error::status_of(e.kind()), &f.email, &f.name, Some(&e));
    }
    let address = peer(&extensions, &headers, &state.trusted_proxies);
    match app.sign_in(f.email.trim(), &f.password, &address).await {
        Ok(signed) => {
            let mut res = see_other("/cycles");
            let cookie = session_cookie(&headers, &signed, app.now());
            res.headers_mut().insert(SET_COOKIE, cookie.parse().expect("cookie header"));
            res
        }
        Err(_) => see_other("/sign-in"),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::next_or_home;

    #[test]
    fn only_this_sites_paths_are_followed_after_sign_in() {
        assert_eq!(next_or_home(Some("/teams/platform?x=1")), "/teams/platform?x=1");
        for away in ["https://evil.example/", "//evil.example", "/\\evil.example", "evil"] {
            assert_eq!(next_or_home(Some(away)), "/", "{away}");
        }
        assert_eq!(next_or_home(None), "/");
    }
}
