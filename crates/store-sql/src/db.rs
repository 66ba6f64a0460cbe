//! The one place where SQLite and PostgreSQL differ in code: pools, connections and binding.
//! Everything else in this crate builds an [`Sql`] (text with `$n` placeholders, which both
//! databases accept, and its arguments) and runs it through a [`Conn`], written once.

use crate::{DbResult, backend};
use quarterdeck_store::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

/// A bound value. Ids, timestamps (microseconds) and dates (ISO text) are stored the same
/// way in both databases, so these few types carry everything.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
}

pub(crate) trait IntoArg {
    fn into_arg(self) -> Arg;
}

macro_rules! args_from {
    ($variant:ident: $($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl IntoArg for $t {
            fn into_arg(self) -> Arg {
                let $v = self;
                Arg::$variant(Some($e))
            }
        }
        impl IntoArg for Option<$t> {
            fn into_arg(self) -> Arg {
                Arg::$variant(self.map(|$v| $e))
            }
        }
    )*};
}

args_from!(Text: String => |v| v, &str => |v| v.to_owned(), &String => |v| v.clone());
args_from!(Int: i64 => |v| v, usize => |v| v as i64, u32 => |v| v as i64);
args_from!(Real: f64 => |v| v);
args_from!(Bool: bool => |v| v);

/// Ids bind as their text.
macro_rules! id_args {
    ($($t:ty),*) => {$(
        args_from!(Text: $t => |v| v.to_string());
    )*};
}
use quarterdeck_domain::ids::*;
id_args!(
    UnitId,
    PersonId,
    CycleId,
    ObjectiveId,
    KeyResultId,
    CheckInId,
    InitiativeId,
    AlignmentId,
    KpiId,
    KpiEdgeId,
    KraId,
    DataSourceId,
    GuardrailLinkId,
    UserId,
    TokenId,
    SessionId
);

/// SQL text and its arguments. `arg` only adds a value, for text that numbers its
/// placeholders itself (`$1`); `bind` appends a placeholder that renders as `$n` on
/// PostgreSQL and as a plain `?` on SQLite — SQLite looks numbered or named parameters up by
/// scanning a list, once per parameter, which makes a 5,000-value insert quadratic.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

/// `q!("SELECT … WHERE id = $1", id)`: a statement and its arguments.
macro_rules! q {
    ($text:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::Sql::new($text)$(.arg($arg))*
    };
}
pub(crate) use q;

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), args: Vec::new() }
    }

    pub(crate) fn arg(mut self, v: impl IntoArg) -> Sql {
        self.args.push(v.into_arg());
        self
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, v: impl IntoArg) -> &mut Sql {
        use std::fmt::Write as _;
        self.args.push(v.into_arg());
        let _ = write!(self.text, "{MARK}{}{MARK}", self.args.len());
        self
    }

    /// `$a, $b, $c` for the items (an `IN (…)` list).
    pub(crate) fn list<T: IntoArg>(&mut self, items: impl IntoIterator<Item = T>) -> &mut Sql {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(item);
        }
        self
    }

    /// ` VALUES (…), (…)`: one tuple per row, each filled by `row`.
    pub(crate) fn values<T>(&mut self, rows: &[T], mut row: impl FnMut(&mut Tuple<'_>, &T)) -> &mut Sql {
        self.text.push_str(" VALUES ");
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.text.push('(');
            let mut tuple = Tuple { sql: self, first: true };
            row(&mut tuple, r);
            self.text.push(')');
        }
        self
    }

    /// The text as one database reads it: the bound placeholders as `$n` (PostgreSQL) or `?`
    /// (SQLite). Bound placeholders come in the order of their values, so `?` is positional.
    pub(crate) fn render(&self, pg: bool) -> std::borrow::Cow<'_, str> {
        if !self.text.contains(MARK) {
            return std::borrow::Cow::Borrowed(&self.text);
        }
        let mut out = String::with_capacity(self.text.len());
        for (i, part) in self.text.split(MARK).enumerate() {
            match (i % 2, pg) {
                (0, _) => out.push_str(part),
                (_, true) => {
                    out.push('$');
                    out.push_str(part);
                }
                (_, false) => out.push('?'),
            }
        }
        std::borrow::Cow::Owned(out)
    }

    #[cfg(test)]
    fn text(&self) -> String {
        self.render(true).into_owned()
    }

    /// Whether these statements can travel as one text: every placeholder is bound (`bind`,
    /// `values`, `list`), so SQLite's positional `?`s continue from one statement to the next.
    pub(crate) fn joinable(parts: &[Sql]) -> bool {
        parts.iter().all(|p| p.args.is_empty() || p.text.contains(MARK))
    }

    /// The statements as one SQLite text, separated by `;`, with all their arguments.
    pub(crate) fn joined(parts: &[Sql]) -> Sql {
        let text: Vec<String> = parts.iter().map(|p| p.render(false).into_owned()).collect();
        Sql { text: text.join(";\n"), args: parts.iter().flat_map(|p| p.args.clone()).collect() }
    }

    /// The arguments, borrowed: SQLite copies each text as it binds it, so a copy here
    /// would be a second one (a 1,000-row insert binds thousands of texts).
    pub(crate) fn sqlite_args(&self) -> StoreResult<SqliteArguments<'_>> {
        let mut out = SqliteArguments::default();
        for a in &self.args {
            let added = match a {
                Arg::Text(v) => out.add(v.as_deref()),
                Arg::Int(v) => out.add(*v),
                Arg::Real(v) => out.add(*v),
                Arg::Bool(v) => out.add(*v),
            };
            added.map_err(|e| StoreError::Backend(format!("binding an argument: {e}")))?;
        }
        Ok(out)
    }

    pub(crate) fn pg_args(&self) -> StoreResult<PgArguments> {
        let mut out = PgArguments::default();
        for a in &self.args {
            let added = match a.clone() {
                Arg::Text(v) => out.add(v),
                Arg::Int(v) => out.add(v),
                Arg::Real(v) => out.add(v),
                Arg::Bool(v) => out.add(v),
            };
            added.map_err(|e| StoreError::Backend(format!("binding an argument: {e}")))?;
        }
        Ok(out)
    }
}

