//! The web application: server-rendered pages over the same use cases as the JSON API.
//! Each page is a module here (extract → call `app` → render its template); templates and
//! assets are embedded in the binary, front-end libraries vendored from npm (see
//! `crates/web/ui/package.json` and `scripts/refresh-assets`). htmx enhances forms that work
//! without it: a check-in answers with the updated card in place.
//!
//! Pages are read by the signed-in user (session cookie) or, when the organisation allows,
//! by anyone; without either they send the browser to the sign-in page and back. A change
//! made from a page carries the session's CSRF token, as a header (htmx) or as the form's
//! `_csrf` field (plain forms), checked by [`PageForm`].

mod alignment;
mod assets;
mod calibration;
mod coach;
mod company;
mod cycles;
mod home;
mod key_results;
mod kpis;
mod objectives;
mod people;
mod quarter_end;
mod sign_in;
mod teams;
mod tokens;
mod tree;

use crate::AppState;
use crate::auth::{Caller, SessionCsrf};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use quarterdeck_app::{App, AppError};
use quarterdeck_domain::access::Rights;
use quarterdeck_domain::error::{Code, Kind};
use serde::de::DeserializeOwned;
use std::sync::LazyLock;

/// The pages' routes; `/assets/…` serves the embedded files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/assets/{*path}", get(assets::serve))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/setup", get(sign_in::setup_form).post(sign_in::setup))
        .route("/company", get(company::page))
        .route("/alignment", get(alignment::page))
        .route("/alignment/{id}/below", get(alignment::below))
        .route("/alignment/review", get(coach::alignment_review))
        .route("/alignment/orphans", get(alignment::orphans))
        .route("/teams", get(teams::list))
        .route("/teams/{slug}", get(teams::page))
        .route("/teams/{slug}/agenda", get(coach::agenda))
        .route("/teams/{slug}/agenda.md", get(coach::agenda_markdown))
        .route("/kpis/{key}/okr-candidate", post(coach::accept_candidate))
        .route("/objectives/new", get(objectives::new_form))
        .route("/objectives", post(objectives::create))
        .route("/objectives/{id}", get(objectives::page).post(objectives::edit))
        .route("/objectives/{id}/status", post(objectives::status))
        .route("/objectives/{id}/alignments", post(objectives::align))
        .route("/objectives/{id}/alignments/{link}/delete", post(objectives::unalign))
        .route("/objectives/{id}/key-results", post(key_results::create))
        .route("/key-results/{id}", get(key_results::page).post(key_results::edit))
        .route("/key-results/{id}/check-ins", post(key_results::check_in))
        .route("/key-results/{id}/status", post(key_results::status))
        .route("/key-results/{id}/initiatives", post(key_results::add_initiative))
        .route("/kpis", get(kpis::list).post(kpis::create))
        .route("/kpis/new", get(kpis::new_form))
        .route("/kpis/{key}", get(kpis::page).post(kpis::edit))
        .route("/kpis/{key}/run", post(kpis::run))
        .route("/kpis/{key}/tree", get(tree::page))
        .route("/kpis/{key}/key-result", get(kpis::key_result_form).post(kpis::create_key_result))
        .route("/dashboard", get(tree::dashboard))
        .route("/cycles", get(cycles::list).post(cycles::create))
        .route("/cycles/{id}/state", post(cycles::change_state))
        .route("/cycles/{id}/coach", get(coach::cycle))
        .route("/cycles/{id}/close", get(quarter_end::close_page))
        .route("/key-results/{id}/decision", post(quarter_end::decide))
        .route("/objectives/{id}/retro", post(quarter_end::retro))
        .route("/coach/hints/objective", get(coach::objective_hints))
        .route("/coach/policy", get(coach::policy).post(coach::set_policy))
        .route("/calibration", get(calibration::page))
        .route("/coach/hints/key-result", get(coach::key_result_hints))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/people", get(people::list).post(people::invite))
        .route("/people/{id}", post(people::change))
}

/// Whether a path belongs to the pages (everything outside the API, SCIM and sign-on).
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/scim/") || path.starts_with("/auth/") || path == "/healthz")
}

