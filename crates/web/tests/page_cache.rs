//! The page cache after a write: a page is rendered once, however many requests ask for it
//! while it renders, and every one of them gets that render.

use axum::http::HeaderMap;
use quarterdeck_store_sql::testing::sqlite_store;
use quarterdeck_web::AppState;
use quarterdeck_web::cache::cached_json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_a_stale_page_share_one_render() {
    let (store, _dir) = sqlite_store().await;
    let state = AppState::new(quarterdeck_app::App::new(store));
    let renders = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (state, renders, gate) = (state.clone(), renders.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let render = || async move {
                let n = renders.fetch_add(1, Ordering::SeqCst) + 1;
                // The render holds until the test lets it go, so the other requests arrive
                // while it runs.
                let _open = gate.acquire().await.expect("gate");
                Ok(serde_json::json!({ "render": n }))
            };
            let res = cached_json(&state, "/page".into(), &HeaderMap::new(), render).await.expect("page");
            axum::body::to_bytes(res.into_body(), 1 << 20).await.expect("body")
        }));
    }
    // Wait until the first render has started, then let it (and any other) finish.
    while renders.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(Semaphore::MAX_PERMITS / 2);
    let mut bodies = Vec::new();
    for t in tasks {
        bodies.push(t.await.expect("task"));
    }
    assert_eq!(renders.load(Ordering::SeqCst), 1, "one render for the one page version");
    assert!(bodies.iter().all(|b| b == &bodies[0]), "every request gets that render");
}
