//! `quarterdeck lint`: the coach's findings for a cycle, for people and for CI.

use super::output::{json, print};
use quarterdeck_app::App;
use quarterdeck_app::coach::Scope;
use quarterdeck_domain::coach::Severity;
use std::fmt::Write;

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
    /// Show findings of this severity and above: error, warning or info.
    #[arg(long, default_value = "warning", value_parser = super::output::word::<Severity>)]
    min_severity: Severity,
    /// Print the API's JSON (every finding) instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let unit = app.resolve_unit_id("--team", cmd.team.as_deref()).await?;
    let review = app.review(&cmd.cycle, Scope { unit, objective: None }).await?;
    if cmd.json {
        json(&*review)?;
    } else {
        let t = review.tally;
        let mut out =
            format!("{}: {} error(s), {} warning(s), {} note(s)\n", review.cycle_name, t.errors, t.warnings, t.infos);
        // Severities order error < warning < info: keep what is at least as severe.
        let shown: Vec<_> = review.findings.iter().filter(|f| f.severity <= cmd.min_severity).collect();
        for f in &shown {
            let _ = write!(
                out,
                "\n{:<8}{:<22}{} \"{}\" ({})\n        {}\n        fix: {}\n",
                f.severity.as_str(),
                f.rule.as_str(),
                f.subject.kind.as_str().replace('_', " "),
                f.subject.title,
                f.subject.id,
                f.message,
                f.fix
            );
        }
        let hidden = review.findings.len() - shown.len();
        if hidden > 0 {
            let _ = write!(
                out,
                "\n{hidden} finding(s) below {} not shown (--min-severity info shows them)\n",
                cmd.min_severity
            );
        }
        print(&out)?;
    }
    if review.has_errors() {
        anyhow::bail!(
            "{} error(s) in {}: fix them, or switch the rule off in the coach policy (PUT /api/v1/coach/policy)",
            review.tally.errors,
            review.cycle_name
        );
    }
    Ok(())
}
