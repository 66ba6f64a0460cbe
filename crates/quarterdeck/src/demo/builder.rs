//! Builds a `Snapshot` record by record. Derived numbers (scores, roll-ups) are left at zero:
//! the store derives them on import.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{Direction, KeyResultKind, ObjectiveKind};
use quarterdeck_store::records::*;
use quarterdeck_store::snapshot::Snapshot;
use uuid::Uuid;

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

pub struct Builder {
    pub snap: Snapshot,
    pub rng: Rng,
    millis: u64,
    pub now: DateTime<Utc>,
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

impl Builder {
    pub fn new(seed: u64, now: DateTime<Utc>) -> Self {
        // Ids are time-ordered (v7) from a fixed clock, so lists page in creation order.
        Builder { snap: Snapshot::default(), rng: Rng::new(seed), millis: 1_700_000_000_000, now }
    }

    fn id(&mut self) -> Uuid {
        self.millis += 1;
        let random = self.rng.next_u64().to_le_bytes();
        let more = self.rng.next_u64().to_le_bytes();
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&random);
        bytes[8..].copy_from_slice(&more[..2]);
        uuid::Builder::from_unix_timestamp_millis(self.millis, &bytes).into_uuid()
    }

    pub fn unit(&mut self, slug: &str, name: &str, kind: UnitKind, parent_id: Option<UnitId>) -> UnitId {
        let id = UnitId(self.id());
        let now = self.now;
        self.snap.units.push(Unit {
            id,
            version: 1,
            created_at: now,
            updated_at: now,
            slug: slug.into(),
            name: name.into(),
            kind,
            parent_id,
        });
        id
    }

    pub fn person(
        &mut self,
        name: &str,
        email: &str,
        unit_id: Option<UnitId>,
        manager_id: Option<PersonId>,
    ) -> PersonId {
        let id = PersonId(self.id());
        let now = self.now;
        self.snap.people.push(Person {
            id,
            version: 1,
            created_at: now,
            updated_at: now,
            name: name.into(),
            email: email.into(),
            unit_id,
            manager_id,
        });
        id
    }

    pub fn cycle(&mut self, name: &str, kind: CycleKind, dates: CycleDates, state: CycleState) -> Cycle {
        let now = self.now;
        let cycle = Cycle {
            id: CycleId(self.id()),
            version: 1,
            created_at: now,
            updated_at: now,
            name: name.into(),
            kind,
            start: dates.start(),
            end: dates.end(),
            state,
        };
        self.snap.cycles.push(cycle.clone());
        cycle
    }

    #[allow(clippy::too_many_arguments)]
    pub fn objective(
        &mut self,
        cycle: &Cycle,
        title: &str,
        description: &str,
        owner_id: PersonId,
        unit_id: Option<UnitId>,
        kind: ObjectiveKind,
        status: ObjectiveStatus,
        status_reason: Option<&str>,
    ) -> ObjectiveId {
        let id = ObjectiveId(self.id());
        let now = self.now;
        self.snap.objectives.push(Objective {
            id,
            key: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            cycle_id: cycle.id,
            title: title.into(),
            description: description.into(),
            owner_id,
            unit_id,
            kind,
            status,
            status_reason: status_reason.map(Into::into),
            score: 0.0,
            rollup: None,
            key_result_count: 0,
            cycle: CycleWindow { start: cycle.start, end: cycle.end, state: cycle.state },
        });
        id
    }

    #[allow(clippy::too_many_arguments)]
    pub fn key_result(
        &mut self,
        cycle: &Cycle,
        objective_id: ObjectiveId,
        title: &str,
        unit_of_measure: &str,
        kind: KeyResultKind,
        (baseline, target, tolerance): (f64, f64, Option<f64>),
        weight: f64,
        owner_id: Option<PersonId>,
    ) -> KeyResultId {
        let id = KeyResultId(self.id());
        let now = self.now;
        self.snap.key_results.push(KeyResult {
            id,
            key: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            objective_id,
            title: title.into(),
            kind,
            unit_of_measure: unit_of_measure.into(),
            baseline,
            target,
            tolerance,
            direction: if target > baseline { Direction::Increase } else { Direction::Decrease },
            weight,
            owner_id,
            status: KeyResultStatus::Active,
            status_reason: None,
            kpi_id: None,
            current_value: None,
            confidence: None,
            last_check_in_at: None,
            score: 0.0,
            cycle: CycleWindow { start: cycle.start, end: cycle.end, state: cycle.state },
        });
        id
    }

    pub fn kill(&mut self, kr: KeyResultId, reason: &str) {
        if let Some(k) = self.snap.key_results.iter_mut().find(|k| k.id == kr) {
            k.status = KeyResultStatus::Killed;
            k.status_reason = Some(reason.into());
        }
    }

    pub fn align(
        &mut self,
        child_id: ObjectiveId,
        parent: ObjectiveId,
        parent_kr: Option<KeyResultId>,
        kind: LinkKind,
        weight: f64,
    ) {
        let id = AlignmentId(self.id());
        let now = self.now;
        self.snap.alignments.push(Alignment {
            id,
            version: 1,
            created_at: now,
            updated_at: now,
            child_id,
            parent_objective_id: parent,
            parent_key_result_id: parent_kr,
            kind,
            weight,
        });
    }

    pub fn initiative(
        &mut self,
        kr: KeyResultId,
        title: &str,
        kind: InitiativeKind,
        status: InitiativeStatus,
        owner: Option<PersonId>,
    ) {
        let id = InitiativeId(self.id());
        let now = self.now;
        self.snap.initiatives.push(Initiative {
            id,
            version: 1,
            created_at: now,
            updated_at: now,
            key_result_id: kr,
            title: title.into(),
            kind,
            status,
            owner_id: owner,
            link: None,
        });
    }

    /// Weekly check-ins from the cycle's first week up to today, moving from the baseline
    /// towards `progress_today` of the way to the target, with some noise.
    #[allow(clippy::too_many_arguments)]
    pub fn check_ins(
        &mut self,
        cycle: &Cycle,
        kr: KeyResultId,
        kind: KeyResultKind,
        (baseline, target): (f64, f64),
        trajectory: Trajectory,
        author: Option<PersonId>,
        today: NaiveDate,
        max_weeks: usize,
    ) {
        let dates = cycle.dates();
        let last_day = today.min(dates.end() + Duration::days(3));
        let weeks: Vec<NaiveDate> = (1..=max_weeks as i64)
            .map(|w| dates.start() + Duration::days(7 * w - 1))
            .filter(|d| *d <= last_day)
            .collect();
        let n = weeks.len();
        let elapsed_today = dates.elapsed_share(last_day).max(1e-9);
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
            let note = (*self.rng.pick(notes)).to_owned();
            let at = (day.and_hms_opt(9, 0, 0).expect("valid time").and_utc()).min(self.now - Duration::minutes(1));
            let id = CheckInId(self.id());
            self.snap.check_ins.push(CheckIn {
                id,
                key_result_id: kr,
                value,
                confidence,
                note,
                author_id: author,
                at,
                created_at: at,
            });
        }
    }
}

fn round(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f
}
