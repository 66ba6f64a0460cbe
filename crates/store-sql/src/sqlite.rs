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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
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
        Ok(SqlStore::new(Pools::Sqlite { read, write }, Some(watcher)))
    }

    pub(crate) async fn sqlite_token(watcher: &tokio::sync::Mutex<sqlx::SqliteConnection>) -> StoreResult<String> {
        let mut conn = watcher.lock().await;
        let (v,): (i64,) = sqlx::query_as("PRAGMA data_version").fetch_one(&mut *conn).await.map_err(crate::backend)?;
        Ok(v.to_string())
    }
}
