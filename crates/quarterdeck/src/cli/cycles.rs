use super::output::{json, word};
use chrono::NaiveDate;
use quarterdeck_app::cycles::CreateCycle;
use quarterdeck_app::views::CycleView as Cycle;
use quarterdeck_app::{App, all_pages};
use quarterdeck_domain::cycle::{CycleKind, CycleState};

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

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let today = app.today();
    match cmd {
        Cmd::List { state, json: as_json } => {
            let all = all_pages(|page| app.list_cycles(state, None, page)).await?;
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
            let c = app.get_cycle("current").await?;
            if as_json {
                return json(&c);
            }
            print_cycle(&c, today);
        }
        Cmd::Create { kind, start, end, name, active, json: as_json } => {
            let state = if active { CycleState::Active } else { CycleState::Planning };
            let c = app.create_cycle(CreateCycle { name, kind, start, end, state }).await?;
            if as_json {
                return json(&c);
            }
            print_cycle(&c, today);
        }
        Cmd::Activate { cycle } => print_cycle(&app.move_cycle(&cycle, None, CycleState::Active).await?, today),
        Cmd::Close { cycle } => print_cycle(&app.move_cycle(&cycle, None, CycleState::Closed).await?, today),
    }
    Ok(())
}

fn print_cycle(c: &Cycle, today: NaiveDate) {
    let elapsed = c.dates().elapsed_share(today) * 100.0;
    println!("{}  {:<14} {:<9} {:<8} {} → {}  ({elapsed:.0} % elapsed)", c.id, c.name, c.kind, c.state, c.start, c.end);
}
