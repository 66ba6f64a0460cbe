//! Derived numbers (key-result score, objective score, roll-up), computed by the domain's
//! functions on each write and for a bulk import, so the two paths cannot disagree. Every
//! writer holds an objective's row lock before it recomputes the objective (PostgreSQL), and
//! takes objectives before key results: one lock order everywhere.

use crate::db::{Conn, Sql, q};
use crate::rows::word;
use quarterdeck_domain::alignment::{LinkKind, RollupSums};
use quarterdeck_domain::ids::ObjectiveId;
use quarterdeck_domain::okr::{KeyResultStatus, ObjectiveStatus, objective_score as domain_objective_score};
use quarterdeck_domain::scoring::{Measure, Score, Weight, check_value, score_value};
use quarterdeck_store::StoreResult;
use quarterdeck_store::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn weight(w: f64) -> StoreResult<Weight> {
    Ok(Weight::new("weight", w)?)
}

/// Score and key-result count of an objective from its key results' (status, score, weight).
pub(crate) fn objective_score(key_results: &[(String, f64, f64)]) -> StoreResult<(f64, i64)> {
    let mut items = Vec::with_capacity(key_results.len());
    for (status, score, w) in key_results {
        items.push((word::<KeyResultStatus>("status", status)?, Score::clamped(*score), weight(*w)?));
    }
    Ok((domain_objective_score(items).value(), key_results.len() as i64))
}

/// A parent's roll-up sums from its contributing children's (score, link weight).
pub(crate) fn rollup_sums(children: &[(f64, f64)]) -> RollupSums {
    RollupSums::of(children.iter().filter_map(|(s, w)| Weight::new("weight", *w).ok().map(|w| (Score::clamped(*s), w))))
}

/// Takes the row locks of these objectives, in id order (PostgreSQL; SQLite has one writer).
pub(crate) async fn lock_objectives(c: &mut Conn<'_>, ids: &BTreeSet<String>) -> StoreResult<()> {
    if !c.is_pg() || ids.is_empty() {
        return Ok(());
    }
    let mut s = Sql::new("SELECT id FROM objectives WHERE id IN (");
    s.list(ids.iter()).push(") ORDER BY id FOR UPDATE");
    let _: Vec<(String,)> = c.fetch_all(&s).await?;
    Ok(())
}

pub(crate) async fn lock_objective(c: &mut Conn<'_>, id: &str) -> StoreResult<()> {
    lock_objectives(c, &BTreeSet::from([id.to_owned()])).await
}

/// Brings an objective's score and key-result count up to date from its key results, then
/// the roll-ups of the objectives it contributes to. The caller holds the objective's lock.
pub(crate) async fn refresh_objective(c: &mut Conn<'_>, objective: &str) -> StoreResult<()> {
    let krs: Vec<(String, f64, f64)> =
        c.fetch_all(&q!("SELECT status, score, weight FROM key_results WHERE objective_id = $1", objective)).await?;
    let (score, count) = objective_score(&krs)?;
    c.execute(&q!(
        "UPDATE objectives SET score = $1, key_result_count = $2, revision = revision + 1 WHERE id = $3",
        score,
        count,
        objective
    ))
    .await?;
    refresh_parents(c, &BTreeSet::from([objective.to_owned()])).await
}

/// Recomputes the roll-ups of the objectives these children contribute to: a fixed number
/// of statements however many parents there are.
pub(crate) async fn refresh_parents(c: &mut Conn<'_>, children: &BTreeSet<String>) -> StoreResult<()> {
    if children.is_empty() {
        return Ok(());
    }
    let mut s =
        Sql::new("SELECT DISTINCT parent_objective_id FROM alignments WHERE kind = 'contributes' AND child_id IN (");
    s.list(children.iter()).push(")");
    let parents: Vec<(String,)> = c.fetch_all(&s).await?;
    refresh_rollups(c, &parents.into_iter().map(|(p,)| p).collect()).await
}

