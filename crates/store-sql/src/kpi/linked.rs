//! Key results measured from a KPI take its current value whenever it changes ("same query,
//! same owner"), scored by the domain's rule — the same one a check-in uses.

use crate::db::q;
use crate::okr::key_result_in;
use crate::rows::word;
use crate::scores::{lock_objectives, refresh_objective};
use crate::write::Writer;
use quarterdeck_domain::ids::KeyResultId;
use quarterdeck_domain::scoring::{KeyResultKind, Measure, score_value};
use quarterdeck_store::StoreResult;
use quarterdeck_store::kpi::IngestReport;
use std::collections::BTreeSet;

pub(super) async fn update_key_results(w: &mut Writer<'_>, kpi_id: &str, report: &mut IngestReport) -> StoreResult<()> {
    let mut c = w.conn();
    let (value,): (Option<f64>,) = c.fetch_one(&q!("SELECT current_value FROM kpis WHERE id = $1", kpi_id)).await?;
    let Some(value) = value else { return Ok(()) };
    let linked: Vec<(String, String, String, f64, f64, Option<f64>)> = c
        .fetch_all(&q!(
            "SELECT k.id, k.objective_id, k.kind, k.baseline, k.target, k.tolerance FROM key_results k \
             JOIN objectives o ON o.id = k.objective_id JOIN cycles c ON c.id = o.cycle_id \
             WHERE k.kpi_id = $1 AND k.status = 'active' AND c.state <> 'closed'",
            kpi_id
        ))
        .await?;
    if linked.is_empty() {
        return Ok(());
    }
    // Objectives before key results, in id order, as every writer locks them.
    let objectives: BTreeSet<String> = linked.iter().map(|l| l.1.clone()).collect();
    lock_objectives(&mut c, &objectives).await?;
    let mut changed = Vec::new();
    for (kr, _, kind, baseline, target, tolerance) in linked {
        let kind: KeyResultKind = word("kind", &kind)?;
        let score = score_value(kind, &Measure::for_kind(kind, baseline, target, tolerance)?, value);
        let before = key_result_in(&mut c, &kr).await?;
        c.execute(&q!(
            "UPDATE key_results SET current_value = $1, score = $2 WHERE id = $3",
            value,
            score.value(),
            &kr
        ))
        .await?;
        let id: KeyResultId = word("key result id", &kr)?;
        report.key_results_updated.push(id);
        changed.push((id, before));
    }
    for o in &objectives {
        refresh_objective(&mut c, o).await?;
    }
    for (id, before) in changed {
        let after = key_result_in(&mut w.conn(), &id.to_string()).await?;
        w.change("key_result", id, "kpi_value", before.as_ref(), after.as_ref());
    }
    Ok(())
}
