//! Who is asking: every request under `/api/v1` is authenticated here, once, into the
//! application acting for that party ([`Caller`]); handlers take it and call the use case,
//! which decides what the party may do. Nothing here decides rights beyond "is someone
//! there": the application layer does, for every front end alike.
//!
//! A request names its party with `Authorization: Bearer <token>` (scripts) or the session
//! cookie a sign-in set (browsers). A change made with a cookie must also carry the session's
//! CSRF token in `X-CSRF-Token`: a cookie is sent by the browser whoever made the page, the
//! header only by this site's own scripts. Without credentials a request is anonymous: it may
//! read only when the server allows anonymous reading (a wall display), and never write —
//! refused here already, before any body is read, and again by every use case.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quarterdeck_app::{App, AppError};
use quarterdeck_domain::access::Rights;
use quarterdeck_domain::error::Code;

/// The application acting for the party of this request.
#[derive(Clone)]
pub struct Caller(pub App);

/// The session of a request authenticated by cookie.
#[derive(Clone, Copy)]
pub struct CurrentSession(pub quarterdeck_domain::ids::SessionId);

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "qd_session";
/// The header that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Signing in is a write made without credentials…
const SIGN_IN: &str = "/api/v1/session";
/// …as is making the first admin with the server's one-time code.
const SET_UP: &str = "/api/v1/setup";

/// The value of one cookie of the request.
pub fn cookie<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Paths anyone may read: the health check, the API's description, and the single-sign-on
/// steps (which authenticate by their own means).
fn public(path: &str) -> bool {
    path == "/healthz"
        || path == "/api/v1/openapi.json"
        || path.starts_with("/auth/oidc/")
        || path.starts_with("/assets/")
}

/// The pages' sign-in and first-run forms, posted by someone not signed in yet.
fn page_door(path: &str) -> bool {
    path == "/sign-in" || path == "/setup"
}

fn safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The credentials of a request, if it carries any: the token of `Authorization: Bearer`.
fn bearer(parts: &axum::http::HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(raw) = parts.get(AUTHORIZATION) else { return Ok(None) };
    let text = raw.to_str().unwrap_or_default().trim();
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(AppError::new(
            Code::Unauthenticated,
            "the Authorization header must be 'Bearer <token>'; create a token with 'quarterdeck token create'",
        )),
    }
}

fn refuse(e: AppError) -> Response {
    let mut res = ApiError::from(e).into_response();
    res.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"quarterdeck\""));
    res
}

/// Authenticates the request and hands the acting application on as [`Caller`].
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if public(path) {
        return next.run(req).await;
    }
    let page = crate::ui::is_page(path);
    if (path == SIGN_IN || path == SET_UP || (page && page_door(path))) && req.method() == Method::POST {
        let app = state.app.clone().with_rights(Rights::Anonymous { read: false });
        req.extensions_mut().insert(Caller(app));
        return next.run(req).await;
    }
    let session = match bearer(req.headers()) {
        Ok(None) => cookie(req.headers(), SESSION_COOKIE).map(str::to_owned),
        _ => None,
    };
    if let Some(secret) = session {
        let found = match state.app.with_session(&secret).await {
            Ok(found) => found,
            // An expired session on a page: the page sends its reader to sign in and back.
            Err(_) if page => {
                let app = state.app.clone().with_rights(Rights::Anonymous { read: false });
                req.extensions_mut().insert(Caller(app));
                return next.run(req).await;
            }
            Err(e) => return refuse(e),
        };
        if !safe(req.method()) {
            let sent = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
            let checked = quarterdeck_app::accounts::same_secret(sent, found.csrf.as_bytes());
            if checked {
                req.extensions_mut().insert(crate::ui::CsrfChecked);
            }
            // A page's plain form carries the token in its body instead: `PageForm` checks it.
            if !checked && !page {
                return ApiError::from(AppError::new(
                    Code::CsrfFailed,
                    "a change made with a session cookie must carry the session's CSRF token in X-CSRF-Token \
                     (from the sign-in answer or GET /api/v1/me)",
                ))
                .into_response();
            }
        }
        req.extensions_mut().insert(CurrentSession(found.id));
        req.extensions_mut().insert(SessionCsrf(found.csrf));
        req.extensions_mut().insert(Caller(found.app));
        return next.run(req).await;
    }
    let caller = match bearer(req.headers()) {
        Err(e) => return refuse(e),
        Ok(Some(token)) => match state.app.with_token(token).await {
            Ok(app) => app,
            Err(e) => return refuse(e),
        },
        Ok(None) => {
            let read = state.anonymous_read || (safe(req.method()) && state.app.anonymous_read().await);
            let app = state.app.clone().with_rights(Rights::Anonymous { read });
            let allowed = if safe(req.method()) { app.may_read() } else { Err(anonymous_write()) };
            // Pages answer for themselves: a reader who may not read is sent to sign in.
            if let (Err(e), false) = (allowed, page) {
                return refuse(e);
            }
            app
        }
    };
    req.extensions_mut().insert(Caller(caller));
    next.run(req).await
}

/// The CSRF token of the request's session, for `GET /me` to hand to the page's scripts.
#[derive(Clone)]
pub struct SessionCsrf(pub String);

fn anonymous_write() -> AppError {
    AppError::new(
        Code::Unauthenticated,
        "writing needs credentials: send an API token as 'Authorization: Bearer <token>' \
         (create one with 'quarterdeck token create')",
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// The caller the middleware found; a route outside it acts for nobody (and may not write).
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| anonymous_write().into())
    }
}
