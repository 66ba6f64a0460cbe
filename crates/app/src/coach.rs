//! The coach, run (issue 15): the policy settings, and the findings of the rules of
//! METHOD.md §6 for a cycle, a unit or an objective. The rules are the domain's
//! ([`quarterdeck_domain::coach`]); this module gathers their facts from storage once per
//! request — a fixed number of queries, whatever the cycle holds.

use crate::{App, AppResult};
use quarterdeck_domain::coach::policy::{CoachPolicy, Overrides, PolicySettings};
use quarterdeck_domain::coach::review::{CycleFacts, KeyResultFacts, KpiFacts, ObjectiveFacts, UnitFacts, review};
use quarterdeck_domain::coach::{Finding, RuleId, Severity, Tally, wording};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::{CycleId, KpiId, ObjectiveId, UnitId};
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::{ObjectiveFilter, UnitFilter};
use quarterdeck_store::kpi::KpiFilter;
use quarterdeck_store::records::{Cycle, KeyResult, Objective, Unit};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What the coach found in a cycle (or in one unit's or objective's part of it).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub cycle_id: CycleId,
    pub cycle_name: String,
    pub tally: Tally,
    pub findings: Vec<Finding>,
}

impl Review {
    pub fn has_errors(&self) -> bool {
        self.tally.errors > 0
    }
}

/// The settings with the organisation's resolved policy, for people to read.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyView {
    pub settings: PolicySettings,
    /// The organisation's numbers after its overrides.
    pub organisation: CoachPolicy,
    pub version: i64,
}

/// One unit's own settings, what it inherits and what results, for people to read.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitPolicyView {
    pub unit: crate::views::UnitView,
    /// What the unit sets itself; empty when it follows the level above.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub own: Overrides,
    /// The policy of the level above (the nearest unit above with its own, or the
    /// organisation's).
    pub inherited: CoachPolicy,
    /// The unit's policy: its own values over the inherited ones.
    pub resolved: CoachPolicy,
    /// The version of the settings document, to send back with a change.
    pub version: i64,
}

/// Which part of a cycle to review.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub unit: Option<UnitId>,
    pub objective: Option<ObjectiveId>,
}

/// Objectives read per query when gathering a cycle.
pub(crate) const BATCH: usize = 500;

impl App {
    pub async fn coach_policy(&self) -> AppResult<PolicyView> {
        let (settings, version) = self.store().coach_policy().await?;
        Ok(PolicyView { organisation: settings.organisation(), settings, version })
    }

    /// Replaces the coach's settings (administrators), checked first: a bad number names its
    /// field, and a unit that does not exist is refused by its key.
    pub async fn set_coach_policy(&self, version: i64, settings: PolicySettings) -> AppResult<PolicyView> {
        self.may_administer()?;
        settings.check()?;
        for unit in settings.units.keys() {
            self.resolve_unit("units", unit).await?;
        }
        // Units are stored by id, whichever name the caller used.
        let mut by_id = PolicySettings { organisation: settings.organisation.clone(), ..PolicySettings::default() };
        let mut chains: HashMap<String, Vec<String>> = HashMap::new();
        for (unit, o) in settings.units {
            let id = self.resolve_unit("units", &unit).await?.id;
            let chain = self.unit_chain(Some(id)).await?.iter().map(ToString::to_string).collect();
            chains.insert(id.to_string(), chain);
            by_id.units.insert(id.to_string(), o);
        }
        // Each unit's numbers over the ones it inherits (a department's maximum, say).
        by_id.check_along(|u| chains.get(u).cloned().unwrap_or_default())?;
        let (settings, version) = self.store().set_coach_policy(&self.ctx(), version, by_id).await?;
        self.set_scoring(settings.organisation().scoring);
        Ok(PolicyView { organisation: settings.organisation(), settings, version })
    }

    /// A unit's coach policy: its own values, what it inherits from above and the result.
    pub async fn unit_coach_policy(&self, unit: &str) -> AppResult<UnitPolicyView> {
        let unit = self.resolve_unit("unit", unit).await?;
        let (settings, version) = self.store().coach_policy().await?;
        let chain: Vec<String> = self.unit_chain(Some(unit.id)).await?.iter().map(ToString::to_string).collect();
        let above = chain.iter().skip(1).map(String::as_str);
        Ok(UnitPolicyView {
            own: settings.units.get(&unit.id.to_string()).cloned().unwrap_or_default(),
            inherited: settings.for_chain(above),
            resolved: settings.for_chain(chain.iter().map(String::as_str)),
            unit: unit.into(),
            version,
        })
    }

