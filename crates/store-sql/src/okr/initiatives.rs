//! Initiatives: projects, experiments and tasks under a key result. Tracked, never scored.

use super::{key_result_in, writable};
use crate::db::{Conn, Pools, Sql, q};
use crate::rows::*;
use crate::sql::INITIATIVE_COLUMNS;
use crate::store::require_ref;
use crate::write::Writer;
use crate::{applied, check_version, found, new_id, referenced};
use quarterdeck_domain::ids::*;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Initiative;
use quarterdeck_store::{Ctx, Page, PageRequest, StoreResult};

async fn initiative_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Initiative>> {
    let row: Option<InitiativeRow> =
        c.fetch_optional(&q!(format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE id = $1"), id)).await?;
    row.map(Initiative::try_from).transpose()
}

pub(super) async fn create(pools: &Pools, ctx: &Ctx, new: NewInitiative) -> StoreResult<Initiative> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let kr_key = new.key_result_id.to_string();
    let kr = referenced("key_result_id", "key result", new.key_result_id, key_result_in(&mut c, &kr_key).await?)?;
    writable(&kr.cycle)?;
    require_ref(&mut c, "people", "person", "owner_id", new.owner_id.map(|p| p.to_string())).await?;
    let id = InitiativeId(new_id());
    c.execute(&q!(
        "INSERT INTO initiatives (id, version, created_at, updated_at, key_result_id, title, kind, status, \
         owner_id, link) VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8)",
        id,
        now,
        new.key_result_id,
        new.title.as_str(),
        new.kind.as_str(),
        new.status.as_str(),
        new.owner_id,
        new.link
    ))
    .await?;
    let initiative = found("initiative", id, initiative_in(&mut c, &id.to_string()).await?)?;
    w.created("initiative", id, &initiative);
    w.commit().await?;
    Ok(initiative)
}

pub(super) async fn get(pools: &Pools, id: InitiativeId) -> StoreResult<Initiative> {
    let mut r = pools.reader().await?;
    found("initiative", id, initiative_in(&mut r.conn(), &id.to_string()).await?)
}

pub(super) async fn list(pools: &Pools, filter: InitiativeFilter, page: PageRequest) -> StoreResult<Page<Initiative>> {
    let mut s = Sql::new(format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE 1 = 1"));
    if let Some(k) = filter.key_result_id {
        s.push(" AND key_result_id = ").bind(k);
    }
    if let Some(p) = filter.owner_id {
        s.push(" AND owner_id = ").bind(p);
    }
    if let Some(after) = &page.after {
        s.push(" AND id > ").bind(after);
    }
    s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
    let mut r = pools.reader().await?;
    let rows: Vec<InitiativeRow> = r.conn().fetch_all(&s).await?;
    Ok(Page::from_rows(convert(rows)?, page.limit, |i: &Initiative| i.id.to_string()))
}

pub(super) async fn update(
    pools: &Pools,
    ctx: &Ctx,
    id: InitiativeId,
    version: i64,
    patch: InitiativePatch,
) -> StoreResult<Initiative> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let key = id.to_string();
    let current = found("initiative", id, initiative_in(&mut c, &key).await?)?;
    check_version("initiative", &key, current.version, version)?;
    let kr_key = current.key_result_id.to_string();
    let kr = found("key result", current.key_result_id, key_result_in(&mut c, &kr_key).await?)?;
    writable(&kr.cycle)?;
    let owner = patch.owner_id.unwrap_or(current.owner_id);
    if patch.owner_id.is_some() {
        require_ref(&mut c, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
    }
    let update = q!(
        "UPDATE initiatives SET version = version + 1, updated_at = $1, title = $2, kind = $3, status = $4, \
         owner_id = $5, link = $6 WHERE id = $7 AND version = $8",
        now,
        patch.title.map(|t| t.into_string()).unwrap_or(current.title.clone()),
        patch.kind.unwrap_or(current.kind).as_str(),
        patch.status.unwrap_or(current.status).as_str(),
        owner,
        patch.link.unwrap_or(current.link.clone()),
        &key,
        version
    );
    applied("initiative", &key, c.execute(&update).await?, version)?;
    let initiative = found("initiative", id, initiative_in(&mut c, &key).await?)?;
    w.updated("initiative", id, "update", &current, &initiative);
    w.commit().await?;
    Ok(initiative)
}
