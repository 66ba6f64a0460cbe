//! The coach (METHOD.md §6): quality rules over a cycle's OKRs, each with a stable id, a
//! severity, a message that says what is wrong and how to fix it, and the record it is about.
//!
//! The rules read plain values ([`review::CycleFacts`]), never storage, so the same rules can
//! judge a cycle in the database, a draft typed into a form, or (later) a file of goals.

pub mod alignment_review;
pub mod policy;
pub mod review;
pub mod wording;

use crate::word_enum;
use serde::Serialize;

word_enum!(
    /// How much a finding matters: errors fail `quarterdeck lint` and ask for confirmation
    /// before a cycle is activated; warnings and notes never block anything.
    Severity { Error = "error", Warning = "warning", Info = "info" }
);

word_enum!(
    /// The catalogue of rules. The words are stable: scripts filter on them and policies
    /// switch them off by name.
    RuleId {
        /// An objective is qualitative: the number belongs in a key result.
        ObjectiveNumber = "objective-number",
        /// "Launch the mobile app" is a task, not a direction.
        ObjectiveTask = "objective-task",
        /// More objectives in a team than the policy allows.
        TooManyObjectives = "too-many-objectives",
        /// An objective with no key result cannot be scored.
        NoKeyResults = "no-key-results",
        TooFewKeyResults = "too-few-key-results",
        TooManyKeyResults = "too-many-key-results",
        /// A key result always starts from a baseline ("from X to Y").
        KrNoBaseline = "kr-no-baseline",
        /// "Conduct 20 interviews": effort, not outcome.
        KrTask = "kr-task",
        /// "Maintain …": a KPI in disguise.
        KrMaintain = "kr-maintain",
        /// "Maximize …", or no target at all.
        KrNoTarget = "kr-no-target",
        /// "TBD", "xx", "???": a placeholder.
        KrPlaceholder = "kr-placeholder",
        /// A key result whose words state nothing a number could verify.
        KrUnmeasurable = "kr-unmeasurable",
        KrNoOwner = "kr-no-owner",
        /// Typed in by hand rather than measured from a KPI.
        KrNoSource = "kr-no-source",
        /// A speed or volume KPI without its quality counterweight.
        KpiNoCounterweight = "kpi-no-counterweight",
        /// Bonus, pay or compensation tied to an OKR.
        OkrInPay = "okr-in-pay",
        /// No check-in for the policy's number of weeks: the OKR is dead.
        Stale = "stale",
        /// A team under the policy's size running formal OKRs.
        SmallTeam = "small-team",
        /// An objective rewritten more often than the policy allows mid-cycle.
        Rewritten = "rewritten",
    }
);

impl RuleId {
    /// Each rule's severity is part of the catalogue, not of a policy: a policy may switch a
    /// rule off or move its numbers, never make an error a note.
    pub fn severity(self) -> Severity {
        use RuleId::*;
        match self {
            NoKeyResults | KrNoBaseline | KrNoTarget | KrPlaceholder | OkrInPay => Severity::Error,
            KrNoSource | SmallTeam => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

word_enum!(
    /// What kind of record a finding points at.
    SubjectKind { Cycle = "cycle", Unit = "unit", Objective = "objective", KeyResult = "key_result", Kpi = "kpi" }
);

/// The record a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
    /// The record's title or name, so a reader does not need a second lookup.
    pub title: String,
}

/// One thing the coach noticed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub subject: Subject,
    /// What is wrong, naming the words or numbers at fault.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl Finding {
    pub fn new(rule: RuleId, subject: Subject, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { rule, severity: rule.severity(), subject, message: message.into(), fix: fix.into() }
    }
}

/// How many findings of each severity: what `lint` exits on and what a page headline shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Tally {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Tally {
        let mut t = Tally::default();
        for f in findings {
            match f.severity {
                Severity::Error => t.errors += 1,
                Severity::Warning => t.warnings += 1,
                Severity::Info => t.infos += 1,
            }
        }
        t
    }
}
