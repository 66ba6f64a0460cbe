use thiserror::Error;

/// A rule of the method was broken by an input. Each variant names the field at fault so
/// the API and the CLI can point at it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} must be a finite number")]
    NotFinite { field: &'static str },
    #[error("{field} must be greater than zero")]
    NotPositive { field: &'static str },
    #[error("{field} must not be negative")]
    Negative { field: &'static str },
    #[error("target must differ from the baseline ({baseline}): a key result has to move something")]
    TargetEqualsBaseline { baseline: f64 },
    #[error("a milestone key result goes from 0 (not done) to 1 (done); {field} must be 0 or 1")]
    MilestoneNotBinary { field: &'static str },
    #[error("the cycle ends ({end}) before it starts ({start})")]
    CycleEndsBeforeStart { start: chrono::NaiveDate, end: chrono::NaiveDate },
    #[error("a custom cycle needs an end date")]
    CycleNeedsEnd,
    #[error("{field} is not a valid e-mail address")]
    InvalidEmail { field: &'static str },
    #[error("{field} may hold only lower-case letters, digits and '-'")]
    InvalidSlug { field: &'static str },
    #[error("{entity} cannot move from {from} to {to}")]
    InvalidTransition { entity: &'static str, from: &'static str, to: &'static str },
    #[error("an objective cannot align to itself")]
    SelfAlignment,
    #[error("this alignment would make a loop: the parent already aligns (directly or not) to the child")]
    AlignmentCycle,
    #[error("range_low is above range_high")]
    RangeInverted,
    #[error("a healthy range (range_low, range_high) needs direction within_range; give a target otherwise")]
    RangeNeedsWithinRange,
    #[error("key may hold only lower-case letters, digits and '_', and starts with a letter (formulas use it)")]
    InvalidKey,
    #[error("formula: {0}")]
    Formula(#[from] crate::kpi::formula::FormulaError),
    #[error("this edge would make a loop in the KPI tree")]
    TreeCycle,
    #[error("a KPI cannot drive itself")]
    SelfEdge,
    #[error("timestamp is out of range: measurements are accepted from 1970 to one day from now")]
    TimestampOutOfRange,
}

impl DomainError {
    /// A stable machine-readable code, part of the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Empty { .. } => "empty",
            DomainError::TooLong { .. } => "too_long",
            DomainError::NotFinite { .. } => "not_finite",
            DomainError::NotPositive { .. } => "not_positive",
            DomainError::Negative { .. } => "negative",
            DomainError::TargetEqualsBaseline { .. } => "kr_target_equals_baseline",
            DomainError::MilestoneNotBinary { .. } => "milestone_not_binary",
            DomainError::CycleEndsBeforeStart { .. } => "cycle_ends_before_start",
            DomainError::CycleNeedsEnd => "cycle_needs_end",
            DomainError::InvalidEmail { .. } => "invalid_email",
            DomainError::InvalidSlug { .. } => "invalid_slug",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::SelfAlignment => "self_alignment",
            DomainError::AlignmentCycle => "alignment_cycle",
            DomainError::RangeInverted => "range_inverted",
            DomainError::RangeNeedsWithinRange => "range_needs_within_range",
            DomainError::InvalidKey => "invalid_key",
            DomainError::Formula(f) => f.code(),
            DomainError::TreeCycle => "kpi_tree_cycle",
            DomainError::SelfEdge => "kpi_self_edge",
            DomainError::TimestampOutOfRange => "timestamp_out_of_range",
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Empty { field }
            | DomainError::TooLong { field, .. }
            | DomainError::NotFinite { field }
            | DomainError::NotPositive { field }
            | DomainError::Negative { field }
            | DomainError::MilestoneNotBinary { field }
            | DomainError::InvalidEmail { field }
            | DomainError::InvalidSlug { field } => Some(field),
            DomainError::TargetEqualsBaseline { .. } => Some("target"),
            DomainError::CycleEndsBeforeStart { .. } | DomainError::CycleNeedsEnd => Some("end"),
            DomainError::InvalidTransition { .. } => Some("status"),
            DomainError::SelfAlignment | DomainError::AlignmentCycle => Some("parent"),
            DomainError::RangeInverted => Some("range_low"),
            DomainError::RangeNeedsWithinRange => Some("direction"),
            DomainError::InvalidKey => Some("key"),
            DomainError::Formula(_) => Some("formula"),
            DomainError::TreeCycle | DomainError::SelfEdge => Some("child_id"),
            DomainError::TimestampOutOfRange => Some("at"),
        }
    }
}

/// A finite number, or the error naming `field`.
pub fn finite(field: &'static str, value: f64) -> Result<f64, DomainError> {
    if value.is_finite() { Ok(value) } else { Err(DomainError::NotFinite { field }) }
}
