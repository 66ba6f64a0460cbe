//! Single sign-on against a real OpenID Connect provider (the PyPI package
//! `oidc-provider-mock`, started here as a process on a free port), on SQLite and PostgreSQL:
//! the browser's round trip (login → provider → callback → session), the groups claim mapped
//! to a role, just-in-time users, and answers that do not belong to the sign-in refused.
//! Without the package the tests say SKIPPED, unless `QUARTERDECK_REQUIRE_OIDC` is set (CI).

mod common;

use common::Server;
use quarterdeck_app::sessions::SsoPolicy;
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use quarterdeck_web::oidc::{Oidc, OidcSettings};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

backend_tests!(a_person_signs_in_through_the_provider, answers_of_another_sign_in_are_refused);

/// The provider process, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn provider() -> Option<Provider> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let users = [
        json!({"sub": "ada", "email": "ada@example.com", "name": "Ada Lovelace", "groups": ["okr-admins", "staff"]}),
        json!({"sub": "bo", "email": "bo@example.com", "name": "Bo Berg", "groups": ["staff"]}),
    ];
    let mut cmd = Command::new(std::env::var("QUARTERDECK_PYTHON").unwrap_or_else(|_| "python3".into()));
    cmd.args(["-m", "oidc_provider_mock", "--port", &port.to_string()]);
    for u in &users {
        cmd.args(["--user-claims", &u.to_string()]);
    }
    let required = std::env::var_os("QUARTERDECK_REQUIRE_OIDC").is_some();
    let child = match cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("SKIPPED (no python3 to run oidc-provider-mock: {e})");
            return None;
        }
        Err(e) => panic!("cannot start oidc-provider-mock: {e}"),
    };
    let mut p = Provider { child, issuer: format!("http://127.0.0.1:{port}") };
    // Wait until it answers its discovery document (or has exited: not installed).
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("{}/.well-known/openid-configuration", p.issuer);
    loop {
        if let Ok(Some(status)) = p.child.try_wait() {
            assert!(!required, "oidc-provider-mock exited ({status}); pip install oidc-provider-mock");
            eprintln!("SKIPPED (oidc-provider-mock is not installed: pip install oidc-provider-mock)");
            return None;
        }
        if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
            return Some(p);
        }
        assert!(Instant::now() < deadline, "oidc-provider-mock did not answer within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn server(store: Arc<dyn Store>, p: &Provider, create_users: bool) -> Server {
    Server::start_with(store, async |addr, state| {
        let settings = OidcSettings {
            issuer: p.issuer.clone(),
            client_id: "quarterdeck".into(),
            client_secret: Some("s3cret".into()),
            redirect_url: format!("http://{addr}/auth/oidc/callback"),
            groups_claim: "groups".into(),
            policy: SsoPolicy {
                create_users,
                default_role: Role::Viewer,
                group_roles: vec![("okr-admins".into(), Role::Admin)],
            },
        };
        let oidc = Oidc::discover(settings).await.expect("discovery");
        quarterdeck_web::AppState { oidc: Some(Arc::new(oidc)), ..state }
    })
    .await
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
}

/// The browser's round trip as `sub`: the callback's answer.
async fn round_trip(s: &Server, sub: &str) -> reqwest::Response {
    let b = browser();
    let start = b.get(s.url("/auth/oidc/login")).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let pending = cookie_of(&start, "qd_oidc").expect("the pending sign-in cookie");
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(authorize.contains("code_challenge=") && authorize.contains("nonce="), "{authorize}");
    // The person picks who they are at the provider.
    let answer = b.post(&authorize).form(&[("sub", sub)]).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let callback = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&s.base), "{callback}");
    b.get(&callback).header(COOKIE, pending).send().await.unwrap()
}

async fn a_person_signs_in_through_the_provider(store: Arc<dyn Store>) {
    let Some(p) = provider().await else { return };
    let s = server(store, &p, true).await;
    let done = round_trip(&s, "ada").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let session = cookie_of(&done, "qd_session").expect("a session cookie");
    let (st, me) = s.send(browser().get(s.url("/api/v1/me")).header(COOKIE, &session)).await;
    assert_eq!(st, StatusCode::OK, "{me}");
    assert_eq!((me["actor"]["kind"].as_str(), me["actor"]["name"].as_str()), (Some("user"), Some("Ada Lovelace")));
    assert_eq!(me["role"], "admin", "okr-admins maps to admin: {me}");
    // Made just in time, with no password; a second sign-in finds the same user.
    let ada = s.app.find_user("ada@example.com").await.unwrap();
    assert!(!ada.has_password);
    round_trip(&s, "ada").await;
    let (_, users) = s.get("/api/v1/users").await;
    let adas = users["items"].as_array().unwrap().iter().filter(|u| u["email"] == "ada@example.com").count();
    assert_eq!(adas, 1, "{users}");
    // No mapped group: the default role.
    let done = round_trip(&s, "bo").await;
    let session = cookie_of(&done, "qd_session").unwrap();
    let (_, me) = s.send(browser().get(s.url("/api/v1/me")).header(COOKIE, &session)).await;
    assert_eq!(me["role"], "viewer", "{me}");
    // The group map keeps the role in step: Ada made viewer by hand is admin again at sign-in.
    let patch = quarterdeck_app::accounts::UpdateUser { role: Some(Role::Viewer), ..Default::default() };
    s.app.update_user(ada.id, ada.version, patch).await.unwrap();
    round_trip(&s, "ada").await;
    assert_eq!(s.app.find_user("ada@example.com").await.unwrap().role, Role::Admin);
}

async fn answers_of_another_sign_in_are_refused(store: Arc<dyn Store>) {
    let Some(p) = provider().await else { return };
    let s = server(store, &p, false).await;
    let b = browser();
    // A callback this browser did not start.
    let (st, body) = s.send(b.get(s.url("/auth/oidc/callback?code=abc&state=xyz"))).await;
    assert_eq!((st, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "{body}");
    // A state that is not this browser's.
    let start = b.get(s.url("/auth/oidc/login")).send().await.unwrap();
    let pending = cookie_of(&start, "qd_oidc").unwrap();
    let (st, body) = s.send(b.get(s.url("/auth/oidc/callback?code=abc&state=forged")).header(COOKIE, &pending)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["message"].as_str().unwrap().contains("does not belong"), "{body}");
    // A person the provider vouches for, without a user, when users are not made on sign-in.
    let done = round_trip(&s, "bo").await;
    assert_eq!(done.status(), StatusCode::FORBIDDEN);
    let body: Value = done.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("ask an admin"), "{body}");
    assert!(s.app.find_user("bo@example.com").await.is_err(), "nobody was made");
}
