//! Throughput benchmarks that print ratios against the storage or server limit (not timed
//! tests: they measure and report, they do not fail on a slow machine).
//!
//! - ingest: KPI points/s through `POST /api/v1/measurements` (1,000-point JSON batches)
//!   against the same rows inserted into the same table of the same database by the simplest
//!   possible loop (one INSERT per row, one transaction per 1,000 rows). Target ≥ 0.5.
//! - list: a cycle's objectives page (50 objectives with their key results) of the large demo
//!   organisation at 32 concurrent connections, against the same server returning the same
//!   bytes from memory, with nothing written and while 20 check-ins/s run elsewhere.
//!   Target ≥ 0.25 and p99 ≤ 5 ms.
//!
//! - checkin: check-ins/s through `POST /api/v1/key-results/{id}/check-ins` from 8 clients on
//!   random key results of the large demo, against the database's raw transaction rate (one
//!   single-row INSERT per transaction, same table, same file). Target ≥ 0.5 and p99 ≤ 10 ms;
//!   and one check-in at a time.
//! - kpi-pages: on the large demo, a driver tree of 500 nodes, the unit scorecard with the most
//!   KPIs, and one KPI's day periods for a year, each at 32 connections against the same bytes
//!   from memory. Target ≥ 0.25.
//! - pages: every page of the web application on the large demo, signed in as an admin of a
//!   team, one request at a time (the server's own time per page, no queueing): p50 and p99
//!   per page over 200 requests, median of 3 runs. Limit p99 ≤ 50 ms.
//! - demo-load: `quarterdeck demo --size large` against a raw copy of the same rows into a
//!   database of the same schema (`INSERT … SELECT` per table, one transaction). Target ≤ 2×.
//!   On PostgreSQL the copy goes into a second schema of the same database, its tables made
//!   `LIKE … INCLUDING ALL` (indexes included).
//! - memory: the release server (`quarterdeck serve`, its own process) on the large demo, asked
//!   for every unit's list pages (more distinct pages than its cache holds) while people check
//!   in; its resident set after and its peak. Limit 150 MB.
//!
//! The large demo is generated once a day and cached under the target directory; every
//! benchmark on it works on its own copy, and prints the median of several runs.
//!
//! Run: `cargo bench -p quarterdeck --bench throughput` (add `-- ingest`, `-- checkin`,
//! `-- list`, `-- kpi-pages`, `-- pages`, `-- demo-load` or `-- memory` for one).
//! `QUARTERDECK_BENCH_PG=postgres://…` runs the ingest and check-in benchmarks on PostgreSQL too
//! (check-ins load the large demo into a database of their own, created and dropped).

use axum::routing::get;
use chrono::{Duration as Days, TimeZone, Utc};
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_store::Store;
use quarterdeck_store::kpi::NewKpi;
use quarterdeck_store_sql::SqlStore;
use quarterdeck_web::{AppState, router};
use sqlx::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 1_000;
const BATCHES: usize = 100;
/// Batches the size a live feed pushes.
const SMALL_BATCH: usize = 100;
const CONNECTIONS: usize = 32;
const LOAD_FOR: Duration = Duration::from_secs(5);

/// The simplest possible loop: one INSERT per row, one transaction per batch.
macro_rules! raw_loop {
    ($conn:expr, $kpi:expr, $sql:expr) => {{
        let start_at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap().timestamp_micros();
        let started = Instant::now();
        for b in 0..BATCHES {
            let mut tx = $conn.begin().await.expect("begin");
            for i in 0..BATCH {
                sqlx::query($sql)
                    .bind($kpi.to_owned())
                    .bind(start_at + ((b * BATCH + i) as i64) * 60_000_000)
                    .bind((i % 17) as f64)
                    .bind(start_at)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
            }
            tx.commit().await.expect("commit");
        }
        (BATCHES * BATCH) as f64 / started.elapsed().as_secs_f64()
    }};
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let all = which.is_empty();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    if all || which.iter().any(|w| w == "ingest") {
        rt.block_on(ingest_sqlite());
        if let Ok(url) = std::env::var("QUARTERDECK_BENCH_PG") {
            rt.block_on(ingest_postgres(&url));
        }
    }
    let wants = |w: &str| all || which.iter().any(|x| x == w);
    if wants("checkin") {
        rt.block_on(check_ins());
    }
    if wants("list") {
        rt.block_on(async {
            let (store, _dir) = large_demo().await;
            list_page(store, "sqlite").await
        });
    }
    if wants("demo-load") {
        rt.block_on(demo_load());
        if let Ok(url) = std::env::var("QUARTERDECK_BENCH_PG") {
            rt.block_on(demo_load_postgres(&url));
        }
    }
    if wants("kpi-pages") {
        rt.block_on(async {
            let (store, _dir) = large_demo().await;
            kpi_pages(store, "sqlite").await
        });
    }
    if wants("pages") {
        rt.block_on(async {
            let (store, _dir) = large_demo().await;
            web_pages(store, "sqlite").await
        });
    }
    if wants("coach") {
        rt.block_on(async {
            let (store, _dir) = large_demo().await;
            coach(store, "sqlite").await
        });
    }
    // On PostgreSQL the large demo is loaded once into a database of its own for all of them.
    if let Ok(url) = std::env::var("QUARTERDECK_BENCH_PG")
        && (wants("checkin") || wants("list") || wants("kpi-pages") || wants("pages") || wants("coach"))
    {
        rt.block_on(async {
            let pg = PgDemo::load(&url).await;
            if wants("checkin") {
                check_ins_postgres(&pg).await;
            }
            if wants("list") {
                list_page(pg.store.clone(), "postgres").await;
            }
            if wants("kpi-pages") {
                kpi_pages(pg.store.clone(), "postgres").await;
            }
            if wants("pages") {
                web_pages(pg.store.clone(), "postgres").await;
            }
            if wants("coach") {
                coach(pg.store.clone(), "postgres").await;
            }
            pg.drop_database().await;
        });
    }
    if all || which.iter().any(|w| w == "memory") {
        rt.block_on(memory());
    }
}