/// Test builds: the statements run while a recording is on, so a test can check their plans
/// (see `testing::full_scans`). Without the `testing` feature, nothing is kept.
pub(crate) mod recording {
    use super::Sql;
    #[cfg(feature = "testing")]
    use std::sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    };

    #[cfg(feature = "testing")]
    static ON: AtomicBool = AtomicBool::new(false);
    #[cfg(feature = "testing")]
    static LOG: Mutex<Vec<Sql>> = Mutex::new(Vec::new());

    #[cfg(feature = "testing")]
    pub(crate) fn note(q: &Sql) {
        if ON.load(Ordering::Relaxed) {
            LOG.lock().expect("recording").push(q.clone());
        }
    }

    #[cfg(not(feature = "testing"))]
    pub(crate) fn note(_: &Sql) {}

    #[cfg(feature = "testing")]
    pub(crate) fn start() {
        LOG.lock().expect("recording").clear();
        ON.store(true, Ordering::Relaxed);
    }

    #[cfg(feature = "testing")]
    pub(crate) fn stop() -> Vec<Sql> {
        ON.store(false, Ordering::Relaxed);
        std::mem::take(&mut *LOG.lock().expect("recording"))
    }
}

/// Marks a bound placeholder in the text until it is rendered for a database.
const MARK: char = '\u{1}';

/// One row of `COPY`'s text format: values separated by tabs, `\N` for NULL, backslash,
/// tab and line ends escaped.
fn copy_line(out: &mut String, args: &[Arg]) {
    use std::fmt::Write as _;
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        let _ = match a {
            Arg::Text(Some(v)) => {
                for ch in v.chars() {
                    match ch {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
                Ok(())
            }
            Arg::Int(Some(v)) => write!(out, "{v}"),
            // Display gives the shortest text that reads back as the same number.
            Arg::Real(Some(v)) => write!(out, "{v}"),
            Arg::Bool(Some(v)) => write!(out, "{}", if *v { "t" } else { "f" }),
            Arg::Text(None) | Arg::Int(None) | Arg::Real(None) | Arg::Bool(None) => {
                out.push_str("\\N");
                Ok(())
            }
        };
    }
    out.push('\n');
}

/// One `(…)` of a multi-row `VALUES`.
pub(crate) struct Tuple<'a> {
    sql: &'a mut Sql,
    first: bool,
}

