//! The loop, first arrow (METHOD.md §5.1, §5.4): the KPIs of a unit that deserve an OKR, each
//! with a ready proposal, and accepting one as a draft objective. The judgement is the
//! domain's ([`quarterdeck_domain::kpi::candidate`]); this module reads each KPI's recent
//! periods in one query for the whole unit.

use crate::views::{KpiView, ObjectiveView};
use crate::{App, AppError, AppResult};
use quarterdeck_domain::access::Action;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{KpiId, UnitId};
use quarterdeck_domain::kpi::candidate::{Assessment, CandidateReason, JUDGED, assess};
use quarterdeck_domain::kpi::definition::KpiDirection;
use quarterdeck_domain::kpi::drift::{DriftRule, Side};
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_domain::kpi::stats::StretchTargets;
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::{LongText, Title, UnitOfMeasure};
use quarterdeck_store::input::{NewKeyResult, NewObjective};
use quarterdeck_store::kpi::{Kpi, KpiFilter};
use serde::Serialize;
use std::collections::HashMap;

/// A KPI proposed as the subject of an OKR, pre-filled.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OkrCandidate {
    pub kpi: KpiView,
    pub reasons: Vec<CandidateReason>,
    /// Why, in a sentence.
    pub why: String,
    /// The latest complete period's value: the key result's baseline.
    pub current: f64,
    /// The key result's target: the KPI's own target when within reach, else a stretch.
    pub proposed_target: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub stretch: Option<StretchTargets>,
    pub drift_rule: Option<DriftRule>,
    pub drift_side: Option<Side>,
    /// The objective and key result accepting it drafts.
    pub objective_title: String,
    pub key_result_title: Option<String>,
    /// Its quality counterweight, to watch beside the key result.
    pub counterweight: Option<KpiView>,
    /// The guardrails of its driver tree: accepting links them to the drafted objective, so
    /// that a push on this KPI pauses when one of them trips (METHOD.md §2).
    pub guardrails: Vec<KpiView>,
}

/// Guardrails read per candidate: a tree holds a handful; more would not be read.
const MAX_GUARDRAILS: usize = 20;

/// Periods read per KPI: the statistics window plus the judged periods and the running one.
fn periods_needed(kpi: &Kpi) -> u32 {
    (kpi.window_periods.clamp(5, 104) as u32) + JUDGED as u32 + 1
}

fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl App {
    /// The KPIs of a unit (all KPIs without one) that deserve an OKR now.
    pub async fn okr_candidates(&self, unit: Option<&str>) -> AppResult<Vec<OkrCandidate>> {
        let unit_id = self.resolve_unit_id("unit", unit).await?;
        let kpis: Vec<Kpi> = crate::all_pages(|page| async move {
            let filter = KpiFilter { unit_id, ..KpiFilter::default() };
            Ok(self.store().list_kpis(filter, page).await?.into())
        })
        .await?;
        self.candidates_among(kpis).await
    }

    async fn candidates_among(&self, kpis: Vec<Kpi>) -> AppResult<Vec<OkrCandidate>> {
        let today = self.today();
        let per = kpis.iter().map(periods_needed).max().unwrap_or(0);
        let wanted: Vec<(KpiId, Granularity)> =
            kpis.iter().map(|k| (k.id, Granularity::of_cadence(k.cadence))).collect();
        let mut series: HashMap<KpiId, Vec<(chrono::NaiveDate, f64)>> = HashMap::new();
        for chunk in wanted.chunks(200) {
            for (id, p) in self.store().recent_periods(chunk, per).await? {
                if let Some(v) = p.value {
                    series.entry(id).or_default().push((p.start, v));
                }
            }
        }
        let by_id: HashMap<KpiId, &Kpi> = kpis.iter().map(|k| (k.id, k)).collect();
        // A KPI some running key result is measured from is already the subject of an OKR.
        let ids: Vec<KpiId> = kpis.iter().map(|k| k.id).collect();
        let in_okrs: std::collections::HashSet<KpiId> =
            self.store().kpis_in_open_okrs(&ids).await?.into_iter().collect();
        let mut counterweights: Vec<KpiId> = Vec::new();
        let mut out = Vec::new();
        for kpi in &kpis {
            if in_okrs.contains(&kpi.id) {
                continue;
            }
            let Some(points) = series.get_mut(&kpi.id) else { continue };
            points.sort_by_key(|p| p.0);
            // The running period is not complete: judging it would flag every morning.
            let running = Period::containing(Granularity::of_cadence(kpi.cadence), today).start;
            let values: Vec<f64> = points.iter().filter(|p| p.0 < running).map(|p| p.1).collect();
            let window = kpi.window_periods.clamp(5, 104) as usize;
            let Some(a) = assess(&values, kpi.direction, kpi.target, kpi.warning_from_pct, window) else { continue };
            if let Some(c) = kpi.counterweight_id {
                counterweights.push(c);
            }
            out.push(self.candidate(kpi, a));
        }
        // Counterweights outside the list are read once, together.
        let missing: Vec<KpiId> = counterweights.into_iter().filter(|c| !by_id.contains_key(c)).collect();
        let mut others: HashMap<KpiId, Kpi> = HashMap::new();
        for id in missing {
            if let Ok(k) = self.store().get_kpi(id).await {
                others.insert(id, k);
            }
        }
        for c in &mut out {
            c.guardrails =
                self.store().tree_guardrails(c.kpi.id, MAX_GUARDRAILS).await?.into_iter().map(Into::into).collect();
            let cw = kpis.iter().find(|k| k.id == c.kpi.id).and_then(|k| k.counterweight_id);
            c.counterweight = cw
                .and_then(|id| by_id.get(&id).map(|k| (*k).clone()).or_else(|| others.get(&id).cloned()))
                .map(Into::into);
        }
        Ok(out)
    }

    fn candidate(&self, kpi: &Kpi, a: Assessment) -> OkrCandidate {
        let unit = if kpi.unit_of_measure.is_empty() { String::new() } else { format!(" {}", kpi.unit_of_measure) };
        let mut why = Vec::new();
        for r in &a.reasons {
            why.push(match r {
                CandidateReason::OutsideTwice => "outside its healthy range in each of the last two periods".to_owned(),
                CandidateReason::Drifting => match a.signal {
                    Some((rule, side)) => format!(
                        "drifting {} its usual level ({})",
                        if side == Side::Above { "above" } else { "below" },
                        rule.as_str().replace('_', " ")
                    ),
                    None => "drifting".to_owned(),
                },
                CandidateReason::TargetFarAhead => {
                    "its target is further ahead than its history makes plausible, so it needs an OKR to get there"
                        .to_owned()
                }
            });
        }
        // A KPI that degraded is brought back; one that never got near its target makes a leap.
        let degraded = a.reasons.iter().any(|r| *r != CandidateReason::TargetFarAhead);
        let objective_title = match (degraded, kpi.direction) {
            (false, _) => format!("Make the leap on {}", kpi.name),
            (true, KpiDirection::WithinRange) => format!("Bring {} back into its healthy range", kpi.name),
            (true, _) => format!("Bring {} back to health", kpi.name),
        };
        let key_result_title =
            a.proposed_target.map(|t| format!("{} from {}{unit} to {}{unit}", kpi.name, number(a.current), number(t)));
        OkrCandidate {
            kpi: kpi.clone().into(),
            why: format!("{}: {}.", kpi.name, why.join("; ")),
            reasons: a.reasons,
            current: a.current,
            proposed_target: a.proposed_target,
            stretch: a.stretch,
            drift_rule: a.signal.map(|s| s.0),
            drift_side: a.signal.map(|s| s.1),
            objective_title,
            key_result_title,
            counterweight: None,
            guardrails: Vec::new(),
        }
    }

    /// Accepts a KPI's candidate: a draft objective in the cycle being planned (or, without
    /// one, the running cycle) with the proposed key result measured from the KPI, guarded by
    /// the guardrails of the KPI's tree — one transaction. The team then edits, aligns and
    /// activates it.
    pub async fn accept_okr_candidate(&self, kpi: &str) -> AppResult<ObjectiveView> {
        let k = self.resolve_kpi(kpi).await.map_err(|e| e.with_field("kpi"))?;
        let found = self.candidates_among(vec![k.clone()]).await?;
        let c = found.into_iter().next().ok_or_else(|| {
            AppError::new(
                Code::InvalidField,
                format!("{} is healthy and steady: it stays a KPI (METHOD.md §5.3)", k.name),
            )
            .with_field("kpi")
        })?;
        let (target, kr_title) = match (c.proposed_target, &c.key_result_title) {
            (Some(t), Some(title)) => (t, title.clone()),
            _ => {
                return Err(AppError::new(
                    Code::NotEnoughHistory,
                    format!("{} has too little history for a stretch target; set the key result by hand", k.name),
                )
                .with_field("kpi"));
            }
        };
        let owner = k.owner_id.or(self.person_id()).ok_or_else(|| {
            AppError::new(
                Code::Missing,
                format!("{} has no owner to own the objective; give the KPI an owner first", k.name),
            )
            .with_field("owner_id")
        })?;
        let cycle = self.cycle_for_new_okrs().await?;
        let unit: Option<UnitId> = k.unit_id;
        self.may(Action::EditOkr, async {
            Ok(quarterdeck_domain::access::Target {
                units: self.unit_chain(unit).await?,
                owner: Some(owner),
                draft: true,
            })
        })
        .await?;
        let new = NewObjective {
            cycle_id: cycle,
            key: None,
            title: Title::parse("title", &c.objective_title)?,
            description: LongText::parse("description", &format!("Proposed by the coach: {}", c.why))?,
            owner_id: owner,
            unit_id: unit,
            kind: ObjectiveKind::Aspirational,
            status: ObjectiveStatus::Draft,
        };
        let kr = NewKeyResult {
            objective_id: quarterdeck_domain::ids::ObjectiveId(uuid::Uuid::nil()),
            key: None,
            title: Title::parse("title", &kr_title)?,
            kind: KeyResultKind::Metric,
            unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &k.unit_of_measure)?,
            measure: Measure::new(c.current, target, None)?,
            weight: Weight::ONE,
            owner_id: Some(owner),
            kpi_id: Some(k.id),
        };
        let mut key_results = vec![kr];
        // Its counterweight, when it misses its own target, becomes the second key result
        // (METHOD.md §2: speed without quality is not progress); a healthy one is shown to
        // watch beside it.
        if let Some(cw) = &c.counterweight
            && let (Some(now), Some(quarterdeck_domain::kpi::definition::Target::Value { value })) =
                (cw.current_value, cw.target)
            && now != value
            && cw.current_status != Some(quarterdeck_domain::kpi::health::HealthStatus::Healthy)
        {
            let unit = if cw.unit_of_measure.is_empty() { String::new() } else { format!(" {}", cw.unit_of_measure) };
            key_results.push(NewKeyResult {
                objective_id: quarterdeck_domain::ids::ObjectiveId(uuid::Uuid::nil()),
                key: None,
                title: Title::parse(
                    "title",
                    &format!("{} from {}{unit} to {}{unit}", cw.name, number(now), number(value)),
                )?,
                kind: KeyResultKind::Metric,
                unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &cw.unit_of_measure)?,
                measure: Measure::new(now, value, None)?,
                weight: Weight::ONE,
                owner_id: Some(owner),
                kpi_id: Some(cw.id),
            });
        }
        let guardrails = c.guardrails.iter().map(|g| g.id).collect();
        let (objective, _) =
            self.store().create_objective_with_key_results(&self.ctx(), new, key_results, guardrails).await?;
        self.get_objective(objective.id).await
    }

    /// Where a new OKR goes: the cycle being planned next, or the one that runs today.
    async fn cycle_for_new_okrs(&self) -> AppResult<quarterdeck_domain::ids::CycleId> {
        let today = self.today();
        let cycles = self.all_cycles().await?;
        let planning = cycles
            .iter()
            .filter(|c: &&quarterdeck_store::records::Cycle| c.state == CycleState::Planning && c.end >= today)
            .min_by_key(|c| c.start);
        match planning {
            Some(c) => Ok(c.id),
            None => Ok(self.current_cycle().await?.id),
        }
    }
}