/// The benchmark's own set-up writes, as an import.
fn ctx() -> quarterdeck_store::Ctx {
    quarterdeck_store::Ctx::new(quarterdeck_domain::actor::Actor::Import, Utc::now())
}

fn kpi(key: &str) -> NewKpi {
    NewKpi {
        target: Some(Target::Value { value: 100.0 }),
        ..NewKpi::basic(
            KpiKey::parse(key).expect("a key"),
            quarterdeck_domain::text::Name::parse("name", key).expect("a name"),
            Aggregation::Sum,
            KpiDirection::HigherIsBetter,
        )
    }
}

/// A client of its own for one benchmark: an admin's fresh API token on that store, sent with
/// every request (authentication is part of what is measured).
async fn client(store: &Arc<dyn Store>) -> reqwest::Client {
    let app = quarterdeck_app::App::new(store.clone());
    let email = "bench@example.com";
    let user = match app.find_user(email).await {
        Ok(u) => u.id,
        Err(_) => {
            let input = quarterdeck_app::accounts::AddUser {
                email: email.into(),
                name: "Benchmark".into(),
                role: quarterdeck_domain::access::Role::Admin,
                person_id: None,
                password: None,
            };
            app.add_user(input).await.expect("bench user").id
        }
    };
    let input = quarterdeck_app::accounts::CreateToken {
        name: "bench".into(),
        scopes: vec!["admin".into()],
        kpis: Vec::new(),
        expires_in_days: Some(1),
        user: Some(user.to_string()),
    };
    let secret = app.create_token(input).await.expect("bench token").secret;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {secret}").parse().expect("header"));
    reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).default_headers(headers).build().expect("client")
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

fn percentile(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    xs[((xs.len() - 1) as f64 * p).round() as usize]
}

/// Points/s through the HTTP API, and p99 per request.
async fn http_ingest(store: Arc<dyn Store>, key: &str, batch: usize, batches: usize, offset: usize) -> (f64, Duration) {
    let client = client(&store).await;
    let base = serve(router(AppState::new(quarterdeck_app::App::new(store)))).await;
    let start_at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let bodies: Vec<String> = (0..batches)
        .map(|b| {
            let points: Vec<serde_json::Value> = (0..batch)
                .map(|i| {
                    let at = start_at + Days::seconds(((offset + b * batch + i) * 60) as i64);
                    serde_json::json!({"kpi": key, "at": at.to_rfc3339(), "value": (i % 17) as f64})
                })
                .collect();
            serde_json::json!({ "points": points }).to_string()
        })
        .collect();
    let mut latencies = Vec::new();
    let started = Instant::now();
    for body in bodies {
        let t = Instant::now();
        let res = client
            .post(format!("{base}/api/v1/measurements"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert!(res.status().is_success(), "{}", res.text().await.unwrap_or_default());
        res.bytes().await.expect("body");
        latencies.push(t.elapsed());
    }
    let rate = (batches * batch) as f64 / started.elapsed().as_secs_f64();
    (rate, percentile(latencies, 0.99))
}

fn report_ingest(backend: &str, api: (f64, Duration), small: (f64, Duration), raw: f64) {
    let ratio = api.0 / raw;
    println!(
        "ingest [{backend}]: API {:.0} points/s (p99 {:.1} ms per {BATCH}-point batch) vs raw insert loop {:.0} rows/s → ratio {ratio:.2} (target ≥ 0.50) {}",
        api.0,
        api.1.as_secs_f64() * 1000.0,
        raw,
        if ratio >= 0.5 { "OK" } else { "BELOW TARGET" }
    );
    println!(
        "ingest [{backend}], {SMALL_BATCH}-point batches: {:.0} points/s, p99 {:.1} ms per request {}",
        small.0,
        small.1.as_secs_f64() * 1000.0,
        if small.1 <= Duration::from_millis(10) { "(≤ 10 ms OK)" } else { "(ABOVE 10 ms)" }
    );
}

async fn ingest_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let store: Arc<dyn Store> = Arc::new(SqlStore::open_sqlite(path.to_str().unwrap()).await.expect("open"));
    store.create_kpi(&ctx(), kpi("api_points")).await.expect("kpi");
    let raw_kpi = store.create_kpi(&ctx(), kpi("raw_points")).await.expect("kpi");
    let api = http_ingest(store.clone(), "api_points", BATCH, BATCHES, 0).await;
    let small = http_ingest(store.clone(), "api_points", SMALL_BATCH, 200, BATCH * BATCHES).await;

    // The storage limit: the simplest loop, same database file, same table, same pragmas.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.expect("connect");
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut conn).await.expect("pragma");
    let raw = raw_loop!(
        conn,
        raw_kpi.id.to_string(),
        "INSERT INTO measurements (kpi_id, segment, at, value, received_at) VALUES (?, '', ?, ?, ?)"
    );
    report_ingest("sqlite", api, small, raw);
}

async fn ingest_postgres(url: &str) {
    let schema = format!("bench_{}", std::process::id());
    let store: Arc<dyn Store> = Arc::new(SqlStore::open_postgres(url, Some(&schema)).await.expect("open"));
    store.create_kpi(&ctx(), kpi("api_points")).await.expect("kpi");
    let raw_kpi = store.create_kpi(&ctx(), kpi("raw_points")).await.expect("kpi");
    let api = http_ingest(store.clone(), "api_points", BATCH, BATCHES, 0).await;
    let small = http_ingest(store.clone(), "api_points", SMALL_BATCH, 200, BATCH * BATCHES).await;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query(&format!("SET search_path TO {schema}")).execute(&mut conn).await.expect("schema");
    let raw = raw_loop!(
        conn,
        raw_kpi.id.to_string(),
        "INSERT INTO measurements (kpi_id, segment, at, value, received_at) VALUES ($1, '', $2, $3, $4)"
    );
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn).await.expect("drop");
    report_ingest("postgres", api, small, raw);
}

async fn load(client: &reqwest::Client, url: &str) -> (f64, Duration) {
    let deadline = Instant::now() + LOAD_FOR;
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = client.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = client.get(&url).send().await.expect("GET");
                assert!(res.status().is_success());
                res.bytes().await.expect("body");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    (all.len() as f64 / LOAD_FOR.as_secs_f64(), percentile(all, 0.99))
}

