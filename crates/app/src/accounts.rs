//! Accounts: users, their passwords and API tokens, and turning a presented token into the
//! rights and the name an application acts with.
//!
//! Passwords are hashed with argon2id (its default parameters: 19 MiB, two passes, the
//! OWASP recommendation), off the async threads. Tokens are 256 random bits, so a single
//! SHA-256 is all the stored form needs: nobody can guess a preimage of a random 256-bit
//! string, and a lookup by hash costs one index read per request.

use crate::{App, AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use quarterdeck_domain::access::{Action, Member, Rights, Role, Scope, Scopes, check_password};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{KpiId, PersonId, TokenId, UnitId, UserId};
use quarterdeck_domain::text::{Email, Name};
use quarterdeck_store::PageRequest;
use quarterdeck_store::accounts::{ApiToken, NewToken, NewUser, TokenOwner, User, UserPatch};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "qd_";
/// Tokens live this long unless told otherwise.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
const MAX_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    pub email: String,
    pub name: String,
    #[serde(default = "member")]
    pub role: Role,
    /// The person of the directory this user is; without it, the person with the same
    /// e-mail address, if any.
    pub person_id: Option<PersonId>,
    /// At least 10 characters; leave out for a user who signs in with single sign-on.
    pub password: Option<String>,
}

fn member() -> Role {
    Role::Member
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "crate::input::double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub person_id: Option<Option<PersonId>>,
    /// `false` deactivates: no more sign-in, every token stops working, history stays.
    pub active: Option<bool>,
    pub password: Option<String>,
    /// Required with `password` when you change your own.
    pub current_password: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for ("warehouse push", "CI lint").
    pub name: String,
    /// `read`, `check-in`, `kpi:push`, `write`, `admin`.
    pub scopes: Vec<String>,
    /// The KPIs (ids or keys) a `kpi:push` scope is limited to.
    #[serde(default)]
    pub kpis: Vec<String>,
    /// Days until it expires (1–3650, default 90).
    pub expires_in_days: Option<u32>,
    /// Whose token (admins only; default: your own). An id or an e-mail address.
    pub user: Option<String>,
}

/// A user as front ends show it: never a password or its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub person_id: Option<PersonId>,
    pub active: bool,
    pub has_password: bool,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
            email: u.email,
            name: u.name,
            role: u.role,
            person_id: u.person_id,
            active: u.active,
            has_password: u.has_password,
        }
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: TokenId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<Scope>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub kpis: Vec<KpiId>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenView {
    fn new(t: ApiToken, now: DateTime<Utc>) -> TokenView {
        TokenView {
            state: token_state(&t, now),
            id: t.id,
            user_id: t.user_id,
            name: t.name,
            scopes: t.scopes,
            kpis: t.kpis,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

fn token_state(t: &ApiToken, now: DateTime<Utc>) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else {
        "active"
    }
}

/// A token just made: the only time its secret is shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: TokenView,
    /// Send as `Authorization: Bearer <secret>`. Shown once; only its hash is kept.
    pub secret: String,
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 of a token's secret, hex: its stored form.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Random bytes as URL-safe text.
pub(crate) fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_text(32))
}

/// A password nobody will guess (the demo's users): 128 random bits, 22 characters.
pub fn random_password() -> String {
    random_text(16)
}

/// Hashes a password with argon2id, on a blocking thread (it takes tens of milliseconds on
/// purpose).
pub async fn hash_password(password: String) -> AppResult<String> {
    check_password(&password).map_err(|m| AppError::new(Code::WeakPassword, m).with_field("password"))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::new(Code::Internal, "password hashing stopped"))?
    .map_err(|_| AppError::new(Code::Internal, "the password could not be hashed"))
}

/// Whether the password matches the stored argon2id hash (on a blocking thread).
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Who a presented token turned out to be, cached for a few seconds so a busy client costs
/// one lookup per token per interval, not one per request.
#[derive(Clone)]
struct Verified {
    at: Instant,
    owner: Result<TokenOwner, (Code, &'static str)>,
}

/// Verified tokens by hash. A revocation on this server drops its entry at once; on another
/// server sharing the database it takes effect within [`TokenCache::TTL`].
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<String, Verified>>,
}

