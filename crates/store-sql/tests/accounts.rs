//! The accounts port on SQLite and PostgreSQL: users (one per address, changes versioned,
//! password hashes never in a `User` nor its audit row) and tokens (found by hash, revoked
//! once, last use recorded without a trail).

use chrono::{Duration, Utc};
use quarterdeck_domain::access::{Role, Scope};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::text::{Email, Name};
use quarterdeck_store::accounts::{NewToken, NewUser, UserPatch};
use quarterdeck_store::journal::AuditFilter;
use quarterdeck_store::{Ctx, PageRequest, Store, StoreError};
use quarterdeck_store_sql::backend_tests;
use std::sync::Arc;

backend_tests!(users_are_one_per_address_and_keep_their_hash_to_themselves, tokens_are_found_by_hash_and_revoked_once);

fn ctx() -> Ctx {
    Ctx::new(Actor::Cli { user: Some("ops".into()) }, Utc::now())
}

fn new_user(email: &str, hash: Option<&str>) -> NewUser {
    NewUser {
        email: Email::parse("email", email).unwrap(),
        name: Name::parse("name", "Ada").unwrap(),
        role: Role::Member,
        person_id: None,
        password_hash: hash.map(str::to_owned),
    }
}

async fn users_are_one_per_address_and_keep_their_hash_to_themselves(store: Arc<dyn Store>) {
    let ada = store.create_user(&ctx(), new_user("Ada@Example.com", Some("$argon2id$secret-hash"))).await.unwrap();
    assert_eq!(
        (ada.email.as_str(), ada.role, ada.active, ada.has_password),
        ("ada@example.com", Role::Member, true, true)
    );
    let again = store.create_user(&ctx(), new_user("ada@example.com", None)).await;
    assert!(matches!(again, Err(StoreError::Duplicate { .. })), "{again:?}");
    let (found, hash) = store.credentials(" ADA@example.com ").await.unwrap().unwrap();
    assert_eq!((found.id, hash.as_deref()), (ada.id, Some("$argon2id$secret-hash")));
    assert!(store.credentials("nobody@example.com").await.unwrap().is_none());

    let patch = UserPatch {
        role: Some(Role::Lead),
        active: Some(false),
        password_hash: Some("$argon2id$new-hash".into()),
        ..UserPatch::default()
    };
    let changed = store.update_user(&ctx(), ada.id, 1, patch.clone()).await.unwrap();
    assert_eq!((changed.version, changed.role, changed.active), (2, Role::Lead, false));
    assert_eq!(store.credentials("ada@example.com").await.unwrap().unwrap().1.as_deref(), Some("$argon2id$new-hash"));
    let stale = store.update_user(&ctx(), ada.id, 1, patch).await;
    assert!(matches!(stale, Err(StoreError::Stale { .. })), "{stale:?}");

    let trail = store
        .list_audit(AuditFilter { entity: Some("user".into()), ..AuditFilter::default() }, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(trail.items.len(), 2);
    let text = serde_json::to_string(&trail.items.iter().map(|a| (&a.before, &a.after)).collect::<Vec<_>>()).unwrap();
    assert!(!text.contains("argon2id"), "no password hash in the trail: {text}");
    assert_eq!(store.list_users(PageRequest::first(10)).await.unwrap().items.len(), 1);
}

async fn tokens_are_found_by_hash_and_revoked_once(store: Arc<dyn Store>) {
    let user = store.create_user(&ctx(), new_user("ops@example.com", None)).await.unwrap();
    let kpi = KpiId(uuid::Uuid::now_v7());
    let new = NewToken {
        user_id: user.id,
        name: Name::parse("name", "warehouse").unwrap(),
        scopes: vec![Scope::Read, Scope::KpiPush],
        kpis: vec![kpi],
        expires_at: Some(Utc::now() + Duration::days(30)),
        hash: "ab".repeat(32),
    };
    let token = store.create_token(&ctx(), new).await.unwrap();
    assert_eq!((token.scopes.clone(), token.kpis.clone()), (vec![Scope::Read, Scope::KpiPush], vec![kpi]));
    let owner = store.token_owner(&"ab".repeat(32)).await.unwrap().unwrap();
    assert_eq!((owner.token.id, owner.user.id, owner.unit_id), (token.id, user.id, None));
    assert!(store.token_owner(&"cd".repeat(32)).await.unwrap().is_none());

    let used = Utc::now();
    store.touch_token(token.id, used).await.unwrap();
    let listed = store.list_tokens(user.id).await.unwrap();
    assert_eq!(listed[0].last_used_at.map(|t| t.timestamp_micros()), Some(used.timestamp_micros()));

    let revoked = store.revoke_token(&ctx(), token.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    let again = store.revoke_token(&ctx(), token.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at, "revoking twice changes nothing");
    let trail = store
        .list_audit(AuditFilter { entity: Some("token".into()), ..AuditFilter::default() }, PageRequest::first(10))
        .await
        .unwrap();
    let actions: Vec<_> = trail.items.iter().map(|a| a.action.clone()).collect();
    assert_eq!(actions, ["revoke", "create"], "one row per change, none for a use");
    assert!(!serde_json::to_string(&trail.items[1].after).unwrap().contains(&"ab".repeat(32)), "no hash in the trail");
}
