//! The storage ports: one trait per aggregate (organisation, cycles, OKRs, KPIs,
//! measurements, guardrails, sources, journal), speaking domain types only, composed into
//! [`Store`] for wiring. Every write takes a [`Ctx`] — who acts, and when — and runs in one
//! transaction that also appends its audit rows and domain events, so a request either
//! happens whole, with its trail, or not at all.

pub mod accounts;
pub mod cycles;
pub mod error;
pub mod guardrails;
pub mod input;
pub mod journal;
pub mod kpi;
pub mod kpis;
pub mod measurements;
pub mod okrs;
pub mod org;
pub mod page;
pub mod records;
pub mod snapshot;
pub mod sources;

pub use accounts::AccountStore;
pub use cycles::CycleStore;
pub use error::StoreError;
pub use guardrails::GuardrailStore;
pub use journal::JournalStore;
pub use kpis::KpiStore;
pub use measurements::MeasurementStore;
pub use okrs::OkrStore;
pub use org::OrgStore;
pub use page::{Page, PageRequest};
pub use sources::SourceStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::actor::Actor;

pub type StoreResult<T> = Result<T, StoreError>;

/// A version a writer saw; the write fails with [`StoreError::Stale`] if the record has
/// moved on since. `None` means "whatever the current version is" and is only used for
/// state changes whose own rules already guard them.
pub type ExpectedVersion = Option<i64>;

/// Who writes, and when: the application's clock, not the database's, so every record,
/// audit row and event of one write carries the same time.
#[derive(Debug, Clone, PartialEq)]
pub struct Ctx {
    pub actor: Actor,
    pub at: DateTime<Utc>,
}

impl Ctx {
    pub fn new(actor: Actor, at: DateTime<Utc>) -> Ctx {
        Ctx { actor, at }
    }

    /// The same moment, acted by someone else (a guardrail pausing within a write).
    pub fn by(&self, actor: Actor) -> Ctx {
        Ctx { actor, at: self.at }
    }
}

/// Every port, for wiring. Front ends never hold it: they call the application layer.
#[async_trait]
pub trait Store:
    org::OrgStore
    + accounts::AccountStore
    + cycles::CycleStore
    + okrs::OkrStore
    + kpis::KpiStore
    + measurements::MeasurementStore
    + guardrails::GuardrailStore
    + sources::SourceStore
    + journal::JournalStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is ("sqlite", "postgres"), for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    /// A token that changes whenever a committed write (by this process or any other) may
    /// have changed what a read returns; read caches are valid while it stands still.
    async fn change_token(&self) -> StoreResult<String>;
    /// Loads a whole organisation in one transaction (demo data, later goals-as-code);
    /// scores and roll-ups are derived here, not taken from the snapshot. Each record gets
    /// its audit row ("created by the import").
    async fn import(&self, ctx: &Ctx, snapshot: snapshot::Snapshot) -> StoreResult<snapshot::ImportCounts>;
    /// Whether the store holds no organisation yet.
    async fn is_empty(&self) -> StoreResult<bool>;
}
