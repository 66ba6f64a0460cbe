//! Builds a demo organisation as a [`Plan`]: domain values that name each other by natural
//! key (unit slugs, e-mails, objective and key-result keys), loaded through the application
//! layer like any other plan. The builder hands out small handles (indexes into the plan) so
//! the demo scripts can link what they create.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use quarterdeck_app::plan::*;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;

/// SplitMix64: small, fast, and the same numbers on every machine and version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a key result's check-ins look like: how far along it is by today, and optionally
/// the exact latest value.
#[derive(Clone, Copy)]
pub struct Trajectory {
    pub progress_today: f64,
    pub last_value: Option<f64>,
    pub decimals: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitRef(usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonRef(usize);
/// A cycle of the plan, with what the demo scripts need to know of it.
#[derive(Clone, Copy, Debug)]
pub struct CycleRef {
    index: usize,
    pub dates: CycleDates,
    pub state: CycleState,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectiveRef {
    cycle: usize,
    index: usize,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyResultRef {
    objective: ObjectiveRef,
    index: usize,
}

pub struct Builder {
    pub plan: Plan,
    pub rng: Rng,
    pub now: DateTime<Utc>,
    /// Keys taken per cycle: objectives, key results.
    keys: Vec<(KeyRing, KeyRing)>,
}

const NOTES_ON_TRACK: &[&str] = &[
    "Keep the weekly experiment cadence.",
    "Rolling the change out to the next segment.",
    "Doubling down on what moved the number last week.",
    "Instrumentation fixed; numbers are trustworthy now.",
];
const NOTES_AT_RISK: &[&str] = &[
    "Blocked on data access; escalating on Monday.",
    "First test inconclusive, re-running with more traffic.",
    "Need a decision on scope from the product lead.",
    "Hiring gap slows us down; borrowing one engineer.",
];
const NOTES_OFF_TRACK: &[&str] = &[
    "Baseline was wrong; proposing a re-forecast at mid-cycle.",
    "Lost two weeks to an incident; re-planning the quarter.",
    "The lever we picked does not move the metric; trying another.",
];

/// Demo text is written here, so it is known to fit; a misfit is a bug of the demo.
fn text<T>(parsed: Result<T, quarterdeck_domain::DomainError>) -> T {
    parsed.expect("demo data fits the domain's rules")
}

impl Builder {
    pub fn new(seed: u64, now: DateTime<Utc>) -> Self {
        Builder { plan: Plan::default(), rng: Rng::new(seed), now, keys: Vec::new() }
    }

    pub fn unit(&mut self, slug: &str, name: &str, kind: UnitKind, parent: Option<UnitRef>) -> UnitRef {
        let parent = parent.map(|p| self.plan.units[p.0].slug.clone());
        self.plan.units.push(PlanUnit {
            slug: text(Slug::parse("slug", slug)),
            name: text(Name::parse("name", name)),
            kind,
            parent,
        });
        UnitRef(self.plan.units.len() - 1)
    }

    fn email(&self, person: PersonRef) -> Email {
        self.plan.people[person.0].email.clone()
    }

    fn slug(&self, unit: UnitRef) -> Slug {
        self.plan.units[unit.0].slug.clone()
    }

    pub fn person(&mut self, name: &str, email: &str, unit: Option<UnitRef>, manager: Option<PersonRef>) -> PersonRef {
        let person = PlanPerson {
            email: text(Email::parse("email", email)),
            name: text(Name::parse("name", name)),
            unit: unit.map(|u| self.slug(u)),
            manager: manager.map(|m| self.email(m)),
        };
        self.plan.people.push(person);
        PersonRef(self.plan.people.len() - 1)
    }

    pub fn cycle(&mut self, name: &str, kind: CycleKind, dates: CycleDates, state: CycleState) -> CycleRef {
        self.plan.cycles.push(PlanCycle {
            name: text(Title::parse("name", name)),
            kind,
            dates,
            state,
            objectives: Vec::new(),
            alignments: Vec::new(),
        });
        self.keys.push(Default::default());
        CycleRef { index: self.plan.cycles.len() - 1, dates, state }
    }

    fn objective_mut(&mut self, o: ObjectiveRef) -> &mut PlanObjective {
        &mut self.plan.cycles[o.cycle].objectives[o.index]
    }

    fn key_result_mut(&mut self, kr: KeyResultRef) -> &mut PlanKeyResult {
        &mut self.objective_mut(kr.objective).key_results[kr.index]
    }

    #[allow(clippy::too_many_arguments)]
    pub fn objective(
        &mut self,
        cycle: &CycleRef,
        title: &str,
        description: &str,
        owner: PersonRef,
        unit: Option<UnitRef>,
        kind: ObjectiveKind,
        status: ObjectiveStatus,
        status_reason: Option<&str>,
    ) -> ObjectiveRef {
        let key = self.keys[cycle.index].0.allocate(title, "objective");
        let objective = PlanObjective {
            key,
            title: text(Title::parse("title", title)),
            description: text(LongText::parse("description", description)),
            owner: self.email(owner),
            unit: unit.map(|u| self.slug(u)),
            kind,
            status,
            status_reason: status_reason.map(|r| text(Reason::parse("status_reason", r))),
            key_results: Vec::new(),
        };
        let objectives = &mut self.plan.cycles[cycle.index].objectives;
        objectives.push(objective);
        ObjectiveRef { cycle: cycle.index, index: objectives.len() - 1 }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn key_result(
        &mut self,
        objective: ObjectiveRef,
        title: &str,
        unit_of_measure: &str,
        kind: KeyResultKind,
        (baseline, target, tolerance): (f64, f64, Option<f64>),
        weight: f64,
        owner: Option<PersonRef>,
    ) -> KeyResultRef {
        let key = self.keys[objective.cycle].1.allocate(title, "kr");
        let kr = PlanKeyResult {
            key,
            title: text(Title::parse("title", title)),
            kind,
            unit_of_measure: text(UnitOfMeasure::parse("unit_of_measure", unit_of_measure)),
            measure: text(Measure::for_kind(kind, baseline, target, tolerance)),
            weight: text(Weight::new("weight", weight)),
            owner: owner.map(|p| self.email(p)),
            status: KeyResultStatus::Active,
            status_reason: None,
            check_ins: Vec::new(),
            initiatives: Vec::new(),
        };
        let krs = &mut self.objective_mut(objective).key_results;
        krs.push(kr);
        KeyResultRef { objective, index: krs.len() - 1 }
    }

    pub fn kill(&mut self, kr: KeyResultRef, reason: &str) {
        let k = self.key_result_mut(kr);
        k.status = KeyResultStatus::Killed;
        k.status_reason = Some(text(Reason::parse("status_reason", reason)));
    }

    pub fn align(
        &mut self,
        child: ObjectiveRef,
        parent: ObjectiveRef,
        parent_kr: Option<KeyResultRef>,
        kind: LinkKind,
        weight: f64,
    ) {
        let cycle = &self.plan.cycles[child.cycle];
        let link = PlanAlignment {
            child: cycle.objectives[child.index].key.clone(),
            parent: cycle.objectives[parent.index].key.clone(),
            parent_key_result: parent_kr.map(|k| cycle.objectives[k.objective.index].key_results[k.index].key.clone()),
            kind,
            weight: text(Weight::new("weight", weight)),
        };
        self.plan.cycles[child.cycle].alignments.push(link);
    }

    pub fn initiative(
        &mut self,
        kr: KeyResultRef,
        title: &str,
        kind: InitiativeKind,
        status: InitiativeStatus,
        owner: Option<PersonRef>,
    ) {
        let initiative = PlanInitiative {
            title: text(Title::parse("title", title)),
            kind,
            status,
            owner: owner.map(|p| self.email(p)),
        };
        self.key_result_mut(kr).initiatives.push(initiative);
    }

    /// Weekly check-ins from the cycle's first week up to today, moving from the baseline
    /// towards `progress_today` of the way to the target, with some noise.
    #[allow(clippy::too_many_arguments)]
    pub fn check_ins(
        &mut self,
        cycle: &CycleRef,
        kr: KeyResultRef,
        kind: KeyResultKind,
        (baseline, target): (f64, f64),
        trajectory: Trajectory,
        author: Option<PersonRef>,
        today: NaiveDate,
        max_weeks: usize,
    ) {
        let dates = cycle.dates;
        let author = author.map(|p| self.email(p));
        let last_day = today.min(dates.end() + Duration::days(3));
        let weeks: Vec<NaiveDate> = (1..=max_weeks as i64)
            .map(|w| dates.start() + Duration::days(7 * w - 1))
            .filter(|d| *d <= last_day)
            .collect();
        let n = weeks.len();
        let elapsed_today = dates.elapsed_share(last_day).max(1e-9);
        let mut check_ins = Vec::with_capacity(n);
        for (i, day) in weeks.iter().enumerate() {
            let share_of_now = dates.elapsed_share(*day) / elapsed_today;
            let noise = if i + 1 == n { 0.0 } else { (self.rng.unit() - 0.5) * 0.08 };
            let progress = (trajectory.progress_today * share_of_now + noise).clamp(-0.1, 1.15);
            let mut value = match kind {
                KeyResultKind::Milestone => {
                    if trajectory.progress_today >= 1.0 && i + 1 == n {
                        1.0
                    } else {
                        0.0
                    }
                }
                KeyResultKind::Metric => round(baseline + (target - baseline) * progress, trajectory.decimals),
            };
            if i + 1 == n
                && let Some(v) = trajectory.last_value
            {
                value = v;
            }
            let expected = dates.elapsed_share(*day);
            let gap = expected - progress;
            let (confidence, notes) = if gap <= 0.1 {
                (Confidence::OnTrack, NOTES_ON_TRACK)
            } else if gap <= 0.25 {
                (Confidence::AtRisk, NOTES_AT_RISK)
            } else {
                (Confidence::OffTrack, NOTES_OFF_TRACK)
            };
            let note: &&str = self.rng.pick(notes);
            let note = text(Note::parse("note", note));
            let at = (day.and_hms_opt(9, 0, 0).expect("valid time").and_utc()).min(self.now - Duration::minutes(1));
            check_ins.push(PlanCheckIn { at, value, confidence, note, author: author.clone() });
        }
        self.key_result_mut(kr).check_ins.extend(check_ins);
    }
}

fn round(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f
}
