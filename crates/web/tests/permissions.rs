//! The permission matrix, on SQLite and PostgreSQL: every write endpoint, tried by each role
//! (and by tokens of narrow scope), against records inside and outside the actor's reach.
//! Every refusal is 403 and leaves no trace — no audit row, so nothing was written; every
//! allowance succeeds. Anonymous writes are 401 and change nothing either.

mod common;

use common::{Server, client_with, token_for};
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(every_write_is_allowed_or_refused_by_role_and_scope, anonymous_writes_change_nothing);

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The organisation the matrix runs in. Company ⊃ Sales (department) ⊃ Team T; Team U sits
/// directly below the company. The lead leads Sales; the member is in T; "other" is in U.
struct World {
    person_member: String,
    person_other: String,
    team_t: String,
    team_u: String,
    /// An active objective of team T owned by "other", and one of team U.
    objective_t: Value,
    objective_u: Value,
    /// Key results: the member's in T, other's in U.
    kr_member: Value,
    kr_other: Value,
    kpi_t: Value,
    kpi_u: Value,
    company_objective: Value,
}

async fn world(s: &Server) -> World {
    let company = s.create("/api/v1/units", json!({"name": "Acme", "kind": "company"})).await;
    let sales =
        s.create("/api/v1/units", json!({"name": "Sales", "kind": "department", "parent_id": company["id"]})).await;
    let team_t = s.create("/api/v1/units", json!({"name": "Team T", "parent_id": sales["id"]})).await;
    let team_u = s.create("/api/v1/units", json!({"name": "Team U", "parent_id": company["id"]})).await;
    let person = |name: &str, unit: &Value| json!({"name": name, "email": format!("{}@example.com", name.to_lowercase()), "unit_id": unit["id"]});
    let lead = s.create("/api/v1/people", person("Lea", &sales)).await;
    let member = s.create("/api/v1/people", person("Max", &team_t)).await;
    let other = s.create("/api/v1/people", person("Ola", &team_u)).await;
    s.create("/api/v1/cycles", json!({"state": "active"})).await;
    let objective = |title: &str, unit: &Value, owner: &Value| json!({"cycle_id": "current", "title": title, "unit_id": unit["id"], "owner_id": owner["id"], "status": "active"});
    let company_objective = s.create("/api/v1/objectives", objective("Win the market", &company, &other)).await;
    let objective_t = s.create("/api/v1/objectives", objective("Delight customers", &team_t, &other)).await;
    let objective_u = s.create("/api/v1/objectives", objective("Ship faster", &team_u, &other)).await;
    let kr = |o: &Value, owner: &Value| json!({"objective_id": o["id"], "title": "Raise NPS from 30 to 50", "baseline": 30, "target": 50, "owner_id": owner["id"]});
    let kr_member = s.create("/api/v1/key-results", kr(&objective_t, &member)).await;
    let kr_other = s.create("/api/v1/key-results", kr(&objective_u, &other)).await;
    let kpi_t =
        s.create("/api/v1/kpis", json!({"name": "Activation", "unit": team_t["id"], "owner_id": member["id"]})).await;
    let kpi_u =
        s.create("/api/v1/kpis", json!({"name": "Deploys", "unit": team_u["id"], "owner_id": other["id"]})).await;
    s.app
        .add_user(quarterdeck_app::accounts::AddUser {
            email: "lea@example.com".into(),
            name: "Lea".into(),
            role: Role::Lead,
            person_id: Some(id(&lead).parse().unwrap()),
            password: None,
        })
        .await
        .unwrap();
    World {
        person_member: id(&member),
        person_other: id(&other),
        team_t: id(&team_t),
        team_u: id(&team_u),
        objective_t,
        objective_u,
        kr_member,
        kr_other,
        kpi_t,
        kpi_u,
        company_objective,
    }
}

/// One write: method, path, body, and the version to send as If-Match.
struct Write {
    method: Method,
    path: String,
    body: Option<Value>,
    if_match: Option<i64>,
}

