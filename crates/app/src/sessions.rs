//! Browser sessions: signing in with a password (throttled per account and per address),
//! the cookie's secret and its CSRF token, idle and absolute expiry, signing out, and ending
//! every session of a user.

use crate::accounts::{UserView, random_text, token_hash};
use crate::{App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use quarterdeck_domain::access::Rights;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{SessionId, UserId};
use quarterdeck_store::accounts::{NewSession, User};
use serde::Serialize;

/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// …and after this long whatever happens.
pub const SESSION_LIFETIME: Duration = Duration::days(7);
/// Failed sign-ins are counted over this window…
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// …and past this many for one account, or this many from one address, refused until the
/// window has passed.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u64 = 30;
/// Activity is recorded at most this often (a request does not write each time).
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Session secrets start with this (a leaked one is recognisable).
const SESSION_PREFIX: &str = "qds_";

/// A sign-in: the user, and what the browser keeps.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedIn {
    pub user: UserView,
    /// Send it back as `X-CSRF-Token` with every change made with this session.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    /// The cookie's secret (the front end sets it as an HttpOnly cookie; never in a body).
    #[serde(skip)]
    pub secret: String,
}

/// What a session cookie turned out to be.
pub struct SessionCaller {
    pub app: App,
    pub id: SessionId,
    pub csrf: String,
}

fn keys(email: &str, address: &str) -> [String; 2] {
    [format!("email:{}", email.trim().to_lowercase()), format!("addr:{address}")]
}

impl App {
    /// Signs a user in by e-mail and password from this address, or says why not. Failures
    /// count against the account and the address; past the limit, even the right password
    /// waits for the window to pass (so a guesser cannot tell it was right).
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> AppResult<SignedIn> {
        let user = self.check_password_throttled(email, password, Some(address)).await?;
        self.open_session(&user).await
    }

    /// Checks a password, counting failures against the account (and the address, when
    /// known); past the limit, refused whatever the password.
    pub(crate) async fn check_password_throttled(
        &self,
        email: &str,
        password: &str,
        address: Option<&str>,
    ) -> AppResult<User> {
        let now = self.now();
        let since = now - THROTTLE_WINDOW;
        let [account, from] = keys(email, address.unwrap_or_default());
        let keys = if address.is_some() { vec![account, from] } else { vec![account] };
        let counts = self.store().login_failures(&keys, since).await?;
        let limits = [MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS];
        if counts.iter().zip(limits).any(|(n, max)| *n >= max) {
            return Err(AppError::new(
                Code::TooManyAttempts,
                format!(
                    "too many failed sign-ins; wait {} minutes and try again, or ask an admin to set a new password",
                    THROTTLE_WINDOW.num_minutes()
                ),
            ));
        }
        match self.check_password(email, password).await {
            Ok(user) => {
                self.store().clear_login_failures(&keys[0]).await?;
                Ok(user)
            }
            Err(e) => {
                if e.code == Code::InvalidCredentials {
                    self.store().record_login_failure(&keys, now, since).await?;
                }
                Err(e)
            }
        }
    }

    /// Opens a session for a user who has proven who they are (a password, single sign-on).
    pub async fn open_session(&self, user: &User) -> AppResult<SignedIn> {
        let secret = format!("{SESSION_PREFIX}{}", random_text(32));
        let csrf_token = random_text(24);
        let expires_at = self.now() + SESSION_LIFETIME;
        let new = NewSession { user_id: user.id, hash: token_hash(&secret), csrf: csrf_token.clone(), expires_at };
        let by = quarterdeck_domain::actor::Actor::User { id: user.id, name: user.name.clone() };
        self.store().create_session(&self.ctx().by(by), new).await?;
        Ok(SignedIn { user: user.clone().into(), csrf_token, expires_at, secret })
    }

    /// The application acting as the user of this session cookie, or why not.
    pub async fn with_session(&self, secret: &str) -> AppResult<SessionCaller> {
        let expired = || AppError::new(Code::Unauthenticated, "your session has ended; sign in again");
        let Some(owner) = self.store().session_owner(&token_hash(secret.trim())).await? else {
            return Err(expired());
        };
        let now = self.now();
        let s = &owner.session;
        if s.revoked_at.is_some() || s.expires_at <= now || s.last_seen_at + SESSION_IDLE <= now {
            return Err(expired());
        }
        if now - s.last_seen_at >= TOUCH_EVERY {
            self.store().touch_session(s.id, now).await?;
        }
        let app = self.as_user(&owner.user).await?;
        Ok(SessionCaller { app, id: s.id, csrf: s.csrf.clone() })
    }

    /// Ends this session (sign-out).
    pub async fn sign_out(&self, session: SessionId) -> AppResult<()> {
        let user = self.user_id().ok_or_else(|| AppError::new(Code::Unauthenticated, "nobody is signed in"))?;
        self.store().revoke_sessions(&self.ctx(), user, Some(session)).await?;
        Ok(())
    }

