//! Scheduled work, spawned beside the HTTP server (or run alone with `quarterdeck jobs`):
//! pulling each KPI's live data source on its schedule, and delivering the outbox's domain
//! events. The work itself is use cases of the application layer; this crate runs them on a
//! timer and stops them with the server. Work is claimed through the store, so several
//! servers on one PostgreSQL run each pull, and deliver each event, exactly once.

#![forbid(unsafe_code)]

use quarterdeck_app::App;
use quarterdeck_domain::actor::Actor;
use quarterdeck_store::journal::EventRecord;
use serde::Serialize;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The name under which this process claims outbox events.
pub const EVENT_LOG: &str = "event_log";

/// What one round of scheduled work did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Round {
    pub sources_pulled: usize,
    pub events_delivered: usize,
}

/// The event log, the outbox's first consumer: each domain event, once, as a structured log
/// line (target `quarterdeck::events`) that operators ship where they keep their logs.
/// Notifications and webhooks become further consumers of the same outbox.
pub fn log_event(e: &EventRecord) -> bool {
    tracing::info!(target: "quarterdeck::events", id = %e.id, kind = %e.kind, at = %e.at,
        actor = %serde_json::to_string(&e.actor).unwrap_or_default(), data = %e.data, "event");
    true
}

/// One round: every due data source, then every undelivered event. Driven directly by tests
/// and `quarterdeck jobs --once`; the scheduler runs it on a timer.
pub async fn run_once(app: &App) -> quarterdeck_app::AppResult<Round> {
    let pulls = app.acting_as(Actor::Job { name: "data_sources".into() });
    let sources_pulled = pulls.run_due_sources().await?.len();
    let events_delivered = app.deliver_events(EVENT_LOG, log_event).await?;
    Ok(Round { sources_pulled, events_delivered })
}

/// The scheduler loop: every `every`, one round, until `shutdown` turns true.
pub fn spawn(app: App, every: Duration, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match round(app.clone()).await {
                        Ok(r) if r.sources_pulled > 0 => tracing::info!(runs = r.sources_pulled, "data sources pulled"),
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

/// `run_once` as an owned, boxed future: the scheduler task needs a future that is `Send` for
/// every lifetime, which the compiler cannot see through a borrowed app.
fn round(app: App) -> std::pin::Pin<Box<dyn std::future::Future<Output = quarterdeck_app::AppResult<Round>> + Send>> {
    Box::pin(async move { run_once(&app).await })
}
