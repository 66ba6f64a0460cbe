//! The composed [`Store`]: what is not one aggregate's (backend, health, change token).

use crate::SqlStore;
use crate::db::{Pools, Sql};
use async_trait::async_trait;
use quarterdeck_store::snapshot::{ImportCounts, Snapshot};
use quarterdeck_store::{Ctx, Store, StoreResult};

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.pools.backend()
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut r = self.pools.reader().await?;
        let _: (i64,) = r.conn().fetch_one(&Sql::new("SELECT CAST(1 AS BIGINT)")).await?;
        Ok(())
    }

    async fn change_token(&self) -> StoreResult<String> {
        match (&self.pools, &self.watcher) {
            (Pools::Sqlite { .. }, Some(w)) => SqlStore::sqlite_token(w).await,
            (Pools::Pg(pool), _) => SqlStore::pg_token(pool).await,
            (Pools::Sqlite { .. }, None) => unreachable!("an SQLite store always has its watcher"),
        }
    }

    async fn import(&self, ctx: &Ctx, snapshot: Snapshot) -> StoreResult<ImportCounts> {
        crate::import::import(&self.pools, ctx, snapshot).await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let mut r = self.pools.reader().await?;
        let (n,): (i64,) = r.conn().fetch_one(&Sql::new("SELECT COUNT(*) FROM units")).await?;
        Ok(n == 0)
    }
}

/// Fails with `UnknownReference` when an id given in an input names no row of `table`.
pub(crate) async fn require_ref(
    c: &mut crate::db::Conn<'_>,
    table: &'static str,
    entity: &'static str,
    field: &'static str,
    id: Option<String>,
) -> StoreResult<()> {
    let Some(id) = id else { return Ok(()) };
    let (n,): (i64,) = c.fetch_one(&crate::db::q!(format!("SELECT COUNT(*) FROM {table} WHERE id = $1"), &id)).await?;
    if n == 0 { Err(quarterdeck_store::StoreError::UnknownReference { field, entity, id }) } else { Ok(()) }
}
