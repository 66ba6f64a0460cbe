//! The coach's numbers. Where the articles disagree, the number is a setting and the stricter
//! article's value ships as a named preset (METHOD.md, introduction).

use super::RuleId;
use crate::scoring::ScoringPolicy;
use crate::{DomainError, word_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

word_enum!(
    /// `strict`: one focus objective per team per quarter, 3–5 key results (the six-pillar
    /// method [000, 004]). `balanced`: 1–3 objectives per team, 2–5 key results [001].
    Preset { Strict = "strict", Balanced = "balanced" }
);

/// Every number the coach uses, resolved for one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoachPolicy {
    /// The preset the numbers started from.
    pub preset: Preset,
    pub max_objectives_per_team: u32,
    /// Company-level objectives: 2–3 [001].
    pub max_company_objectives: u32,
    pub min_key_results: u32,
    pub max_key_results: u32,
    /// An OKR not discussed for this many weeks is dead [001].
    pub stale_after_weeks: u32,
    /// Formal OKRs pay back from this team size [000].
    pub min_team_size: u32,
    /// Rewrites of an objective's title or description while its cycle runs before the
    /// coach warns ("rewriting every month is a warning" [000]).
    pub max_rewrites: u32,
    /// Success thresholds, colour bands and pace band.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub scoring: ScoringPolicy,
    /// Rules this organisation or unit has switched off.
    pub disabled: Vec<RuleId>,
}

impl CoachPolicy {
    pub fn preset(preset: Preset) -> CoachPolicy {
        let (max_objectives_per_team, min_key_results) = match preset {
            Preset::Strict => (1, 3),
            Preset::Balanced => (3, 2),
        };
        CoachPolicy {
            preset,
            max_objectives_per_team,
            max_company_objectives: 3,
            min_key_results,
            max_key_results: 5,
            stale_after_weeks: 3,
            min_team_size: 8,
            max_rewrites: 2,
            scoring: ScoringPolicy::default(),
            disabled: Vec::new(),
        }
    }

    pub fn is_on(&self, rule: RuleId) -> bool {
        !self.disabled.contains(&rule)
    }

    /// These numbers with `o`'s values over them, checked.
    pub fn with(mut self, o: &Overrides) -> Result<CoachPolicy, DomainError> {
        if let Some(p) = o.preset {
            let disabled = std::mem::take(&mut self.disabled);
            self = CoachPolicy { disabled, ..CoachPolicy::preset(p) };
        }
        let count = |field: &'static str, v: Option<u32>, min: u32, max: u32, into: &mut u32| match v {
            Some(v) if v < min || v > max => {
                Err(DomainError::OutOfRange { field, min: f64::from(min), max: f64::from(max) })
            }
            Some(v) => {
                *into = v;
                Ok(())
            }
            None => Ok(()),
        };
        count("max_objectives_per_team", o.max_objectives_per_team, 1, 20, &mut self.max_objectives_per_team)?;
        count("max_company_objectives", o.max_company_objectives, 1, 20, &mut self.max_company_objectives)?;
        count("min_key_results", o.min_key_results, 1, 20, &mut self.min_key_results)?;
        count("max_key_results", o.max_key_results, 1, 20, &mut self.max_key_results)?;
        count("stale_after_weeks", o.stale_after_weeks, 1, 52, &mut self.stale_after_weeks)?;
        count("min_team_size", o.min_team_size, 1, 1000, &mut self.min_team_size)?;
        count("max_rewrites", o.max_rewrites, 0, 100, &mut self.max_rewrites)?;
        if self.min_key_results > self.max_key_results {
            return Err(DomainError::OutOfRange {
                field: "min_key_results",
                min: 1.0,
                max: f64::from(self.max_key_results),
            });
        }
        let band = |field: &'static str, v: Option<f64>, into: &mut f64| match v {
            Some(v) if !(0.0..=1.0).contains(&v) => Err(DomainError::OutOfRange { field, min: 0.0, max: 1.0 }),
            Some(v) => {
                *into = v;
                Ok(())
            }
            None => Ok(()),
        };
        band("green_from", o.green_from, &mut self.scoring.green_from)?;
        band("amber_from", o.amber_from, &mut self.scoring.amber_from)?;
        band("aspirational_success", o.aspirational_success, &mut self.scoring.aspirational_success)?;
        if self.scoring.amber_from > self.scoring.green_from {
            return Err(DomainError::OutOfRange { field: "amber_from", min: 0.0, max: self.scoring.green_from });
        }
        if let Some(d) = &o.disabled {
            self.disabled = d.clone();
        }
        Ok(self)
    }
}

impl Default for CoachPolicy {
    fn default() -> Self {
        CoachPolicy::preset(Preset::Balanced)
    }
}

/// What an organisation or a unit sets: a preset and any numbers that differ from it. A
/// value left out comes from the level above.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_objectives_per_team: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_company_objectives: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_key_results: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_key_results: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after_weeks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_team_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rewrites: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_from: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amber_from: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspirational_success: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Vec<RuleId>>,
}

/// The organisation's coach settings: its own overrides and, for units that differ, theirs
/// (keyed by unit id). Stored as one document, so one version guards it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    #[serde(default)]
    pub organisation: Overrides,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub units: BTreeMap<String, Overrides>,
}

impl PolicySettings {
    /// Checks every level, naming the unit at fault.
    pub fn check(&self) -> Result<(), DomainError> {
        let org = CoachPolicy::default().with(&self.organisation)?;
        for o in self.units.values() {
            org.clone().with(o)?;
        }
        Ok(())
    }

