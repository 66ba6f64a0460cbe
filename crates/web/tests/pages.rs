//! The pages over HTTP, on SQLite and PostgreSQL (the browser tests drive them in Chromium):
//! who may see them, the CSRF check of every form, the first admin made from the set-up
//! page, validation that keeps what was typed, and the pages' security policy.

mod common;

use common::Server;
use quarterdeck_app::accounts::AddUser;
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use std::sync::Arc;

backend_tests!(
    pages_send_strangers_to_sign_in_and_back,
    every_form_needs_the_sessions_csrf_token,
    the_first_admin_is_made_from_the_set_up_page,
    a_bad_form_says_what_is_wrong_and_keeps_what_was_typed,
    a_viewer_may_read_but_not_change,
    an_objective_is_aligned_and_unlinked_from_its_page,
    an_analyst_defines_a_kpi_from_the_page,
    a_token_made_on_its_page_is_shown_once_and_revoked_there,
    the_coach_speaks_on_the_pages_and_before_activation,
    the_quarter_end_walks_through_grades_decisions_and_retro,
    a_degrading_kpi_becomes_a_draft_okr_and_the_agenda_shows_it,
    a_kpi_that_moves_with_a_key_result_is_shown_with_its_correlation,
    an_invited_user_is_their_person_of_the_directory,
);

const PASSWORD: &str = "correct horse battery";

