//! The alignment graph: an objective aligns to parent objectives or parent key results.

use super::{key_result_in, objective_in, writable};
use crate::db::{Pools, Sql, q};
use crate::rows::*;
use crate::scores::refresh_rollup;
use crate::sql::{ALIGNMENT_COLUMNS, ANCESTOR_LINKS};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{found, new_id, referenced};
use quarterdeck_domain::alignment::{LinkKind, check_new_link};
use quarterdeck_domain::ids::*;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Alignment;
use quarterdeck_store::{Ctx, Page, PageRequest, StoreResult};
use std::collections::HashMap;

async fn alignment_in(c: &mut crate::db::Conn<'_>, id: &str) -> StoreResult<Option<Alignment>> {
    let row: Option<AlignmentRow> =
        c.fetch_optional(&q!(format!("SELECT {ALIGNMENT_COLUMNS} FROM alignments WHERE id = $1"), id)).await?;
    row.map(Alignment::try_from).transpose()
}

pub(super) async fn create(pools: &Pools, ctx: &Ctx, new: NewAlignment) -> StoreResult<Alignment> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    let child_key = new.child_id.to_string();
    let child = referenced("child_id", "objective", new.child_id, objective_in(&mut c, &child_key).await?)?;
    writable(&child.cycle)?;
    let (parent, parent_kr) = match new.parent {
        AlignmentTarget::Objective(o) => {
            require_ref(&mut c, "objectives", "objective", "parent_objective_id", Some(o.to_string())).await?;
            (o, None)
        }
        AlignmentTarget::KeyResult(k) => {
            let kr = referenced("parent_key_result_id", "key result", k, key_result_in(&mut c, &k.to_string()).await?)?;
            (kr.objective_id, Some(k))
        }
    };
    let links: Vec<(String, String)> = c.fetch_all(&q!(ANCESTOR_LINKS, parent.to_string())).await?;
    let mut parents_of: HashMap<ObjectiveId, Vec<ObjectiveId>> = HashMap::new();
    for (ch, p) in links {
        parents_of.entry(word("child_id", &ch)?).or_default().push(word("parent_objective_id", &p)?);
    }
    check_new_link(new.child_id, parent, &parents_of)?;
    let id = AlignmentId(new_id());
    let insert = q!(
        "INSERT INTO alignments (id, version, created_at, updated_at, child_id, parent_objective_id, \
         parent_key_result_id, parent_key_result_key, kind, weight) VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8)",
        id,
        now,
        new.child_id,
        parent,
        parent_kr,
        parent_kr.map(|k| k.to_string()).unwrap_or_default(),
        new.kind.as_str(),
        new.weight.value()
    );
    c.execute_unique(&insert, "parent", "this child already aligns to that parent").await?;
    if new.kind == LinkKind::Contributes {
        refresh_rollup(&mut c, &parent.to_string()).await?;
    }
    let alignment = found("alignment", id, alignment_in(&mut c, &id.to_string()).await?)?;
    w.created("alignment", id, &alignment);
    w.commit().await?;
    Ok(alignment)
}

pub(super) async fn delete(pools: &Pools, ctx: &Ctx, id: AlignmentId) -> StoreResult<()> {
    let mut w = Writer::begin(pools, ctx).await?;
    let mut c = w.conn();
    let key = id.to_string();
    let current = found("alignment", id, alignment_in(&mut c, &key).await?)?;
    let child = found("objective", current.child_id, objective_in(&mut c, &current.child_id.to_string()).await?)?;
    writable(&child.cycle)?;
    c.execute(&q!("DELETE FROM alignments WHERE id = $1", &key)).await?;
    if current.kind == LinkKind::Contributes {
        refresh_rollup(&mut c, &current.parent_objective_id.to_string()).await?;
    }
    w.deleted("alignment", id, &current);
    w.commit().await
}

pub(super) async fn under(pools: &Pools, parents: &[ObjectiveId]) -> StoreResult<Vec<Alignment>> {
    if parents.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = Sql::new(format!("SELECT {ALIGNMENT_COLUMNS} FROM alignments WHERE parent_objective_id IN ("));
    s.list(parents.iter().copied()).push(") ORDER BY id");
    let mut r = pools.reader().await?;
    let rows: Vec<AlignmentRow> = r.conn().fetch_all(&s).await?;
    convert(rows)
}

pub(super) async fn count_under(pools: &Pools, parents: &[ObjectiveId]) -> StoreResult<Vec<(ObjectiveId, i64)>> {
    if parents.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = Sql::new("SELECT parent_objective_id, COUNT(*) FROM alignments WHERE parent_objective_id IN (");
    s.list(parents.iter().copied()).push(") GROUP BY parent_objective_id");
    let mut r = pools.reader().await?;
    let rows: Vec<(String, i64)> = r.conn().fetch_all(&s).await?;
    rows.into_iter().map(|(id, n)| Ok((word("parent_objective_id", &id)?, n))).collect()
}

pub(super) async fn list(pools: &Pools, filter: AlignmentFilter, page: PageRequest) -> StoreResult<Page<Alignment>> {
    let mut s = Sql::new(format!("SELECT {ALIGNMENT_COLUMNS} FROM alignments WHERE 1 = 1"));
    if let Some(ch) = filter.child_id {
        s.push(" AND child_id = ").bind(ch);
    }
    if let Some(p) = filter.parent_objective_id {
        s.push(" AND parent_objective_id = ").bind(p);
    }
    if let Some(after) = &page.after {
        s.push(" AND id > ").bind(after);
    }
    s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
    let mut r = pools.reader().await?;
    let rows: Vec<AlignmentRow> = r.conn().fetch_all(&s).await?;
    Ok(Page::from_rows(convert(rows)?, page.limit, |a: &Alignment| a.id.to_string()))
}
