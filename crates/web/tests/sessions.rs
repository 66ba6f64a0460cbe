//! Signing in with a browser, on SQLite and PostgreSQL: the session cookie (HttpOnly,
//! SameSite=Lax, Secure behind a TLS proxy), the CSRF token every change needs, signing out,
//! ending all of a user's sessions, expiry, and throttled guessing — each refusal changes
//! nothing and never echoes a secret.

mod common;

use common::Server;
use quarterdeck_app::Clock;
use quarterdeck_app::accounts::AddUser;
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(
    a_session_signs_in_changes_with_csrf_and_signs_out,
    guessing_is_throttled,
    sessions_expire,
    a_new_password_needs_the_old_one_and_ends_sessions
);

const PASSWORD: &str = "correct horse battery";

async fn add(s: &Server, email: &str) {
    let input = AddUser {
        email: email.into(),
        name: "Ada".into(),
        role: Role::Admin,
        person_id: None,
        password: Some(PASSWORD.into()),
    };
    s.app.add_user(input).await.unwrap();
}

/// Signs in; the cookie pair to send back, the CSRF token and the Set-Cookie header.
async fn sign_in(s: &Server, email: &str, password: &str, headers: &[(&str, &str)]) -> (StatusCode, Value, String) {
    let mut req = s.anonymous.post(s.url("/api/v1/session")).json(&json!({"email": email, "password": password}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let set = res.headers().get(SET_COOKIE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, res.json().await.unwrap_or(Value::Null), set)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn a_session_signs_in_changes_with_csrf_and_signs_out(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    add(&s, "ada@example.com").await;
    let (st, body, set) = sign_in(&s, "ADA@example.com", PASSWORD, &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"), "{set}");
    let cookie = pair(&set);
    assert!(!body.to_string().contains(cookie.split('=').nth(1).unwrap()), "the secret is in the cookie only");
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["email"], "ada@example.com");

    // Reading needs only the cookie; /me hands the CSRF token to the page's scripts.
    let (st, me) = s.send(s.anonymous.get(s.url("/api/v1/me")).header(COOKIE, &cookie)).await;
    assert_eq!(
        (st, me["actor"]["kind"].as_str(), me["csrf_token"].as_str()),
        (StatusCode::OK, Some("user"), Some(&*csrf))
    );

    // A change needs the CSRF token too: without it, or with a forged one, 403 and nothing written.
    let unit = json!({"name": "Product"});
    for forged in [None, Some("forged"), Some("")] {
        let mut req = s.anonymous.post(s.url("/api/v1/units")).header(COOKIE, &cookie).json(&unit);
        if let Some(f) = forged {
            req = req.header("X-CSRF-Token", f);
        }
        let (st, b) = s.send(req).await;
        assert_eq!((st, b["error"].as_str()), (StatusCode::FORBIDDEN, Some("csrf_failed")), "{forged:?}: {b}");
    }
    let (_, units) = s.get("/api/v1/units").await;
    assert_eq!(units["items"].as_array().unwrap().len(), 0);
    let (st, b) = s
        .send(
            s.anonymous.post(s.url("/api/v1/units")).header(COOKIE, &cookie).header("X-CSRF-Token", &csrf).json(&unit),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (_, trail) = s.get("/api/v1/audit?entity=unit").await;
    assert_eq!(trail["items"][0]["actor"]["kind"], "user", "{trail}");
    assert_eq!(trail["items"][0]["actor"]["name"], "Ada");

    // Behind a TLS proxy the cookie is Secure.
    let (_, _, set) = sign_in(&s, "ada@example.com", PASSWORD, &[("X-Forwarded-Proto", "https")]).await;
    assert!(set.contains("; Secure"), "{set}");
    let second = pair(&set);

    // Signing out ends this session only; ending all ends the other.
    let (st, _) = s
        .send(s.anonymous.delete(s.url("/api/v1/session")).header(COOKIE, &cookie).header("X-CSRF-Token", &csrf))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = s.send(s.anonymous.get(s.url("/api/v1/me")).header(COOKIE, &cookie)).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "{b}");
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/me")).header(COOKIE, &second)).await;
    assert_eq!(st, StatusCode::OK);
    let ada = s.app.find_user("ada@example.com").await.unwrap();
    let (st, ended) = s.send(s.http.delete(s.url(&format!("/api/v1/users/{}/sessions", ada.id)))).await;
    assert_eq!((st, ended["ended"].as_u64()), (StatusCode::OK, Some(1)), "{ended}");
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/me")).header(COOKIE, &second)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn guessing_is_throttled(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    add(&s, "ada@example.com").await;
    // A wrong password and an unknown address get the same answer.
    let (st, wrong, _) = sign_in(&s, "ada@example.com", "not the password", &[]).await;
    let (st2, unknown, _) = sign_in(&s, "nobody@example.com", "not the password", &[]).await;
    assert_eq!((st, st2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(wrong, unknown);
    assert!(!wrong.to_string().contains("not the password"));
    for _ in 1..5 {
        let (st, _, _) = sign_in(&s, "ada@example.com", "still not it", &[]).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    // Five failures: even the right password waits now, and says so.
    let (st, b, set) = sign_in(&s, "ada@example.com", PASSWORD, &[]).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("15 minutes"), "{b}");
    assert!(set.is_empty(), "no session: {set}");
    // Another account is not locked out by Ada's guesser (the address allows 30).
    add(&s, "bo@example.com").await;
    let (st, _, _) = sign_in(&s, "bo@example.com", PASSWORD, &[]).await;
    assert_eq!(st, StatusCode::CREATED);
    // After the window, the right password works again.
    let later = s.app.clone().with_clock(Clock::Fixed(chrono::Utc::now() + chrono::Duration::minutes(16)));
    later.sign_in("ada@example.com", PASSWORD, "127.0.0.1").await.unwrap();
}

async fn sessions_expire(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    add(&s, "ada@example.com").await;
    let now = chrono::Utc::now();
    let at = |hours: i64| s.app.clone().with_clock(Clock::Fixed(now + chrono::Duration::hours(hours)));
    let signed = at(0).sign_in("ada@example.com", PASSWORD, "127.0.0.1").await.unwrap();
    // Active every 11 hours: alive until the absolute end of 7 days.
    for h in (11..=165).step_by(11) {
        assert!(at(h).with_session(&signed.secret).await.is_ok(), "{h} h");
    }
    let err = at(169).with_session(&signed.secret).await.err().unwrap();
    assert_eq!(err.code.as_str(), "unauthenticated");
    // Idle for 13 hours: ended.
    let other = at(0).sign_in("ada@example.com", PASSWORD, "127.0.0.1").await.unwrap();
    assert!(at(13).with_session(&other.secret).await.is_err());
}

async fn a_new_password_needs_the_old_one_and_ends_sessions(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    add(&s, "ada@example.com").await;
    let (_, body, set) = sign_in(&s, "ada@example.com", PASSWORD, &[]).await;
    let (cookie, csrf) = (pair(&set), body["csrf_token"].as_str().unwrap().to_owned());
    let ada = s.app.find_user("ada@example.com").await.unwrap();
    let path = s.url(&format!("/api/v1/users/{}", ada.id));
    let change = |b: Value| {
        s.anonymous
            .patch(&path)
            .header(COOKIE, &cookie)
            .header("X-CSRF-Token", &csrf)
            .header("If-Match", "\"1\"")
            .json(&b)
    };
    let (st, b) = s.send(change(json!({"password": "a brand new secret"}))).await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")), "{b}");
    let (st, b) = s.send(change(json!({"password": "a brand new secret", "current_password": "a wrong guess"}))).await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")), "{b}");
    let (st, b) = s.send(change(json!({"password": "a brand new secret", "current_password": PASSWORD}))).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // Every session ends with the old password; the new one signs in.
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/me")).header(COOKIE, &cookie)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, _) = sign_in(&s, "ada@example.com", PASSWORD, &[]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, _) = sign_in(&s, "ada@example.com", "a brand new secret", &[]).await;
    assert_eq!(st, StatusCode::CREATED);
}