/// Loading the large demo through the application (`quarterdeck demo --size large`, the
/// release binary, every rule checked and every derived value computed) against the limit: a
/// raw copy of the same rows into a fresh database of the same schema, indexes included, in
/// one transaction of `INSERT INTO t SELECT * FROM demo.t` per table.
async fn demo_load() {
    let (mut loads, mut copies, mut rows) = (Vec::new(), Vec::new(), 0_i64);
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let built = dir.path().join("demo.db");
        let started = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
            .args(["demo", "--size", "large", "--db", built.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run the demo loader");
        assert!(status.success());
        loads.push(started.elapsed().as_secs_f64());

        let copy = dir.path().join("copy.db");
        let mut source = sqlx::SqliteConnection::connect(&format!("sqlite:{}", built.display())).await.expect("open");
        let schema: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
             ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END",
        )
        .fetch_all(&mut source)
        .await
        .expect("schema");
        source.close().await.expect("close");
        let mut target =
            sqlx::SqliteConnection::connect(&format!("sqlite:{}?mode=rwc", copy.display())).await.expect("create");
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = OFF"] {
            sqlx::query(pragma).execute(&mut target).await.expect(pragma);
        }
        for (_, _, sql) in &schema {
            sqlx::raw_sql(sql).execute(&mut target).await.expect("schema statement");
        }
        let started = Instant::now();
        sqlx::query(&format!("ATTACH DATABASE '{}' AS demo", built.display()))
            .execute(&mut target)
            .await
            .expect("attach");
        sqlx::query("BEGIN").execute(&mut target).await.expect("begin");
        rows = 0;
        for (kind, name, _) in &schema {
            if kind == "table" {
                let done = sqlx::query(&format!("INSERT INTO main.\"{name}\" SELECT * FROM demo.\"{name}\""))
                    .execute(&mut target)
                    .await
                    .expect("copy");
                rows += done.rows_affected() as i64;
            }
        }
        sqlx::query("COMMIT").execute(&mut target).await.expect("commit");
        copies.push(started.elapsed().as_secs_f64());
        target.close().await.expect("close");
    }
    let (load, copy) = (median(loads), median(copies));
    let ratio = load / copy;
    println!(
        "demo load [sqlite, large demo, {rows} rows]: {load:.1} s through the application vs a raw copy of the same rows {copy:.1} s → {ratio:.1}× (target ≤ 2×) {} [median of {RUNS}]",
        if ratio <= 2.0 { "OK" } else { "ABOVE TARGET" }
    );
}

/// The same on PostgreSQL: the demo into a database of its own, then a raw copy of its rows
/// into a second schema of tables made `LIKE` the demo's, indexes included, in one transaction.
async fn demo_load_postgres(url: &str) {
    let (mut loads, mut copies, mut rows) = (Vec::new(), Vec::new(), 0_i64);
    for _ in 0..RUNS {
        let started = Instant::now();
        let pg = PgDemo::load(url).await;
        loads.push(started.elapsed().as_secs_f64());
        let mut conn = sqlx::PgConnection::connect(&pg.db_url).await.expect("connect");
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables");
        sqlx::query("CREATE SCHEMA raw_copy").execute(&mut conn).await.expect("schema");
        for (t,) in &tables {
            sqlx::query(&format!("CREATE TABLE raw_copy.\"{t}\" (LIKE public.\"{t}\" INCLUDING ALL)"))
                .execute(&mut conn)
                .await
                .expect("table");
        }
        let started = Instant::now();
        let mut tx = conn.begin().await.expect("begin");
        rows = 0;
        for (t,) in &tables {
            let done = sqlx::query(&format!(
                "INSERT INTO raw_copy.\"{t}\" OVERRIDING SYSTEM VALUE SELECT * FROM public.\"{t}\""
            ))
            .execute(&mut *tx)
            .await
            .expect("copy");
            rows += done.rows_affected() as i64;
        }
        tx.commit().await.expect("commit");
        copies.push(started.elapsed().as_secs_f64());
        conn.close().await.expect("close");
        pg.drop_database().await;
    }
    let (load, copy) = (median(loads), median(copies));
    let ratio = load / copy;
    println!(
        "demo load [postgres, large demo, {rows} rows]: {load:.1} s through the application vs a raw copy of the same rows {copy:.1} s → {ratio:.1}× (target ≤ 2×) {} [median of {RUNS}]",
        if ratio <= 2.0 { "OK" } else { "ABOVE TARGET" }
    );
}

