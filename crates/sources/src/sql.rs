//! SQL sources: a customer's query against their own database. One connection per fetch,
//! opened, used read-only inside a transaction that is always rolled back, and closed. The
//! database enforces its own statement timeout as well as ours, so a query we stopped waiting
//! for does not keep running on the customer's server.
//!
//! Each backend gets its native driver; the row decoding is one body expanded per driver by a
//! macro, because generics over `sqlx::Database` drown in trait bounds.

use futures_util::TryStreamExt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgDatabaseError, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteError, SqliteRow};
use sqlx::types::Decimal;
use sqlx::{Column, ConnectOptions, Connection, Executor, Row, Statement, TypeInfo, ValueRef};

use crate::{MAX_POINTS, NO_CONNECTION, RawPoint, SourceError, mask_url, scrub, timestamp};

/// PostgreSQL's SQLSTATE for a statement cancelled, here by `statement_timeout`.
const PG_QUERY_CANCELED: &str = "57014";
/// MariaDB's "max_statement_time exceeded" and MySQL's "max_execution_time exceeded".
const MARIADB_STATEMENT_TIMEOUT: u16 = 1969;
const MYSQL_EXECUTION_TIMEOUT: u16 = 3024;
/// SQLite's result code when the progress handler stops a statement.
const SQLITE_INTERRUPT: &str = "9";
/// How many SQLite VM steps run between deadline checks: cheap, and well under a millisecond.
const SQLITE_PROGRESS_STEPS: i32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

fn backend(url: &str) -> Result<Backend, SourceError> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "mysql" | "mariadb" => Ok(Backend::MySql),
        "sqlite" => Ok(Backend::Sqlite),
        _ => Err(SourceError::UnsupportedScheme { scheme: scheme.to_owned() }),
    }
}

pub(crate) async fn fetch(url: &str, query: &str, timeout: Duration) -> Result<Vec<RawPoint>, SourceError> {
    let backend = backend(url)?;
    let work = async {
        match backend {
            Backend::Postgres => fetch_postgres(url, query, timeout).await,
            Backend::MySql => fetch_mysql(url, query, timeout).await,
            Backend::Sqlite => fetch_sqlite(url, query, timeout).await,
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(SourceError::Timeout { after: timeout }),
    }
}

async fn fetch_postgres(url: &str, query: &str, timeout: Duration) -> Result<Vec<RawPoint>, SourceError> {
    let options = PgConnectOptions::from_str(url).map_err(|error| invalid_url(url, &error))?;
    let mut connection = connect(options.connect(), url, timeout).await?;
    let result = async {
        execute(&mut connection, "BEGIN READ ONLY", url, timeout).await?;
        let set_timeout = format!("SET LOCAL statement_timeout = {}", millis(timeout));
        execute(&mut connection, &set_timeout, url, timeout).await?;
        let held: i64 = sqlx::query_scalar(PG_QUARTERDECK_COLUMNS)
            .fetch_one(&mut connection)
            .await
            .map_err(|error| query_error(&error, url, timeout))?;
        refuse_quarterdeck(held, url)?;
        let points = read_postgres(&mut connection, query, url, timeout).await?;
        execute(&mut connection, "ROLLBACK", url, timeout).await?;
        Ok(points)
    }
    .await;
    close(connection).await;
    result
}

async fn fetch_mysql(url: &str, query: &str, timeout: Duration) -> Result<Vec<RawPoint>, SourceError> {
    let mysql_url = match url.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mariadb") => format!("mysql:{rest}"),
        _ => url.to_owned(),
    };
    let options = MySqlConnectOptions::from_str(&mysql_url).map_err(|error| invalid_url(url, &error))?;
    let mut connection = connect(options.connect(), url, timeout).await?;
    let result = async {
        let version: String = sqlx::query_scalar("SELECT VERSION()")
            .fetch_one(&mut connection)
            .await
            .map_err(|error| query_error(&error, url, timeout))?;
        // The two forks spell the statement timeout differently, in different units.
        let set_timeout = if version.contains("MariaDB") {
            format!("SET SESSION max_statement_time = {:.3}", millis(timeout) as f64 / 1000.0)
        } else {
            format!("SET SESSION max_execution_time = {}", millis(timeout))
        };
        execute(&mut connection, &set_timeout, url, timeout).await?;
        execute(&mut connection, "START TRANSACTION READ ONLY", url, timeout).await?;
        let points = read_mysql(&mut connection, query, url, timeout).await?;
        execute(&mut connection, "ROLLBACK", url, timeout).await?;
        Ok(points)
    }
    .await;
    close(connection).await;
    result
}

