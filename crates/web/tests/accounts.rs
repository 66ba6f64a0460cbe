//! Accounts over HTTP, on SQLite and PostgreSQL: bad credentials of every kind are refused
//! with 401 and a message that says what to do; tokens are shown once and never again; the
//! audit trail names the user who changed a key result's target, and from what.

mod common;

use common::{Server, client_with, token_for};
use quarterdeck_app::Clock;
use quarterdeck_app::accounts::{CreateToken, UpdateUser};
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(
    bad_credentials_are_refused_and_change_nothing,
    tokens_are_shown_once,
    the_trail_names_who_changed_a_target,
    a_fresh_server_makes_its_first_admin_once,
    a_wall_display_reads_when_the_organisation_allows
);

async fn status_of(s: &Server, client: &reqwest::Client) -> (StatusCode, Value) {
    s.send(client.post(s.url("/api/v1/units")).json(&json!({"name": "Intruders"}))).await
}

async fn bad_credentials_are_refused_and_change_nothing(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let unknown = client_with("qd_not-a-token-anyone-made");
    let (st, b) = status_of(&s, &unknown).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("not known"), "{b}");
    assert!(!b.to_string().contains("not-a-token"), "the answer does not echo the token: {b}");

    // A scheme other than Bearer.
    let (st, b) =
        s.send(s.anonymous.post(s.url("/api/v1/units")).basic_auth("admin", Some("pw")).json(&json!({}))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert!(b["message"].as_str().unwrap().contains("Bearer"), "{b}");

    // Revoked: refused at once.
    let secret = token_for(&s.app, "ops@example.com", Role::Admin, None, &["admin"]).await;
    let ops = client_with(&secret);
    assert_eq!(s.send(ops.get(s.url("/api/v1/me"))).await.0, StatusCode::OK);
    let (_, tokens) = s.get("/api/v1/tokens?user=ops@example.com").await;
    let (st, revoked) =
        s.send(s.http.delete(s.url(&format!("/api/v1/tokens/{}", tokens[0]["id"].as_str().unwrap())))).await;
    assert_eq!((st, revoked["state"].as_str()), (StatusCode::OK, Some("revoked")), "{revoked}");
    let (st, b) = status_of(&s, &ops).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert!(b["message"].as_str().unwrap().contains("revoked"), "{b}");

    // Expired: made 100 days ago with the default 90-day life.
    let past = s.app.clone().with_clock(Clock::Fixed(chrono::Utc::now() - chrono::Duration::days(100)));
    let input = CreateToken {
        name: "old".into(),
        scopes: vec!["admin".into()],
        kpis: Vec::new(),
        expires_in_days: None,
        user: Some("ops@example.com".into()),
    };
    let old = client_with(&past.create_token(input).await.unwrap().secret);
    let (st, b) = status_of(&s, &old).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert!(b["message"].as_str().unwrap().contains("expired"), "{b}");

    // A deactivated user's tokens stop working.
    let secret = token_for(&s.app, "gone@example.com", Role::Admin, None, &["admin"]).await;
    let gone = client_with(&secret);
    assert_eq!(s.send(gone.get(s.url("/api/v1/me"))).await.0, StatusCode::OK);
    let user = s.app.find_user("gone@example.com").await.unwrap();
    let off = UpdateUser { active: Some(false), ..UpdateUser::default() };
    s.app.update_user(user.id, user.version, off).await.unwrap();
    let (st, b) = status_of(&s, &gone).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("account_inactive")), "{b}");

    let (_, units) = s.get("/api/v1/units").await;
    assert_eq!(units["items"].as_array().unwrap().len(), 0, "no refused request wrote: {units}");
    let (_, trail) = s.get("/api/v1/audit?entity=unit").await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 0);
}

async fn tokens_are_shown_once(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (st, made) =
        s.post("/api/v1/tokens", json!({"name": "ci", "scopes": ["read", "check-in"], "expires_in_days": 7})).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().unwrap();
    assert!(secret.starts_with("qd_") && secret.len() > 40, "{secret}");
    assert_eq!(made["token"]["state"], "active");
    // Never again: not in the list, not in the trail.
    let (_, listed) = s.get("/api/v1/tokens").await;
    assert!(!listed.to_string().contains(secret), "{listed}");
    let (_, trail) = s.get("/api/v1/audit?entity=token").await;
    assert!(!trail.to_string().contains(secret), "{trail}");
    // It works, reads, and its use is recorded.
    let ci = client_with(secret);
    let (st, me) = s.send(ci.get(s.url("/api/v1/me"))).await;
    assert_eq!((st, me["actor"]["kind"].as_str(), me["role"].as_str()), (StatusCode::OK, Some("token"), Some("admin")));
    assert_eq!(me["scopes"], json!(["read", "check-in"]));
    let (_, listed) = s.get("/api/v1/tokens").await;
    let ci_row = listed.as_array().unwrap().iter().find(|t| t["name"] == "ci").unwrap();
    assert!(ci_row["last_used_at"].is_string(), "{ci_row}");

    // Bad requests name the field.
    for (body, field) in [
        (json!({"name": "x", "scopes": ["root"]}), "scopes[0]"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["kpi:push"]}), "kpis"),
        (json!({"name": "x", "scopes": ["read"], "kpis": ["mrr"]}), "kpis"),
        (json!({"name": "x", "scopes": ["read"], "expires_in_days": 0}), "expires_in_days"),
    ] {
        let (st, b) = s.post("/api/v1/tokens", body.clone()).await;
        assert!(st == StatusCode::UNPROCESSABLE_ENTITY || st == StatusCode::NOT_FOUND, "{body}: {st} {b}");
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    // A member cannot mint an admin-scoped token.
    let member = client_with(&token_for(&s.app, "max@example.com", Role::Member, None, &["write"]).await);
    let (st, b) = s.send(member.post(s.url("/api/v1/tokens")).json(&json!({"name": "up", "scopes": ["admin"]}))).await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::FORBIDDEN, Some("scopes")), "{b}");
}