/// The large demo organisation (10,000 people), generated once a day by the `quarterdeck demo`
/// binary and kept under the target directory; each benchmark works on its own copy.
async fn large_demo() -> (Arc<dyn Store>, tempfile::TempDir) {
    const REVISION: u32 = 5;
    let cache_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&cache_dir).expect("cache directory");
    let cached = cache_dir.join(format!("large-demo-{}-r{REVISION}.db", Utc::now().date_naive()));
    if !cached.exists() {
        for old in std::fs::read_dir(&cache_dir).expect("cache directory").flatten() {
            let _ = std::fs::remove_file(old.path());
        }
        let building = cache_dir.join("building.db");
        eprintln!("generating the large demo once (cached in {})", cache_dir.display());
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
            .args(["demo", "--size", "large", "--db", building.to_str().unwrap()])
            .status()
            .expect("run the demo loader");
        assert!(status.success());
        // One self-contained file: the write-ahead log folded in.
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", building.display())).await.expect("open");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.expect("checkpoint");
        conn.close().await.expect("close");
        std::fs::rename(&building, &cached).expect("cache the demo");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("large.db");
    std::fs::copy(&cached, &path).expect("copy the demo");
    let store: Arc<dyn Store> = Arc::new(SqlStore::open_sqlite(path.to_str().unwrap()).await.expect("open"));
    (store, dir)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Runs a measurement `RUNS` times; the median of each figure.
const RUNS: usize = 3;

/// The median rate and the median p99 (ms) of several load runs.
fn figure(runs: &[(f64, Duration)]) -> (f64, f64) {
    (median(runs.iter().map(|x| x.0).collect()), median(runs.iter().map(|x| ms(x.1)).collect()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn list_page(store: Arc<dyn Store>, backend: &str) {
    let cycle = store.current_cycle(Utc::now().date_naive()).await.expect("cycle").expect("a current cycle");
    let path_q = format!("/api/v1/objectives?cycle={}&limit=50&include=key_results", cycle.id);
    let app = router(AppState::new(quarterdeck_app::App::new(store.clone())));
    let base = serve(app.clone()).await;
    let client = client(&store).await;
    let bytes = client.get(format!("{base}{path_q}")).send().await.expect("GET").bytes().await.expect("body");
    let base = serve(with_memory(app, bytes.clone())).await;
    let krs = key_results_of(&store, cycle.id).await;
    let mut memory = Vec::new();
    let mut quiet = Vec::new();
    let mut busy = Vec::new();
    for _ in 0..RUNS {
        memory.push(load(&client, &format!("{base}/bench/memory")).await);
        quiet.push(load(&client, &format!("{base}{path_q}")).await);
        // The same page while people elsewhere check in, 20 a second.
        let writer = tokio::spawn(steady_check_ins(client.clone(), base.clone(), krs.clone(), 20.0, LOAD_FOR));
        busy.push(load(&client, &format!("{base}{path_q}")).await);
        writer.await.expect("writer");
    }
    let (mem_rate, mem_p99) = figure(&memory);
    for (label, runs) in [("nothing written", &quiet), ("20 check-ins/s elsewhere", &busy)] {
        let (rate, p99) = figure(runs);
        let ratio = rate / mem_rate;
        println!(
            "list page [{backend}, large demo, {} bytes, {CONNECTIONS} connections, {label}]: {rate:.0} req/s (p99 {p99:.2} ms) vs same bytes from memory {mem_rate:.0} req/s (p99 {mem_p99:.2} ms) → ratio {ratio:.2} (target ≥ 0.25) {}; p99 {} [median of {RUNS}]",
            bytes.len(),
            if ratio >= 0.25 { "OK" } else { "BELOW TARGET" },
            if p99 <= 5.0 { "OK (≤ 5 ms)" } else { "ABOVE 5 ms" }
        );
    }
    // The path right after a write elsewhere: the same server with its page cache switched
    // off, so every request reads the page's revisions and assembles it from ready views.
    let uncached = AppState {
        cache: Arc::new(quarterdeck_web::cache::PageCache::disabled()),
        ..AppState::new(quarterdeck_app::App::new(store.clone()))
    };
    let uncached_base = serve(router(uncached)).await;
    let (cold_rate, cold_p99) = load(&client, &format!("{uncached_base}{path_q}")).await;
    println!(
        "list page, assembled on every request (page cache off: the page's revisions read, ready views reused, as after a write elsewhere): {cold_rate:.0} req/s (p99 {:.2} ms) → ratio {:.2}",
        ms(cold_p99),
        cold_rate / mem_rate
    );
}

/// The same server with one more route, `/bench/memory`, answering `bytes` from memory: the
/// limit a page is measured against.
fn with_memory(app: axum::Router, bytes: axum::body::Bytes) -> axum::Router {
    app.route(
        "/bench/memory",
        get(move || {
            let b = bytes.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], b) }
        }),
    )
}

/// The KPI pages of the large demo against the same bytes from memory: a driver tree of 500
/// nodes (built here, a 4-ary tree over the demo's KPIs), the unit scorecard with the most KPIs,
/// and one KPI's day periods over a year.
async fn kpi_pages(store: Arc<dyn Store>, backend: &str) {
    let mut kpis = Vec::new();
    let mut page = quarterdeck_store::PageRequest::first(quarterdeck_store::PageRequest::MAX_LIMIT);
    loop {
        let got = store.list_kpis(Default::default(), page).await.expect("KPIs");
        kpis.extend(got.items);
        match got.next_cursor {
            Some(c) => page = quarterdeck_store::PageRequest::parse(None, Some(&c)).expect("cursor"),
            None => break,
        }
    }
    let plain: Vec<_> = kpis.iter().filter(|k| !k.north_star && k.formula.is_none()).collect();
    let started = Instant::now();
    for i in 1..=500 {
        let edge = quarterdeck_store::kpi::NewKpiEdge {
            parent_id: plain[(i - 1) / 4].id,
            child_id: plain[i].id,
            influence: quarterdeck_domain::kpi::tree::Influence::High,
            confidence: quarterdeck_domain::kpi::tree::Influence::Medium,
            sign: quarterdeck_domain::kpi::tree::EdgeSign::Positive,
        };
        store.create_kpi_edge(&ctx(), edge).await.expect("edge");
    }
    println!(
        "driver tree of 500 edges built in {:.2} s ({:.2} ms an edge, each checked against its tree for loops)",
        started.elapsed().as_secs_f64(),
        ms(started.elapsed()) / 500.0
    );
    let mut by_unit: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for k in &kpis {
        if let Some(u) = k.unit_id {
            *by_unit.entry(u).or_default() += 1;
        }
    }
    let (unit, unit_kpis) = by_unit.into_iter().max_by_key(|(_, n)| *n).expect("a unit with KPIs");
    let today = Utc::now().date_naive();
    let pages = [
        ("driver tree, 501 nodes", format!("/api/v1/kpis/{}/tree", plain[0].key)),
        (&*format!("unit scorecard, {unit_kpis} KPIs"), format!("/api/v1/units/{unit}/kpi-scorecard")),
        (
            "one KPI's day periods for a year",
            format!(
                "/api/v1/kpis/{}/periods?granularity=day&from={}&to={today}&limit=366",
                plain[1].key,
                today - Days::days(365)
            ),
        ),
    ]
    .map(|(label, path)| (label.to_owned(), path));
    let app = router(AppState::new(quarterdeck_app::App::new(store.clone())));
    let uncached = serve(router(AppState {
        cache: Arc::new(quarterdeck_web::cache::PageCache::disabled()),
        ..AppState::new(quarterdeck_app::App::new(store.clone()))
    }))
    .await;
    let client = client(&store).await;
    for (label, path) in pages {
        let base = serve(app.clone()).await;
        let res = client.get(format!("{base}{path}")).send().await.expect("GET");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let bytes = res.bytes().await.expect("body");
        let base = serve(with_memory(app.clone(), bytes.clone())).await;
        let (mut page_runs, mut memory_runs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            memory_runs.push(load(&client, &format!("{base}/bench/memory")).await);
            page_runs.push(load(&client, &format!("{base}{path}")).await);
        }
        let ((rate, p99), (mem_rate, mem_p99)) = (figure(&page_runs), figure(&memory_runs));
        let ratio = rate / mem_rate;
        println!(
            "{label} [{backend}, large demo, {} bytes, {CONNECTIONS} connections]: {rate:.0} req/s (p99 {p99:.2} ms) vs same bytes from memory {mem_rate:.0} req/s (p99 {mem_p99:.2} ms) → ratio {ratio:.2} (target ≥ 0.25) {} [median of {RUNS}]",
            bytes.len(),
            if ratio >= 0.25 { "OK" } else { "BELOW TARGET" },
        );
        // What each render costs (right after a write): the same page with the cache off.
        let (cold, cold_p99) = load(&client, &format!("{uncached}{path}")).await;
        println!("  {label}, rendered on every request: {cold:.0} req/s (p99 {:.2} ms)", ms(cold_p99));
    }
}

/// The coach over the whole large demo's running cycle: every quality rule (`quarterdeck
/// lint`), the alignment review (target: under a second), and all OKR candidates.
async fn coach(store: Arc<dyn Store>, backend: &str) {
    use quarterdeck_app::coach::Scope;
    let app = quarterdeck_app::App::new(store.clone());
    println!("coach [{backend}, large demo, the whole running cycle, median of {RUNS} runs]:");
    // Built: a fresh application (nothing kept), as after a write. Kept: asked again with
    // nothing written since (the change token read, the kept review cloned).
    // After a check-in: the findings of the one objective it changed are recomputed, the
    // units' and KPIs' rules run again, the rest is kept per objective.
    let q = quarterdeck_app::objectives::ObjectiveQuery {
        cycle: Some("current".into()),
        with_key_results: true,
        ..Default::default()
    };
    let krs: Vec<_> = app
        .list_objectives(q, quarterdeck_store::PageRequest::first(50))
        .await
        .expect("objectives")
        .items
        .into_iter()
        .flat_map(|o| o.key_results.unwrap_or_default())
        .map(|k| k.id)
        .collect();
    let (mut built, mut kept, mut after_write) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = (0, 0);
    for run in 0..RUNS {
        let fresh = quarterdeck_app::App::new(store.clone());
        let t = Instant::now();
        let r = fresh.review("current", Scope::default()).await.expect("review");
        built.push(ms(t.elapsed()));
        size = (r.findings.len(), r.tally.errors);
        let t = Instant::now();
        fresh.review("current", Scope::default()).await.expect("review");
        kept.push(ms(t.elapsed()));
        let check_in = quarterdeck_app::key_results::RecordCheckIn {
            value: Some(run as f64),
            confidence: quarterdeck_domain::okr::Confidence::OnTrack,
            note: "bench".into(),
            author_id: None,
            at: None,
        };
        fresh.record_check_in(krs[run % krs.len()], check_in).await.expect("check-in");
        let t = Instant::now();
        fresh.review("current", Scope::default()).await.expect("review");
        after_write.push(ms(t.elapsed()));
    }
    println!(
        "  every quality rule (lint): built {:.0} ms, kept {:.1} ms, after a check-in {:.0} ms (limit for a page: 50 ms), for {} findings ({} errors)",
        median(built),
        median(kept),
        median(after_write),
        size.0,
        size.1
    );
    let (mut built, mut kept) = (Vec::new(), Vec::new());
    let mut counts = (0, 0);
    for _ in 0..RUNS {
        let fresh = quarterdeck_app::App::new(store.clone());
        let t = Instant::now();
        let r = fresh.alignment_review("current").await.expect("alignment review");
        built.push(ms(t.elapsed()));
        counts = (r.objectives, r.key_results);
        let t = Instant::now();
        fresh.alignment_review("current").await.expect("alignment review");
        kept.push(ms(t.elapsed()));
    }
    println!(
        "  alignment review: built {:.0} ms (limit 1000 ms), kept {:.1} ms, over {} objectives and {} key results",
        median(built),
        median(kept),
        counts.0,
        counts.1
    );
    let (mut built, mut kept) = (Vec::new(), Vec::new());
    let mut judged = 0;
    for _ in 0..RUNS {
        let fresh = quarterdeck_app::App::new(store.clone());
        let t = Instant::now();
        let c = fresh.calibration(None).await.expect("calibration");
        built.push(ms(t.elapsed()));
        judged = c.cycles.first().map_or(0, |c| c.kpis_judged);
        let t = Instant::now();
        fresh.calibration(None).await.expect("calibration");
        kept.push(ms(t.elapsed()));
    }
    println!(
        "  the company's calibration (every objective's grade, {judged} KPIs judged): built {:.0} ms, kept {:.1} ms",
        median(built),
        median(kept)
    );
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        found = app.okr_candidates(None).await.expect("candidates").len();
        times.push(t.elapsed());
    }
    println!(
        "  OKR candidates over every KPI: {:.0} ms, {found} proposed",
        median(times.iter().map(|t| ms(*t)).collect())
    );
}

