//! Scheduled work, spawned beside the HTTP server (or run alone with `quarterdeck jobs`):
//! pulling each KPI's live data source on its schedule. The work itself is a use case of the
//! application layer ([`App::run_due_sources`]); this crate only runs it on a timer and stops
//! it with the server. Work is claimed through the store, so several servers on one
//! PostgreSQL run each pull exactly once.

#![forbid(unsafe_code)]

use quarterdeck_app::App;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The scheduler loop: every `every`, runs what is due, until `shutdown` turns true.
pub fn spawn(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match due_now(app.clone()).await {
                        Ok(runs) if runs > 0 => tracing::info!(runs, "data sources pulled"),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "the scheduler could not claim work"),
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    })
}

/// `run_due_sources` as an owned, boxed future: the scheduler task needs a future that is
/// `Send` for every lifetime, which the compiler cannot see through a borrowed app.
fn due_now(app: App) -> std::pin::Pin<Box<dyn std::future::Future<Output = quarterdeck_app::AppResult<usize>> + Send>> {
    Box::pin(async move { app.run_due_sources().await.map(|r| r.len()) })
}