    /// Sets a unit's own coach policy (administrators), or with `None` lets it follow the
    /// level above again. `version` is the settings' version seen.
    pub async fn set_unit_coach_policy(
        &self,
        version: i64,
        unit: &str,
        own: Option<Overrides>,
    ) -> AppResult<UnitPolicyView> {
        self.may_administer()?;
        let id = self.resolve_unit("unit", unit).await?.id.to_string();
        let (mut settings, _) = self.store().coach_policy().await?;
        match own {
            Some(o) if o != Overrides::default() => settings.units.insert(id.clone(), o),
            _ => settings.units.remove(&id),
        };
        self.set_coach_policy(version, settings).await?;
        self.unit_coach_policy(&id).await
    }

    /// The findings for a cycle (`current` or an id), narrowed to a unit or an objective.
    /// A whole cycle's is shared, not copied: it holds thousands of findings.
    pub async fn review(&self, cycle: &str, scope: Scope) -> AppResult<std::sync::Arc<Review>> {
        let cycle = self.resolve_cycle("cycle", cycle).await?;
        if scope.unit.is_some() || scope.objective.is_some() {
            // A unit's or an objective's part reads only that unit's objectives.
            return Ok(std::sync::Arc::new(self.review_cycle(cycle, scope).await?));
        }
        self.reviews.get_or_build(self, cycle.id.to_string(), || self.review_whole_cycle(cycle)).await
    }

    /// The findings for one objective, in its cycle.
    pub async fn review_objective(&self, id: ObjectiveId) -> AppResult<Review> {
        let o = self.store().get_objective(id).await?;
        let cycle = self.store().get_cycle(o.cycle_id).await?;
        self.review_cycle(cycle, Scope { objective: Some(id), unit: None }).await
    }

    async fn review_cycle(&self, cycle: Cycle, scope: Scope) -> AppResult<Review> {
        let (settings, _) = self.store().coach_policy().await?;
        let objectives = match scope.objective {
            Some(id) => {
                let o = self.store().get_objective(id).await?;
                // Team limits need the objective's siblings.
                let filter = ObjectiveFilter { cycle_id: Some(cycle.id), unit_id: o.unit_id, ..Default::default() };
                let mut all = self.all_objectives(filter).await?;
                if o.unit_id.is_none() {
                    all.retain(|x| x.id == id);
                }
                all
            }
            None => {
                let filter = ObjectiveFilter { cycle_id: Some(cycle.id), unit_id: scope.unit, ..Default::default() };
                self.all_objectives(filter).await?
            }
        };
        let used: HashSet<UnitId> = objectives.iter().filter_map(|o| o.unit_id).collect();
        let (units, chains) = self.units_of(&used, !settings.units.is_empty()).await?;
        let facts = self.facts(&cycle, &units, objectives).await?;
        let policies = Policies::new(&settings, &chains);
        let mut findings = review(&facts, self.today(), |u| policies.of(u));
        if let Some(id) = scope.objective {
            let own = id.to_string();
            let krs: HashSet<String> = facts
                .objectives
                .iter()
                .filter(|o| o.id == own)
                .flat_map(|o| o.key_results.iter().map(|k| k.id.clone()))
                .collect();
            let unit = facts.objectives.iter().find(|o| o.id == own).and_then(|o| o.unit_id.clone());
            findings
                .retain(|f| f.subject.id == own || krs.contains(&f.subject.id) || Some(&f.subject.id) == unit.as_ref());
        }
        // Errors first; within a severity, record by record as the cycle reads.
        findings.sort_by_key(|f| f.severity);
        Ok(Review { cycle_id: cycle.id, cycle_name: cycle.name, tally: Tally::of(&findings), findings })
    }

    /// The units `used` and, when some unit has its own policy, each one's chain to the top.
    /// A few units are read one by one; a whole cycle's, with the whole tree in one listing.
    pub(crate) async fn units_of(
        &self,
        used: &HashSet<UnitId>,
        chains: bool,
    ) -> AppResult<(Vec<Unit>, HashMap<UnitId, Vec<UnitId>>)> {
        let mut out = HashMap::new();
        if used.len() <= 3 {
            let mut units = Vec::new();
            for u in used {
                units.push(self.store().get_unit(*u).await?);
                if chains {
                    out.insert(*u, self.store().unit_chain(*u).await?);
                }
            }
            return Ok((units, out));
        }
        let all: Vec<Unit> =
            crate::all_pages(
                |page| async move { Ok(self.store().list_units(UnitFilter::default(), page).await?.into()) },
            )
            .await?;
        if chains {
            out = crate::findings::chains(&all, used);
        }
        Ok((all.into_iter().filter(|u| used.contains(&u.id)).collect(), out))
    }