/// A parent's roll-up from its contributing, not retired children.
pub(crate) async fn refresh_rollup(c: &mut Conn<'_>, parent: &str) -> StoreResult<()> {
    refresh_rollups(c, &BTreeSet::from([parent.to_owned()])).await
}

/// Parents' roll-ups from their contributing, not retired children, read after the parents'
/// locks are held so that a concurrent writer's committed child score is seen.
async fn refresh_rollups(c: &mut Conn<'_>, parents: &BTreeSet<String>) -> StoreResult<()> {
    if parents.is_empty() {
        return Ok(());
    }
    lock_objectives(c, parents).await?;
    let mut s = Sql::new(
        "SELECT a.parent_objective_id, o.score, a.weight FROM alignments a JOIN objectives o ON o.id = a.child_id \
         WHERE a.kind = 'contributes' AND o.status <> 'retired' AND a.parent_objective_id IN (",
    );
    s.list(parents.iter()).push(")");
    let rows: Vec<(String, f64, f64)> = c.fetch_all(&s).await?;
    let mut children: BTreeMap<&str, Vec<(f64, f64)>> = parents.iter().map(|p| (p.as_str(), Vec::new())).collect();
    for (parent, score, w) in &rows {
        if let Some(list) = children.get_mut(parent.as_str()) {
            list.push((*score, *w));
        }
    }
    let sums: Vec<(&str, RollupSums)> = children.iter().map(|(p, ch)| (*p, rollup_sums(ch))).collect();
    write_rollups(c, &sums).await
}

/// Stores parents' roll-up sums and the roll-up they stand for.
async fn write_rollups(c: &mut Conn<'_>, sums: &[(&str, RollupSums)]) -> StoreResult<()> {
    match rollups_sql(sums) {
        Some(u) => c.execute(&u).await.map(|_| ()),
        None => Ok(()),
    }
}

/// The statement storing parents' roll-up sums and the roll-up they stand for.
fn rollups_sql(sums: &[(&str, RollupSums)]) -> Option<Sql> {
    if sums.is_empty() {
        return None;
    }
    let mut u = Sql::new(
        "UPDATE objectives SET rollup = v.column2, rollup_weight = v.column3, rollup_sum = v.column4, \
             revision = revision + 1 FROM (",
    );
    u.values(sums, |t, (id, s)| {
        t.bind(*id).bind(s.value().map(Score::value)).bind(s.weight).bind(s.weighted);
    });
    u.push(") AS v WHERE objectives.id = v.column1");
    Some(u)
}

/// The upward links of the objectives holding some key results, read before a write changes
/// their scores: each contributing child's score, its parents with the link weights, and the
/// parents' sums as they stood (retired objectives contribute nothing and are left out).
#[derive(Default)]
pub(crate) struct Links {
    /// child → (its score before the write, [(parent, link weight)]).
    children: HashMap<String, (f64, Vec<(String, f64)>)>,
    parents: BTreeMap<String, RollupSums>,
}

/// The statement that reads [`Links`] for the objectives of these key results.
pub(crate) fn links_sql(key_results: &BTreeSet<String>) -> Sql {
    let mut s = Sql::new(
        "SELECT ch.id, ch.score, a.parent_objective_id, a.weight, p.rollup_weight, p.rollup_sum FROM objectives ch \
         JOIN alignments a ON a.child_id = ch.id AND a.kind = 'contributes' \
         JOIN objectives p ON p.id = a.parent_objective_id \
         WHERE ch.status <> 'retired' AND ch.id IN (SELECT objective_id FROM key_results WHERE id IN (",
    );
    s.list(key_results.iter()).push("))");
    s
}

pub(crate) type LinkRow = (String, f64, String, f64, f64, f64);

impl Links {
    pub(crate) fn from_rows(rows: Vec<LinkRow>) -> Links {
        let mut out = Links::default();
        for (child, score, parent, w, weight, weighted) in rows {
            out.children.entry(child).or_insert_with(|| (score, Vec::new())).1.push((parent.clone(), w));
            out.parents.insert(parent, RollupSums { weight, weighted });
        }
        out
    }
}

