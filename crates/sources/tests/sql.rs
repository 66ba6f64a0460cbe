//! SQL sources against real databases: SQLite on a temporary file always, PostgreSQL when
//! `QUARTERDECK_TEST_PG` names a server, MariaDB (or MySQL) when `QUARTERDECK_TEST_MYSQL`
//! does. `QUARTERDECK_REQUIRE_PG=1` / `QUARTERDECK_REQUIRE_MYSQL=1` turn a missing server into
//! a failure. Every test makes its own table, so the tests run in parallel.

mod common;

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quarterdeck_sources::{RawPoint, Reach, SourceError, SourceSpec, fetch};
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postgres,
    MariaDb,
    Sqlite,
}

/// A database to test against; for SQLite it owns the temporary directory.
struct Server {
    kind: Kind,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    async fn from_env(kind: Kind) -> Option<Server> {
        let (variable, require, half) = match kind {
            Kind::Postgres => ("QUARTERDECK_TEST_PG", "QUARTERDECK_REQUIRE_PG", "PostgreSQL"),
            Kind::MariaDb => ("QUARTERDECK_TEST_MYSQL", "QUARTERDECK_REQUIRE_MYSQL", "MariaDB"),
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let path = dir.path().join("kpi.db");
                // An empty file is an empty database; the source opens it read-only.
                std::fs::File::create(&path).expect("create the database file");
                let url = format!("sqlite://{}", path.display());
                return Some(Server { kind, url, _dir: Some(dir) });
            }
        };
        match std::env::var(variable) {
            Ok(url) if !url.is_empty() && kind == Kind::Postgres => {
                let url = quarterdeck_store_sql::testing::postgres_warehouse_url().await.unwrap_or(url);
                Some(Server { kind, url, _dir: None })
            }
            Ok(url) if !url.is_empty() => Some(Server { kind, url, _dir: None }),
            _ => {
                if std::env::var(require).is_ok_and(|value| value == "1") {
                    panic!("{require}=1 but {variable} is not set");
                }
                eprintln!("SKIPPED ({half} half): set {variable}");
                None
            }
        }
    }

    /// Runs statements with full rights, outside the code under test.
    async fn exec(&self, sql: &str) {
        match self.kind {
            Kind::Postgres => {
                let mut connection = PgConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut connection).await.expect(sql);
                connection.close().await.expect("close");
            }
            Kind::MariaDb => {
                let mut connection = MySqlConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut connection).await.expect(sql);
                connection.close().await.expect("close");
            }
            Kind::Sqlite => {
                let mut connection = SqliteConnectOptions::from_str(&self.url)
                    .expect("sqlite url")
                    .create_if_missing(true)
                    .connect()
                    .await
                    .expect("connect");
                sqlx::raw_sql(sql).execute(&mut connection).await.expect(sql);
                connection.close().await.expect("close");
            }
        }
    }

    async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self.kind {
            Kind::Postgres => {
                let mut connection = PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar(&sql).fetch_one(&mut connection).await.expect("count")
            }
            Kind::MariaDb => {
                let mut connection = MySqlConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar(&sql).fetch_one(&mut connection).await.expect("count")
            }
            Kind::Sqlite => {
                let mut connection = SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar(&sql).fetch_one(&mut connection).await.expect("count")
            }
        }
    }

    /// A fresh table holding three sales: (ts, amount, team), one without a team.
    async fn sales_table(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let table = format!("qd_sources_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let create = match self.kind {
            Kind::Postgres => {
                format!("CREATE TABLE {table} (ts timestamptz NOT NULL, amount numeric(12,2), team text)")
            }
            Kind::MariaDb => {
                format!("CREATE TABLE {table} (ts DATETIME NOT NULL, amount DECIMAL(12,2), team VARCHAR(40))")
            }
            Kind::Sqlite => {
                format!("CREATE TABLE {table} (ts TEXT NOT NULL, amount NUMERIC, team TEXT)")
            }
        };
        self.exec(&format!("DROP TABLE IF EXISTS {table}")).await;
        self.exec(&create).await;
        let rows = [
            ("2024-03-01 10:00:00", "12.50", "'north'"),
            ("2024-03-02 10:00:00", "7.25", "'south'"),
            ("2024-03-03 10:00:00", "3.00", "NULL"),
        ];
        for (at, amount, team) in rows {
            self.exec(&format!(
                "INSERT INTO {table} (ts, amount, team) VALUES ({}, {amount}, {team})",
                self.timestamp_literal(at)
            ))
            .await;
        }
        table
    }

    /// PostgreSQL reads a bare timestamptz literal in the session's time zone.
    fn timestamp_literal(&self, at: &str) -> String {
        match self.kind {
            Kind::Postgres => format!("'{at}+00'"),
            Kind::MariaDb | Kind::Sqlite => format!("'{at}'"),
        }
    }

    async fn drop_table(&self, table: &str) {
        self.exec(&format!("DROP TABLE {table}")).await;
    }
}

