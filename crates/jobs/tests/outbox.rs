//! The outbox: events written in the write's transaction are delivered exactly once across
//! several servers, and the feed hands them out in an order no reader can skip past.

use quarterdeck_app::App;
use quarterdeck_app::org::CreateUnit;
use quarterdeck_domain::UnitKind;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

backend_tests!(each_event_is_delivered_once_across_servers, the_feed_resumes_where_it_stopped);

async fn cycles(app: &App, n: usize) {
    for i in 0..n {
        let start = chrono::NaiveDate::from_ymd_opt(2030 + i as i32, 1, 1).unwrap();
        app.create_cycle(quarterdeck_app::cycles::CreateCycle { start: Some(start), ..Default::default() })
            .await
            .unwrap();
    }
}

async fn each_event_is_delivered_once_across_servers(store: Arc<dyn Store>) {
    let app = App::new(store.clone());
    cycles(&app, 30).await;
    // Two servers' schedulers drain the outbox at the same moment.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let deliver = |seen: Arc<Mutex<Vec<String>>>| {
        move |e: &quarterdeck_store::journal::EventRecord| {
            seen.lock().unwrap().push(e.id.clone());
            true
        }
    };
    let (one, two) = (App::new(store.clone()), App::new(store.clone()));
    let (a, b) = tokio::join!(
        one.deliver_events("event_log", deliver(seen.clone())),
        two.deliver_events("event_log", deliver(seen.clone()))
    );
    let delivered = a.unwrap() + b.unwrap();
    let ids = seen.lock().unwrap().clone();
    assert_eq!(delivered, 30, "one cycle_created event per cycle");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "no event twice: {ids:?}");
    assert_eq!(App::new(store).deliver_events("event_log", |_| true).await.unwrap(), 0, "nothing left");
}

async fn the_feed_resumes_where_it_stopped(store: Arc<dyn Store>) {
    let app = App::new(store);
    app.create_unit(CreateUnit { name: "Acme".into(), slug: None, kind: UnitKind::Company, parent_id: None })
        .await
        .unwrap();
    cycles(&app, 3).await;
    // On PostgreSQL an event shows in the feed once every transaction older than it has
    // finished, anywhere on the server (other tests run beside this one): poll a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.events_after(None, None).await.unwrap().items.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the feed never showed the three events");
        tokio::task::yield_now().await;
    }
    let first = app.events_after(None, Some(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.items.iter().all(|e| e.kind == "cycle_created"), "units make no event; cycles do");
    let rest = app.events_after(Some(&first.next_cursor), None).await.unwrap();
    assert_eq!(rest.items.len(), 1);
    let again = app.events_after(Some(&rest.next_cursor), None).await.unwrap();
    assert!(again.items.is_empty());
    assert_eq!(again.next_cursor, rest.next_cursor, "an empty read keeps the cursor");
    let err = app.events_after(Some("nonsense"), None).await.unwrap_err();
    assert_eq!(err.code.as_str(), "invalid_page");
}