    /// Ends every session of a user (their own, or anyone's for an admin): a lost laptop, a
    /// password changed. API tokens are revoked one by one.
    pub async fn end_sessions(&self, user: UserId) -> AppResult<u64> {
        if self.user_id() != Some(user) {
            self.may_administer()?;
        }
        self.store().get_user(user).await?;
        Ok(self.store().revoke_sessions(&self.ctx(), user, None).await?)
    }

    /// Whether this application acts through a signed-in user with no token (a session).
    pub fn is_session(&self) -> bool {
        matches!(&self.rights, Rights::User { token: None, .. })
    }
}

/// How single sign-on maps people to users (the operator's settings).
#[derive(Debug, Clone, PartialEq)]
pub struct SsoPolicy {
    /// Whether a person the provider vouches for but who has no user yet gets one.
    pub create_users: bool,
    /// The role of such a user when no group maps to one.
    pub default_role: quarterdeck_domain::access::Role,
    /// Groups of the provider's groups claim and the roles they give; when set, a user's
    /// role follows their groups at every sign-in.
    pub group_roles: Vec<(String, quarterdeck_domain::access::Role)>,
}

/// Who an identity provider says signed in.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalIdentity {
    pub email: String,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl App {
    /// Signs in a person an identity provider vouched for: their user by e-mail address
    /// (made on first sign-in when the policy says so), their role kept in step with their
    /// groups when groups are mapped.
    pub async fn sign_in_external(&self, who: ExternalIdentity, policy: &SsoPolicy) -> AppResult<SignedIn> {
        use quarterdeck_domain::access::role_from_groups;
        let sso = self.acting_as(quarterdeck_domain::actor::Actor::Job { name: "single-sign-on".into() });
        let user = match self.store().credentials(&who.email).await? {
            Some((user, _)) => user,
            None if policy.create_users => {
                let role = role_from_groups(&who.groups, &policy.group_roles, policy.default_role);
                let name =
                    who.name.clone().unwrap_or_else(|| who.email.split('@').next().unwrap_or_default().to_owned());
                let input =
                    crate::accounts::AddUser { email: who.email.clone(), name, role, person_id: None, password: None };
                let id = sso.add_user(input).await?.id;
                self.store().get_user(id).await?
            }
            None => {
                return Err(AppError::new(
                    Code::Forbidden,
                    format!("{} has no Quarterdeck user; ask an admin to add one", who.email),
                ));
            }
        };
        if !user.active {
            return Err(AppError::new(Code::AccountInactive, "this user is deactivated; ask an admin"));
        }
        let user = match role_from_groups(&who.groups, &policy.group_roles, user.role) {
            role if !policy.group_roles.is_empty() && role != user.role => {
                let patch = quarterdeck_store::accounts::UserPatch { role: Some(role), ..Default::default() };
                self.store().update_user(&sso.ctx(), user.id, user.version, patch).await?
            }
            _ => user,
        };
        self.open_session(&user).await
    }
}

/// The first admin, made through the one-time code a fresh server prints.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetUp {
    /// The code `quarterdeck serve` printed on an empty database.
    pub code: String,
    pub email: String,
    pub name: String,
    /// At least 10 characters.
    pub password: String,
}

/// The first admin, and an API token of theirs (shown once).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetUpDone {
    pub user: UserView,
    pub token: crate::accounts::CreatedToken,
}

impl App {
    /// Makes the first admin when nobody can sign in yet, given the code this server printed;
    /// refused once anyone can (the code is then worthless).
    pub async fn set_up(&self, expected: &str, input: SetUp) -> AppResult<SetUpDone> {
        let same = crate::accounts::same_secret(input.code.trim().as_bytes(), expected.as_bytes());
        if !same {
            return Err(AppError::new(Code::InvalidCredentials, "this is not the set-up code the server printed")
                .with_field("code"));
        }
        if self.has_users().await? {
            return Err(AppError::new(
                Code::Duplicate,
                "this server is already set up; sign in, or ask an admin for an account",
            ));
        }
        let setup =
            self.acting_as(quarterdeck_domain::actor::Actor::Job { name: "setup".into() }).with_rights(Rights::System);
        let input = crate::accounts::AddUser {
            email: input.email,
            name: input.name,
            role: quarterdeck_domain::access::Role::Admin,
            person_id: None,
            password: Some(input.password),
        };
        let user = setup.add_user(input).await?;
        let token = crate::accounts::CreateToken {
            name: "setup".into(),
            scopes: vec!["admin".into()],
            kpis: Vec::new(),
            expires_in_days: None,
            user: Some(user.id.to_string()),
        };
        let token = setup.create_token(token).await?;
        Ok(SetUpDone { user, token })
    }
}

/// A fresh one-time set-up code (128 random bits).
pub fn setup_code() -> String {
    random_text(16)
}