impl TokenCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(10);
    /// Bounded whatever clients send: past this, the cache starts over.
    const MAX: usize = 10_000;

    fn get(&self, hash: &str) -> Option<Verified> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(hash).filter(|v| v.at.elapsed() < Self::TTL).cloned()
    }

    fn put(&self, hash: String, v: Verified) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::MAX {
            entries.clear();
        }
        entries.insert(hash, v);
    }

    fn forget_token(&self, id: TokenId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, v| v.owner.as_ref().map_or(true, |o| o.token.id != id));
    }

    fn forget_user(&self, id: UserId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, v| v.owner.as_ref().map_or(true, |o| o.user.id != id));
    }
}

impl App {
    /// The user this application acts for, if it acts for one.
    pub fn user_id(&self) -> Option<UserId> {
        match &self.rights {
            Rights::User { member, .. } => Some(member.user),
            _ => None,
        }
    }

    /// The person of the organisation the acting user is, if any.
    pub fn person_id(&self) -> Option<PersonId> {
        match &self.rights {
            Rights::User { member, .. } => member.person,
            _ => None,
        }
    }

    pub async fn add_user(&self, input: AddUser) -> AppResult<UserView> {
        self.may_administer()?;
        let password_hash = match input.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let email = Email::parse("email", &input.email)?;
        // Without a person named, the user is the person of the directory with the same
        // address, if there is one: their key results, team and edit rights follow.
        let person_id = match input.person_id {
            Some(p) => Some(p),
            None => self.store().find_person_by_email(email.as_str()).await?.map(|p| p.id),
        };
        let new =
            NewUser { email, name: Name::parse("name", &input.name)?, role: input.role, person_id, password_hash };
        Ok(self.store().create_user(&self.ctx(), new).await?.into())
    }

    pub async fn list_users(&self, page: PageRequest) -> AppResult<crate::ListPage<UserView>> {
        self.may_administer()?;
        Ok(self.store().list_users(page).await?.into())
    }

    /// A user by id or e-mail address.
    pub async fn find_user(&self, raw: &str) -> AppResult<User> {
        if let Ok(id) = raw.parse::<UserId>() {
            return Ok(self.store().get_user(id).await?);
        }
        match self.store().credentials(raw).await? {
            Some((user, _)) => Ok(user),
            None => Err(AppError::new(Code::NotFound, format!("no user with id or e-mail '{raw}'")).with_field("user")),
        }
    }

    pub async fn get_user(&self, raw: &str) -> AppResult<UserView> {
        let user = self.find_user(raw).await?;
        if self.user_id() != Some(user.id) {
            self.may_administer()?;
        }
        Ok(user.into())
    }

    /// Changes a user. Admins change anything; users change their own name and password.
    pub async fn update_user(&self, id: UserId, version: i64, input: UpdateUser) -> AppResult<UserView> {
        let own_details = input.role.is_none() && input.person_id.is_none() && input.active.is_none();
        if !(own_details && self.user_id() == Some(id)) {
            self.may_administer()?;
        }
        let changes_password = input.password.is_some();
        if changes_password && self.user_id() == Some(id) {
            // Whoever holds a session or token of a user must not lock them out: their own
            // new password needs the one they have.
            let user = self.store().get_user(id).await?;
            let current = input.current_password.clone().ok_or_else(|| {
                AppError::new(Code::Missing, "send your current password to set a new one")
                    .with_field("current_password")
            })?;
            self.check_password_throttled(&user.email, &current, None).await.map_err(|e| match e.code {
                Code::InvalidCredentials => AppError::new(Code::InvalidField, "current_password is not your password")
                    .with_field("current_password"),
                _ => e,
            })?;
        }
        let password_hash = match input.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let patch = UserPatch {
            name: input.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
            role: input.role,
            person_id: input.person_id,
            active: input.active,
            password_hash,
        };
        let user = crate::or_current(
            self.store().update_user(&self.ctx(), id, version, patch).await,
            self.store().get_user(id),
            UserView::from,
        )
        .await?;
        self.token_cache.forget_user(id);
        if changes_password || input.active == Some(false) {
            // A new password, or a deactivation, ends every browser session of the user.
            self.store().revoke_sessions(&self.ctx(), id, None).await?;
        }
        Ok(user)
    }

