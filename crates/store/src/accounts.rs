//! Accounts: users who sign in, and their API tokens. Secrets never reach this port in the
//! clear: a password arrives as its argon2id hash, a token as the SHA-256 of its secret.

use crate::{Ctx, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::access::{Role, Scope};
use quarterdeck_domain::ids::{KpiId, PersonId, SessionId, TokenId, UnitId, UserId};
use quarterdeck_domain::text::{Email, Name};
use serde::Serialize;

/// A user. Its password hash is not part of it (see [`AccountStore::credentials`]), so no
/// view, audit row or log line built from a user can carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The person of the organisation this user is (their key results, their unit).
    pub person_id: Option<PersonId>,
    /// A deactivated user signs in no more and their tokens stop working; their history stays.
    pub active: bool,
    /// Whether a password is set (single sign-on users may have none).
    pub has_password: bool,
}

/// An API token, as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The KPIs a `kpi:push` scope is limited to.
    pub kpis: Vec<KpiId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a presented token stands for: the token, its user, and the unit of the user's person.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOwner {
    pub token: ApiToken,
    pub user: User,
    pub unit_id: Option<UnitId>,
}

/// A browser session, as the store keeps it: never its cookie's secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    /// Sent back by the browser's scripts in `X-CSRF-Token` with every change.
    #[serde(skip)]
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end, whatever the activity.
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a presented session cookie stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOwner {
    pub session: Session,
    pub user: User,
    pub unit_id: Option<UnitId>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    /// SHA-256 of the cookie's secret, hex.
    pub hash: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub person_id: Option<PersonId>,
    /// The argon2id hash (PHC string), or none for a user who signs in elsewhere.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<Name>,
    pub role: Option<Role>,
    /// `Some(None)` unlinks the person.
    pub person_id: Option<Option<PersonId>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: UserId,
    pub name: Name,
    pub scopes: Vec<Scope>,
    pub kpis: Vec<KpiId>,
    pub expires_at: Option<DateTime<Utc>>,
    /// SHA-256 of the secret, hex.
    pub hash: String,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_user(&self, ctx: &Ctx, new: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    /// The user with this e-mail address and their password hash, if any.
    async fn credentials(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>>;
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    async fn update_user(&self, ctx: &Ctx, id: UserId, version: i64, patch: UserPatch) -> StoreResult<User>;
    /// The users whose person belongs to a unit (its members, as a directory sees them).
    async fn users_of_unit(&self, unit: UnitId) -> StoreResult<Vec<User>>;
    /// The unit of a person (the home unit of a user's rights).
    async fn unit_of_person(&self, id: PersonId) -> StoreResult<Option<UnitId>>;

    async fn create_token(&self, ctx: &Ctx, new: NewToken) -> StoreResult<ApiToken>;
    async fn get_token(&self, id: TokenId) -> StoreResult<ApiToken>;
    async fn list_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_token(&self, ctx: &Ctx, id: TokenId) -> StoreResult<ApiToken>;
    /// The token with this hash and its user, whatever their state (the caller decides).
    async fn token_owner(&self, hash: &str) -> StoreResult<Option<TokenOwner>>;
    /// Records the last use of a token (no audit row: a use changes nothing).
    async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> StoreResult<()>;

    /// Opens a session (a sign-in, audited without its secrets).
    async fn create_session(&self, ctx: &Ctx, new: NewSession) -> StoreResult<Session>;
    /// The session with this hash and its user, whatever their state (the caller decides).
    async fn session_owner(&self, hash: &str) -> StoreResult<Option<SessionOwner>>;
    /// Records activity on a session (no audit row).
    async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends one session (sign-out), or every open session of a user; how many ended.
    async fn revoke_sessions(&self, ctx: &Ctx, user: UserId, only: Option<SessionId>) -> StoreResult<u64>;

    /// Records a failed sign-in under each key and drops those older than `since`.
    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>, since: DateTime<Utc>) -> StoreResult<()>;
    /// Failed sign-ins under each key since then, in the order of the keys.
    async fn login_failures(&self, keys: &[String], since: DateTime<Utc>) -> StoreResult<Vec<u64>>;
    /// Forgets the failures under a key (a successful sign-in).
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
}