fn spec(url: &str, query: &str, timeout: Duration) -> SourceSpec {
    SourceSpec::Sql { url: url.to_owned(), query: query.to_owned(), timeout }
}

async fn run(server: &Server, query: &str) -> Result<Vec<RawPoint>, SourceError> {
    fetch(&spec(&server.url, query, Duration::from_secs(20)), &Reach::public_only(), Utc::now()).await
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("RFC 3339").to_utc()
}

fn point(at: &str, value: f64, segment: Option<&str>) -> RawPoint {
    RawPoint { at: utc(at), value, segment: segment.map(str::to_owned) }
}

async fn three_columns_with_segment(server: Server) {
    let table = server.sales_table().await;
    let points = run(&server, &format!("SELECT ts, amount, team FROM {table} ORDER BY ts")).await.expect("fetch");
    assert_eq!(
        points,
        [
            point("2024-03-01T10:00:00Z", 12.5, Some("north")),
            point("2024-03-02T10:00:00Z", 7.25, Some("south")),
            point("2024-03-03T10:00:00Z", 3.0, None),
        ]
    );
    server.drop_table(&table).await;
}

async fn two_columns(server: Server) {
    let table = server.sales_table().await;
    let points = run(&server, &format!("SELECT ts, amount FROM {table} WHERE team = 'south'")).await.expect("fetch");
    assert_eq!(points, [point("2024-03-02T10:00:00Z", 7.25, None)]);

    let points = run(&server, &format!("SELECT MAX(ts), SUM(amount) FROM {table}")).await.expect("fetch aggregate");
    assert_eq!(points, [point("2024-03-03T10:00:00Z", 22.75, None)]);
    server.drop_table(&table).await;
}

