//! Calibration across closed cycles (METHOD.md §3) and the roll-out's completion shares
//! (§8), for a team or the whole company: is the team's ambition well calibrated, are its
//! scores drifting to sandbagging or fantasy, and did its KPIs hold their targets each cycle?
//!
//! A fixed number of reads whatever the organisation holds: per cycle, one read of the
//! objectives' grades (three numbers each) and one of each KPI's last period value in the
//! cycle (an index seek per KPI); the KPIs and their target histories once.

use crate::{App, AppResult};
use quarterdeck_domain::calibration::{
    Calibration, CalibrationFlag, KPI_COMPLETION_NORM, OKR_COMPLETION_NORM, calibrate, okr_completion_share,
};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::{CycleId, KpiId, UnitId};
use quarterdeck_domain::kpi::definition::Target;
use quarterdeck_domain::kpi::health::{completion_share, health, target_on};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_domain::scoring::ObjectiveKind;
use quarterdeck_store::input::UnitFilter;
use quarterdeck_store::kpi::{Kpi, KpiFilter};
use quarterdeck_store::records::{Cycle, ObjectiveGrade};
use serde::Serialize;
use std::collections::HashMap;

/// Cycles looked back over.
const CYCLES: usize = 8;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleFigures {
    pub cycle_id: CycleId,
    pub cycle_name: String,
    pub state: CycleState,
    pub objectives: usize,
    /// The OKR completion share: the mean score of every objective (norm 0.67–0.73); "so far"
    /// for a running cycle.
    pub okr_completion_share: Option<f64>,
    /// Mean final score of the aspirational objectives.
    pub aspirational_mean: Option<f64>,
    /// The KPI completion share of the cycle, in % (norm 94–100 %): of the KPIs with a value
    /// and a target at the cycle's end, the share at target — each KPI's last period that
    /// started in the cycle, against the target in force on the cycle's last day.
    pub kpi_completion_share_pct: Option<f64>,
    /// How many KPIs that share is over.
    pub kpis_judged: usize,
}

/// A team whose aspirational scores over closed cycles read as sandbagging or fantasy.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamCalibration {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_slug: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub calibration: Calibration,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalibrationView {
    /// The unit's name, or the company's when the whole organisation is meant.
    pub scope: String,
    /// Newest first: the running cycle (if any) and the closed ones before it.
    pub cycles: Vec<CycleFigures>,
    /// Over the closed cycles only.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub calibration: Calibration,
    pub okr_norm: (f64, f64),
    /// The KPI completion share now, in % (norm 94–100 %).
    pub kpi_completion_share_pct: Option<f64>,
    pub kpi_norm: (f64, f64),
    /// For the whole organisation: the teams flagged, sandbagging first, then fantasy.
    pub flagged_teams: Vec<TeamCalibration>,
    /// For the whole organisation: how many units have each flag (`too_early` included).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub teams_by_flag: HashMap<CalibrationFlag, usize>,
}

/// The aspirational scores of each closed cycle, oldest first, for calibration.
fn aspirational(grades: &[&ObjectiveGrade]) -> Vec<f64> {
    grades.iter().filter(|g| g.kind == ObjectiveKind::Aspirational).map(|g| g.score).collect()
}

impl App {
    /// A unit's calibration (its own objectives and KPIs), or the organisation's without one,
    /// with the teams whose scores read as sandbagging or fantasy. The organisation's reads
    /// every objective's grade and every KPI, so it is kept while nothing is written (see
    /// `kept`).
    pub async fn calibration(&self, unit: Option<&str>) -> AppResult<CalibrationView> {
        match unit {
            Some(u) => {
                let unit = self.resolve_unit("unit", u).await?;
                self.build_calibration(Some(unit)).await
            }
            None => {
                let kept = self.calibrations.get_or_build(self, String::new(), || self.build_calibration(None)).await?;
                Ok((*kept).clone())
            }
        }
    }