/// Every page of the web application, one request at a time: p50 and p99 server time.
async fn web_pages(store: Arc<dyn Store>, backend: &str) {
    use quarterdeck_app::objectives::ObjectiveQuery;
    use quarterdeck_store::PageRequest;
    let app = quarterdeck_app::App::new(store.clone());
    // An admin who is a person of a team that has objectives this cycle.
    let q = ObjectiveQuery {
        cycle: Some("current".into()),
        with_key_results: true,
        aligned: Some(true),
        ..Default::default()
    };
    let team_objective = app.list_objectives(q, PageRequest::first(1)).await.expect("objectives").items.remove(0);
    let team = app.get_unit(&team_objective.unit_id.expect("a team objective").to_string()).await.expect("team");
    let person = app.get_person(team_objective.owner_id).await.expect("owner");
    let password = "benchmark password 1";
    let email = "pages-bench@example.com";
    if app.find_user(email).await.is_err() {
        let input = quarterdeck_app::accounts::AddUser {
            email: email.into(),
            name: "Page benchmark".into(),
            role: quarterdeck_domain::access::Role::Admin,
            person_id: Some(person.id),
            password: Some(password.into()),
        };
        app.add_user(input).await.expect("bench user");
    }
    let signed = app.sign_in(email, password, "127.0.0.1").await.expect("sign in");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, format!("qd_session={}", signed.secret).parse().expect("cookie"));
    let client = reqwest::Client::builder().default_headers(headers).build().expect("client");
    let q = ObjectiveQuery { cycle: Some("current".into()), aligned: Some(false), ..Default::default() };
    let company = app.list_objectives(q, PageRequest::first(1)).await.expect("roots").items.remove(0);
    let department = app.aligned_below(&[company.id], false).await.expect("below").remove(0).1;
    let kr = team_objective.key_results.as_ref().and_then(|k| k.first()).expect("a key result").id;
    let kpi = store.list_kpis(Default::default(), PageRequest::first(1)).await.expect("KPIs").items.remove(0).key;
    let kpi = kpi.as_str();
    let pages = [
        ("home", "/".to_owned()),
        ("company one-pager", "/company".into()),
        ("alignment map", "/alignment".into()),
        ("alignment: below a company objective", format!("/alignment/{}/below", company.id)),
        ("alignment: below a department objective", format!("/alignment/{}/below", department.id)),
        ("teams", "/teams".into()),
        ("team page", format!("/teams/{}", team.slug)),
        ("team agenda", format!("/teams/{}/agenda", team.slug)),
        ("objective", format!("/objectives/{}", team_objective.id)),
        ("key result", format!("/key-results/{kr}")),
        ("KPI dictionary", "/kpis".into()),
        ("KPI page", format!("/kpis/{kpi}")),
        ("KPI page, a year of days", format!("/kpis/{kpi}?granularity=day")),
        ("KPI tree", format!("/kpis/{kpi}/tree")),
        ("branch dashboard", format!("/dashboard?root={kpi}")),
        ("cycles", "/cycles".into()),
        // Whole-cycle pages: built once per write, kept between writes (the first request
        // below builds it; `-- coach` prints what building costs).
        ("a cycle's findings (kept)", format!("/cycles/{}/coach", company.cycle_id)),
        ("alignment review (kept)", "/alignment/review".into()),
        ("company calibration (kept)", "/calibration".into()),
        ("coach policy", "/coach/policy".into()),
        ("API tokens", "/tokens".into()),
        ("people and users", "/people".into()),
    ];
    let base = serve(router(AppState::new(app.clone()))).await;
    const REQUESTS: usize = 200;
    println!("web pages [{backend}, large demo, one request at a time, {REQUESTS} requests, median of {RUNS} runs]:");
    let mut worst: f64 = 0.0;
    for (label, path) in pages {
        let url = format!("{base}{path}");
        let first = client.get(&url).send().await.expect("GET");
        assert!(first.status().is_success(), "{path}: {}", first.status());
        let bytes = first.bytes().await.expect("body").len();
        let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let mut times = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let t = Instant::now();
                let res = client.get(&url).send().await.expect("GET");
                res.bytes().await.expect("body");
                times.push(t.elapsed());
            }
            p50s.push(ms(percentile(times.clone(), 0.5)));
            p99s.push(ms(percentile(times, 0.99)));
        }
        worst = worst.max(page_line(label, &format!("{bytes:>8} bytes"), p50s, p99s));
    }
    // The whole-cycle findings right after each write: a check-in elsewhere, then the page
    // (its changed objective recomputed, the rest kept per objective).
    let findings = format!("{base}/cycles/{}/coach", company.cycle_id);
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let mut times = Vec::with_capacity(50);
        for i in 0..50 {
            let check_in = quarterdeck_app::key_results::RecordCheckIn {
                value: Some((run * 50 + i) as f64),
                confidence: quarterdeck_domain::okr::Confidence::OnTrack,
                note: "bench".into(),
                author_id: None,
                at: None,
            };
            app.record_check_in(kr, check_in).await.expect("check-in");
            let t = Instant::now();
            let res = client.get(&findings).send().await.expect("GET");
            assert!(res.status().is_success());
            res.bytes().await.expect("body");
            times.push(t.elapsed());
        }
        p50s.push(ms(percentile(times.clone(), 0.5)));
        p99s.push(ms(percentile(times, 0.99)));
    }
    worst = worst.max(page_line("a cycle's findings right after a check-in", "", p50s, p99s));
    println!("  slowest page p99 {worst:.2} ms (limit 50 ms)");
}

