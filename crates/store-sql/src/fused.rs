//! A write transaction that reads, decides in Rust, then writes, in as few trips to the
//! database as its statements allow. On SQLite every statement is a trip to the connection's
//! own thread — under load each costs more than the statement itself — so BEGIN travels with
//! the first reads, and the writes travel with COMMIT: two trips for the whole transaction.
//! On PostgreSQL it is an ordinary transaction, one statement after another.

use crate::backend;
use crate::db::{Conn, Pools, Row, Sql, recording};
use futures_util::TryStreamExt;
use quarterdeck_store::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Either, Executor, Postgres, Sqlite};

pub(crate) enum FusedTx {
    Sqlite(Writer),
    Pg(sqlx::Transaction<'static, Postgres>),
}

/// The rows one statement returned.
pub(crate) enum RowSet {
    Sqlite(Vec<SqliteRow>),
    Pg(Vec<PgRow>),
}

impl RowSet {
    pub(crate) fn decode<R: Row>(&self) -> StoreResult<Vec<R>> {
        match self {
            RowSet::Sqlite(rows) => rows.iter().map(|r| R::from_row(r).map_err(backend)).collect(),
            RowSet::Pg(rows) => rows.iter().map(|r| R::from_row(r).map_err(backend)).collect(),
        }
    }
}

/// SQLite's one writer connection; `open` from BEGIN to COMMIT or ROLLBACK. Dropped while
/// open (an early return, a panic), the connection is closed instead of going back to the
/// pool half-way through a transaction: closing it rolls the transaction back.
pub(crate) struct Writer {
    conn: PoolConnection<Sqlite>,
    open: bool,
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

fn unjoinable() -> StoreError {
    StoreError::Backend("statements with numbered placeholders cannot travel together".into())
}

impl FusedTx {
    pub(crate) async fn begin(pools: &Pools) -> StoreResult<FusedTx> {
        match pools {
            Pools::Sqlite { write, .. } => {
                Ok(FusedTx::Sqlite(Writer { conn: write.acquire().await.map_err(backend)?, open: false }))
            }
            Pools::Pg(pool) => Ok(FusedTx::Pg(pool.begin().await.map_err(backend)?)),
        }
    }

    pub(crate) fn is_pg(&self) -> bool {
        matches!(self, FusedTx::Pg(_))
    }

    /// The connection, for a step that only one database needs (PostgreSQL's row locks).
    /// On SQLite, statements sent through it before the first `read` run outside the transaction.
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            FusedTx::Sqlite(w) => Conn::Sqlite(&mut w.conn),
            FusedTx::Pg(t) => Conn::Pg(&mut *t),
        }
    }

    /// Runs the statements and returns each one's rows. On SQLite the first call sends
    /// `BEGIN IMMEDIATE` with them: the write lock is taken before anything is read, so what
    /// is read cannot change before the writes (another process's writer waits).
    pub(crate) async fn read(&mut self, parts: &[Sql]) -> StoreResult<Vec<RowSet>> {
        match self {
            FusedTx::Sqlite(Writer { conn, open }) => {
                parts.iter().for_each(recording::note);
                if !Sql::joinable(parts) {
                    return Err(unjoinable());
                }
                let begin = !*open;
                let mut all = Vec::with_capacity(parts.len() + 1);
                if begin {
                    all.push(Sql::new("BEGIN IMMEDIATE"));
                    // Set before sending: if anything fails from here, `rollback` is tried.
                    *open = true;
                }
                all.extend(parts.iter().cloned());
                let text = Sql::joined(&all);
                let mut sets: Vec<Vec<SqliteRow>> = vec![Vec::new()];
                let rendered = text.render(false);
                let mut steps = conn.fetch_many(sqlx::query_with(&rendered, text.sqlite_args()?));
                // Each statement's rows, then its result: the result closes its set.
                while let Some(step) = steps.try_next().await.map_err(backend)? {
                    match step {
                        Either::Left(_) => sets.push(Vec::new()),
                        Either::Right(row) => sets.last_mut().expect("a set is open").push(row),
                    }
                }
                drop(steps);
                sets.pop();
                if sets.len() != all.len() {
                    return Err(StoreError::Backend(format!("{} statements sent, {} answered", all.len(), sets.len())));
                }
                Ok(sets.into_iter().skip(usize::from(begin)).map(RowSet::Sqlite).collect())
            }
            FusedTx::Pg(t) => {
                let mut out = Vec::with_capacity(parts.len());
                for p in parts {
                    recording::note(p);
                    let rows =
                        sqlx::query_with(&p.render(true), p.pg_args()?).fetch_all(&mut **t).await.map_err(backend)?;
                    out.push(RowSet::Pg(rows));
                }
                Ok(out)
            }
        }
    }