fn write(method: Method, path: impl Into<String>, body: Value) -> Write {
    Write { method, path: path.into(), body: Some(body), if_match: None }
}

/// Who may: admin, lead, member, viewer (in that order).
type Who = [bool; 4];
const ADMIN: Who = [true, false, false, false];
const LEAD: Who = [true, true, false, false];
const MEMBER: Who = [true, true, true, false];

async fn current_version(s: &Server, path: &str) -> i64 {
    let (st, b) = s.get(path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {b}");
    b["version"].as_i64().unwrap()
}

async fn latest_audit(s: &Server) -> Value {
    let (_, page) = s.get("/api/v1/audit?limit=1").await;
    page["items"][0]["id"].clone()
}

async fn send(s: &Server, client: &reqwest::Client, w: &Write) -> (StatusCode, Value) {
    let mut req = client.request(w.method.clone(), s.url(&w.path));
    if let Some(b) = &w.body {
        req = req.json(b);
    }
    if let Some(v) = w.if_match {
        req = req.header("If-Match", format!("\"{v}\""));
    }
    s.send(req).await
}

/// Tries a write with each client in turn (refused ones first, so one-shot moves such as
/// activating a cycle are left for the one allowed); each refusal must be 403 and leave no
/// audit row, each allowance must succeed.
async fn check(s: &Server, clients: &[(&str, reqwest::Client)], who: &[bool], make: &mut dyn FnMut() -> Write) {
    let mut order: Vec<usize> = (0..clients.len()).collect();
    order.sort_by_key(|&i| who[i]);
    for i in order {
        let (name, client) = &clients[i];
        let w = make();
        let before = latest_audit(s).await;
        let (st, b) = send(s, client, &w).await;
        let what = format!("{name}: {} {}", w.method, w.path);
        if who[i] {
            assert!(st.is_success(), "{what} should be allowed: {st} {b}");
        } else {
            assert_eq!(st, StatusCode::FORBIDDEN, "{what} should be refused: {b}");
            assert_eq!(b["error"], "forbidden", "{what}: {b}");
            assert_eq!(latest_audit(s).await, before, "{what}: a refusal wrote something");
        }
    }
}

/// The same for a write that can succeed once (a delete, a revocation): the refused try,
/// then the least of those allowed succeeds.
async fn check_once(s: &Server, clients: &[(&str, reqwest::Client)], who: &[bool], make: &mut dyn FnMut() -> Write) {
    let last = who.iter().rposition(|&may| may);
    let (picked, who): (Vec<_>, Vec<bool>) = clients
        .iter()
        .zip(who)
        .enumerate()
        .filter(|(i, (_, may))| !**may || Some(*i) == last)
        .map(|(_, (c, may))| (c.clone(), *may))
        .unzip();
    check(s, &picked, &who, make).await;
}

async fn every_write_is_allowed_or_refused_by_role_and_scope(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let w = world(&s).await;
    let person = |p: &str| Some(p.parse().unwrap());
    let clients = [
        ("admin", s.http.clone()),
        ("lead", client_with(&token_for(&s.app, "lea@example.com", Role::Lead, None, &["write"]).await)),
        (
            "member",
            client_with(
                &token_for(&s.app, "max@example.com", Role::Member, person(&w.person_member), &["write"]).await,
            ),
        ),
        ("viewer", client_with(&token_for(&s.app, "vic@example.com", Role::Viewer, None, &["write"]).await)),
    ];
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

    // Administration: admins only.
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, "/api/v1/units", json!({"name": format!("Unit {}", fresh())}))
    })
    .await;
    for (path, body) in [
        (format!("/api/v1/units/{}", w.team_u), json!({"name": "Team U2"})),
        (format!("/api/v1/people/{}", w.person_other), json!({"name": "Ola N."})),
        ("/api/v1/settings".to_owned(), json!({"time_zone": "Europe/Oslo"})),
    ] {
        let v = current_version(&s, &path).await;
        check(&s, &clients, &ADMIN, &mut || Write { if_match: Some(v), ..write(Method::PATCH, &path, body.clone()) })
            .await;
    }
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, "/api/v1/people", json!({"name": "New", "email": format!("new{}@example.com", fresh())}))
    })
    .await;
    let planning = s.create("/api/v1/cycles", json!({"start": "2031-01-01"})).await;
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, "/api/v1/cycles", json!({"start": format!("{}-01-01", 2040 + fresh())}))
    })
    .await;
    check(&s, &clients, &ADMIN, &mut || Write {
        if_match: Some(1),
        ..write(Method::PATCH, format!("/api/v1/cycles/{}", id(&planning)), json!({"name": "Q1 2031"}))
    })
    .await;
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, format!("/api/v1/cycles/{}/activate", id(&planning)), json!({}))
    })
    .await;
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, "/api/v1/kras", json!({"name": format!("KRA {}", fresh()), "kpi_ids": [w.kpi_t["id"]]}))
    })
    .await;
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, format!("/api/v1/cycles/{}/close", id(&planning)), json!({}))
    })
    .await;
    let kra = s.create("/api/v1/kras", json!({"name": "Growth", "kpi_ids": [w.kpi_t["id"]]})).await;
    let path = format!("/api/v1/kras/{}/kpis", id(&kra));
    check(&s, &clients, &ADMIN, &mut || write(Method::PUT, &path, json!({"kpi_ids": [w.kpi_u["id"]]}))).await;
    check(&s, &clients, &ADMIN, &mut || {
        write(Method::POST, "/api/v1/users", json!({"email": format!("u{}@example.com", fresh()), "name": "U"}))
    })
    .await;
    // Another's account (everyone may rename themselves).
    let zed = s
        .app
        .add_user(quarterdeck_app::accounts::AddUser {
            email: "zed@example.com".into(),
            name: "Zed".into(),
            role: Role::Member,
            person_id: None,
            password: None,
        })
        .await
        .unwrap();
    let path = format!("/api/v1/users/{}", zed.id);
    check(&s, &clients, &ADMIN, &mut || {
        let v = futures_version(&s, &path);
        Write { if_match: Some(v), ..write(Method::PATCH, &path, json!({"name": format!("Lea {}", fresh())})) }
    })
    .await;
    let sessions = format!("/api/v1/users/{}/sessions", zed.id);
    check(&s, &clients, &ADMIN, &mut || Write { body: None, ..write(Method::DELETE, &sessions, Value::Null) }).await;
    // Tokens: everyone makes their own; only admins revoke another's.
    check(&s, &clients, &[true; 4], &mut || {
        write(Method::POST, "/api/v1/tokens", json!({"name": "mine", "scopes": ["read"]}))
    })
    .await;
    let theirs = token_for(&s.app, "ola@example.com", Role::Member, None, &["read"]).await;
    let (_, listed) = s.get("/api/v1/tokens?user=ola@example.com").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(!listed.to_string().contains(&theirs), "a listing never shows a secret");
    let path = format!("/api/v1/tokens/{}", id(&listed[0]));
    check(&s, &clients, &ADMIN, &mut || Write { body: None, ..write(Method::DELETE, &path, Value::Null) }).await;

    // Objectives: a lead edits in their department's teams; a member drafts in their own team.
    let in_t = |status: &str| json!({"cycle_id": "current", "title": "More", "unit_id": w.team_t, "owner_id": w.person_other, "status": status});
    check(&s, &clients, &LEAD, &mut || write(Method::POST, "/api/v1/objectives", in_t("active"))).await;
    check(&s, &clients, &MEMBER, &mut || write(Method::POST, "/api/v1/objectives", in_t("draft"))).await;
    for (objective, who) in [(&w.objective_t, LEAD), (&w.objective_u, ADMIN)] {
        let path = format!("/api/v1/objectives/{}", id(objective));
        check(&s, &clients, &who, &mut || {
            let v = futures_version(&s, &path);
            Write { if_match: Some(v), ..write(Method::PATCH, &path, json!({"description": format!("d{}", fresh())})) }
        })
        .await;
    }
    let status = format!("/api/v1/objectives/{}/status", id(&w.objective_u));
    check(&s, &clients, &ADMIN, &mut || write(Method::POST, &status, json!({"status": "paused", "reason": "hold"})))
        .await;

    // Key results: their owners (members) and the leads above them.
    let new_kr =
        |o: &Value| json!({"objective_id": o["id"], "title": "Cut churn from 5 to 3", "baseline": 5, "target": 3});
    check(&s, &clients, &LEAD, &mut || write(Method::POST, "/api/v1/key-results", new_kr(&w.objective_t))).await;
    check(&s, &clients, &ADMIN, &mut || write(Method::POST, "/api/v1/key-results", new_kr(&w.objective_u))).await;
    for (kr, who) in [(&w.kr_member, MEMBER), (&w.kr_other, ADMIN)] {
        let path = format!("/api/v1/key-results/{}", id(kr));
        check(&s, &clients, &who, &mut || {
            let v = futures_version(&s, &path);
            Write {
                if_match: Some(v),
                ..write(Method::PATCH, &path, json!({"title": format!("Raise NPS {}", fresh())}))
            }
        })
        .await;
        let check_ins = format!("{path}/check-ins");
        check(&s, &clients, &who, &mut || {
            write(Method::POST, &check_ins, json!({"value": 35, "confidence": "on_track"}))
        })
        .await;
        check(&s, &clients, &who, &mut || {
            write(Method::POST, "/api/v1/initiatives", json!({"key_result_id": kr["id"], "title": "Interviews"}))
        })
        .await;
    }
    // A member checks in as themselves: their own person by default, never someone else.
    let member_client = &clients[2].1;
    let path = format!("/api/v1/key-results/{}/check-ins", id(&w.kr_member));
    let (st, b) = s.send(member_client.post(s.url(&path)).json(&json!({"value": 36, "confidence": "on_track"}))).await;
    assert_eq!((st, b["check_in"]["author_id"].as_str()), (StatusCode::CREATED, Some(&*w.person_member)), "{b}");
    let as_other = json!({"value": 37, "confidence": "on_track", "author_id": w.person_other});
    let (st, b) = s.send(member_client.post(s.url(&path)).json(&as_other)).await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::FORBIDDEN, Some("author_id")), "{b}");
    for verb in ["kill", "carry-forward"] {
        let kr = s.create("/api/v1/key-results", new_kr(&w.objective_u)).await;
        let path = format!("/api/v1/key-results/{}/{verb}", id(&kr));
        let body = if verb == "kill" { json!({"reason": "no longer matters"}) } else { json!({}) };
        check(&s, &clients, &ADMIN, &mut || write(Method::POST, &path, body.clone())).await;
    }
    let initiative =
        s.create("/api/v1/initiatives", json!({"key_result_id": w.kr_other["id"], "title": "Pairing"})).await;
    let path = format!("/api/v1/initiatives/{}", id(&initiative));
    check(&s, &clients, &ADMIN, &mut || {
        let v = futures_version(&s, &path);
        Write { if_match: Some(v), ..write(Method::PATCH, &path, json!({"status": "in_progress"})) }
    })
    .await;

    // Alignments and guardrail links of team U's objective: admins only.
    let link = json!({"child_id": w.objective_u["id"], "parent_objective_id": w.company_objective["id"]});
    check(&s, &clients, &ADMIN, &mut || write(Method::POST, "/api/v1/alignments", link.clone())).await;
    let alignment = s
        .create(
            "/api/v1/alignments",
            json!({"child_id": w.objective_t["id"], "parent_objective_id": w.company_objective["id"]}),
        )
        .await;
    let path = format!("/api/v1/alignments/{}", id(&alignment));
    check_once(&s, &clients, &LEAD, &mut || Write { body: None, ..write(Method::DELETE, &path, Value::Null) }).await;
    let guard = s
        .create(
            "/api/v1/kpis",
            json!({"name": "Refunds", "direction": "lower_is_better", "guardrail": true, "guardrail_threshold": 9}),
        )
        .await;
    let guarded = json!({"kpi_id": guard["id"], "objective_id": w.objective_u["id"]});
    check(&s, &clients, &ADMIN, &mut || write(Method::POST, "/api/v1/guardrail-links", guarded.clone())).await;
    let (_, links) = s.get(&format!("/api/v1/guardrail-links?objective={}", id(&w.objective_u))).await;
    let path = format!("/api/v1/guardrail-links/{}", id(&links["items"][0]));
    check(&s, &clients, &ADMIN, &mut || Write { body: None, ..write(Method::DELETE, &path, Value::Null) }).await;

    // KPIs: leads define them in their units; owners (members) push their points.
    check(&s, &clients, &LEAD, &mut || {
        write(Method::POST, "/api/v1/kpis", json!({"name": format!("Signups {}", fresh()), "unit": w.team_t}))
    })
    .await;
    for (kpi, who_edit, who_push) in [(&w.kpi_t, LEAD, MEMBER), (&w.kpi_u, ADMIN, ADMIN)] {
        let path = format!("/api/v1/kpis/{}", id(kpi));
        check(&s, &clients, &who_edit, &mut || {
            let v = futures_version(&s, &path);
            Write { if_match: Some(v), ..write(Method::PATCH, &path, json!({"description": format!("d{}", fresh())})) }
        })
        .await;
        let points = format!("{path}/measurements");
        check(&s, &clients, &who_push, &mut || {
            write(Method::POST, &points, json!({"points": [{"at": "2026-01-05T00:00:00Z", "value": fresh() as f64}]}))
        })
        .await;
        check(&s, &clients, &who_push, &mut || {
            let point = json!({"kpi": kpi["key"], "at": "2026-01-06T00:00:00Z", "value": fresh() as f64});
            write(Method::POST, "/api/v1/measurements", json!({"points": [point]}))
        })
        .await;
        check(&s, &clients, &who_edit, &mut || {
            let driver = futures_create(&s, json!({"name": format!("Driver {}", fresh())}));
            write(Method::POST, "/api/v1/kpi-edges", json!({"parent_id": kpi["id"], "child_id": driver}))
        })
        .await;
        let (_, edges) = s.get(&format!("/api/v1/kpis/{}/tree", id(kpi))).await;
        let edge = edges["edges"][0]["id"].as_str().map(str::to_owned).expect("an edge was made");
        let path = format!("/api/v1/kpi-edges/{edge}");
        check_once(&s, &clients, &who_edit, &mut || Write { body: None, ..write(Method::DELETE, &path, Value::Null) })
            .await;
        check(&s, &clients, &who_edit, &mut || {
            let source = json!({"kpi": kpi["key"], "kind": "sql", "url": "postgres://u:secret@db.internal/x", "query": format!("SELECT {}", fresh())});
            write(Method::POST, "/api/v1/data-sources", source)
        })
        .await;
        let (_, sources) = s.get(&format!("/api/v1/data-sources?kpi={}", id(kpi))).await;
        let source = id(&sources["items"][0]);
        // Running a source reaches out (here to a host that does not exist): refusals only.
        let run = format!("/api/v1/data-sources/{source}/run");
        let refused: Vec<_> = clients.iter().zip(who_edit).filter(|(_, may)| !may).map(|(c, _)| c.clone()).collect();
        check(&s, &refused, &[false; 4][..refused.len()], &mut || write(Method::POST, &run, json!({}))).await;
        let path = format!("/api/v1/data-sources/{source}");
        check_once(&s, &clients, &who_edit, &mut || Write { body: None, ..write(Method::DELETE, &path, Value::Null) })
            .await;
    }

    // Tokens narrower than their user's role: an admin's read-only token writes nothing; a
    // check-in token checks in; a push token reaches its named KPI only.
    let admin_user = "admin@example.com";
    let read = client_with(&token_for(&s.app, admin_user, Role::Admin, None, &["read"]).await);
    let check_in = client_with(&token_for(&s.app, admin_user, Role::Admin, None, &["check-in"]).await);
    let push = {
        let input = quarterdeck_app::accounts::CreateToken {
            name: "push".into(),
            scopes: vec!["kpi:push".into()],
            kpis: vec![id(&w.kpi_t)],
            expires_in_days: Some(1),
            user: Some(admin_user.into()),
        };
        client_with(&s.app.create_token(input).await.unwrap().secret)
    };
    let narrow = [("read token", read), ("check-in token", check_in), ("push token", push)];
    let pick = |who: [bool; 3]| -> Who { [who[0], who[1], who[2], false] };
    let three = &narrow[..];
    let clients3: Vec<(&str, reqwest::Client)> = three.iter().map(|(n, c)| (*n, c.clone())).collect();
    check(&s, &clients3, &pick([false, false, false]), &mut || {
        write(Method::POST, "/api/v1/units", json!({"name": "No"}))
    })
    .await;
    let kr_path = format!("/api/v1/key-results/{}/check-ins", id(&w.kr_other));
    check(&s, &clients3, &pick([false, true, false]), &mut || {
        write(Method::POST, &kr_path, json!({"value": 40, "confidence": "at_risk"}))
    })
    .await;
    for (kpi, who) in [(&w.kpi_t, [false, false, true]), (&w.kpi_u, [false, false, false])] {
        let points = format!("/api/v1/kpis/{}/measurements", id(kpi));
        check(&s, &clients3, &pick(who), &mut || {
            write(Method::POST, &points, json!({"points": [{"at": "2026-01-07T00:00:00Z", "value": 1.0}]}))
        })
        .await;
    }
    // Every token reads.
    for (name, client) in &narrow {
        let (st, _) = s.send(client.get(s.url("/api/v1/objectives?cycle=current"))).await;
        assert_eq!(st, StatusCode::OK, "{name}");
    }
}

