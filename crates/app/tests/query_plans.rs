//! The busiest statements use indexes, on both databases: what a check-in, a KPI ingest and
//! the list pages run is recorded, and the database's own plan for each is checked for a read
//! of a whole table. A full scan costs what the organisation holds, not what changed.
//! One test in this file: the recording is global to the process.

use chrono::{TimeZone, Utc};
use quarterdeck_app::key_results::{RecordCheckIn, UpdateKeyResult};
use quarterdeck_app::measurements::{BatchFormat, PointIn};
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::{App, Clock};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::okr::Confidence;
use quarterdeck_store::{PageRequest, Store};
use quarterdeck_store_sql::SqlStore;
use quarterdeck_store_sql::testing::{full_scans, postgres_sql_store, record_statements, sqlite_sql_store};
use std::sync::Arc;

mod common;

/// Tables that hold a handful of rows whatever the organisation's size.
const SMALL: &[&str] = &["settings", "cycles"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_ingest_and_list_pages_read_no_whole_table() {
    let (sqlite, _dir) = sqlite_sql_store().await;
    uses_indexes(sqlite).await;
    if let Some(pg) = postgres_sql_store().await {
        uses_indexes(pg).await;
    }
}

async fn uses_indexes(store: Arc<SqlStore>) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let app = App::new(dyn_store).with_clock(Clock::Fixed(now)).acting_as(Actor::Import);
    app.apply_plan(common::plan()).await.expect("the plan loads");
    let kpi = app
        .create_kpi(
            serde_json::from_value(serde_json::json!({"name": "Weekly active teams", "unit": "team"}))
                .expect("kpi input"),
        )
        .await
        .expect("kpi");
    let adoption = app.list_key_results(None, None, None, Some("adoption"), PageRequest::first(5)).await.unwrap();
    let adoption = &adoption.items[0];
    let linked = UpdateKeyResult { kpi_id: Some(Some(kpi.id)), ..serde_json::from_str("{}").unwrap() };
    app.update_key_result(adoption.id, adoption.version, linked).await.expect("link");

    record_statements();
    let check_in = RecordCheckIn {
        value: Some(15.0),
        confidence: Confidence::AtRisk,
        note: "halfway".into(),
        author_id: None,
        at: None,
    };
    app.record_check_in(adoption.id, check_in).await.expect("check-in");
    let point = |day: &str, value: f64| PointIn { kpi: None, at: day.into(), value, segment: None };
    let points = vec![point("2026-11-18", 3.0), point("2026-11-19", 4.0), point("2026-11-20", 5.0)];
    app.ingest(points, Some(&kpi.key), BatchFormat::Json, 1_000).await.expect("ingest");
    let everything = ObjectiveQuery { cycle: Some("current".into()), with_key_results: true, ..Default::default() };
    let page = app.list_objectives(everything, PageRequest::first(50)).await.expect("list page");
    assert_eq!(page.items.len(), 2);
    app.list_key_results(Some(page.items[0].id), None, None, None, PageRequest::first(50)).await.unwrap();
    app.list_check_ins(adoption.id, PageRequest::first(50)).await.unwrap();
    let card = app.unit_scorecard("team", PageRequest::first(50)).await.expect("scorecard");
    assert_eq!(card.kpis.len(), 1);
    assert!(card.kpis[0].trust.valid);

    let plans = full_scans(&store, SMALL).await;
    assert!(plans.checked >= 10, "only {} statements recorded", plans.checked);
    assert!(plans.scans.is_empty(), "statements that read a whole table:\n{}", plans.scans.join("\n"));
}