/// Each backend's own column types, decoded without casts.
async fn column_types(server: Server) {
    let cases: &[(&str, &str, f64)] = match server.kind {
        Kind::Postgres => &[
            ("SELECT TIMESTAMP '2024-03-01 10:20:30', 5::int4", "2024-03-01T10:20:30Z", 5.0),
            ("SELECT DATE '2024-03-01', 5::int2", "2024-03-01T00:00:00Z", 5.0),
            ("SELECT '2024-03-01T10:20:30Z'::text, ' 5.5'::text", "2024-03-01T10:20:30Z", 5.5),
            ("SELECT 1709288430::int8, 5.5::float4", "2024-03-01T10:20:30Z", 5.5),
            (
                "SELECT TIMESTAMPTZ '2024-03-01 12:20:30+02', 12345678901.25::numeric",
                "2024-03-01T10:20:30Z",
                12_345_678_901.25,
            ),
            ("SELECT '2024-03-01'::varchar, count(*) FROM generate_series(1, 3)", "2024-03-01T00:00:00Z", 3.0),
            ("SELECT 1709288430::int4, 2.5::float8", "2024-03-01T10:20:30Z", 2.5),
        ],
        Kind::MariaDb => &[
            ("SELECT CAST('2024-03-01 10:20:30' AS DATETIME), 5", "2024-03-01T10:20:30Z", 5.0),
            ("SELECT CAST('2024-03-01' AS DATE), CAST(5 AS UNSIGNED)", "2024-03-01T00:00:00Z", 5.0),
            ("SELECT '2024-03-01 10:20:30', '5.5'", "2024-03-01T10:20:30Z", 5.5),
            ("SELECT 1709288430, CAST(5.5 AS DOUBLE)", "2024-03-01T10:20:30Z", 5.5),
            ("SELECT TIMESTAMP('2024-03-01 10:20:30'), 12345678901.25", "2024-03-01T10:20:30Z", 12_345_678_901.25),
            ("SELECT CAST('2024-03-01 10:20:30.500' AS DATETIME(3)), CAST(7 AS SIGNED)", "2024-03-01T10:20:30.5Z", 7.0),
        ],
        Kind::Sqlite => &[
            ("SELECT '2024-03-01', 5", "2024-03-01T00:00:00Z", 5.0),
            ("SELECT '2024-03-01T12:20:30+02:00', '5.5'", "2024-03-01T10:20:30Z", 5.5),
            ("SELECT 1709288430, 5.5", "2024-03-01T10:20:30Z", 5.5),
            ("SELECT strftime('%s', '2024-03-01 10:20:30'), 1", "2024-03-01T10:20:30Z", 1.0),
        ],
    };
    for (query, at, value) in cases {
        let points = run(&server, query).await.expect(query);
        assert_eq!(points, [point(at, *value, None)], "{query}");
    }
}

async fn wrong_columns(server: Server) {
    let table = server.sales_table().await;
    let error = run(&server, &format!("SELECT SUM(amount) AS total FROM {table}")).await.expect_err("one column");
    assert_eq!(error.code(), "source_wrong_columns");
    assert_eq!(
        error.to_string(),
        "the query must return (timestamp, value[, segment]) columns; it returned 1 column: total"
    );

    let error = run(&server, &format!("SELECT ts, amount, team, amount AS again FROM {table}"))
        .await
        .expect_err("four columns");
    assert!(error.to_string().ends_with("it returned 4 columns: ts, amount, team, again"), "{error}");
    server.drop_table(&table).await;
}

async fn null_value_names_the_row(server: Server) {
    let table = server.sales_table().await;
    server
        .exec(&format!(
            "INSERT INTO {table} (ts, amount, team) VALUES ({}, NULL, 'west')",
            server.timestamp_literal("2024-03-04 10:00:00")
        ))
        .await;
    let error = run(&server, &format!("SELECT ts, amount FROM {table} ORDER BY ts")).await.expect_err("NULL value");
    assert_eq!(error.code(), "source_bad_value");
    assert_eq!(error.to_string(), "bad value in row 4: value is NULL");

    let error =
        run(&server, &format!("SELECT team, amount FROM {table} ORDER BY ts")).await.expect_err("team is no timestamp");
    assert_eq!(error.code(), "source_bad_value");
    assert!(error.to_string().starts_with("bad value in row 1: timestamp \"north\" is unreadable"), "{error}");
    server.drop_table(&table).await;
}