impl Tuple<'_> {
    pub(crate) fn bind(&mut self, v: impl IntoArg) -> &mut Self {
        if !self.first {
            self.sql.text.push_str(", ");
        }
        self.first = false;
        self.sql.bind(v);
        self
    }

    /// Literal SQL in the tuple (a constant like `'active'`).
    pub(crate) fn raw(&mut self, text: &str) -> &mut Self {
        if !self.first {
            self.sql.text.push_str(", ");
        }
        self.first = false;
        self.sql.text.push_str(text);
        self
    }
}

/// A row type both databases can produce.
pub(crate) trait Row:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

/// A connection of either database, inside a transaction or not.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

/// Rows per multi-row statement on SQLite, under its bind limit.
const MAX_BINDS: usize = 30_000;

/// Bytes per message of a `COPY` stream.
const COPY_CHUNK: usize = 1 << 20;

impl Conn<'_> {
    /// Inserts new rows (none may exist yet: nothing is replaced) in bulk: `COPY … FROM
    /// STDIN` on PostgreSQL — a stream, with no statement to parse and plan per thousand
    /// rows — and multi-row `INSERT`s under the bind limit on SQLite.
    pub(crate) async fn insert_rows<T>(
        &mut self,
        table: &str,
        columns: &str,
        rows: &[T],
        mut row: impl FnMut(&mut Tuple<'_>, &T),
    ) -> StoreResult<()> {
        let width = columns.split(',').count();
        let head = format!("INSERT INTO {table} ({columns})");
        match self {
            Conn::Sqlite(_) => {
                for chunk in rows.chunks((MAX_BINDS / width).max(1)) {
                    let mut s = Sql::new(head.as_str());
                    s.values(chunk, &mut row);
                    self.execute(&s).await?;
                }
                Ok(())
            }
            Conn::Pg(c) => {
                if rows.is_empty() {
                    return Ok(());
                }
                let mut copy = c.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN")).await.db()?;
                let mut buf = String::with_capacity(COPY_CHUNK + 4096);
                let mut args = Sql::new(head.as_str());
                for r in rows {
                    args.args.clear();
                    args.text.clear();
                    row(&mut Tuple { sql: &mut args, first: true }, r);
                    if args.args.len() != width {
                        return Err(StoreError::Backend(format!(
                            "a row for {table} has {} values for {width} columns",
                            args.args.len()
                        )));
                    }
                    copy_line(&mut buf, &args.args);
                    if buf.len() >= COPY_CHUNK {
                        copy.send(buf.as_bytes()).await.db()?;
                        buf.clear();
                    }
                }
                if !buf.is_empty() {
                    copy.send(buf.as_bytes()).await.db()?;
                }
                copy.finish().await.db()?;
                Ok(())
            }
        }
    }

    pub(crate) fn is_pg(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    /// Runs a statement; the number of rows it touched.
    pub(crate) async fn execute(&mut self, q: &Sql) -> StoreResult<u64> {
        recording::note(q);
        match self {
            Conn::Sqlite(c) => {
                Ok(sqlx::query_with(&q.render(false), q.sqlite_args()?).execute(&mut **c).await.db()?.rows_affected())
            }
            Conn::Pg(c) => {
                Ok(sqlx::query_with(&q.render(true), q.pg_args()?).execute(&mut **c).await.db()?.rows_affected())
            }
        }
    }

    /// Runs several statements in order. On SQLite they go to the database in one call (one
    /// trip to its connection thread instead of one per statement); statements whose
    /// placeholders are all bound (`bind`, `values`, `list`) continue each other's `?`s.
    pub(crate) async fn execute_all(&mut self, parts: &[Sql]) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) if parts.len() > 1 && Sql::joinable(parts) => {
                parts.iter().for_each(recording::note);
                let all = Sql::joined(parts);
                sqlx::query_with(&all.text, all.sqlite_args()?).execute(&mut **c).await.db()?;
                Ok(())
            }
            _ => {
                for p in parts {
                    self.execute(p).await?;
                }
                Ok(())
            }
        }
    }

    /// A statement that may violate a unique key, named `field` with `value` when it does.
    pub(crate) async fn execute_unique(&mut self, q: &Sql, field: &'static str, value: &str) -> StoreResult<u64> {
        recording::note(q);
        let done = match self {
            Conn::Sqlite(c) => {
                sqlx::query_with(&q.render(false), q.sqlite_args()?).execute(&mut **c).await.map(|r| r.rows_affected())
            }
            Conn::Pg(c) => {
                sqlx::query_with(&q.render(true), q.pg_args()?).execute(&mut **c).await.map(|r| r.rows_affected())
            }
        };
        done.map_err(|e| crate::unique_or(e, field, value))
    }

    pub(crate) async fn fetch_all<R: Row>(&mut self, q: &Sql) -> StoreResult<Vec<R>> {
        recording::note(q);
        match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with::<_, R, _>(&q.render(false), q.sqlite_args()?).fetch_all(&mut **c).await.db()
            }
            Conn::Pg(c) => sqlx::query_as_with::<_, R, _>(&q.render(true), q.pg_args()?).fetch_all(&mut **c).await.db(),
        }
    }

    pub(crate) async fn fetch_optional<R: Row>(&mut self, q: &Sql) -> StoreResult<Option<R>> {
        recording::note(q);
        match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with::<_, R, _>(&q.render(false), q.sqlite_args()?).fetch_optional(&mut **c).await.db()
            }
            Conn::Pg(c) => {
                sqlx::query_as_with::<_, R, _>(&q.render(true), q.pg_args()?).fetch_optional(&mut **c).await.db()
            }
        }
    }

    pub(crate) async fn fetch_one<R: Row>(&mut self, q: &Sql) -> StoreResult<R> {
        recording::note(q);
        match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with::<_, R, _>(&q.render(false), q.sqlite_args()?).fetch_one(&mut **c).await.db()
            }
            Conn::Pg(c) => sqlx::query_as_with::<_, R, _>(&q.render(true), q.pg_args()?).fetch_one(&mut **c).await.db(),
        }
    }
}