/// The current version of a record, read inside a request maker (the tests run on the
/// multi-threaded runtime, where a blocking read is allowed).
fn futures_version(s: &Server, path: &str) -> i64 {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(current_version(s, path)))
}

fn futures_create(s: &Server, kpi: Value) -> Value {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async { s.create("/api/v1/kpis", kpi).await["id"].clone() })
    })
}

async fn anonymous_writes_change_nothing(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let w = world(&s).await;
    let before = latest_audit(&s).await;
    let kr = format!("/api/v1/key-results/{}/check-ins", id(&w.kr_member));
    for (method, path) in [
        (Method::POST, "/api/v1/units".to_owned()),
        (Method::POST, kr),
        (Method::PATCH, format!("/api/v1/units/{}", w.team_t)),
        (Method::DELETE, format!("/api/v1/alignments/{}", w.team_u)),
        (Method::POST, "/api/v1/tokens".to_owned()),
    ] {
        let (st, b) = s.send(s.anonymous.request(method.clone(), s.url(&path)).json(&json!({"name": "x"}))).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{method} {path}: {b}");
        assert_eq!(b["error"], "unauthenticated");
        assert!(b["message"].as_str().unwrap().contains("Authorization: Bearer"), "{b}");
    }
    // Reading without credentials is refused too, unless the server allows it.
    let (st, _) = s.send(s.anonymous.get(s.url("/api/v1/objectives?cycle=current"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(latest_audit(&s).await, before);
}