    /// Runs the writes and commits; on SQLite, in one trip. On failure nothing is kept.
    pub(crate) async fn commit_with(self, writes: &[Sql]) -> StoreResult<()> {
        match self {
            FusedTx::Sqlite(mut w) => {
                writes.iter().for_each(recording::note);
                if !Sql::joinable(writes) {
                    return Err(unjoinable());
                }
                let mut all = Vec::with_capacity(writes.len() + 2);
                if !w.open {
                    all.push(Sql::new("BEGIN IMMEDIATE"));
                }
                all.extend(writes.iter().cloned());
                all.push(Sql::new("COMMIT"));
                let text = Sql::joined(&all);
                w.open = true;
                let done = w.conn.execute(sqlx::query_with(&text.render(false), text.sqlite_args()?)).await;
                if let Err(e) = done {
                    w.rollback().await;
                    return Err(backend(e));
                }
                w.open = false;
                Ok(())
            }
            FusedTx::Pg(mut t) => {
                for w in writes {
                    recording::note(w);
                    sqlx::query_with(&w.render(true), w.pg_args()?).execute(&mut *t).await.map_err(backend)?;
                }
                t.commit().await.map_err(backend)
            }
        }
    }

    /// Gives up the transaction; nothing it wrote is kept.
    pub(crate) async fn rollback(self) {
        match self {
            FusedTx::Sqlite(mut w) => w.rollback().await,
            FusedTx::Pg(t) => {
                if let Err(e) = t.rollback().await {
                    tracing::warn!(error = %e, "rolling back failed; the connection is dropped");
                }
            }
        }
    }
}

