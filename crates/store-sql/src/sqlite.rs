//! SQLite: the zero-set-up default. WAL so readers never wait for the writer, and exactly
//! one writer connection so write transactions queue instead of failing with SQLITE_BUSY.

use quarterdeck_store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    /// A connection of its own whose `PRAGMA data_version` changes on every commit made
    /// through any other connection: this process's writer, or another process (the CLI).
    watcher: tokio::sync::Mutex<sqlx::SqliteConnection>,
    check_ins: crate::check_in_writer::CheckInQueue,
}

impl SqliteStore {
    /// Opens the file at `path` (created if missing) and applies pending migrations.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
            .map_err(|e| StoreError::Backend(format!("cannot use '{path}' as an SQLite file: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-32000");
        let options_for_watch = options.clone();
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open SQLite file '{path}': {e}")))?;
        sqlx::migrate!("migrations/sqlite")
            .run(&write)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating '{path}' failed: {e}")))?;
        let readers = std::thread::available_parallelism().map(|n| n.get() as u32 * 2).unwrap_or(4).max(4);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open SQLite file '{path}': {e}")))?;
        let watcher = sqlx::ConnectOptions::connect(&options_for_watch)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open SQLite file '{path}': {e}")))?;
        let check_ins = Self::spawn_check_in_writer(write.clone());
        Ok(SqliteStore { read, write, watcher: tokio::sync::Mutex::new(watcher), check_ins })
    }

    /// Nothing to do: `PRAGMA data_version` already moves with every commit.
    pub(crate) async fn after_commit(&self) {}

    pub(crate) async fn bump_counter(_: &SqlitePool) {}

    pub(crate) async fn token(&self) -> Result<String, StoreError> {
        let mut conn = self.watcher.lock().await;
        let (v,): (i64,) = sqlx::query_as("PRAGMA data_version").fetch_one(&mut *conn).await.map_err(crate::backend)?;
        Ok(v.to_string())
    }
}

crate::imp::sql_store!(SqliteStore, sqlx::Sqlite, sqlx::SqliteConnection, "sqlite");
crate::kpi_imp::sql_kpi_store!(SqliteStore, sqlx::Sqlite, sqlx::SqliteConnection);
crate::check_in_writer::sql_check_in_writer!(SqliteStore, sqlx::Sqlite, sqlx::SqliteConnection, row_locks: false);
