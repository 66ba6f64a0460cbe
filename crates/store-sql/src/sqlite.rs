//! SQLite: the zero-set-up default. WAL so readers never wait for the writer, and exactly
//! one writer connection so write transactions queue instead of failing with SQLITE_BUSY.

use crate::SqlStore;
use crate::db::Pools;
use quarterdeck_store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

impl SqlStore {
    /// Opens the SQLite file at `path` (created if missing) and applies pending migrations.
    pub async fn open_sqlite(path: &str) -> StoreResult<SqlStore> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
            .map_err(|e| StoreError::Backend(format!("cannot use '{path}' as an SQLite file: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-32000");
        let cannot_open = |e: sqlx::Error| StoreError::Backend(format!("cannot open SQLite file '{path}': {e}"));
        // A pool hands out a connection without pinging it first: a connection to a local file
        // does not go stale, and the ping would be one more trip to its thread per use.
        // The writer never checkpoints the write-ahead log itself: folding the log into a large
        // database file took milliseconds inside a commit, in front of everyone waiting to write.
        // A background connection does it instead (see `checkpoints`).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(cannot_open)?;
        sqlx::migrate!("migrations/sqlite")
            .run(&write)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating '{path}' failed: {e}")))?;
        let readers = std::thread::available_parallelism().map(|n| n.get() as u32 * 2).unwrap_or(4).max(4);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(cannot_open)?;
        // A connection of its own whose `PRAGMA data_version` changes on every commit made
        // through any other connection: this process's writer, or another process (the CLI).
        let watcher = sqlx::ConnectOptions::connect(&options).await.map_err(cannot_open)?;
        let checkpointer = sqlx::ConnectOptions::connect(&options).await.map_err(cannot_open)?;
        tokio::spawn(checkpoints(checkpointer, write.clone()));
        Ok(SqlStore::new(Pools::Sqlite { read, write }, Some(watcher)))
    }

    pub(crate) async fn sqlite_token(watcher: &tokio::sync::Mutex<sqlx::SqliteConnection>) -> StoreResult<String> {
        let mut conn = watcher.lock().await;
        let (v,): (i64,) = sqlx::query_as("PRAGMA data_version").fetch_one(&mut *conn).await.map_err(crate::backend)?;
        Ok(v.to_string())
    }
}

/// How often the write-ahead log is folded into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Folds the write-ahead log into the database file, off the writer's path: a passive
/// checkpoint never blocks a writer or a reader, and once it has caught up the next write
/// starts the log again from its beginning, so it stays small. Stops with the store.
async fn checkpoints(mut conn: sqlx::SqliteConnection, write: sqlx::SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if write.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
            tracing::warn!(error = %e, "could not checkpoint the SQLite write-ahead log; it grows until the next try");
        }
    }
}
