use super::cycles::resolve;
use super::output::{colour, json, number, score_bar};
use anyhow::Context;
use quarterdeck_domain::ids::{PersonId, UnitId};
use quarterdeck_domain::scoring::ScoringPolicy;
use quarterdeck_store::input::ObjectiveFilter;
use quarterdeck_store::{PageRequest, Store, StoreError};
use quarterdeck_web::views::ObjectiveView;
use std::sync::Arc;

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

pub async fn run(cmd: Cmd, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let cycle_id = resolve(store, &cmd.cycle, today).await?;
    let unit_id: Option<UnitId> = match cmd.team.as_deref() {
        None => None,
        Some(raw) => Some(match raw.parse() {
            Ok(id) => id,
            Err(_) => match store.find_unit_by_slug(raw).await {
                Ok(u) => u.id,
                Err(StoreError::NotFound { .. }) => {
                    anyhow::bail!("no team with slug or id '{raw}'")
                }
                Err(e) => return Err(e.into()),
            },
        }),
    };
    let filter = ObjectiveFilter { cycle_id: Some(cycle_id), unit_id, owner_id: cmd.owner, ..Default::default() };
    let policy = ScoringPolicy::default();
    let mut views = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let got = store.list_objectives(filter.clone(), page.clone()).await?;
        let ids: Vec<_> = got.items.iter().map(|o| o.id).collect();
        let mut krs = store.key_results_of(&ids).await?;
        for o in got.items {
            let own: Vec<_> = krs.extract_if(.., |k| k.objective_id == o.id).collect();
            views.push(ObjectiveView::new(o, Some(own), &policy, today));
        }
        match got.next_cursor {
            Some(c) => page = PageRequest::parse(Some(PageRequest::MAX_LIMIT), Some(&c)).context("paging")?,
            None => break,
        }
    }
    if cmd.json {
        return json(&views);
    }
    if views.is_empty() {
        println!("No objectives in this cycle{}.", if cmd.team.is_some() { " for this team" } else { "" });
        return Ok(());
    }
    for v in &views {
        let o = &v.objective;
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
            let kr = &k.key_result;
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
