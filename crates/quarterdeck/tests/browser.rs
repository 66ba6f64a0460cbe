//! The web application as people use it, in a real headless Chromium (Debian's `chromium`
//! and `chromium-driver`) against `quarterdeck serve --demo` on a random port with a fresh
//! database, on SQLite and on PostgreSQL: sign in, draft an objective with three key
//! results, check in and watch the score change, meet a conflicting edit, read a KPI chart,
//! follow the alignment map, build a dashboard from a tree branch, and as a viewer find no
//! edit control and a forged change refused. Every page passes axe-core (vendored from npm)
//! without a serious or critical violation. The SQLite run writes the README's screenshots
//! into `docs/screenshots/`.
//!
//! Without chromedriver the test says SKIPPED; `QUARTERDECK_REQUIRE_BROWSER=1` (CI) makes
//! that a failure.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AXE: &str = include_str!("../../web/tests/vendor/axe.min.js");
/// The colour the page script draws values in (app.js `VALUE`).
const VALUE_RGB: [u8; 3] = [0x0b, 0x57, 0xd0];

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn chromedriver() -> Option<String> {
    let found = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned);
    if found.is_none() {
        if std::env::var("QUARTERDECK_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!(
                "QUARTERDECK_REQUIRE_BROWSER=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("SKIPPED (browser tests): install chromium and chromium-driver to run them");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The demo server: its address and the credentials it printed, by role.
struct Demo {
    _child: Killed,
    base: String,
    users: Vec<(String, String, String)>,
    token: String,
    /// The one-time set-up code a server on an empty database prints.
    setup_code: Option<String>,
}

impl Demo {
    fn start(db: &str, dir: &std::path::Path) -> Demo {
        Demo::serve(&["--demo"], db, dir)
    }

    fn serve(extra: &[&str], db: &str, dir: &std::path::Path) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
            .args(["serve", "--bind", "127.0.0.1:0", "--db", db])
            .args(extra)
            .current_dir(dir)
            .env("QUARTERDECK_LOG", "warn")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(120);
        let (mut users, mut token, mut setup_code) = (Vec::new(), String::new(), None);
        let base = loop {
            assert!(Instant::now() < deadline, "server did not start");
            let line = lines.next().expect("server exited early").unwrap();
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [role @ ("admin" | "lead" | "member" | "viewer"), email, password] = words.as_slice() {
                users.push((role.to_string(), email.to_string(), password.to_string()));
            }
            if let Some(rest) = line.split("(shown once): ").nth(1) {
                token = rest.trim().to_owned();
            }
            if let Some(rest) = line.split("refused once anyone can): ").nth(1) {
                setup_code = Some(rest.trim().to_owned());
            }
            if let Some(rest) = line.split("running at ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Demo { _child: Killed(child), base, users, token, setup_code }
    }

    fn user(&self, role: &str) -> (String, String) {
        let (_, e, p) = self.users.iter().find(|u| u.0 == role).unwrap_or_else(|| panic!("no {role} printed"));
        (e.clone(), p.clone())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn browser(port: u16) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run", "--window-size=1280,1000"]
        }
    });
    let caps: fantoccini::wd::Capabilities = caps.as_object().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("chromedriver did not answer: {e}"),
        }
    }
}

/// Polls a condition in the page (a JavaScript expression) until it holds.
async fn until(c: &Client, what: &str, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = c.execute(&format!("return !!({expr});"), vec![]).await.unwrap();
        if v == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "waited in vain for {what} ({expr}) on {}", c.current_url().await.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs axe-core on the page: no serious or critical violation.
async fn accessible(c: &Client, page: &str) {
    let loaded = c.execute("return typeof axe !== 'undefined';", vec![]).await.unwrap();
    if loaded != json!(true) {
        c.execute(AXE, vec![]).await.unwrap();
    }
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html) }))));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(found, json!([]), "accessibility violations on {page}");
}

async fn visit(c: &Client, d: &Demo, path: &str, shot: Option<&str>) {
    c.goto(&d.url(path)).await.unwrap();
    until(c, "the page to load", "document.readyState === 'complete'").await;
    accessible(c, path).await;
    if let Some(name) = shot {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await.unwrap()).unwrap();
    }
}