/// Page responses may load this site's own scripts, styles and images, nothing else.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[derive(rust_embed::Embed)]
#[folder = "ui/templates/"]
struct Templates;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for name in Templates::iter() {
        let file = Templates::get(&name).expect("embedded template");
        let source = String::from_utf8(file.data.into_owned()).expect("templates are UTF-8");
        env.add_template_owned(name.to_string(), source).expect("templates parse (checked by the ui tests)");
    }
    env.add_filter("score", |v: f64| format!("{v:.2}"));
    env.add_filter("num", format_number);
    env.add_filter("pct", |v: f64| format!("{v:.0} %"));
    // Only web addresses become links (never `javascript:` or `data:`).
    env.add_filter("web_link", |v: Option<String>| {
        v.filter(|u| {
            let lower = u.trim_start().to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        })
        .unwrap_or_default()
    });
    env.add_filter("age", age);
    env.add_filter("day", |v: String| v.get(..10).unwrap_or(&v).to_owned());
    env.add_filter("when", |v: String| v.get(..16).map(|s| s.replace('T', " ")).unwrap_or(v));
    env
});

/// How long ago a moment was, in days, as of `now` (both RFC 3339, as views serialise them).
fn age(at: Option<String>, now: String) -> String {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (at.as_deref().and_then(parse), parse(&now)) {
        (Some(at), Some(now)) => match (now - at).num_days() {
            d if d <= 0 => "today".into(),
            1 => "1 day ago".into(),
            d => format!("{d} days ago"),
        },
        (None, _) => "never".into(),
        _ => "–".into(),
    }
}

