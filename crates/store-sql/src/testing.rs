//! Fixtures for tests: every storage test runs on SQLite always and on PostgreSQL when
//! `QUARTERDECK_TEST_PG` names a server. `QUARTERDECK_REQUIRE_PG=1` (set by CI) turns a
//! missing PostgreSQL into a failure instead of a skip.

use crate::SqlStore;
use quarterdeck_store::Store;
use std::sync::Arc;

/// A store on a fresh SQLite file; keep the directory alive as long as the store.
pub async fn sqlite_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("test.db");
    let store = SqlStore::open_sqlite(path.to_str().expect("utf-8 temp path")).await.expect("open SQLite");
    (Arc::new(store), dir)
}

/// A store in a fresh PostgreSQL schema, or `None` (with a note) when no server is configured.
pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    match std::env::var("QUARTERDECK_TEST_PG") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
            let store =
                SqlStore::open_postgres(&url, Some(&schema)).await.expect("QUARTERDECK_TEST_PG is set but unusable");
            Some(Arc::new(store))
        }
        _ => {
            if std::env::var("QUARTERDECK_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("QUARTERDECK_REQUIRE_PG=1 but QUARTERDECK_TEST_PG is not set");
            }
            eprintln!("SKIPPED (PostgreSQL half): set QUARTERDECK_TEST_PG=postgres://… to run it");
            None
        }
    }
}

/// A store with no database behind it: a PostgreSQL pool that connects lazily to a port where
/// nothing listens. Handler tests that never reach storage (extraction, validation, error
/// mapping) run on it without a database; a request that does reach it gets "unavailable".
pub fn offline_store() -> Arc<dyn Store> {
    use sqlx::postgres::PgPoolOptions;
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://quarterdeck@127.0.0.1:1/offline")
        .expect("a lazy pool needs no server");
    Arc::new(SqlStore::new(crate::db::Pools::Pg(pool), None))
}

/// Expands each named `async fn(Arc<dyn Store>)` into a test on SQLite and one on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _dir) = $crate::testing::sqlite_store().await;
                super::$name(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(store) = $crate::testing::postgres_store().await {
                    super::$name(store).await;
                }
            })*
        }
    };
}
