use super::output::json;
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// Run what is due once, print what was done, and exit.
    #[arg(long)]
    once: bool,
}

/// Runs scheduled work (data-source pulls, delivering the outbox's events) without the HTTP server, for deployments that
/// separate the two. Several of these may run against one PostgreSQL: each pull runs once.
pub async fn run(cmd: Cmd, config: &Config) -> anyhow::Result<()> {
    super::init_logging(&config.log);
    let app =
        super::app(config).await?.acting_as(quarterdeck_domain::actor::Actor::Job { name: "data_sources".into() });
    if cmd.once {
        return json(&app.run_due_sources().await?);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = quarterdeck_jobs::spawn(app, super::serve::JOBS_EVERY, stopped);
    eprintln!("Running scheduled work every {} s; Ctrl-C stops.", super::serve::JOBS_EVERY.as_secs());
    super::serve::shutdown().await;
    let _ = stop.send(true);
    handle.await?;
    Ok(())
}
