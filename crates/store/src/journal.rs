//! The journal: the append-only audit trail of every write, and the outbox of domain events.
//! Both are written by the write path, in the write's own transaction; nothing edits or
//! deletes them.

use crate::{Page, PageRequest, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::actor::Actor;
use serde::{Deserialize, Serialize};

/// One row of the audit trail: who changed what, when, from what to what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// `unit`, `person`, `cycle`, `objective`, `alignment`, `key_result`, `initiative`, `kpi`, …
    pub entity: String,
    pub entity_id: String,
    /// `create`, `update`, `status`, `check_in`, `delete`, …
    pub action: String,
    /// The record before the write (`null` when it was created).
    pub before: Option<serde_json::Value>,
    /// The record after the write (`null` when it was deleted).
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Actor kind, and optionally its id.
    pub actor: Option<(String, Option<String>)>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A domain event as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: String,
    /// Pass back as `after` to read the events that follow this one.
    pub cursor: String,
    pub at: DateTime<Utc>,
    /// The event's type (`check_in_recorded`, `objective_paused`, …).
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Actor,
    /// The event with its fields.
    pub data: serde_json::Value,
}

#[async_trait]
pub trait JournalStore: Send + Sync {
    /// Audit rows, newest first.
    async fn list_audit(&self, filter: AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEntry>>;
    /// The last audit row of each of `ids` (of one entity) at or before `at`: the records as
    /// they stood then.
    async fn audit_as_of(&self, entity: &str, ids: &[String], at: DateTime<Utc>) -> StoreResult<Vec<AuditEntry>>;
    /// Events committed after `cursor` (all of them when `None`), oldest first. An event
    /// becomes readable only once every transaction that began before it has finished, so a
    /// reader that moves its cursor forward never skips one.
    async fn events_after(&self, cursor: Option<&str>, limit: u32) -> StoreResult<Vec<EventRecord>>;
    /// Claims up to `limit` undelivered events for `consumer` until `lease_until`; of several
    /// servers claiming at once, each event goes to exactly one.
    async fn claim_events(
        &self,
        consumer: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Marks claimed events as delivered.
    async fn complete_events(&self, consumer: &str, ids: &[String], at: DateTime<Utc>) -> StoreResult<()>;
}
