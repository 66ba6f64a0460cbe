//! The one write path: a [`Writer`] is a transaction that knows who acts and when, collects
//! what each step changed (before and after) and the domain events it caused, and on commit
//! appends the audit rows and the outbox rows in the same transaction. A write that records
//! no change is refused: every write leaves its trail.

use crate::db::{Conn, Pools, Tx};
use crate::journal;
use crate::rows::micros;
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_store::{Ctx, StoreError, StoreResult};
use serde::Serialize;

/// One entity's change within a write.
pub(crate) struct Change {
    pub actor: Actor,
    pub entity: &'static str,
    pub id: String,
    pub action: &'static str,
    /// The record before and after, as JSON text (serialised once, straight into the row).
    pub before: Option<String>,
    pub after: Option<String>,
}

pub(crate) struct Writer<'p> {
    tx: Tx,
    pools: &'p Pools,
    pub ctx: Ctx,
    pub changes: Vec<Change>,
    pub events: Vec<(Actor, DomainEvent)>,
}

fn json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

impl<'p> Writer<'p> {
    pub(crate) async fn begin(pools: &'p Pools, ctx: &Ctx) -> StoreResult<Writer<'p>> {
        Ok(Writer { tx: pools.begin().await?, pools, ctx: ctx.clone(), changes: Vec::new(), events: Vec::new() })
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }

    /// The write's time, as stored (microseconds since the epoch).
    pub(crate) fn now(&self) -> i64 {
        micros(self.ctx.at)
    }

    pub(crate) fn created<T: Serialize>(&mut self, entity: &'static str, id: impl ToString, after: &T) {
        self.change(entity, id, "create", None, Some(after));
    }

    pub(crate) fn updated<T: Serialize>(
        &mut self,
        entity: &'static str,
        id: impl ToString,
        action: &'static str,
        before: &T,
        after: &T,
    ) {
        self.change(entity, id, action, Some(before), Some(after));
    }

    pub(crate) fn deleted<T: Serialize>(&mut self, entity: &'static str, id: impl ToString, before: &T) {
        self.change::<T>(entity, id, "delete", Some(before), None);
    }

    pub(crate) fn change<T: Serialize>(
        &mut self,
        entity: &'static str,
        id: impl ToString,
        action: &'static str,
        before: Option<&T>,
        after: Option<&T>,
    ) {
        let actor = self.ctx.actor.clone();
        self.change_by(actor, entity, id, action, before, after);
    }

    /// A change made within this write by another actor (a guardrail pausing an objective).
    pub(crate) fn change_by<T: Serialize>(
        &mut self,
        actor: Actor,
        entity: &'static str,
        id: impl ToString,
        action: &'static str,
        before: Option<&T>,
        after: Option<&T>,
    ) {
        self.changes.push(Change {
            actor,
            entity,
            id: id.to_string(),
            action,
            before: before.and_then(json),
            after: after.and_then(json),
        });
    }

    pub(crate) fn event(&mut self, event: DomainEvent) {
        self.events.push((self.ctx.actor.clone(), event));
    }

    pub(crate) fn event_by(&mut self, actor: Actor, event: DomainEvent) {
        self.events.push((actor, event));
    }

    /// Appends the audit rows and events, commits, and moves the change token.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        if self.changes.is_empty() {
            return Err(StoreError::Backend("a write recorded no change; nothing was committed".into()));
        }
        let (changes, events) = (std::mem::take(&mut self.changes), std::mem::take(&mut self.events));
        let at = self.now();
        if changes.iter().any(|c| matches!(c.entity, "unit" | "person")) {
            // Readers that keep the directory's facts read them again (see migration 0014).
            self.tx.conn().execute(&crate::db::Sql::new("UPDATE directory SET version = version + 1")).await?;
        }
        journal::append(&mut self.tx.conn(), at, &changes, &events).await?;
        self.tx.commit().await?;
        self.pools.after_commit().await;
        Ok(())
    }
}
