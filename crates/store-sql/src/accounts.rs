//! Users and API tokens. Password hashes are read only by [`AccountStore::credentials`] and
//! never enter a `User`, so neither the audit trail nor any answer can carry one.

use crate::db::{Conn, Sql, q};
use crate::rows::{convert, micros, opt_time, opt_word, time, word};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{SqlStore, applied, check_version, found, new_id};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::ids::{PersonId, SessionId, TokenId, UnitId, UserId};
use quarterdeck_store::accounts::*;
use quarterdeck_store::{Ctx, Page, PageRequest, StoreError, StoreResult};

const USER_COLUMNS: &str =
    "id, version, created_at, updated_at, email, name, role, person_id, active, password_hash IS NOT NULL";
const SESSION_COLUMNS: &str = "id, user_id, csrf, created_at, last_seen_at, expires_at, revoked_at";
const TOKEN_COLUMNS: &str = "id, user_id, name, scopes, kpis, created_at, expires_at, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    email: String,
    name: String,
    role: String,
    person_id: Option<String>,
    active: i64,
    has_password: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: word("user id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            email: r.email,
            name: r.name,
            role: word("role", &r.role)?,
            person_id: opt_word("person_id", r.person_id.as_deref())?,
            active: r.active != 0,
            has_password: r.has_password,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    user_id: String,
    name: String,
    scopes: String,
    kpis: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// Space-separated words (scopes, KPI ids), as stored.
fn words<T: std::str::FromStr>(field: &str, s: &str) -> StoreResult<Vec<T>> {
    s.split_whitespace().map(|w| word(field, w)).collect()
}

fn joined<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self, StoreError> {
        Ok(ApiToken {
            id: word("token id", &r.id)?,
            user_id: word("user_id", &r.user_id)?,
            name: r.name,
            scopes: words("scopes", &r.scopes)?,
            kpis: words("kpis", &r.kpis)?,
            created_at: time("created_at", r.created_at)?,
            expires_at: opt_time("expires_at", r.expires_at)?,
            last_used_at: opt_time("last_used_at", r.last_used_at)?,
            revoked_at: opt_time("revoked_at", r.revoked_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    user_id: String,
    csrf: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            id: word("session id", &r.id)?,
            user_id: word("user_id", &r.user_id)?,
            csrf: r.csrf,
            created_at: time("created_at", r.created_at)?,
            last_seen_at: time("last_seen_at", r.last_seen_at)?,
            expires_at: time("expires_at", r.expires_at)?,
            revoked_at: opt_time("revoked_at", r.revoked_at)?,
        })
    }
}

/// A user and the unit of their person: who a token or a session acts for.
async fn owner_in(c: &mut Conn<'_>, user: UserId) -> StoreResult<(User, Option<UnitId>)> {
    let user = found("user", user, user_in(c, &user.to_string()).await?)?;
    let unit = match user.person_id {
        Some(p) => person_unit_in(c, p).await?,
        None => None,
    };
    Ok((user, unit))
}

async fn user_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<User>> {
    let row: Option<UserRow> =
        c.fetch_optional(&q!(format!("SELECT {USER_COLUMNS} AS has_password FROM users WHERE id = $1"), id)).await?;
    row.map(User::try_from).transpose()
}

async fn token_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<ApiToken>> {
    let row: Option<TokenRow> =
        c.fetch_optional(&q!(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"), id)).await?;
    row.map(ApiToken::try_from).transpose()
}

async fn person_unit_in(c: &mut Conn<'_>, id: PersonId) -> StoreResult<Option<UnitId>> {
    let row: Option<(Option<String>,)> = c.fetch_optional(&q!("SELECT unit_id FROM people WHERE id = $1", id)).await?;
    opt_word("unit_id", row.and_then(|(u,)| u).as_deref())
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_user(&self, ctx: &Ctx, new: NewUser) -> StoreResult<User> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        require_ref(&mut c, "people", "person", "person_id", new.person_id.map(|p| p.to_string())).await?;
        let id = UserId(new_id());
        let insert = q!(
            "INSERT INTO users (id, version, created_at, updated_at, email, name, role, person_id, active, password_hash) \
             VALUES ($1, 1, $2, $2, $3, $4, $5, $6, 1, $7)",
            id,
            now,
            new.email.as_str(),
            new.name.as_str(),
            new.role.as_str(),
            new.person_id,
            new.password_hash
        );
        c.execute_unique(&insert, "email", new.email.as_str()).await?;
        let user = found("user", id, user_in(&mut c, &id.to_string()).await?)?;
        w.created("user", id, &user);
        w.commit().await?;
        Ok(user)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let mut r = self.pools.reader().await?;
        found("user", id, user_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn credentials(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: Option<String>,
        }
        let sql = q!(
            format!("SELECT {USER_COLUMNS} AS has_password, password_hash FROM users WHERE email = $1"),
            email.trim().to_lowercase()
        );
        let mut r = self.pools.reader().await?;
        let row: Option<Row> = r.conn().fetch_optional(&sql).await?;
        row.map(|r| Ok((User::try_from(r.user)?, r.password_hash))).transpose()
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>> {
        let mut s = Sql::new(format!("SELECT {USER_COLUMNS} AS has_password FROM users WHERE 1 = 1"));
        if let Some(after) = &page.after {
            s.push(" AND id > ").bind(after);
        }
        s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<UserRow> = r.conn().fetch_all(&s).await?;
        Ok(Page::from_rows(convert(rows)?, page.limit, |u: &User| u.id.to_string()))
    }

    async fn update_user(&self, ctx: &Ctx, id: UserId, version: i64, patch: UserPatch) -> StoreResult<User> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("user", id, user_in(&mut c, &key).await?)?;
        check_version("user", &key, current.version, version)?;
        let person = patch.person_id.unwrap_or(current.person_id);
        if patch.person_id.is_some() {
            require_ref(&mut c, "people", "person", "person_id", person.map(|p| p.to_string())).await?;
        }
        let mut s = Sql::new("UPDATE users SET version = version + 1, updated_at = ");
        s.bind(now).push(", name = ").bind(patch.name.map(|n| n.into_string()).unwrap_or(current.name.clone()));
        s.push(", role = ").bind(patch.role.unwrap_or(current.role).as_str()).push(", person_id = ").bind(person);
        s.push(", active = ").bind(i64::from(patch.active.unwrap_or(current.active)));
        if let Some(hash) = patch.password_hash {
            s.push(", password_hash = ").bind(hash);
        }
        s.push(" WHERE id = ").bind(&key).push(" AND version = ").bind(version);
        applied("user", &key, c.execute(&s).await?, version)?;
        let user = found("user", id, user_in(&mut c, &key).await?)?;
        w.updated("user", id, "update", &current, &user);
        w.commit().await?;
        Ok(user)
    }

    async fn users_of_unit(&self, unit: UnitId) -> StoreResult<Vec<User>> {
        let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let sql = q!(
            format!(
                "SELECT {columns} AS has_password FROM users u JOIN people p ON p.id = u.person_id \
                 WHERE p.unit_id = $1 ORDER BY u.id"
            ),
            unit
        );
        let mut r = self.pools.reader().await?;
        let rows: Vec<UserRow> = r.conn().fetch_all(&sql).await?;
        convert(rows)
    }

    async fn unit_of_person(&self, id: PersonId) -> StoreResult<Option<UnitId>> {
        let mut r = self.pools.reader().await?;
        person_unit_in(&mut r.conn(), id).await
    }

    async fn create_token(&self, ctx: &Ctx, new: NewToken) -> StoreResult<ApiToken> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        require_ref(&mut c, "users", "user", "user_id", Some(new.user_id.to_string())).await?;
        let id = TokenId(new_id());
        let insert = q!(
            "INSERT INTO api_tokens (id, user_id, name, hash, scopes, kpis, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            id,
            new.user_id,
            new.name.as_str(),
            &new.hash,
            joined(&new.scopes),
            joined(&new.kpis),
            now,
            new.expires_at.map(micros)
        );
        c.execute(&insert).await?;
        let token = found("token", id, token_in(&mut c, &id.to_string()).await?)?;
        w.created("token", id, &token);
        w.commit().await?;
        Ok(token)
    }

    async fn get_token(&self, id: TokenId) -> StoreResult<ApiToken> {
        let mut r = self.pools.reader().await?;
        found("token", id, token_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn list_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let mut r = self.pools.reader().await?;
        let rows: Vec<TokenRow> = r
            .conn()
            .fetch_all(&q!(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"), user))
            .await?;
        convert(rows)
    }

    async fn revoke_token(&self, ctx: &Ctx, id: TokenId) -> StoreResult<ApiToken> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let before = found("token", id, token_in(&mut c, &key).await?)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        c.execute(&q!("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", now, &key)).await?;
        let after = found("token", id, token_in(&mut c, &key).await?)?;
        w.updated("token", id, "revoke", &before, &after);
        w.commit().await?;
        Ok(after)
    }

    async fn token_owner(&self, hash: &str) -> StoreResult<Option<TokenOwner>> {
        let mut r = self.pools.reader().await?;
        let mut c = r.conn();
        let row: Option<TokenRow> =
            c.fetch_optional(&q!(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1"), hash)).await?;
        let Some(token) = row.map(ApiToken::try_from).transpose()? else { return Ok(None) };
        let (user, unit_id) = owner_in(&mut c, token.user_id).await?;
        Ok(Some(TokenOwner { token, user, unit_id }))
    }

    async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pools.begin().await?;
        tx.conn().execute(&q!("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", micros(at), id)).await?;
        tx.commit().await
    }

    async fn create_session(&self, ctx: &Ctx, new: NewSession) -> StoreResult<Session> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let id = SessionId(new_id());
        let insert = q!(
            "INSERT INTO sessions (id, user_id, hash, csrf, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
            id,
            new.user_id,
            &new.hash,
            &new.csrf,
            now,
            micros(new.expires_at)
        );
        c.execute(&insert).await?;
        let row: SessionRow =
            c.fetch_one(&q!(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"), id)).await?;
        let session = Session::try_from(row)?;
        w.created("session", id, &session);
        w.commit().await?;
        Ok(session)
    }

    async fn session_owner(&self, hash: &str) -> StoreResult<Option<SessionOwner>> {
        let mut r = self.pools.reader().await?;
        let mut c = r.conn();
        let row: Option<SessionRow> =
            c.fetch_optional(&q!(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE hash = $1"), hash)).await?;
        let Some(session) = row.map(Session::try_from).transpose()? else { return Ok(None) };
        let (user, unit_id) = owner_in(&mut c, session.user_id).await?;
        Ok(Some(SessionOwner { session, user, unit_id }))
    }

    async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pools.begin().await?;
        tx.conn().execute(&q!("UPDATE sessions SET last_seen_at = $1 WHERE id = $2", micros(at), id)).await?;
        tx.commit().await
    }

    async fn revoke_sessions(&self, ctx: &Ctx, user: UserId, only: Option<SessionId>) -> StoreResult<u64> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let mut s = Sql::new("UPDATE sessions SET revoked_at = ");
        s.bind(now).push(" WHERE revoked_at IS NULL AND user_id = ").bind(user);
        if let Some(id) = only {
            s.push(" AND id = ").bind(id);
        }
        let ended = c.execute(&s).await?;
        if ended == 0 {
            return Ok(0);
        }
        let what = serde_json::json!({"user_id": user, "session_id": only, "sessions_ended": ended});
        w.change("session", only.map_or(user.to_string(), |s| s.to_string()), "revoke", None, Some(&what));
        w.commit().await?;
        Ok(ended)
    }

    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>, since: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pools.begin().await?;
        let mut c = tx.conn();
        for key in keys {
            c.execute(&q!("DELETE FROM login_failures WHERE key = $1 AND at < $2", key, micros(since))).await?;
            c.execute(&q!("INSERT INTO login_failures (key, at) VALUES ($1, $2)", key, micros(at))).await?;
        }
        tx.commit().await
    }

    async fn login_failures(&self, keys: &[String], since: DateTime<Utc>) -> StoreResult<Vec<u64>> {
        let mut r = self.pools.reader().await?;
        let mut c = r.conn();
        let mut counts = Vec::with_capacity(keys.len());
        for key in keys {
            let (n,): (i64,) = c
                .fetch_one(&q!("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2", key, micros(since)))
                .await?;
            counts.push(n.max(0) as u64);
        }
        Ok(counts)
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let mut tx = self.pools.begin().await?;
        tx.conn().execute(&q!("DELETE FROM login_failures WHERE key = $1", key)).await?;
        tx.commit().await
    }
}
