//! SQL metacharacters in every text field and every filter, on SQLite and PostgreSQL: text is
//! stored and answered exactly as sent, a filter that names nothing finds nothing or is
//! refused with a clear error, and nothing answers 500 or touches another row.

mod common;

use common::Server;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(sql_metacharacters_are_only_text);

/// Strings that break a query built by pasting text into SQL.
const NASTY: [&str; 7] = [
    "x'; DROP TABLE units; --",
    "Robert\"); DELETE FROM people; --",
    "100% of_all \\ rows",
    "$1 $$ dollar $$ quoted",
    "' OR '1'='1",
    "/* comment */ -- trailing",
    "ünïcødé ‘quotes’ ; and ;",
];

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

async fn sql_metacharacters_are_only_text(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (team, person, _) = s.org().await;
    for (i, text) in NASTY.iter().enumerate() {
        let unit = s.create("/api/v1/units", json!({"name": format!("{text} {i}")})).await;
        assert_eq!(unit["name"], format!("{text} {i}"));
        let someone = s
            .create(
                "/api/v1/people",
                json!({"name": text, "email": format!("p{i}@example.com"), "unit_id": unit["id"]}),
            )
            .await;
        assert_eq!(someone["name"], *text);
        let objective = s
            .create(
                "/api/v1/objectives",
                json!({"cycle_id": "current", "title": text, "description": text, "owner_id": person["id"], "unit_id": team["id"]}),
            )
            .await;
        assert_eq!((objective["title"].as_str(), objective["description"].as_str()), (Some(*text), Some(*text)));
        let kr = s
            .create(
                "/api/v1/key-results",
                json!({"objective_id": objective["id"], "title": text, "baseline": 0, "target": 10, "unit_of_measure": text}),
            )
            .await;
        assert_eq!(kr["title"], *text);
        let recorded = s
            .create(
                &format!("/api/v1/key-results/{}/check-ins", id(&kr)),
                json!({"value": 5, "confidence": "on_track", "note": text}),
            )
            .await;
        assert_eq!(recorded["check_in"]["note"], *text);
        let kpi = s.create("/api/v1/kpis", json!({"name": format!("{text} {i}"), "description": text})).await;
        assert_eq!(kpi["description"], *text);
        let (status, body) = s
            .post(
                &format!("/api/v1/kpis/{}/measurements", id(&kpi)),
                json!({"points": [{"at": "2026-11-02", "value": 1, "segment": text}]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Every filter and path that takes text: found nothing, or refused clearly.
        let encoded: String = url_encode(text);
        for path in [
            format!("/api/v1/objectives?unit={encoded}"),
            format!("/api/v1/objectives?cycle=current&key={encoded}"),
            format!("/api/v1/objectives?owner={encoded}"),
            format!("/api/v1/key-results?key={encoded}"),
            format!("/api/v1/units?parent={encoded}"),
            format!("/api/v1/units/{encoded}"),
            format!("/api/v1/kpis/{encoded}"),
            format!("/api/v1/kpis?unit={encoded}"),
            format!("/api/v1/kpis/{}/periods?granularity=day&segment={encoded}", id(&kpi)),
            format!("/api/v1/audit?entity={encoded}&actor={encoded}"),
            format!("/api/v1/objectives?cursor={encoded}"),
        ] {
            let (status, body) = s.get(&path).await;
            assert!(
                [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND, StatusCode::UNPROCESSABLE_ENTITY]
                    .contains(&status),
                "{path}: {status} {body}"
            );
            if status != StatusCode::OK {
                assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
            }
        }
        // The segment is a label like any other: its period is found by it.
        let (_, days) = s.get(&format!("/api/v1/kpis/{}/periods?granularity=day&segment={encoded}", id(&kpi))).await;
        assert_eq!(days[0]["value"], 1.0, "{days}");
    }
    // Nothing else was touched: every unit and person is there.
    let (_, units) = s.get("/api/v1/units?limit=100").await;
    assert_eq!(units["items"].as_array().unwrap().len(), 1 + NASTY.len());
    let (_, people) = s.get("/api/v1/people?limit=100").await;
    assert_eq!(people["items"].as_array().unwrap().len(), 1 + NASTY.len());
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
