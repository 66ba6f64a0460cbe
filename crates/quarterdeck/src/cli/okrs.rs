use super::output::{colour, json, number, score_bar};
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::{App, all_pages};
use quarterdeck_domain::ids::PersonId;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// The team (or any unit): slug or id.
    #[arg(long, alias = "unit")]
    team: Option<String>,
    /// Only objectives owned by this person (id).
    #[arg(long)]
    owner: Option<PersonId>,
    /// Cycle id or `current`.
    #[arg(long, default_value = "current")]
    cycle: String,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let query = ObjectiveQuery {
        cycle: Some(cmd.cycle.clone()),
        unit: cmd.team.clone(),
        owner: cmd.owner,
        with_key_results: true,
        ..Default::default()
    };
    let views = all_pages(|page| app.list_objectives(query.clone(), page)).await?;
    if cmd.json {
        return json(&views);
    }
    if views.is_empty() {
        println!("No objectives in this cycle{}.", if cmd.team.is_some() { " for this team" } else { "" });
        return Ok(());
    }
    for v in &views {
        let o = v;
        println!(
            "{}  {}  [{}, {}, {} vs {:.2} expected]  {} ({})",
            score_bar(o.score),
            o.title,
            colour(v.colour),
            o.kind,
            v.pace,
            v.expected_progress,
            o.status,
            o.id
        );
        if let Some(r) = o.rollup {
            println!("    aligned work: {}", score_bar(r));
        }
        for k in v.key_results.iter().flatten() {
            let kr = k;
            let now = kr.current_value.map(number).unwrap_or_else(|| "—".into());
            let conf = kr.confidence.map(|c| c.to_string()).unwrap_or_else(|| "no check-in".into());
            let status = if kr.status.counts_in_score() { String::new() } else { format!(" [{}]", kr.status) };
            println!(
                "    {}  {}: {} → {} now {} {}  ({conf}){status}  {}",
                score_bar(kr.score),
                kr.title,
                number(kr.baseline),
                number(kr.target),
                now,
                kr.unit_of_measure,
                kr.id
            );
        }
    }
    Ok(())
}
