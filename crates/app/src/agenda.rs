//! The weekly meeting (METHOD.md §4): a team's agenda in the 45-minute skeleton — KPI deltas
//! against baseline (10 min), key-result status and blockers (15), decisions and next bets
//! (15), risks and guardrails (5) — from a fixed number of reads, whatever the team holds.

use crate::candidates::OkrCandidate;
use crate::coach::Scope;
use crate::views::{KpiView, UnitView};
use crate::{App, AppResult};
use chrono::{Datelike, Days, NaiveDate};
use quarterdeck_domain::coach::RuleId;
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use quarterdeck_domain::okr::{Confidence, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::pace::PaceStatus;
use quarterdeck_domain::scoring::Colour;
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::ObjectiveFilter;
use quarterdeck_store::records::CheckIn;
use serde::Serialize;
use std::collections::HashMap;

/// Check-ins read per key result: enough for a forecast over a quarter of weekly check-ins.
const HISTORY: u32 = 26;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agenda {
    pub unit: UnitView,
    pub cycle_name: Option<String>,
    /// The Monday of the week the agenda is for.
    pub week_of: NaiveDate,
    /// 10 minutes: each KPI's latest value against its baseline.
    pub kpi_deltas: Vec<KpiDelta>,
    /// 15 minutes: every active key result, blockers first.
    pub key_results: Vec<KrLine>,
    /// Owners who have not checked in this week, with what they owe.
    pub owed: Vec<KrLine>,
    /// 15 minutes: KPIs that deserve an OKR, key results behind pace.
    pub candidates: Vec<OkrCandidate>,
    pub behind: Vec<KrLine>,
    /// 5 minutes: breached guardrails, paused objectives, key results nobody discusses.
    pub risks: Vec<Risk>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiDelta {
    pub kpi: KpiView,
    /// Latest value minus baseline; `None` without either.
    pub delta: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KrLine {
    pub id: KeyResultId,
    pub objective_id: ObjectiveId,
    pub objective: String,
    pub title: String,
    pub unit_of_measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current_value: Option<f64>,
    pub score: f64,
    pub colour: Colour,
    pub pace: PaceStatus,
    pub confidence: Option<Confidence>,
    /// The last check-in's next move.
    pub last_note: Option<String>,
    /// At risk or off track at the last check-in.
    pub blocker: bool,
    /// Not checked in since Monday.
    pub owes_check_in: bool,
    /// Where it lands at the cycle's end (P50, and the 80 % interval), or why there is no forecast.
    pub forecast_p50: Option<f64>,
    pub forecast_low: Option<f64>,
    pub forecast_high: Option<f64>,
    pub no_forecast: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Risk {
    /// guardrail, paused or stale.
    pub kind: &'static str,
    pub text: String,
    /// A page of this site about it.
    pub link: String,
}

impl App {
    /// A team's agenda for this week.
    pub async fn agenda(&self, unit: &str) -> AppResult<Agenda> {
        let unit = self.get_unit(unit).await?;
        let today = self.today();
        let week_of = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
        let week_start = self.zone().start_of(week_of);
        let scorecard = self.unit_scorecard(&unit.id.to_string(), PageRequest::first(100)).await?;
        let cycle = self.store().current_cycle(today).await?;
        let objectives = match &cycle {
            Some(c) => {
                let filter = ObjectiveFilter { cycle_id: Some(c.id), unit_id: Some(unit.id), ..Default::default() };
                self.store().list_objectives(filter, PageRequest::first(50)).await?.items
            }
            None => Vec::new(),
        };
        let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
        let krs = self.store().key_results_of(&ids).await?;
        let kr_ids: Vec<KeyResultId> = krs.iter().map(|k| k.id).collect();
        let mut history: HashMap<KeyResultId, Vec<CheckIn>> = HashMap::new();
        for c in self.store().recent_check_ins(&kr_ids, HISTORY).await? {
            history.entry(c.key_result_id).or_default().push(c);
        }
        let titles: HashMap<ObjectiveId, (&str, ObjectiveStatus)> =
            objectives.iter().map(|o| (o.id, (o.title.as_str(), o.status))).collect();
        let mut lines = Vec::new();
        for kr in krs.iter().filter(|k| k.status == KeyResultStatus::Active) {
            let Some((objective, status)) = titles.get(&kr.objective_id) else { continue };
            if *status != ObjectiveStatus::Active {
                continue;
            }
            let check_ins = history.get(&kr.id).map(Vec::as_slice).unwrap_or_default();
            let view = crate::views::KeyResultView::new(kr.clone(), &self.policy(), today);
            let forecast = self.forecast_from(kr, check_ins);
            let latest = check_ins.iter().max_by_key(|c| c.at);
            lines.push(KrLine {
                id: kr.id,
                objective_id: kr.objective_id,
                objective: (*objective).to_owned(),
                title: kr.title.clone(),
                unit_of_measure: kr.unit_of_measure.clone(),
                baseline: kr.baseline,
                target: kr.target,
                current_value: kr.current_value,
                score: view.score,
                colour: view.colour,
                pace: view.pace,
                confidence: kr.confidence,
                last_note: latest.map(|c| c.note.clone()).filter(|n| !n.is_empty()),
                blocker: matches!(kr.confidence, Some(Confidence::AtRisk | Confidence::OffTrack)),
                owes_check_in: kr.last_check_in_at.is_none_or(|t| t < week_start),
                forecast_p50: forecast.forecast.as_ref().map(|f| f.p50),
                forecast_low: forecast.forecast.as_ref().map(|f| f.p80_low),
                forecast_high: forecast.forecast.as_ref().map(|f| f.p80_high),
                no_forecast: forecast.no_forecast,
            });
        }
        // Blockers first, then the lowest scores.
        lines.sort_by(|a, b| b.blocker.cmp(&a.blocker).then(a.score.total_cmp(&b.score)));
        let owed: Vec<KrLine> = lines.iter().filter(|l| l.owes_check_in).cloned().collect();
        let behind: Vec<KrLine> = lines.iter().filter(|l| l.pace == PaceStatus::Behind).cloned().collect();
        let candidates = self.okr_candidates(Some(&unit.id.to_string())).await?;
        let mut risks = Vec::new();
        for k in scorecard.kpis.iter().filter(|k| k.kpi.guardrail && k.kpi.guardrail_breached) {
            risks.push(Risk {
                kind: "guardrail",
                text: format!(
                    "Guardrail {} is breached (now {}).",
                    k.kpi.name,
                    k.kpi.current_value.map_or("–".into(), |v| v.to_string())
                ),
                link: format!("/kpis/{}", k.kpi.key),
            });
        }
        for o in objectives.iter().filter(|o| o.status == ObjectiveStatus::Paused) {
            risks.push(Risk {
                kind: "paused",
                text: format!(
                    "\"{}\" is paused{}.",
                    o.title,
                    o.status_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                ),
                link: format!("/objectives/{}", o.id),
            });
        }
        // Key results nobody discusses: the coach's own rule, by the unit's policy.
        if let Some(c) = &cycle {
            let review = self.review(&c.id.to_string(), Scope { unit: Some(unit.id), objective: None }).await?;
            for f in review.findings.iter().filter(|f| f.rule == RuleId::Stale) {
                risks.push(Risk {
                    kind: "stale",
                    text: format!("\"{}\": {}; {}", f.subject.title, f.message, f.fix),
                    link: format!("/key-results/{}", f.subject.id),
                });
            }
        }
        let kpi_deltas = scorecard
            .kpis
            .into_iter()
            .map(|c| {
                let delta = c.kpi.current_value.zip(c.kpi.baseline).map(|(v, b)| v - b);
                KpiDelta { kpi: c.kpi, delta }
            })
            .collect();
        Ok(Agenda {
            unit,
            cycle_name: cycle.map(|c| c.name),
            week_of,
            kpi_deltas,
            key_results: lines,
            owed,
            candidates,
            behind,
            risks,
        })
    }
}
