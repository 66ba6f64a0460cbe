//! The coach's findings of a whole cycle, kept per objective: after a write, a cycle's review
//! recomputes the findings of the objectives the write changed, not of every objective.
//!
//! The findings of an objective (the rules that read it and its key results) are current
//! while the objective's revision, its cycle's version, the day, the organisation's time zone
//! and its unit's policy are the ones they were computed under. The revision moves in the same
//! transaction as every write to the objective or its key results (a check-in included), so a
//! stamp read before the objective's facts is never newer than the facts: a write that lands
//! in between makes the next review compute it again. The rules over units and KPIs (team
//! limits, team size, counterweights) read facts no objective revision covers (people, unit
//! names, KPI definitions); they are cheap and run in every review. The whole review is still
//! kept between writes in front of this (see `kept`).

use crate::coach::{Policies, Review};
use crate::read_model::Stamp;
use crate::{App, AppResult};
use quarterdeck_domain::coach::policy::CoachPolicy;
use quarterdeck_domain::coach::review::UnitFacts;
use quarterdeck_domain::coach::review::{ObjectiveFacts, cycle_findings, objective_findings};
use quarterdeck_domain::coach::{Finding, Tally};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::{CycleId, KpiId, ObjectiveId, UnitId};
use quarterdeck_store::input::ObjectiveFilter;
use quarterdeck_store::input::UnitFilter;
use quarterdeck_store::records::{Cycle, ObjectiveRevision, Unit};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Cycles whose findings are kept (the running one and the one being planned, usually).
const CYCLES: usize = 3;

/// One objective's findings and what they were computed from.
struct Kept {
    stamp: Stamp,
    zone: &'static str,
    policy: CoachPolicy,
    facts: ObjectiveFacts,
    kpis: Vec<KpiId>,
    findings: Vec<Finding>,
}

#[derive(Default)]
pub(crate) struct CycleFindings {
    cycles: Mutex<Vec<(CycleId, HashMap<ObjectiveId, Kept>)>>,
    /// Every unit and the people in each, as of a directory version.
    directory: Mutex<Option<(i64, Arc<Directory>)>>,
}

/// What the rules over units read of the directory.
struct Directory {
    units: Vec<Unit>,
    people: HashMap<UnitId, i64>,
}

impl CycleFindings {
    /// Takes a cycle's kept findings out (a review is built by one request at a time; see
    /// `kept`), to be put back with [`CycleFindings::put`].
    fn take(&self, cycle: CycleId) -> HashMap<ObjectiveId, Kept> {
        let mut cycles = self.cycles.lock().unwrap_or_else(|e| e.into_inner());
        match cycles.iter().position(|(c, _)| *c == cycle) {
            Some(i) => cycles.remove(i).1,
            None => HashMap::new(),
        }
    }

    fn put(&self, cycle: CycleId, kept: HashMap<ObjectiveId, Kept>) {
        let mut cycles = self.cycles.lock().unwrap_or_else(|e| e.into_inner());
        cycles.retain(|(c, _)| *c != cycle);
        cycles.insert(0, (cycle, kept));
        cycles.truncate(CYCLES);
    }
}

impl App {
    /// Every finding of a whole cycle, recomputing only the objectives changed since the
    /// last review of it (and every one whose policy changed).
    pub(crate) async fn review_whole_cycle(&self, cycle: Cycle) -> AppResult<Review> {
        let mut kept = self.findings.take(cycle.id);
        let result = self.review_with(&cycle, &mut kept).await;
        if result.is_ok() {
            self.findings.put(cycle.id, kept);
        }
        result
    }