impl Writer {
    /// Rolls back. If even that fails, the connection stays marked open and is closed on drop.
    async fn rollback(&mut self) {
        if !self.open {
            return;
        }
        match self.conn.execute("ROLLBACK").await {
            Ok(_) => self.open = false,
            // A failed BEGIN or a failed COMMIT that SQLite already rolled back.
            Err(e) if e.to_string().contains("no transaction is active") => self.open = false,
            Err(e) => tracing::warn!(error = %e, "rolling back failed; the writer connection is closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqlStore;

    /// A fresh store on SQLite and, when configured, one on PostgreSQL.
    async fn stores() -> Vec<(SqlStore, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fused.db");
        let mut out = vec![(SqlStore::open_sqlite(path.to_str().unwrap()).await.expect("sqlite"), Some(dir))];
        if let Ok(url) = std::env::var("QUARTERDECK_TEST_PG")
            && !url.is_empty()
        {
            let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
            out.push((SqlStore::open_postgres(&url, Some(&schema)).await.expect("postgres"), None));
        }
        out
    }

    fn setting(name: &str) -> Sql {
        let mut s = Sql::new("INSERT INTO settings (name, value, version)");
        s.values(&[name], |t, n| {
            t.bind(*n).bind("v").raw("1");
        });
        s
    }

    fn names() -> Sql {
        Sql::new("SELECT name FROM settings WHERE name LIKE 'fused-%' ORDER BY name")
    }

    /// A transaction begun (on SQLite: BEGIN sent with its first read).
    async fn begun(pools: &Pools) -> FusedTx {
        let mut tx = FusedTx::begin(pools).await.expect("begin");
        tx.read(&[names()]).await.expect("read");
        tx
    }

    async fn stored(pools: &Pools) -> Vec<String> {
        let mut r = pools.reader().await.expect("reader");
        let rows: Vec<(String,)> = r.conn().fetch_all(&names()).await.expect("names");
        rows.into_iter().map(|(n,)| n).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_statement_answers_with_its_own_rows() {
        for (store, _dir) in stores().await {
            let pools = &store.pools;
            let mut tx = FusedTx::begin(pools).await.expect("begin");
            let mut two = Sql::new("SELECT ");
            two.bind(2i64).push(" AS n UNION ALL SELECT ").bind(3i64);
            let sets = tx
                .read(&[
                    Sql::new("SELECT CAST(1 AS BIGINT) AS n"),
                    Sql::new("SELECT CAST(1 AS BIGINT) AS n WHERE 1 = 0"),
                    two,
                    names(),
                ])
                .await
                .expect("read");
            let got: Vec<Vec<(i64,)>> = sets[..3].iter().map(|s| s.decode().expect("decode")).collect();
            assert_eq!(got, vec![vec![(1,)], vec![], vec![(2,), (3,)]], "{}", pools.backend());
            assert!(sets[3].decode::<(String,)>().unwrap().is_empty());
            tx.commit_with(&[setting("fused-a"), setting("fused-b")]).await.expect("commit");
            assert_eq!(stored(pools).await, ["fused-a", "fused-b"], "{}", pools.backend());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_keeps_nothing_and_the_next_transaction_works() {
        for (store, _dir) in stores().await {
            let pools = &store.pools;
            let tx = begun(pools).await;
            // The second insert breaks the primary key: the first must not survive either.
            let failed = tx.commit_with(&[setting("fused-a"), setting("fused-a")]).await;
            assert!(failed.is_err(), "{}", pools.backend());
            assert!(stored(pools).await.is_empty(), "{}", pools.backend());
            let tx = begun(pools).await;
            tx.commit_with(&[setting("fused-c")]).await.expect("a later transaction commits");
            assert_eq!(stored(pools).await, ["fused-c"], "{}", pools.backend());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_dropped_half_way_leaves_nothing_open() {
        for (store, _dir) in stores().await {
            let pools = &store.pools;
            let mut tx = begun(pools).await;
            tx.conn().execute(&setting("fused-dropped")).await.expect("write inside");
            drop(tx);
            // The writer connection is usable (not left inside the dropped transaction), and
            // what the dropped transaction wrote is gone.
            let tx = begun(pools).await;
            tx.commit_with(&[setting("fused-kept")]).await.expect("commit after a drop");
            assert_eq!(stored(pools).await, ["fused-kept"], "{}", pools.backend());
            // Rolled back on purpose: the same.
            let mut tx = begun(pools).await;
            tx.conn().execute(&setting("fused-rolled-back")).await.expect("write inside");
            tx.rollback().await;
            assert_eq!(stored(pools).await, ["fused-kept"], "{}", pools.backend());
        }
    }

    /// The plan check (`testing::full_scans`) reports a read of a whole table, and not an
    /// indexed lookup: a check that cannot fail would prove nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_plan_check_sees_a_full_scan() {
        for (store, _dir) in stores().await {
            crate::testing::record_statements();
            let mut r = store.pools.reader().await.expect("reader");
            let mut by_title = Sql::new("SELECT id FROM key_results WHERE title = ");
            by_title.bind("x");
            let mut by_id = Sql::new("SELECT id FROM key_results WHERE id = ");
            by_id.bind("x");
            let _: Vec<(String,)> = r.conn().fetch_all(&by_title).await.expect("by title");
            let _: Vec<(String,)> = r.conn().fetch_all(&by_id).await.expect("by id");
            drop(r);
            let plans = crate::testing::full_scans(&store, &["settings"]).await;
            let key_results: Vec<&String> = plans.scans.iter().filter(|s| s.starts_with("key_results:")).collect();
            assert_eq!(key_results.len(), 1, "{}: {:?}", store.pools.backend(), plans.scans);
            assert!(key_results[0].contains("title"), "{key_results:?}");
        }
    }
}