async fn sign_in(c: &Client, d: &Demo, role: &str) {
    let (email, password) = d.user(role);
    c.goto(&d.url("/sign-in")).await.unwrap();
    c.find(Locator::Id("email")).await.unwrap().send_keys(&email).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys(&password).await.unwrap();
    c.find(Locator::Css("form[action='/sign-in'] button")).await.unwrap().click().await.unwrap();
    until(c, "the home page", "location.pathname === '/' && document.querySelector('.who form')").await;
}

async fn fill(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// An objective as the API has it now.
async fn stored(api: &reqwest::Client, d: &Demo, id: &str) -> Value {
    let res = api.get(d.url(&format!("/api/v1/objectives/{id}"))).bearer_auth(&d.token).send().await.unwrap();
    res.json().await.unwrap()
}

async fn journey(d: &Demo, screenshots: bool) {
    let port = free_port();
    let _driver = Killed(
        Command::new(chromedriver().unwrap())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = browser(port).await;
    let shot = |name: &'static str| -> Option<&'static str> { screenshots.then_some(name) };

    // Not signed in: the sign-in page, and back to where we were going.
    c.goto(&d.url("/kpis")).await.unwrap();
    until(&c, "the sign-in page", "location.pathname === '/sign-in'").await;
    accessible(&c, "/sign-in").await;
    if screenshots {
        visit(&c, d, "/sign-in", shot("sign-in")).await;
    }
    sign_in(&c, d, "admin").await;
    visit(&c, d, "/", shot("home")).await;

    // An objective with three key results.
    visit(&c, d, "/objectives/new", None).await;
    fill(&c, "title", "Make onboarding effortless").await;
    c.find(Locator::Css("#status option[value=active]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("form[action='/objectives'] button")).await.unwrap().click().await.unwrap();
    until(&c, "the new objective", "location.pathname.startsWith('/objectives/0')").await;
    let objective_path = c.current_url().await.unwrap().path().to_owned();
    for (title, from, to) in [
        ("Raise activation from 20 to 60", "20", "60"),
        ("Cut setup time from 30 to 10", "30", "10"),
        ("Grow invites from 100 to 300", "100", "300"),
    ] {
        // Opened once; after a save the page comes back with it closed.
        c.find(Locator::Css("#add-kr summary")).await.unwrap().click().await.unwrap();
        fill(&c, "kr-title", title).await;
        fill(&c, "kr-baseline", from).await;
        fill(&c, "kr-target", to).await;
        c.find(Locator::Css("form[action$='/key-results'] button")).await.unwrap().click().await.unwrap();
        until(
            &c,
            "the key result in the list",
            &format!("[...document.querySelectorAll('.krs-table a')].some(a => a.textContent === {title:?})"),
        )
        .await;
    }
    accessible(&c, "objective").await;
    if screenshots {
        visit(&c, d, &objective_path, shot("objective")).await;
    }
    let rows = c.find_all(Locator::Css(".krs-table tbody tr a")).await.unwrap();
    assert_eq!(rows.len(), 3);

    // A check-in changes the score and colour in place.
    rows[0].click().await.unwrap();
    until(&c, "the key result page", "document.getElementById('check-in-form')").await;
    let kr_path = c.current_url().await.unwrap().path().to_owned();
    assert_eq!(text(&c, "#kr-summary .score").await, "0.00");
    assert!(c.find(Locator::Css("#kr-summary .score.red")).await.is_ok());
    fill(&c, "ci-value", "52").await;
    c.find(Locator::Css("input[name=confidence][value=on_track]")).await.unwrap().click().await.unwrap();
    fill(&c, "ci-note", "Ship the guided tour").await;
    c.find(Locator::Css("#check-in-form button")).await.unwrap().click().await.unwrap();
    until(&c, "the new score", "document.querySelector('#kr-summary .score').textContent === '0.80'").await;
    assert!(c.find(Locator::Css("#kr-summary .score.green")).await.is_ok(), "0.80 is green");
    assert_eq!(c.current_url().await.unwrap().path(), kr_path, "updated in place, no reload");
    // A value that is not a number: said next to the form, nothing recorded.
    fill(&c, "ci-value", "lots").await;
    c.find(Locator::Css("input[name=confidence][value=at_risk]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#check-in-form button")).await.unwrap().click().await.unwrap();
    until(&c, "the error", "document.getElementById('checkin-error')").await;
    assert!(text(&c, "#checkin-error").await.contains("not a number"));
    assert_eq!(text(&c, "#kr-summary .score").await, "0.80");
    visit(&c, d, &kr_path, shot("key-result")).await;
    until(&c, "the chart", "document.querySelector('.chart[data-drawn]')").await;

    // Someone else saves the objective first: both versions are shown, nothing overwritten.
    visit(&c, d, &objective_path, None).await;
    fill(&c, "title", "Make onboarding delightful").await;
    let id = objective_path.trim_start_matches("/objectives/");
    let api = reqwest::Client::new();
    let current = stored(&api, d, id).await;
    let res = api
        .patch(d.url(&format!("/api/v1/objectives/{id}")))
        .bearer_auth(&d.token)
        .header("If-Match", format!("\"{}\"", current["version"]))
        .json(&json!({"title": "Make onboarding painless"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    c.find(Locator::Css(&format!("form[action='{objective_path}'] button"))).await.unwrap().click().await.unwrap();
    until(&c, "the conflict", "document.getElementById('conflict-h')").await;
    let conflict = text(&c, ".conflict").await;
    assert!(
        conflict.contains("Make onboarding painless") && conflict.contains("Make onboarding delightful"),
        "{conflict}"
    );
    accessible(&c, "conflict").await;
    let saved = stored(&api, d, id).await;
    assert_eq!(saved["title"], "Make onboarding painless");

    // A KPI page draws its data points.
    visit(&c, d, "/kpis", shot("kpis")).await;
    visit(&c, d, "/kpis/weekly_active_teams", shot("kpi")).await;
    until(&c, "the KPI chart", "document.querySelector('#kpi-chart[data-drawn]')").await;
    let drawn: usize =
        c.find(Locator::Id("kpi-chart")).await.unwrap().attr("data-drawn").await.unwrap().unwrap().parse().unwrap();
    let periods: usize =
        c.find(Locator::Id("kpi-chart")).await.unwrap().attr("data-points").await.unwrap().unwrap().parse().unwrap();
    assert!(drawn > 5 && drawn <= periods, "{drawn} of {periods} periods drawn");
    let pixels = c
        .execute(
            "const cv = document.querySelector('#kpi-chart canvas'); const x = cv.getContext('2d');
             const d = x.getImageData(0, 0, cv.width, cv.height).data; let n = 0;
             for (let i = 0; i < d.length; i += 4) { if (d[i] === arguments[0] && d[i+1] === arguments[1] && d[i+2] === arguments[2] && d[i+3] > 200) n++; }
             return n;",
            VALUE_RGB.iter().map(|v| json!(v)).collect(),
        )
        .await
        .unwrap();
    assert!(pixels.as_u64().unwrap() > 100, "the value line is drawn on the canvas ({pixels} pixels)");

    // The company page and the alignment map, followed down a level.
    visit(&c, d, "/company", shot("company")).await;
    visit(&c, d, "/alignment", shot("alignment")).await;
    c.find(Locator::Css(".tree details summary")).await.unwrap().click().await.unwrap();
    until(&c, "the level below", "document.querySelector('.tree details .level a[href^=\"/objectives/\"]')").await;
    accessible(&c, "alignment, opened").await;
    c.find(Locator::Css(".tree details .level a[href^='/objectives/']")).await.unwrap().click().await.unwrap();
    until(
        &c,
        "an aligned objective",
        "location.pathname.startsWith('/objectives/') && document.getElementById('align-h')",
    )
    .await;

    // A dashboard from a tree branch, kept in its address.
    visit(&c, d, "/kpis/weekly_active_teams/tree", shot("tree")).await;
    c.find(Locator::Css("a[href='/dashboard?root=weekly_active_teams']")).await.unwrap().click().await.unwrap();
    until(&c, "the dashboard's charts", "document.querySelectorAll('.chart[data-drawn]').length > 0 && document.querySelectorAll('.chart[data-drawn]').length === document.querySelectorAll('.chart').length").await;
    let charts = c.find_all(Locator::Css(".chart")).await.unwrap().len();
    c.find(Locator::Css("#choose summary, details.card summary")).await.unwrap().click().await.unwrap();
    let boxes = c.find_all(Locator::Css("input[name=pick]")).await.unwrap();
    assert_eq!(boxes.len(), charts, "the whole branch is drawn at first");
    boxes[0].click().await.unwrap();
    c.find(Locator::Css("#choose button")).await.unwrap().click().await.unwrap();
    until(&c, "a narrower dashboard", "location.search.includes('kpis=')").await;
    let shared = c.current_url().await.unwrap().to_string();
    c.goto(&shared).await.unwrap();
    until(&c, "the shared dashboard", "document.querySelectorAll('.chart[data-drawn]').length > 0").await;
    assert_eq!(c.find_all(Locator::Css(".chart")).await.unwrap().len(), charts - 1, "the address keeps the choice");
    accessible(&c, "dashboard").await;
    if screenshots {
        visit(&c, d, "/dashboard?root=weekly_active_teams", shot("dashboard")).await;
    }
    // A bad value: the message sits next to the field, the form keeps what was typed.
    visit(&c, d, "/kpis/new", None).await;
    fill(&c, "name", "Support backlog").await;
    fill(&c, "target", "lots").await;
    c.find(Locator::Css("form[action='/kpis'] button")).await.unwrap().click().await.unwrap();
    until(&c, "the error beside its field", "document.querySelector('#target + #form-error')").await;
    assert!(text(&c, "#form-error").await.contains("'lots' is not a number"));
    let kept = c.find(Locator::Id("name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Support backlog"));
    accessible(&c, "a form with an error").await;
    let rest = [
        ("/kpis/new", None),
        ("/kpis/weekly_active_teams/key-result", None),
        ("/no-such-page", None),
        ("/cycles", Some("cycles")),
        ("/tokens", Some("tokens")),
        ("/people", Some("people")),
        ("/alignment/review", None),
        ("/coach/policy", None),
        ("/coach/policy?unit=customer-success", None),
        ("/calibration", None),
        ("/alignment/orphans", None),
        // Last: the team page is found from it.
        ("/teams", None),
    ];
    for (path, name) in rest {
        visit(&c, d, path, name.and_then(&shot)).await;
    }
    let team = c
        .execute("return document.querySelector('main a[href^=\"/teams/\"]').getAttribute('href');", vec![])
        .await
        .unwrap();
    visit(&c, d, team.as_str().unwrap(), shot("team")).await;

    // The coach on the demo: its degrading KPI (reopens climbing for three weeks) is proposed
    // as an OKR on its team's page and in the weekly agenda, whose key results carry
    // forecasts; a cycle's findings and the quarter-end walkthrough pass the same checks.
    visit(&c, d, "/teams/customer-success", None).await;
    let proposed = text(&c, "#cand-h + p + ul").await;
    assert!(proposed.contains("Reopen rate") && proposed.contains("drifting"), "{proposed}");
    visit(&c, d, "/teams/customer-success/agenda", shot("agenda")).await;
    let forecasts = c.execute("return document.querySelectorAll('td.forecast').length;", vec![]).await.unwrap();
    assert!(forecasts.as_u64().unwrap() > 0, "the agenda's key results carry forecasts");
    visit(&c, d, "/cycles", None).await;
    let coach = c
        .execute("return document.querySelector('main a[href$=\"/coach\"]').getAttribute('href');", vec![])
        .await
        .unwrap();
    visit(&c, d, coach.as_str().unwrap(), shot("coach")).await;
    visit(&c, d, &coach.as_str().unwrap().replace("/coach", "/close"), None).await;

    // At phone width every main page fits the screen (tables scroll inside themselves).
    c.set_window_size(390, 844).await.unwrap();
    for path in ["/", "/company", kr_path.as_str(), "/kpis/weekly_active_teams", team.as_str().unwrap()] {
        visit(&c, d, path, None).await;
        let wider = c
            .execute(
                "if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('table'))
                   .slice(0, 4).map(e => e.tagName + '.' + e.className);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wider, json!([]), "{path} is wider than a phone");
    }
    if screenshots {
        visit(&c, d, &kr_path, shot("phone-key-result")).await;
    }
    c.set_window_size(1280, 1000).await.unwrap();

    // A viewer sees no edit control, and a forged change is refused.
    c.find(Locator::Css(".who form button")).await.unwrap().click().await.unwrap();
    until(&c, "signed out", "location.pathname === '/sign-in'").await;
    sign_in(&c, d, "viewer").await;
    for path in [objective_path.as_str(), kr_path.as_str(), "/kpis/weekly_active_teams", "/cycles"] {
        visit(&c, d, path, None).await;
        let forms = c
            .execute(
                "return [...document.querySelectorAll('main form[method=post]')].map(f => f.getAttribute('action'));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(forms, json!([]), "a viewer finds no edit control on {path}");
    }
    visit(&c, d, &kr_path, None).await;
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
             fetch(location.pathname + '/check-ins', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf }, body: 'value=99&confidence=on_track' })
               .then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(403), "a viewer's forged check-in is refused");
    assert_eq!(text(&c, "#kr-summary .score").await, "0.80", "and changed nothing");
    c.close().await.unwrap();
}

/// A new server: the first admin from the set-up page, then the first cycle, activated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_server_is_set_up_in_the_browser() {
    let Some(driver) = chromedriver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = Demo::serve(&[], "fresh.db", dir.path());
    let code = d.setup_code.clone().expect("serve prints a set-up code on an empty database");
    let port = free_port();
    let _driver = Killed(
        Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let c = browser(port).await;
    c.goto(&d.url("/")).await.unwrap();
    until(&c, "the sign-in page", "location.pathname === '/sign-in'").await;
    c.find(Locator::Css("a[href='/setup']")).await.unwrap().click().await.unwrap();
    until(&c, "the set-up page", "document.getElementById('code')").await;
    accessible(&c, "/setup").await;
    fill(&c, "code", &code).await;
    fill(&c, "name", "Ada Founder").await;
    fill(&c, "email", "ada@newco.example").await;
    fill(&c, "password", "a long first password").await;
    c.find(Locator::Css("form[action='/setup'] button")).await.unwrap().click().await.unwrap();
    until(&c, "the cycles page, signed in", "location.pathname === '/cycles' && document.querySelector('.who form')")
        .await;
    accessible(&c, "/cycles (empty)").await;
    fill(&c, "name", "2027 Q1").await;
    fill(&c, "start", "01/01/2027").await;
    c.find(Locator::Css("form[action='/cycles'] button")).await.unwrap().click().await.unwrap();
    until(&c, "the new cycle", "[...document.querySelectorAll('td')].some(td => td.textContent === 'planning')").await;
    c.find(Locator::Css("form[action$='/state'] button")).await.unwrap().click().await.unwrap();
    until(&c, "the active cycle", "[...document.querySelectorAll('td')].some(td => td.textContent === 'active')").await;
    visit(&c, &d, "/", None).await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_application_in_a_real_browser_on_sqlite() {
    if chromedriver().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start("browser.db", dir.path());
    journey(&demo, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_application_in_a_real_browser_on_postgres() {
    if chromedriver().is_none() {
        return;
    }
    let Ok(url) = std::env::var("QUARTERDECK_TEST_PG") else {
        if std::env::var("QUARTERDECK_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("QUARTERDECK_REQUIRE_PG=1 but QUARTERDECK_TEST_PG is not set");
        }
        eprintln!("SKIPPED (PostgreSQL half): set QUARTERDECK_TEST_PG=postgres://… to run it");
        return;
    };
    use sqlx::Connection;
    let name = format!("qd_browser_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let db = match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("QUARTERDECK_TEST_PG names no database: {url}"),
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let demo = Demo::start(&db, dir.path());
        journey(&demo, false).await;
    }
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
}
