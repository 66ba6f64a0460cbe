//! KPI driver trees: a North Star at the root, drivers below, each edge scored.

use super::{kpi_in, kpis_by_ids, not_found};
use crate::db::{Pools, q};
use crate::kpi_rows::*;
use crate::rows::{convert, word};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{found, new_id};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::tree::check_new_edge;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, StoreResult};
use std::collections::{HashMap, HashSet};

/// Every KPI joined to `$1` or `$2` by edges, in either direction: one driver tree.
const JOINED: &str = "WITH RECURSIVE joined(id) AS (SELECT CAST($1 AS TEXT) UNION SELECT CAST($2 AS TEXT) \
     UNION SELECT CASE WHEN e.parent_id = joined.id THEN e.child_id ELSE e.parent_id END \
     FROM kpi_edges e JOIN joined ON joined.id IN (e.parent_id, e.child_id))";

pub(super) async fn create_edge(pools: &Pools, ctx: &Ctx, new: NewKpiEdge) -> StoreResult<KpiEdge> {
    let mut w = Writer::begin(pools, ctx).await?;
    let now = w.now();
    let mut c = w.conn();
    require_ref(&mut c, "kpis", "KPI", "parent_id", Some(new.parent_id.to_string())).await?;
    require_ref(&mut c, "kpis", "KPI", "child_id", Some(new.child_id.to_string())).await?;
    // Only the edges of the tree the new edge joins (every KPI connected to the parent or the
    // child, in either direction): what the loop and North-Star rules look at, linear in that
    // tree rather than in every edge of the organisation.
    let component =
        format!("{JOINED} SELECT child_id, parent_id FROM kpi_edges WHERE child_id IN (SELECT id FROM joined)");
    let edges: Vec<(String, String)> = c.fetch_all(&q!(component, new.parent_id, new.child_id)).await?;
    let mut parents_of: HashMap<KpiId, Vec<KpiId>> = HashMap::new();
    for (ch, p) in edges {
        parents_of.entry(word("child_id", &ch)?).or_default().push(word("parent_id", &p)?);
    }
    let stars: Vec<(String,)> = c.fetch_all(&q!("SELECT id FROM kpis WHERE north_star = $1", true)).await?;
    let stars: HashSet<KpiId> = stars.iter().map(|(s,)| word("kpi id", s)).collect::<StoreResult<_>>()?;
    check_new_edge(new.parent_id, new.child_id, &parents_of, |k| stars.contains(&k))?;
    let id = KpiEdgeId(new_id());
    let insert = q!(
        "INSERT INTO kpi_edges (id, version, created_at, updated_at, parent_id, child_id, influence, confidence, sign) \
         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7)",
        id,
        now,
        new.parent_id,
        new.child_id,
        new.influence.as_str(),
        new.confidence.as_str(),
        new.sign.as_str()
    );
    c.execute_unique(&insert, "child_id", "this edge already exists").await?;
    let row: EdgeRow = c.fetch_one(&q!(format!("SELECT {EDGE_COLUMNS} FROM kpi_edges WHERE id = $1"), id)).await?;
    let edge = KpiEdge::try_from(row)?;
    w.created("kpi_edge", id, &edge);
    w.commit().await?;
    Ok(edge)
}

pub(super) async fn delete_edge(pools: &Pools, ctx: &Ctx, id: KpiEdgeId) -> StoreResult<()> {
    let mut w = Writer::begin(pools, ctx).await?;
    let mut c = w.conn();
    let row: Option<EdgeRow> =
        c.fetch_optional(&q!(format!("SELECT {EDGE_COLUMNS} FROM kpi_edges WHERE id = $1"), id)).await?;
    let edge = found("KPI edge", id, row.map(KpiEdge::try_from).transpose()?)?;
    c.execute(&q!("DELETE FROM kpi_edges WHERE id = $1", id)).await?;
    w.deleted("kpi_edge", id, &edge);
    w.commit().await
}

pub(super) async fn tree(pools: &Pools, root: KpiId, max_nodes: usize) -> StoreResult<(Vec<Kpi>, Vec<KpiEdge>)> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    kpi_in(&mut c, &root.to_string()).await?.ok_or_else(|| not_found(root))?;
    let sql = format!(
        "WITH RECURSIVE down(id) AS (SELECT CAST($1 AS TEXT) UNION SELECT e.child_id FROM kpi_edges e JOIN down ON e.parent_id = down.id) \
         SELECT {EDGE_COLUMNS} FROM kpi_edges WHERE parent_id IN (SELECT id FROM down) ORDER BY id LIMIT $2"
    );
    let rows: Vec<EdgeRow> = c.fetch_all(&q!(sql, root.to_string(), max_nodes as i64)).await?;
    let edges: Vec<KpiEdge> = convert(rows)?;
    // Root first, then each KPI in the order the edges first name it (linear in the nodes).
    let mut order: HashMap<String, usize> = HashMap::from([(root.to_string(), 0)]);
    let mut ids = vec![root.to_string()];
    for e in &edges {
        for k in [e.parent_id.to_string(), e.child_id.to_string()] {
            if !order.contains_key(&k) {
                order.insert(k.clone(), ids.len());
                ids.push(k);
            }
        }
    }
    let mut kpis = kpis_by_ids(&mut c, &ids).await?;
    kpis.sort_by_cached_key(|k| order.get(&k.id.to_string()).copied().unwrap_or(usize::MAX));
    Ok((kpis, edges))
}

pub(super) async fn guardrails(pools: &Pools, kpi: KpiId, max: usize) -> StoreResult<Vec<Kpi>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    let sql = format!(
        "{JOINED} SELECT {KPI_COLUMNS} FROM kpis WHERE guardrail = $3 AND id <> $1 \
         AND id IN (SELECT id FROM joined) ORDER BY key LIMIT $4"
    );
    let rows: Vec<KpiRow> = c.fetch_all(&q!(sql, kpi, kpi, true, max as i64)).await?;
    convert(rows)
}