async fn writes_are_refused(server: Server) {
    let table = server.sales_table().await;
    let refused_by_read_only = match server.kind {
        Kind::Postgres => vec![
            format!("WITH gone AS (DELETE FROM {table} RETURNING ts, amount) SELECT ts, amount FROM gone"),
            format!("INSERT INTO {table} (ts, amount) VALUES (now(), 1) RETURNING ts, amount"),
        ],
        Kind::MariaDb => vec![
            format!("DELETE FROM {table} RETURNING ts, amount"),
            format!("INSERT INTO {table} (ts, amount) VALUES (NOW(), 1) RETURNING ts, amount"),
        ],
        Kind::Sqlite => vec![
            format!("DELETE FROM {table} RETURNING ts, amount"),
            format!("INSERT INTO {table} (ts, amount) VALUES ('2024-05-01', 1) RETURNING ts, amount"),
        ],
    };
    for query in &refused_by_read_only {
        let error = run(&server, query).await.expect_err(query);
        assert_eq!(error.code(), "source_query_failed", "{query}: {error}");
        let message = error.to_string().to_lowercase().replace(['-', ' '], "");
        assert!(message.contains("readonly"), "{query}: {error}");
    }
    // Neither a statement without rows nor a second statement gets a chance to write.
    for query in [
        format!("DELETE FROM {table}"),
        format!("SELECT ts, amount FROM {table}; DELETE FROM {table}"),
        format!("COMMIT; DELETE FROM {table}"),
    ] {
        run(&server, &query).await.expect_err(&query);
    }
    assert_eq!(server.count(&table).await, 3, "the table is untouched");
    server.drop_table(&table).await;
}

async fn slow_query_times_out(server: Server) {
    let query = match server.kind {
        Kind::Postgres => "SELECT now(), pg_sleep(5)",
        Kind::MariaDb => "SELECT NOW(), SLEEP(5)",
        Kind::Sqlite => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000000) \
             SELECT '2024-03-01', MAX(x) FROM n"
        }
    };
    let started = Instant::now();
    let error = fetch(&spec(&server.url, query, Duration::from_secs(1)), &Reach::public_only(), Utc::now())
        .await
        .expect_err("too slow");
    let elapsed = started.elapsed();
    assert_eq!(error.code(), "source_timeout", "{error}");
    assert_eq!(error.to_string(), "timed out after 1 s");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

async fn too_many_rows_are_refused(server: Server) {
    let query = match server.kind {
        Kind::Postgres => "SELECT now(), g FROM generate_series(1, 1000001) AS g",
        // MariaDB stops recursion at 1,000 steps by default, so the rows come from a join.
        Kind::MariaDb => {
            "WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
             UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 \
             UNION ALL SELECT 8 UNION ALL SELECT 9) \
             SELECT NOW(), 1 FROM d a, d b, d c, d e, d f, d g UNION ALL SELECT NOW(), 2"
        }
        Kind::Sqlite => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000001) \
             SELECT '2024-03-01', x FROM n"
        }
    };
    let error = fetch(&spec(&server.url, query, Duration::from_secs(120)), &Reach::public_only(), Utc::now())
        .await
        .expect_err("over the limit");
    assert_eq!(error.code(), "source_too_many_rows", "{error}");
}

async fn unreachable_server_masks_the_password(server: Server) {
    let url = match server.kind {
        Kind::Postgres => format!("postgres://quarterdeck:s3cret-pw@127.0.0.1:{}/kpis", common::closed_port()),
        Kind::MariaDb => format!("mariadb://root:s3cret-pw@127.0.0.1:{}/test", common::closed_port()),
        Kind::Sqlite => {
            let missing = server.url.replace("kpi.db", "missing/kpi.db");
            let error =
                fetch(&spec(&missing, "SELECT 1, 2", Duration::from_secs(5)), &Reach::public_only(), Utc::now())
                    .await
                    .expect_err("no such file");
            assert_eq!(error.code(), "source_connect_failed", "{error}");
            return;
        }
    };
    let error = fetch(&spec(&url, "SELECT 1, 2", Duration::from_secs(5)), &Reach::public_only(), Utc::now())
        .await
        .expect_err("nothing listens");
    assert_eq!(error.code(), "source_connect_failed", "{error}");
    let message = error.to_string();
    assert!(!message.contains("s3cret-pw"), "{message}");
    assert!(message.contains(":***@127.0.0.1"), "{message}");
    assert!(message.ends_with("no connection: the host refused it or did not answer"), "{message}");
}

