use crate::config::Config;
use crate::demo::{self, DemoSize};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quarterdeck_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// small: one company of ~60 people in 6 teams; large: 10,000 people, ~1,200 teams.
    #[arg(long, value_enum, default_value = "small")]
    size: DemoSize,
    /// Seed of the large organisation (the same seed gives the same organisation).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub async fn run(cmd: Cmd, config: &Config) -> anyhow::Result<()> {
    super::init_logging("warn");
    let store = super::open(config).await?;
    if !store.is_empty().await? {
        bail!(
            "{} already holds an organisation; the demo loads into an empty database (use --db demo.db for a fresh file)",
            config.db_url()?.display()
        );
    }
    load_seeded(&store, cmd.size, cmd.seed).await?;
    println!("Start the server with: quarterdeck serve --db {}", config.db);
    Ok(())
}

pub async fn load(store: &Arc<dyn Store>, size: DemoSize) -> anyhow::Result<()> {
    load_seeded(store, size, 42).await
}

async fn load_seeded(store: &Arc<dyn Store>, size: DemoSize, seed: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let bar = ProgressBar::new_spinner().with_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")?);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(format!("generating the {size} demo organisation"));
    // The demo is an import: its records' trail says so.
    let app = quarterdeck_app::App::open(store.clone()).await?.acting_as(quarterdeck_domain::actor::Actor::Import);
    let today = app.today();
    let plan = match size {
        DemoSize::Small => demo::small(today),
        DemoSize::Large => demo::large(today, seed),
    };
    bar.set_message(format!("writing {} records in one transaction", plan.record_count()));
    let counts = app.apply_plan(plan).await.context("loading the demo organisation")?;
    bar.finish_and_clear();
    let organisation = started.elapsed();
    let kpi_bar =
        ProgressBar::new(0).with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} KPIs  {msg} [{elapsed}]")?);
    let points = match size {
        DemoSize::Small => demo::kpis::small(&app, today, &kpi_bar).await,
        DemoSize::Large => demo::kpis::large(&app, today, seed, &kpi_bar).await,
    }
    .context("loading the demo KPIs")?;
    kpi_bar.finish_and_clear();
    eprintln!(
        "Loaded the {size} demo in {:.1} s (the organisation {:.1} s, the KPIs and their points {:.1} s): {} units, {} people, {} cycles, {} objectives, {} key results, {} check-ins, {} alignments, {} initiatives, {points} KPI measurements",
        started.elapsed().as_secs_f64(),
        organisation.as_secs_f64(),
        (started.elapsed() - organisation).as_secs_f64(),
        counts.units,
        counts.people,
        counts.cycles,
        counts.objectives,
        counts.key_results,
        counts.check_ins,
        counts.alignments,
        counts.initiatives
    );
    add_users(&app).await
}

/// One user of each role, each the first person of a unit of the matching level (the
/// viewer is no one's), with a fresh random password, printed once.
pub async fn add_users(app: &quarterdeck_app::App) -> anyhow::Result<()> {
    use quarterdeck_domain::UnitKind;
    use quarterdeck_domain::access::Role;
    use quarterdeck_store::PageRequest;
    let person_in = async |kind: UnitKind| -> anyhow::Result<Option<quarterdeck_app::views::PersonView>> {
        let Some(unit) = app.list_units(None, Some(kind), PageRequest::first(1)).await?.items.pop() else {
            return Ok(None);
        };
        Ok(app.list_people(Some(&unit.slug), None, PageRequest::first(1)).await?.items.pop())
    };
    eprintln!("Sign in as (passwords shown once):");
    let mut admin_token = None;
    for (role, kind) in [
        (Role::Admin, Some(UnitKind::Company)),
        (Role::Lead, Some(UnitKind::Department)),
        (Role::Member, Some(UnitKind::Team)),
        (Role::Viewer, None),
    ] {
        let person = match kind {
            Some(k) => person_in(k).await?,
            None => None,
        };
        let (email, name) = match &person {
            Some(p) => (p.email.clone(), p.name.clone()),
            None => (format!("{role}@demo.example"), format!("Demo {role}")),
        };
        let password = quarterdeck_app::accounts::random_password();
        let input = quarterdeck_app::accounts::AddUser {
            email: email.clone(),
            name,
            role,
            person_id: person.map(|p| p.id),
            password: Some(password.clone()),
        };
        let user = app.add_user(input).await.with_context(|| format!("adding the demo {role}"))?;
        eprintln!("  {:<7} {email}  {password}", role.as_str());
        if role == Role::Admin {
            let token = quarterdeck_app::accounts::CreateToken {
                name: "demo".into(),
                scopes: vec!["admin".into()],
                kpis: Vec::new(),
                expires_in_days: None,
                user: Some(user.id.to_string()),
            };
            admin_token = Some(app.create_token(token).await?.secret);
        }
    }
    if let Some(token) = admin_token {
        eprintln!("API token of the admin (shown once): {token}");
        eprintln!(
            "  try: curl -H 'Authorization: Bearer {token}' '<the server's address>/api/v1/objectives?cycle=current'"
        );
    }
    Ok(())
}
