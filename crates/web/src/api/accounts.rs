//! Who am I, users (admins manage them) and API tokens (each user manages their own).

use super::{Paging, created, with_etag};
use crate::AppState;
use crate::auth::{Caller, CurrentSession, SESSION_COOKIE, SessionCsrf};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use quarterdeck_app::accounts::{AddUser, CreateToken, CreatedToken, TokenView, UpdateUser, UserView};
use quarterdeck_app::sessions::{SetUp, SetUpDone, SignedIn};
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::access::{Rights, Scope};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::ids::{TokenId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_users, add_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(end_sessions))
        .routes(routes!(set_up))
}

#[utoipa::path(post, path = "/setup", tag = "accounts", request_body = SetUp,
    description = "Makes the first admin with the one-time code `quarterdeck serve` printed on a database nobody can \
                   sign in to yet, and answers with an API token of theirs (shown once). Refused once anyone can sign in.",
    responses((status = 201, body = SetUpDone), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_up(State(state): State<AppState>, ApiJson(body): ApiJson<SetUp>) -> ApiResult<Response> {
    let Some(code) = state.setup_code.as_deref() else {
        return Err(crate::error::ApiError::new(
            quarterdeck_domain::error::Code::Duplicate,
            "this server was started with users already; sign in, or ask an admin for an account",
        ));
    };
    let done = state.app.set_up(code, body).await?;
    Ok((StatusCode::CREATED, Json(done)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// The address the request came from (for throttling sign-ins), or "unknown".
pub(crate) fn peer(req: &axum::http::Extensions, headers: &HeaderMap, proxies: &crate::edge::TrustedProxies) -> String {
    let Some(peer) = req.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".into();
    };
    proxies.client(peer, headers).to_string()
}

/// `Secure` when the request came over TLS, as a proxy in front says.
pub(crate) fn secure(headers: &HeaderMap) -> &'static str {
    let https =
        headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if https { "; Secure" } else { "" }
}

#[utoipa::path(post, path = "/session", tag = "accounts", request_body = SignIn,
    description = "Signs in with e-mail and password: sets the HttpOnly session cookie and answers with the CSRF token \
                   to send as `X-CSRF-Token` with every change. Five failures for one account (thirty from one address) \
                   within 15 minutes are answered 429 until the window has passed.",
    responses((status = 201, body = SignedIn), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    Caller(app): Caller,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<Response> {
    let address = peer(&extensions, &headers, &state.trusted_proxies);
    let signed = app.sign_in(&body.email, &body.password, &address).await?;
    let max_age = (signed.expires_at - app.now()).num_seconds().max(0);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        signed.secret,
        secure(&headers)
    );
    Ok((StatusCode::CREATED, [(SET_COOKIE, cookie)], Json(signed)).into_response())
}

#[utoipa::path(delete, path = "/session", tag = "accounts", description = "Signs out: ends this session and clears its cookie.",
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn sign_out(
    Caller(app): Caller,
    session: Option<axum::Extension<CurrentSession>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(axum::Extension(CurrentSession(id))) = session else {
        return Err(crate::error::ApiError::new(
            quarterdeck_domain::error::Code::InvalidQuery,
            "this request was not made with a session; an API token is revoked with DELETE /api/v1/tokens/{id}",
        ));
    };
    app.sign_out(id).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", secure(&headers));
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear)]).into_response())
}

/// How many sessions ended.
#[derive(Serialize, ToSchema)]
pub struct SessionsEnded {
    pub ended: u64,
}

#[utoipa::path(delete, path = "/users/{id}/sessions", tag = "accounts", params(("id" = UserId, Path)),
    description = "Ends every session of a user (your own, or anyone's for an admin). Tokens are revoked one by one.",
    responses((status = 200, body = SessionsEnded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn end_sessions(Caller(app): Caller, ApiPath(id): ApiPath<UserId>) -> ApiResult<Json<SessionsEnded>> {
    Ok(Json(SessionsEnded { ended: app.end_sessions(id).await? }))
}

/// The party a request acts for.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(value_type = Object)]
    pub actor: Actor,
    /// `admin`, `lead`, `member` or `viewer`; none when nobody is signed in.
    pub role: Option<String>,
    /// The token's scopes, when a token is used.
    pub scopes: Option<Vec<Scope>>,
    /// The CSRF token to send as `X-CSRF-Token`, when signed in with a session cookie.
    pub csrf_token: Option<String>,
}

#[utoipa::path(get, path = "/me", tag = "accounts", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(Caller(app): Caller, csrf: Option<axum::Extension<SessionCsrf>>) -> Json<Me> {
    let (role, scopes) = match app.rights() {
        Rights::User { member, token } => {
            (Some(member.role.to_string()), token.as_ref().map(|(_, s)| s.scopes.iter().copied().collect()))
        }
        _ => (None, None),
    };
    Json(Me { actor: app.actor().clone(), role, scopes, csrf_token: csrf.map(|c| c.0.0) })
}

#[utoipa::path(get, path = "/users", tag = "accounts", params(Paging),
    responses((status = 200, body = ListPage<UserView>), (status = 403, body = ErrorBody)))]
async fn list_users(Caller(app): Caller, ApiQuery(q): ApiQuery<Paging>) -> ApiResult<Json<ListPage<UserView>>> {
    Ok(Json(app.list_users(page(q.limit, q.cursor.as_deref())?).await?))
}

#[utoipa::path(post, path = "/users", tag = "accounts", request_body = AddUser,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_user(Caller(app): Caller, ApiJson(body): ApiJson<AddUser>) -> ApiResult<Response> {
    let user = app.add_user(body).await?;
    Ok(created(user.version, user))
}

#[utoipa::path(get, path = "/users/{id}", tag = "accounts", params(("id" = String, Path, description = "User id or e-mail address")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(Caller(app): Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let user = app.get_user(&id).await?;
    Ok(with_etag(user.version, user))
}

#[utoipa::path(patch, path = "/users/{id}", tag = "accounts", request_body = UpdateUser,
    params(("id" = UserId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_user(
    Caller(app): Caller,
    ApiPath(id): ApiPath<UserId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let user = app.update_user(id, version, body).await?;
    Ok(with_etag(user.version, user))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTokens {
    /// Whose tokens (admins only; default: your own). An id or an e-mail address.
    pub user: Option<String>,
}

#[utoipa::path(get, path = "/tokens", tag = "accounts", params(ListTokens),
    responses((status = 200, body = Vec<TokenView>), (status = 403, body = ErrorBody)))]
async fn list_tokens(Caller(app): Caller, ApiQuery(q): ApiQuery<ListTokens>) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(app.list_tokens(q.user.as_deref()).await?))
}

#[utoipa::path(post, path = "/tokens", tag = "accounts", request_body = CreateToken,
    description = "Creates an API token; the answer carries its secret, shown this once.",
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(Caller(app): Caller, ApiJson(body): ApiJson<CreateToken>) -> ApiResult<Response> {
    let made = app.create_token(body).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "accounts", params(("id" = TokenId, Path)),
    description = "Revokes a token: it stops working at once (within 10 seconds on other servers of the same database).",
    responses((status = 200, body = TokenView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(Caller(app): Caller, ApiPath(id): ApiPath<TokenId>) -> ApiResult<Json<TokenView>> {
    Ok(Json(app.revoke_token(id).await?))
}
