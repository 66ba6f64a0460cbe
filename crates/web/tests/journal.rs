//! The trail through the API: every write endpoint leaves exactly one audit row (with its
//! actor, before and after) plus its events, a refused write leaves neither, records read
//! "as of" a past moment, and concurrent check-ins and edits of one objective end consistent.

mod common;

use common::Server;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(
    every_write_leaves_one_audit_row_and_its_events,
    as_of_shows_the_target_that_stood_then,
    check_ins_racing_edits_of_one_objective_stay_consistent,
);

/// (audit rows, events) in the whole store, once at least `events` events show: on
/// PostgreSQL an event shows in the feed once every older transaction on the server has
/// finished (other tests run beside this one), so the count is polled for a moment.
async fn trail_with(s: &Server, events: usize) -> (usize, usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = trail(s).await;
        if now.1 >= events || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::task::yield_now().await;
    }
}

/// (audit rows, events) in the whole store.
async fn trail(s: &Server) -> (usize, usize) {
    let mut rows = 0;
    let mut cursor = String::new();
    loop {
        let (st, page) = s.get(&format!("/api/v1/audit?limit=500&cursor={cursor}")).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        rows += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let (_, events) = s.get("/api/v1/events?limit=1000").await;
    (rows, events["items"].as_array().unwrap().len())
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

async fn every_write_leaves_one_audit_row_and_its_events(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    // Each write: exactly one more audit row, for its entity, by the API, with before/after.
    let mut last = trail(&s).await;
    let mut expect = async |entity: &str, entity_id: &str, action: &str, events: &[&str]| {
        let now = trail_with(&s, last.1 + events.len()).await;
        assert_eq!(now.0, last.0 + 1, "{entity} {action}: exactly one audit row");
        let (_, rows) = s.get(&format!("/api/v1/audit?entity={entity}&entity_id={entity_id}&limit=1")).await;
        let row = &rows["items"][0];
        // The author is the admin's token, named by its user.
        assert_eq!(
            (row["action"].as_str(), row["actor"]["kind"].as_str(), row["actor"]["name"].as_str()),
            (Some(action), Some("token"), Some("admin@example.com")),
            "{row}"
        );
        assert_eq!(row["before"].is_null(), action == "create", "{row}");
        assert_eq!(row["after"].is_null(), action == "delete", "{row}");
        assert_eq!(now.1, last.1 + events.len(), "{entity} {action}: its events");
        if !events.is_empty() {
            let (_, feed) = s.get("/api/v1/events?limit=1000").await;
            let kinds: Vec<&str> =
                feed["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
            assert_eq!(&kinds[kinds.len() - events.len()..], events);
        }
        last = now;
    };

    let unit = s.create("/api/v1/units", json!({"name": "Product"})).await;
    expect("unit", &id(&unit), "create", &[]).await;
    let (_, b) = s.patch(&format!("/api/v1/units/{}", id(&unit)), json!({"name": "Product & Design"}), Some(1)).await;
    assert_eq!(b["version"], 2);
    expect("unit", &id(&unit), "update", &[]).await;
    let person = s.create("/api/v1/people", json!({"name": "Ada", "email": "ada@example.com"})).await;
    expect("person", &id(&person), "create", &[]).await;
    s.patch(&format!("/api/v1/people/{}", id(&person)), json!({"unit_id": id(&unit)}), Some(1)).await;
    expect("person", &id(&person), "update", &[]).await;
    let cycle = s.create("/api/v1/cycles", json!({})).await;
    expect("cycle", &id(&cycle), "create", &["cycle_created"]).await;
    s.patch(&format!("/api/v1/cycles/{}", id(&cycle)), json!({"name": "This quarter"}), Some(1)).await;
    expect("cycle", &id(&cycle), "update", &[]).await;
    s.post(&format!("/api/v1/cycles/{}/activate", id(&cycle)), json!({})).await;
    expect("cycle", &id(&cycle), "status", &["cycle_activated"]).await;
    let o = s.objective(&person, "Make onboarding a delight").await;
    expect("objective", &id(&o), "create", &["objective_created"]).await;
    s.patch(&format!("/api/v1/objectives/{}", id(&o)), json!({"description": "For new teams"}), Some(1)).await;
    expect("objective", &id(&o), "update", &[]).await;
    let parent = s.objective(&person, "Grow the company").await;
    expect("objective", &id(&parent), "create", &["objective_created"]).await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": id(&o), "title": "NPS from 32 to 50", "baseline": 32, "target": 50}),
        )
        .await;
    expect("key_result", &id(&kr), "create", &["key_result_created"]).await;
    s.patch(&format!("/api/v1/key-results/{}", id(&kr)), json!({"target": 55}), Some(1)).await;
    expect("key_result", &id(&kr), "update", &["target_changed"]).await;
    s.create(&format!("/api/v1/key-results/{}/check-ins", id(&kr)), json!({"value": 41, "confidence": "on_track"}))
        .await;
    expect("key_result", &id(&kr), "check_in", &["check_in_recorded"]).await;
    let i = s.create("/api/v1/initiatives", json!({"key_result_id": id(&kr), "title": "Guided set-up"})).await;
    expect("initiative", &id(&i), "create", &[]).await;
    s.patch(&format!("/api/v1/initiatives/{}", id(&i)), json!({"status": "in_progress"}), Some(1)).await;
    expect("initiative", &id(&i), "update", &[]).await;
    let link = s.create("/api/v1/alignments", json!({"child_id": id(&o), "parent_objective_id": id(&parent)})).await;
    expect("alignment", &id(&link), "create", &[]).await;
    s.send(s.http.delete(s.url(&format!("/api/v1/alignments/{}", id(&link))))).await;
    expect("alignment", &id(&link), "delete", &[]).await;
    s.post(&format!("/api/v1/objectives/{}/status", id(&o)), json!({"status": "paused"})).await;
    expect("objective", &id(&o), "status", &["objective_paused"]).await;
    let kpi = s.create("/api/v1/kpis", json!({"name": "Activation rate", "target": 40})).await;
    expect("kpi", &id(&kpi), "create", &[]).await;
    s.patch(&format!("/api/v1/kpis/{}", id(&kpi)), json!({"unit_of_measure": "%"}), Some(1)).await;
    expect("kpi", &id(&kpi), "update", &[]).await;
    let (st, b) = s
        .post("/api/v1/kpis/activation_rate/measurements", json!({"points": [{"at": "2026-01-05", "value": 42}]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    expect("kpi", &id(&kpi), "measurements", &[]).await;
    let driver = s.create("/api/v1/kpis", json!({"name": "Set-up completions"})).await;
    expect("kpi", &id(&driver), "create", &[]).await;
    let edge = s.create("/api/v1/kpi-edges", json!({"parent_id": id(&kpi), "child_id": id(&driver)})).await;
    expect("kpi_edge", &id(&edge), "create", &[]).await;
    s.send(s.http.delete(s.url(&format!("/api/v1/kpi-edges/{}", id(&edge))))).await;
    expect("kpi_edge", &id(&edge), "delete", &[]).await;
    let kra = s.create("/api/v1/kras", json!({"name": "Onboarding", "kpi_ids": [id(&kpi)]})).await;
    expect("kra", &id(&kra), "create", &[]).await;
    s.send(s.http.put(s.url(&format!("/api/v1/kras/{}/kpis", id(&kra)))).json(&json!({"kpi_ids": [id(&driver)]})))
        .await;
    expect("kra", &id(&kra), "update", &[]).await;
    let guard = s.create("/api/v1/kpis", json!({"name": "Refund rate", "direction": "lower_is_better", "guardrail": true, "guardrail_threshold": 1.2})).await;
    expect("kpi", &id(&guard), "create", &[]).await;
    let gl = s.create("/api/v1/guardrail-links", json!({"kpi_id": id(&guard), "objective_id": id(&parent)})).await;
    expect("guardrail_link", &id(&gl["link"]), "create", &[]).await;
    s.send(s.http.delete(s.url(&format!("/api/v1/guardrail-links/{}", id(&gl["link"]))))).await;
    expect("guardrail_link", &id(&gl["link"]), "delete", &[]).await;
    let source = s
        .create("/api/v1/data-sources", json!({"kpi": "activation_rate", "kind": "sql", "url": "postgres://u:secret@db.internal/x", "query": "SELECT 1"}))
        .await;
    expect("data_source", &id(&source), "create", &[]).await;
    let (_, rows) = s.get(&format!("/api/v1/audit?entity=data_source&entity_id={}", id(&source))).await;
    assert!(!rows.to_string().contains("secret"), "no password in the trail: {rows}");
    s.send(s.http.delete(s.url(&format!("/api/v1/data-sources/{}", id(&source))))).await;
    expect("data_source", &id(&source), "delete", &[]).await;
    s.post(&format!("/api/v1/key-results/{}/kill", id(&kr)), json!({"reason": "Wrong metric"})).await;
    expect("key_result", &id(&kr), "status", &["key_result_killed"]).await;

    // Refused writes leave neither an audit row nor an event.
    let before = trail(&s).await;
    let refused = [
        s.patch(&format!("/api/v1/units/{}", id(&unit)), json!({"name": "Stale"}), Some(1)).await,
        s.post("/api/v1/key-results", json!({"objective_id": id(&o), "title": "Flat", "baseline": 3, "target": 3}))
            .await,
        s.post(&format!("/api/v1/key-results/{}/check-ins", id(&kr)), json!({"value": 5, "confidence": "at_risk"}))
            .await,
        s.post("/api/v1/kpis/activation_rate/measurements", json!({"points": [{"at": "2026-01-06", "value": "x"}]}))
            .await,
        s.post(&format!("/api/v1/objectives/{}/status", id(&o)), json!({"status": "draft"})).await,
    ];
    for (st, b) in &refused {
        assert!(st.is_client_error(), "{st}: {b}");
    }
    assert_eq!(trail(&s).await, before, "refused writes leave no trail");
    // Closing the cycle is a write too; the trail is append-only (no endpoint edits it).
    s.post(&format!("/api/v1/cycles/{}/close", id(&cycle)), json!({})).await;
    expect("cycle", &id(&cycle), "status", &["cycle_closed"]).await;
    let (st, _) = s.send(s.http.delete(s.url("/api/v1/audit"))).await;
    assert!(st == StatusCode::METHOD_NOT_ALLOWED || st == StatusCode::NOT_FOUND, "{st}");
    let (_, by_actor) = s.get("/api/v1/audit?actor=api&limit=1").await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 1);
    let (st, b) = s.get("/api/v1/audit?actor=robot").await;
    assert_eq!((st, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("actor")), "{b}");
}

async fn as_of_shows_the_target_that_stood_then(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let before_all = chrono::Utc::now();
    let o = s.objective(&person, "Make onboarding a delight").await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": id(&o), "title": "Activation from 32 to 50", "baseline": 32, "target": 50}),
        )
        .await;
    s.create(&format!("/api/v1/key-results/{}/check-ins", id(&kr)), json!({"value": 41, "confidence": "on_track"}))
        .await;
    // Week 5: the target is 50. Week 6: it moves to 60.
    let week5 = chrono::Utc::now();
    let (st, b) = s.patch(&format!("/api/v1/key-results/{}", id(&kr)), json!({"target": 60}), Some(1)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!((b["score"].as_f64().unwrap() - 9.0 / 28.0).abs() < 1e-9, "{b}");

    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B");
    let (st, then) = s.get(&format!("/api/v1/key-results/{}?as_of={}", id(&kr), at(week5))).await;
    assert_eq!(st, StatusCode::OK, "{then}");
    assert_eq!(
        (then["target"].as_f64(), then["current_value"].as_f64(), then["score"].as_f64()),
        (Some(50.0), Some(41.0), Some(0.5))
    );
    let (_, now) = s.get(&format!("/api/v1/key-results/{}", id(&kr))).await;
    assert_eq!(now["target"].as_f64(), Some(60.0));
    let (_, objective_then) = s.get(&format!("/api/v1/objectives/{}?as_of={}", id(&o), at(week5))).await;
    assert_eq!(objective_then["score"].as_f64(), Some(0.5), "{objective_then}");
    assert_eq!(objective_then["key_results"][0]["target"].as_f64(), Some(50.0));
    let (_, list_then) =
        s.get(&format!("/api/v1/objectives?cycle=current&include=key_results&as_of={}", at(week5))).await;
    assert_eq!(list_then["items"][0]["key_results"][0]["target"].as_f64(), Some(50.0), "{list_then}");
    let (st, b) = s.get(&format!("/api/v1/key-results/{}?as_of={}", id(&kr), at(before_all))).await;
    assert_eq!((st, b["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{b}");
    let (_, history) = s.get(&format!("/api/v1/key-results/{}/history", id(&kr))).await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["update", "check_in", "create"]);
}

async fn check_ins_racing_edits_of_one_objective_stay_consistent(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let o = s.objective(&person, "Win the mid-market").await;
    let mut krs = Vec::new();
    for (t, b, target) in [("Win rate", 10.0, 30.0), ("Pipeline", 100.0, 300.0), ("Deal size", 5.0, 9.0)] {
        let kr = s
            .create("/api/v1/key-results", json!({"objective_id": id(&o), "title": t, "baseline": b, "target": target}))
            .await;
        krs.push(id(&kr));
    }
    let mut server_errors = 0;
    for round in 0..40 {
        let (a, b) = (&krs[round % 3], &krs[(round + 1) % 3]);
        let (_, current) = s.get(&format!("/api/v1/key-results/{a}")).await;
        let version = current["version"].as_i64().unwrap();
        let target = current["target"].as_f64().unwrap() + 1.0;
        let (path_a, path_b, edit_path) = (
            format!("/api/v1/key-results/{a}/check-ins"),
            format!("/api/v1/key-results/{b}/check-ins"),
            format!("/api/v1/key-results/{a}"),
        );
        let check_in = s.post(&path_a, json!({"value": 20 + round, "confidence": "at_risk"}));
        let check_in_b = s.post(&path_b, json!({"value": 150 + round, "confidence": "on_track"}));
        let edit = s.patch(&edit_path, json!({"target": target}), Some(version));
        let (x, y, z) = tokio::join!(check_in, check_in_b, edit);
        for (st, body) in [x, y, z] {
            if st.is_server_error() {
                server_errors += 1;
                eprintln!("{st}: {body}");
            }
        }
    }
    assert_eq!(server_errors, 0);
    // Whatever the interleaving: each stored score is the score of the stored value and
    // target, and the objective's score is the mean of its key results'.
    let (_, view) = s.get(&format!("/api/v1/objectives/{}", id(&o))).await;
    let mut sum = 0.0;
    for kr in view["key_results"].as_array().unwrap() {
        let (b, t, v) =
            (kr["baseline"].as_f64().unwrap(), kr["target"].as_f64().unwrap(), kr["current_value"].as_f64().unwrap());
        let want = ((v - b) / (t - b)).clamp(0.0, 1.0);
        assert!((kr["score"].as_f64().unwrap() - want).abs() < 1e-9, "{kr}");
        sum += kr["score"].as_f64().unwrap();
    }
    assert!((view["score"].as_f64().unwrap() - sum / 3.0).abs() < 1e-9, "{view}");
}
