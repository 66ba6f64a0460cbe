//! The binary as a user runs it: exit codes, one-line errors, `--json`, and `serve --demo`
//! answering the README's curl.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn quarterdeck(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(args)
        .current_dir(dir)
        .env_remove("QUARTERDECK_DB")
        .env_remove("QUARTERDECK_BIND")
        .output()
        .expect("run quarterdeck")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_verb_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [
        vec![],
        vec!["serve"],
        vec!["demo"],
        vec!["migrate"],
        vec!["cycles"],
        vec!["cycles", "create"],
        vec!["okrs"],
        vec!["check-in"],
        vec!["lint"],
    ] {
        let mut args = verb.clone();
        args.push("--help");
        let out = quarterdeck(dir.path(), &args);
        assert!(out.status.success(), "{verb:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage:"), "{verb:?}");
    }
}

#[test]
fn lint_gates_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(quarterdeck(dir.path(), &["demo"]).status.success());

    // The running quarter has notes, no errors: exit 0.
    let out = quarterdeck(dir.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(": 0 error(s)"), "{}", stdout(&out));
    let all = quarterdeck(dir.path(), &["lint", "--json"]);
    let review: Value = serde_json::from_str(&stdout(&all)).unwrap();
    assert_eq!(review["tally"]["errors"], 0);
    assert!(review["findings"].as_array().unwrap().iter().all(|f| f["rule"].is_string() && f["fix"].is_string()));

    // Next quarter's draft holds a placeholder: exit 1, and the text names rule and record.
    let cycles = quarterdeck(dir.path(), &["cycles", "list", "--state", "planning", "--json"]);
    let cycles: Value = serde_json::from_str(&stdout(&cycles)).unwrap();
    let next = cycles[0]["id"].as_str().unwrap().to_owned();
    let out = quarterdeck(dir.path(), &["lint", "--cycle", &next]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("error   kr-placeholder") && text.contains("Partner-sourced deals from TBD to 40"), "{text}");
    assert!(text.contains("warning objective-task") && text.contains("Launch the partner portal"), "{text}");
    assert!(text.contains("warning kr-task"), "{text}");
    assert!(stderr(&out).starts_with("error: 1 error(s) in "), "{}", stderr(&out));
    let errors_only = quarterdeck(dir.path(), &["lint", "--cycle", &next, "--min-severity", "error"]);
    assert!(!stdout(&errors_only).contains("objective-task"), "{}", stdout(&errors_only));
    let out = quarterdeck(dir.path(), &["lint", "--team", "nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--team: no unit with id or slug 'nowhere'"), "{}", stderr(&out));
}

