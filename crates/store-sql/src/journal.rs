//! The journal: audit rows and outbox events, appended by the write path and read back as the
//! audit trail, "as of" snapshots and the event feed.

use crate::db::{Conn, Sql, q};
use crate::rows::{micros, time};
use crate::write::Change;
use crate::{SqlStore, new_id};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_store::journal::*;
use quarterdeck_store::{Page, PageRequest, StoreError, StoreResult};

/// Rows per multi-row insert, under both databases' bind limits.
const CHUNK: usize = 2000;

/// The transaction id stamped on an event: PostgreSQL's, so readers can wait for older
/// transactions to finish before moving past it; 0 on SQLite, whose one writer commits in order.
fn tx_expr(c: &Conn<'_>) -> &'static str {
    if c.is_pg() { "CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)" } else { "0" }
}

pub(crate) async fn append(
    c: &mut Conn<'_>,
    at: i64,
    changes: &[Change],
    events: &[(Actor, DomainEvent)],
) -> StoreResult<()> {
    let statements = statements(c, at, changes, events);
    c.execute_all(&statements).await
}

/// The inserts of a write's audit rows and events, for the caller to run with its own.
pub(crate) fn statements(c: &Conn<'_>, at: i64, changes: &[Change], events: &[(Actor, DomainEvent)]) -> Vec<Sql> {
    let mut out = Vec::new();
    for chunk in changes.chunks(CHUNK) {
        let mut s = Sql::new(
            "INSERT INTO audit_log (id, at, actor_kind, actor_id, actor, entity, entity_id, action, before_json, after_json)",
        );
        s.values(chunk, |t, ch| {
            t.bind(new_id().to_string())
                .bind(at)
                .bind(ch.actor.kind())
                .bind(ch.actor.id())
                .bind(serde_json::to_string(&ch.actor).unwrap_or_default())
                .bind(ch.entity)
                .bind(&ch.id)
                .bind(ch.action)
                .bind(ch.before.as_deref())
                .bind(ch.after.as_deref());
        });
        out.push(s);
    }
    let tx = tx_expr(c);
    for chunk in events.chunks(CHUNK) {
        let mut s = Sql::new("INSERT INTO outbox (id, tx, at, kind, actor, payload)");
        s.values(chunk, |t, (actor, event)| {
            t.bind(new_id().to_string())
                .raw(tx)
                .bind(at)
                .bind(event.kind())
                .bind(serde_json::to_string(actor).unwrap_or_default())
                .bind(serde_json::to_string(event).unwrap_or_default());
        });
        out.push(s);
    }
    out
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    id: String,
    at: i64,
    actor: String,
    entity: String,
    entity_id: String,
    action: String,
    before_json: Option<String>,
    after_json: Option<String>,
}

const AUDIT_COLUMNS: &str = "seq, id, at, actor, entity, entity_id, action, before_json, after_json";

fn parse_json(field: &str, raw: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(raw).map_err(|_| StoreError::Backend(format!("stored {field} is not JSON")))
}

impl AuditRow {
    fn entry(self) -> StoreResult<(i64, AuditEntry)> {
        let actor: Actor = serde_json::from_str(&self.actor)
            .map_err(|_| StoreError::Backend(format!("stored actor '{}' cannot be read", self.actor)))?;
        Ok((
            self.seq,
            AuditEntry {
                id: self.id,
                at: time("at", self.at)?,
                actor,
                entity: self.entity,
                entity_id: self.entity_id,
                action: self.action,
                before: self.before_json.as_deref().map(|b| parse_json("before", b)).transpose()?,
                after: self.after_json.as_deref().map(|a| parse_json("after", a)).transpose()?,
            },
        ))
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    id: String,
    tx: i64,
    at: i64,
    kind: String,
    actor: String,
    payload: String,
}

impl EventRow {
    fn record(self) -> StoreResult<EventRecord> {
        Ok(EventRecord {
            cursor: format!("{}.{}", self.tx, self.seq),
            id: self.id,
            at: time("at", self.at)?,
            kind: self.kind,
            actor: serde_json::from_str(&self.actor)
                .map_err(|_| StoreError::Backend("stored event actor cannot be read".into()))?,
            data: parse_json("event", &self.payload)?,
        })
    }
}

const EVENT_COLUMNS: &str = "seq, id, tx, at, kind, actor, payload";

fn cursor_parts(cursor: &str) -> StoreResult<(i64, i64)> {
    let (tx, seq) = cursor.split_once('.').ok_or(StoreError::InvalidCursor)?;
    Ok((tx.parse().map_err(|_| StoreError::InvalidCursor)?, seq.parse().map_err(|_| StoreError::InvalidCursor)?))
}

#[async_trait]
impl JournalStore for SqlStore {
    async fn list_audit(&self, filter: AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEntry>> {
        let mut s = Sql::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"));
        if let Some(e) = &filter.entity {
            s.push(" AND entity = ").bind(e);
        }
        if let Some(id) = &filter.entity_id {
            s.push(" AND entity_id = ").bind(id);
        }
        if let Some((kind, id)) = &filter.actor {
            s.push(" AND actor_kind = ").bind(kind);
            if let Some(id) = id {
                s.push(" AND actor_id = ").bind(id);
            }
        }
        if let Some(from) = filter.from {
            s.push(" AND at >= ").bind(micros(from));
        }
        if let Some(to) = filter.to {
            s.push(" AND at <= ").bind(micros(to));
        }
        if let Some(after) = &page.after {
            let seq: i64 = after.parse().map_err(|_| StoreError::InvalidCursor)?;
            s.push(" AND seq < ").bind(seq);
        }
        s.push(" ORDER BY seq DESC LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<AuditRow> = r.conn().fetch_all(&s).await?;
        let entries = rows.into_iter().map(AuditRow::entry).collect::<StoreResult<Vec<_>>>()?;
        let page = Page::from_rows(entries, page.limit, |(seq, _)| seq.to_string());
        Ok(page.map(|(_, e)| e))
    }

    async fn audit_as_of(&self, entity: &str, ids: &[String], at: DateTime<Utc>) -> StoreResult<Vec<AuditEntry>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = Sql::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log a WHERE a.entity = "));
        s.bind(entity).push(" AND a.entity_id IN (").list(ids.iter()).push(")");
        s.push(" AND a.seq = (SELECT MAX(b.seq) FROM audit_log b WHERE b.entity = a.entity AND b.entity_id = a.entity_id AND b.at <= ");
        s.bind(micros(at)).push(")");
        let mut r = self.pools.reader().await?;
        let rows: Vec<AuditRow> = r.conn().fetch_all(&s).await?;
        rows.into_iter().map(|row| row.entry().map(|(_, e)| e)).collect()
    }

    async fn events_after(&self, cursor: Option<&str>, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let (tx, seq) = cursor.map(cursor_parts).transpose()?.unwrap_or((-1, -1));
        let mut r = self.pools.reader().await?;
        let mut c = r.conn();
        let mut s = Sql::new(format!("SELECT {EVENT_COLUMNS} FROM outbox WHERE (tx > "));
        s.bind(tx).push(" OR (tx = ").bind(tx).push(" AND seq > ").bind(seq).push("))");
        if c.is_pg() {
            // Only events of transactions older than every one still running: a later reader
            // can never find an event before the cursor it was handed.
            s.push(" AND tx < CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)");
        }
        s.push(" ORDER BY tx, seq LIMIT ").bind(limit as i64);
        let rows: Vec<EventRow> = c.fetch_all(&s).await?;
        rows.into_iter().map(EventRow::record).collect()
    }

    async fn claim_events(
        &self,
        consumer: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        // Compare-and-set: the outer condition is checked again on each row as it is updated,
        // so of several servers claiming at once exactly one gets each event.
        let free = "done_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3)";
        let s = q!(
            format!(
                "UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 WHERE seq IN \
                 (SELECT seq FROM outbox WHERE {free} ORDER BY seq LIMIT $4) AND {free} RETURNING {EVENT_COLUMNS}"
            ),
            consumer,
            micros(lease_until),
            micros(now),
            limit as i64
        );
        let mut tx = self.pools.begin().await?;
        let mut rows: Vec<EventRow> = tx.conn().fetch_all(&s).await?;
        tx.commit().await?;
        rows.sort_by_key(|r| r.seq);
        rows.into_iter().map(EventRow::record).collect()
    }

    async fn complete_events(&self, consumer: &str, ids: &[String], at: DateTime<Utc>) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut s = Sql::new("UPDATE outbox SET done_at = ");
        s.bind(micros(at)).push(" WHERE claimed_by = ").bind(consumer).push(" AND id IN (").list(ids.iter()).push(")");
        let mut tx = self.pools.begin().await?;
        tx.conn().execute(&s).await?;
        tx.commit().await
    }
}