/// Prints a page's median p50 and p99 against the page limit; its p99.
fn page_line(label: &str, size: &str, p50s: Vec<f64>, p99s: Vec<f64>) -> f64 {
    let (p50, p99) = (median(p50s), median(p99s));
    println!(
        "  {label:<42} {size:>14}  p50 {p50:>6.2} ms  p99 {p99:>6.2} ms (limit 50 ms) {}",
        if p99 <= 50.0 { "OK" } else { "ABOVE LIMIT" }
    );
    p99
}

/// The active metric key results of a cycle, by id.
async fn key_results_of(store: &Arc<dyn Store>, cycle: quarterdeck_domain::ids::CycleId) -> Vec<String> {
    let filter = quarterdeck_store::input::KeyResultFilter { cycle_id: Some(cycle), ..Default::default() };
    let mut page = quarterdeck_store::PageRequest::first(quarterdeck_store::PageRequest::MAX_LIMIT);
    let mut out = Vec::new();
    loop {
        let got = store.list_key_results(filter.clone(), page).await.expect("key results");
        // Active metric key results: any number is a value they take.
        let active = got.items.iter().filter(|k| {
            k.status == quarterdeck_domain::okr::KeyResultStatus::Active
                && k.kind == quarterdeck_domain::scoring::KeyResultKind::Metric
        });
        out.extend(active.map(|k| k.id.to_string()));
        match got.next_cursor {
            Some(c) => page = quarterdeck_store::PageRequest::parse(None, Some(&c)).expect("cursor"),
            None => return out,
        }
    }
}