/// A number as people read it: no trailing zeros, thousands grouped.
pub fn format_number(v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    let rounded = if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    let trimmed =
        if rounded.contains('.') { rounded.trim_end_matches('0').trim_end_matches('.').to_owned() } else { rounded };
    let (sign, digits) = trimmed.strip_prefix('-').map_or(("", trimmed.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Who is looking at a page, and the application acting for them.
pub struct Viewer {
    pub app: App,
    pub csrf: Option<String>,
    /// The page's path and query, to come back to after signing in.
    pub here: String,
}

impl Viewer {
    pub fn role(&self) -> Option<String> {
        match self.app.rights() {
            Rights::User { member, .. } => Some(member.role.to_string()),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<String> {
        match self.app.actor() {
            quarterdeck_domain::actor::Actor::User { name, .. } => Some(name.clone()),
            quarterdeck_domain::actor::Actor::Token { name, .. } => Some(name.clone()),
            _ => None,
        }
    }

    /// Renders a page: its template with the layout's facts (who, CSRF token, navigation).
    pub fn render(&self, template: &str, nav: &str, ctx: Value) -> Response {
        self.render_status(StatusCode::OK, template, nav, ctx)
    }

    pub fn render_status(&self, status: StatusCode, template: &str, nav: &str, ctx: Value) -> Response {
        let admin = self.role().as_deref() == Some("admin");
        let layout = context! {
            me => self.name(),
            role => self.role(),
            admin,
            signed_in => self.app.user_id().is_some(),
            csrf => self.csrf,
            nav,
            here => self.here,
            now => self.app.now().to_rfc3339(),
            version => env!("CARGO_PKG_VERSION"),
        };
        render(status, template, context! { ..ctx, ..layout })
    }
}

/// A template rendered into an HTML response with the pages' security policy.
pub fn render(status: StatusCode, template: &str, ctx: Value) -> Response {
    let html = TEMPLATES.get_template(template).and_then(|t| t.render(ctx));
    match html {
        Ok(html) => {
            let mut res = (status, axum::response::Html(html)).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(template, error = %e, "a page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be drawn; the server log says why").into_response()
        }
    }
}

fn sign_in_redirect(here: &str) -> Response {
    let next = url_encode(here);
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

/// Percent-encodes a query value.
pub fn url_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn here_of(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET {
        return parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
    }
    page_of(parts.uri.path()).to_owned()
}

/// The page a form was posted from, to come back to after signing in again (a change sent
/// with an expired session is not made; the reader signs in and makes it again).
fn page_of(action: &str) -> &str {
    const ACTIONS: &[&str] =
        &["/check-ins", "/status", "/key-results", "/alignments", "/initiatives", "/run", "/key-result", "/state"];
    let mut path = action;
    if let Some(at) = path.find("/alignments/") {
        path = &path[..at];
    }
    for suffix in ACTIONS {
        if let Some(page) = path.strip_suffix(suffix) {
            path = page;
            break;
        }
    }
    match path {
        "" | "/sign-out" => "/",
        "/objectives" => "/objectives/new",
        "/kpis" => "/kpis/new",
        p if p.starts_with("/cycles/") => "/cycles",
        p if p.starts_with("/tokens/") => "/tokens",
        p if p.starts_with("/people/") => "/people",
        p => p,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Response;

    /// The viewer of a page; someone who may not read is sent to sign in and back.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let here = here_of(parts);
        let Some(Caller(app)) = parts.extensions.get::<Caller>().cloned() else {
            return Err(sign_in_redirect(&here));
        };
        if app.may_read().is_err() {
            return Err(sign_in_redirect(&here));
        }
        let csrf = parts.extensions.get::<SessionCsrf>().map(|c| c.0.clone());
        Ok(Viewer { app, csrf, here })
    }
}

/// The CSRF token of a change made with a session cookie was checked in its header.
#[derive(Clone, Copy)]
pub struct CsrfChecked;

/// A form posted from a page, after its CSRF check: a change authenticated by a session
/// cookie must carry the session's token as `X-CSRF-Token` or as the `_csrf` field.
pub struct PageForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    _csrf: Option<String>,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 256 * 1024)
            .await
            .map_err(|_| page_error(&AppError::new(Code::BodyTooLarge, "the form is too large (at most 256 kB)")))?;
        let session_csrf = parts.extensions.get::<SessionCsrf>();
        if let (Some(expected), None) = (session_csrf, parts.extensions.get::<CsrfChecked>()) {
            let sent: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField { _csrf: None });
            let sent = sent._csrf.unwrap_or_default();
            if !quarterdeck_app::accounts::same_secret(sent.as_bytes(), expected.0.as_bytes()) {
                return Err(page_error(&AppError::new(
                    Code::CsrfFailed,
                    "this form is out of date or was not sent from this site; reload the page and try again",
                )));
            }
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(PageForm)
            .map_err(|e| page_error(&AppError::new(Code::MalformedJson, format!("the form could not be read: {e}"))))
    }
}

/// A failed page request: sign in when nobody is signed in, else a page that says what
/// went wrong and what to do.
pub fn page_error(e: &AppError) -> Response {
    if e.kind() == Kind::Unauthenticated {
        return sign_in_redirect("/");
    }
    let status = crate::error::status_of(e.kind());
    render(
        status,
        "error.html",
        context! { status => status.as_u16(), code => e.code.to_string(), message => e.message, nav => "" },
    )
}

/// What a page handler returns.
pub type PageResult = Result<Response, PageFailure>;

/// An error of a use case, turned into a page.
pub struct PageFailure(pub AppError);

impl From<AppError> for PageFailure {
    fn from(e: AppError) -> Self {
        PageFailure(e)
    }
}

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        page_error(&self.0)
    }
}

/// After a change made by a plain form: back to a page (htmx follows `HX-Redirect`).
pub fn see_other(to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert("hx-redirect", v);
    }
    res
}

/// An empty form field is no value.
pub fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A field that must hold a number.
pub fn number(field: &str, v: &Option<String>) -> Result<Option<f64>, AppError> {
    match filled(v) {
        None => Ok(None),
        Some(s) => s.replace(',', "").parse::<f64>().map(Some).map_err(|_| {
            AppError::new(Code::InvalidField, format!("{field}: '{s}' is not a number")).with_field(field.to_owned())
        }),
    }
}

/// Who made a change, in words.
pub fn actor_words(actor: &quarterdeck_domain::actor::Actor) -> String {
    use quarterdeck_domain::actor::Actor;
    match actor {
        Actor::User { name, .. } => name.clone(),
        Actor::Token { name, .. } => format!("token '{name}'"),
        Actor::Person { .. } => "a person".into(),
        Actor::Api => "the API (before accounts)".into(),
        Actor::Cli { user } => {
            format!("the command line{}", user.as_ref().map(|u| format!(" ({u})")).unwrap_or_default())
        }
        Actor::Job { name } => format!("the {name} job"),
        Actor::Guardrail { .. } => "a guardrail".into(),
        Actor::Import => "an import".into(),
    }
}

/// Fields whose change a reader of the history cares about (not versions and stamps).
const QUIET_FIELDS: &[&str] = &["version", "updated_at", "created_at", "score", "rollup", "key_result_count"];

