//! Settings, layered: defaults in code → `quarterdeck.toml` → `QUARTERDECK_*` environment →
//! command-line flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use quarterdeck_store_sql::DbUrl;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
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
            ]))
            .extract()
            .with_context(|| format!("reading settings ({} and QUARTERDECK_* variables)", path.display()))
    }

    /// The configured host names, one per entry.
    pub fn allowed_hosts(&self) -> Vec<String> {
        list(&self.allowed_hosts)
    }

    /// Which hosts HTTP data sources may reach.
    pub fn source_reach(&self) -> quarterdeck_app::sources::Reach {
        quarterdeck_app::sources::Reach::allowing(list(&self.source_allowed_hosts))
    }

    pub fn db_url(&self) -> anyhow::Result<DbUrl> {
        DbUrl::parse(&self.db).map_err(anyhow::Error::msg)
    }
}

/// A comma-separated setting, one entry per item.
fn list(setting: &str) -> Vec<String> {
    setting.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect()
}