    /// Every cycle (an organisation has a few dozen at most).
    pub(crate) async fn all_cycles(&self) -> AppResult<Vec<Cycle>> {
        crate::all_pages(|page| async move {
            Ok(self.store().list_cycles(quarterdeck_store::input::CycleFilter::default(), page).await?.into())
        })
        .await
    }

    pub(crate) async fn all_objectives(&self, filter: ObjectiveFilter) -> AppResult<Vec<Objective>> {
        crate::all_pages(|page: PageRequest| {
            let filter = filter.clone();
            async move { Ok(self.store().list_objectives(filter, page).await?.into()) }
        })
        .await
    }

    /// The facts of `objectives`: their key results, the people in their units, and the
    /// KPIs their key results are measured from that lack a counterweight.
    async fn facts(&self, cycle: &Cycle, units: &[Unit], objectives: Vec<Objective>) -> AppResult<CycleFacts> {
        let (objectives, linked) = self.objective_facts(cycle, objectives).await?;
        let linked: HashSet<KpiId> = linked.into_iter().flatten().collect();
        Ok(CycleFacts {
            running: cycle.state == CycleState::Active,
            start: Some(cycle.start),
            units: self.unit_facts(units).await?,
            objectives,
            kpis: self.unpaired_kpis(&linked).await?,
        })
    }

    /// Each objective's facts with its key results', and the KPIs its key results are
    /// measured from.
    pub(crate) async fn objective_facts(
        &self,
        cycle: &Cycle,
        objectives: Vec<Objective>,
    ) -> AppResult<(Vec<ObjectiveFacts>, Vec<Vec<KpiId>>)> {
        let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
        let mut krs: HashMap<ObjectiveId, Vec<KeyResult>> = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            for k in self.store().key_results_of(chunk).await? {
                krs.entry(k.objective_id).or_default().push(k);
            }
        }
        let start = cycle.start;
        let zone = self.zone();
        Ok(objectives
            .into_iter()
            .map(|o| {
                let own = krs.remove(&o.id).unwrap_or_default();
                let kpis = own.iter().filter_map(|k| k.kpi_id).collect();
                let key_results = own
                    .into_iter()
                    .map(|k| {
                        let last = k.last_check_in_at.map(|t| zone.local_date(t));
                        KeyResultFacts {
                            id: k.id.to_string(),
                            title: k.title,
                            kind: k.kind,
                            baseline: Some(k.baseline),
                            target: Some(k.target),
                            unit_of_measure: k.unit_of_measure,
                            has_owner: k.owner_id.is_some(),
                            kpi_linked: k.kpi_id.is_some(),
                            status: k.status,
                            last_touched: last.unwrap_or_else(|| zone.local_date(k.created_at).max(start)),
                            checked_in: last.is_some(),
                        }
                    })
                    .collect();
                let facts = ObjectiveFacts {
                    id: o.id.to_string(),
                    title: o.title,
                    description: o.description,
                    unit_id: o.unit_id.map(|u| u.to_string()),
                    status: o.status,
                    key_results,
                    rewrites: u32::try_from(o.rewrites).unwrap_or(u32::MAX),
                };
                (facts, kpis)
            })
            .unzip())
    }

    /// The units' facts: name, kind and the people whose unit each is.
    pub(crate) async fn unit_facts(&self, units: &[Unit]) -> AppResult<Vec<UnitFacts>> {
        let used: Vec<UnitId> = units.iter().map(|u| u.id).collect();
        let people: HashMap<UnitId, i64> = self.store().people_per_unit(&used).await?.into_iter().collect();
        Ok(units.iter().map(|u| unit_fact(u, &people)).collect())
    }

    /// Of the KPIs `linked` (the cycle's key results are measured from), the speed or volume
    /// ones without a counterweight.
    pub(crate) async fn unpaired_kpis(&self, linked: &HashSet<KpiId>) -> AppResult<Vec<KpiFacts>> {
        if linked.is_empty() {
            return Ok(Vec::new());
        }
        let filter = KpiFilter { missing_counterweight: true, ..KpiFilter::default() };
        let unpaired = crate::all_pages(|page| {
            let filter = filter.clone();
            async move { Ok(self.store().list_kpis(filter, page).await?.into()) }
        })
        .await?;
        Ok(unpaired
            .into_iter()
            .filter(|k: &quarterdeck_store::kpi::Kpi| linked.contains(&k.id))
            .map(|k| KpiFacts {
                id: k.id.to_string(),
                name: k.name,
                nature: k.nature,
                has_counterweight: false,
                is_a_counterweight: false,
            })
            .collect())
    }
}

