//! Fixtures for tests: every storage test runs on SQLite always and on PostgreSQL when
//! `QUARTERDECK_TEST_PG` names a server. `QUARTERDECK_REQUIRE_PG=1` (set by CI) turns a
//! missing PostgreSQL into a failure instead of a skip.

use crate::SqlStore;
use quarterdeck_store::Store;
use std::sync::Arc;

/// A store on a fresh SQLite file; keep the directory alive as long as the store.
pub async fn sqlite_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let (store, dir) = sqlite_sql_store().await;
    (store, dir)
}

/// The same, as the concrete store (for [`full_scans`]).
pub async fn sqlite_sql_store() -> (Arc<SqlStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("test.db");
    let store = SqlStore::open_sqlite(path.to_str().expect("utf-8 temp path")).await.expect("open SQLite");
    (Arc::new(store), dir)
}

/// A store in a fresh PostgreSQL schema, or `None` (with a note) when no server is configured.
pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    postgres_sql_store().await.map(|s| s as Arc<dyn Store>)
}

/// The same, as the concrete store (for [`full_scans`]).
pub async fn postgres_sql_store() -> Option<Arc<SqlStore>> {
    let (url, schema) = postgres_schema()?;
    Some(Arc::new(SqlStore::open_postgres(&url, Some(&schema)).await.expect("QUARTERDECK_TEST_PG is set but unusable")))
}

/// The server's URL and the name of a fresh schema, or `None` (with a note) when no server
/// is configured.
fn postgres_schema() -> Option<(String, String)> {
    match std::env::var("QUARTERDECK_TEST_PG") {
        Ok(url) if !url.is_empty() => Some((url, format!("t_{}", uuid::Uuid::now_v7().simple()))),
        _ => {
            if std::env::var("QUARTERDECK_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("QUARTERDECK_REQUIRE_PG=1 but QUARTERDECK_TEST_PG is not set");
            }
            eprintln!("SKIPPED (PostgreSQL half): set QUARTERDECK_TEST_PG=postgres://… to run it");
            None
        }
    }
}

/// A "customer warehouse" on the PostgreSQL test server, for data-source tests: a database of
/// its own (created on first use), never the one Quarterdeck's test schemas live in, which a
/// source may not read. `None` (with a note) when no server is configured.
pub async fn postgres_warehouse_url() -> Option<String> {
    use sqlx::Connection;
    const NAME: &str = "quarterdeck_test_warehouse";
    let (url, _) = postgres_schema()?;
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(NAME)
        .fetch_optional(&mut admin)
        .await
        .expect("look the warehouse up");
    if exists.is_none() {
        // Another test may create it at the same moment: "already exists" is fine.
        if let Err(e) = sqlx::raw_sql(&format!("CREATE DATABASE {NAME}")).execute(&mut admin).await {
            assert!(e.to_string().contains("already exists"), "create the warehouse: {e}");
        }
    }
    admin.close().await.expect("close");
    let (server, query) = url.split_once('?').map_or((url.as_str(), None), |(s, q)| (s, Some(q)));
    let base = &server[..server.rfind('/').expect("a database in the URL")];
    Some(format!("{base}/{NAME}{}", query.map(|q| format!("?{q}")).unwrap_or_default()))
}

/// Two stores on one SQLite file, as two processes (a server and the CLI, two servers) would
/// open it; keep the directory alive as long as the stores.
pub async fn sqlite_store_pair() -> ([Arc<dyn Store>; 2], tempfile::TempDir) {
    let (first, dir) = sqlite_store().await;
    let path = dir.path().join("test.db");
    let second = SqlStore::open_sqlite(path.to_str().expect("utf-8 temp path")).await.expect("open SQLite again");
    ([first, Arc::new(second)], dir)
}

/// Two stores on one fresh PostgreSQL schema, as two servers behind a load balancer would
/// open it; `None` (with a note) when no server is configured.
pub async fn postgres_store_pair() -> Option<[Arc<dyn Store>; 2]> {
    let (url, schema) = postgres_schema()?;
    let first = SqlStore::open_postgres(&url, Some(&schema)).await.expect("QUARTERDECK_TEST_PG is set but unusable");
    let second = SqlStore::open_postgres(&url, Some(&schema)).await.expect("open the same schema again");
    Some([Arc::new(first), Arc::new(second)])
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

/// Starts recording every statement the stores of this process run (one test per process:
/// the recording is global).
pub fn record_statements() {
    crate::db::recording::start();
}

/// The plans of the statements recorded.
pub struct Plans {
    /// Distinct statements whose plans were read.
    pub checked: usize,
    /// "table: statement" for each whole-table read.
    pub scans: Vec<String>,
}

/// Stops recording, and asks the database for the plan of each distinct statement recorded:
/// every statement whose plan reads a whole table (other than `small`, tables that hold a
/// handful of rows whatever the organisation's size) comes back as "table: statement". On
/// PostgreSQL sequential scans are priced out first (`enable_seqscan = off`), so one that
/// remains has no index to use — on a test-sized table the planner would scan anyway.
pub async fn full_scans(store: &SqlStore, small: &[&str]) -> Plans {
    use crate::db::Pools;
    let statements = crate::db::recording::stop();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let tables: Vec<String> = match &store.pools {
        Pools::Sqlite { read, .. } => {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(read)
                .await
                .expect("tables");
            rows.into_iter().map(|(t,)| t).collect()
        }
        Pools::Pg(_) => Vec::new(),
    };
    let pg = matches!(store.pools, Pools::Pg(_));
    for q in statements {
        let text = q.render(pg).into_owned();
        let head = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        if !["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&head.as_str()) || !seen.insert(text.clone()) {
            continue;
        }
        let scanned: Vec<String> = match &store.pools {
            Pools::Sqlite { read, .. } => {
                let plan: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as_with(&format!("EXPLAIN QUERY PLAN {text}"), q.sqlite_args().expect("args"))
                        .fetch_all(read)
                        .await
                        .unwrap_or_else(|e| panic!("EXPLAIN {text}: {e}"));
                plan.into_iter()
                    .filter_map(|(_, _, _, detail)| {
                        detail.strip_prefix("SCAN ").and_then(|r| r.split_whitespace().next()).map(str::to_owned)
                    })
                    .filter(|t| tables.contains(t))
                    .collect()
            }
            Pools::Pg(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.expect("set");
                let plan: Vec<(String,)> = sqlx::query_as_with(&format!("EXPLAIN {text}"), q.pg_args().expect("args"))
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap_or_else(|e| panic!("EXPLAIN {text}: {e}"));
                plan.into_iter()
                    .filter_map(|(line,)| {
                        let at = line.find("Seq Scan on ")?;
                        line[at + "Seq Scan on ".len()..].split_whitespace().next().map(str::to_owned)
                    })
                    .collect()
            }
        };
        for table in scanned {
            if !small.contains(&table.as_str()) {
                out.push(format!("{table}: {text}"));
            }
        }
    }
    Plans { checked: seen.len(), scans: out }
}