/// The page's text with the slashes the template engine escapes put back.
fn unescaped(html: String) -> String {
    html.replace("&#x2f;", "/")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn user(s: &Server, email: &str, role: Role) {
    let input =
        AddUser { email: email.into(), name: email.into(), role, person_id: None, password: Some(PASSWORD.into()) };
    s.app.add_user(input).await.unwrap();
}

/// Presses a button whose form holds nothing but the CSRF token; the answer's status.
async fn press(s: &Server, path: &str, cookie: &str, csrf: &str) -> StatusCode {
    let res = no_redirects().post(s.url(path)).header(COOKIE, cookie).form(&[("_csrf", csrf)]).send().await.unwrap();
    res.status()
}

/// Signs in through the page's form; the cookie to send back and the page's CSRF token.
async fn sign_in(s: &Server, email: &str) -> (String, String) {
    let res = no_redirects()
        .post(s.url("/sign-in"))
        .form(&[("email", email), ("password", PASSWORD), ("next", "/cycles")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/cycles", "back to where they were going");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = no_redirects().get(s.url("/cycles")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let csrf = html.split("name=\"_csrf\" value=\"").nth(1).map(|r| r.split('"').next().unwrap().to_owned());
    let csrf =
        csrf.or_else(|| html.split("\"X-CSRF-Token\": \"").nth(1).map(|r| r.split('"').next().unwrap().to_owned()));
    (cookie, csrf.expect("the page carries the session's CSRF token"))
}

async fn pages_send_strangers_to_sign_in_and_back(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let res = no_redirects().get(s.url("/kpis?unit=x")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/sign-in?next=/kpis%3Funit%3Dx");
    let form = no_redirects().get(s.url("/sign-in?next=/kpis")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let csp = form.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert!(unescaped(form.text().await.unwrap()).contains("name=\"next\" value=\"/kpis\""));
    // Assets are public and embedded; an unknown page is an HTML 404, an unknown API path JSON.
    let css = no_redirects().get(s.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    user(&s, "lead@example.com", Role::Lead).await;
    let (cookie, _) = sign_in(&s, "lead@example.com").await;
    let missing = no_redirects().get(s.url("/no-such-page")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("<html"));
    // A sign-in never sends anyone to another site.
    let res = no_redirects()
        .post(s.url("/sign-in"))
        .form(&[("email", "lead@example.com"), ("password", PASSWORD), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[LOCATION], "/");
    // A wrong password: the form again, the address kept, the password not.
    let res = no_redirects()
        .post(s.url("/sign-in"))
        .form(&[("email", "lead@example.com"), ("password", "not it at all"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("wrong e-mail address or password") && html.contains("value=\"lead@example.com\""));
    assert!(!html.contains("not it at all"));
}

async fn every_form_needs_the_sessions_csrf_token(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let form = [("name", "2031 Q1"), ("kind", "quarter"), ("start", "2031-01-01")];
    for (label, token) in [("without a token", None), ("with another token", Some("forged"))] {
        let mut fields = form.to_vec();
        if let Some(t) = token {
            fields.push(("_csrf", t));
        }
        let res = no_redirects().post(s.url("/cycles")).header(COOKIE, &cookie).form(&fields).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{label}");
    }
    let (_, cycles) = s.get("/api/v1/cycles").await;
    assert_eq!(cycles["items"].as_array().unwrap().len(), 0, "nothing was created");
    // The form's field or the header (htmx) both carry it.
    let mut fields = form.to_vec();
    fields.push(("_csrf", &csrf));
    let res = no_redirects().post(s.url("/cycles")).header(COOKIE, &cookie).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let form = [("name", "2031 Q2"), ("kind", "quarter"), ("start", "2031-04-01")];
    let res = no_redirects()
        .post(s.url("/cycles"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, cycles) = s.get("/api/v1/cycles").await;
    let names: Vec<&str> = cycles["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // The audit trail names the signed-in user.
    let (_, audit) = s.get("/api/v1/audit?entity=cycle").await;
    assert!(audit["items"].as_array().unwrap().iter().all(|e| e["actor"]["kind"] == "user"), "{audit}");
}

async fn the_first_admin_is_made_from_the_set_up_page(store: Arc<dyn Store>) {
    let s = Server::start_empty(store, "set-up-code-1").await;
    let page = no_redirects().get(s.url("/setup")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let wrong = [("code", "guess"), ("name", "Ada"), ("email", "ada@corp.example"), ("password", PASSWORD)];
    let res = no_redirects().post(s.url("/setup")).form(&wrong).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("not the set-up code") && html.contains("value=\"ada@corp.example\""), "kept what was typed");
    let right = [("code", "set-up-code-1"), ("name", "Ada"), ("email", "ada@corp.example"), ("password", PASSWORD)];
    let res = no_redirects().post(s.url("/setup")).form(&right).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in at once");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let home = no_redirects().get(s.url("/")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("Ada"));
    let again = no_redirects().post(s.url("/setup")).form(&right).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "only once");
}

async fn a_bad_form_says_what_is_wrong_and_keeps_what_was_typed(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let form = [("_csrf", csrf.as_str()), ("name", "Sprint Zero"), ("kind", "quarter"), ("start", "31/01/2031")];
    let res = no_redirects().post(s.url("/cycles")).header(COOKIE, &cookie).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(res.text().await.unwrap());
    assert!(html.contains("is not a date (YYYY-MM-DD)"), "says what is wrong");
    assert!(
        html.contains("id=\"start\" name=\"start\" type=\"date\" value=\"31/01/2031\" aria-invalid=\"true\""),
        "marks the field"
    );
    assert!(html.contains("value=\"Sprint Zero\""), "keeps what was typed");
}

async fn a_viewer_may_read_but_not_change(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let (_, person, _) = s.org().await;
    let objective = s.objective(&person, "Delight new customers").await;
    user(&s, "viewer@corp.example", Role::Viewer).await;
    let (cookie, csrf) = sign_in(&s, "viewer@corp.example").await;
    let path = format!("/objectives/{}", objective["id"].as_str().unwrap());
    let page = no_redirects().get(s.url(&path)).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Delight new customers"));
    assert!(!html.contains("<form method=\"post\" action=\"/objectives/"), "no edit control for a viewer");
    let form = [("_csrf", csrf.as_str()), ("title", "Mine now"), ("kind", "committed"), ("version", "1")];
    let res = no_redirects().post(s.url(&path)).header(COOKIE, &cookie).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, now) = s.get(&format!("/api/v1{path}")).await;
    assert_eq!(now["title"], "Delight new customers", "nothing changed");
    // A change sent with a session that has ended: sign in again, then back to the page.
    let ended = no_redirects()
        .post(s.url(&format!("{path}/status")))
        .header(COOKIE, "qd_session=ended-long-ago")
        .form(&[("status", "paused"), ("reason", "no")])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    let next = format!("/sign-in?next={path}");
    assert_eq!(ended.headers()[LOCATION], next.as_str());
}

async fn an_objective_is_aligned_and_unlinked_from_its_page(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let company = s.create("/api/v1/units", serde_json::json!({"name": "Northwind", "kind": "company"})).await;
    let team = s
        .create("/api/v1/units", serde_json::json!({"name": "Product", "kind": "team", "parent_id": company["id"]}))
        .await;
    let person = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    s.create("/api/v1/cycles", serde_json::json!({"state": "active"})).await;
    let mk = |title: &str, unit: &serde_json::Value| serde_json::json!({"cycle_id": "current", "title": title, "owner_id": person["id"], "unit_id": unit["id"]});
    let parent = s.create("/api/v1/objectives", mk("Stop the leaky bucket", &company)).await;
    let kr = s
        .create(
            "/api/v1/key-results",
            serde_json::json!({"objective_id": parent["id"], "title": "Churn from 3 to 2", "baseline": 3.0, "target": 2.0}),
        )
        .await;
    let child = s.create("/api/v1/objectives", mk("Guide every new customer", &team)).await;
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let path = format!("/objectives/{}", child["id"].as_str().unwrap());
    let html = no_redirects().get(s.url(&path)).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    let kr_option = format!("value=\"key_result:{}\"", kr["id"].as_str().unwrap());
    assert!(html.contains(&kr_option), "the parent unit's key results are offered");
    let parent_value = format!("key_result:{}", kr["id"].as_str().unwrap());
    let form = [("_csrf", csrf.as_str()), ("parent", parent_value.as_str()), ("kind", "contributes")];
    let align = || async {
        no_redirects()
            .post(s.url(&format!("{path}/alignments")))
            .header(COOKIE, &cookie)
            .form(&form)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(align().await.status(), StatusCode::SEE_OTHER);
    let (_, links) = s.get(&format!("/api/v1/alignments?child={}", child["id"].as_str().unwrap())).await;
    let links = links["items"].as_array().unwrap().clone();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["parent_key_result_id"], kr["id"]);
    // Aligning twice is refused with a message, and changes nothing.
    assert_eq!(align().await.status(), StatusCode::CONFLICT);
    let unlink = format!("{path}/alignments/{}/delete", links[0]["id"].as_str().unwrap());
    assert_eq!(press(&s, &unlink, &cookie, &csrf).await, StatusCode::SEE_OTHER);
    let (_, links) = s.get(&format!("/api/v1/alignments?child={}", child["id"].as_str().unwrap())).await;
    assert_eq!(links["items"].as_array().unwrap().len(), 0);

    // Every orphan, 50 a page (the company's own objectives are roots, never orphans).
    for i in 0..50 {
        s.create("/api/v1/objectives", mk(&format!("Orphan {i:02}"), &team)).await;
    }
    let get = |path: String| {
        let url = s.url(&path);
        let cookie = cookie.clone();
        async move { no_redirects().get(url).header(COOKIE, cookie).send().await.unwrap() }
    };
    let map = unescaped(get("/alignment".into()).await.text().await.unwrap());
    assert!(map.contains("Every orphan of the cycle</a>, 50 a page"), "{map}");
    let first = unescaped(get("/alignment/orphans".into()).await.text().await.unwrap());
    assert!(!first.contains("Stop the leaky bucket"), "a company objective is a root: {first}");
    let next = first.split("cursor=").nth(1).and_then(|r| r.split('"').next()).expect("a next page").to_owned();
    let second = unescaped(get(format!("/alignment/orphans?cursor={next}")).await.text().await.unwrap());
    let count = |html: &str| html.matches(">Orphan ").count() + html.matches(">Guide every new customer<").count();
    assert_eq!(count(&first) + count(&second), 51, "every orphan once: {first}{second}");
    assert!(!second.contains("Next 50") && second.contains("First page"), "{second}");
    let bad = get("/alignment/orphans?cursor=%00bad".into()).await;
    assert!(bad.status().is_client_error(), "{}", bad.status());
}

async fn an_invited_user_is_their_person_of_the_directory(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let team = s.create("/api/v1/units", serde_json::json!({"name": "Product", "kind": "team"})).await;
    let ada = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    let bo = s
        .create("/api/v1/people", serde_json::json!({"name": "Bo", "email": "bo@example.com", "unit_id": team["id"]}))
        .await;
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let invite = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        let cookie = cookie.clone();
        let url = s.url("/people");
        async move { no_redirects().post(url).header(COOKIE, cookie).form(&form).send().await.unwrap() }
    };
    // The same address: the person with it. Another address: the person named.
    let res = invite(vec![("name", "Ada"), ("email", "ada@example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res =
        invite(vec![("name", "Bo"), ("email", "bo@corp.example"), ("role", "lead"), ("person", "bo@example.com")]);
    assert_eq!(res.await.status(), StatusCode::CREATED);
    let res = invite(vec![("name", "Cy"), ("email", "cy@corp.example"), ("role", "member"), ("person", "nobody@x.y")]);
    let res = res.await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(res.text().await.unwrap());
    assert!(html.contains("no person with id or e-mail address") && html.contains("value=\"Cy\""), "{html}");
    let (_, users) = s.get("/api/v1/users").await;
    let person_of = |email: &str| {
        users["items"].as_array().unwrap().iter().find(|u| u["email"] == email).map(|u| u["person_id"].clone())
    };
    assert_eq!(person_of("ada@example.com"), Some(ada["id"].clone()));
    assert_eq!(person_of("bo@corp.example"), Some(bo["id"].clone()));
    assert_eq!(person_of("cy@corp.example"), None, "nothing written for a refused invitation");
    let page = unescaped(
        no_redirects().get(s.url("/people")).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap(),
    );
    assert!(page.contains("<td>linked</td>") && page.contains("not linked"), "the admin is no person: {page}");
}

async fn an_analyst_defines_a_kpi_from_the_page(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    user(&s, "lead@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "lead@corp.example").await;
    let post = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("_csrf", csrf.clone()));
        no_redirects().post(s.url("/kpis")).header(COOKIE, &cookie).form(&fields).send()
    };
    // A range needs "within range": said, the form kept, nothing stored.
    let bad = vec![
        ("name", "Support backlog".to_owned()),
        ("direction", "higher_is_better".into()),
        ("range_low", "10".into()),
        ("range_high", "40".into()),
    ];
    let res = post(bad).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(res.text().await.unwrap());
    assert!(html.contains("value=\"Support backlog\"") && html.contains("class=\"error\""), "kept and explained");
    let (_, kpis) = s.get("/api/v1/kpis").await;
    assert_eq!(kpis["items"].as_array().unwrap().len(), 0);
    let good = vec![
        ("name", "Support backlog".to_owned()),
        ("unit_of_measure", "tickets".into()),
        ("cadence", "weekly".into()),
        ("direction", "within_range".into()),
        ("range_low", "10".into()),
        ("range_high", "40".into()),
        ("nature", "volume".into()),
    ];
    let res = post(good).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, "/kpis/support_backlog");
    let (_, kpi) = s.get("/api/v1/kpis/support_backlog").await;
    assert_eq!(kpi["cadence"], "weekly");
    assert_eq!(kpi["target"], serde_json::json!({"kind": "range", "low": 10.0, "high": 40.0}));
    assert_eq!(kpi["aggregation"], "sum", "the API's default");
    let page = no_redirects().get(s.url(&to)).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

async fn a_token_made_on_its_page_is_shown_once_and_revoked_there(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    user(&s, "lead@corp.example", Role::Lead).await;
    let (cookie, csrf) = sign_in(&s, "lead@corp.example").await;
    let form =
        [("_csrf", csrf.as_str()), ("name", "warehouse push"), ("scopes", "read check-in"), ("expires_in_days", "30")];
    let res = no_redirects().post(s.url("/tokens")).header(COOKIE, &cookie).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = res.text().await.unwrap();
    let secret = html.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("qd_"), "{secret}");
    // It works, and the list never shows it again.
    let me = common::client_with(&secret).get(s.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let list = no_redirects().get(s.url("/tokens")).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("warehouse push") && !list.contains(&secret));
    // A scope that does not exist is named, and no token is made.
    let bad = [("_csrf", csrf.as_str()), ("name", "x"), ("scopes", "everything")];
    let res = no_redirects().post(s.url("/tokens")).header(COOKIE, &cookie).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("everything"));
    let action = list.split("action=\"/tokens/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let revoke = format!("/tokens/{}", action.replace("&#x2f;", "/"));
    assert_eq!(press(&s, &revoke, &cookie, &csrf).await, StatusCode::SEE_OTHER);
    let me = common::client_with(&secret).get(s.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "revoked");
}

async fn the_coach_speaks_on_the_pages_and_before_activation(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let team = s.create("/api/v1/units", serde_json::json!({"name": "Partners", "kind": "team"})).await;
    let person = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    let cycle = s.create("/api/v1/cycles", serde_json::json!({"state": "planning"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_owned();
    let o = s
        .create(
            "/api/v1/objectives",
            serde_json::json!({"cycle_id": cycle_id, "title": "Launch the partner portal", "owner_id": person["id"],
                "unit_id": team["id"], "status": "draft"}),
        )
        .await;
    let kr = s
        .create(
            "/api/v1/key-results",
            serde_json::json!({"objective_id": o["id"], "title": "Partner deals from TBD to 40", "baseline": 0.0, "target": 40.0}),
        )
        .await;
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let page = |path: String| {
        let cookie = cookie.clone();
        let url = s.url(&path);
        async move { unescaped(no_redirects().get(url).header(COOKIE, cookie).send().await.unwrap().text().await.unwrap()) }
    };

    // The objective's page, the cycle's findings and the API agree.
    let html = page(format!("/objectives/{}", o["id"].as_str().unwrap())).await;
    assert!(
        html.contains("Coach: 1 error(s)") && html.contains("kr-placeholder") && html.contains("objective-task"),
        "{html}"
    );
    let html = page(format!("/cycles/{cycle_id}/coach")).await;
    assert!(html.contains("kr-placeholder") && html.contains("Partner deals from TBD to 40"), "{html}");
    let (status, review) = s.get(&format!("/api/v1/findings?cycle={cycle_id}")).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["tally"]["errors"], 1);
    let (_, own) = s.get(&format!("/api/v1/objectives/{}/findings", o["id"].as_str().unwrap())).await;
    assert!(own["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "objective-task"));

    // The alignment review: the draft hangs on nothing and moves no KPI.
    let (status, r) = s.get(&format!("/api/v1/alignment-review?cycle={cycle_id}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["objectives"].as_i64(), r["orphans"][0]["title"].as_str()),
        (Some(1), Some("Launch the partner portal"))
    );
    assert_eq!(r["busywork"].as_array().unwrap().len(), 1);
    let html = page(format!("/alignment/review?cycle={cycle_id}")).await;
    assert!(html.contains("Orphans: objectives aligned to nothing (1)"), "{html}");

    // Hints while drafting, from the words alone.
    let hints = page("/coach/hints/objective?title=Launch+the+partner+portal".into()).await;
    assert!(hints.contains("objective-task"), "{hints}");
    assert!(!page("/coach/hints/objective?title=Make+partners+our+second+channel".into()).await.contains("hint"));
    assert!(page("/coach/hints/key-result?title=Maximize+signups".into()).await.contains("kr-no-target"));

    // Activating with errors asks first and changes nothing; "Activate anyway" activates.
    let activate = |confirm: bool| {
        let mut form = vec![("_csrf", csrf.clone()), ("state", "active".to_owned())];
        if confirm {
            form.push(("confirm", "yes".to_owned()));
        }
        no_redirects()
            .post(s.url(&format!("/cycles/{cycle_id}/state")))
            .header(COOKIE, cookie.clone())
            .form(&form)
            .send()
    };
    let asked = activate(false).await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked.text().await.unwrap().contains("Activate anyway"));
    let (_, still) = s.get(&format!("/api/v1/cycles/{cycle_id}")).await;
    assert_eq!(still["state"], "planning", "nothing changed before the confirmation");
    assert_eq!(activate(true).await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, now) = s.get(&format!("/api/v1/cycles/{cycle_id}")).await;
    assert_eq!(now["state"], "active");

    // A policy that switches the rule off; a bad one names its field.
    let (_, policy) = s.get("/api/v1/coach/policy").await;
    assert_eq!(policy["organisation"]["preset"], "balanced");
    let put = |body: serde_json::Value, version: i64| s.send(s_put(&s, "/api/v1/coach/policy", body, version));
    let (status, saved) =
        put(serde_json::json!({"organisation": {"disabled": ["kr-placeholder"]}}), policy["version"].as_i64().unwrap())
            .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, review) = s.get(&format!("/api/v1/findings?cycle={cycle_id}")).await;
    assert_eq!(review["tally"]["errors"], 0);
    let (status, bad) =
        put(serde_json::json!({"organisation": {"max_key_results": 0}}), saved["version"].as_i64().unwrap()).await;
    common::assert_error(status, &bad, StatusCode::UNPROCESSABLE_ENTITY, "out_of_range", Some("max_key_results"));
    let (status, bad) =
        put(serde_json::json!({"organisation": {"max_krs": 4}}), saved["version"].as_i64().unwrap()).await;
    common::assert_error(status, &bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("organisation.max_krs"));

    // The policy page: an admin switches to strict and turns a rule off.
    let html = page("/coach/policy".into()).await;
    assert!(html.contains("Save the policy") && html.contains("on-small-team"), "{html}");
    let (_, now) = s.get("/api/v1/coach/policy").await;
    let version = now["version"].as_i64().unwrap().to_string();
    let mut form: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf.clone()),
        ("version".into(), version),
        ("preset".into(), "strict".into()),
        ("max_key_results".into(), "4".into()),
    ];
    for rule in ["objective-task", "kr-task", "kr-placeholder"] {
        form.push((format!("on-{rule}"), "on".into()));
    }
    let res =
        no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = s.get("/api/v1/coach/policy").await;
    assert_eq!(
        (now["organisation"]["preset"].as_str(), now["organisation"]["max_key_results"].as_i64()),
        (Some("strict"), Some(4))
    );
    assert!(now["organisation"]["disabled"].as_array().unwrap().iter().any(|r| r == "small-team"), "{now}");
    form[3].1 = "lots".into();
    let res =
        no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(res.text().await.unwrap());
    assert!(
        html.contains("is not a whole number") && html.contains("id=\"max_key_results\" name=\"max_key_results\""),
        "{html}"
    );

    // A scoring band set through the API is shown on the page, and changed there.
    let (_, now) = s.get("/api/v1/coach/policy").await;
    let mut organisation = now["settings"]["organisation"].clone();
    organisation["green_from"] = serde_json::json!(0.8);
    let (status, saved) =
        put(serde_json::json!({"organisation": organisation}), now["version"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let html = unescaped(page("/coach/policy".into()).await);
    assert!(html.contains("id=\"green_from\" name=\"green_from\" inputmode=\"decimal\" value=\"0.8\""), "{html}");
    form[1].1 = saved["version"].as_i64().unwrap().to_string();
    form[3].1 = "4".into();
    form.push(("green_from".into(), "0.85".into()));
    let res =
        no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = s.get("/api/v1/coach/policy").await;
    assert_eq!(now["organisation"]["scoring"]["green_from"].as_f64(), Some(0.85), "{now}");

    // A unit that differs: its page shows what it inherits, saving sets only what it changes,
    // and "follow the level above" takes it back.
    let html = unescaped(page("/coach/policy?unit=partners".into()).await);
    assert!(html.contains("The coach's policy for Partners") && html.contains(">as above</option>"), "{html}");
    assert!(html.contains("None: every unit follows the organisation's policy."), "{html}");
    let version = now["version"].as_i64().unwrap().to_string();
    let mut unit_form: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf.clone()),
        ("version".into(), version),
        ("unit".into(), "partners".into()),
        ("preset".into(), "".into()),
        ("max_objectives_per_team".into(), "2".into()),
    ];
    // The rules the organisation left on stay on, and this unit also wants the small-team
    // hint the organisation switched off.
    for rule in ["objective-task", "kr-task", "kr-placeholder", "small-team"] {
        unit_form.push((format!("on-{rule}"), "on".into()));
    }
    let res = no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&unit_form).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/coach/policy?unit=partners");
    let (_, now) = s.get("/api/v1/coach/policy").await;
    let own = &now["settings"]["units"][team["id"].as_str().unwrap()];
    assert_eq!(own["max_objectives_per_team"], 2, "{now}");
    assert!(own.get("preset").is_none() && own.get("green_from").is_none(), "only what the unit changes: {own}");
    let off = own["disabled"].as_array().expect("its own rules in force");
    assert!(!off.iter().any(|r| r == "small-team") && off.iter().any(|r| r == "stale"), "{own}");
    let html = unescaped(page("/coach/policy?unit=partners".into()).await);
    assert!(html.contains("<strong>Partners</strong>") && html.contains("(now 2)"), "{html}");
    let html = unescaped(page("/coach/policy".into()).await);
    assert!(html.contains("<a href=\"/coach/policy?unit=partners\">Partners</a>"), "{html}");
    let version = now["version"].as_i64().unwrap().to_string();
    let remove = [("_csrf", csrf.as_str()), ("version", version.as_str()), ("unit", "partners"), ("remove", "1")];
    let res = no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&remove).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, now) = s.get("/api/v1/coach/policy").await;
    assert!(now["settings"].get("units").is_none(), "{now}");
    // A stale version is refused, not applied over the newer settings.
    let res = no_redirects().post(s.url("/coach/policy")).header(COOKIE, cookie.clone()).form(&unit_form).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::CONFLICT);

    // The key result's page says plainly why there is no forecast yet.
    let html = page(format!("/key-results/{}", kr["id"].as_str().unwrap())).await;
    assert!(html.contains("No forecast yet: 0 check-in(s), a forecast needs at least 3"), "{html}");
}

fn s_put(s: &Server, path: &str, body: serde_json::Value, version: i64) -> reqwest::RequestBuilder {
    s.http.put(s.url(path)).header("If-Match", format!("\"{version}\"")).json(&body)
}

async fn the_quarter_end_walks_through_grades_decisions_and_retro(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let team = s.create("/api/v1/units", serde_json::json!({"name": "Onboarding", "kind": "team"})).await;
    let person = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    let cycle = s.create("/api/v1/cycles", serde_json::json!({"state": "active"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_owned();
    let end: chrono::NaiveDate = cycle["end"].as_str().unwrap().parse().unwrap();
    let next =
        s.create("/api/v1/cycles", serde_json::json!({"start": (end + chrono::Duration::days(1)).to_string()})).await;
    let o = s
        .create(
            "/api/v1/objectives",
            serde_json::json!({"cycle_id": cycle_id, "title": "Make onboarding a delight", "owner_id": person["id"], "unit_id": team["id"]}),
        )
        .await;
    let mk = |title: &str, b: f64, t: f64| serde_json::json!({"objective_id": o["id"], "title": title, "baseline": b, "target": t, "unit_of_measure": "days"});
    let nps = s.create("/api/v1/key-results", mk("Onboarding NPS from 32 to 50", 32.0, 50.0)).await;
    let ttfv = s.create("/api/v1/key-results", mk("Time to first value from 14 to 5 days", 14.0, 5.0)).await;
    for (kr, v) in [(&nps, 41.0), (&ttfv, 5.0)] {
        let path = format!("/api/v1/key-results/{}/check-ins", kr["id"].as_str().unwrap());
        s.create(&path, serde_json::json!({"value": v, "confidence": "on_track"})).await;
    }
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let get = |path: String| {
        let cookie = cookie.clone();
        let url = s.url(&path);
        async move { unescaped(no_redirects().get(url).header(COOKIE, cookie).send().await.unwrap().text().await.unwrap()) }
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("_csrf", csrf.clone()));
        no_redirects().post(s.url(&path)).header(COOKIE, cookie.clone()).form(&form).send()
    };

    // The walkthrough: grades, a decision per key result, the close.
    let close = format!("/cycles/{cycle_id}/close");
    let html = get(close.clone()).await;
    assert!(
        html.contains("Quarter end") && html.contains("Carry forward") && html.contains("0 of the 2 key results"),
        "{html}"
    );
    let decide = |kr: &serde_json::Value, decision: &str| {
        post(
            format!("/key-results/{}/decision", kr["id"].as_str().unwrap()),
            vec![("decision", decision.to_owned()), ("back", close.clone())],
        )
    };
    let res = decide(&nps, "carry_forward").await.unwrap();
    assert_eq!((res.status(), res.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, close.as_str()));
    let (_, copies) =
        s.get(&format!("/api/v1/objectives?cycle={}&include=key_results", next["id"].as_str().unwrap())).await;
    let copy = &copies["items"][0]["key_results"][0];
    assert_eq!(
        (copy["title"].as_str(), copy["baseline"].as_f64(), copy["target"].as_f64()),
        (Some("Onboarding NPS from 32 to 50"), Some(41.0), Some(50.0))
    );
    assert_eq!(decide(&ttfv, "retire_into_kpi").await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, kpis) = s.get("/api/v1/kpis").await;
    let kpi = kpis["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Time to first value from 14 to 5 days")
        .expect("the KPI");
    assert_eq!(
        (kpi["direction"].as_str(), kpi["target"]["value"].as_f64(), kpi["baseline"].as_f64()),
        (Some("lower_is_better"), Some(5.0), Some(5.0))
    );
    assert!(get(close.clone()).await.contains("2 of the 2 key results"));
    let (_, before) = s.get(&format!("/api/v1/objectives/{}", o["id"].as_str().unwrap())).await;
    let res = post(format!("/cycles/{cycle_id}/state"), vec![("state", "closed".into())]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // After the close: the score is final, the retro is written on the objective's page.
    let page = format!("/objectives/{}", o["id"].as_str().unwrap());
    assert!(get(page.clone()).await.contains("its scores are final"));
    let retro = vec![
        ("moved", "TTFV down to 5 days".to_owned()),
        ("not_moved", "NPS stalled at 41".to_owned()),
        ("learnings", "Guided setup works".to_owned()),
        ("version", "0".to_owned()),
    ];
    assert_eq!(post(format!("{page}/retro"), retro).await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, written) = s.get(&format!("/api/v1/objectives/{}/retro", o["id"].as_str().unwrap())).await;
    assert_eq!((written["moved"].as_str(), written["version"].as_i64()), (Some("TTFV down to 5 days"), Some(1)));
    let (_, after) = s.get(&format!("/api/v1/objectives/{}", o["id"].as_str().unwrap())).await;
    assert_eq!(after["score"], before["score"]);
    let res = s
        .post(
            &format!("/api/v1/key-results/{}/check-ins", ttfv["id"].as_str().unwrap()),
            serde_json::json!({"value": 4.0, "confidence": "on_track"}),
        )
        .await;
    assert_eq!(res.0, StatusCode::CONFLICT, "a closed cycle takes no check-in: {}", res.1);
}

async fn a_degrading_kpi_becomes_a_draft_okr_and_the_agenda_shows_it(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let team = s.create("/api/v1/units", serde_json::json!({"name": "Support", "kind": "team"})).await;
    let person = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    s.create("/api/v1/cycles", serde_json::json!({"state": "active"})).await;
    let resolution = s
        .create(
            "/api/v1/kpis",
            serde_json::json!({"name": "Resolution time", "unit": team["id"], "unit_of_measure": "h", "aggregation": "mean",
                "direction": "lower_is_better", "target": 24.0, "nature": "speed"}),
        )
        .await;
    s.create(
        "/api/v1/kpis",
        serde_json::json!({"name": "Reopen rate", "unit": team["id"], "owner_id": person["id"], "unit_of_measure": "%",
            "aggregation": "mean", "direction": "lower_is_better", "target": 5.0, "window_periods": 12,
            "counterweight_id": resolution["id"]}),
    )
    .await;
    s.create(
        "/api/v1/kpis",
        serde_json::json!({"name": "CSAT", "unit": team["id"], "aggregation": "mean", "target": 4.0}),
    )
    .await;
    // The reopen rate drives retention, whose tree holds a guardrail; a guardrail of another
    // tree is not its business.
    let retention = s.create("/api/v1/kpis", serde_json::json!({"name": "Retention", "aggregation": "mean"})).await;
    let escalations = s
        .create(
            "/api/v1/kpis",
            serde_json::json!({"name": "Escalations", "aggregation": "mean", "direction": "lower_is_better",
                "guardrail": true, "guardrail_threshold": 10.0}),
        )
        .await;
    let elsewhere = s
        .create(
            "/api/v1/kpis",
            serde_json::json!({"name": "Refund rate", "aggregation": "mean", "direction": "lower_is_better",
                "guardrail": true, "guardrail_threshold": 1.2}),
        )
        .await;
    let (_, reopen) = s.get("/api/v1/kpis/reopen_rate").await;
    for child in [&reopen, &escalations] {
        s.create("/api/v1/kpi-edges", serde_json::json!({"parent_id": retention["id"], "child_id": child["id"]})).await;
    }
    // Twenty steady days at target, then eight climbing ones: a drift, and a breach twice over.
    let today = chrono::Utc::now().date_naive();
    let mut points = Vec::new();
    for d in 1..=28i64 {
        let day = today - chrono::Duration::days(29 - d);
        let wobble = [0.1, -0.1, 0.0, 0.2, -0.2][d as usize % 5];
        let reopen = if d <= 20 { 4.8 + wobble } else { 5.5 + 0.3 * (d - 20) as f64 };
        points.push(serde_json::json!({"kpi": "reopen_rate", "at": format!("{day}T12:00:00Z"), "value": reopen}));
        points.push(serde_json::json!({"kpi": "csat", "at": format!("{day}T12:00:00Z"), "value": 4.3 + wobble}));
        points.push(
            serde_json::json!({"kpi": "resolution_time", "at": format!("{day}T12:00:00Z"), "value": 30.0 + wobble}),
        );
    }
    let (status, report) = s.post("/api/v1/measurements", serde_json::json!({ "points": points })).await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let (_, found) = s.get(&format!("/api/v1/okr-candidates?unit={}", team["id"].as_str().unwrap())).await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "the healthy, steady CSAT stays a KPI: {found:?}");
    let c = &found[0];
    assert_eq!(c["kpi"]["key"], "reopen_rate");
    let reasons: Vec<&str> = c["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.contains(&"outside_healthy_range") && reasons.contains(&"drifting"), "{c}");
    assert_eq!(c["drift_side"], "above");
    let target = c["proposed_target"].as_f64().unwrap();
    assert!(target < c["current"].as_f64().unwrap() && target <= 5.0, "back down towards health: {c}");
    let guards: Vec<&str> = c["guardrails"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(guards, ["escalations"], "its tree's guardrail, not another tree's ({}): {c}", elsewhere["key"]);

    // The team page proposes it; the agenda lists it in both forms.
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, csrf) = sign_in(&s, "admin@corp.example").await;
    let get = |path: String| {
        let cookie = cookie.clone();
        let url = s.url(&path);
        async move { no_redirects().get(url).header(COOKIE, cookie).send().await.unwrap() }
    };
    let page = unescaped(get("/teams/support".into()).await.text().await.unwrap());
    assert!(page.contains("KPIs that deserve an OKR") && page.contains("Draft this OKR"), "{page}");
    assert!(page.contains("Guarded by its tree's guardrail <a href=\"/kpis/escalations\">Escalations</a>"), "{page}");
    assert!(page.contains("Calibration and roll-out") && page.contains("it needs two closed cycles"), "{page}");
    // Of its three KPIs at the running quarter's end so far, only CSAT is at target (once the
    // quarter is a week old, so that each has a period in it).
    use chrono::Datelike;
    let quarter_start = chrono::NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap();
    assert!(page.contains("KPI completion (norm 94 %–100 %)"), "{page}");
    if today - chrono::Duration::days(7) >= quarter_start {
        assert!(page.contains("33 % <span class=\"muted\">of 3 KPIs</span>"), "{page}");
    }
    let company = unescaped(get("/calibration".into()).await.text().await.unwrap());
    assert!(
        company.contains("<h2 id=\"org-h\">The organisation</h2>") && company.contains("Teams to talk to"),
        "{company}"
    );
    assert!(company.contains("No team's scores read as sandbagging or fantasy."), "{company}");
    let agenda = unescaped(get("/teams/support/agenda".into()).await.text().await.unwrap());
    assert!(agenda.contains("1. KPI deltas against baseline") && agenda.contains("Reopen rate"), "{agenda}");
    let md = get("/teams/support/agenda.md".into()).await;
    assert_eq!(md.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = md.text().await.unwrap();
    assert!(md.starts_with("# Support: weekly meeting") && md.contains("OKR candidate: Reopen rate:"), "{md}");

    // Accepting drafts the objective with the key result measured from the KPI.
    let res = no_redirects()
        .post(s.url("/kpis/reopen_rate/okr-candidate"))
        .header(COOKIE, cookie.clone())
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let path = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let (_, o) = s.get(&format!("/api/v1{path}?include=key_results")).await;
    assert_eq!((o["status"].as_str(), o["title"].as_str()), (Some("draft"), Some("Bring Reopen rate back to health")));
    let (_, krs) = s.get(&format!("/api/v1/key-results?objective={}", o["id"].as_str().unwrap())).await;
    let krs = krs["items"].as_array().unwrap();
    let kr =
        krs.iter().find(|k| k["title"].as_str().unwrap().starts_with("Reopen rate")).expect("the KPI's key result");
    assert_eq!(kr["target"].as_f64(), Some(target));
    assert!(kr["kpi_id"].is_string());
    // Its counterweight misses its own target: it is the second key result.
    let cw = krs.iter().find(|k| k["kpi_id"] == resolution["id"]).expect("the counterweight's key result");
    assert_eq!(cw["target"].as_f64(), Some(24.0));
    assert_eq!(krs.len(), 2);
    // The guardrail of its tree guards the draft.
    let (_, links) = s.get(&format!("/api/v1/guardrail-links?objective={}", o["id"].as_str().unwrap())).await;
    let links = links["items"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["kpi_id"], escalations["id"]);
    // Now an OKR measures it, it is no longer proposed.
    let (_, after) = s.get(&format!("/api/v1/okr-candidates?unit={}", team["id"].as_str().unwrap())).await;
    assert_eq!(after.as_array().unwrap().len(), 0, "{after}");
}

async fn a_kpi_that_moves_with_a_key_result_is_shown_with_its_correlation(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let team = s.create("/api/v1/units", serde_json::json!({"name": "Growth", "kind": "team"})).await;
    let person = s
        .create("/api/v1/people", serde_json::json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
        .await;
    let today = chrono::Utc::now().date_naive();
    let start = today - chrono::Duration::days(70);
    let cycle = s
        .create(
            "/api/v1/cycles",
            serde_json::json!({"kind": "custom", "start": start.to_string(), "end": (today + chrono::Duration::days(20)).to_string(), "state": "active"}),
        )
        .await;
    let o = s
        .create(
            "/api/v1/objectives",
            serde_json::json!({"cycle_id": cycle["id"], "title": "Grow", "owner_id": person["id"]}),
        )
        .await;
    let kr = s
        .create("/api/v1/key-results", serde_json::json!({"objective_id": o["id"], "title": "Activation from 10 to 30", "baseline": 10.0, "target": 30.0}))
        .await;
    s.create("/api/v1/kpis", serde_json::json!({"name": "Signups", "aggregation": "mean", "cadence": "weekly"})).await;
    s.create("/api/v1/kpis", serde_json::json!({"name": "Uptime", "aggregation": "mean", "cadence": "weekly"})).await;
    let kr_id = kr["id"].as_str().unwrap().to_owned();
    let mut points = Vec::new();
    for w in 0..9i64 {
        let day = start + chrono::Duration::days(7 * w + 2);
        let at = format!("{day}T10:00:00Z");
        let value = 10.0 + 2.0 * w as f64 + [0.3, -0.2, 0.1][w as usize % 3];
        s.create(
            &format!("/api/v1/key-results/{kr_id}/check-ins"),
            serde_json::json!({"value": value, "confidence": "on_track", "at": at}),
        )
        .await;
        points.push(serde_json::json!({"kpi": "signups", "at": at, "value": 100.0 + 5.0 * w as f64}));
        if w >= 5 {
            points.push(serde_json::json!({"kpi": "uptime", "at": at, "value": 99.0 + 0.1 * w as f64}));
        }
    }
    let (status, body) = s.post("/api/v1/measurements", serde_json::json!({ "points": points })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, c) = s.get(&format!("/api/v1/key-results/{kr_id}/correlation?kpi=signups")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["pairs"], 9);
    assert!(c["r"].as_f64().unwrap() > 0.99, "{c}");
    let (_, few) = s.get(&format!("/api/v1/key-results/{kr_id}/correlation?kpi=uptime")).await;
    assert!(few["r"].is_null() && few["reading"].as_str().unwrap().contains("at least 6"), "{few}");
    let (status, unknown) = s.get(&format!("/api/v1/key-results/{kr_id}/correlation?kpi=nope")).await;
    common::assert_error(status, &unknown, StatusCode::NOT_FOUND, "not_found", Some("kpi"));

    // The page shows it, beside the check-in's draft and the forecast from nine check-ins.
    user(&s, "admin@corp.example", Role::Admin).await;
    let (cookie, _) = sign_in(&s, "admin@corp.example").await;
    let url = s.url(&format!("/key-results/{kr_id}?moves_with=signups"));
    let html = unescaped(no_redirects().get(url).header(COOKIE, cookie).send().await.unwrap().text().await.unwrap());
    assert!(html.contains("Pearson r = <strong>1.00</strong> over 9 weeks"), "{html}");
    assert!(html.contains("From the data:") && html.contains("Will land at"), "{html}");
}