/// An audit trail as people read it: when, who, what, and each field from → to.
pub fn history_lines(entries: Vec<quarterdeck_app::views::AuditEntryView>) -> Vec<Value> {
    entries
        .into_iter()
        .map(|e| {
            let mut changes = Vec::new();
            if let (Some(serde_json::Value::Object(before)), Some(serde_json::Value::Object(after))) =
                (&e.before, &e.after)
            {
                for (field, to) in after {
                    let from = before.get(field).unwrap_or(&serde_json::Value::Null);
                    if from != to && !QUIET_FIELDS.contains(&field.as_str()) {
                        changes.push(context! { field, from => short(from), to => short(to) });
                    }
                }
            }
            context! { at => e.at.to_rfc3339(), who => actor_words(&e.actor), action => e.action, changes }
        })
        .collect()
}

fn short(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "–".into(),
        other => other.to_string(),
    };
    if text.chars().count() > 80 { format!("{}…", text.chars().take(80).collect::<String>()) } else { text }
}

/// The points of a sparkline over values (gaps skipped) in a 100 × 24 box.
pub fn sparkline(values: &[Option<f64>]) -> String {
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    if known.len() < 2 {
        return String::new();
    }
    let (lo, hi) = known.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = 100.0 / (values.len().max(2) - 1) as f64;
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", i as f64 * step, 22.0 - (v - lo) / span * 20.0)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        assert!(Templates::iter().count() > 10);
        for name in Templates::iter() {
            TEMPLATES.get_template(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(format_number(Some(1234567.0)), "1,234,567");
        assert_eq!(format_number(Some(0.5)), "0.5");
        assert_eq!(format_number(Some(-1500.0)), "-1,500");
        assert_eq!(format_number(Some(12.345)), "12.35");
        assert_eq!(format_number(None), "–");
    }

    #[test]
    fn sparklines_span_the_box_and_skip_gaps() {
        assert_eq!(sparkline(&[Some(1.0)]), "");
        assert_eq!(sparkline(&[Some(0.0), None, Some(10.0)]), "0.0,22.0 100.0,2.0");
    }

    #[test]
    fn only_web_addresses_become_links() {
        let render = |link: &str| TEMPLATES.render_str("{{ link|web_link }}", context! { link }).unwrap();
        assert_eq!(render("https://wiki.example/tour"), "https://wiki.example/tour");
        assert_eq!(render("HTTP://x.example"), "HTTP://x.example");
        for bad in ["javascript:alert(1)", " data:text/html,x", "//evil.example", "wiki/tour"] {
            assert_eq!(render(bad), "", "{bad}");
        }
    }

    #[test]
    fn ages_read_in_days() {
        let now = "2026-12-01T09:00:00+00:00".to_owned();
        assert_eq!(age(Some("2026-12-01T08:00:00Z".into()), now.clone()), "today");
        assert_eq!(age(Some("2026-11-30T08:00:00Z".into()), now.clone()), "1 day ago");
        assert_eq!(age(Some("2026-11-10T09:00:00Z".into()), now.clone()), "21 days ago");
        assert_eq!(age(None, now), "never");
    }

    #[test]
    fn a_form_sent_with_an_expired_session_comes_back_to_its_page() {
        let id = "01a230d6-fe61-7544-bf0e-f8c43c9f37a3";
        for (action, page) in [
            (format!("/key-results/{id}/check-ins"), format!("/key-results/{id}")),
            (format!("/objectives/{id}/alignments/{id}/delete"), format!("/objectives/{id}")),
            (format!("/objectives/{id}/key-results"), format!("/objectives/{id}")),
            (format!("/objectives/{id}"), format!("/objectives/{id}")),
            (format!("/cycles/{id}/state"), "/cycles".into()),
            (format!("/tokens/{id}/revoke"), "/tokens".into()),
            ("/kpis/win_rate/run".into(), "/kpis/win_rate".into()),
            ("/objectives".into(), "/objectives/new".into()),
        ] {
            assert_eq!(page_of(&action), page, "{action}");
        }
    }

    #[test]
    fn next_addresses_are_encoded() {
        assert_eq!(url_encode("/kpis?x=1&y=2"), "/kpis%3Fx%3D1%26y%3D2");
    }
}
