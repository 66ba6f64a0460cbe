//! Domain events: what happened, as typed values. Every write of the application appends its
//! events to the outbox in its own transaction; notifications and integrations read them.
//! A pause by hand and a pause by a guardrail are the same event, with a different `by`.

use crate::actor::Actor;
use crate::ids::*;
use crate::okr::Confidence;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    CycleCreated {
        cycle: CycleId,
        name: String,
    },
    CycleActivated {
        cycle: CycleId,
    },
    CycleClosed {
        cycle: CycleId,
    },
    ObjectiveCreated {
        objective: ObjectiveId,
        cycle: CycleId,
        title: String,
    },
    ObjectiveActivated {
        objective: ObjectiveId,
    },
    ObjectivePaused {
        objective: ObjectiveId,
        by: Actor,
        reason: Option<String>,
    },
    ObjectiveResumed {
        objective: ObjectiveId,
        by: Actor,
    },
    ObjectiveClosed {
        objective: ObjectiveId,
    },
    ObjectiveRetired {
        objective: ObjectiveId,
        reason: String,
    },
    KeyResultCreated {
        key_result: KeyResultId,
        objective: ObjectiveId,
    },
    KeyResultKilled {
        key_result: KeyResultId,
        reason: String,
    },
    KeyResultCarriedForward {
        key_result: KeyResultId,
    },
    /// A key result's or a KPI's target moved (the target ledger of the roadmap reads these).
    TargetChanged {
        subject: TargetSubject,
        from: Option<f64>,
        to: Option<f64>,
    },
    CheckInRecorded {
        check_in: CheckInId,
        key_result: KeyResultId,
        objective: ObjectiveId,
        value: f64,
        confidence: Confidence,
        score: f64,
    },
    GuardrailTripped {
        kpi: KpiId,
        value: Option<f64>,
        threshold: Option<f64>,
    },
    GuardrailRecovered {
        kpi: KpiId,
        value: Option<f64>,
    },
    /// A KPI's latest period went from healthy or warning to breached.
    KpiBreached {
        kpi: KpiId,
        value: f64,
        attainment_pct: f64,
    },
    /// A breached KPI is out of breach again.
    KpiRecovered {
        kpi: KpiId,
        value: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TargetSubject {
    KeyResult(KeyResultId),
    Kpi(KpiId),
}

impl DomainEvent {
    /// The event's type as a word (`check_in_recorded`), stored beside it for filtering.
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::CycleCreated { .. } => "cycle_created",
            DomainEvent::CycleActivated { .. } => "cycle_activated",
            DomainEvent::CycleClosed { .. } => "cycle_closed",
            DomainEvent::ObjectiveCreated { .. } => "objective_created",
            DomainEvent::ObjectiveActivated { .. } => "objective_activated",
            DomainEvent::ObjectivePaused { .. } => "objective_paused",
            DomainEvent::ObjectiveResumed { .. } => "objective_resumed",
            DomainEvent::ObjectiveClosed { .. } => "objective_closed",
            DomainEvent::ObjectiveRetired { .. } => "objective_retired",
            DomainEvent::KeyResultCreated { .. } => "key_result_created",
            DomainEvent::KeyResultKilled { .. } => "key_result_killed",
            DomainEvent::KeyResultCarriedForward { .. } => "key_result_carried_forward",
            DomainEvent::TargetChanged { .. } => "target_changed",
            DomainEvent::CheckInRecorded { .. } => "check_in_recorded",
            DomainEvent::GuardrailTripped { .. } => "guardrail_tripped",
            DomainEvent::GuardrailRecovered { .. } => "guardrail_recovered",
            DomainEvent::KpiBreached { .. } => "kpi_breached",
            DomainEvent::KpiRecovered { .. } => "kpi_recovered",
        }
    }
}

/// The event of an objective's status change, the same whoever (or whatever) made it.
pub fn objective_status_event(
    objective: ObjectiveId,
    from: crate::okr::ObjectiveStatus,
    to: crate::okr::ObjectiveStatus,
    by: &Actor,
    reason: Option<&str>,
) -> DomainEvent {
    use crate::okr::ObjectiveStatus::*;
    match (from, to) {
        (Paused, Active) => DomainEvent::ObjectiveResumed { objective, by: by.clone() },
        (_, Active) => DomainEvent::ObjectiveActivated { objective },
        (_, Paused) => DomainEvent::ObjectivePaused { objective, by: by.clone(), reason: reason.map(str::to_owned) },
        (_, Closed) => DomainEvent::ObjectiveClosed { objective },
        (_, Retired) => DomainEvent::ObjectiveRetired { objective, reason: reason.unwrap_or_default().to_owned() },
        (_, Draft) => DomainEvent::ObjectiveActivated { objective },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okr::ObjectiveStatus;

    #[test]
    fn a_pause_is_a_pause_whoever_makes_it() {
        let o = ObjectiveId(uuid::Uuid::from_u128(1));
        let kpi = KpiId(uuid::Uuid::from_u128(2));
        let by_hand = objective_status_event(o, ObjectiveStatus::Active, ObjectiveStatus::Paused, &Actor::Api, None);
        let by_guardrail = objective_status_event(
            o,
            ObjectiveStatus::Active,
            ObjectiveStatus::Paused,
            &Actor::Guardrail { kpi },
            Some("refund rate 1.5"),
        );
        assert_eq!((by_hand.kind(), by_guardrail.kind()), ("objective_paused", "objective_paused"));
        let resumed = objective_status_event(o, ObjectiveStatus::Paused, ObjectiveStatus::Active, &Actor::Api, None);
        assert_eq!(resumed.kind(), "objective_resumed");
        let json = serde_json::to_value(&by_guardrail).unwrap();
        assert_eq!(json["type"], "objective_paused");
        assert_eq!(json["by"]["kind"], "guardrail");
        assert_eq!(serde_json::from_value::<DomainEvent>(json).unwrap(), by_guardrail);
    }
}
