//! A plan: an organisation's whole set-up as domain values that name each other by natural
//! key — units by slug, people by e-mail, cycles by name, objectives and key results by their
//! key within the cycle — never by database id. The demo loads through it, and goals as code
//! (files that describe the set-up) will read into it.
//!
//! Applying a plan checks every reference and every rule a record would meet when created one
//! by one (units and managers without loops, alignments without loops and to the parent's own
//! key results, check-ins that fit their key result and cycle, reasons where a status needs
//! one), then writes it all in one transaction with the store's bulk import, which derives
//! the scores and roll-ups and writes the audit trail. An error names the item at fault by its
//! path (`cycles[0].objectives[3].key_results[1].owner`); nothing is written then.

use crate::{App, AppError, AppResult};
use chrono::{DateTime, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::{LinkKind, check_new_link, check_tree_move};
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{
    CheckInSubject, Confidence, InitiativeKind, InitiativeStatus, KeyResultStatus, ObjectiveStatus,
    accept_past_check_in,
};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::{Email, LongText, Name, Note, Reason, Slug, Title, UnitOfMeasure};
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::records::*;
use quarterdeck_store::snapshot::{ImportCounts, Snapshot};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub units: Vec<PlanUnit>,
    pub people: Vec<PlanPerson>,
    pub cycles: Vec<PlanCycle>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanUnit {
    pub slug: Slug,
    pub name: Name,
    pub kind: UnitKind,
    /// The parent unit's slug.
    pub parent: Option<Slug>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanPerson {
    pub email: Email,
    pub name: Name,
    pub unit: Option<Slug>,
    /// The manager's e-mail.
    pub manager: Option<Email>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanCycle {
    /// Unique within the plan: objectives of other cycles are not confused with these.
    pub name: Title,
    pub kind: CycleKind,
    pub dates: CycleDates,
    pub state: CycleState,
    pub objectives: Vec<PlanObjective>,
    /// Links between this cycle's objectives, by their keys.
    pub alignments: Vec<PlanAlignment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanObjective {
    pub key: Slug,
    pub title: Title,
    pub description: LongText,
    /// The owner's e-mail.
    pub owner: Email,
    pub unit: Option<Slug>,
    pub kind: ObjectiveKind,
    pub status: ObjectiveStatus,
    pub status_reason: Option<Reason>,
    pub key_results: Vec<PlanKeyResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanKeyResult {
    /// Unique within the cycle.
    pub key: Slug,
    pub title: Title,
    pub kind: KeyResultKind,
    pub unit_of_measure: UnitOfMeasure,
    pub measure: Measure,
    pub weight: Weight,
    pub owner: Option<Email>,
    pub status: KeyResultStatus,
    pub status_reason: Option<Reason>,
    pub check_ins: Vec<PlanCheckIn>,
    pub initiatives: Vec<PlanInitiative>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanCheckIn {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub confidence: Confidence,
    pub note: Note,
    pub author: Option<Email>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanInitiative {
    pub title: Title,
    pub kind: InitiativeKind,
    pub status: InitiativeStatus,
    pub owner: Option<Email>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanAlignment {
    /// The aligning objective's key.
    pub child: Slug,
    /// The parent objective's key.
    pub parent: Slug,
    /// One of the parent's key results, by key, when the link is to it.
    pub parent_key_result: Option<Slug>,
    pub kind: LinkKind,
    pub weight: Weight,
}

impl Plan {
    /// How many records the plan holds, for a progress message.
    pub fn record_count(&self) -> usize {
        let okrs: usize = self
            .cycles
            .iter()
            .map(|c| {
                c.alignments.len()
                    + c.objectives
                        .iter()
                        .map(|o| {
                            1 + o.key_results.iter().map(|k| 1 + k.check_ins.len() + k.initiatives.len()).sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum();
        self.units.len() + self.people.len() + self.cycles.len() + okrs
    }
}

impl App {
    /// Loads a plan into an empty organisation, all or nothing.
    pub async fn apply_plan(&self, plan: Plan) -> AppResult<ImportCounts> {
        self.may_administer()?;
        if !self.store().is_empty().await? {
            return Err(AppError::new(
                Code::Duplicate,
                "the organisation already holds data; a plan loads into an empty database",
            ));
        }
        let snapshot = resolve(plan, self.now(), self.zone())?;
        Ok(self.store().import(&self.ctx(), snapshot).await?)
    }
}

/// An error of the item at `path`: the message says where, the field names it in full.
fn at(path: &str, e: impl Into<AppError>) -> AppError {
    let e: AppError = e.into();
    let field = match &e.field {
        Some(inner) => format!("{path}.{inner}"),
        None => path.to_owned(),
    };
    AppError { message: format!("{path}: {}", e.message), field: Some(field), ..e }
}

fn unknown(path: &str, what: &str, key: &str) -> AppError {
    AppError::new(Code::UnknownReference, format!("{path}: no {what} '{key}' in the plan")).with_field(path)
}

fn duplicate(path: &str, what: &str, key: &str) -> AppError {
    AppError::new(Code::Duplicate, format!("{path}: {what} '{key}' appears twice in the plan")).with_field(path)
}

/// Names of the plan, to ids made for them.
struct Names {
    units: HashMap<String, UnitId>,
    people: HashMap<String, PersonId>,
}

impl Names {
    fn unit(&self, path: &str, slug: Option<&Slug>) -> AppResult<Option<UnitId>> {
        slug.map(|s| self.units.get(s.as_str()).copied().ok_or_else(|| unknown(path, "unit", s.as_str()))).transpose()
    }

    fn person(&self, path: &str, email: Option<&Email>) -> AppResult<Option<PersonId>> {
        email
            .map(|e| self.people.get(e.as_str()).copied().ok_or_else(|| unknown(path, "person", e.as_str())))
            .transpose()
    }
}

/// Refuses a tree (units, managers) with a loop: walking up from any node never meets it again.
fn check_tree<K: std::hash::Hash + Eq + Copy>(
    parents: &HashMap<K, K>,
    nodes: impl Iterator<Item = (usize, K)>,
    path: impl Fn(usize) -> String,
    loop_error: DomainError,
) -> AppResult<()> {
    for (i, node) in nodes {
        let Some(&parent) = parents.get(&node) else { continue };
        let mut ancestors = vec![parent];
        let mut seen = HashSet::from([parent]);
        while let Some(next) = parents.get(ancestors.last().expect("not empty")) {
            if !seen.insert(*next) {
                break;
            }
            ancestors.push(*next);
        }
        check_tree_move(&node, &ancestors, loop_error.clone()).map_err(|e| at(&path(i), e))?;
    }
    Ok(())
}

/// The plan as records with fresh ids, every reference and rule checked.
pub fn resolve(plan: Plan, now: DateTime<Utc>, zone: Zone) -> AppResult<Snapshot> {
    let mut snap = Snapshot::default();
    let id = Uuid::now_v7;
    let mut names = Names { units: HashMap::new(), people: HashMap::new() };

    for (i, u) in plan.units.iter().enumerate() {
        if names.units.insert(u.slug.as_str().to_owned(), UnitId(id())).is_some() {
            return Err(duplicate(&format!("units[{i}].slug"), "unit", u.slug.as_str()));
        }
    }
    let mut unit_parents = HashMap::new();
    for (i, u) in plan.units.iter().enumerate() {
        let unit_id = names.units[u.slug.as_str()];
        let parent_id = names.unit(&format!("units[{i}].parent"), u.parent.as_ref())?;
        if let Some(p) = parent_id {
            unit_parents.insert(unit_id, p);
        }
        snap.units.push(Unit {
            id: unit_id,
            version: 1,
            created_at: now,
            updated_at: now,
            slug: u.slug.as_str().to_owned(),
            name: u.name.as_str().to_owned(),
            kind: u.kind,
            parent_id,
        });
    }
    check_tree(
        &unit_parents,
        snap.units.iter().map(|u| u.id).enumerate(),
        |i| format!("units[{i}].parent"),
        DomainError::UnitCycle,
    )?;

    for (i, p) in plan.people.iter().enumerate() {
        if names.people.insert(p.email.as_str().to_owned(), PersonId(id())).is_some() {
            return Err(duplicate(&format!("people[{i}].email"), "person", p.email.as_str()));
        }
    }
    let mut managers = HashMap::new();
    for (i, p) in plan.people.iter().enumerate() {
        let person_id = names.people[p.email.as_str()];
        let manager_id = names.person(&format!("people[{i}].manager"), p.manager.as_ref())?;
        if let Some(m) = manager_id {
            managers.insert(person_id, m);
        }
        snap.people.push(Person {
            id: person_id,
            version: 1,
            created_at: now,
            updated_at: now,
            name: p.name.as_str().to_owned(),
            email: p.email.as_str().to_owned(),
            unit_id: names.unit(&format!("people[{i}].unit"), p.unit.as_ref())?,
            manager_id,
        });
    }
    check_tree(
        &managers,
        snap.people.iter().map(|p| p.id).enumerate(),
        |i| format!("people[{i}].manager"),
        DomainError::ManagerCycle,
    )?;

    let mut cycle_names = HashSet::new();
    for (c, cycle) in plan.cycles.into_iter().enumerate() {
        if !cycle_names.insert(cycle.name.as_str().to_owned()) {
            return Err(duplicate(&format!("cycles[{c}].name"), "cycle", cycle.name.as_str()));
        }
        resolve_cycle(&mut snap, &names, cycle, &format!("cycles[{c}]"), now, zone)?;
    }
    Ok(snap)
}

fn resolve_cycle(
    snap: &mut Snapshot,
    names: &Names,
    cycle: PlanCycle,
    path: &str,
    now: DateTime<Utc>,
    zone: Zone,
) -> AppResult<()> {
    let id = Uuid::now_v7;
    let record = Cycle {
        id: CycleId(id()),
        version: 1,
        created_at: now,
        updated_at: now,
        name: cycle.name.as_str().to_owned(),
        kind: cycle.kind,
        start: cycle.dates.start(),
        end: cycle.dates.end(),
        state: cycle.state,
    };
    let window = CycleWindow { start: record.start, end: record.end, state: record.state };
    // Keys within the cycle: objectives to ids; key results to their id and objective.
    let mut objectives: HashMap<String, ObjectiveId> = HashMap::new();
    let mut key_results: HashMap<String, (KeyResultId, ObjectiveId)> = HashMap::new();
    for (o, objective) in cycle.objectives.into_iter().enumerate() {
        let path = format!("{path}.objectives[{o}]");
        let objective_id = ObjectiveId(id());
        if objectives.insert(objective.key.as_str().to_owned(), objective_id).is_some() {
            return Err(duplicate(&format!("{path}.key"), "objective key", objective.key.as_str()));
        }
        if objective.status.needs_reason() && objective.status_reason.is_none() {
            return Err(at(&path, DomainError::Missing { field: "status_reason" }));
        }
        let owner_id = names.person(&format!("{path}.owner"), Some(&objective.owner))?.expect("given");
        snap.objectives.push(Objective {
            id: objective_id,
            version: 1,
            created_at: now,
            updated_at: now,
            cycle_id: record.id,
            key: objective.key.as_str().to_owned(),
            title: objective.title.as_str().to_owned(),
            description: objective.description.as_str().to_owned(),
            owner_id,
            unit_id: names.unit(&format!("{path}.unit"), objective.unit.as_ref())?,
            kind: objective.kind,
            status: objective.status,
            status_reason: objective.status_reason.map(Reason::into_string),
            score: 0.0,
            rollup: None,
            key_result_count: 0,
            rewrites: 0,
            cycle: window,
        });
        for (k, kr) in objective.key_results.into_iter().enumerate() {
            let path = format!("{path}.key_results[{k}]");
            let kr_id = KeyResultId(id());
            if key_results.insert(kr.key.as_str().to_owned(), (kr_id, objective_id)).is_some() {
                return Err(duplicate(&format!("{path}.key"), "key result key", kr.key.as_str()));
            }
            resolve_key_result(snap, names, kr, (kr_id, objective_id), window, &path, now, zone)?;
        }
    }

    let mut parents_of: HashMap<ObjectiveId, Vec<ObjectiveId>> = HashMap::new();
    for (a, link) in cycle.alignments.into_iter().enumerate() {
        let path = format!("{path}.alignments[{a}]");
        let objective = |field: &str, key: &Slug| {
            objectives
                .get(key.as_str())
                .copied()
                .ok_or_else(|| unknown(&format!("{path}.{field}"), "objective", key.as_str()))
        };
        let child = objective("child", &link.child)?;
        let parent = objective("parent", &link.parent)?;
        let parent_key_result = match &link.parent_key_result {
            None => None,
            Some(key) => {
                let field = format!("{path}.parent_key_result");
                let (kr, of) = key_results
                    .get(key.as_str())
                    .copied()
                    .ok_or_else(|| unknown(&field, "key result", key.as_str()))?;
                if of != parent {
                    return Err(at(&field, DomainError::AlignmentParent));
                }
                Some(kr)
            }
        };
        check_new_link(child, parent, &parents_of).map_err(|e| at(&path, e))?;
        parents_of.entry(child).or_default().push(parent);
        snap.alignments.push(Alignment {
            id: AlignmentId(id()),
            version: 1,
            created_at: now,
            updated_at: now,
            child_id: child,
            parent_objective_id: parent,
            parent_key_result_id: parent_key_result,
            kind: link.kind,
            weight: link.weight.value(),
        });
    }
    snap.cycles.push(record);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn resolve_key_result(
    snap: &mut Snapshot,
    names: &Names,
    kr: PlanKeyResult,
    (kr_id, objective_id): (KeyResultId, ObjectiveId),
    window: CycleWindow,
    path: &str,
    now: DateTime<Utc>,
    zone: Zone,
) -> AppResult<()> {
    if kr.status != KeyResultStatus::Active && kr.status_reason.is_none() {
        return Err(at(path, DomainError::Missing { field: "status_reason" }));
    }
    let measure = Measure::for_kind(kr.kind, kr.measure.baseline(), kr.measure.target(), kr.measure.tolerance())
        .map_err(|e| at(path, e))?;
    let subject = CheckInSubject {
        kind: kr.kind,
        status: kr.status,
        measure,
        cycle_state: window.state,
        cycle_start: window.start,
    };
    for (i, c) in kr.check_ins.into_iter().enumerate() {
        let path = format!("{path}.check_ins[{i}]");
        let accepted =
            accept_past_check_in(&subject, c.value, c.at, now, |t| zone.local_date(t)).map_err(|e| at(&path, e))?;
        snap.check_ins.push(CheckIn {
            id: CheckInId(Uuid::now_v7()),
            key_result_id: kr_id,
            value: accepted.value,
            confidence: c.confidence,
            note: c.note.into_string(),
            author_id: names.person(&format!("{path}.author"), c.author.as_ref())?,
            at: accepted.at,
            created_at: accepted.at,
        });
    }
    for (i, initiative) in kr.initiatives.into_iter().enumerate() {
        snap.initiatives.push(Initiative {
            id: InitiativeId(Uuid::now_v7()),
            version: 1,
            created_at: now,
            updated_at: now,
            key_result_id: kr_id,
            title: initiative.title.into_string(),
            kind: initiative.kind,
            status: initiative.status,
            owner_id: names.person(&format!("{path}.initiatives[{i}].owner"), initiative.owner.as_ref())?,
            link: None,
        });
    }
    snap.key_results.push(KeyResult {
        id: kr_id,
        version: 1,
        created_at: now,
        updated_at: now,
        objective_id,
        key: kr.key.as_str().to_owned(),
        title: kr.title.into_string(),
        kind: kr.kind,
        unit_of_measure: kr.unit_of_measure.into_string(),
        baseline: measure.baseline(),
        target: measure.target(),
        tolerance: measure.tolerance(),
        direction: measure.direction(),
        weight: kr.weight.value(),
        owner_id: names.person(&format!("{path}.owner"), kr.owner.as_ref())?,
        status: kr.status,
        status_reason: kr.status_reason.map(Reason::into_string),
        kpi_id: None,
        current_value: None,
        confidence: None,
        last_check_in_at: None,
        decision: None,
        carried_to: None,
        score: 0.0,
        cycle: window,
    });
    Ok(())
}
