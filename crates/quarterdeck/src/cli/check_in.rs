use super::output::{colour, json, number, score_bar, word};
use chrono::{DateTime, Utc};
use quarterdeck_domain::ids::{KeyResultId, PersonId};
use quarterdeck_domain::okr::Confidence;
use quarterdeck_domain::scoring::ScoringPolicy;
use quarterdeck_domain::text::Note;
use quarterdeck_store::Store;
use quarterdeck_store::input::NewCheckIn;
use quarterdeck_web::views::KeyResultView;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// The key result's id (see `quarterdeck okrs`).
    key_result: KeyResultId,
    /// The current value (decimals welcome: 4.3).
    #[arg(long, allow_negative_numbers = true)]
    value: f64,
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

pub async fn run(cmd: Cmd, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let new = NewCheckIn {
        value: cmd.value,
        confidence: cmd.confidence,
        note: Note::parse("note", &cmd.note)?,
        author_id: cmd.author,
        at: cmd.at,
    };
    let (check_in, kr) = store.record_check_in(cmd.key_result, new).await?;
    let objective = store.get_objective(kr.objective_id).await?;
    let view = KeyResultView::new(kr, &ScoringPolicy::default(), Utc::now().date_naive());
    if cmd.json {
        return json(&serde_json::json!({ "check_in": check_in, "key_result": view }));
    }
    let kr = &view.key_result;
    println!(
        "Checked in {} on '{}' ({} → {}): {} {}, {}",
        number(check_in.value),
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
