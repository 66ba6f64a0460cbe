//! The alignment review (METHOD.md §3, [001]): leadership checks coverage (is someone driving
//! each company key result?), collisions (two teams claiming the same metric), realism (a
//! target beyond what the KPI's history makes plausible), orphans, and busywork (an OKR that
//! moves no KPI, §5.6). Pure: the application layer gathers the facts.

use crate::kpi::definition::KpiDirection;
use crate::kpi::stats::{mean, sample_sd};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How far beyond the history's mean a target may go, in sample standard deviations, and
/// still be plausible (METHOD.md §3: + 2 sd is the stretch for stable drivers).
pub const PLAUSIBLE_SDS: f64 = 2.0;

#[derive(Debug, Clone)]
pub struct ReviewObjective {
    pub id: String,
    pub title: String,
    pub unit_id: Option<String>,
    /// Owned by the company unit.
    pub company: bool,
    /// Aligned to a parent objective or key result.
    pub aligned: bool,
}

#[derive(Debug, Clone)]
pub struct ReviewKeyResult {
    pub id: String,
    pub objective_id: String,
    pub title: String,
    pub target: f64,
    pub kpi: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReviewKpi {
    pub id: String,
    pub name: String,
    pub direction: KpiDirection,
    /// Recent complete period values, oldest first.
    pub history: Vec<f64>,
}

/// A record named in a review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Named {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collision {
    pub kpi: Named,
    /// The units whose key results claim it.
    pub units: Vec<String>,
    pub key_results: Vec<Named>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unrealistic {
    pub key_result: Named,
    pub kpi: Named,
    pub target: f64,
    pub mean: f64,
    pub sd: f64,
    /// The furthest plausible level: µ ± 2 sd in the KPI's good direction.
    pub plausible_to: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlignmentReview {
    /// Company key results no objective aligns to.
    pub uncovered: Vec<Named>,
    pub collisions: Vec<Collision>,
    pub unrealistic: Vec<Unrealistic>,
    /// Objectives below the company aligned to nothing.
    pub orphans: Vec<Named>,
    /// Objectives none of whose key results is measured from a KPI.
    pub busywork: Vec<Named>,
}

/// Reviews a cycle. `covered`: the company key results some objective aligns to.
pub fn review(
    objectives: &[ReviewObjective],
    key_results: &[ReviewKeyResult],
    covered: &BTreeSet<String>,
    kpis: &[ReviewKpi],
) -> AlignmentReview {
    let named = |id: &str, title: &str| Named { id: id.to_owned(), title: title.to_owned() };
    let by_id: BTreeMap<&str, &ReviewObjective> = objectives.iter().map(|o| (o.id.as_str(), o)).collect();
    let kpi_of: BTreeMap<&str, &ReviewKpi> = kpis.iter().map(|k| (k.id.as_str(), k)).collect();
    let mut out = AlignmentReview::default();
    let mut measured: BTreeSet<&str> = BTreeSet::new();
    let mut claims: BTreeMap<&str, (BTreeSet<String>, Vec<Named>)> = BTreeMap::new();
    for k in key_results {
        let Some(o) = by_id.get(k.objective_id.as_str()) else { continue };
        if o.company && !covered.contains(&k.id) {
            out.uncovered.push(named(&k.id, &k.title));
        }
        let Some(kpi) = &k.kpi else { continue };
        measured.insert(o.id.as_str());
        let claim = claims.entry(kpi.as_str()).or_default();
        claim.0.insert(o.unit_id.clone().unwrap_or_else(|| format!("owner of {}", o.title)));
        claim.1.push(named(&k.id, &k.title));
        if let Some(h) = kpi_of.get(kpi.as_str())
            && let (Some(m), Some(sd)) = (mean(&h.history), sample_sd(&h.history))
        {
            let plausible_to = match h.direction {
                KpiDirection::HigherIsBetter => m + PLAUSIBLE_SDS * sd,
                KpiDirection::LowerIsBetter => m - PLAUSIBLE_SDS * sd,
                KpiDirection::WithinRange => continue,
            };
            let beyond = match h.direction {
                KpiDirection::HigherIsBetter => k.target > plausible_to,
                _ => k.target < plausible_to,
            };
            if beyond {
                out.unrealistic.push(Unrealistic {
                    key_result: named(&k.id, &k.title),
                    kpi: named(&h.id, &h.name),
                    target: k.target,
                    mean: m,
                    sd,
                    plausible_to,
                });
            }
        }
    }
    for (kpi, (units, krs)) in claims {
        if units.len() >= 2 {
            let name = kpi_of.get(kpi).map_or(kpi.to_owned(), |k| k.name.clone());
            out.collisions.push(Collision {
                kpi: named(kpi, &name),
                units: units.into_iter().collect(),
                key_results: krs,
            });
        }
    }
    for o in objectives {
        if !o.company && !o.aligned {
            out.orphans.push(named(&o.id, &o.title));
        }
        if !measured.contains(o.id.as_str()) {
            out.busywork.push(named(&o.id, &o.title));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(id: &str, unit: &str, company: bool, aligned: bool) -> ReviewObjective {
        ReviewObjective { id: id.into(), title: id.into(), unit_id: Some(unit.into()), company, aligned }
    }

    fn kr(id: &str, objective: &str, target: f64, kpi: Option<&str>) -> ReviewKeyResult {
        ReviewKeyResult {
            id: id.into(),
            objective_id: objective.into(),
            title: id.into(),
            target,
            kpi: kpi.map(Into::into),
        }
    }

    #[test]
    fn each_check_fires_and_stays_silent() {
        let objectives =
            [o("grow", "acme", true, false), o("sales", "team-a", false, true), o("ads", "team-b", false, false)];
        let krs = [
            kr("arr", "grow", 60.0, Some("arr")),
            kr("logos", "grow", 15.0, None),
            kr("win", "sales", 23.0, Some("win_rate")),
            kr("win-too", "ads", 40.0, Some("win_rate")),
        ];
        let win = ReviewKpi {
            id: "win_rate".into(),
            name: "Win rate".into(),
            direction: KpiDirection::HigherIsBetter,
            history: vec![18.0, 19.0, 17.0, 18.0, 18.0],
        };
        let covered = BTreeSet::from(["arr".to_owned()]);
        let r = review(&objectives, &krs, &covered, &[win]);
        assert_eq!(r.uncovered, vec![Named { id: "logos".into(), title: "logos".into() }]);
        assert_eq!(r.collisions.len(), 1);
        assert_eq!(r.collisions[0].units, vec!["team-a".to_owned(), "team-b".to_owned()]);
        // µ 18, sd 0.71: 23 and 40 are both beyond µ + 2 sd.
        let names: Vec<&str> = r.unrealistic.iter().map(|u| u.key_result.id.as_str()).collect();
        assert_eq!(names, vec!["win", "win-too"]);
        assert_eq!(r.orphans, vec![Named { id: "ads".into(), title: "ads".into() }]);
        assert!(r.busywork.is_empty());

        let quiet = review(&objectives[..1], &krs[..1], &BTreeSet::from(["arr".to_owned()]), &[]);
        assert_eq!(quiet, AlignmentReview::default());
        let busy =
            review(&objectives[..1], &[kr("logos", "grow", 15.0, None)], &BTreeSet::from(["logos".to_owned()]), &[]);
        assert_eq!(busy.busywork.len(), 1);
    }
}