/// The statement moving the roll-ups of the parents of children whose scores changed (`new`
/// by child id): rows in proportion to the parents, never the siblings. On SQLite the sums read
/// with the links are current (the writer holds the write lock from its first read); on
/// PostgreSQL each parent is locked and its sums read again here, after the children were
/// locked: the one lock order of every writer.
pub(crate) async fn moved_rollups(
    c: &mut Conn<'_>,
    links: &Links,
    new: &HashMap<String, f64>,
) -> StoreResult<Option<Sql>> {
    if links.parents.is_empty() {
        return Ok(None);
    }
    let mut sums = links.parents.clone();
    if c.is_pg() {
        let mut s = Sql::new("SELECT id, rollup_weight, rollup_sum FROM objectives WHERE id IN (");
        s.list(sums.keys()).push(") ORDER BY id FOR UPDATE");
        let rows: Vec<(String, f64, f64)> = c.fetch_all(&s).await?;
        sums = rows.into_iter().map(|(id, weight, weighted)| (id, RollupSums { weight, weighted })).collect();
    }
    for (child, (old, parents)) in &links.children {
        let Some(&after) = new.get(child) else { continue };
        for (parent, w) in parents {
            if let Some(s) = sums.get_mut(parent) {
                *s = s.child_changed(weight(*w)?, Score::clamped(*old), Score::clamped(after));
            }
        }
    }
    let sums: Vec<(&str, RollupSums)> = sums.iter().map(|(p, s)| (p.as_str(), *s)).collect();
    Ok(rollups_sql(&sums))
}

/// Fills in every derived field of a snapshot from its raw facts (check-ins, weights).
/// Returns each objective's roll-up sums.
pub(crate) fn derive_all(s: &mut Snapshot) -> StoreResult<HashMap<ObjectiveId, RollupSums>> {
    let mut latest: HashMap<_, usize> = HashMap::new();
    for (i, c) in s.check_ins.iter().enumerate() {
        let newer = latest.get(&c.key_result_id).is_none_or(|&j| s.check_ins[j].at <= c.at);
        if newer {
            latest.insert(c.key_result_id, i);
        }
    }
    let mut per_objective: HashMap<_, Vec<(String, f64, f64)>> = HashMap::new();
    for k in &mut s.key_results {
        let measure = Measure::for_kind(k.kind, k.baseline, k.target, k.tolerance)?;
        weight(k.weight)?;
        k.direction = measure.direction();
        match latest.get(&k.id).map(|&i| &s.check_ins[i]) {
            Some(c) => {
                let value = check_value(k.kind, "value", c.value)?;
                k.current_value = Some(value);
                k.confidence = Some(c.confidence);
                k.last_check_in_at = Some(c.at);
                k.score = score_value(k.kind, &measure, value).value();
            }
            None => {
                k.current_value = None;
                k.confidence = None;
                k.last_check_in_at = None;
                k.score = 0.0;
            }
        }
        per_objective.entry(k.objective_id).or_default().push((k.status.as_str().to_owned(), k.score, k.weight));
    }
    let mut scores = HashMap::new();
    for o in &mut s.objectives {
        let (score, count) = objective_score(per_objective.get(&o.id).map(Vec::as_slice).unwrap_or_default())?;
        o.score = score;
        o.key_result_count = count;
        scores.insert(o.id, (score, o.status));
    }
    let mut children: HashMap<_, Vec<(f64, f64)>> = HashMap::new();
    for a in &s.alignments {
        weight(a.weight)?;
        if a.kind != LinkKind::Contributes {
            continue;
        }
        if let Some((score, status)) = scores.get(&a.child_id)
            && *status != ObjectiveStatus::Retired
        {
            children.entry(a.parent_objective_id).or_default().push((*score, a.weight));
        }
    }
    let mut sums = HashMap::new();
    for o in &mut s.objectives {
        let of = children.get(&o.id).map(|c| rollup_sums(c)).unwrap_or_default();
        o.rollup = of.value().map(Score::value);
        sums.insert(o.id, of);
    }
    Ok(sums)
}
