use crate::config::Config;
use crate::demo::DemoSize;
use anyhow::Context;
use quarterdeck_app::App;
use quarterdeck_web::{AppState, router};
use tokio::net::TcpListener;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Load the demo organisation first when the database is empty.
    #[arg(long, value_name = "SIZE", num_args = 0..=1, default_missing_value = "small")]
    demo: Option<DemoSize>,
    /// Do not run scheduled work (data-source pulls) in this process; run `quarterdeck jobs`
    /// elsewhere instead.
    #[arg(long)]
    no_jobs: bool,
}

pub async fn run(cmd: Cmd, mut config: Config) -> anyhow::Result<()> {
    if let Some(bind) = cmd.bind {
        config.bind = bind;
    }
    super::init_logging(&config.log);
    let store = super::open(&config).await?;
    if let Some(size) = cmd.demo {
        if store.is_empty().await? {
            super::demo::load(&store, size).await?;
        } else {
            tracing::info!("the database already holds an organisation; --demo left it as it is");
        }
    }
    let listener = TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot listen on {} (is another server running there? use --bind)", config.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(backend = store.backend(), db = %config.db_url()?.display(), "serving on http://{addr}");
    eprintln!("Quarterdeck is running at http://{addr}  (API: http://{addr}/api/v1/objectives?cycle=current)");
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let app = App::new(store);
    let scheduler = app.acting_as(quarterdeck_domain::actor::Actor::Job { name: "scheduler".into() });
    let jobs = (!cmd.no_jobs).then(|| quarterdeck_jobs::spawn(scheduler, JOBS_EVERY, jobs_stopped));
    axum::serve(listener, router(AppState::new(app)))
        .with_graceful_shutdown(shutdown())
        .await
        .context("the HTTP server stopped")?;
    let _ = stop_jobs.send(true);
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often the scheduler looks for due work.
pub const JOBS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
