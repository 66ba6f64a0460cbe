//! The HTTP face of Quarterdeck: the JSON API under `/api/v1` (with its OpenAPI document
//! generated from these handlers) and `/healthz`. Handlers are thin: extract, call one use
//! case of the application layer, respond. The web UI will sit beside `api/` and call the
//! same use cases.

pub mod api;
pub mod auth;
pub mod cache;
pub mod edge;
pub mod error;
pub mod extract;
pub mod oidc;
pub mod scim;
pub mod serve;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use quarterdeck_app::App;
use quarterdeck_domain::error::Code;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Bodies up to this size are read (a JSON batch of 100,000 measurements is about 8 MB);
/// larger ones get 413 in the JSON error shape.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Rendered list pages, valid while nothing has been written (see `cache.rs`).
    pub cache: Arc<cache::PageCache>,
    /// The hosts requests may be addressed to (see `edge.rs`).
    pub hosts: Arc<edge::AllowedHosts>,
    /// Whether requests without credentials may read (a wall display); they never write.
    pub anonymous_read: bool,
    /// Single sign-on, when configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// The one-time code that makes the first admin, printed by a server started on a
    /// database nobody can sign in to yet.
    pub setup_code: Option<Arc<str>>,
    /// The proxies whose `X-Forwarded-For` names the client (see `edge.rs`).
    pub trusted_proxies: Arc<edge::TrustedProxies>,
}

impl AppState {
    /// A state that answers requests addressed to the loopback names only.
    pub fn new(app: App) -> Self {
        AppState {
            app,
            cache: Arc::new(cache::PageCache::default()),
            hosts: Arc::new(edge::AllowedHosts::local()),
            anonymous_read: false,
            oidc: None,
            setup_code: None,
            trusted_proxies: Arc::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quarterdeck API",
        description = "OKRs and KPIs, wired together. Every list paginates with `limit` and `cursor`; \
                       every update sends the version it edited (`If-Match` or `version`) and gets 409 \
                       with the current record when someone else changed it first.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "accounts", description = "Who am I, users and API tokens: send 'Authorization: Bearer <token>' with every request"),
        (name = "organisation", description = "Units (company → departments → teams) and people"),
        (name = "cycles", description = "Quarters, 6-week and half-year cycles: planning → active → closed"),
        (name = "objectives", description = "Qualitative objectives, scored from their key results"),
        (name = "alignment", description = "The alignment graph: contributes / supports links"),
        (name = "key-results", description = "Key results, check-ins and initiatives"),
        (name = "kpis", description = "The metric dictionary, measurements, health and trust, driver trees, KRAs, guardrails"),
        (name = "audit", description = "The audit trail of every write, and the feed of domain events"),
        (name = "coach", description = "The method's quality rules (findings with stable rule ids), the policy that holds their numbers, forecasts"),
    ),
    modifiers(&Security)
)]
struct ApiDoc;

/// Every endpoint takes an API token (`Authorization: Bearer …`) or a session cookie.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token: quarterdeck token create, or POST /api/v1/tokens"))
                    .build(),
            ),
        );
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("qd_session"))));
        doc.security = Some(vec![
            SecurityRequirement::new("token", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    }
}

/// The whole application: API, OpenAPI document and health check.
pub fn router(mut state: AppState) -> Router {
    // Handlers read through the shared application; writes go through each request's
    // `Caller`. Should a write ever reach the shared one, it acts for nobody and is refused.
    state.app = state.app.with_rights(quarterdeck_domain::access::Rights::Anonymous { read: true });
    let (api, openapi) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api::routes()).split_for_parts();
    let openapi = Arc::new(openapi);
    api.route("/api/v1/openapi.json", get(move || std::future::ready(axum::Json(openapi.as_ref().clone()))))
        .route("/healthz", get(api::health::healthz))
        .route("/auth/oidc/login", get(oidc::login))
        .route("/auth/oidc/callback", get(oidc::callback))
        .route("/scim/v2/Users", get(scim::list_users).post(scim::create_user))
        .route(
            "/scim/v2/Users/{id}",
            get(scim::get_user).put(scim::replace_user).patch(scim::patch_user).delete(scim::delete_user),
        )
        .route("/scim/v2/Groups", get(scim::list_groups).post(scim::create_group))
        .route(
            "/scim/v2/Groups/{id}",
            get(scim::get_group).put(scim::replace_group).patch(scim::patch_group).delete(scim::delete_group),
        )
        .merge(ui::routes())
        .fallback(|uri: axum::http::Uri| async move {
            use axum::response::IntoResponse;
            if ui::is_page(uri.path()) {
                let e = quarterdeck_app::AppError::new(Code::NotFound, "there is no page at this address");
                return ui::page_error(&e);
            }
            error::ApiError::from(quarterdeck_app::AppError::new(
                Code::NotFound,
                "no such endpoint; the API lives under /api/v1 (see /api/v1/openapi.json)",
            ))
            .into_response()
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.hosts.clone(), edge::check_host))
        .layer(axum::middleware::from_fn(edge::security_headers))
        .with_state(state)
}
