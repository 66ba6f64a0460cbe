//! The JSON API over a real HTTP server on a random port, on SQLite and PostgreSQL.

mod common;

use common::{Server, assert_error};
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(
    nps_example_scores_a_half_through_the_api,
    bad_input_gets_a_clear_error_and_changes_nothing,
    stale_edits_get_409_with_the_current_record,
    alignment_graph_through_the_api,
    closed_cycle_refuses_writes,
    lists_paginate_with_cursors,
    openapi_document_and_health,
    cached_list_pages_are_never_stale,
    the_edges_of_a_request_are_checked,
);

async fn nps_example_scores_a_half_through_the_api(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (team, person, cycle) = s.org().await;
    assert_eq!(team["slug"], "product");
    let objective = s
        .create("/api/v1/objectives", json!({"cycle_id": "current", "title": "Make onboarding a delight", "owner_id": person["id"], "unit_id": team["id"]}))
        .await;
    assert_eq!(objective["cycle_id"], cycle["id"]);
    let kr = s
        .create("/api/v1/key-results", json!({"objective_id": objective["id"], "title": "Raise onboarding NPS from 32 to 50", "baseline": 32, "target": 50, "unit_of_measure": "NPS"}))
        .await;
    assert_eq!(kr["direction"], "increase");
    let recorded = s
        .create(
            &format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap()),
            json!({"value": 41, "confidence": "on_track", "note": "Guided setup ships next week"}),
        )
        .await;
    assert_eq!(recorded["key_result"]["score"], 0.5);
    assert_eq!(recorded["key_result"]["current_value"], 41.0);
    assert_eq!(recorded["check_in"]["note"], "Guided setup ships next week");

    let (status, list) = s.get("/api/v1/objectives?cycle=current&include=key_results").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let item = &list["items"][0];
    assert_eq!(item["score"], 0.5);
    assert_eq!(item["colour"], "amber");
    assert_eq!(item["success"], false);
    assert_eq!(item["success_threshold"], 0.7);
    assert!(item["expected_progress"].as_f64().unwrap() > 0.0);
    assert!(["ahead", "on_pace", "behind"].contains(&item["pace"].as_str().unwrap()));
    assert_eq!(item["key_results"][0]["score"], 0.5);
    assert!(list["next_cursor"].is_null());

    // Filters by unit slug and owner; decimals stay as typed.
    let (_, by_unit) = s.get("/api/v1/objectives?unit=product").await;
    assert_eq!(by_unit["items"].as_array().unwrap().len(), 1);
    let (_, by_owner) = s.get(&format!("/api/v1/objectives?owner={}", person["id"].as_str().unwrap())).await;
    assert_eq!(by_owner["items"].as_array().unwrap().len(), 1);
    let csat = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": objective["id"], "title": "CSAT from 4.1 to 4.5", "baseline": 4.1, "target": 4.5}),
        )
        .await;
    assert_eq!((csat["baseline"].as_f64(), csat["target"].as_f64()), (Some(4.1), Some(4.5)));
    let (_, one) = s.get(&format!("/api/v1/objectives/{}", objective["id"].as_str().unwrap())).await;
    assert_eq!(one["key_results"].as_array().unwrap().len(), 2);
    assert_eq!(one["score"], 0.25);
}

