//! PostgreSQL: for organisations that outgrow one machine. Several `quarterdeck serve`
//! processes share one database; nothing they need lives in process memory.

use crate::SqlStore;
use crate::db::Pools;
use quarterdeck_store::{StoreError, StoreResult};
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// How long a request waits for a connection before it is told the database is unavailable
/// (503): a few seconds, not the pool's default 30, so an outage fails fast.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl SqlStore {
    /// Connects, optionally inside `schema` (created if missing; tests use one per test),
    /// and applies pending migrations.
    pub async fn open_postgres(url: &str, schema: Option<&str>) -> StoreResult<SqlStore> {
        let shown = quarterdeck_redact::mask_url(url);
        let mut options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Backend(format!(
                "'{shown}' is not a PostgreSQL URL: {}",
                quarterdeck_redact::scrub(&e.to_string(), url)
            ))
        })?;
        if let Some(schema) = schema {
            if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(StoreError::Backend(format!(
                    "schema name '{schema}' may hold only letters, digits and '_'"
                )));
            }
            let admin = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await.map_err(|e| {
                StoreError::Backend(format!(
                    "cannot connect to {shown}: {}",
                    quarterdeck_redact::scrub(&e.to_string(), url)
                ))
            })?;
            admin.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str()).await.map_err(crate::backend)?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Backend(format!(
                    "cannot connect to {shown}: {}",
                    quarterdeck_redact::scrub(&e.to_string(), url)
                ))
            })?;
        sqlx::migrate!("migrations/postgres").run(&pool).await.map_err(|e| {
            StoreError::Backend(format!("migrating {shown} failed: {}", quarterdeck_redact::scrub(&e.to_string(), url)))
        })?;
        Ok(SqlStore::new(Pools::Pg(pool), None))
    }

    /// A counter that every server moves after each committed write. A sequence, so that
    /// concurrent writers never wait on each other for it.
    pub(crate) async fn pg_token(pool: &PgPool) -> StoreResult<String> {
        let (value, called): (i64, bool) = sqlx::query_as("SELECT last_value, is_called FROM quarterdeck_writes")
            .fetch_one(pool)
            .await
            .map_err(crate::backend)?;
        Ok(format!("{value}.{called}"))
    }
}
