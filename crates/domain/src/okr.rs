//! The states of objectives, key results, check-ins and initiatives, and the moves allowed
//! between them.

use crate::{DomainError, word_enum};

word_enum!(
    /// draft → active ⇄ paused → closed; any state but retired → retired (with a reason).
    ObjectiveStatus {
        Draft = "draft",
        Active = "active",
        /// Paused by hand or by a tripped guardrail; resumes to active.
        Paused = "paused",
        Closed = "closed",
        /// Replaced or abandoned mid-cycle, with a written reason.
        Retired = "retired",
    }
);

impl ObjectiveStatus {
    pub fn can_move_to(self, to: ObjectiveStatus) -> bool {
        use ObjectiveStatus::*;
        match (self, to) {
            (Draft, Active) | (Active, Paused) | (Paused, Active) | (Active, Closed) | (Paused, Closed) => true,
            (Retired, _) => false,
            (_, Retired) => true,
            _ => false,
        }
    }

    pub fn transition(self, to: ObjectiveStatus) -> Result<ObjectiveStatus, DomainError> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition { entity: "objective", from: self.as_str(), to: to.as_str() })
        }
    }

    /// Only retiring needs a written reason; pausing may carry one.
    pub fn needs_reason(self) -> bool {
        self == ObjectiveStatus::Retired
    }
}

word_enum!(
    /// Only active key results count in the objective's score.
    KeyResultStatus {
        Active = "active",
        /// Stopped mid-cycle with a written reason.
        Killed = "killed",
        /// Moved on to the next cycle at quarter end.
        CarriedForward = "carried_forward",
    }
);

impl KeyResultStatus {
    pub fn transition(self, to: KeyResultStatus) -> Result<KeyResultStatus, DomainError> {
        if self == KeyResultStatus::Active && to != KeyResultStatus::Active {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition { entity: "key result", from: self.as_str(), to: to.as_str() })
        }
    }

    pub fn counts_in_score(self) -> bool {
        self == KeyResultStatus::Active
    }
}

word_enum!(
    /// What becomes of a key result at the cycle's end (METHOD.md §4): carried into the next
    /// cycle from where it landed, retired, or retired into a KPI whose target and baseline
    /// are the level it reached (§5.2).
    QuarterEndDecision { CarryForward = "carry_forward", Retire = "retire", RetireIntoKpi = "retire_into_kpi" }
);

word_enum!(
    /// The owner's confidence at a check-in.
    Confidence { OnTrack = "on_track", AtRisk = "at_risk", OffTrack = "off_track" }
);

word_enum!(
    /// Work under a key result: tracked, never scored.
    InitiativeKind { Project = "project", Experiment = "experiment", Task = "task" }
);

word_enum!(
    InitiativeStatus { Planned = "planned", InProgress = "in_progress", Done = "done", Dropped = "dropped" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_moves() {
        use ObjectiveStatus::*;
        assert!(Draft.transition(Active).is_ok());
        assert!(Active.transition(Paused).is_ok());
        assert!(Paused.transition(Active).is_ok());
        assert!(Closed.transition(Retired).is_ok());
        assert!(Retired.transition(Active).is_err());
        assert!(Draft.transition(Paused).is_err());
        assert!(Closed.transition(Active).is_err());
    }

    #[test]
    fn key_result_moves_only_from_active() {
        assert!(KeyResultStatus::Active.transition(KeyResultStatus::Killed).is_ok());
        assert!(KeyResultStatus::Killed.transition(KeyResultStatus::Active).is_err());
        assert!(KeyResultStatus::Killed.transition(KeyResultStatus::CarriedForward).is_err());
    }
}

/// An objective's score: the weighted mean of its active key results (METHOD.md §3);
/// zero while it has none.
pub fn objective_score<I>(key_results: I) -> crate::scoring::Score
where
    I: IntoIterator<Item = (KeyResultStatus, crate::scoring::Score, crate::scoring::Weight)>,
{
    crate::scoring::weighted_mean(
        key_results.into_iter().filter(|(status, _, _)| status.counts_in_score()).map(|(_, s, w)| (s, w)),
    )
    .unwrap_or(crate::scoring::Score::ZERO)
}

#[cfg(test)]
mod score_tests {
    use super::*;
    use crate::scoring::{Score, Weight};

    #[test]
    fn killed_key_results_do_not_count() {
        let s = objective_score([
            (KeyResultStatus::Active, Score::clamped(0.5), Weight::ONE),
            (KeyResultStatus::Killed, Score::ZERO, Weight::ONE),
        ]);
        assert_eq!(s.value(), 0.5);
        assert_eq!(objective_score([]).value(), 0.0);
    }
}

/// What a check-in needs to know of its key result and cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckInSubject {
    pub kind: crate::scoring::KeyResultKind,
    pub status: KeyResultStatus,
    pub measure: crate::scoring::Measure,
    pub cycle_state: crate::cycle::CycleState,
    pub cycle_start: chrono::NaiveDate,
}

/// A check-in that passed the method's rules: its value, its time and the score it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AcceptedCheckIn {
    pub value: f64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub score: crate::scoring::Score,
}

/// How far ahead of the server's clock a check-in's time may be (clocks drift).
pub const CHECK_IN_CLOCK_SKEW_MINUTES: i64 = 5;