async fn fetch_sqlite(url: &str, query: &str, timeout: Duration) -> Result<Vec<RawPoint>, SourceError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|error| invalid_url(url, &error))?
        .read_only(true)
        .create_if_missing(false);
    let mut connection = connect(options.connect(), url, timeout).await?;
    let result = async {
        // SQLite has no statement timeout; a progress handler that watches the clock is one.
        let deadline = Instant::now() + timeout;
        connection
            .lock_handle()
            .await
            .map_err(|error| query_error(&error, url, timeout))?
            .set_progress_handler(SQLITE_PROGRESS_STEPS, move || Instant::now() < deadline);
        execute(&mut connection, "PRAGMA query_only = ON", url, timeout).await?;
        // Inside a transaction SQLite refuses ATTACH: the query reads this file and no other.
        execute(&mut connection, "BEGIN", url, timeout).await?;
        let held: i64 = sqlx::query_scalar(SQLITE_QUARTERDECK_COLUMNS)
            .fetch_one(&mut connection)
            .await
            .map_err(|error| query_error(&error, url, timeout))?;
        refuse_quarterdeck(held, url)?;
        let points = read_sqlite(&mut connection, query, url, timeout).await?;
        execute(&mut connection, "ROLLBACK", url, timeout).await?;
        Ok(points)
    }
    .await;
    close(connection).await;
    result
}

async fn execute<C>(connection: &mut C, statement: &str, url: &str, timeout: Duration) -> Result<(), SourceError>
where
    for<'c> &'c mut C: Executor<'c>,
{
    sqlx::raw_sql(statement).execute(connection).await.map(drop).map_err(|error| query_error(&error, url, timeout))
}

async fn close<C: Connection>(connection: C) {
    // Closing is a courtesy to the server; the points are already in hand.
    if let Err(error) = connection.close().await {
        tracing::debug!(%error, "closing a source connection failed");
    }
}

/// Milliseconds, never 0: to both PostgreSQL and MySQL a zero timeout means none at all.
fn millis(timeout: Duration) -> u128 {
    timeout.as_millis().max(1)
}

fn invalid_url(url: &str, error: &sqlx::Error) -> SourceError {
    SourceError::InvalidUrl { url: mask_url(url), message: scrub(&error.to_string(), url) }
}

/// A database that holds Quarterdeck's data-source table (this server's own, a copy of it, or
/// another installation's) holds every source's credentials, so a source may never read it.
/// It is recognised by what the connection itself sees, whatever name or address reached it:
/// the table's secret-bearing columns, in any schema.
const PG_QUARTERDECK_COLUMNS: &str = "SELECT COUNT(*) FROM pg_catalog.pg_attribute a \
     JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
     WHERE c.relname = 'data_sources' AND a.attname IN ('url', 'header_value', 'value_path') AND NOT a.attisdropped";
const SQLITE_QUARTERDECK_COLUMNS: &str =
    "SELECT COUNT(*) FROM pragma_table_info('data_sources') WHERE name IN ('url', 'header_value', 'value_path')";

fn refuse_quarterdeck(columns_seen: i64, url: &str) -> Result<(), SourceError> {
    if columns_seen >= 3 { Err(SourceError::QuarterdeckDatabase { target: mask_url(url) }) } else { Ok(()) }
}

