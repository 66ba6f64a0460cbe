use super::output::{colour, json, number, score_bar, word};
use chrono::{DateTime, Utc};
use quarterdeck_app::App;
use quarterdeck_app::key_results::RecordCheckIn;
use quarterdeck_domain::ids::{KeyResultId, PersonId};
use quarterdeck_domain::okr::Confidence;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// The key result's id (see `quarterdeck okrs`).
    key_result: KeyResultId,
    /// The current value (decimals welcome: 4.3). Leave it out on a key result measured
    /// from a KPI: the KPI's current value is used.
    #[arg(long, allow_negative_numbers = true)]
    value: Option<f64>,
    /// on_track, at_risk or off_track.
    #[arg(long, value_parser = word::<Confidence>)]
    confidence: Confidence,
    /// One sentence on the next move.
    #[arg(long, default_value = "")]
    note: String,
    /// Who checks in (person id).
    #[arg(long)]
    author: Option<PersonId>,
    /// When the value was true (RFC 3339); default now.
    #[arg(long)]
    at: Option<DateTime<Utc>>,
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let input = RecordCheckIn {
        value: cmd.value,
        confidence: cmd.confidence,
        note: cmd.note,
        author_id: cmd.author,
        at: cmd.at,
    };
    let recorded = app.record_check_in(cmd.key_result, input).await?;
    if cmd.json {
        return json(&recorded);
    }
    let view = &recorded.key_result;
    let kr = view;
    let objective = app.get_objective(kr.objective_id).await?;
    println!(
        "Checked in {} on '{}' ({} → {}): {} {}, {}",
        number(recorded.check_in.value),
        kr.title,
        number(kr.baseline),
        number(kr.target),
        score_bar(kr.score),
        colour(view.colour),
        view.pace
    );
    println!("Objective '{}' now {}", objective.title, score_bar(objective.score));
    Ok(())
}
