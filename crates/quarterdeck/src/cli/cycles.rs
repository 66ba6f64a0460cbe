use super::output::{json, word};
use anyhow::{Context, bail};
use chrono::NaiveDate;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::CycleId;
use quarterdeck_domain::text::Title;
use quarterdeck_store::input::{CycleFilter, NewCycle};
use quarterdeck_store::records::Cycle;
use quarterdeck_store::{PageRequest, Store};
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// List cycles, newest first.
    List {
        /// planning, active or closed.
        #[arg(long, value_parser = word::<CycleState>)]
        state: Option<CycleState>,
        #[arg(long)]
        json: bool,
    },
    /// Show the cycle that holds today.
    Current {
        #[arg(long)]
        json: bool,
    },
    /// Create a cycle (a quarter by default).
    Create {
        /// quarter, six_weeks, half_year or custom.
        #[arg(long, default_value = "quarter", value_parser = word::<CycleKind>)]
        kind: CycleKind,
        /// First day (YYYY-MM-DD); default: the first day of this quarter.
        #[arg(long)]
        start: Option<NaiveDate>,
        /// Last day, inclusive; required for a custom cycle.
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Default: 2026-Q4, 2026-H2 or the date range.
        #[arg(long)]
        name: Option<String>,
        /// Start it as active instead of planning.
        #[arg(long)]
        active: bool,
        #[arg(long)]
        json: bool,
    },
    /// Move a cycle from planning to active.
    Activate {
        /// Cycle id or `current`.
        cycle: String,
    },
    /// Close (grade) a cycle: its OKRs become read-only.
    Close {
        /// Cycle id or `current`.
        cycle: String,
    },
}

pub async fn run(cmd: Cmd, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    match cmd {
        Cmd::List { state, json: as_json } => {
            let mut all = Vec::new();
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let got = store.list_cycles(CycleFilter { state, on: None }, page.clone()).await?;
                all.extend(got.items);
                match got.next_cursor {
                    Some(c) => page = PageRequest::parse(Some(PageRequest::MAX_LIMIT), Some(&c))?,
                    None => break,
                }
            }
            if as_json {
                return json(&all);
            }
            if all.is_empty() {
                println!("No cycles yet. Create one with: quarterdeck cycles create --active");
            }
            for c in &all {
                print_cycle(c, today);
            }
        }
        Cmd::Current { json: as_json } => {
            let Some(c) = store.current_cycle(today).await? else {
                bail!("no cycle holds today ({today}); create one with: quarterdeck cycles create --active");
            };
            if as_json {
                return json(&c);
            }
            print_cycle(&c, today);
        }
        Cmd::Create { kind, start, end, name, active, json: as_json } => {
            let start = start.unwrap_or_else(|| CycleDates::quarter_of(today).start());
            let dates = CycleDates::for_kind(kind, start, end)?;
            let name = Title::parse("name", &name.unwrap_or_else(|| dates.default_name(kind)))?;
            let state = if active { CycleState::Active } else { CycleState::Planning };
            let c = store.create_cycle(NewCycle { name, kind, dates, state }).await?;
            if as_json {
                return json(&c);
            }
            print_cycle(&c, today);
        }
        Cmd::Activate { cycle } => {
            let id = resolve(store, &cycle, today).await?;
            print_cycle(&store.set_cycle_state(id, None, CycleState::Active).await?, today);
        }
        Cmd::Close { cycle } => {
            let id = resolve(store, &cycle, today).await?;
            print_cycle(&store.set_cycle_state(id, None, CycleState::Closed).await?, today);
        }
    }
    Ok(())
}

/// A cycle named by id or `current`.
pub async fn resolve(store: &Arc<dyn Store>, raw: &str, today: NaiveDate) -> anyhow::Result<CycleId> {
    if raw == "current" {
        return store.current_cycle(today).await?.map(|c| c.id).with_context(|| {
            format!("no cycle holds today ({today}); create one with: quarterdeck cycles create --active")
        });
    }
    raw.parse().with_context(|| format!("'{raw}' is not a cycle id (or 'current')"))
}

fn print_cycle(c: &Cycle, today: NaiveDate) {
    let elapsed = c.dates().elapsed_share(today) * 100.0;
    println!("{}  {:<14} {:<9} {:<8} {} → {}  ({elapsed:.0} % elapsed)", c.id, c.name, c.kind, c.state, c.start, c.end);
}
