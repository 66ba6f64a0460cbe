//! Settings, layered: defaults in code → `quarterdeck.toml` → `QUARTERDECK_*` environment →
//! command-line flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use quarterdeck_store_sql::DbUrl;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite file path or postgres:// URL.
    pub db: String,
    /// Address `serve` listens on.
    pub bind: String,
    /// Log filter (`info`, `debug`, `quarterdeck=debug,sqlx=warn` …).
    pub log: String,
    /// Host names requests may be addressed to, comma-separated, beyond the loopback names
    /// and the bound address (`okr.example.com`; `*` for any, behind a proxy that checks).
    pub allowed_hosts: String,
    /// Internal hosts HTTP data sources may reach, comma-separated (by default they reach
    /// public addresses only).
    pub source_allowed_hosts: String,
    /// Whether requests without credentials may read everything (a wall display on a
    /// trusted network). They never write.
    pub anonymous_read: bool,
    /// Reverse proxies (IP addresses, comma-separated) whose `X-Forwarded-For` names the client,
    /// for throttling sign-ins by address; loopback is always trusted.
    pub trusted_proxies: String,
    /// Single sign-on: the OpenID Connect issuer URL (empty: off).
    pub oidc_issuer: String,
    pub oidc_client_id: String,
    /// The client secret (set it in the environment, not in a file others read).
    pub oidc_client_secret: String,
    /// This server's callback as browsers reach it (`https://okr.example.com/auth/oidc/callback`).
    pub oidc_redirect_url: String,
    /// Whether a person the provider vouches for gets a user on first sign-in.
    pub oidc_create_users: bool,
    /// The role of such a user when no group maps to one.
    pub oidc_default_role: String,
    /// The user-info claim that lists a person's groups.
    pub oidc_groups_claim: String,
    /// Groups and the roles they give: `okr-admins=admin,team-leads=lead`.
    pub oidc_group_roles: String,
}

/// Printed without its secrets: the database URL masked, the client secret left out.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("db", &quarterdeck_redact::mask_url(&self.db))
            .field("bind", &self.bind)
            .field("log", &self.log)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("source_allowed_hosts", &self.source_allowed_hosts)
            .field("anonymous_read", &self.anonymous_read)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field("oidc_client_secret", &if self.oidc_client_secret.is_empty() { "" } else { "***" })
            .field("oidc_redirect_url", &self.oidc_redirect_url)
            .field("oidc_create_users", &self.oidc_create_users)
            .field("oidc_default_role", &self.oidc_default_role)
            .field("oidc_groups_claim", &self.oidc_groups_claim)
            .field("oidc_group_roles", &self.oidc_group_roles)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: "quarterdeck.db".into(),
            bind: "127.0.0.1:8080".into(),
            log: "info".into(),
            allowed_hosts: String::new(),
            source_allowed_hosts: String::new(),
            anonymous_read: false,
            trusted_proxies: String::new(),
            oidc_issuer: String::new(),
            oidc_client_id: String::new(),
            oidc_client_secret: String::new(),
            oidc_redirect_url: String::new(),
            oidc_create_users: false,
            oidc_default_role: "member".into(),
            oidc_groups_claim: "groups".into(),
            oidc_group_roles: String::new(),
        }
    }
}

impl Config {
    /// Loads the layers below the flags. A named config file must exist; the default
    /// `quarterdeck.toml` is optional.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let (path, required) = match file {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("quarterdeck.toml"), false),
        };
        if required && !path.exists() {
            anyhow::bail!("config file {} does not exist", path.display());
        }
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("QUARTERDECK_").only(&[
                "db",
                "bind",
                "log",
                "allowed_hosts",
                "source_allowed_hosts",
                "anonymous_read",
                "trusted_proxies",
                "oidc_issuer",
                "oidc_client_id",
                "oidc_client_secret",
                "oidc_redirect_url",
                "oidc_create_users",
                "oidc_default_role",
                "oidc_groups_claim",
                "oidc_group_roles",
            ]))
            .extract()
            .with_context(|| format!("reading settings ({} and QUARTERDECK_* variables)", path.display()))
    }

    /// The configured host names, one per entry.
    pub fn allowed_hosts(&self) -> Vec<String> {
        list(&self.allowed_hosts)
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> anyhow::Result<quarterdeck_web::edge::TrustedProxies> {
        quarterdeck_web::edge::TrustedProxies::parse(&list(&self.trusted_proxies)).map_err(anyhow::Error::msg)
    }

    /// Which hosts HTTP data sources may reach.
    pub fn source_reach(&self) -> quarterdeck_app::sources::Reach {
        quarterdeck_app::sources::Reach::allowing(list(&self.source_allowed_hosts))
    }

    /// Single sign-on, when an issuer is set; a setting that cannot be read says which.
    pub fn oidc(&self, bound: std::net::SocketAddr) -> anyhow::Result<Option<quarterdeck_web::oidc::OidcSettings>> {
        if self.oidc_issuer.trim().is_empty() {
            return Ok(None);
        }
        if self.oidc_client_id.trim().is_empty() {
            anyhow::bail!("oidc_issuer is set but oidc_client_id is not (QUARTERDECK_OIDC_CLIENT_ID)");
        }
        let default_role =
            self.oidc_default_role.parse().map_err(|e: String| anyhow::anyhow!("oidc_default_role: {e}"))?;
        let group_roles = quarterdeck_domain::access::parse_group_roles(&self.oidc_group_roles)
            .map_err(|e| anyhow::anyhow!("oidc_group_roles: {e}"))?;
        let redirect_url = match self.oidc_redirect_url.trim() {
            "" => format!("http://{bound}/auth/oidc/callback"),
            url => url.to_owned(),
        };
        Ok(Some(quarterdeck_web::oidc::OidcSettings {
            issuer: self.oidc_issuer.trim().to_owned(),
            client_id: self.oidc_client_id.trim().to_owned(),
            client_secret: Some(self.oidc_client_secret.clone()).filter(|s| !s.is_empty()),
            redirect_url,
            groups_claim: self.oidc_groups_claim.clone(),
            policy: quarterdeck_app::sessions::SsoPolicy {
                create_users: self.oidc_create_users,
                default_role,
                group_roles,
            },
        }))
    }

    pub fn db_url(&self) -> anyhow::Result<DbUrl> {
        DbUrl::parse(&self.db).map_err(anyhow::Error::msg)
    }
}

/// A comma-separated setting, one entry per item.
fn list(setting: &str) -> Vec<String> {
    setting.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_secrets() {
        let c = super::Config {
            db: "postgres://app:s3cr3t-pw@db.internal/q".into(),
            oidc_client_secret: "client-s3cr3t".into(),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-pw") && !shown.contains("client-s3cr3t"), "{shown}");
        assert!(shown.contains("db.internal"));
    }
}
