//! `quarterdeck lint`: the coach's findings for a cycle, for people and for CI.

use super::output::json;
use quarterdeck_app::App;
use quarterdeck_app::coach::Scope;
use quarterdeck_domain::coach::Severity;

#[derive(Debug, clap::Args)]
#[command(after_help = "Exits 1 when any finding is an error (so a CI job can gate on it), 0 otherwise. \
    Rules, severities and the policy presets: docs/coach.md.")]
pub struct Cmd {
    /// Cycle id or `current`.
    #[arg(long, default_value = "current")]
    cycle: String,
    /// Only this team's (or any unit's) objectives: slug or id.
    #[arg(long, alias = "unit")]
    team: Option<String>,
    /// Show findings of this severity and above.
    #[arg(long, default_value = "info", value_parser = super::output::word::<Severity>)]
    min_severity: Severity,
    /// Print the API's JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let unit = app.resolve_unit_id("--team", cmd.team.as_deref()).await?;
    let mut review = app.review(&cmd.cycle, Scope { unit, objective: None }).await?;
    // Severity words order error < warning < info; keep what is at least as severe.
    review.findings.retain(|f| f.severity <= cmd.min_severity);
    if cmd.json {
        json(&review)?;
    } else {
        let t = review.tally;
        println!("{}: {} error(s), {} warning(s), {} note(s)", review.cycle_name, t.errors, t.warnings, t.infos);
        for f in &review.findings {
            println!();
            println!("{:<7} {:<22} {} \"{}\" ({})", f.severity, f.rule, f.subject.kind, f.subject.title, f.subject.id);
            println!("        {}", f.message);
            println!("        fix: {}", f.fix);
        }
    }
    if review.has_errors() {
        anyhow::bail!(
            "{} error(s) in {}: fix them, or switch a rule off in the coach policy (PUT /api/v1/coach/policy)",
            review.tally.errors,
            review.cycle_name
        );
    }
    Ok(())
}
