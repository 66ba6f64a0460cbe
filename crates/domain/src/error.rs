//! Errors of the method, and the one catalogue of error codes.
//!
//! [`Code`] lists every machine-readable code an answer of Quarterdeck can carry: the codes of
//! the method's rules, of stored state (not found, version conflicts) and of requests
//! (malformed JSON, bad paging). Its `as_str()` is the API contract; front ends map a code's
//! [`Kind`] to their own answer (an HTTP status, an exit code).

use crate::word_enum;
use thiserror::Error;

word_enum!(
    /// Every error code Quarterdeck answers with. Stable: clients match on these words.
    Code {
        // Values and text
        Empty = "empty",
        Missing = "missing_field",
        TooLong = "too_long",
        ControlCharacter = "control_character",
        NotFinite = "not_finite",
        NotPositive = "not_positive",
        Negative = "negative",
        OutOfRange = "out_of_range",
        InvalidEmail = "invalid_email",
        InvalidSlug = "invalid_slug",
        InvalidKey = "invalid_key",
        InvalidLink = "invalid_link",
        InvalidUrl = "invalid_url",
        InvalidTransition = "invalid_transition",
        InvalidInitialStatus = "invalid_initial_status",
        InvalidInitialState = "invalid_initial_state",
        InvalidTimeZone = "invalid_time_zone",
        // OKRs
        KrTargetEqualsBaseline = "kr_target_equals_baseline",
        MilestoneNotBinary = "milestone_not_binary",
        CycleEndsBeforeStart = "cycle_ends_before_start",
        CycleNeedsEnd = "cycle_needs_end",
        CycleClosed = "cycle_closed",
        CycleNotStarted = "cycle_not_started",
        NoCurrentCycle = "no_current_cycle",
        KeyResultNotActive = "key_result_not_active",
        AlreadyCarriedForward = "already_carried_forward",
        NoNextCycle = "no_next_cycle",
        CheckInInFuture = "check_in_in_future",
        CheckInBeforeCycle = "check_in_before_cycle",
        SelfAlignment = "self_alignment",
        AlignmentCycle = "alignment_cycle",
        AlignmentParent = "alignment_parent",
        UnitCycle = "unit_cycle",
        ManagerCycle = "manager_cycle",
        BaselineUnknown = "baseline_unknown",
        NotLinked = "not_linked",
        // KPIs
        RangeInverted = "range_inverted",
        RangeNeedsWithinRange = "range_needs_within_range",
        BoundsInverted = "bounds_inverted",
        FormulaSyntax = "formula_syntax",
        FormulaUnknownName = "formula_unknown_name",
        FormulaDivisionByZero = "formula_division_by_zero",
        FormulaSelfReference = "formula_self_reference",
        FormulaCycle = "formula_cycle",
        FormulaMissingValue = "formula_missing_value",
        FormulaTooLong = "formula_too_long",
        FormulaAggregation = "formula_aggregation",
        FormulaMissing = "formula_missing",
        KpiTreeCycle = "kpi_tree_cycle",
        KpiSelfEdge = "kpi_self_edge",
        NorthStarAsChild = "north_star_as_child",
        TwoNorthStars = "two_north_stars",
        CounterweightSelf = "counterweight_self",
        GuardrailNeedsThreshold = "guardrail_needs_threshold",
        NotAGuardrail = "not_a_guardrail",
        DerivedKpi = "derived_kpi",
        TimestampOutOfRange = "timestamp_out_of_range",
        ValueOverflow = "value_overflow",
        NotEnoughHistory = "not_enough_history",
        HeaderIncomplete = "header_incomplete",
        QueryStatements = "query_statements",
        InvalidRow = "invalid_row",
        // Stored state
        NotFound = "not_found",
        UnknownUnit = "unknown_unit",
        UnknownReference = "unknown_reference",
        VersionConflict = "version_conflict",
        VersionRequired = "version_required",
        VersionMismatch = "version_mismatch",
        Duplicate = "duplicate",
        // Requests
        MalformedJson = "malformed_json",
        InvalidField = "invalid_field",
        InvalidQuery = "invalid_query",
        InvalidPage = "invalid_page",
        InvalidId = "invalid_id",
        InvalidIfMatch = "invalid_if_match",
        UnsupportedMediaType = "unsupported_media_type",
        BodyTooLarge = "body_too_large",
        BodyUnreadable = "body_unreadable",
        HostNotAllowed = "host_not_allowed",
        // Accounts and rights
        Unauthenticated = "unauthenticated",
        InvalidCredentials = "invalid_credentials",
        Forbidden = "forbidden",
        CsrfFailed = "csrf_failed",
        TooManyAttempts = "too_many_attempts",
        InvalidScope = "invalid_scope",
        WeakPassword = "weak_password",
        AccountInactive = "account_inactive",
        // The server
        Unavailable = "unavailable",
        Internal = "internal",
    }
);

