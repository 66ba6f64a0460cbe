//! PostgreSQL: for organisations that outgrow one machine. Several `quarterdeck serve`
//! processes share one database; nothing they need lives in process memory.

use quarterdeck_store::StoreError;
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;

pub struct PgStore {
    read: PgPool,
    write: PgPool,
    check_ins: crate::check_in_writer::CheckInQueue,
}

impl PgStore {
    /// Connects, optionally inside `schema` (created if missing; tests use one per test),
    /// and applies pending migrations.
    pub async fn open(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let shown = crate::mask_password(url);
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("'{shown}' is not a PostgreSQL URL: {e}")))?;
        if let Some(schema) = schema {
            if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(StoreError::Backend(format!(
                    "schema name '{schema}' may hold only letters, digits and '_'"
                )));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(|e| StoreError::Backend(format!("cannot connect to {shown}: {e}")))?;
            admin.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str()).await.map_err(crate::backend)?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to {shown}: {e}")))?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating {shown} failed: {e}")))?;
        let check_ins = Self::spawn_check_in_writer(pool.clone());
        Ok(PgStore { read: pool.clone(), write: pool, check_ins })
    }

    /// A counter that every server moves after each committed write. A sequence, so that
    /// concurrent writers never wait on each other for it.
    pub(crate) async fn token(&self) -> Result<String, StoreError> {
        let (value, called): (i64, bool) = sqlx::query_as("SELECT last_value, is_called FROM quarterdeck_writes")
            .fetch_one(&self.read)
            .await
            .map_err(crate::backend)?;
        Ok(format!("{value}.{called}"))
    }

    /// Moves the write counter, after the commit so that no reader can see the new token
    /// before the data it stands for. (If the process dies between the two, caches refresh
    /// at the next write.)
    pub(crate) async fn after_commit(&self) {
        Self::bump_counter(&self.write).await
    }

    pub(crate) async fn bump_counter(pool: &PgPool) {
        if let Err(e) = sqlx::query("SELECT nextval('quarterdeck_writes')").execute(pool).await {
            tracing::warn!(error = %e, "could not move the write counter; list caches may lag until the next write");
        }
    }
}

crate::imp::sql_store!(PgStore, sqlx::Postgres, sqlx::PgConnection, "postgres");
crate::kpi_imp::sql_kpi_store!(PgStore, sqlx::Postgres, sqlx::PgConnection);
crate::check_in_writer::sql_check_in_writer!(PgStore, sqlx::Postgres, sqlx::PgConnection, row_locks: true);
