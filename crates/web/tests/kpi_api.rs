//! The KPI engine through the HTTP API, on SQLite and PostgreSQL.

use chrono::{Duration, Utc};
mod common;

use common::Server;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn error(st: StatusCode, b: &Value, want: StatusCode, code: &str) {
    assert_eq!(st, want, "{b}");
    assert_eq!(b["error"], code, "{b}");
}

backend_tests!(
    the_organisations_time_zone_decides_the_day_a_point_counts_for,
    a_guardrail_breach_pauses_its_objective_within_the_request,
    batches_in_json_and_csv_with_clear_row_errors,
    derived_kpis_scorecards_and_trust,
    key_results_measured_from_a_kpi,
    sums_that_overflow_are_refused_not_healthy,
);

async fn okr(s: &Server) -> (Value, Value) {
    let person = s.create("/api/v1/people", json!({"name": "Ada", "email": "ada@example.com"})).await;
    s.create("/api/v1/cycles", json!({"state": "active"})).await;
    let objective = s
        .create(
            "/api/v1/objectives",
            json!({"cycle_id": "current", "title": "Grow expansion revenue", "owner_id": person["id"]}),
        )
        .await;
    (person, objective)
}

async fn a_guardrail_breach_pauses_its_objective_within_the_request(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, objective) = okr(&s).await;
    let (st, b) = s.post("/api/v1/kpis", json!({"name": "Refund rate", "unit_of_measure": "%", "aggregation": "mean", "direction": "lower_is_better", "guardrail": true})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "guardrail_needs_threshold");
    let kpi = s
        .create("/api/v1/kpis", json!({"name": "Refund rate", "unit_of_measure": "%", "aggregation": "mean", "direction": "lower_is_better", "target": 1.0, "guardrail": true, "guardrail_threshold": 1.2}))
        .await;
    assert_eq!(kpi["key"], "refund_rate");
    let linked =
        s.create("/api/v1/guardrail-links", json!({"kpi_id": kpi["id"], "objective_id": objective["id"]})).await;
    assert_eq!(linked["objectives_paused"], json!([]));

    let now = Utc::now() - Duration::minutes(10);
    let (st, report) = s
        .post("/api/v1/kpis/refund_rate/measurements", json!({"points": [{"at": now.to_rfc3339(), "value": 1.6}]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["objectives_paused"], json!([objective["id"]]));
    let (_, o) = s.get(&format!("/api/v1/objectives/{}", objective["id"].as_str().unwrap())).await;
    assert_eq!(o["status"], "paused");
    assert!(o["status_reason"].as_str().unwrap().contains("Refund rate"));
    let (_, k) = s.get("/api/v1/kpis/refund_rate").await;
    assert_eq!((k["guardrail_breached"].as_bool(), k["current_status"].as_str()), (Some(true), Some("breached")));

    let (_, report) = s
        .post("/api/v1/kpis/refund_rate/measurements", json!({"points": [{"at": now.to_rfc3339(), "value": 0.9}]}))
        .await;
    assert_eq!(report["objectives_resumed"], json!([objective["id"]]));
    assert_eq!(report["replaced"], 1);
    let (_, o) = s.get(&format!("/api/v1/objectives/{}", objective["id"].as_str().unwrap())).await;
    assert_eq!(o["status"], "active");
}

async fn batches_in_json_and_csv_with_clear_row_errors(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    s.create("/api/v1/kpis", json!({"name": "Signups", "aggregation": "sum", "target": 10})).await;
    let (st, b) = s.post("/api/v1/kpis", json!({"name": "Signups"})).await;
    error(st, &b, StatusCode::CONFLICT, "duplicate");
    let (st, b) = s.post("/api/v1/kpis", json!({"name": "Bad", "aggregation": "median"})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(b["field"], "aggregation");
    let (st, b) = s.post("/api/v1/kpis", json!({"name": "Loop", "formula": "loop * 2"})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "formula_self_reference");
    let (st, b) = s.post("/api/v1/kpis", json!({"name": "Typo", "formula": "signups +"})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "formula_syntax");
    assert_eq!(b["field"], "formula");

    let csv = "at,value,segment\n2026-11-02,3,emea\n2026-11-02T12:00:00Z,4,amer\n2026-11-03,5,\n";
    let (st, report) = s.csv("/api/v1/kpis/signups/measurements", csv).await;
    assert_eq!((st, report["inserted"].as_u64()), (StatusCode::OK, Some(3)), "{report}");
    let (_, again) = s.csv("/api/v1/kpis/signups/measurements", csv).await;
    assert_eq!((again["inserted"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3)));
    let (_, weeks) = s.get("/api/v1/kpis/signups/periods?granularity=week").await;
    assert_eq!(weeks[0]["label"], "2026-W45");
    assert_eq!(weeks[0]["value"], 12.0);
    assert_eq!(weeks[0]["status"], "healthy");
    let (_, emea) = s.get("/api/v1/kpis/signups/periods?granularity=month&segment=emea").await;
    assert_eq!(emea[0]["value"], 3.0);

    // One bad row rejects the batch, naming the row and what is wrong.
    let (st, b) = s.csv("/api/v1/kpis/signups/measurements", "at,value\n2026-11-04,1\n2026-11-05,abc\n").await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_row");
    assert!(b["message"].as_str().unwrap().starts_with("row 2: value 'abc'"), "{b}");
    let (st, b) = s.post("/api/v1/measurements", json!({"points": [{"kpi": "signups", "at": "2026-11-04", "value": 1}, {"kpi": "nope", "at": "2026-11-04", "value": 1}]})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_row");
    assert_eq!(b["field"], "points[1].kpi");
    let (st, b) = s
        .post("/api/v1/measurements", json!({"points": [{"kpi": "signups", "at": "1969-12-31T00:00:00Z", "value": 1}]}))
        .await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_row");
    assert!(b["message"].as_str().unwrap().contains("out of range"), "{b}");
    let (st, b) = s
        .post("/api/v1/measurements", json!({"points": [{"kpi": "signups", "at": "2026-11-04", "value": "12"}]}))
        .await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(b["field"], "points[0].value");
    let (st, b) = s.csv("/api/v1/kpis/signups/measurements", "when,amount\n").await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_row");
    let (_, raw) = s.get("/api/v1/kpis/signups/measurements?limit=100").await;
    assert_eq!(raw["items"].as_array().unwrap().len(), 3, "nothing of the rejected batches was stored");

    // Thousands of points in one request, in order and out.
    let points: Vec<Value> = (0..5000).map(|i| json!({"kpi": "signups", "at": format!("2025-01-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60).replace("T00:", &format!("T{:02}:", i / 3600)), "value": 1})).collect();
    let (st, report) = s.post("/api/v1/measurements", json!({ "points": points })).await;
    assert_eq!((st, report["inserted"].as_u64()), (StatusCode::OK, Some(5000)), "{report}");
    let (_, q) = s.get("/api/v1/kpis/signups/periods?granularity=quarter&from=2025-01-01&to=2025-03-31").await;
    assert_eq!(q[0]["value"], 5000.0);
}

async fn derived_kpis_scorecards_and_trust(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let sales = s.create("/api/v1/units", json!({"name": "Sales"})).await;
    s.create("/api/v1/kpis", json!({"name": "Won", "cadence": "weekly", "unit": "sales"})).await;
    s.create("/api/v1/kpis", json!({"name": "Qualified", "cadence": "weekly", "unit": "sales"})).await;
    let rate = s
        .create("/api/v1/kpis", json!({"name": "Win rate", "formula": "won / qualified * 100", "cadence": "weekly", "unit": "sales", "target": 23, "unit_of_measure": "%", "valid_min": 0, "valid_max": 100}))
        .await;
    assert_eq!(rate["aggregation"], "formula");
    let mut points = Vec::new();
    for week in 0..6 {
        let day = (Utc::now() - Duration::days(7 * week)).date_naive();
        points.push(json!({"kpi": "won", "at": day.to_string(), "value": 5 + week}));
        points.push(json!({"kpi": "qualified", "at": day.to_string(), "value": 20}));
    }
    let (st, report) = s.post("/api/v1/measurements", json!({ "points": points })).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert!(report["kpis_updated"].as_array().unwrap().contains(&rate["id"]));
    let (_, rate) = s.get("/api/v1/kpis/win_rate").await;
    assert_eq!(rate["current_value"], 25.0);
    assert_eq!(rate["trust"]["fresh"], true);
    assert_eq!(rate["trust"]["complete"], true);
    assert_eq!(rate["trust"]["valid"], true);
    let (st, stretch) = s.get("/api/v1/kpis/win_rate/stretch-targets").await;
    assert_eq!(st, StatusCode::OK, "{stretch}");
    assert!(stretch["stretch"]["two_sd"].as_f64().unwrap() > stretch["stretch"]["mean"].as_f64().unwrap());

    // A KPI whose last point is five weeks old, with a value outside its bounds.
    s.create(
        "/api/v1/kpis",
        json!({"name": "Forecast accuracy", "cadence": "weekly", "unit": "sales", "valid_max": 100}),
    )
    .await;
    let old = (Utc::now() - Duration::days(35)).date_naive();
    let (st, report) = s
        .post("/api/v1/kpis/forecast_accuracy/measurements", json!({"points": [{"at": old.to_string(), "value": 140}]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{report}");

    let (st, card) = s.get("/api/v1/units/sales/kpi-scorecard").await;
    assert_eq!(st, StatusCode::OK, "{card}");
    assert_eq!(card["unit_id"], sales["id"]);
    assert_eq!(card["kpis"].as_array().unwrap().len(), 4);
    assert!(card["completion_share_pct"].is_number());
    // Each card's trust badge (read for all the cards at once) is the KPI's own.
    for c in card["kpis"].as_array().unwrap() {
        let (_, one) = s.get(&format!("/api/v1/kpis/{}", c["key"].as_str().unwrap())).await;
        assert_eq!(c["trust"], one["trust"], "{}", c["key"]);
    }
    let stale = card["kpis"].as_array().unwrap().iter().find(|c| c["key"] == "forecast_accuracy").unwrap();
    assert_eq!((stale["trust"]["fresh"].as_bool(), stale["trust"]["valid"].as_bool()), (Some(false), Some(false)));
    assert!(stale["trust"]["missing_periods"].as_u64().unwrap() >= 4, "{stale}");
    let won = card["kpis"].as_array().unwrap().iter().find(|c| c["key"] == "won").unwrap();
    assert_eq!((won["trust"]["fresh"].as_bool(), won["trust"]["valid"].as_bool()), (Some(true), Some(true)));

    // Driver tree with the North Star at the root.
    let nsm = s
        .create("/api/v1/kpis", json!({"name": "Weekly active teams", "north_star": true, "aggregation": "last"}))
        .await;
    s.create(
        "/api/v1/kpi-edges",
        json!({"parent_id": nsm["id"], "child_id": rate["id"], "influence": "high", "confidence": "medium"}),
    )
    .await;
    let (st, b) = s.post("/api/v1/kpi-edges", json!({"parent_id": rate["id"], "child_id": nsm["id"]})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "north_star_as_child");
    let (_, tree) = s.get("/api/v1/kpis/weekly_active_teams/tree").await;
    assert_eq!(tree["nodes"][1]["key"], "win_rate");
    assert_eq!(tree["nodes"][1]["current_value"], 25.0);
    let kra = s
        .create("/api/v1/kras", json!({"name": "Pipeline", "role": "Account executive", "kpi_ids": [rate["id"]]}))
        .await;
    let (_, listed) = s.get(&format!("/api/v1/kpis?kra={}", kra["id"].as_str().unwrap())).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/kpis",
        "/api/v1/kpis/{id}/measurements",
        "/api/v1/measurements",
        "/api/v1/kpis/{id}/periods",
        "/api/v1/guardrail-links",
        "/api/v1/kpi-edges",
        "/api/v1/kras",
        "/api/v1/units/{id}/kpi-scorecard",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

async fn key_results_measured_from_a_kpi(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, objective) = okr(&s).await;
    let kpi =
        s.create("/api/v1/kpis", json!({"name": "Onboarding NPS", "aggregation": "mean", "cadence": "weekly"})).await;
    let (_, cycle) = s.get("/api/v1/cycles/current").await;
    let start = cycle["start"].as_str().unwrap();
    s.post("/api/v1/kpis/onboarding_nps/measurements", json!({"points": [{"at": start, "value": 32}]})).await;
    let kr = s.create("/api/v1/key-results", json!({"objective_id": objective["id"], "title": "Onboarding NPS from 32 to 50", "target": 50, "kpi_id": kpi["id"]})).await;
    assert_eq!(kr["baseline"], 32.0, "the baseline defaults to the KPI's value at the cycle's start");
    assert_eq!(
        (kr["current_value"].as_f64(), kr["score"].as_f64()),
        (Some(32.0), Some(0.0)),
        "it takes the KPI's current value at once, not at the KPI's next point"
    );
    let today = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let (_, report) =
        s.post("/api/v1/kpis/onboarding_nps/measurements", json!({"points": [{"at": today, "value": 41}]})).await;
    assert_eq!(report["key_results_updated"], json!([kr["id"]]));
    let (_, kr_now) = s.get(&format!("/api/v1/key-results/{}", kr["id"].as_str().unwrap())).await;
    assert_eq!((kr_now["current_value"].as_f64(), kr_now["score"].as_f64()), (Some(41.0), Some(0.5)));
    // A check-in still carries confidence and a note; its value comes from the KPI.
    let (st, ci) = s
        .post(
            &format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap()),
            json!({"confidence": "at_risk", "note": "Survey volume is low"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{ci}");
    assert_eq!(ci["check_in"]["value"], 41.0);
    let (st, b) = s.post("/api/v1/key-results", json!({"objective_id": objective["id"], "title": "x", "target": 5, "kpi_id": "0190b0b0-0000-7000-8000-000000000000"})).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "unknown_reference");
    let (st, stretch) = s.get(&format!("/api/v1/key-results/{}/stretch-targets", kr["id"].as_str().unwrap())).await;
    assert_eq!(st, StatusCode::OK, "{stretch}");

    // Linked by PATCH: the same, at once.
    let plain = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": objective["id"], "title": "NPS again", "baseline": 20, "target": 60}),
        )
        .await;
    let (st, linked) = s
        .patch(&format!("/api/v1/key-results/{}", plain["id"].as_str().unwrap()), json!({"kpi_id": kpi["id"]}), Some(1))
        .await;
    assert_eq!(st, StatusCode::OK, "{linked}");
    assert_eq!((linked["current_value"].as_f64(), linked["score"].as_f64()), (Some(41.0), Some(0.525)));
}

async fn sums_that_overflow_are_refused_not_healthy(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    s.create("/api/v1/kpis", json!({"name": "Huge", "target": 1})).await;
    let day = (Utc::now() - Duration::days(1)).format("%Y-%m-%d").to_string();
    let (st, b) = s
        .post(
            "/api/v1/kpis/huge/measurements",
            json!({"points": [{"at": format!("{day}T01:00:00Z"), "value": 1.7e308}, {"at": format!("{day}T02:00:00Z"), "value": 1.7e308}]}),
        )
        .await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "value_overflow");
    let (_, periods) = s.get("/api/v1/kpis/huge/periods?granularity=day").await;
    assert_eq!(periods.as_array().unwrap().len(), 0, "nothing stored: {periods}");
    let (_, kpi) = s.get("/api/v1/kpis/huge").await;
    assert!(kpi["current_status"].is_null(), "never healthy: {kpi}");
}

async fn the_organisations_time_zone_decides_the_day_a_point_counts_for(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (st, settings) = s.get("/api/v1/settings").await;
    assert_eq!((st, settings["time_zone"].as_str()), (StatusCode::OK, Some("UTC")));
    let v = settings["version"].as_i64().unwrap();
    let (st, b) = s.patch("/api/v1/settings", json!({"time_zone": "Europe/Oslo"}), None).await;
    error(st, &b, StatusCode::PRECONDITION_REQUIRED, "version_required");
    let (st, b) = s.patch("/api/v1/settings", json!({"time_zone": "Mars/Olympus"}), Some(v)).await;
    error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_time_zone");
    assert_eq!(b["field"], "time_zone");
    assert!(b["message"].as_str().unwrap().contains("Europe/Oslo"), "the error says what to send: {b}");

    s.create("/api/v1/kpis", json!({"name": "Orders", "aggregation": "sum"})).await;
    // 23:30 UTC on the 23rd: the 23rd in UTC ...
    let points = json!({"points": [{"kpi": "orders", "at": "2026-11-23T23:30:00Z", "value": 5}]});
    assert_eq!(s.post("/api/v1/measurements", points).await.0, StatusCode::OK);
    let day = |d: &str| format!("/api/v1/kpis/orders/periods?granularity=day&from={d}&to={d}");
    assert_eq!(s.get(&day("2026-11-23")).await.1[0]["value"], 5.0);

    // ... and the 24th in Oslo, once the organisation says it lives there.
    let (st, settings) = s.patch("/api/v1/settings", json!({"time_zone": "Europe/Oslo"}), Some(v)).await;
    assert_eq!((st, settings["time_zone"].as_str()), (StatusCode::OK, Some("Europe/Oslo")), "{settings}");
    // Someone still looking at the old version gets a conflict with the settings as they are.
    let (st, b) = s.patch("/api/v1/settings", json!({"version": v, "time_zone": "UTC"}), None).await;
    error(st, &b, StatusCode::CONFLICT, "version_conflict");
    assert_eq!(b["current"]["time_zone"], "Europe/Oslo", "{b}");
    assert_eq!(s.get(&day("2026-11-23")).await.1.as_array().map(Vec::len), Some(0), "recomputed");
    assert_eq!(s.get(&day("2026-11-24")).await.1[0]["value"], 5.0);
    // A bare date is that day in the organisation's zone.
    let points = json!({"points": [{"kpi": "orders", "at": "2026-11-25", "value": 2}]});
    assert_eq!(s.post("/api/v1/measurements", points).await.0, StatusCode::OK);
    assert_eq!(s.get(&day("2026-11-25")).await.1[0]["value"], 2.0);
    let (_, raw) = s.get("/api/v1/kpis/orders/measurements?limit=10").await;
    assert!(raw.to_string().contains("2026-11-24T23:00:00"), "stored as the zone's midnight: {raw}");
}