/// Connects within half the fetch's time. A host that refuses and one that never answers
/// (a filtered port) fail with the same words, so an error never tells which ports are open;
/// what a database says once connected (a wrong password, say) is passed on, scrubbed.
async fn connect<C>(
    connecting: impl std::future::Future<Output = Result<C, sqlx::Error>>,
    url: &str,
    timeout: Duration,
) -> Result<C, SourceError> {
    let no_connection = || SourceError::Connect { target: mask_url(url), message: NO_CONNECTION.to_owned() };
    match tokio::time::timeout(timeout / 2, connecting).await {
        Err(_) | Ok(Err(sqlx::Error::Io(_))) => Err(no_connection()),
        Ok(Err(error)) => Err(connect_error(url, &error)),
        Ok(Ok(connection)) => Ok(connection),
    }
}

fn connect_error(url: &str, error: &sqlx::Error) -> SourceError {
    let message = match error {
        sqlx::Error::Database(database) => database.message().to_owned(),
        other => other.to_string(),
    };
    SourceError::Connect { target: mask_url(url), message: scrub(&message, url) }
}

fn query_error(error: &sqlx::Error, url: &str, timeout: Duration) -> SourceError {
    match error {
        sqlx::Error::Database(database) if is_statement_timeout(database.as_ref()) => {
            SourceError::Timeout { after: timeout }
        }
        sqlx::Error::Database(database) => SourceError::QueryFailed { message: scrub(database.message(), url) },
        other => SourceError::QueryFailed { message: scrub(&other.to_string(), url) },
    }
}

/// Whether the database itself stopped the statement because its time was up.
fn is_statement_timeout(database: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(postgres) = database.try_downcast_ref::<PgDatabaseError>() {
        return postgres.code() == PG_QUERY_CANCELED;
    }
    if let Some(mysql) = database.try_downcast_ref::<MySqlDatabaseError>() {
        return [MARIADB_STATEMENT_TIMEOUT, MYSQL_EXECUTION_TIMEOUT].contains(&mysql.number());
    }
    database.try_downcast_ref::<SqliteError>().is_some() && database.code().as_deref() == Some(SQLITE_INTERRUPT)
}

fn check_columns<C: Column>(columns: &[C]) -> Result<(), SourceError> {
    if (2..=3).contains(&columns.len()) {
        return Ok(());
    }
    Err(SourceError::WrongColumns { columns: columns.iter().map(|column| column.name().to_owned()).collect() })
}