/// A database port that drops the attempt (a filtered port: a listener whose queue is full)
/// fails with the same words as one that refuses it.
#[tokio::test]
async fn closed_and_filtered_database_ports_fail_alike() {
    let closed = common::closed_port();
    let (filtered, _guard) = common::filtered_port().await;
    let mut answers = Vec::new();
    for port in [closed, filtered] {
        let url = format!("postgres://u:pw@127.0.0.1:{port}/db");
        let error = fetch(&spec(&url, "SELECT 1, 2", Duration::from_millis(800)), &Reach::public_only(), Utc::now())
            .await
            .expect_err("no connection");
        answers.push((error.code(), error.to_string().replace(&port.to_string(), "PORT")));
    }
    assert_eq!(answers[0], answers[1], "closed vs filtered");
    assert_eq!(answers[0].0, "source_connect_failed");
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let server = super::Server::from_env(super::Kind::Sqlite).await.expect("sqlite");
                super::$name(server).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(server) = super::Server::from_env(super::Kind::Postgres).await {
                    super::$name(server).await;
                }
            })*
        }
        mod mariadb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(server) = super::Server::from_env(super::Kind::MariaDb).await {
                    super::$name(server).await;
                }
            })*
        }
    };
}

on_every_backend!(
    three_columns_with_segment,
    two_columns,
    column_types,
    wrong_columns,
    null_value_names_the_row,
    writes_are_refused,
    slow_query_times_out,
    too_many_rows_are_refused,
    unreachable_server_masks_the_password,
);

/// A database that holds Quarterdeck's data-source table is never read, whatever the query:
/// the refusal comes before it runs, and quotes no secret.
#[tokio::test]
async fn a_quarterdeck_database_is_never_read() {
    let server = Server::from_env(Kind::Sqlite).await.expect("sqlite");
    server
        .exec(
            "CREATE TABLE data_sources (id TEXT, url TEXT, header_value TEXT, value_path TEXT); \
             INSERT INTO data_sources VALUES ('a', 'postgres://u:s3cret-pw@db/x', 'Bearer t0ken', '$.v')",
        )
        .await;
    for query in ["SELECT '2024-03-01', 1", "SELECT '2024-03-01', length(url), header_value FROM data_sources"] {
        let error = run(&server, query).await.expect_err("a Quarterdeck database");
        assert_eq!(error.code(), "source_quarterdeck_database", "{error}");
        let message = error.to_string();
        assert!(!message.contains("s3cret") && !message.contains("t0ken"), "{message}");
    }
    // The same query on a database without that table runs.
    let plain = Server::from_env(Kind::Sqlite).await.expect("sqlite");
    assert_eq!(run(&plain, "SELECT '2024-03-01', 1").await.expect("a plain database").len(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_masked_in_the_servers_answer() {
    let Some(server) = Server::from_env(Kind::MariaDb).await else {
        return;
    };
    // Replace whatever credentials the test URL has with a wrong password for its user.
    let (scheme, rest) = server.url.split_once("://").expect("a URL");
    let (userinfo, host) = rest.rsplit_once('@').expect("a user in the URL");
    let user = userinfo.split(':').next().unwrap_or("root");
    let url = format!("{scheme}://{user}:wrong-pw-123@{host}");
    let error = fetch(&spec(&url, "SELECT 1, 2", Duration::from_secs(5)), &Reach::public_only(), Utc::now())
        .await
        .expect_err("wrong password");
    assert_eq!(error.code(), "source_connect_failed", "{error}");
    let message = error.to_string();
    assert!(!message.contains("wrong-pw-123"), "{message}");
    assert!(message.contains("Access denied"), "{message}");
}

#[tokio::test]
async fn unknown_schemes_are_refused() {
    let error =
        fetch(&spec("mssql://sa:pw@h/db", "SELECT 1, 2", Duration::from_secs(1)), &Reach::public_only(), Utc::now())
            .await
            .expect_err("unsupported");
    assert_eq!(error.code(), "source_unsupported_scheme");
}
