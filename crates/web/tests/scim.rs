//! SCIM 2.0 user provisioning on SQLite and PostgreSQL, as an identity provider drives it:
//! look a user up by `userName`, create, patch, replace, deactivate; every call needs an
//! admin's token, and a refused one changes nothing.

mod common;

use common::{Server, client_with, token_for};
use quarterdeck_domain::access::Role;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

backend_tests!(an_identity_provider_keeps_users_in_step, provisioning_needs_an_admin, groups_keep_teams_in_step);

async fn an_identity_provider_keeps_users_in_step(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let find = |email: &str| s.url(&format!("/scim/v2/Users?filter=userName%20eq%20%22{email}%22"));
    // Not there yet.
    let (st, list) = s.send(s.http.get(find("ada@example.com"))).await;
    assert_eq!((st, list["totalResults"].as_u64()), (StatusCode::OK, Some(0)), "{list}");
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Ada@Example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "primary": true}],
        "active": true
    });
    let (st, made) = s.send(s.http.post(s.url("/scim/v2/Users")).json(&user)).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["userName"].as_str(), made["displayName"].as_str()),
        (Some("ada@example.com"), Some("Ada Lovelace"))
    );
    let id = made["id"].as_str().unwrap().to_owned();
    // Again: a uniqueness conflict in SCIM's shape.
    let (st, again) = s.send(s.http.post(s.url("/scim/v2/Users")).json(&user)).await;
    assert_eq!(
        (st, again["scimType"].as_str(), again["status"].as_str()),
        (StatusCode::CONFLICT, Some("uniqueness"), Some("409"))
    );
    let (_, list) = s.send(s.http.get(find("ada@example.com"))).await;
    assert_eq!(list["Resources"][0]["id"], id.as_str(), "{list}");

    // Deactivated with a PATCH (both shapes providers send), reactivated with a PUT.
    let path = s.url(&format!("/scim/v2/Users/{id}"));
    for op in [
        json!({"op": "replace", "path": "active", "value": false}),
        json!({"op": "Replace", "value": {"active": "False", "displayName": "Ada L."}}),
    ] {
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]});
        let (st, got) = s.send(s.http.patch(&path).json(&patch)).await;
        assert_eq!((st, got["active"].as_bool()), (StatusCode::OK, Some(false)), "{got}");
    }
    let ada = client_with(&token_for(&s.app, "ada@example.com", Role::Member, None, &["read"]).await);
    let (st, _) = s.send(ada.get(s.url("/api/v1/me"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a deactivated user's token stops");
    let (st, got) = s
        .send(
            s.http
                .put(&path)
                .json(&json!({"userName": "ada@example.com", "displayName": "Ada Lovelace", "active": true})),
        )
        .await;
    assert_eq!(
        (st, got["active"].as_bool(), got["displayName"].as_str()),
        (StatusCode::OK, Some(true), Some("Ada Lovelace"))
    );
    // The address identifies the user and cannot change.
    let (st, got) = s.send(s.http.put(&path).json(&json!({"userName": "eve@example.com"}))).await;
    assert_eq!((st, got["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")), "{got}");
    // Delete deactivates; the user and their trail stay.
    let (st, _) = s.send(s.http.delete(&path)).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, got) = s.send(s.http.get(&path)).await;
    assert_eq!(got["active"], false);
    let (_, trail) = s.get(&format!("/api/v1/audit?entity=user&entity_id={id}")).await;
    assert!(trail["items"].as_array().unwrap().len() >= 4, "{trail}");
    // An unsupported filter says which one is.
    let (st, got) = s.send(s.http.get(s.url("/scim/v2/Users?filter=displayName%20co%20%22A%22"))).await;
    assert_eq!((st, got["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")), "{got}");
}

async fn provisioning_needs_an_admin(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let lead = client_with(&token_for(&s.app, "lea@example.com", Role::Lead, None, &["write"]).await);
    let narrow = client_with(&token_for(&s.app, "admin@example.com", Role::Admin, None, &["write"]).await);
    let user = json!({"userName": "eve@example.com"});
    for client in [&lead, &narrow] {
        let (st, got) = s.send(client.post(s.url("/scim/v2/Users")).json(&user)).await;
        assert_eq!((st, got["status"].as_str()), (StatusCode::FORBIDDEN, Some("403")), "{got}");
    }
    let (st, _) = s.send(s.anonymous.post(s.url("/scim/v2/Users")).json(&user)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(s.app.find_user("eve@example.com").await.is_err(), "nobody was made");
}

async fn groups_keep_teams_in_step(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let mut ids = Vec::new();
    for email in ["ada@example.com", "bo@example.com"] {
        let (st, made) = s.send(s.http.post(s.url("/scim/v2/Users")).json(&json!({"userName": email}))).await;
        assert_eq!(st, StatusCode::CREATED, "{made}");
        ids.push(made["id"].as_str().unwrap().to_owned());
    }
    // A group is a team; its members' people are placed in it (made for users without one).
    let (st, group) = s
        .send(
            s.http
                .post(s.url("/scim/v2/Groups"))
                .json(&json!({"displayName": "Platform", "members": [{"value": ids[0]}]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    assert_eq!(group["members"][0]["value"], ids[0].as_str(), "{group}");
    let (_, unit) = s.get(&format!("/api/v1/units/{gid}")).await;
    assert_eq!((unit["name"].as_str(), unit["kind"].as_str()), (Some("Platform"), Some("team")));
    let (_, people) = s.get(&format!("/api/v1/people?unit={gid}")).await;
    assert_eq!(people["items"][0]["email"], "ada@example.com", "{people}");

    let path = s.url(&format!("/scim/v2/Groups/{gid}"));
    let patch = |ops: serde_json::Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (st, g) = s
        .send(s.http.patch(&path).json(&patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]))))
        .await;
    assert_eq!((st, g["members"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{g}");
    let remove = format!("members[value eq \"{}\"]", ids[0]);
    let ops = json!([{"op": "remove", "path": remove}, {"op": "replace", "path": "displayName", "value": "Platform & Infra"}]);
    let (st, g) = s.send(s.http.patch(&path).json(&patch(ops))).await;
    assert_eq!(st, StatusCode::OK, "{g}");
    assert_eq!(
        (g["displayName"].as_str(), g["members"].as_array().map(Vec::len)),
        (Some("Platform & Infra"), Some(1)),
        "{g}"
    );
    assert_eq!(g["members"][0]["value"], ids[1].as_str());
    // Found by name; deleting empties it and keeps the unit (its OKRs and history stay).
    let (_, list) =
        s.send(s.http.get(s.url("/scim/v2/Groups?filter=displayName%20eq%20%22Platform%20%26%20Infra%22"))).await;
    assert_eq!(list["totalResults"], 1, "{list}");
    let (st, _) = s.send(s.http.delete(&path)).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, g) = s.send(s.http.get(&path)).await;
    assert_eq!(g["members"].as_array().map(Vec::len), Some(0), "{g}");
}