    async fn build_calibration(&self, unit: Option<quarterdeck_store::records::Unit>) -> AppResult<CalibrationView> {
        let unit_id = unit.as_ref().map(|u| u.id);
        let mut cycles: Vec<Cycle> = self.all_cycles().await?;
        cycles.retain(|c| c.state != CycleState::Planning);
        cycles.sort_by_key(|c| std::cmp::Reverse(c.start));
        cycles.truncate(CYCLES);
        let kpis: Vec<Kpi> = crate::all_pages(|page| async move {
            Ok(self.store().list_kpis(KpiFilter { unit_id, ..KpiFilter::default() }, page).await?.into())
        })
        .await?;
        let targets = self.targets_by_kpi(&kpis).await?;
        let wanted: Vec<(KpiId, Granularity)> =
            kpis.iter().map(|k| (k.id, Granularity::of_cadence(k.cadence))).collect();
        let mut figures = Vec::new();
        // Per unit (`None`: the whole scope), each closed cycle's aspirational scores, newest first.
        let mut closed: HashMap<Option<UnitId>, Vec<Vec<f64>>> = HashMap::new();
        for c in &cycles {
            let grades = self.store().objective_grades(c.id, unit_id).await?;
            let all: Vec<&ObjectiveGrade> = grades.iter().collect();
            if c.state == CycleState::Closed {
                closed.entry(None).or_default().push(aspirational(&all));
                if unit_id.is_none() {
                    let mut per_unit: HashMap<UnitId, Vec<&ObjectiveGrade>> = HashMap::new();
                    for g in &grades {
                        if let Some(u) = g.unit_id {
                            per_unit.entry(u).or_default().push(g);
                        }
                    }
                    for (u, gs) in per_unit {
                        closed.entry(Some(u)).or_default().push(aspirational(&gs));
                    }
                }
            }
            let (share, judged) = self.kpi_completion_in(c, &kpis, &wanted, &targets).await?;
            let scores: Vec<f64> = all.iter().map(|g| g.score).collect();
            figures.push(CycleFigures {
                cycle_id: c.id,
                cycle_name: c.name.clone(),
                state: c.state,
                objectives: all.len(),
                okr_completion_share: okr_completion_share(&scores),
                aspirational_mean: okr_completion_share(&aspirational(&all)),
                kpi_completion_share_pct: share,
                kpis_judged: judged,
            });
        }
        let oldest_first = |mut v: Vec<Vec<f64>>| {
            v.reverse();
            v
        };
        let calibration = calibrate(&oldest_first(closed.remove(&None).unwrap_or_default()));
        let (flagged_teams, teams_by_flag) = match unit_id {
            Some(_) => (Vec::new(), HashMap::new()),
            None => self.flag_teams(closed.into_iter().filter_map(|(u, v)| Some((u?, oldest_first(v))))).await?,
        };
        Ok(CalibrationView {
            scope: unit.map(|u| u.name).unwrap_or_else(|| "the organisation".into()),
            cycles: figures,
            calibration,
            okr_norm: OKR_COMPLETION_NORM,
            kpi_completion_share_pct: completion_share(kpis.iter().filter_map(|k| k.current_status)),
            kpi_norm: KPI_COMPLETION_NORM,
            flagged_teams,
            teams_by_flag,
        })
    }

    /// Each KPI's target changes with the day each took effect (its `set_on`, or the day
    /// it was recorded), in the order they were made.
    async fn targets_by_kpi(
        &self,
        kpis: &[Kpi],
    ) -> AppResult<HashMap<KpiId, Vec<(chrono::NaiveDate, Option<Target>)>>> {
        let ids: Vec<KpiId> = kpis.iter().map(|k| k.id).collect();
        let mut out: HashMap<KpiId, Vec<(chrono::NaiveDate, Option<Target>)>> = HashMap::new();
        let zone = self.zone();
        for (kpi, change) in self.store().kpi_target_histories(&ids).await? {
            let from = change.set_on.unwrap_or_else(|| zone.local_date(change.recorded_at));
            out.entry(kpi).or_default().push((from, change.target));
        }
        Ok(out)
    }

    /// The KPI completion share at a cycle's end, and how many KPIs it judges.
    async fn kpi_completion_in(
        &self,
        cycle: &Cycle,
        kpis: &[Kpi],
        wanted: &[(KpiId, Granularity)],
        targets: &HashMap<KpiId, Vec<(chrono::NaiveDate, Option<Target>)>>,
    ) -> AppResult<(Option<f64>, usize)> {
        let before = cycle.end.succ_opt().unwrap_or(cycle.end);
        let values: HashMap<KpiId, f64> =
            self.store().period_values_at(wanted, cycle.start, before).await?.into_iter().collect();
        let statuses: Vec<_> = kpis
            .iter()
            .filter_map(|k| {
                let v = *values.get(&k.id)?;
                let target = target_on(targets.get(&k.id).map(Vec::as_slice).unwrap_or_default(), k.target, cycle.end);
                health(target, k.direction, v, k.warning_from_pct).map(|h| h.status)
            })
            .collect();
        Ok((completion_share(statuses.iter().copied()), statuses.len()))
    }

    /// Every unit's calibration from its closed cycles: the flagged ones by name, and a count
    /// per flag.
    async fn flag_teams(
        &self,
        per_unit: impl Iterator<Item = (UnitId, Vec<Vec<f64>>)>,
    ) -> AppResult<(Vec<TeamCalibration>, HashMap<CalibrationFlag, usize>)> {
        let mut by_flag: HashMap<CalibrationFlag, usize> = HashMap::new();
        let mut flagged: Vec<(UnitId, Calibration)> = Vec::new();
        for (u, cycles) in per_unit {
            let c = calibrate(&cycles);
            *by_flag.entry(c.flag).or_default() += 1;
            if matches!(c.flag, CalibrationFlag::Sandbagging | CalibrationFlag::Fantasy) {
                flagged.push((u, c));
            }
        }
        if flagged.is_empty() {
            return Ok((Vec::new(), by_flag));
        }
        let units: Vec<quarterdeck_store::records::Unit> =
            crate::all_pages(
                |page| async move { Ok(self.store().list_units(UnitFilter::default(), page).await?.into()) },
            )
            .await?;
        let by_id: HashMap<UnitId, &quarterdeck_store::records::Unit> = units.iter().map(|u| (u.id, u)).collect();
        let mut teams: Vec<TeamCalibration> = flagged
            .into_iter()
            .filter_map(|(u, calibration)| {
                let unit = by_id.get(&u)?;
                Some(TeamCalibration {
                    unit_id: u,
                    unit_name: unit.name.clone(),
                    unit_slug: unit.slug.clone(),
                    calibration,
                })
            })
            .collect();
        teams.sort_by(|a, b| {
            (a.calibration.flag != CalibrationFlag::Sandbagging, &a.unit_name)
                .cmp(&(b.calibration.flag != CalibrationFlag::Sandbagging, &b.unit_name))
        });
        Ok((teams, by_flag))
    }
}
