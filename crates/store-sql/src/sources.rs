//! Data sources of KPIs, and the claims that give each pull to exactly one server.

use crate::db::{Conn, Sql, q};
use crate::kpi::kpi_in;
use crate::kpi_rows::*;
use crate::rows::{convert, micros};
use crate::write::Writer;
use crate::{SqlStore, found, new_id, referenced};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::ids::*;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, Page, PageRequest, SourceStore, StoreResult};

async fn source_in(c: &mut Conn<'_>, id: DataSourceId) -> StoreResult<Option<DataSourceSecret>> {
    let row: Option<SourceRow> =
        c.fetch_optional(&q!(format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE id = $1"), id)).await?;
    row.map(DataSourceSecret::try_from).transpose()
}

#[async_trait]
impl SourceStore for SqlStore {
    async fn create_data_source(&self, ctx: &Ctx, new: NewDataSource) -> StoreResult<DataSource> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let kpi = referenced("kpi_id", "KPI", new.kpi_id, kpi_in(&mut c, &new.kpi_id.to_string()).await?)?;
        if kpi.aggregation.is_derived() {
            return Err(DomainError::DerivedKpi { kpi: kpi.key }.into());
        }
        let id = DataSourceId(new_id());
        let kind = new.spec.kind();
        let (url, query, header, path, ts, val, seg) = match new.spec {
            DataSourceSpec::Sql { url, query } => (url, Some(query), None, None, None, None, None),
            DataSourceSpec::Http { url, header, value_path, timestamp_field, value_field, segment_field } => {
                (url, None, header, Some(value_path), timestamp_field, value_field, segment_field)
            }
        };
        let (header_name, header_value) = header.map_or((None, None), |(n, v)| (Some(n), Some(v)));
        c.execute(&q!(
            "INSERT INTO data_sources (id, version, created_at, updated_at, kpi_id, kind, url, query, header_name, \
             header_value, value_path, timestamp_field, value_field, segment_field, interval_seconds, timeout_seconds, \
             enabled, next_run_at) VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $2)",
            id,
            now,
            new.kpi_id,
            kind.as_str(),
            url,
            query,
            header_name,
            header_value,
            path,
            ts,
            val,
            seg,
            new.interval_seconds,
            new.timeout_seconds,
            new.enabled
        ))
        .await?;
        let source = found("data source", id, source_in(&mut c, id).await?)?.source;
        // The audit row holds what the API shows: no connection string, no header value.
        w.created("data_source", id, &source);
        w.commit().await?;
        Ok(source)
    }

    async fn get_data_source(&self, id: DataSourceId) -> StoreResult<DataSource> {
        let mut r = self.pools.reader().await?;
        Ok(found("data source", id, source_in(&mut r.conn(), id).await?)?.source)
    }

    async fn list_data_sources(&self, kpi: Option<KpiId>, page: PageRequest) -> StoreResult<Page<DataSource>> {
        let mut s = Sql::new(format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE 1 = 1"));
        if let Some(k) = kpi {
            s.push(" AND kpi_id = ").bind(k);
        }
        if let Some(after) = &page.after {
            s.push(" AND id > ").bind(after);
        }
        s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<SourceRow> = r.conn().fetch_all(&s).await?;
        let items: Vec<DataSourceSecret> = convert(rows)?;
        Ok(Page::from_rows(items.into_iter().map(|s| s.source).collect(), page.limit, |s: &DataSource| {
            s.id.to_string()
        }))
    }

    async fn data_sources_of(&self, kpis: &[KpiId]) -> StoreResult<Vec<DataSource>> {
        if kpis.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = Sql::new(format!("SELECT {SOURCE_COLUMNS} FROM data_sources WHERE kpi_id IN ("));
        s.list(kpis.iter().copied()).push(") ORDER BY id");
        let mut r = self.pools.reader().await?;
        let rows: Vec<SourceRow> = r.conn().fetch_all(&s).await?;
        let items: Vec<DataSourceSecret> = convert(rows)?;
        Ok(items.into_iter().map(|s| s.source).collect())
    }

    async fn delete_data_source(&self, ctx: &Ctx, id: DataSourceId) -> StoreResult<()> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let mut c = w.conn();
        let source = found("data source", id, source_in(&mut c, id).await?)?.source;
        c.execute(&q!("DELETE FROM data_sources WHERE id = $1", id)).await?;
        w.deleted("data_source", id, &source);
        w.commit().await
    }

    async fn claim_due_sources(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<DataSourceSecret>> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM data_sources WHERE enabled = $1 AND next_run_at <= $2 ORDER BY next_run_at LIMIT $3"
        );
        let due: Vec<SourceRow> = {
            let mut r = self.pools.reader().await?;
            r.conn().fetch_all(&q!(sql, true, micros(now), limit as i64)).await?
        };
        let mut claimed = Vec::new();
        for row in due {
            // Compare-and-set on next_run_at: of several servers, exactly one moves it.
            let next = micros(now) + row.interval_seconds.max(1) * 1_000_000;
            let mut tx = self.pools.begin().await?;
            let done = tx
                .conn()
                .execute(&q!(
                    "UPDATE data_sources SET next_run_at = $1, last_run_at = $2 WHERE id = $3 AND next_run_at = $4",
                    next,
                    micros(now),
                    &row.id,
                    row.next_run_at
                ))
                .await?;
            tx.commit().await?;
            if done == 1 {
                claimed.push(DataSourceSecret::try_from(row)?);
            }
        }
        Ok(claimed)
    }

    async fn claim_source(&self, id: DataSourceId, now: DateTime<Utc>) -> StoreResult<DataSourceSecret> {
        let mut tx = self.pools.begin().await?;
        let mut c = tx.conn();
        let source = found("data source", id, source_in(&mut c, id).await?)?;
        let next = micros(now) + source.source.interval_seconds.max(1) * 1_000_000;
        c.execute(&q!(
            "UPDATE data_sources SET next_run_at = $1, last_run_at = $2 WHERE id = $3",
            next,
            micros(now),
            id
        ))
        .await?;
        tx.commit().await?;
        Ok(source)
    }

    async fn record_source_run(&self, id: DataSourceId, at: DateTime<Utc>, run: SourceRun) -> StoreResult<DataSource> {
        let mut tx = self.pools.begin().await?;
        let mut c = tx.conn();
        match run {
            SourceRun::Succeeded { points } => {
                c.execute(&q!(
                    "UPDATE data_sources SET last_success_at = $1, last_points = $2, last_error = NULL WHERE id = $3",
                    micros(at),
                    points as i64,
                    id
                ))
                .await?
            }
            SourceRun::Failed { error } => {
                c.execute(&q!(
                    "UPDATE data_sources SET last_error = $1, last_error_at = $2 WHERE id = $3",
                    error.chars().take(2000).collect::<String>(),
                    micros(at),
                    id
                ))
                .await?
            }
        };
        let source = found("data source", id, source_in(&mut c, id).await?)?;
        tx.commit().await?;
        self.pools.after_commit().await;
        Ok(source.source)
    }
}