    /// Checks every unit's overrides over what it inherits: `chain_of` gives a unit's chain
    /// (the unit first, then every unit above it). A team's minimum above its department's
    /// maximum is refused here, where [`PolicySettings::for_chain`] would quietly drop it.
    pub fn check_along(&self, chain_of: impl Fn(&str) -> Vec<String>) -> Result<(), DomainError> {
        let org = CoachPolicy::default().with(&self.organisation)?;
        for unit in self.units.keys() {
            let chain = chain_of(unit);
            let mut levels: Vec<&Overrides> = chain.iter().filter_map(|u| self.units.get(u.as_str())).collect();
            levels.reverse();
            levels.into_iter().try_fold(org.clone(), |p, o| p.with(o))?;
        }
        Ok(())
    }

    /// The organisation's policy.
    pub fn organisation(&self) -> CoachPolicy {
        CoachPolicy::default().with(&self.organisation).unwrap_or_default()
    }

    /// The policy of a unit: the nearest of `chain` (the unit first, then its ancestors)
    /// with overrides wins, over the organisation's. Settings are checked when saved, so a
    /// failure here can only come from a hand-edited database; the level above is kept.
    pub fn for_chain<'a>(&self, chain: impl IntoIterator<Item = &'a str>) -> CoachPolicy {
        let org = self.organisation();
        let mut levels: Vec<&Overrides> = chain.into_iter().filter_map(|u| self.units.get(u)).collect();
        levels.reverse();
        levels.into_iter().fold(org, |p, o| p.clone().with(o).unwrap_or(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_units_overrides_are_checked_over_what_it_inherits() {
        let mut s = PolicySettings::default();
        s.units.insert("dept".into(), Overrides { max_key_results: Some(3), ..Overrides::default() });
        s.units.insert("team".into(), Overrides { min_key_results: Some(4), ..Overrides::default() });
        assert!(s.check().is_ok(), "each alone fits the organisation's numbers");
        let chain = |u: &str| if u == "team" { vec!["team".into(), "dept".into()] } else { vec![u.to_owned()] };
        let e = s.check_along(chain).unwrap_err();
        assert!(matches!(e, DomainError::OutOfRange { field: "min_key_results", .. }), "{e:?}");
        s.units.insert("team".into(), Overrides { min_key_results: Some(3), ..Overrides::default() });
        assert!(s.check_along(chain).is_ok());
        assert_eq!(s.for_chain(["team", "dept"]).min_key_results, 3);
    }

    #[test]
    fn presets_hold_the_articles_numbers() {
        let strict = CoachPolicy::preset(Preset::Strict);
        assert_eq!((strict.max_objectives_per_team, strict.min_key_results, strict.max_key_results), (1, 3, 5));
        let balanced = CoachPolicy::preset(Preset::Balanced);
        assert_eq!((balanced.max_objectives_per_team, balanced.min_key_results, balanced.max_key_results), (3, 2, 5));
        assert_eq!(balanced.stale_after_weeks, 3);
        assert_eq!(balanced.min_team_size, 8);
        assert_eq!(CoachPolicy::default(), balanced);
    }

    #[test]
    fn a_unit_inherits_and_overrides() {
        let mut s = PolicySettings::default();
        s.organisation.preset = Some(Preset::Strict);
        s.organisation.stale_after_weeks = Some(2);
        s.units.insert("sales".into(), Overrides { max_key_results: Some(4), ..Overrides::default() });
        s.units.insert("emea".into(), Overrides { preset: Some(Preset::Balanced), ..Overrides::default() });
        s.check().unwrap();
        let org = s.organisation();
        assert_eq!((org.max_objectives_per_team, org.stale_after_weeks), (1, 2));
        let sales = s.for_chain(["sales", "company"]);
        assert_eq!((sales.max_key_results, sales.stale_after_weeks, sales.max_objectives_per_team), (4, 2, 1));
        // A unit under one that switched preset gets that preset's numbers, then its own.
        let team = s.for_chain(["emea-team", "emea", "company"]);
        assert_eq!(team.preset, Preset::Balanced);
        assert_eq!(team.max_objectives_per_team, 3);
    }

    #[test]
    fn bad_numbers_name_their_field() {
        let bad = Overrides { min_key_results: Some(6), max_key_results: Some(4), ..Overrides::default() };
        let e = CoachPolicy::default().with(&bad).unwrap_err();
        assert!(e.to_string().contains("min_key_results"), "{e}");
        let bad = Overrides { green_from: Some(1.5), ..Overrides::default() };
        assert!(CoachPolicy::default().with(&bad).unwrap_err().to_string().contains("green_from"));
        let s: Result<PolicySettings, _> = serde_json::from_str(r#"{"organisation":{"max_krs":4}}"#);
        assert!(s.unwrap_err().to_string().contains("max_krs"));
        let s: PolicySettings =
            serde_json::from_str(r#"{"organisation":{"preset":"strict","disabled":["small-team"]}}"#).unwrap();
        assert!(!s.organisation().is_on(RuleId::SmallTeam));
    }

    proptest! {
        #[test]
        fn accepted_overrides_keep_the_policy_consistent(min in 0u32..30, max in 0u32..30, green in -0.5f64..1.5, amber in -0.5f64..1.5) {
            let o = Overrides { min_key_results: Some(min), max_key_results: Some(max), green_from: Some(green), amber_from: Some(amber), ..Overrides::default() };
            if let Ok(p) = CoachPolicy::default().with(&o) {
                prop_assert!(p.min_key_results >= 1 && p.min_key_results <= p.max_key_results);
                prop_assert!(p.scoring.amber_from <= p.scoring.green_from);
                prop_assert!((0.0..=1.0).contains(&p.scoring.green_from));
            }
        }
    }
}
