//! The command line: one module per verb, each with `struct Cmd` and `fn run`.

mod accounts;
mod check_in;
mod cycles;
mod demo;
mod jobs;
mod kpi;
mod lint;
mod migrate;
mod okrs;
mod output;
mod serve;
mod settings;

use crate::config::Config;
use anyhow::Context;
use clap::{Parser, Subcommand};
use quarterdeck_app::App;
use quarterdeck_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// Quarterdeck: OKRs and KPIs, wired together.
///
/// Settings come from defaults, then `quarterdeck.toml`, then QUARTERDECK_DB /
/// QUARTERDECK_BIND / QUARTERDECK_LOG, then these flags.
#[derive(Debug, Parser)]
#[command(name = "quarterdeck", version, propagate_version = true)]
pub struct Args {
    /// Database: an SQLite file path (default quarterdeck.db) or a postgres:// URL.
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// Settings file (default: ./quarterdeck.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app and JSON API.
    Serve(serve::Cmd),
    /// Load a demo organisation (small: 60 people; large: 10,000 people).
    Demo(demo::Cmd),
    /// Create or upgrade the database schema (serve does this on start too).
    Migrate(migrate::Cmd),
    /// List, create, activate and close cycles.
    #[command(subcommand)]
    Cycles(cycles::Cmd),
    /// Show a team's (or anyone's) objectives and key results with scores.
    Okrs(okrs::Cmd),
    /// Record a check-in on a key result: value, confidence and the next move.
    CheckIn(check_in::Cmd),
    /// Run scheduled work (data-source pulls) without the web server.
    Jobs(jobs::Cmd),
    /// KPIs: import measurements from CSV, list, show.
    #[command(subcommand)]
    Kpi(kpi::Cmd),
    /// What the coach finds in a cycle's OKRs: the method's quality rules (exits 1 on errors).
    Lint(lint::Cmd),
    /// Show or change the organisation's settings (its time zone).
    Settings(settings::Cmd),
    /// Users who sign in: add (the first admin too), list, change role, deactivate.
    #[command(subcommand)]
    User(accounts::UserCmd),
    /// API tokens for scripts and integrations: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(accounts::TokenCmd),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(db) = args.db {
        config.db = db;
    }
    match args.command {
        Command::Serve(cmd) => serve::run(cmd, config).await,
        Command::Demo(cmd) => demo::run(cmd, &config).await,
        Command::Migrate(cmd) => migrate::run(cmd, &config).await,
        Command::Cycles(cmd) => cycles::run(cmd, &app(&config).await?).await,
        Command::Okrs(cmd) => okrs::run(cmd, &app(&config).await?).await,
        Command::CheckIn(cmd) => check_in::run(cmd, &app(&config).await?).await,
        Command::Jobs(cmd) => jobs::run(cmd, &config).await,
        Command::Kpi(cmd) => kpi::run(cmd, &app(&config).await?).await,
        Command::Lint(cmd) => lint::run(cmd, &app(&config).await?).await,
        Command::Settings(cmd) => settings::run(cmd, &app(&config).await?).await,
        Command::User(cmd) => accounts::run_user(cmd, &app(&config).await?).await,
        Command::Token(cmd) => accounts::run_token(cmd, &app(&config).await?).await,
    }
}

/// Opens (and migrates) the configured database.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.db_url()?;
    quarterdeck_store_sql::open(&url).await.with_context(|| format!("opening the database {}", url.display()))
}

/// The application over the configured database: what every verb calls.
pub async fn app(config: &Config) -> anyhow::Result<App> {
    Ok(App::open(open(config).await?).await?.with_source_reach(config.source_reach()).acting_as(cli_actor()))
}

/// The command line acts as the operating-system user who runs it.
pub fn cli_actor() -> quarterdeck_domain::actor::Actor {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok().filter(|u| !u.is_empty());
    quarterdeck_domain::actor::Actor::Cli { user }
}

/// Logs go to stderr so `--json` output on stdout stays clean.
pub fn init_logging(filter: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .try_init();
}
