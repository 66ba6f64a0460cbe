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