/// A unit's facts for the coach: its name, kind and the people whose unit it is.
pub(crate) fn unit_fact(u: &Unit, people: &HashMap<UnitId, i64>) -> UnitFacts {
    UnitFacts {
        id: u.id.to_string(),
        name: u.name.clone(),
        kind: u.kind,
        people: Some(people.get(&u.id).copied().unwrap_or(0).try_into().unwrap_or(u32::MAX)),
    }
}

/// The policy of every unit, resolved once per review along the unit tree.
pub(crate) struct Policies {
    organisation: CoachPolicy,
    units: HashMap<String, CoachPolicy>,
}

impl Policies {
    pub(crate) fn new(settings: &PolicySettings, chains: &HashMap<UnitId, Vec<UnitId>>) -> Policies {
        let units = chains
            .iter()
            .filter(|(_, chain)| chain.iter().any(|c| settings.units.contains_key(&c.to_string())))
            .map(|(u, chain)| {
                let names: Vec<String> = chain.iter().map(ToString::to_string).collect();
                (u.to_string(), settings.for_chain(names.iter().map(String::as_str)))
            })
            .collect();
        Policies { organisation: settings.organisation(), units }
    }

    pub(crate) fn of(&self, unit: Option<&str>) -> &CoachPolicy {
        unit.and_then(|u| self.units.get(u)).unwrap_or(&self.organisation)
    }
}

/// What the words of a draft give away, for forms to show while a person types: the rules
/// that need nothing but the text.
pub fn draft_findings(
    objective_title: Option<&str>,
    key_result_title: Option<&str>,
) -> Vec<(RuleId, Severity, String)> {
    let mut out = Vec::new();
    if let Some(t) = objective_title.filter(|t| !t.trim().is_empty()) {
        if let Some(n) = wording::target_number(t) {
            out.push((
                RuleId::ObjectiveNumber,
                format!("The objective states a number ({n}): keep it qualitative and put numbers in key results."),
            ));
        }
        if let Some(v) = wording::objective_task_verb(t) {
            out.push((
                RuleId::ObjectiveTask,
                format!("\"{v} …\" reads as a task: say what should change, and hang the task under a key result."),
            ));
        }
        if let Some(w) = wording::pay_word(t) {
            out.push((RuleId::OkrInPay, format!("\"{w}\": OKR scores never enter pay.")));
        }
    }
    if let Some(t) = key_result_title.filter(|t| !t.trim().is_empty()) {
        if let Some(w) = wording::placeholder(t) {
            out.push((RuleId::KrPlaceholder, format!("\"{w}\" is a placeholder: write the real metric and numbers.")));
        }
        if let Some(v) = wording::task_verb(t) {
            out.push((RuleId::KrTask, format!("\"{v} …\" describes effort: measure the outcome it should produce.")));
        }
        if let Some(v) = wording::maintain_verb(t) {
            out.push((RuleId::KrMaintain, format!("\"{v} …\" holds a level: that is a KPI, not a key result.")));
        }
        if let Some(p) = wording::no_target_phrase(t) {
            out.push((RuleId::KrNoTarget, format!("\"{p}\" has no finish line: write \"from X to Y\".")));
        }
        if !wording::states_a_number(t) {
            out.push((
                RuleId::KrUnmeasurable,
                "No number yet: write it \"from X to Y\" (e.g. \"CSAT from 4.1 to 4.5\").".to_owned(),
            ));
        }
    }
    out.into_iter().map(|(r, m)| (r, r.severity(), m)).collect()
}

/// The alignment review of a cycle, for people to read.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlignmentReviewView {
    pub cycle_id: CycleId,
    pub cycle_name: String,
    pub objectives: usize,
    pub key_results: usize,
    #[serde(flatten)]
    pub review: quarterdeck_domain::coach::alignment_review::AlignmentReview,
}

impl App {
    /// Coverage, collisions, realism, orphans and busywork of a whole cycle: a fixed number of
    /// reads per 500 objectives.
    pub async fn alignment_review(&self, cycle: &str) -> AppResult<AlignmentReviewView> {
        let cycle = self.resolve_cycle("cycle", cycle).await?;
        let kept = self
            .alignment_reviews
            .get_or_build(self, cycle.id.to_string(), || self.build_alignment_review(cycle))
            .await?;
        Ok((*kept).clone())
    }