    async fn review_with(&self, cycle: &Cycle, kept: &mut HashMap<ObjectiveId, Kept>) -> AppResult<Review> {
        let (settings, _) = self.store().coach_policy().await?;
        let directory = self.directory().await?;
        let (today, zone) = (self.today(), self.zone());
        // The coach's findings read no band; one stamp for both read models.
        let bands = quarterdeck_domain::scoring::ScoringPolicy::default();
        // The stamps first: facts read after them are at least as new.
        let filter = ObjectiveFilter { cycle_id: Some(cycle.id), ..Default::default() };
        let revisions: Vec<ObjectiveRevision> = crate::all_pages(|page| {
            let filter = filter.clone();
            async move { Ok(self.store().list_objective_revisions(filter, page).await?.into()) }
        })
        .await?;
        // The cycle as of now, read after the stamps: its state and dates are at least as new
        // as the cycle version each stamp carries (a cycle started or moved meanwhile makes
        // the next review compute again, never keeps what an older copy of it gave).
        let cycle = &self.store().get_cycle(cycle.id).await?;
        let current: HashSet<ObjectiveId> = revisions.iter().map(|r| r.id).collect();
        kept.retain(|id, _| current.contains(id));
        let changed: Vec<ObjectiveId> = revisions
            .iter()
            .filter(|r| kept.get(&r.id).is_none_or(|k| k.stamp != Stamp::of(r, today, &bands) || k.zone != zone.name()))
            .map(|r| r.id)
            .collect();
        let mut fresh: HashMap<ObjectiveId, (ObjectiveFacts, Vec<KpiId>)> = HashMap::new();
        for chunk in changed.chunks(crate::coach::BATCH) {
            let objectives = self.store().objectives_by_ids(chunk).await?;
            let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
            let (facts, kpis) = self.objective_facts(cycle, objectives).await?;
            fresh.extend(ids.into_iter().zip(facts.into_iter().zip(kpis)));
        }
        // The policies of the units used, along the unit tree.
        let used: HashSet<UnitId> = kept
            .values()
            .map(|k| &k.facts)
            .chain(fresh.values().map(|(f, _)| f))
            .filter_map(|f| f.unit_id.as_deref().and_then(|u| u.parse().ok()))
            .collect();
        let chains = if settings.units.is_empty() { HashMap::new() } else { chains(&directory.units, &used) };
        let policies = Policies::new(&settings, &chains);
        let running = cycle.state == CycleState::Active;
        let mut findings = Vec::new();
        for r in &revisions {
            let entry = match (fresh.remove(&r.id), kept.remove(&r.id)) {
                (Some((facts, kpis)), _) => {
                    let policy = policies.of(facts.unit_id.as_deref()).clone();
                    let findings = objective_findings(&facts, &policy, running, today);
                    Kept { stamp: Stamp::of(r, today, &bands), zone: zone.name(), policy, facts, kpis, findings }
                }
                (None, Some(mut k)) => {
                    let policy = policies.of(k.facts.unit_id.as_deref());
                    if k.policy != *policy {
                        k.findings = objective_findings(&k.facts, policy, running, today);
                        k.policy = policy.clone();
                    }
                    k
                }
                // Listed by its revision but gone before its facts were read: deleted meanwhile.
                (None, None) => continue,
            };
            findings.extend(entry.findings.iter().cloned());
            kept.insert(r.id, entry);
        }
        let ordered: Vec<&Kept> = revisions.iter().filter_map(|r| kept.get(&r.id)).collect();
        let linked: HashSet<KpiId> = ordered.iter().flat_map(|k| k.kpis.iter().copied()).collect();
        let counted = ordered.iter().map(|k| (k.facts.unit_id.as_deref(), k.facts.status));
        let unit_facts: Vec<UnitFacts> = directory
            .units
            .iter()
            .filter(|u| used.contains(&u.id))
            .map(|u| crate::coach::unit_fact(u, &directory.people))
            .collect();
        let kpis = self.unpaired_kpis(&linked).await?;
        findings.extend(cycle_findings(&unit_facts, counted, &kpis, |u| policies.of(u)));
        // Errors first; within a severity, record by record as the cycle reads.
        findings.sort_by_key(|f| f.severity);
        Ok(Review { cycle_id: cycle.id, cycle_name: cycle.name.clone(), tally: Tally::of(&findings), findings })
    }

    /// Every unit and its people, read again only when the directory's version moved (it
    /// moves in the same transaction as every write to a unit or a person; read first, so the
    /// facts read after it are at least as new).
    async fn directory(&self) -> AppResult<Arc<Directory>> {
        let version = self.store().directory_version().await?;
        if let Some((v, d)) = &*self.findings.directory.lock().unwrap_or_else(|e| e.into_inner())
            && *v == version
        {
            return Ok(d.clone());
        }
        let units: Vec<Unit> =
            crate::all_pages(
                |page| async move { Ok(self.store().list_units(UnitFilter::default(), page).await?.into()) },
            )
            .await?;
        let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
        let people = self.store().people_per_unit(&ids).await?.into_iter().collect();
        let directory = Arc::new(Directory { units, people });
        *self.findings.directory.lock().unwrap_or_else(|e| e.into_inner()) = Some((version, directory.clone()));
        Ok(directory)
    }
}

/// Each unit of `used` followed by every unit above it, from the whole tree.
pub(crate) fn chains(units: &[Unit], used: &HashSet<UnitId>) -> HashMap<UnitId, Vec<UnitId>> {
    let parents: HashMap<UnitId, Option<UnitId>> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    used.iter()
        .map(|u| {
            let mut chain = vec![*u];
            while let Some(Some(p)) = parents.get(chain.last().unwrap_or(u)) {
                if chain.contains(p) {
                    break;
                }
                chain.push(*p);
            }
            (*u, chain)
        })
        .collect()
}