async fn bad_input_gets_a_clear_error_and_changes_nothing(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let objective = s.objective(&person, "Earn enterprise-grade reliability").await;
    let oid = objective["id"].clone();
    let kr_body = |extra: Value| {
        let mut b = json!({"objective_id": oid, "title": "P1 incidents from 9 to 3", "baseline": 9, "target": 3});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"target": 9}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "kr_target_equals_baseline", Some("target"));
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"weight": -1}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "not_positive", Some("weight"));
    let (st, b) =
        s.post("/api/v1/key-results", kr_body(json!({"objective_id": "0190b0b0-0000-7000-8000-000000000000"}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "unknown_reference", Some("objective_id"));
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"baseline": "nine"}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("baseline"));
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"title": "x".repeat(201)}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "too_long", Some("title"));
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"titel": "typo"}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", None);
    let (st, b) = s.post("/api/v1/key-results", kr_body(json!({"baseline": null}))).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "missing_field", Some("baseline"));
    assert_eq!(b["message"], "baseline is required", "a missing field is not an empty one");

    // Malformed JSON, numbers JSON cannot hold, a body that is not JSON at all.
    let raw = |body: &'static str, ct: &'static str| {
        s.http.post(format!("{}/api/v1/key-results", s.base)).header("Content-Type", ct).body(body).send()
    };
    let res = raw("{\"title\": ", "application/json").await.unwrap();
    let status = res.status();
    assert_error(status, &res.json().await.unwrap(), StatusCode::BAD_REQUEST, "malformed_json", None);
    let res = raw("{\"baseline\": NaN}", "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = raw("{\"title\": \"t\", \"baseline\": 1e999, \"target\": 2}", "application/json").await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_client_error() && body["message"].as_str().unwrap().contains("out of range"), "{body}");
    let res = raw("title=x", "application/x-www-form-urlencoded").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Nothing of the above was stored.
    let (_, krs) = s.get(&format!("/api/v1/key-results?objective={}", oid.as_str().unwrap())).await;
    assert_eq!(krs["items"].as_array().unwrap().len(), 0, "{krs}");

    // Check-ins: on a killed KR, before the cycle, unknown confidence, unknown KR.
    let kr = s.create("/api/v1/key-results", kr_body(json!({}))).await;
    let kid = kr["id"].as_str().unwrap().to_owned();
    let (st, b) =
        s.post(&format!("/api/v1/key-results/{kid}/check-ins"), json!({"value": 5, "confidence": "sure"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("confidence"));
    let (st, b) = s
        .post(
            &format!("/api/v1/key-results/{kid}/check-ins"),
            json!({"value": 5, "confidence": "at_risk", "at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "check_in_before_cycle", Some("at"));
    let (st, b) = s
        .post(
            "/api/v1/key-results/0190b0b0-0000-7000-8000-000000000000/check-ins",
            json!({"value": 5, "confidence": "at_risk"}),
        )
        .await;
    assert_error(st, &b, StatusCode::NOT_FOUND, "not_found", None);
    let (st, b) = s.post(&format!("/api/v1/key-results/{kid}/kill"), json!({"reason": "  "})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "empty", Some("reason"));
    let (st, _) = s.post(&format!("/api/v1/key-results/{kid}/kill"), json!({"reason": "Wrong metric"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) =
        s.post(&format!("/api/v1/key-results/{kid}/check-ins"), json!({"value": 5, "confidence": "at_risk"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "key_result_not_active", None);
    let (_, history) = s.get(&format!("/api/v1/key-results/{kid}/check-ins")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 0);

    // Other resources, paths and queries.
    let (st, b) = s.post("/api/v1/people", json!({"name": "Bo", "email": "not-an-email"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_email", Some("email"));
    let (st, b) = s.post("/api/v1/people", json!({"name": "Ada 2", "email": "ADA@example.com"})).await;
    assert_error(st, &b, StatusCode::CONFLICT, "duplicate", Some("email"));
    let (st, b) = s.post("/api/v1/cycles", json!({"kind": "custom", "start": "2026-01-10"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "cycle_needs_end", Some("end"));
    let (st, b) = s.post("/api/v1/cycles", json!({"kind": "custom", "start": "2026-01-10", "end": "2026-01-01"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "cycle_ends_before_start", Some("end"));
    let (st, b) = s.get("/api/v1/objectives/not-an-id").await;
    assert_error(st, &b, StatusCode::NOT_FOUND, "not_found", None);
    let (st, b) = s.get("/api/v1/objectives?limit=0").await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "invalid_page", Some("limit"));
    let (st, b) = s.get("/api/v1/objectives?cursor=%%%").await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "invalid_page", Some("cursor"));
    let (st, b) = s.get("/api/v1/objectives?status=sleeping").await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "invalid_query", None);
    let (st, b) = s.get("/api/v1/objectives?unit=nowhere").await;
    assert_error(st, &b, StatusCode::NOT_FOUND, "unknown_unit", Some("unit"));
    let (st, b) = s.get("/api/v1/nothing-here").await;
    assert_error(st, &b, StatusCode::NOT_FOUND, "not_found", None);
    let (st, b) =
        s.post(&format!("/api/v1/objectives/{}/status", oid.as_str().unwrap()), json!({"status": "retired"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "missing_field", Some("reason"));
    let (st, b) =
        s.post(&format!("/api/v1/objectives/{}/status", oid.as_str().unwrap()), json!({"status": "draft"})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_transition", Some("status"));
}

async fn stale_edits_get_409_with_the_current_record(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let objective = s.objective(&person, "Crack the mid-market segment").await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": objective["id"], "title": "Win rate from 12 to 25", "baseline": 12, "target": 25}),
        )
        .await;
    let path = format!("/api/v1/key-results/{}", kr["id"].as_str().unwrap());

    // The ETag of a GET is the version to send back.
    let res = s.http.get(format!("{}{path}", s.base)).send().await.unwrap();
    assert_eq!(res.headers()["etag"], "\"1\"");

    let (st, b) = s.patch(&path, json!({"title": "No version"}), None).await;
    assert_error(st, &b, StatusCode::PRECONDITION_REQUIRED, "version_required", Some("version"));
    let (st, first) = s.patch(&path, json!({"title": "Mid-market win rate from 12 to 25"}), Some(1)).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(first["version"], 2);
    // A second editor who also started from version 1 is told, and sees the current state.
    let (st, b) = s.patch(&path, json!({"title": "Overwrite", "version": 1}), None).await;
    assert_error(st, &b, StatusCode::CONFLICT, "version_conflict", None);
    assert_eq!(b["current"]["title"], "Mid-market win rate from 12 to 25");
    assert_eq!(b["current"]["version"], 2);
    // Shown as every answer shows a key result (colour and pace beside the stored fields),
    // never as the storage record (whose cycle window stays inside the server).
    assert_eq!(b["current"]["colour"], first["colour"], "{b}");
    assert!(b["current"].get("cycle").is_none() && first.get("cycle").is_none(), "{b}");
    // Changing the target rescores; baseline equal to target is refused.
    let (st, b) = s.patch(&path, json!({"target": 12}), Some(2)).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "kr_target_equals_baseline", Some("target"));
    let (st, b) = s.patch(&path, json!({"target": 22, "weight": 2}), Some(2)).await;
    assert_eq!((st, b["target"].as_f64(), b["weight"].as_f64()), (StatusCode::OK, Some(22.0), Some(2.0)));

    // Same on objectives and units.
    let opath = format!("/api/v1/objectives/{}", objective["id"].as_str().unwrap());
    let (st, _) = s.patch(&opath, json!({"title": "Win the mid-market"}), Some(1)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = s.patch(&opath, json!({"title": "Lost"}), Some(1)).await;
    assert_error(st, &b, StatusCode::CONFLICT, "version_conflict", None);
    assert_eq!(b["current"]["title"], "Win the mid-market");
    assert!(b["current"]["success_threshold"].is_number() && b["current"].get("cycle").is_none(), "{b}");
}

async fn alignment_graph_through_the_api(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let parent = s.objective(&person, "Stop the leaky bucket").await;
    let child = s.objective(&person, "Make onboarding a delight").await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": child["id"], "title": "TTFV from 14 to 5 days", "baseline": 14, "target": 5}),
        )
        .await;
    let link = s
        .create(
            "/api/v1/alignments",
            json!({"child_id": child["id"], "parent_objective_id": parent["id"], "weight": 2}),
        )
        .await;
    assert_eq!(link["kind"], "contributes");
    s.create(
        &format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap()),
        json!({"value": 9.5, "confidence": "on_track"}),
    )
    .await;
    let (_, p) = s.get(&format!("/api/v1/objectives/{}", parent["id"].as_str().unwrap())).await;
    assert_eq!(p["rollup"], 0.5);
    assert_eq!(p["score"], 0.0);

    let (st, b) =
        s.post("/api/v1/alignments", json!({"child_id": parent["id"], "parent_objective_id": child["id"]})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "alignment_cycle", Some("parent"));
    let (st, b) = s.post("/api/v1/alignments", json!({"child_id": child["id"]})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "alignment_parent", None);
    let (_, links) = s.get(&format!("/api/v1/alignments?parent={}", parent["id"].as_str().unwrap())).await;
    assert_eq!(links["items"].as_array().unwrap().len(), 1);
    let res =
        s.http.delete(format!("{}/api/v1/alignments/{}", s.base, link["id"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, p) = s.get(&format!("/api/v1/objectives/{}", parent["id"].as_str().unwrap())).await;
    assert!(p["rollup"].is_null());
}

async fn closed_cycle_refuses_writes(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, cycle) = s.org().await;
    let objective = s.objective(&person, "Close the books faster").await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": objective["id"], "title": "Close from 12 to 5 days", "baseline": 12, "target": 5}),
        )
        .await;
    let initiative = s
        .create(
            "/api/v1/initiatives",
            json!({"key_result_id": kr["id"], "title": "Automate payroll entries", "link": "https://example.com/x"}),
        )
        .await;
    assert_eq!(initiative["status"], "planned");
    let (st, b) = s
        .post("/api/v1/initiatives", json!({"key_result_id": kr["id"], "title": "x", "link": "javascript:alert(1)"}))
        .await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_link", Some("link"));

    let (st, closed) = s.post(&format!("/api/v1/cycles/{}/close", cycle["id"].as_str().unwrap()), json!({})).await;
    assert_eq!((st, closed["state"].as_str()), (StatusCode::OK, Some("closed")));
    let (st, b) = s
        .post(
            &format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap()),
            json!({"value": 6, "confidence": "on_track"}),
        )
        .await;
    assert_error(st, &b, StatusCode::CONFLICT, "cycle_closed", None);
    let (st, b) = s
        .patch(
            &format!("/api/v1/objectives/{}", objective["id"].as_str().unwrap()),
            json!({"title": "Rewritten"}),
            Some(1),
        )
        .await;
    assert_error(st, &b, StatusCode::CONFLICT, "cycle_closed", None);
    let (st, b) = s.post(&format!("/api/v1/cycles/{}/activate", cycle["id"].as_str().unwrap()), json!({})).await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_transition", None);
}

async fn lists_paginate_with_cursors(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(s.objective(&person, &format!("Objective number {i}")).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/objectives?cycle=current&limit=2".to_owned();
    loop {
        let (st, page) = s.get(&path).await;
        assert_eq!(st, StatusCode::OK);
        seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/objectives?cycle=current&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, made);
}

async fn openapi_document_and_health(store: Arc<dyn Store>) {
    let backend = store.backend();
    let s = Server::start(store).await;
    let (st, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/objectives",
        "/api/v1/objectives/{id}",
        "/api/v1/objectives/{id}/status",
        "/api/v1/key-results/{id}/check-ins",
        "/api/v1/key-results/{id}/kill",
        "/api/v1/cycles/{id}/close",
        "/api/v1/alignments",
        "/api/v1/units",
        "/api/v1/people",
        "/api/v1/initiatives",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["ObjectiveView"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let (st, health) = s.get("/healthz").await;
    assert_eq!(
        (st, health["status"].as_str(), health["backend"].as_str()),
        (StatusCode::OK, Some("ok"), Some(backend))
    );
}

async fn cached_list_pages_are_never_stale(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let objective = s.objective(&person, "Make onboarding a delight").await;
    let kr = s
        .create(
            "/api/v1/key-results",
            json!({"objective_id": objective["id"], "title": "NPS from 32 to 50", "baseline": 32, "target": 50}),
        )
        .await;
    let url = format!("{}/api/v1/objectives?cycle=current&include=key_results", s.base);
    let first = s.http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["items"][0]["score"], 0.0);
    // Unchanged: 304 for a client that has it, the same bytes for one that has not.
    let again = s.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // A write shows at once.
    s.create(
        &format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap()),
        json!({"value": 41, "confidence": "on_track"}),
    )
    .await;
    let after = s.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["items"][0]["score"], 0.5);
    assert_eq!(body["items"][0]["key_results"][0]["current_value"], 41.0);
}

async fn the_edges_of_a_request_are_checked(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let objective = s.objective(&person, "Make onboarding a delight").await;
    let oid = objective["id"].as_str().unwrap().to_owned();
    let raw = |path: &str, body: &'static str| {
        s.send(s.http.post(s.url(path)).header("Content-Type", "application/json").body(body))
    };

    // A NUL byte anywhere — body, path, filter — is refused naming the field; nothing is stored.
    let (st, b) = s
        .post(
            "/api/v1/key-results",
            json!({"objective_id": oid, "title": "NPS\u{0} from 32 to 50", "baseline": 32, "target": 50}),
        )
        .await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "control_character", Some("title"));
    let (st, b) = s.get("/api/v1/units/a%00b").await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "control_character", Some("id"));
    let (st, b) = s.get("/api/v1/objectives?unit=x%00").await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "control_character", Some("unit"));
    let (st, b) = s.get("/api/v1/kpis/a%00").await;
    assert_error(st, &b, StatusCode::UNPROCESSABLE_ENTITY, "control_character", Some("kpi"));
    let (_, krs) = s.get(&format!("/api/v1/key-results?objective={oid}")).await;
    assert_eq!(krs["items"].as_array().unwrap().len(), 0, "{krs}");

    // Bytes after the JSON document are not ignored.
    let (st, b) = raw("/api/v1/units", r#"{"name": "Trailing"} xyz"#).await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "malformed_json", None);
    let (_, units) = s.get("/api/v1/units?limit=500").await;
    assert!(!units["items"].as_array().unwrap().iter().any(|u| u["name"] == "Trailing"), "{units}");
    // An optional body sent empty with a JSON content type is no body.
    let cycle = s.create("/api/v1/cycles", json!({"start": "2030-01-01"})).await;
    let (st, b) = raw(&format!("/api/v1/cycles/{}/activate", cycle["id"].as_str().unwrap()), "").await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("active")), "{b}");
    // A required body sent empty is malformed, not a crash.
    let (st, b) = raw("/api/v1/units", "  ").await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "malformed_json", None);

    // A body over the limit gets 413 in the JSON error shape.
    let answer = oversized_request(&s.base, &s.secret, 40 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default()).unwrap();
    assert_error(StatusCode::PAYLOAD_TOO_LARGE, &body, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", None);

    // A version the record never had is not "changed by someone else".
    let path = format!("/api/v1/objectives/{oid}");
    let (st, b) = s.patch(&path, json!({"title": "Delight new customers"}), Some(99)).await;
    assert_error(st, &b, StatusCode::CONFLICT, "version_conflict", None);
    let message = b["message"].as_str().unwrap();
    assert!(message.contains("never had version 99") && !message.contains("someone else"), "{message}");
}

/// Sends a measurement batch of `size` bytes while reading the answer, and returns the answer:
/// its head, and its body by the answer's Content-Length. The body is written from another
/// task, so a server that answers before reading all of it is heard either way.
async fn oversized_request(base: &str, secret: &str, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/v1/measurements HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {secret}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    );
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..size / chunk.len() {
            writer.write_all(&chunk).await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let text = loop {
        let n = reader.read(&mut buf).await.unwrap_or(0);
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()))
                .and_then(Result::ok)
                .unwrap_or(0);
            if body.len() >= length {
                break text;
            }
        }
        if n == 0 {
            break text;
        }
    };
    sending.abort();
    text
}