async fn check_in(client: &reqwest::Client, base: &str, kr: &str, value: f64) {
    let res = client
        .post(format!("{base}/api/v1/key-results/{kr}/check-ins"))
        .json(&serde_json::json!({"value": value, "confidence": "on_track", "note": "bench"}))
        .send()
        .await
        .expect("POST");
    assert!(res.status().is_success(), "{}", res.text().await.unwrap_or_default());
    res.bytes().await.expect("body");
}

/// Check-ins at a steady rate on random key results, for `length`.
async fn steady_check_ins(client: reqwest::Client, base: String, krs: Vec<String>, per_second: f64, length: Duration) {
    let started = Instant::now();
    let mut i = 0usize;
    while started.elapsed() < length {
        check_in(&client, &base, &krs[(i * 7919) % krs.len()], (i % 100) as f64).await;
        i += 1;
        let next = Duration::from_secs_f64(i as f64 / per_second);
        if let Some(wait) = next.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
}

const CHECK_INS: usize = 4_000;
const CHECK_IN_CLIENTS: usize = 8;

/// Check-ins/s and p99 from `CHECK_IN_CLIENTS` clients on random key results.
async fn check_in_load(client: &reqwest::Client, base: &str, krs: &[String], seed: usize) -> (f64, Duration) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CHECK_IN_CLIENTS {
        let client = client.clone();
        let base = base.to_owned();
        let krs = krs.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in 0..CHECK_INS / CHECK_IN_CLIENTS {
                let pick = (seed * 104_729 + c * 7_919 + i * 31) % krs.len();
                let t = Instant::now();
                check_in(&client, &base, &krs[pick], (i % 100) as f64).await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    (CHECK_INS as f64 / started.elapsed().as_secs_f64(), percentile(latencies, 0.99))
}

/// Runs the check-in load `RUNS` times, each followed by the database's raw transaction rate
/// (one INSERT per transaction, same table, same database; `$values` are the placeholders in
/// the database's syntax), and prints the medians.
macro_rules! check_in_runs {
    ($backend:expr, $db:expr, $client:expr, $base:expr, $krs:expr, $conn:expr, $values:expr) => {{
        let (mut rates, mut p99s, mut raws) = (Vec::new(), Vec::new(), Vec::new());
        let insert = format!(
            "INSERT INTO check_ins (id, key_result_id, value, confidence, note, author_id, at, created_at) VALUES ({})",
            $values
        );
        for run in 0..RUNS {
            let (rate, p99) = check_in_load(&$client, &$base, &$krs, run).await;
            rates.push(rate);
            p99s.push(ms(p99));
            let now = Utc::now().timestamp_micros();
            let started = Instant::now();
            for i in 0..CHECK_INS {
                sqlx::query(&insert)
                    .bind(format!("raw-{run}-{i}"))
                    .bind(&$krs[i % $krs.len()])
                    .bind((i % 100) as f64)
                    .bind(now)
                    .bind(now)
                    .execute(&mut $conn)
                    .await
                    .expect("insert");
            }
            raws.push(CHECK_INS as f64 / started.elapsed().as_secs_f64());
        }
        let (rate, p99, raw) = (median(rates), median(p99s), median(raws));
        let ratio = rate / raw;
        println!(
            "check-ins [{}, {}, {CHECK_IN_CLIENTS} clients, random key results]: {rate:.0}/s (p99 {p99:.2} ms) vs raw single-INSERT transactions {raw:.0}/s → ratio {ratio:.2} (target ≥ 0.50) {}; p99 {} [median of {RUNS}]",
            $backend,
            $db,
            if ratio >= 0.5 { "OK" } else { "BELOW TARGET" },
            if p99 <= 10.0 { "OK (≤ 10 ms)" } else { "ABOVE 10 ms" }
        );
    }};
}

async fn check_ins() {
    let (store, dir) = large_demo().await;
    let cycle = store.current_cycle(Utc::now().date_naive()).await.expect("cycle").expect("a current cycle");
    let krs = key_results_of(&store, cycle.id).await;
    let base = serve(router(AppState::new(quarterdeck_app::App::new(store.clone())))).await;
    let client = client(&store).await;

    // One at a time: the cost of one check-in in a large organisation, and in a small one.
    let one_p50 = one_at_a_time(&client, &base, &krs).await;
    let small_dir = tempfile::tempdir().expect("tempdir");
    let small_path = small_dir.path().join("small.db");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(["demo", "--db", small_path.to_str().unwrap()])
        .status()
        .expect("run the demo loader");
    assert!(status.success());
    let small: Arc<dyn Store> = Arc::new(SqlStore::open_sqlite(small_path.to_str().unwrap()).await.expect("open"));
    let small_cycle = small.current_cycle(Utc::now().date_naive()).await.expect("cycle").expect("a current cycle");
    let small_krs = key_results_of(&small, small_cycle.id).await;
    let small_base = serve(router(AppState::new(quarterdeck_app::App::new(small.clone())))).await;
    let small_client = self::client(&small).await;
    let small_p50 = one_at_a_time(&small_client, &small_base, &small_krs).await;

    let path = dir.path().join("large.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.expect("connect");
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut conn).await.expect("pragma");
    check_in_runs!("sqlite", "large demo", client, base, krs, conn, "?, ?, ?, 'on_track', 'bench', NULL, ?, ?");
    // The same load on the small demo (the organisation of the earlier, almost empty,
    // benchmark): what the size of the organisation costs a check-in under load.
    let mut small_conn =
        sqlx::SqliteConnection::connect(&format!("sqlite:{}", small_path.display())).await.expect("connect");
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut small_conn).await.expect("pragma");
    check_in_runs!(
        "sqlite",
        "small demo",
        small_client,
        small_base,
        small_krs,
        small_conn,
        "?, ?, ?, 'on_track', 'bench', NULL, ?, ?"
    );
    let growth = one_p50 / small_p50;
    println!(
        "check-in one at a time [sqlite]: p50 {one_p50:.2} ms on the large demo vs {small_p50:.2} ms on the small one → {growth:.2}× (target ≤ 1.2×) {}",
        if growth <= 1.2 { "OK" } else { "ABOVE TARGET" }
    );
}

/// The median time of one check-in when nobody else writes (200 in a row).
async fn one_at_a_time(client: &reqwest::Client, base: &str, krs: &[String]) -> f64 {
    let mut times = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        check_in(client, base, &krs[(i * 7919) % krs.len()], (i % 100) as f64).await;
        times.push(t.elapsed());
    }
    ms(percentile(times, 0.5))
}

