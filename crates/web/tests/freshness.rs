//! A page is never stale: after each kind of write made through one server, the next read of
//! every page that shows the record reflects it — on that server and on a second server over
//! the same database (two stores on one SQLite file, as the CLI and a server; two servers on
//! one PostgreSQL schema, as behind a load balancer). Every page is read on both servers
//! before each write, so what is checked is the pages' caches and ready views, not a first
//! render.

mod common;

use chrono::{Duration, Utc};
use common::Server;
use quarterdeck_store::Store;
use quarterdeck_store_sql::testing::{postgres_store_pair, sqlite_store_pair};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_pages_follow_every_write_on_both_processes() {
    let ([a, b], _dir) = sqlite_store_pair().await;
    pages_follow_every_write(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_follow_every_write_on_two_servers() {
    if let Some([a, b]) = postgres_store_pair().await {
        pages_follow_every_write(a, b).await;
    }
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

/// What of an objective and its key results every page must agree on.
const OBJECTIVE_FIELDS: [&str; 7] = ["title", "status", "score", "rollup", "version", "colour", "key_result_count"];
const KEY_RESULT_FIELDS: [&str; 5] = ["current_value", "score", "confidence", "status", "version"];

struct Pages<'a> {
    servers: [&'a Server; 2],
    child: String,
    parent: String,
    key_results: Vec<String>,
}

impl Pages<'_> {
    /// Every page that shows the child objective, its parent or its key results.
    fn paths(&self) -> Vec<String> {
        let mut paths = vec![
            "/api/v1/objectives?cycle=current&include=key_results".to_owned(),
            "/api/v1/objectives?cycle=current".to_owned(),
            "/api/v1/objectives?unit=product&include=key_results".to_owned(),
            "/api/v1/objectives?cycle=current&status=active".to_owned(),
            "/api/v1/objectives?cycle=current&status=paused".to_owned(),
            format!("/api/v1/objectives/{}", self.child),
            format!("/api/v1/objectives/{}", self.parent),
            format!("/api/v1/key-results?objective={}", self.child),
        ];
        paths.extend(self.key_results.iter().map(|k| format!("/api/v1/key-results/{k}")));
        paths
    }

    /// Reads every page on both servers (so each has it cached and its views ready).
    async fn warm(&self) {
        for s in self.servers {
            for p in self.paths() {
                let (st, body) = s.get(&p).await;
                assert_eq!(st, StatusCode::OK, "{p}: {body}");
            }
        }
    }

    /// The records as stored now, read past every cache: the single-record reads.
    async fn truth(&self) -> (Value, Value) {
        let s = self.servers[0];
        let (_, child) = s.get(&format!("/api/v1/objectives/{}", self.child)).await;
        let (_, parent) = s.get(&format!("/api/v1/objectives/{}", self.parent)).await;
        (child, parent)
    }

    /// Every page on both servers shows the records as stored: `after` names the write.
    async fn agree(&self, after: &str) -> (Value, Value) {
        let (child, parent) = self.truth().await;
        let krs: Vec<&Value> = child["key_results"].as_array().expect("key results").iter().collect();
        for (n, s) in self.servers.iter().enumerate() {
            for p in self.paths() {
                let (st, body) = s.get(&p).await;
                assert_eq!(st, StatusCode::OK, "{p}: {body}");
                let items: Vec<&Value> = match body["items"].as_array() {
                    Some(items) => items.iter().collect(),
                    None => vec![&body],
                };
                for item in items {
                    let where_ = format!("after {after}: server {} page {p}", n + 1);
                    let want = if item["id"] == child["id"] {
                        &child
                    } else if item["id"] == parent["id"] {
                        &parent
                    } else if let Some(kr) = krs.iter().find(|k| k["id"] == item["id"]) {
                        same(item, kr, &KEY_RESULT_FIELDS, &where_);
                        continue;
                    } else {
                        continue;
                    };
                    same(item, want, &OBJECTIVE_FIELDS, &where_);
                    if let Some(shown) = item["key_results"].as_array() {
                        for kr in shown {
                            let stored =
                                krs.iter().find(|k| k["id"] == kr["id"]).expect("a key result of the objective");
                            if item["id"] == child["id"] {
                                same(kr, stored, &KEY_RESULT_FIELDS, &where_);
                            }
                        }
                    }
                }
            }
        }
        (child, parent)
    }
}

fn same(shown: &Value, stored: &Value, fields: &[&str], where_: &str) {
    for f in fields {
        assert_eq!(shown[f], stored[f], "{where_}: '{f}' of {} is stale", shown["id"]);
    }
}

async fn pages_follow_every_write(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let (sa, sb) = (Server::start(a).await, Server::start(b).await);
    let (team, person, cycle) = sa.org().await;
    let parent = sa.objective(&person, "Win the mid-market").await;
    let child = sa
        .create(
            "/api/v1/objectives",
            json!({"cycle_id": "current", "title": "Make onboarding a delight", "owner_id": person["id"], "unit_id": team["id"]}),
        )
        .await;
    sa.create("/api/v1/alignments", json!({"child_id": child["id"], "parent_objective_id": parent["id"]})).await;
    let nps = sa
        .create(
            "/api/v1/key-results",
            json!({"objective_id": child["id"], "title": "NPS from 32 to 50", "baseline": 32, "target": 50}),
        )
        .await;
    sa.create("/api/v1/kpis", json!({"name": "Activation rate", "aggregation": "mean", "target": 60})).await;
    let start = cycle["start"].as_str().expect("a start date");
    sa.post("/api/v1/kpis/activation_rate/measurements", json!({"points": [{"at": start, "value": 20}]})).await;
    let activation = sa
        .create(
            "/api/v1/key-results",
            json!({"objective_id": child["id"], "title": "Activation from 20 % to 60 %", "target": 60, "kpi_id": sa.get("/api/v1/kpis/activation_rate").await.1["id"]}),
        )
        .await;
    let guard = sa
        .create("/api/v1/kpis", json!({"name": "Refund rate", "aggregation": "mean", "direction": "lower_is_better", "target": 1.0, "guardrail": true, "guardrail_threshold": 1.2}))
        .await;
    sa.create("/api/v1/guardrail-links", json!({"kpi_id": guard["id"], "objective_id": child["id"]})).await;

    let pages = Pages {
        servers: [&sa, &sb],
        child: id(&child).to_owned(),
        parent: id(&parent).to_owned(),
        key_results: vec![id(&nps).to_owned(), id(&activation).to_owned()],
    };
    pages.warm().await;
    let (before, _) = pages.agree("set-up").await;
    assert_eq!(before["score"], 0.0);

    // A check-in: the key result, the objective's score and the parent's roll-up.
    sa.create(&format!("/api/v1/key-results/{}/check-ins", id(&nps)), json!({"value": 41, "confidence": "at_risk"}))
        .await;
    let (child_now, parent_now) = pages.agree("a check-in").await;
    assert_eq!(child_now["score"], 0.25, "NPS half-way, activation at its baseline");
    assert_eq!(parent_now["rollup"], 0.25);

    // A PATCH of the objective.
    pages.warm().await;
    let (st, body) = sa
        .patch(
            &format!("/api/v1/objectives/{}", id(&child)),
            json!({"title": "Make onboarding effortless"}),
            child_now["version"].as_i64(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (child_now, _) = pages.agree("a PATCH").await;
    assert_eq!(child_now["title"], "Make onboarding effortless");

    // A KPI point moves the key result measured from it, and the KPI's own pages.
    let kpi_pages = ["/api/v1/kpis/activation_rate/periods?granularity=day", "/api/v1/kpis?limit=10"];
    for s in [&sa, &sb] {
        for p in kpi_pages {
            assert_eq!(s.get(p).await.0, StatusCode::OK, "{p}");
        }
    }
    pages.warm().await;
    let today = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let (st, report) =
        sa.post("/api/v1/kpis/activation_rate/measurements", json!({"points": [{"at": today, "value": 40}]})).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    let (child_now, parent_now) = pages.agree("a KPI point").await;
    assert_eq!(child_now["score"], 0.5, "both key results half-way");
    assert_eq!(parent_now["rollup"], 0.5);
    for (n, s) in [&sa, &sb].into_iter().enumerate() {
        let (_, days) = s.get(kpi_pages[0]).await;
        let last = days.as_array().and_then(|d| d.last()).cloned().unwrap_or_default();
        assert_eq!(last["value"], 40.0, "server {}: the periods page after a KPI point: {days}", n + 1);
        let (_, kpis) = s.get(kpi_pages[1]).await;
        let activation =
            kpis["items"].as_array().unwrap().iter().find(|k| k["key"] == "activation_rate").unwrap().clone();
        assert_eq!(activation["current_value"], 40.0, "server {}: the KPI list after a KPI point", n + 1);
    }

    // A guardrail breach pauses the objective.
    pages.warm().await;
    let (st, report) =
        sa.post("/api/v1/kpis/refund_rate/measurements", json!({"points": [{"at": today, "value": 1.6}]})).await;
    assert_eq!((st, &report["objectives_paused"]), (StatusCode::OK, &json!([child["id"]])), "{report}");
    let (child_now, _) = pages.agree("a guardrail pause").await;
    assert_eq!(child_now["status"], "paused");

    // A key result killed, and the alignment removed: the score and the parent's roll-up.
    pages.warm().await;
    let (st, body) =
        sa.post(&format!("/api/v1/key-results/{}/kill", id(&nps)), json!({"reason": "Survey retired"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (child_now, _) = pages.agree("a key result killed").await;
    let killed = child_now["key_results"].as_array().unwrap().iter().find(|k| k["id"] == nps["id"]).unwrap().clone();
    assert_eq!(killed["status"], "killed");
    pages.warm().await;
    let (_, links) = sa.get(&format!("/api/v1/alignments?child={}", id(&child))).await;
    let link = links["items"][0]["id"].as_str().expect("the alignment").to_owned();
    let (st, body) = sa.send(sa.http.delete(sa.url(&format!("/api/v1/alignments/{link}")))).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let (_, parent_now) = pages.agree("an alignment removed").await;
    assert!(parent_now["rollup"].is_null(), "nothing contributes any more: {parent_now}");
}