/// What kind of failure a code is, for front ends to pick their answer (HTTP status, exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request itself cannot be read (malformed JSON, a bad query parameter): 400.
    BadRequest,
    /// Nothing is there under that name: 404.
    NotFound,
    /// The request is well-formed but breaks a rule: 422.
    Invalid,
    /// Stored state forbids it (a closed cycle, a stale version, a duplicate): 409.
    Conflict,
    /// A version must be sent: 428.
    PreconditionRequired,
    UnsupportedMediaType,
    TooLarge,
    /// No one (or no one valid) is signed in: 401.
    Unauthenticated,
    /// Someone is signed in, but may not do this: 403.
    Forbidden,
    /// Too many attempts; wait: 429.
    TooManyRequests,
    /// The database does not answer: 503.
    Unavailable,
    Internal,
}

impl Code {
    pub fn kind(self) -> Kind {
        use Code::*;
        match self {
            MalformedJson | InvalidQuery | InvalidPage | InvalidIfMatch | VersionMismatch | BodyUnreadable
            | HostNotAllowed => Kind::BadRequest,
            NotFound | UnknownUnit | NoCurrentCycle => Kind::NotFound,
            CycleClosed | VersionConflict | Duplicate | AlreadyCarriedForward => Kind::Conflict,
            VersionRequired => Kind::PreconditionRequired,
            UnsupportedMediaType => Kind::UnsupportedMediaType,
            BodyTooLarge => Kind::TooLarge,
            Unauthenticated | InvalidCredentials | AccountInactive => Kind::Unauthenticated,
            Forbidden | CsrfFailed => Kind::Forbidden,
            TooManyAttempts => Kind::TooManyRequests,
            Unavailable => Kind::Unavailable,
            Internal => Kind::Internal,
            _ => Kind::Invalid,
        }
    }
}

