use crate::config::Config;
use crate::demo::DemoSize;
use anyhow::Context;
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
    axum::serve(listener, router(AppState::new(store)))
        .with_graceful_shutdown(shutdown())
        .await
        .context("the HTTP server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
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