#[test]
fn demo_okrs_and_check_in_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = quarterdeck(dir.path(), &["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("quarterdeck.db").exists(), "the default database is ./quarterdeck.db");

    // Loading twice is refused with one line that says what to do.
    let again = quarterdeck(dir.path(), &["demo"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(stderr(&again).lines().count(), 1, "{}", stderr(&again));
    assert!(stderr(&again).starts_with("error: ") && stderr(&again).contains("already holds"));

    let out = quarterdeck(dir.path(), &["okrs", "--team", "product", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let okrs: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let krs = okrs[0]["key_results"].as_array().unwrap();
    let nps = krs.iter().find(|k| k["title"].as_str().unwrap().contains("NPS")).unwrap();
    assert_eq!(
        (nps["baseline"].as_f64(), nps["target"].as_f64(), nps["current_value"].as_f64()),
        (Some(32.0), Some(50.0), Some(41.0))
    );
    assert_eq!(nps["score"], 0.5);
    let nps_id = nps["id"].as_str().unwrap().to_owned();

    let table = quarterdeck(dir.path(), &["okrs", "--team", "product"]);
    assert!(stdout(&table).contains("Raise onboarding NPS from 32 to 50"), "{}", stdout(&table));

    let out = quarterdeck(
        dir.path(),
        &[
            "check-in",
            &nps_id,
            "--value",
            "45.5",
            "--confidence",
            "on_track",
            "--note",
            "Guided setup shipped",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let recorded: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(recorded["key_result"]["current_value"], 45.5);
    assert_eq!(recorded["key_result"]["score"], 0.75);

    // Bad input: a clear one-line error and a non-zero exit.
    let out = quarterdeck(dir.path(), &["check-in", &nps_id, "--value", "1", "--confidence", "maybe"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("on_track"), "{}", stderr(&out));
    let out = quarterdeck(
        dir.path(),
        &["check-in", "0190b0b0-0000-7000-8000-000000000000", "--value", "1", "--confidence", "at_risk"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: no key result with id"), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["okrs", "--team", "nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no unit with id or slug 'nowhere'"), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["--db", "mysql://x/y", "okrs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unsupported database URL"), "{}", stderr(&out));

    // KPIs: a CSV import checks every row first and names the bad one.
    std::fs::write(
        dir.path().join("ok.csv"),
        "kpi,at,value\ncsat,2026-11-20,4.5\nrefund_rate,2026-11-20T10:00:00Z,0.8\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.csv"), "kpi,at,value\ncsat,2020-01-01,4.5\ncsat,2020-01-02,lots\n").unwrap();
    let out = quarterdeck(dir.path(), &["kpi", "import", "ok.csv", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["inserted"], 2);
    let out = quarterdeck(dir.path(), &["kpi", "import", "bad.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("row 2: value 'lots' is not a number"), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["kpi", "show", "csat", "--json", "--periods", "1000"]);
    let shown: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let periods = shown["periods"].as_array().unwrap();
    assert!(periods.iter().all(|p| p["start"] != "2020-01-01"), "nothing of the bad file was written");
    assert!(periods.len() > 300, "a year of daily CSAT from the demo");
    let out = quarterdeck(dir.path(), &["kpi", "list", "--json"]);
    let kpis: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(kpis.as_array().unwrap().iter().any(|k| k["key"] == "refund_rate" && k["guardrail"] == true));

    let out = quarterdeck(dir.path(), &["kpi", "tree", "weekly_active_teams"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).lines().nth(1).unwrap().contains("activation_rate"), "{}", stdout(&out));
    let out = quarterdeck(dir.path(), &["kpi", "create", "--name", "Broken rate", "--formula", "deals_won / 0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("division by zero"), "{}", stderr(&out));
    let out = quarterdeck(
        dir.path(),
        &["kpi", "create", "--name", "Pipeline value", "--uom", "k€", "--target", "500", "--unit", "sales", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let created: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((created["key"].as_str(), created["target"]["value"].as_f64()), (Some("pipeline_value"), Some(500.0)));

    // The command line applies the same rules as the API: one application layer.
    let out = quarterdeck(
        dir.path(),
        &[
            "kpi",
            "create",
            "--name",
            "Win share",
            "--formula",
            "deals_won / qualified_opportunities",
            "--aggregation",
            "mean",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("leave aggregation out"), "{}", stderr(&out));
    let out = quarterdeck(
        dir.path(),
        &["kpi", "create", "--name", "Win share", "--formula", "deals_won / qualified_opportunities", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let created: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["aggregation"], "formula");
    let out = quarterdeck(
        dir.path(),
        &["kpi", "source-add", "csat", "--sql-url", "https://x.test/db", "--query", "SELECT 1"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("starts with postgres://"), "{}", stderr(&out));

    // A check-in on a key result measured from a KPI takes the KPI's value: no --value needed.
    let out = quarterdeck(dir.path(), &["okrs", "--json"]);
    let all: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let linked = all
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["key_results"].as_array().unwrap().clone())
        .find(|k| !k["kpi_id"].is_null())
        .expect("the demo's churn key result is measured from its KPI");
    let out = quarterdeck(
        dir.path(),
        &["check-in", linked["id"].as_str().unwrap(), "--confidence", "at_risk", "--note", "Churn is sticky", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let recorded: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(recorded["check_in"]["value"], linked["current_value"], "{recorded}");

    // An import is all or nothing, and names the real row of a bad one.
    let out = quarterdeck(dir.path(), &["kpi", "create", "--name", "Import probe", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut big = String::from("kpi,at,value\n");
    for i in 0..12_000 {
        big.push_str(&format!("import_probe,2026-01-01T00:{:02}:{:02}Z,{i}\n", (i / 60) % 60, i % 60));
    }
    big.push_str("import_probe,2026-01-02,oops\n");
    std::fs::write(dir.path().join("big.csv"), big).unwrap();
    let out = quarterdeck(dir.path(), &["kpi", "import", "big.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("row 12001: value 'oops' is not a number"), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["kpi", "show", "import_probe", "--json"]);
    let shown: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(shown["periods"].as_array().unwrap().len(), 0, "nothing of the file was written: {shown}");

    let out = quarterdeck(dir.path(), &["cycles", "list", "--json"]);
    let cycles: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        cycles.as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap()).collect::<Vec<_>>(),
        vec!["planning", "active", "closed"]
    );
}

#[test]
fn serve_with_demo_answers_the_readme_curl() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("QUARTERDECK_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // The server prints its address once it listens; read lines until then.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut token = None;
    let base = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("(shown once): ").nth(1) {
            token = Some(rest.trim().to_owned());
        }
        if let Some(rest) = line.split("running at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let token = token.expect("serve --demo prints the admin's API token");
    let url = format!("{base}/api/v1/objectives?cycle=current&include=key_results&limit=500");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let list: Result<Value, _> = runtime.block_on(async {
        // Without the token: refused.
        let anonymous = reqwest::get(&url).await?;
        assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
        reqwest::Client::new().get(&url).bearer_auth(&token).send().await?.error_for_status()?.json().await
    });
    child.kill().ok();
    child.wait().ok();
    let list = list.expect("GET /api/v1/objectives?cycle=current");
    let items = list["items"].as_array().unwrap();
    // Two company objectives and one per team (six teams).
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|o| o["score"].is_number() && o["colour"].is_string() && o["pace"].is_string()));
    let nps = items
        .iter()
        .flat_map(|o| o["key_results"].as_array().unwrap())
        .find(|k| k["title"] == "Raise onboarding NPS from 32 to 50")
        .unwrap();
    assert_eq!(nps["score"], 0.5);
}

#[test]
fn sigterm_stops_the_server_even_while_a_client_holds_a_half_sent_request() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(["serve", "--bind", "127.0.0.1:0", "--no-jobs", "--shutdown-grace", "1"])
        .current_dir(dir.path())
        .env("QUARTERDECK_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("running at http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // A client sends half a request head and stops.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let stopped = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop within its grace period");
        std::thread::yield_now();
    };
    assert!(status.success(), "{status:?}");
    drop(slow);
}

/// Runs the binary with this text on standard input.
fn quarterdeck_with_input(dir: &std::path::Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(args)
        .current_dir(dir)
        .env_remove("QUARTERDECK_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run quarterdeck");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_first_admin_and_a_token_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [["user", "add"], ["token", "create"]] {
        let out = quarterdeck(dir.path(), &[verb[0], verb[1], "--help"]);
        assert!(out.status.success() && stdout(&out).contains("Usage:"), "{verb:?}");
    }
    // A weak password is refused, naming the rule; nothing is made.
    let out = quarterdeck_with_input(
        dir.path(),
        &["user", "add", "--admin", "ops@example.com", "--password-stdin"],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("10 characters"), "{}", stderr(&out));
    let out = quarterdeck_with_input(
        dir.path(),
        &["user", "add", "--admin", "ops@example.com", "--password-stdin"],
        "a long enough secret\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("as admin"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("a long enough secret") && !stderr(&out).contains("a long enough secret"));

    let out = quarterdeck(dir.path(), &["token", "create", "--user", "ops@example.com", "--scope", "read,root"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("root") && stderr(&out).lines().count() == 1, "{}", stderr(&out));
    let out = quarterdeck(
        dir.path(),
        &["token", "create", "--user", "ops@example.com", "--scope", "admin", "--name", "scripts"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = stdout(&out).trim().to_owned();
    assert!(secret.starts_with("qd_"), "only the secret on stdout, for scripts: {secret}");
    let out = quarterdeck(dir.path(), &["token", "list", "--user", "ops@example.com", "--json"]);
    let tokens: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(tokens[0]["name"], "scripts");
    assert!(!stdout(&out).contains(&secret), "a listing never shows the secret");
    let id = tokens[0]["id"].as_str().unwrap();
    let out = quarterdeck(dir.path(), &["token", "revoke", id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["token", "list", "--user", "ops@example.com", "--json"]);
    let tokens: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(tokens[0]["state"], "revoked");
    // The trail says who made the admin: the operator at the terminal.
    let out = quarterdeck(dir.path(), &["user", "list", "--json"]);
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((users[0]["email"].as_str(), users[0]["role"].as_str()), (Some("ops@example.com"), Some("admin")));
}

/// Every secret a client sends or is given — tokens good and bad, passwords right and wrong,
/// the session cookie, the CSRF token — stays out of the server's log, even at debug level.
#[test]
fn no_secret_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let password = "hunter2 is a long one";
    let out = quarterdeck_with_input(
        dir.path(),
        &["user", "add", "--admin", "ops@example.com", "--password-stdin"],
        password,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = quarterdeck(dir.path(), &["token", "create", "--user", "ops@example.com", "--scope", "admin"]);
    let token = stdout(&out).trim().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarterdeck"))
        .args(["serve", "--bind", "127.0.0.1:0", "--no-jobs"])
        .current_dir(dir.path())
        .env("QUARTERDECK_LOG", "debug")
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let base = loop {
        let line = lines.next().expect("server exited early").unwrap();
        log.push_str(&line);
        log.push('\n');
        if let Some(rest) = line.split("running at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let reader = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (cookie, csrf) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let url = |p: &str| format!("{base}{p}");
        let me = http.get(url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(me.status(), reqwest::StatusCode::OK);
        let bad = http.get(url("/api/v1/me")).bearer_auth("qd_a-made-up-token-xyz").send().await.unwrap();
        assert_eq!(bad.status(), reqwest::StatusCode::UNAUTHORIZED);
        let wrong = serde_json::json!({"email": "ops@example.com", "password": "a wrong guess of a password"});
        let res = http.post(url("/api/v1/session")).json(&wrong).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
        let right = serde_json::json!({"email": "ops@example.com", "password": password});
        let res = http.post(url("/api/v1/session")).json(&right).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let forged = http
            .post(url("/api/v1/units"))
            .header("Cookie", &cookie)
            .header("X-CSRF-Token", "forged-csrf-token-value")
            .json(&serde_json::json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);
        (cookie, csrf)
    });
    #[cfg(unix)]
    terminate(child.id());
    let _ = child.wait();
    log.push_str(&reader.join().unwrap());
    assert!(log.contains("DEBUG"), "the log ran at debug level");
    let session = cookie.split_once('=').unwrap().1;
    for secret in [
        token.as_str(),
        "qd_a-made-up-token-xyz",
        password,
        "a wrong guess of a password",
        session,
        &csrf,
        "forged-csrf-token-value",
    ] {
        assert!(!log.contains(secret), "the log holds a secret ({} characters)", secret.len());
    }
}

/// Asks the server to stop as an operator would (SIGTERM), so it logs its way out.
#[cfg(unix)]
fn terminate(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}
