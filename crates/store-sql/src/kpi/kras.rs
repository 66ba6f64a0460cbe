//! Key Result Areas: named groups of a role's KPIs.

use crate::db::{Conn, Pools, Sql, q};
use crate::rows::{time, word};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{applied, check_version, found, new_id};
use quarterdeck_domain::ids::*;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, ExpectedVersion, Page, PageRequest, StoreResult};
use std::collections::HashSet;

async fn kra_in(c: &mut Conn<'_>, id: KraId) -> StoreResult<Option<Kra>> {
    let row: Option<(String, i64, i64, i64, String, String, String)> = c
        .fetch_optional(&q!(
            "SELECT id, version, created_at, updated_at, name, role, description FROM kras WHERE id = $1",
            id
        ))
        .await?;
    let Some((_, version, created, updated, name, role, description)) = row else { return Ok(None) };
    let kpis: Vec<(String,)> =
        c.fetch_all(&q!("SELECT kpi_id FROM kra_kpis WHERE kra_id = $1 ORDER BY position", id)).await?;
    Ok(Some(Kra {
        id,
        version,
        created_at: time("created_at", created)?,
        updated_at: time("updated_at", updated)?,
        name,
        role,
        description,
        kpi_ids: kpis.iter().map(|(k,)| word("kpi id", k)).collect::<StoreResult<_>>()?,
    }))
}

async fn write_kpis(c: &mut Conn<'_>, id: KraId, kpis: &[KpiId]) -> StoreResult<()> {
    let mut seen = HashSet::new();
    for (i, k) in kpis.iter().enumerate() {
        if !seen.insert(*k) {
            continue;
        }
        require_ref(c, "kpis", "KPI", "kpi_ids", Some(k.to_string())).await?;
        c.execute(&q!("INSERT INTO kra_kpis (kra_id, kpi_id, position) VALUES ($1, $2, $3)", id, *k, i as i64)).await?;
    }
    Ok(())
}

pub(super) async fn create(pools: &Pools, ctx: &Ctx, new: NewKra) -> StoreResult<Kra> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let id = KraId(new_id());
    c.execute(&q!(
        "INSERT INTO kras (id, version, created_at, updated_at, name, role, description) VALUES ($1, 1, $2, $2, $3, $4, $5)",
        id,
        now,
        &new.name,
        &new.role,
        &new.description
    ))
    .await?;
    write_kpis(&mut c, id, &new.kpi_ids).await?;
    let kra = found("KRA", id, kra_in(&mut c, id).await?)?;
    w.created("kra", id, &kra);
    w.commit().await?;
    Ok(kra)
}

pub(super) async fn get(pools: &Pools, id: KraId) -> StoreResult<Kra> {
    let mut r = pools.reader().await?;
    found("KRA", id, kra_in(&mut r.conn(), id).await?)
}

pub(super) async fn list(pools: &Pools, page: PageRequest) -> StoreResult<Page<Kra>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    let mut s = Sql::new("SELECT id FROM kras WHERE 1 = 1");
    if let Some(after) = &page.after {
        s.push(" AND id > ").bind(after);
    }
    s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
    let ids: Vec<(String,)> = c.fetch_all(&s).await?;
    let mut kras = Vec::new();
    for (id,) in ids {
        kras.extend(kra_in(&mut c, word("kra id", &id)?).await?);
    }
    Ok(Page::from_rows(kras, page.limit, |k: &Kra| k.id.to_string()))
}

pub(super) async fn set_kpis(
    pools: &Pools,
    ctx: &Ctx,
    id: KraId,
    version: ExpectedVersion,
    kpi_ids: Vec<KpiId>,
) -> StoreResult<Kra> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let cur = found("KRA", id, kra_in(&mut c, id).await?)?;
    let expected = version.unwrap_or(cur.version);
    check_version("KRA", &id.to_string(), cur.version, expected)?;
    let update =
        q!("UPDATE kras SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3", now, id, expected);
    applied("KRA", &id.to_string(), c.execute(&update).await?, expected)?;
    c.execute(&q!("DELETE FROM kra_kpis WHERE kra_id = $1", id)).await?;
    write_kpis(&mut c, id, &kpi_ids).await?;
    let kra = found("KRA", id, kra_in(&mut c, id).await?)?;
    w.updated("kra", id, "update", &cur, &kra);
    w.commit().await?;
    Ok(kra)
}
