//! Reading the change token once for many readers. Every cached page asks whether anything
//! was written since it was built; under load dozens of requests ask at once, and each asking
//! the database costs a round trip (PostgreSQL) or a turn on one connection (SQLite).
//!
//! Requests that arrive while a read is under way join the *next* read, which starts when the
//! current one ends: one read per round trip, whatever the number of readers. A request never
//! takes the answer of a read that started before it arrived, so what it is told is never
//! older than the last write committed before it asked — the guarantee of reading the token
//! itself.

use quarterdeck_store::{Store, StoreError, StoreResult};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Answer = Result<String, String>;

#[derive(Default)]
pub(crate) struct TokenReads {
    /// The read that has not started yet; requests arriving now join it.
    pending: Mutex<Option<Arc<OnceCell<Answer>>>>,
    /// Held by the one read under way.
    running: tokio::sync::Mutex<()>,
}

impl TokenReads {
    pub(crate) async fn read(&self, store: &dyn Store) -> StoreResult<String> {
        let mine = self.pending.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(Default::default).clone();
        let _turn = self.running.lock().await;
        if let Some(answer) = mine.get() {
            // Read by another request that joined the same read.
            return answer.clone().map_err(StoreError::Unavailable);
        }
        // This request starts the read: later arrivals must join a newer one.
        {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if pending.as_ref().is_some_and(|p| Arc::ptr_eq(p, &mine)) {
                *pending = None;
            }
        }
        let result = store.change_token().await;
        let _ = mine.set(result.as_ref().map(String::clone).map_err(ToString::to_string));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarterdeck_store_sql::testing::sqlite_store;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_readers_share_reads_and_each_sees_writes_made_before_it_asked() {
        let (store, _dir) = sqlite_store().await;
        let reads = Arc::new(TokenReads::default());
        let before = reads.read(store.as_ref()).await.expect("token");
        // A write, then many readers at once: every one of them sees it.
        let app = crate::App::new(store.clone());
        app.create_unit(serde_json::from_value(serde_json::json!({"name": "Product"})).expect("unit input"))
            .await
            .expect("a write");
        let answered = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (reads, store, answered) = (reads.clone(), store.clone(), answered.clone());
            tasks.push(tokio::spawn(async move {
                let token = reads.read(store.as_ref()).await.expect("token");
                answered.fetch_add(1, Ordering::SeqCst);
                token
            }));
        }
        for t in tasks {
            assert_ne!(t.await.expect("task"), before, "a reader was told the token from before the write");
        }
        assert_eq!(answered.load(Ordering::SeqCst), 64);
    }
}