/// The rules of one check-in (METHOD.md §4): the cycle is running (late check-ins are
/// accepted after its end until it is closed), the key result is active, the time is
/// neither before the cycle's first day nor in the future, and the value fits the key
/// result. `at` defaults to `now`; `today_of` gives the organisation's calendar day of a time.
pub fn accept_check_in(
    subject: &CheckInSubject,
    value: f64,
    at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
    today_of: impl Fn(chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate,
) -> Result<AcceptedCheckIn, DomainError> {
    use crate::cycle::CycleState;
    match subject.cycle_state {
        CycleState::Closed => return Err(DomainError::CycleClosed),
        CycleState::Planning => return Err(DomainError::CycleNotStarted),
        CycleState::Active => {}
    }
    if subject.status != KeyResultStatus::Active {
        return Err(DomainError::KeyResultNotActive { status: subject.status.as_str() });
    }
    accept_past_check_in(subject, value, at.unwrap_or(now), now, today_of)
}

/// The rules of a check-in that is history (a plan or an import brings it, with its time):
/// the value fits the key result and the time is neither before the cycle's first day nor in
/// the future. The cycle and key result may have moved on since (closed, killed): the
/// check-in was made while they ran.
pub fn accept_past_check_in(
    subject: &CheckInSubject,
    value: f64,
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    today_of: impl Fn(chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate,
) -> Result<AcceptedCheckIn, DomainError> {
    let value = crate::scoring::check_value(subject.kind, "value", value)?;
    if at > now + chrono::Duration::minutes(CHECK_IN_CLOCK_SKEW_MINUTES) {
        return Err(DomainError::CheckInInFuture { at });
    }
    let day = today_of(at);
    if day < subject.cycle_start {
        return Err(DomainError::CheckInBeforeCycle { day, start: subject.cycle_start });
    }
    Ok(AcceptedCheckIn { value, at, score: crate::scoring::score_value(subject.kind, &subject.measure, value) })
}

/// A new objective starts as a draft or active.
pub fn initial_objective_status(status: ObjectiveStatus) -> Result<ObjectiveStatus, DomainError> {
    match status {
        ObjectiveStatus::Draft | ObjectiveStatus::Active => Ok(status),
        _ => Err(DomainError::InvalidInitialStatus),
    }
}

/// Checks a status change of an objective: the move is allowed, and retiring carries a reason.
pub fn change_objective_status(
    from: ObjectiveStatus,
    to: ObjectiveStatus,
    reason: Option<&str>,
) -> Result<ObjectiveStatus, DomainError> {
    let to = from.transition(to)?;
    if to.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(DomainError::Missing { field: "reason" });
    }
    Ok(to)
}

#[cfg(test)]
mod check_in_tests {
    use super::*;
    use crate::cycle::CycleState;
    use crate::scoring::{KeyResultKind, Measure};
    use chrono::{DateTime, NaiveDate, Utc};

    fn subject(state: CycleState, status: KeyResultStatus) -> CheckInSubject {
        CheckInSubject {
            kind: KeyResultKind::Metric,
            status,
            measure: Measure::new(32.0, 50.0, None).unwrap(),
            cycle_state: state,
            cycle_start: "2026-10-01".parse().unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn utc_day(t: DateTime<Utc>) -> NaiveDate {
        t.date_naive()
    }

    #[test]
    fn the_nps_check_in_is_accepted_and_scored() {
        let a = accept_check_in(&subject(CycleState::Active, KeyResultStatus::Active), 41.0, None, now(), utc_day);
        let a = a.unwrap();
        assert_eq!((a.value, a.at, a.score.value()), (41.0, now(), 0.5));
    }

    #[test]
    fn each_rule_refuses_with_its_own_error() {
        let active = subject(CycleState::Active, KeyResultStatus::Active);
        let cases = [
            (subject(CycleState::Closed, KeyResultStatus::Active), None, DomainError::CycleClosed),
            (subject(CycleState::Planning, KeyResultStatus::Active), None, DomainError::CycleNotStarted),
            (
                subject(CycleState::Active, KeyResultStatus::Killed),
                None,
                DomainError::KeyResultNotActive { status: "killed" },
            ),
            (
                active,
                Some(now() + chrono::Duration::hours(1)),
                DomainError::CheckInInFuture { at: now() + chrono::Duration::hours(1) },
            ),
            (
                active,
                Some("2026-09-30T23:00:00Z".parse().unwrap()),
                DomainError::CheckInBeforeCycle {
                    day: "2026-09-30".parse().unwrap(),
                    start: "2026-10-01".parse().unwrap(),
                },
            ),
        ];
        for (s, at, want) in cases {
            assert_eq!(accept_check_in(&s, 41.0, at, now(), utc_day), Err(want));
        }
        assert!(accept_check_in(&active, f64::NAN, None, now(), utc_day).is_err());
        // A time zone ahead of UTC puts 23:00 UTC on the cycle's first day: accepted.
        let oslo = |t: DateTime<Utc>| (t + chrono::Duration::hours(1)).date_naive();
        assert!(accept_check_in(&active, 41.0, Some("2026-09-30T23:00:00Z".parse().unwrap()), now(), oslo).is_ok());
    }

    #[test]
    fn objective_status_changes() {
        assert_eq!(initial_objective_status(ObjectiveStatus::Paused), Err(DomainError::InvalidInitialStatus));
        assert_eq!(
            change_objective_status(ObjectiveStatus::Active, ObjectiveStatus::Retired, Some(" ")),
            Err(DomainError::Missing { field: "reason" })
        );
        assert_eq!(
            change_objective_status(ObjectiveStatus::Active, ObjectiveStatus::Paused, None),
            Ok(ObjectiveStatus::Paused)
        );
    }
}
