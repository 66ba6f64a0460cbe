//! Cycles: planning → active → closed.

use crate::db::{Conn, Sql, q};
use crate::rows::*;
use crate::sql::CYCLE_COLUMNS;
use crate::write::Writer;
use crate::{SqlStore, applied, check_version, found, new_id};
use async_trait::async_trait;
use chrono::NaiveDate;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_domain::ids::CycleId;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Cycle;
use quarterdeck_store::{Ctx, CycleStore, ExpectedVersion, Page, PageRequest, StoreResult};

pub(crate) async fn cycle_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Cycle>> {
    let row: Option<CycleRow> =
        c.fetch_optional(&q!(format!("SELECT {CYCLE_COLUMNS} FROM cycles WHERE id = $1"), id)).await?;
    row.map(Cycle::try_from).transpose()
}

#[async_trait]
impl CycleStore for SqlStore {
    async fn create_cycle(&self, ctx: &Ctx, new: NewCycle) -> StoreResult<Cycle> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let id = CycleId(new_id());
        c.execute(&q!(
            "INSERT INTO cycles (id, version, created_at, updated_at, name, kind, start_date, end_date, state) \
             VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7)",
            id,
            now,
            new.name.as_str(),
            new.kind.as_str(),
            new.dates.start().to_string(),
            new.dates.end().to_string(),
            new.state.as_str()
        ))
        .await?;
        let cycle = found("cycle", id, cycle_in(&mut c, &id.to_string()).await?)?;
        w.created("cycle", id, &cycle);
        w.event(DomainEvent::CycleCreated { cycle: id, name: cycle.name.clone() });
        if cycle.state == CycleState::Active {
            w.event(DomainEvent::CycleActivated { cycle: id });
        }
        w.commit().await?;
        Ok(cycle)
    }

    async fn get_cycle(&self, id: CycleId) -> StoreResult<Cycle> {
        let mut r = self.pools.reader().await?;
        found("cycle", id, cycle_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn list_cycles(&self, filter: CycleFilter, page: PageRequest) -> StoreResult<Page<Cycle>> {
        let mut s = Sql::new(format!("SELECT {CYCLE_COLUMNS} FROM cycles WHERE 1 = 1"));
        if let Some(st) = filter.state {
            s.push(" AND state = ").bind(st.as_str());
        }
        if let Some(day) = filter.on {
            s.push(" AND start_date <= ").bind(day.to_string());
            s.push(" AND end_date >= ").bind(day.to_string());
        }
        // Newest first: the cursor is "start_date.id" of the last row.
        if let Some((start, id)) = page.after.as_deref().and_then(|a| a.split_once('.')) {
            s.push(" AND (start_date < ").bind(start);
            s.push(" OR (start_date = ").bind(start);
            s.push(" AND id < ").bind(id).push("))");
        }
        s.push(" ORDER BY start_date DESC, id DESC LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<CycleRow> = r.conn().fetch_all(&s).await?;
        Ok(Page::from_rows(convert(rows)?, page.limit, |c: &Cycle| format!("{}.{}", c.start, c.id)))
    }

    async fn current_cycle(&self, today: NaiveDate) -> StoreResult<Option<Cycle>> {
        let sql = format!(
            "SELECT {CYCLE_COLUMNS} FROM cycles WHERE start_date <= $1 AND end_date >= $1 \
             ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'planning' THEN 1 ELSE 2 END, \
             CASE kind WHEN 'quarter' THEN 0 ELSE 1 END, start_date, id LIMIT 1"
        );
        let mut r = self.pools.reader().await?;
        let row: Option<CycleRow> = r.conn().fetch_optional(&q!(sql, today.to_string())).await?;
        row.map(Cycle::try_from).transpose()
    }

    async fn update_cycle(&self, ctx: &Ctx, id: CycleId, version: i64, patch: CyclePatch) -> StoreResult<Cycle> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("cycle", id, cycle_in(&mut c, &key).await?)?;
        check_version("cycle", &key, current.version, version)?;
        if current.state == CycleState::Closed {
            return Err(DomainError::CycleClosed.into());
        }
        let dates = patch.dates.unwrap_or(current.dates());
        let update = q!(
            "UPDATE cycles SET version = version + 1, updated_at = $1, name = $2, start_date = $3, end_date = $4 \
             WHERE id = $5 AND version = $6",
            now,
            patch.name.map(|n| n.into_string()).unwrap_or(current.name.clone()),
            dates.start().to_string(),
            dates.end().to_string(),
            &key,
            version
        );
        applied("cycle", &key, c.execute(&update).await?, version)?;
        let cycle = found("cycle", id, cycle_in(&mut c, &key).await?)?;
        w.updated("cycle", id, "update", &current, &cycle);
        w.commit().await?;
        Ok(cycle)
    }

    async fn set_cycle_state(
        &self,
        ctx: &Ctx,
        id: CycleId,
        version: ExpectedVersion,
        to: CycleState,
    ) -> StoreResult<Cycle> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("cycle", id, cycle_in(&mut c, &key).await?)?;
        let expected = version.unwrap_or(current.version);
        check_version("cycle", &key, current.version, expected)?;
        current.state.transition(to)?;
        let update = q!(
            "UPDATE cycles SET version = version + 1, updated_at = $1, state = $2 WHERE id = $3 AND version = $4",
            now,
            to.as_str(),
            &key,
            expected
        );
        applied("cycle", &key, c.execute(&update).await?, expected)?;
        let cycle = found("cycle", id, cycle_in(&mut c, &key).await?)?;
        w.updated("cycle", id, "status", &current, &cycle);
        w.event(match to {
            CycleState::Closed => DomainEvent::CycleClosed { cycle: id },
            _ => DomainEvent::CycleActivated { cycle: id },
        });
        w.commit().await?;
        Ok(cycle)
    }
}