/// The resident set and its peak of a process, in MB (Linux).
fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let kb = |field: &str| -> f64 {
        let line = status.lines().find(|l| l.starts_with(field)).expect("field in status");
        line.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()).expect("a number")
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// Server memory: the release server (`quarterdeck serve`) on a copy of the large demo, asked
/// for more distinct list pages than its cache holds (every unit's objectives at two page
/// sizes, with and without key results) by 32 connections while people check in elsewhere;
/// its resident set after the load and its peak, against 150 MB.
async fn memory() {
    let (store, dir) = large_demo().await;
    let path = dir.path().join("large.db");
    let cycle = store.current_cycle(Utc::now().date_naive()).await.expect("cycle").expect("a current cycle");
    let krs = key_results_of(&store, cycle.id).await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.expect("connect");
    let units: Vec<(String,)> = sqlx::query_as("SELECT id FROM units").fetch_all(&mut conn).await.expect("units");
    conn.close().await.expect("close");
    let client = client(&store).await;
    drop(store);

    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(["serve", "--no-jobs", "--bind", "127.0.0.1:0", "--db", path.to_str().unwrap()])
        .env("QUARTERDECK_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(server.stderr.take().expect("stderr")));
    let addr = loop {
        let line = lines.next().expect("the server printed its address").expect("a line");
        if let Some(rest) = line.split("running at http://").nth(1) {
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    // Keep reading what it prints, so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let base = format!("http://{addr}");
    let (start_rss, _) = memory_of(server.id());

    let mut pages = Vec::new();
    for (unit,) in &units {
        for limit in [20, 100] {
            for include in ["&include=key_results", ""] {
                pages.push(format!("{base}/api/v1/objectives?cycle={}&unit={unit}&limit={limit}{include}", cycle.id));
            }
        }
    }
    let started = Instant::now();
    let writer = tokio::spawn(steady_check_ins(client.clone(), base.clone(), krs, 20.0, LOAD_FOR * 4));
    let pages = Arc::new(pages);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, pages, next) = (client.clone(), pages.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(url) = pages.get(i) else { return };
                let res = client.get(url).send().await.expect("GET");
                assert!(res.status().is_success(), "{url}: {}", res.status());
                res.bytes().await.expect("body");
            }
        }));
    }
    // And the whole cycle, page after page, at five page sizes with key results: about
    // 5 × 4,000 objectives' worth of distinct pages, more bytes than the cache may hold.
    let walked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for limit in [10, 25, 50, 100, 200] {
        let (client, base, walked) = (client.clone(), base.clone(), walked.clone());
        let first = format!("{base}/api/v1/objectives?cycle={}&limit={limit}&include=key_results", cycle.id);
        tasks.push(tokio::spawn(async move {
            let mut url = first.clone();
            loop {
                let page: serde_json::Value = client.get(&url).send().await.expect("GET").json().await.expect("JSON");
                walked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match page["next_cursor"].as_str() {
                    Some(c) if page["items"].as_array().is_some_and(|i| !i.is_empty()) => {
                        url = format!("{first}&cursor={c}")
                    }
                    _ => return,
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("reader");
    }
    writer.await.expect("writer");
    let (rss, peak) = memory_of(server.id());
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "server memory [sqlite, large demo, {} distinct pages in {:.0} s, {CONNECTIONS} connections, 20 check-ins/s]: resident {rss:.0} MB after the load (at start {start_rss:.0} MB), peak {peak:.0} MB vs limit 150 MB → {}",
        pages.len() + walked.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        if peak <= 150.0 { "OK" } else { "ABOVE LIMIT" }
    );
}

/// The check-in load on PostgreSQL: the large demo loaded by `quarterdeck demo` into a database
/// of its own (dropped afterwards), against PostgreSQL's raw single-INSERT transaction rate.
/// The large demo loaded into a PostgreSQL database of its own, created here and dropped by
/// [`PgDemo::drop_database`].
struct PgDemo {
    admin: sqlx::PgConnection,
    name: String,
    db_url: String,
    store: Arc<dyn Store>,
}

impl PgDemo {
    async fn load(url: &str) -> PgDemo {
        let name = format!("quarterdeck_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create the database");
        let (server, query) = url.split_once('?').map_or((url, None), |(s, q)| (s, Some(q)));
        let db_url = format!(
            "{}/{name}{}",
            &server[..server.rfind('/').expect("a database in the URL")],
            query.map(|q| format!("?{q}")).unwrap_or_default()
        );
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
            .args(["demo", "--size", "large", "--db", &db_url])
            .status()
            .expect("run the demo loader");
        assert!(status.success());
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_postgres(&db_url, None).await.expect("open"));
        PgDemo { admin, name, db_url, store }
    }

    async fn drop_database(mut self) {
        drop(self.store);
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop the database");
    }
}

async fn check_ins_postgres(pg: &PgDemo) {
    let store = pg.store.clone();
    let cycle = store.current_cycle(Utc::now().date_naive()).await.expect("cycle").expect("a current cycle");
    let krs = key_results_of(&store, cycle.id).await;
    let base = serve(router(AppState::new(quarterdeck_app::App::new(store.clone())))).await;
    let client = client(&store).await;
    let one_p50 = one_at_a_time(&client, &base, &krs).await;
    let mut conn = sqlx::PgConnection::connect(&pg.db_url).await.expect("connect");
    check_in_runs!("postgres", "large demo", client, base, krs, conn, "$1, $2, $3, 'on_track', 'bench', NULL, $4, $5");
    println!("check-in one at a time [postgres]: p50 {one_p50:.2} ms on the large demo");
    conn.close().await.expect("close");
}
