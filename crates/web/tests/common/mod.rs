//! The one harness of the HTTP tests: a real server on a random port over a store of either
//! backend, and a client with the few calls every test makes.
#![allow(dead_code)]

use quarterdeck_app::App;
use quarterdeck_app::accounts::{AddUser, CreateToken};
use quarterdeck_domain::access::Role;
use quarterdeck_domain::ids::PersonId;
use quarterdeck_store::Store;
use quarterdeck_web::{AppState, router};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

pub struct Server {
    pub base: String,
    /// A client that sends the admin's token with every request.
    pub http: reqwest::Client,
    /// A client that sends no credentials.
    pub anonymous: reqwest::Client,
    /// The application behind the server, acting as the system (to set up users and tokens).
    pub app: App,
    /// The admin's token `http` sends (for tests that write raw HTTP).
    pub secret: String,
}

/// A client sending `Authorization: Bearer <secret>` with every request.
pub fn client_with(secret: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {secret}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// Adds a user of this role (no password) and makes a token with these scopes; the secret.
pub async fn token_for(app: &App, email: &str, role: Role, person: Option<PersonId>, scopes: &[&str]) -> String {
    let user = match app.find_user(email).await {
        Ok(u) => u.id,
        Err(_) => {
            let input = AddUser { email: email.into(), name: email.into(), role, person_id: person, password: None };
            app.add_user(input).await.unwrap().id
        }
    };
    let input = CreateToken {
        name: "tests".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        kpis: Vec::new(),
        expires_in_days: None,
        user: Some(user.to_string()),
    };
    app.create_token(input).await.unwrap().secret
}

impl Server {
    /// A server on a random port, and a client holding an admin's token.
    pub async fn start(store: Arc<dyn Store>) -> Server {
        Server::start_with(store, async |_, state| state).await
    }

    /// A server over a store nobody can sign in to yet (no users, no token), started with
    /// this one-time set-up code.
    pub async fn start_empty(store: Arc<dyn Store>, setup_code: &str) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = App::new(store);
        let state = AppState { setup_code: Some(setup_code.into()), ..AppState::new(app.clone()) };
        let router = router(state);
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let anonymous = reqwest::Client::new();
        Server { base: format!("http://{addr}"), http: anonymous.clone(), anonymous, app, secret: String::new() }
    }

    /// The same, with the state changed first (knowing the address it will serve on).
    pub async fn start_with(
        store: Arc<dyn Store>,
        configure: impl AsyncFnOnce(std::net::SocketAddr, AppState) -> AppState,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = App::new(store);
        let router = router(configure(addr, AppState::new(app.clone())).await);
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let secret = token_for(&app, "admin@example.com", Role::Admin, None, &["admin"]).await;
        Server {
            base: format!("http://{addr}"),
            http: client_with(&secret),
            anonymous: reqwest::Client::new(),
            app,
            secret,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; the body as JSON (or as text when it is not JSON, `null` when empty).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value, if_match: Option<i64>) -> (StatusCode, Value) {
        let mut req = self.http.patch(self.url(path)).json(&body);
        if let Some(v) = if_match {
            req = req.header("If-Match", format!("\"{v}\""));
        }
        self.send(req).await
    }

    pub async fn csv(&self, path: &str, body: &str) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).header("Content-Type", "text/csv").body(body.to_owned())).await
    }

    /// POST that must succeed; returns the body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let (status, body) = self.post(path, body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
        body
    }

    /// A unit, a person and an active current quarter.
    pub async fn org(&self) -> (Value, Value, Value) {
        let team = self.create("/api/v1/units", json!({"name": "Product"})).await;
        let person = self
            .create("/api/v1/people", json!({"name": "Ada", "email": "ada@example.com", "unit_id": team["id"]}))
            .await;
        let cycle = self.create("/api/v1/cycles", json!({"state": "active"})).await;
        (team, person, cycle)
    }

    pub async fn objective(&self, person: &Value, title: &str) -> Value {
        self.create("/api/v1/objectives", json!({"cycle_id": "current", "title": title, "owner_id": person["id"]}))
            .await
    }
}

/// Asserts an error answer: status, code, a message for people, and the field when given.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    if let Some(f) = field {
        assert_eq!(body["field"], f, "{body}");
    }
}