/// Expands, for one driver, the function that runs the query and turns its rows into points.
/// `$integers` are the integer types the driver decodes (they differ: PostgreSQL has no
/// unsigned types, MySQL's signed and unsigned are distinct); `$decimals` decode exactly and
/// convert through their text, which rounds to the nearest f64.
macro_rules! row_reader {
    ($read:ident, $connection:ty, $row:ty, integers: [$($integer:ty),*], decimals: [$($decimal:ty),*]) => {
        async fn $read(
            connection: &mut $connection,
            query: &str,
            url: &str,
            timeout: Duration,
        ) -> Result<Vec<RawPoint>, SourceError> {
            // Preparing first tells the columns even when there are no rows, and refuses a
            // query that holds several statements.
            let statement = connection
                .prepare(query)
                .await
                .map_err(|error| query_error(&error, url, timeout))?;
            check_columns(statement.columns())?;
            let mut rows = statement.query().fetch(&mut *connection);
            let mut points = Vec::new();
            while let Some(row) = rows
                .try_next()
                .await
                .map_err(|error| query_error(&error, url, timeout))?
            {
                if points.len() == MAX_POINTS {
                    return Err(SourceError::TooManyRows { limit: MAX_POINTS });
                }
                let number = points.len() + 1;
                let bad = |problem: String| SourceError::BadValue { row: number, problem };
                points.push(RawPoint {
                    at: row_timestamp(&row).map_err(bad)?,
                    value: row_value(&row).map_err(bad)?,
                    segment: row_segment(&row).map_err(bad)?,
                });
            }
            return Ok(points);

            /// The cell's type name, or `None` for NULL.
            fn cell_type(row: &$row, index: usize) -> Result<Option<String>, String> {
                let cell = row.try_get_raw(index).map_err(|error| error.to_string())?;
                if cell.is_null() {
                    return Ok(None);
                }
                Ok(Some(cell.type_info().name().to_owned()))
            }

            fn row_timestamp(row: &$row) -> Result<DateTime<Utc>, String> {
                let Some(type_name) = cell_type(row, 0)? else {
                    return Err("timestamp is NULL".to_owned());
                };
                if let Ok(text) = row.try_get::<String, _>(0) {
                    return timestamp::parse_text(&text).ok_or_else(|| {
                        format!(
                            "timestamp {text:?} is unreadable; use RFC 3339, \
                             YYYY-MM-DD HH:MM:SS, YYYY-MM-DD or epoch seconds"
                        )
                    });
                }
                if let Ok(at) = row.try_get::<DateTime<Utc>, _>(0) {
                    return Ok(at);
                }
                if let Ok(at) = row.try_get::<NaiveDateTime, _>(0) {
                    return Ok(at.and_utc());
                }
                if let Ok(date) = row.try_get::<NaiveDate, _>(0) {
                    return Ok(timestamp::midnight(date));
                }
                $(
                    if let Ok(epoch) = row.try_get::<$integer, _>(0) {
                        return timestamp::from_epoch_number(epoch as f64)
                            .ok_or_else(|| format!("timestamp {epoch} is out of range"));
                    }
                )*
                Err(format!(
                    "timestamp column has type {type_name}; expected a timestamp, a date, \
                     text or epoch seconds"
                ))
            }

            fn row_value(row: &$row) -> Result<f64, String> {
                let Some(type_name) = cell_type(row, 1)? else {
                    return Err("value is NULL".to_owned());
                };
                let value = if let Ok(value) = row.try_get::<f64, _>(1) {
                    value
                } else if let Ok(value) = row.try_get::<f32, _>(1) {
                    f64::from(value)
                } $(else if let Ok(value) = row.try_get::<$integer, _>(1) {
                    value as f64
                })* $(else if let Ok(value) = row.try_get::<$decimal, _>(1) {
                    value.to_string().parse::<f64>().map_err(|error| error.to_string())?
                })* else if let Ok(text) = row.try_get::<String, _>(1) {
                    text.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("value {text:?} is not numeric"))?
                } else {
                    return Err(format!("value of type {type_name} could not be read as a number"));
                };
                if value.is_finite() {
                    Ok(value)
                } else {
                    Err(format!("value {value} is not a finite number"))
                }
            }

            fn row_segment(row: &$row) -> Result<Option<String>, String> {
                if row.len() < 3 {
                    return Ok(None);
                }
                let Some(type_name) = cell_type(row, 2)? else {
                    return Ok(None);
                };
                if let Ok(text) = row.try_get::<String, _>(2) {
                    return Ok(Some(text));
                }
                $(
                    if let Ok(id) = row.try_get::<$integer, _>(2) {
                        return Ok(Some(id.to_string()));
                    }
                )*
                Err(format!("segment column has type {type_name}; expected text"))
            }
        }
    };
}

row_reader!(read_postgres, PgConnection, PgRow, integers: [i64, i32, i16], decimals: [Decimal]);
row_reader!(read_mysql, MySqlConnection, MySqlRow, integers: [i64, u64], decimals: [Decimal]);
row_reader!(read_sqlite, SqliteConnection, SqliteRow, integers: [i64], decimals: []);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_pick_the_driver() {
        let cases = [
            ("postgres://u@h/db", Backend::Postgres),
            ("postgresql://u@h/db", Backend::Postgres),
            ("mysql://root@h/test", Backend::MySql),
            ("mariadb://root@h/test", Backend::MySql),
            ("sqlite:/tmp/x.db", Backend::Sqlite),
            ("sqlite:///tmp/x.db", Backend::Sqlite),
        ];
        for (url, expected) in cases {
            assert_eq!(backend(url).unwrap(), expected, "{url}");
        }
        for url in ["mssql://h/db", "http://h/x", "kpi.db"] {
            assert_eq!(backend(url).unwrap_err().code(), "source_unsupported_scheme", "{url}");
        }
    }

    #[test]
    fn a_zero_timeout_is_still_a_timeout() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
    }
}