    /// Makes a token for the acting user (or, for an admin, for anyone) and shows its secret once.
    pub async fn create_token(&self, input: CreateToken) -> AppResult<CreatedToken> {
        let user = match (&input.user, self.user_id()) {
            (Some(raw), _) => self.find_user(raw).await?,
            (None, Some(id)) => self.store().get_user(id).await?,
            (None, None) => {
                return Err(AppError::new(Code::Missing, "name the user the token is for").with_field("user"));
            }
        };
        if self.user_id() != Some(user.id) {
            self.may_administer()?;
        }
        let mut scopes = Vec::new();
        for (i, raw) in input.scopes.iter().enumerate() {
            let scope: Scope = raw
                .parse()
                .map_err(|m: String| AppError::new(Code::InvalidScope, m).with_field(format!("scopes[{i}]")))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(AppError::new(
                Code::InvalidScope,
                "give at least one scope: read, check-in, kpi:push, write, admin",
            )
            .with_field("scopes"));
        }
        if scopes.contains(&Scope::Admin) && user.role != Role::Admin {
            return Err(AppError::new(
                Code::Forbidden,
                format!("the admin scope needs a user with the admin role; {} is {}", user.email, user.role),
            )
            .with_field("scopes"));
        }
        let mut kpis = Vec::new();
        for raw in &input.kpis {
            kpis.push(self.resolve_kpi(raw).await.map_err(|e| e.with_field("kpis"))?.id);
        }
        match (scopes.contains(&Scope::KpiPush), kpis.is_empty()) {
            (true, true) => {
                return Err(AppError::new(Code::InvalidScope, "kpi:push is limited to named KPIs; list them in kpis")
                    .with_field("kpis"));
            }
            (false, false) => {
                return Err(AppError::new(
                    Code::InvalidScope,
                    "kpis only limit the kpi:push scope; add it or leave kpis out",
                )
                .with_field("kpis"));
            }
            _ => {}
        }
        let days = input.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(AppError::new(Code::OutOfRange, format!("expires_in_days is between 1 and {MAX_TOKEN_DAYS}"))
                .with_field("expires_in_days"));
        }
        let secret = new_secret();
        let new = NewToken {
            user_id: user.id,
            name: Name::parse("name", &input.name)?,
            scopes,
            kpis,
            expires_at: Some(self.now() + Duration::days(i64::from(days))),
            hash: token_hash(&secret),
        };
        let token = self.store().create_token(&self.ctx(), new).await?;
        Ok(CreatedToken { token: TokenView::new(token, self.now()), secret })
    }

    /// The tokens of a user (default: the acting one).
    pub async fn list_tokens(&self, user: Option<&str>) -> AppResult<Vec<TokenView>> {
        let id = match (user, self.user_id()) {
            (Some(raw), _) => self.find_user(raw).await?.id,
            (None, Some(id)) => id,
            (None, None) => return Err(AppError::new(Code::Missing, "name the user").with_field("user")),
        };
        if self.user_id() != Some(id) {
            self.may_administer()?;
        }
        let now = self.now();
        Ok(self.store().list_tokens(id).await?.into_iter().map(|t| TokenView::new(t, now)).collect())
    }

    /// Revokes a token: it stops working at once on this server, within seconds on others.
    pub async fn revoke_token(&self, id: TokenId) -> AppResult<TokenView> {
        let token = self.store().get_token(id).await?;
        if self.user_id() != Some(token.user_id) {
            self.may_administer()?;
        }
        let token = self.store().revoke_token(&self.ctx(), id).await?;
        self.token_cache.forget_token(id);
        Ok(TokenView::new(token, self.now()))
    }

    /// The application acting as the holder of this token, or why not (unknown, revoked,
    /// expired, user deactivated: each 401, with words that say which).
    pub async fn with_token(&self, secret: &str) -> AppResult<App> {
        let hash = token_hash(secret.trim());
        let verified = match self.token_cache.get(&hash) {
            Some(v) => v,
            None => {
                let owner = match self.store().token_owner(&hash).await? {
                    None => Err((Code::Unauthenticated, "this token is not known; check it, or create a new one")),
                    Some(o) if o.token.revoked_at.is_some() => {
                        Err((Code::Unauthenticated, "this token was revoked; create a new one"))
                    }
                    Some(o) if !o.user.active => {
                        Err((Code::AccountInactive, "the user of this token is deactivated; ask an admin"))
                    }
                    Some(o) => {
                        // The last use, once per cache interval rather than once per request.
                        self.store().touch_token(o.token.id, self.now()).await?;
                        Ok(o)
                    }
                };
                let v = Verified { at: Instant::now(), owner };
                self.token_cache.put(hash, v.clone());
                v
            }
        };
        let owner = verified.owner.map_err(|(code, m)| AppError::new(code, m))?;
        if owner.token.expires_at.is_some_and(|e| e <= self.now()) {
            return Err(AppError::new(Code::Unauthenticated, "this token has expired; create a new one"));
        }
        let actor = Actor::Token { id: owner.token.id, user: owner.user.id, name: owner.user.name.clone() };
        let member =
            Member { user: owner.user.id, role: owner.user.role, person: owner.user.person_id, unit: owner.unit_id };
        let scopes = Scopes::new(owner.token.scopes.iter().copied(), owner.token.kpis.iter().copied());
        Ok(self.acting_as(actor).with_rights(Rights::User { member, token: Some((owner.token.id, scopes)) }))
    }

    /// The application acting as this user, signed in (by password or single sign-on).
    pub async fn as_user(&self, user: &User) -> AppResult<App> {
        if !user.active {
            return Err(AppError::new(Code::AccountInactive, "this user is deactivated; ask an admin"));
        }
        let unit = match user.person_id {
            Some(p) => self.store().unit_of_person(p).await?,
            None => None,
        };
        let member = Member { user: user.id, role: user.role, person: user.person_id, unit };
        Ok(self
            .acting_as(Actor::User { id: user.id, name: user.name.clone() })
            .with_rights(Rights::User { member, token: None }))
    }

    /// Checks an e-mail address and password; the same answer for an unknown address and a
    /// wrong password, so addresses cannot be probed.
    pub async fn check_password(&self, email: &str, password: &str) -> AppResult<User> {
        let wrong = || AppError::new(Code::InvalidCredentials, "wrong e-mail address or password");
        let Some((user, Some(hash))) = self.store().credentials(email).await? else {
            // Spend the time a check would, so timing does not tell which addresses exist.
            let _ = hash_password("a password of no one at all".into()).await;
            return Err(wrong());
        };
        if !verify_password(password.to_owned(), hash).await {
            return Err(wrong());
        }
        if !user.active {
            return Err(AppError::new(Code::AccountInactive, "this user is deactivated; ask an admin"));
        }
        Ok(user)
    }

    /// The users who are members of a unit (their person belongs to it).
    pub async fn unit_members(&self, unit: UnitId) -> AppResult<Vec<UserView>> {
        Ok(self.store().users_of_unit(unit).await?.into_iter().map(UserView::from).collect())
    }

    /// Puts a user's person in a unit, or takes them out of it (`None`): how a directory's
    /// group membership reaches the organisation. A user without a person gets one, named
    /// and addressed as the user.
    pub async fn place_user(&self, user: UserId, unit: Option<UnitId>) -> AppResult<UserView> {
        self.may_administer()?;
        let user = self.store().get_user(user).await?;
        match user.person_id {
            Some(p) => {
                let person = self.store().get_person(p).await?;
                if person.unit_id != unit {
                    let input = crate::org::UpdatePerson { unit_id: Some(unit), ..Default::default() };
                    self.update_person(p, person.version, input).await?;
                }
                Ok(user.into())
            }
            None if unit.is_none() => Ok(user.into()),
            None => {
                let input = crate::org::CreatePerson {
                    name: user.name.clone(),
                    email: user.email.clone(),
                    unit_id: unit,
                    manager_id: None,
                };
                let person = self.create_person(input).await?;
                let link = UpdateUser { person_id: Some(Some(person.id)), ..Default::default() };
                self.update_user(user.id, user.version, link).await
            }
        }
    }

    /// Whether anyone could sign in yet (an empty server prints how to make the first admin).
    pub async fn has_users(&self) -> AppResult<bool> {
        Ok(!self.store().list_users(PageRequest::first(1)).await?.items.is_empty())
    }

    /// Refuses a read unless the acting party may read.
    pub fn may_read(&self) -> AppResult<()> {
        self.authorize(&Action::Read)
    }
}