/// A rule of the method was broken by an input. Each variant names the field at fault so
/// the API and the CLI can point at it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} holds a control character (such as NUL); send plain text")]
    ControlCharacter { field: &'static str },
    #[error("{field} must be a finite number")]
    NotFinite { field: &'static str },
    #[error("{field} must be greater than zero")]
    NotPositive { field: &'static str },
    #[error("{field} must not be negative")]
    Negative { field: &'static str },
    #[error("{field} is between {min} and {max}")]
    OutOfRange { field: &'static str, min: f64, max: f64 },
    #[error("target must differ from the baseline ({baseline}): a key result has to move something")]
    TargetEqualsBaseline { baseline: f64 },
    #[error("a milestone key result goes from 0 (not done) to 1 (done); {field} must be 0 or 1")]
    MilestoneNotBinary { field: &'static str },
    #[error("the cycle ends ({end}) before it starts ({start})")]
    CycleEndsBeforeStart { start: chrono::NaiveDate, end: chrono::NaiveDate },
    #[error("a custom cycle needs an end date")]
    CycleNeedsEnd,
    #[error("the cycle is closed: its OKRs are graded and read-only")]
    CycleClosed,
    #[error("the cycle is still being planned; activate it before checking in")]
    CycleNotStarted,
    #[error("this key result is {status}; check-ins go to active key results only")]
    KeyResultNotActive { status: &'static str },
    #[error("at ({at}) lies in the future")]
    CheckInInFuture { at: chrono::DateTime<chrono::Utc> },
    #[error("at ({day}) is before the cycle starts ({start})")]
    CheckInBeforeCycle { day: chrono::NaiveDate, start: chrono::NaiveDate },
    #[error("{field} is not a valid e-mail address")]
    InvalidEmail { field: &'static str },
    #[error("{field} may hold only lower-case letters, digits and '-'")]
    InvalidSlug { field: &'static str },
    #[error("{field} must be an http:// or https:// address")]
    InvalidLink { field: &'static str },
    #[error("{message}")]
    InvalidUrl { field: &'static str, message: &'static str },
    #[error("this key result was already carried forward (to key result {to}); change the copy instead")]
    AlreadyCarriedForward { to: String },
    #[error(
        "no cycle starts after {end} to carry it into; create the next cycle first (Cycles page, or: quarterdeck cycles create --start …)"
    )]
    NoNextCycle { end: chrono::NaiveDate },
    #[error("{entity} cannot move from {from} to {to}")]
    InvalidTransition { entity: &'static str, from: &'static str, to: &'static str },
    #[error("a new objective starts as draft or active")]
    InvalidInitialStatus,
    #[error("a new cycle starts as planning or active")]
    InvalidInitialState,
    #[error("an objective cannot align to itself")]
    SelfAlignment,
    #[error("this alignment would make a loop: the parent already aligns (directly or not) to the child")]
    AlignmentCycle,
    #[error("give exactly one of parent_objective_id and parent_key_result_id")]
    AlignmentParent,
    #[error("a unit cannot sit below itself or one of its own sub-units")]
    UnitCycle,
    #[error("a person cannot manage themselves, directly or through their reports")]
    ManagerCycle,
    #[error("KPI '{kpi}' has no value at the cycle's start ({day}); give the baseline")]
    BaselineUnknown { kpi: String, day: chrono::NaiveDate },
    #[error("this key result is not linked to a KPI; link one (kpi_id) first")]
    NotLinked,
    #[error("range_low is above range_high")]
    RangeInverted,
    #[error("a healthy range (range_low, range_high) needs direction within_range; give a target otherwise")]
    RangeNeedsWithinRange,
    #[error("valid_min is above valid_max")]
    BoundsInverted,
    #[error("key may hold only lower-case letters, digits and '_', and starts with a letter (formulas use it)")]
    InvalidKey,
    #[error("formula: {0}")]
    Formula(#[from] crate::kpi::formula::FormulaError),
    #[error("a KPI with a formula is derived: leave aggregation out (or 'formula')")]
    FormulaAggregation,
    #[error("aggregation 'formula' needs a formula")]
    FormulaMissing,
    #[error("this edge would make a loop in the KPI tree")]
    TreeCycle,
    #[error("a KPI cannot drive itself")]
    SelfEdge,
    #[error("a North-Star metric is the root of its tree and cannot be a driver of another KPI")]
    NorthStarAsChild,
    #[error("this edge would put a KPI under two North-Star metrics; a tree has one root")]
    TwoNorthStars,
    #[error("a KPI cannot be its own counterweight")]
    CounterweightSelf,
    #[error("{message}")]
    GuardrailNeedsThreshold { field: &'static str, message: &'static str },
    #[error("KPI '{kpi}' is not a guardrail; mark it as one (with its threshold) first")]
    NotAGuardrail { kpi: String },
    #[error("KPI '{kpi}' is computed by its formula; send points to its inputs, and no data source")]
    DerivedKpi { kpi: String },
    #[error("timestamp is out of range: measurements are accepted from 1970 to one day from now")]
    TimestampOutOfRange,
    #[error("{field}: the result is too large to hold as a number; check the values")]
    Overflow { field: &'static str },
    #[error("stretch targets need at least 2 periods of '{kpi}' with values; it has {have}")]
    NotEnoughHistory { kpi: String, have: usize },
    #[error("give both header_name and header_value")]
    HeaderIncomplete,
    #[error("query: a source's query is one statement; remove what follows the first ';'")]
    QueryStatements,
    #[error("time_zone '{name}' is not a time zone; use an IANA name such as Europe/Oslo or UTC")]
    InvalidTimeZone { name: String },
}

impl DomainError {
    /// The stable code of the catalogue, part of the API contract.
    pub fn code(&self) -> Code {
        match self {
            DomainError::Empty { .. } => Code::Empty,
            DomainError::Missing { .. } => Code::Missing,
            DomainError::TooLong { .. } => Code::TooLong,
            DomainError::ControlCharacter { .. } => Code::ControlCharacter,
            DomainError::NotFinite { .. } => Code::NotFinite,
            DomainError::NotPositive { .. } => Code::NotPositive,
            DomainError::Negative { .. } => Code::Negative,
            DomainError::OutOfRange { .. } => Code::OutOfRange,
            DomainError::TargetEqualsBaseline { .. } => Code::KrTargetEqualsBaseline,
            DomainError::MilestoneNotBinary { .. } => Code::MilestoneNotBinary,
            DomainError::CycleEndsBeforeStart { .. } => Code::CycleEndsBeforeStart,
            DomainError::CycleNeedsEnd => Code::CycleNeedsEnd,
            DomainError::CycleClosed => Code::CycleClosed,
            DomainError::CycleNotStarted => Code::CycleNotStarted,
            DomainError::KeyResultNotActive { .. } => Code::KeyResultNotActive,
            DomainError::CheckInInFuture { .. } => Code::CheckInInFuture,
            DomainError::CheckInBeforeCycle { .. } => Code::CheckInBeforeCycle,
            DomainError::InvalidEmail { .. } => Code::InvalidEmail,
            DomainError::InvalidSlug { .. } => Code::InvalidSlug,
            DomainError::InvalidLink { .. } => Code::InvalidLink,
            DomainError::InvalidUrl { .. } => Code::InvalidUrl,
            DomainError::InvalidTransition { .. } => Code::InvalidTransition,
            DomainError::AlreadyCarriedForward { .. } => Code::AlreadyCarriedForward,
            DomainError::NoNextCycle { .. } => Code::NoNextCycle,
            DomainError::InvalidInitialStatus => Code::InvalidInitialStatus,
            DomainError::InvalidInitialState => Code::InvalidInitialState,
            DomainError::SelfAlignment => Code::SelfAlignment,
            DomainError::AlignmentCycle => Code::AlignmentCycle,
            DomainError::AlignmentParent => Code::AlignmentParent,
            DomainError::UnitCycle => Code::UnitCycle,
            DomainError::ManagerCycle => Code::ManagerCycle,
            DomainError::BaselineUnknown { .. } => Code::BaselineUnknown,
            DomainError::NotLinked => Code::NotLinked,
            DomainError::RangeInverted => Code::RangeInverted,
            DomainError::RangeNeedsWithinRange => Code::RangeNeedsWithinRange,
            DomainError::BoundsInverted => Code::BoundsInverted,
            DomainError::InvalidKey => Code::InvalidKey,
            DomainError::Formula(f) => f.code(),
            DomainError::FormulaAggregation => Code::FormulaAggregation,
            DomainError::FormulaMissing => Code::FormulaMissing,
            DomainError::TreeCycle => Code::KpiTreeCycle,
            DomainError::SelfEdge => Code::KpiSelfEdge,
            DomainError::NorthStarAsChild => Code::NorthStarAsChild,
            DomainError::TwoNorthStars => Code::TwoNorthStars,
            DomainError::CounterweightSelf => Code::CounterweightSelf,
            DomainError::GuardrailNeedsThreshold { .. } => Code::GuardrailNeedsThreshold,
            DomainError::NotAGuardrail { .. } => Code::NotAGuardrail,
            DomainError::DerivedKpi { .. } => Code::DerivedKpi,
            DomainError::TimestampOutOfRange => Code::TimestampOutOfRange,
            DomainError::Overflow { .. } => Code::ValueOverflow,
            DomainError::NotEnoughHistory { .. } => Code::NotEnoughHistory,
            DomainError::HeaderIncomplete => Code::HeaderIncomplete,
            DomainError::QueryStatements => Code::QueryStatements,
            DomainError::InvalidTimeZone { .. } => Code::InvalidTimeZone,
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Empty { field }
            | DomainError::Missing { field }
            | DomainError::TooLong { field, .. }
            | DomainError::ControlCharacter { field }
            | DomainError::NotFinite { field }
            | DomainError::NotPositive { field }
            | DomainError::Negative { field }
            | DomainError::OutOfRange { field, .. }
            | DomainError::MilestoneNotBinary { field }
            | DomainError::InvalidEmail { field }
            | DomainError::InvalidSlug { field }
            | DomainError::InvalidLink { field }
            | DomainError::InvalidUrl { field, .. }
            | DomainError::GuardrailNeedsThreshold { field, .. }
            | DomainError::Overflow { field } => Some(field),
            DomainError::TargetEqualsBaseline { .. } => Some("target"),
            DomainError::CycleEndsBeforeStart { .. } | DomainError::CycleNeedsEnd => Some("end"),
            DomainError::CycleClosed | DomainError::CycleNotStarted => None,
            DomainError::KeyResultNotActive { .. } => Some("key_result_id"),
            DomainError::CheckInInFuture { .. } | DomainError::CheckInBeforeCycle { .. } => Some("at"),
            DomainError::InvalidTransition { .. } | DomainError::InvalidInitialStatus => Some("status"),
            DomainError::AlreadyCarriedForward { .. } | DomainError::NoNextCycle { .. } => None,
            DomainError::InvalidInitialState => Some("state"),
            DomainError::SelfAlignment | DomainError::AlignmentCycle => Some("parent"),
            DomainError::AlignmentParent => Some("parent_objective_id"),
            DomainError::UnitCycle => Some("parent_id"),
            DomainError::ManagerCycle => Some("manager_id"),
            DomainError::BaselineUnknown { .. } => Some("baseline"),
            DomainError::NotLinked => Some("kpi_id"),
            DomainError::RangeInverted => Some("range_low"),
            DomainError::RangeNeedsWithinRange => Some("direction"),
            DomainError::BoundsInverted => Some("valid_min"),
            DomainError::InvalidKey => Some("key"),
            DomainError::Formula(_) | DomainError::FormulaMissing => Some("formula"),
            DomainError::FormulaAggregation => Some("aggregation"),
            DomainError::TreeCycle | DomainError::SelfEdge | DomainError::NorthStarAsChild => Some("child_id"),
            DomainError::TwoNorthStars => Some("parent_id"),
            DomainError::CounterweightSelf => Some("counterweight_id"),
            DomainError::NotAGuardrail { .. } | DomainError::DerivedKpi { .. } => Some("kpi_id"),
            DomainError::TimestampOutOfRange => Some("at"),
            DomainError::NotEnoughHistory { .. } => Some("kpi"),
            DomainError::HeaderIncomplete => Some("header_value"),
            DomainError::QueryStatements => Some("query"),
            DomainError::InvalidTimeZone { .. } => Some("time_zone"),
        }
    }
}

/// A finite number, or the error naming `field`.
pub fn finite(field: &'static str, value: f64) -> Result<f64, DomainError> {
    if value.is_finite() { Ok(value) } else { Err(DomainError::NotFinite { field }) }
}

/// A whole number within `min..=max`, or the error naming `field`.
pub fn within(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, DomainError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::OutOfRange { field, min: min as f64, max: max as f64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_words() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{s}");
            assert_eq!(s.parse::<Code>(), Ok(*code));
        }
    }

    #[test]
    fn kinds_follow_the_http_meaning() {
        assert_eq!(Code::NotFound.kind(), Kind::NotFound);
        assert_eq!(Code::CycleClosed.kind(), Kind::Conflict);
        assert_eq!(Code::MalformedJson.kind(), Kind::BadRequest);
        assert_eq!(Code::KrTargetEqualsBaseline.kind(), Kind::Invalid);
        assert_eq!(DomainError::CycleClosed.code().kind(), Kind::Conflict);
        assert_eq!(
            within("window_periods", 1, 2, 520),
            Err(DomainError::OutOfRange { field: "window_periods", min: 2.0, max: 520.0 })
        );
    }
}