    async fn build_alignment_review(&self, cycle: Cycle) -> AppResult<AlignmentReviewView> {
        use quarterdeck_domain::coach::alignment_review::{ReviewKeyResult, ReviewKpi, ReviewObjective};
        use quarterdeck_domain::kpi::period::{Granularity, Period};
        let objectives =
            self.all_objectives(ObjectiveFilter { cycle_id: Some(cycle.id), ..Default::default() }).await?;
        let companies: Vec<Unit> = crate::all_pages(|page| async move {
            let filter = UnitFilter { kind: Some(quarterdeck_domain::UnitKind::Company), ..UnitFilter::default() };
            Ok(self.store().list_units(filter, page).await?.into())
        })
        .await?;
        let companies: HashSet<UnitId> = companies.into_iter().map(|u| u.id).collect();
        let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
        let mut aligned: HashSet<ObjectiveId> = HashSet::new();
        let mut covered = std::collections::BTreeSet::new();
        let mut key_results = Vec::new();
        for chunk in ids.chunks(BATCH) {
            for a in self.store().alignments_under(chunk).await? {
                aligned.insert(a.child_id);
                if let Some(k) = a.parent_key_result_id {
                    covered.insert(k.to_string());
                }
            }
            key_results.extend(self.store().key_results_of(chunk).await?);
        }
        let linked: HashSet<KpiId> = key_results.iter().filter_map(|k| k.kpi_id).collect();
        let mut kpis = Vec::new();
        if !linked.is_empty() {
            let all: Vec<quarterdeck_store::kpi::Kpi> =
                crate::all_pages(
                    |page| async move { Ok(self.store().list_kpis(KpiFilter::default(), page).await?.into()) },
                )
                .await?;
            let all: Vec<_> = all.into_iter().filter(|k| linked.contains(&k.id)).collect();
            let today = self.today();
            let per = all.iter().map(|k| k.window_periods.clamp(2, 104) as u32 + 1).max().unwrap_or(13);
            let wanted: Vec<(KpiId, Granularity)> =
                all.iter().map(|k| (k.id, Granularity::of_cadence(k.cadence))).collect();
            let mut series: HashMap<KpiId, Vec<(chrono::NaiveDate, f64)>> = HashMap::new();
            for chunk in wanted.chunks(200) {
                for (id, p) in self.store().recent_periods(chunk, per).await? {
                    if let Some(v) = p.value {
                        series.entry(id).or_default().push((p.start, v));
                    }
                }
            }
            for k in all {
                let running = Period::containing(Granularity::of_cadence(k.cadence), today).start;
                let mut points = series.remove(&k.id).unwrap_or_default();
                points.sort_by_key(|p| p.0);
                let history = points.into_iter().filter(|p| p.0 < running).map(|p| p.1).collect();
                kpis.push(ReviewKpi { id: k.id.to_string(), name: k.name, direction: k.direction, history });
            }
        }
        let facts: Vec<ReviewObjective> = objectives
            .iter()
            .filter(|o| o.status != quarterdeck_domain::okr::ObjectiveStatus::Retired)
            .map(|o| ReviewObjective {
                id: o.id.to_string(),
                title: o.title.clone(),
                unit_id: o.unit_id.map(|u| u.to_string()),
                company: o.unit_id.is_some_and(|u| companies.contains(&u)),
                aligned: aligned.contains(&o.id),
            })
            .collect();
        let krs: Vec<ReviewKeyResult> = key_results
            .iter()
            .filter(|k| k.status == quarterdeck_domain::okr::KeyResultStatus::Active)
            .map(|k| ReviewKeyResult {
                id: k.id.to_string(),
                objective_id: k.objective_id.to_string(),
                title: k.title.clone(),
                target: k.target,
                kpi: k.kpi_id.map(|i| i.to_string()),
            })
            .collect();
        let mut review = quarterdeck_domain::coach::alignment_review::review(&facts, &krs, &covered, &kpis);
        // Collisions name their units as people know them.
        for c in &mut review.collisions {
            for u in &mut c.units {
                if let Ok(id) = u.parse::<UnitId>()
                    && let Ok(unit) = self.store().get_unit(id).await
                {
                    *u = unit.name;
                }
            }
        }
        Ok(AlignmentReviewView {
            cycle_id: cycle.id,
            cycle_name: cycle.name,
            objectives: objectives.len(),
            key_results: key_results.len(),
            review,
        })
    }
}
