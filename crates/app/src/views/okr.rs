//! Check-ins, initiatives and alignments as front ends show them.

use chrono::{DateTime, Utc};
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus};
use quarterdeck_store::records::{Alignment, CheckIn, Initiative};
use serde::Serialize;

/// A check-in as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckInView {
    pub id: CheckInId,
    pub key_result_id: KeyResultId,
    pub value: f64,
    pub confidence: Confidence,
    /// One sentence on the next move.
    pub note: String,
    pub author_id: Option<PersonId>,
    /// When the value was true; defaults to the time it was recorded.
    pub at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<CheckIn> for CheckInView {
    fn from(r: CheckIn) -> Self {
        CheckInView {
            id: r.id,
            key_result_id: r.key_result_id,
            value: r.value,
            confidence: r.confidence,
            note: r.note,
            author_id: r.author_id,
            at: r.at,
            created_at: r.created_at,
        }
    }
}

/// An initiative as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InitiativeView {
    pub id: InitiativeId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub key_result_id: KeyResultId,
    pub title: String,
    pub kind: InitiativeKind,
    pub status: InitiativeStatus,
    pub owner_id: Option<PersonId>,
    pub link: Option<String>,
}

impl From<Initiative> for InitiativeView {
    fn from(r: Initiative) -> Self {
        InitiativeView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            key_result_id: r.key_result_id,
            title: r.title,
            kind: r.kind,
            status: r.status,
            owner_id: r.owner_id,
            link: r.link,
        }
    }
}

/// An alignment link as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlignmentView {
    pub id: AlignmentId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The aligning (child) objective.
    pub child_id: ObjectiveId,
    /// The objective aligned to: the parent objective itself, or the objective of
    /// `parent_key_result_id`.
    pub parent_objective_id: ObjectiveId,
    pub parent_key_result_id: Option<KeyResultId>,
    pub kind: LinkKind,
    pub weight: f64,
}

impl From<Alignment> for AlignmentView {
    fn from(r: Alignment) -> Self {
        AlignmentView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            child_id: r.child_id,
            parent_objective_id: r.parent_objective_id,
            parent_key_result_id: r.parent_key_result_id,
            kind: r.kind,
            weight: r.weight,
        }
    }
}