async fn the_trail_names_who_changed_a_target(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (team, person, _) = s.org().await;
    let objective = s
        .create("/api/v1/objectives", json!({"cycle_id": "current", "title": "Delight customers", "unit_id": team["id"], "owner_id": person["id"]}))
        .await;
    let kr = s
        .create("/api/v1/key-results", json!({"objective_id": objective["id"], "title": "Raise NPS from 30 to 50", "baseline": 30, "target": 50, "owner_id": person["id"]}))
        .await;
    s.app
        .add_user(quarterdeck_app::accounts::AddUser {
            email: "ada.lovelace@example.com".into(),
            name: "Ada Lovelace".into(),
            role: Role::Member,
            person_id: Some(person["id"].as_str().unwrap().parse().unwrap()),
            password: None,
        })
        .await
        .unwrap();
    let ada = client_with(&token_for(&s.app, "ada.lovelace@example.com", Role::Member, None, &["write"]).await);
    let path = format!("/api/v1/key-results/{}", kr["id"].as_str().unwrap());
    let (st, b) = s.send(ada.patch(s.url(&path)).header("If-Match", "\"1\"").json(&json!({"target": 60}))).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (_, trail) =
        s.get(&format!("/api/v1/audit?entity=key_result&entity_id={}&limit=1", kr["id"].as_str().unwrap())).await;
    let row = &trail["items"][0];
    assert_eq!(row["actor"]["kind"], "token", "{row}");
    assert_eq!(row["actor"]["name"], "Ada Lovelace", "{row}");
    assert_eq!((row["before"]["target"].as_f64(), row["after"]["target"].as_f64()), (Some(50.0), Some(60.0)), "{row}");
    // And the trail can be filtered by that user's token.
    let token = row["actor"]["id"].as_str().unwrap();
    let (_, by) = s.get(&format!("/api/v1/audit?actor=token:{token}")).await;
    assert_eq!(by["items"].as_array().unwrap().len(), 1, "{by}");
}

async fn a_fresh_server_makes_its_first_admin_once(store: Arc<dyn Store>) {
    let code = quarterdeck_app::sessions::setup_code();
    let s = Server::start_empty(store, &code).await;
    // Nothing is readable or writable yet.
    let (st, _) = s.get("/api/v1/units").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let admin = |code: &str| json!({"code": code, "email": "ops@example.com", "name": "Ops", "password": "a long enough secret"});
    let (st, b) = s.post("/api/v1/setup", admin("not-the-code")).await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::UNAUTHORIZED, Some("code")), "{b}");
    assert!(!s.app.has_users().await.unwrap(), "a wrong code makes nobody");
    let (st, b) = s
        .post("/api/v1/setup", json!({"code": code, "email": "ops@example.com", "name": "Ops", "password": "short"}))
        .await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{b}");
    let (st, done) = s.post("/api/v1/setup", admin(&code)).await;
    assert_eq!(st, StatusCode::CREATED, "{done}");
    assert_eq!((done["user"]["role"].as_str(), done["user"]["has_password"].as_bool()), (Some("admin"), Some(true)));
    assert!(!done.to_string().contains("a long enough secret"));
    let ops = client_with(done["token"]["secret"].as_str().unwrap());
    let (st, me) = s.send(ops.get(s.url("/api/v1/me"))).await;
    assert_eq!((st, me["role"].as_str()), (StatusCode::OK, Some("admin")), "{me}");
    // Once someone can sign in, the code is worthless.
    let (st, b) = s.post("/api/v1/setup", admin(&code)).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::CONFLICT, Some("duplicate")), "{b}");
    // The password works for a browser sign-in.
    let (st, _) =
        s.post("/api/v1/session", json!({"email": "ops@example.com", "password": "a long enough secret"})).await;
    assert_eq!(st, StatusCode::CREATED);
}

async fn a_wall_display_reads_when_the_organisation_allows(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, settings) = s.get("/api/v1/settings").await;
    assert_eq!(settings["anonymous_read"], false, "{settings}");
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/objectives?cycle=current"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let v = settings["version"].as_i64().unwrap();
    let (st, on) = s.patch("/api/v1/settings", json!({"anonymous_read": true}), Some(v)).await;
    assert_eq!((st, on["anonymous_read"].as_bool()), (StatusCode::OK, Some(true)), "{on}");
    assert_eq!(on["version"].as_i64(), Some(v + 1));
    // Reading without credentials works at once; writing never does.
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/units"))).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.send(s.anonymous.post(s.url("/api/v1/units")).json(&json!({"name": "Wall"}))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A stale version is a conflict, like every update; the change is in the trail.
    let (st, _) = s.patch("/api/v1/settings", json!({"anonymous_read": false}), Some(v)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, off) = s.patch("/api/v1/settings", json!({"anonymous_read": false}), Some(v + 1)).await;
    assert_eq!((st, off["anonymous_read"].as_bool()), (StatusCode::OK, Some(false)), "{off}");
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/units"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "off takes effect at once on this server");
    let (_, trail) = s.get("/api/v1/audit?entity=settings").await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 2, "{trail}");
    // Only admins change it.
    let member = client_with(&token_for(&s.app, "max@example.com", Role::Member, None, &["write"]).await);
    let (st, _) = s
        .send(
            member
                .patch(s.url("/api/v1/settings"))
                .header("If-Match", format!("\"{}\"", v + 2))
                .json(&json!({"anonymous_read": true})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
