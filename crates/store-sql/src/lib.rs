//! The [`Store`] on SQLite (embedded, the default) and PostgreSQL (several stateless servers
//! on one database): one implementation, one file per port, over the same SQL text. What
//! differs between the two databases lives in `db.rs` (pools, binding), `sqlite.rs` and
//! `postgres.rs` (connection set-up, change tokens).

mod accounts;
mod cycles;
pub(crate) mod db;
mod fused;
mod import;
mod journal;
mod kpi;
mod kpi_rows;
mod okr;
mod org;
pub mod postgres;
mod rows;
mod scores;
mod sources;
mod sql;
pub mod sqlite;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

use quarterdeck_store::{Store, StoreError, StoreResult};
use std::sync::Arc;

/// The store on either database.
pub struct SqlStore {
    pools: db::Pools,
    /// SQLite only: the connection whose `data_version` is the change token.
    watcher: Option<tokio::sync::Mutex<sqlx::SqliteConnection>>,
    check_ins: okr::check_ins::CheckInQueue,
}

impl SqlStore {
    pub(crate) fn new(pools: db::Pools, watcher: Option<sqlx::SqliteConnection>) -> SqlStore {
        let check_ins = okr::check_ins::spawn_writer(pools.clone());
        SqlStore { pools, watcher: watcher.map(tokio::sync::Mutex::new), check_ins }
    }
}

/// Where the data lives, parsed from `--db` / `QUARTERDECK_DB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A file path, or `:memory:`.
    Sqlite(String),
    Postgres(String),
}

impl DbUrl {
    /// Accepts `postgres://…`, `postgresql://…`, `sqlite://path`, `sqlite:path` or a plain path.
    pub fn parse(raw: &str) -> Result<DbUrl, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the database URL is empty; give a file path or a postgres:// URL".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("sqlite: URL without a file path".into());
            }
            return Ok(DbUrl::Sqlite(path.to_owned()));
        }
        if raw.contains("://") {
            return Err(format!(
                "unsupported database URL scheme in '{}': use a file path (SQLite) or postgres://",
                quarterdeck_redact::mask_url(raw)
            ));
        }
        Ok(DbUrl::Sqlite(raw.to_owned()))
    }

    /// For logs and messages: the password is never printed.
    pub fn display(&self) -> String {
        match self {
            DbUrl::Sqlite(path) => format!("sqlite:{path}"),
            DbUrl::Postgres(url) => quarterdeck_redact::mask_url(url),
        }
    }
}

/// Opens (and migrates) the store the URL names.
pub async fn open(url: &DbUrl) -> StoreResult<Arc<dyn Store>> {
    Ok(match url {
        DbUrl::Sqlite(path) => Arc::new(SqlStore::open_sqlite(path).await?),
        DbUrl::Postgres(url) => Arc::new(SqlStore::open_postgres(url, None).await?),
    })
}

pub(crate) trait DbResult<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(backend)
    }
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match &e {
        // The pool gave up waiting for a connection, or the server cannot be reached: the
        // database is down or saturated, which the caller answers with 503, not 500.
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(error = %e, "database unavailable");
            StoreError::Unavailable(e.to_string())
        }
        _ => {
            tracing::error!(error = %e, "database error");
            StoreError::Backend(e.to_string())
        }
    }
}

/// A unique-key violation becomes `Duplicate { field }`; anything else a backend error.
pub(crate) fn unique_or(e: sqlx::Error, field: &'static str, value: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate { field, value: value.to_owned() }
        }
        _ => backend(e),
    }
}

pub(crate) fn check_version(entity: &'static str, id: &str, current: i64, expected: i64) -> StoreResult<()> {
    if current == expected {
        Ok(())
    } else {
        Err(StoreError::Stale { entity, id: id.to_owned(), sent: expected, current_version: current })
    }
}

/// A conditional `UPDATE … WHERE version = $seen` that touched no row lost a race: another
/// writer committed a newer version between our read and our write.
pub(crate) fn applied(entity: &'static str, id: &str, rows: u64, seen: i64) -> StoreResult<()> {
    if rows > 0 {
        Ok(())
    } else {
        Err(StoreError::Stale { entity, id: id.to_owned(), sent: seen, current_version: seen + 1 })
    }
}

/// A record that must exist, or `NotFound` naming it.
pub(crate) fn found<T>(entity: &'static str, id: impl ToString, v: Option<T>) -> StoreResult<T> {
    v.ok_or_else(|| StoreError::NotFound { entity, id: id.to_string() })
}

/// An id given in an input that must name an existing record, or `UnknownReference`.
pub(crate) fn referenced<T>(
    field: &'static str,
    entity: &'static str,
    id: impl ToString,
    v: Option<T>,
) -> StoreResult<T> {
    v.ok_or_else(|| StoreError::UnknownReference { field, entity, id: id.to_string() })
}

/// One id column of one row (`sql` selects it by `$1`), read as its id type; `NotFound`
/// naming `entity` when there is no such row.
pub(crate) async fn id_column<T: std::str::FromStr>(
    pools: &db::Pools,
    entity: &'static str,
    sql: &'static str,
    id: impl db::IntoArg + ToString + Copy,
) -> StoreResult<T> {
    let mut r = pools.reader().await?;
    let row: Option<(String,)> = r.conn().fetch_optional(&db::q!(sql, id)).await?;
    let (value,) = found(entity, id, row)?;
    rows::word(entity, &value)
}

/// Time-ordered ids, so keyset pagination by id lists in creation order.
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(DbUrl::parse("quarterdeck.db"), Ok(DbUrl::Sqlite("quarterdeck.db".into())));
        assert_eq!(DbUrl::parse("sqlite://x/y.db"), Ok(DbUrl::Sqlite("x/y.db".into())));
        assert_eq!(DbUrl::parse("sqlite:y.db?mode=rwc"), Ok(DbUrl::Sqlite("y.db".into())));
        assert!(matches!(DbUrl::parse("postgres://u@h/db"), Ok(DbUrl::Postgres(_))));
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse(" ").is_err());
        // A password in a parameter is masked as well as one in the user part.
        assert_eq!(
            DbUrl::parse("postgres://h/db?user=u&password=s3cret").unwrap().display(),
            "postgres://h/db?user=u&password=***"
        );
        assert_eq!(DbUrl::parse("postgres://u:secret@h/db").unwrap().display(), "postgres://u:***@h/db");
    }
}
