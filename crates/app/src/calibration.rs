//! Calibration across closed cycles (METHOD.md §3) and the roll-out's OKR completion share
//! (§8), for a team or the whole company: is the team's ambition well calibrated, are its
//! scores drifting to sandbagging or fantasy?

use crate::{App, AppResult};
use quarterdeck_domain::calibration::{
    Calibration, KPI_COMPLETION_NORM, OKR_COMPLETION_NORM, calibrate, okr_completion_share,
};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::CycleId;
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::ObjectiveKind;
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::ObjectiveFilter;
use quarterdeck_store::records::Objective;
use serde::Serialize;

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
}

impl App {
    /// A unit's calibration (its own objectives), or the organisation's without one.
    pub async fn calibration(&self, unit: Option<&str>) -> AppResult<CalibrationView> {
        let unit = match unit {
            Some(u) => Some(self.get_unit(u).await?),
            None => None,
        };
        let mut cycles = self.all_cycles().await?;
        cycles.retain(|c| c.state != CycleState::Planning);
        cycles.sort_by_key(|c| std::cmp::Reverse(c.start));
        cycles.truncate(CYCLES);
        let mut figures = Vec::new();
        let mut closed_scores = Vec::new();
        for c in &cycles {
            let filter =
                ObjectiveFilter { cycle_id: Some(c.id), unit_id: unit.as_ref().map(|u| u.id), ..Default::default() };
            let objectives = self.all_objectives(filter).await?;
            let graded: Vec<&Objective> = objectives
                .iter()
                .filter(|o| o.status != ObjectiveStatus::Retired && o.status != ObjectiveStatus::Draft)
                .collect();
            let all: Vec<f64> = graded.iter().map(|o| o.score).collect();
            let aspirational: Vec<f64> =
                graded.iter().filter(|o| o.kind == ObjectiveKind::Aspirational).map(|o| o.score).collect();
            if c.state == CycleState::Closed {
                closed_scores.push(aspirational.clone());
            }
            figures.push(CycleFigures {
                cycle_id: c.id,
                cycle_name: c.name.clone(),
                state: c.state,
                objectives: graded.len(),
                okr_completion_share: okr_completion_share(&all),
                aspirational_mean: okr_completion_share(&aspirational),
            });
        }
        closed_scores.reverse();
        let kpi_completion_share_pct = match &unit {
            Some(u) => self.unit_scorecard(&u.id.to_string(), PageRequest::first(100)).await?.completion_share_pct,
            None => None,
        };
        Ok(CalibrationView {
            scope: unit.map(|u| u.name).unwrap_or_else(|| "the organisation".into()),
            cycles: figures,
            calibration: calibrate(&closed_scores),
            okr_norm: OKR_COMPLETION_NORM,
            kpi_completion_share_pct,
            kpi_norm: KPI_COMPLETION_NORM,
        })
    }
}
