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
    /// A host name requests may be addressed to, besides localhost and the bound address
    /// (repeat for several; `*` for any, only behind a proxy that checks Host itself).
    /// Requests for other hosts get 400: this defeats DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// Load the demo organisation first when the database is empty.
    #[arg(long, value_name = "SIZE", num_args = 0..=1, default_missing_value = "small")]
    demo: Option<DemoSize>,
    /// Let requests without credentials read everything (a wall display on a trusted
    /// network); they never write.
    #[arg(long)]
    anonymous_read: bool,
    /// Do not run scheduled work (data-source pulls, event delivery) in this process; run
    /// `quarterdeck jobs` elsewhere instead.
    #[arg(long)]
    no_jobs: bool,
    /// On SIGTERM or Ctrl-C, how long in-flight requests may take to finish (seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    shutdown_grace: u64,
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
    let stop = shutdown();
    let addr = listener.local_addr()?;
    tracing::info!(backend = store.backend(), db = %config.db_url()?.display(), "serving on http://{addr}");
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let app = App::open(store).await?.with_source_reach(config.source_reach());
    let setup_code = if app.has_users().await? {
        None
    } else {
        let code = quarterdeck_app::sessions::setup_code();
        eprintln!(
            "No one can sign in yet. Make the first admin with this one-time code (it is refused once anyone can): {code}\n  \
             in a browser at http://{addr}/setup, or over HTTP:\n  \
             curl -X POST http://{addr}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
             -d '{{\"code\": \"{code}\", \"email\": \"you@example.com\", \"name\": \"You\", \"password\": \"…\"}}'\n\
             or, on this machine: quarterdeck user add --admin you@example.com"
        );
        Some(std::sync::Arc::<str>::from(code))
    };
    eprintln!(
        "Quarterdeck is running at http://{addr}  (open it in a browser; the API: http://{addr}/api/v1/objectives?cycle=current)"
    );
    let scheduler = app.acting_as(quarterdeck_domain::actor::Actor::Job { name: "scheduler".into() });
    let jobs = (!cmd.no_jobs).then(|| quarterdeck_jobs::spawn(scheduler, JOBS_EVERY, jobs_stopped));
    let limits = quarterdeck_web::serve::Limits {
        shutdown_grace: std::time::Duration::from_secs(cmd.shutdown_grace),
        ..Default::default()
    };
    let mut hosts = config.allowed_hosts();
    hosts.extend(cmd.allowed_hosts);
    let hosts = quarterdeck_web::edge::AllowedHosts::for_server(addr, &hosts);
    tracing::info!(hosts = %hosts.describe(), "answering requests addressed to these hosts");
    let anonymous_read = cmd.anonymous_read || config.anonymous_read;
    if anonymous_read {
        tracing::warn!("anonymous reading is on: anyone who can reach this server reads every OKR and KPI");
    }
    let oidc = match config.oidc(addr)? {
        Some(settings) => {
            let issuer = settings.issuer.clone();
            let oidc = quarterdeck_web::oidc::Oidc::discover(settings).await.map_err(anyhow::Error::msg)?;
            tracing::info!(%issuer, "single sign-on with OpenID Connect: /auth/oidc/login");
            Some(std::sync::Arc::new(oidc))
        }
        None => None,
    };
    let state = AppState {
        hosts: std::sync::Arc::new(hosts),
        anonymous_read,
        oidc,
        setup_code,
        trusted_proxies: std::sync::Arc::new(config.trusted_proxies()?),
        ..AppState::new(app)
    };
    quarterdeck_web::serve::serve(listener, router(state), stop, limits).await;
    let _ = stop_jobs.send(true);
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often the scheduler looks for due work.
pub const JOBS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves on Ctrl-C or SIGTERM. The signal handlers are installed when this is called, not
/// when it is first awaited, so a signal that arrives right after start-up is not missed.
pub fn shutdown() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (term, interrupt) {
                (Ok(mut term), Ok(mut interrupt)) => {
                    tokio::select! { _ = term.recv() => {}, _ = interrupt.recv() => {} }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
