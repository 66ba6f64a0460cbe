//! The audit trail and the event feed as front ends show them.

use chrono::{DateTime, Utc};
use quarterdeck_domain::actor::Actor;
use quarterdeck_store::journal::{AuditEntry, EventRecord};
use serde::Serialize;

/// One row of the audit trail: who changed what, when, from what to what.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntryView {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// `unit`, `person`, `cycle`, `objective`, `alignment`, `key_result`, `initiative`, `kpi`, …
    pub entity: String,
    pub entity_id: String,
    /// `create`, `update`, `status`, `check_in`, `delete`, …
    pub action: String,
    /// The record before the write (`null` when it was created).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The record after the write (`null` when it was deleted).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(r: AuditEntry) -> Self {
        AuditEntryView {
            id: r.id,
            at: r.at,
            actor: r.actor,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            before: r.before,
            after: r.after,
        }
    }
}

/// A domain event of the feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub id: String,
    /// Pass back as `after` to read the events that follow this one.
    pub cursor: String,
    pub at: DateTime<Utc>,
    /// The event's type (`check_in_recorded`, `objective_paused`, …).
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Actor,
    /// The event with its fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

impl From<EventRecord> for EventView {
    fn from(r: EventRecord) -> Self {
        EventView { id: r.id, cursor: r.cursor, at: r.at, kind: r.kind, actor: r.actor, data: r.data }
    }
}