/// A write transaction of either database.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(&mut *t),
            Tx::Pg(t) => Conn::Pg(&mut *t),
        }
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await.db(),
            Tx::Pg(t) => t.commit().await.db(),
        }
    }
}

/// A pooled connection for reads.
pub(crate) enum Reader {
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Reader {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Reader::Sqlite(c) => Conn::Sqlite(&mut *c),
            Reader::Pg(c) => Conn::Pg(&mut *c),
        }
    }
}

/// The pools. SQLite: many readers and exactly one writer connection, so write transactions
/// queue instead of failing with SQLITE_BUSY. PostgreSQL: one pool.
#[derive(Clone)]
pub(crate) enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg(PgPool),
}

impl Pools {
    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Pools::Sqlite { .. } => "sqlite",
            Pools::Pg(_) => "postgres",
        }
    }

    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        match self {
            Pools::Sqlite { write, .. } => Ok(Tx::Sqlite(write.begin().await.map_err(backend)?)),
            Pools::Pg(pool) => Ok(Tx::Pg(pool.begin().await.map_err(backend)?)),
        }
    }

    pub(crate) async fn reader(&self) -> StoreResult<Reader> {
        match self {
            Pools::Sqlite { read, .. } => Ok(Reader::Sqlite(read.acquire().await.map_err(backend)?)),
            Pools::Pg(pool) => Ok(Reader::Pg(pool.acquire().await.map_err(backend)?)),
        }
    }

    /// Moves PostgreSQL's write counter after a commit (see [`crate::SqlStore::change_token`]),
    /// so that no reader sees the new token before the data it stands for. SQLite's
    /// `data_version` moves by itself.
    pub(crate) async fn after_commit(&self) {
        if let Pools::Pg(pool) = self
            && let Err(e) = sqlx::query("SELECT nextval('quarterdeck_writes')").execute(pool).await
        {
            tracing::warn!(error = %e, "could not move the write counter; list caches may lag until the next write");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut s = Sql::new("SELECT 1 FROM t WHERE a = ");
        s.bind("x").push(" AND b IN (").list([1i64, 2, 3]).push(")");
        assert_eq!(s.text(), "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3, $4)");
        let mut v = Sql::new("INSERT INTO t (a, b)");
        v.values(&[(1i64, "x"), (2, "y")], |t, (a, b)| {
            t.bind(*a).bind(*b).raw("'k'");
        });
        assert_eq!(v.text(), "INSERT INTO t (a, b) VALUES ($1, $2, 'k'), ($3, $4, 'k')");
        assert_eq!(q!("SELECT $1, $2", 7i64, None::<String>).args, vec![Arg::Int(Some(7)), Arg::Text(None)]);
        assert_eq!(s.render(false), "SELECT 1 FROM t WHERE a = ? AND b IN (?, ?, ?)");
    }
}
