//! Single sign-on with OpenID Connect: the authorisation code flow with PKCE, against a
//! provider found by discovery. `GET /auth/oidc/login` sends the browser to the provider;
//! `GET /auth/oidc/callback` checks the answer (state, PKCE, the ID token's signature,
//! issuer, audience and nonce), asks the user-info endpoint for the groups, and signs the
//! person in through the application layer, which maps them to a user.
//!
//! Nothing is kept on the server between the two steps, so any of several servers can
//! finish a sign-in another began: the state, nonce and PKCE verifier ride in a short-lived
//! HttpOnly cookie scoped to `/auth/oidc`.

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use quarterdeck_app::AppError;
use quarterdeck_app::sessions::{ExternalIdentity, SsoPolicy};
use quarterdeck_domain::error::Code;
use serde::Deserialize;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Where the provider is and who Quarterdeck is to it (the operator's settings).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// This server's callback as the browser reaches it, e.g.
    /// `https://okr.example.com/auth/oidc/callback`.
    pub redirect_url: String,
    /// The claim of the user-info answer that lists the person's groups.
    pub groups_claim: String,
    pub policy: SsoPolicy,
}

/// A discovered provider, ready for sign-ins.
pub struct Oidc {
    client: Client,
    userinfo: Option<String>,
    http: reqwest::Client,
    groups_claim: String,
    policy: SsoPolicy,
    /// Whether the callback is served over TLS (the pending cookie is then Secure).
    secure: bool,
}

const PENDING_COOKIE: &str = "qd_oidc";
/// A sign-in started and not finished within this many seconds starts over.
const PENDING_SECONDS: u32 = 600;

impl Oidc {
    /// Reads the provider's discovery document and keys.
    pub async fn discover(settings: OidcSettings) -> Result<Oidc, String> {
        // The provider's answers are followed by nothing: no redirects, so a provider cannot
        // point this server's requests elsewhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| format!("oidc issuer: {e}"))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| format!("OpenID Connect discovery at {} failed: {e}", settings.issuer))?;
        let userinfo = metadata.userinfo_endpoint().map(|u| u.url().to_string());
        let redirect =
            RedirectUrl::new(settings.redirect_url.clone()).map_err(|e| format!("oidc redirect URL: {e}"))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id),
            settings.client_secret.map(ClientSecret::new),
        )
        .set_redirect_uri(redirect);
        Ok(Oidc {
            client,
            userinfo,
            http,
            groups_claim: settings.groups_claim,
            policy: settings.policy,
            secure: settings.redirect_url.starts_with("https://"),
        })
    }

    fn secure(&self) -> &'static str {
        if self.secure { "; Secure" } else { "" }
    }
}

fn unavailable() -> ApiError {
    ApiError::new(Code::NotFound, "single sign-on is not configured on this server; sign in with a password")
}

fn failed(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::Unauthenticated, message)
}

/// `GET /auth/oidc/login`: to the provider, with a fresh state, nonce and PKCE challenge.
pub async fn login(State(state): State<AppState>) -> Result<Response, ApiError> {
    let oidc = state.oidc.as_ref().ok_or_else(unavailable)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = oidc
        .client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = format!("{}.{}.{}", csrf.secret(), nonce.secret(), verifier.secret());
    let cookie = format!(
        "{PENDING_COOKIE}={pending}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={PENDING_SECONDS}{}",
        oidc.secure()
    );
    Ok((StatusCode::SEE_OTHER, [(LOCATION, url.to_string()), (SET_COOKIE, cookie)]).into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/oidc/callback`: checks the provider's answer and signs the person in.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Result<Response, ApiError> {
    let oidc = state.oidc.as_ref().ok_or_else(unavailable)?;
    if let Some(e) = q.error {
        // The provider's own words about why (denied, …) are a short code, not a secret.
        let e: String = e.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Err(failed(format!("the identity provider did not sign you in ({e}); try again")));
    }
    let pending = cookie(&headers, PENDING_COOKIE)
        .ok_or_else(|| failed("this sign-in was not started here (or took over 10 minutes); start again"))?;
    let mut parts = pending.splitn(3, '.');
    let (Some(expected), Some(nonce), Some(verifier)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(failed("this sign-in's cookie is damaged; start again"));
    };
    if q.state.as_deref() != Some(expected) {
        return Err(failed("this answer does not belong to the sign-in this browser started; start again"));
    }
    let code = q.code.ok_or_else(|| failed("the identity provider sent no code; start again"))?;
    let tokens = oidc
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|_| failed("the identity provider has no token endpoint"))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&oidc.http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "OpenID Connect code exchange failed");
            failed("the identity provider refused the sign-in; start again")
        })?;
    let id_token = tokens.id_token().ok_or_else(|| failed("the identity provider sent no ID token"))?;
    let claims = id_token.claims(&oidc.client.id_token_verifier(), &Nonce::new(nonce.to_owned())).map_err(|e| {
        tracing::warn!(error = %e, "an ID token failed verification");
        failed("the identity provider's ID token did not verify; start again")
    })?;
    let info = match &oidc.userinfo {
        Some(url) => oidc
            .http
            .get(url)
            .bearer_auth(tokens.access_token().secret())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| failed("the identity provider's user-info endpoint did not answer"))?
            .json::<serde_json::Value>()
            .await
            .unwrap_or_default(),
        None => serde_json::Value::Null,
    };
    if claims.email_verified() == Some(false) || info["email_verified"] == serde_json::Value::Bool(false) {
        return Err(failed("the identity provider has not verified your e-mail address"));
    }
    let email = claims
        .email()
        .map(|e| e.as_str().to_owned())
        .or_else(|| info["email"].as_str().map(str::to_owned))
        .ok_or_else(|| failed("the identity provider sent no e-mail address; ask it to share the email scope"))?;
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| info["name"].as_str().map(str::to_owned));
    let groups = info[&oidc.groups_claim]
        .as_array()
        .map(|g| g.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let signed = state
        .app
        .clone()
        .with_rights(quarterdeck_domain::access::Rights::System)
        .sign_in_external(ExternalIdentity { email, name, groups }, &oidc.policy)
        .await
        .map_err(|e: AppError| ApiError::from(e))?;
    let max_age = (signed.expires_at - state.app.now()).num_seconds().max(0);
    let session = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        signed.secret,
        oidc.secure()
    );
    let clear = format!("{PENDING_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0{}", oidc.secure());
    let mut res = (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
    res.headers_mut().append(SET_COOKIE, session.parse().expect("a cookie is a header value"));
    res.headers_mut().append(SET_COOKIE, clear.parse().expect("a cookie is a header value"));
    Ok(res)
}
