//! The KPI driver tree drawn as a graph (nodes coloured by status, edges by influence and
//! sign), and a dashboard of any branch: its KPIs as charts on one page, chosen in the
//! address so it can be bookmarked and shared.

use super::{PageResult, Viewer};
use axum::extract::{Path, Query};
use minijinja::context;
use quarterdeck_app::views::{KpiEdgeView, KpiView};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::period::Granularity;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};

const NODE_W: f64 = 150.0;
const NODE_H: f64 = 46.0;
const GAP_X: f64 = 20.0;
const GAP_Y: f64 = 60.0;
/// A dashboard draws at most this many charts.
const DASHBOARD_MAX: usize = 24;

/// Layered layout: each node on the level of its shortest path from the root, in the
/// order it was reached. Linear in nodes and edges.
fn layout(nodes: &[KpiView], edges: &[KpiEdgeView]) -> HashMap<KpiId, (f64, f64)> {
    let mut children: HashMap<KpiId, Vec<KpiId>> = HashMap::new();
    for e in edges {
        children.entry(e.parent_id).or_default().push(e.child_id);
    }
    let mut level: HashMap<KpiId, usize> = HashMap::new();
    let mut order: Vec<Vec<KpiId>> = Vec::new();
    let mut queue = VecDeque::new();
    if let Some(root) = nodes.first() {
        level.insert(root.id, 0);
        queue.push_back(root.id);
    }
    while let Some(id) = queue.pop_front() {
        let depth = level[&id];
        if order.len() <= depth {
            order.resize(depth + 1, Vec::new());
        }
        order[depth].push(id);
        for child in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
            if !level.contains_key(child) {
                level.insert(*child, depth + 1);
                queue.push_back(*child);
            }
        }
    }
    let widest = order.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let mut at = HashMap::new();
    for (depth, row) in order.iter().enumerate() {
        let offset = (widest - row.len() as f64) * (NODE_W + GAP_X) / 2.0;
        for (i, id) in row.iter().enumerate() {
            at.insert(*id, (offset + i as f64 * (NODE_W + GAP_X) + 10.0, depth as f64 * (NODE_H + GAP_Y) + 10.0));
        }
    }
    at
}

pub async fn page(v: Viewer, Path(key): Path<String>) -> PageResult {
    let tree = v.app.kpi_tree(&key).await?;
    let at = layout(&tree.nodes, &tree.edges);
    let width = at.values().map(|p| p.0).fold(0.0, f64::max) + NODE_W + 20.0;
    let height = at.values().map(|p| p.1).fold(0.0, f64::max) + NODE_H + 20.0;
    let nodes: Vec<minijinja::Value> = tree
        .nodes
        .iter()
        .filter_map(|n| {
            let (x, y) = *at.get(&n.id)?;
            let status = n.current_status.map(|s| s.to_string()).unwrap_or_else(|| "none".into());
            let label: String = n.name.chars().take(22).collect();
            Some(context! { n, x, y, status, label, w => NODE_W, h => NODE_H })
        })
        .collect();
    let edges: Vec<minijinja::Value> = tree
        .edges
        .iter()
        .filter_map(|e| {
            let (px, py) = *at.get(&e.parent_id)?;
            let (cx, cy) = *at.get(&e.child_id)?;
            Some(context! {
                x1 => px + NODE_W / 2.0, y1 => py + NODE_H, x2 => cx + NODE_W / 2.0, y2 => cy,
                influence => e.influence.to_string(), sign => e.sign.to_string(),
            })
        })
        .collect();
    let root = tree.nodes.first().cloned();
    Ok(v.render("tree.html", "kpis", context! { root, nodes, edges, width, height, list => tree.nodes }))
}

#[derive(Deserialize)]
pub struct DashboardParams {
    /// The branch: a KPI whose subtree is offered.
    root: Option<String>,
    /// The KPIs drawn (keys, comma-separated); the whole branch when left out.
    kpis: Option<String>,
    granularity: Option<String>,
}

pub async fn dashboard(v: Viewer, Query(q): Query<DashboardParams>) -> PageResult {
    let offered: Vec<KpiView> = match q.root.as_deref() {
        Some(root) => v.app.kpi_tree(root).await?.nodes,
        None => Vec::new(),
    };
    let chosen: Vec<String> = match q.kpis.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(list) => list.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        None => offered.iter().map(|k| k.key.clone()).collect(),
    };
    let granularity: Option<Granularity> = q.granularity.as_deref().and_then(|g| g.parse().ok());
    let mut charts = Vec::new();
    for key in chosen.iter().take(DASHBOARD_MAX) {
        let (kpi, periods) = v.app.list_periods(key, granularity, None, None, None, Some(26)).await?;
        let points: Vec<(i64, Option<f64>)> = periods
            .iter()
            .map(|p| (p.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp(), p.value))
            .collect();
        let (target, band) = match kpi.target {
            Some(quarterdeck_domain::kpi::definition::Target::Value { value }) => (Some(value), None),
            Some(quarterdeck_domain::kpi::definition::Target::Range { low, high }) => (None, Some([low, high])),
            None => (None, None),
        };
        let chart = serde_json::json!({
            "kind": "kpi", "unit": kpi.unit_of_measure, "points": points,
            "target": target, "band": band, "guardrail": kpi.guardrail_threshold,
        });
        charts.push(context! { kpi, chart => chart.to_string(), points => periods.len() });
    }
    Ok(v.render(
        "dashboard.html",
        "kpis",
        context! {
            root => q.root, offered, chosen, charts, more => chosen.len() > DASHBOARD_MAX,
            granularity => q.granularity, max => DASHBOARD_MAX,
        },
    ))
}
