//! Check-ins are the busiest write of the product. Rather than one transaction per check-in,
//! one writer task per store takes every check-in waiting in its queue and applies them
//! together: one transaction, the same handful of multi-row statements whether it holds one
//! check-in or sixty-four, with each check-in's audit row and event in the same transaction.
//! Each check-in is still checked on its own and answered on its own; a refused one does
//! not hold up the others, and if the shared transaction fails, each is tried again alone.

use crate::db::{Pools, Sql};
use crate::fused::FusedTx;
use crate::journal;
use crate::rows::*;
use crate::scores::{LinkRow, Links, links_sql, moved_rollups, objective_score};
use crate::sql::{CHECK_IN_COLUMNS, SELECT_KEY_RESULT};
use crate::write::Change;
use crate::{found, new_id};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::event::DomainEvent;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{CheckInSubject, accept_check_in};
use quarterdeck_store::input::NewCheckIn;
use quarterdeck_store::records::{CheckIn, KeyResult};
use quarterdeck_store::{Ctx, Page, PageRequest, StoreError, StoreResult};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// Most check-ins applied in one transaction.
const MAX_BATCH: usize = 64;

/// How often the writer yields before taking a batch (measured: two rounds take batches from
/// 3.4 to 5 check-ins at 8 clients, more rounds add nothing).
const JOIN_ROUNDS: usize = 2;

pub(crate) struct CheckInJob {
    ctx: Ctx,
    key_result: KeyResultId,
    new: NewCheckIn,
    reply: oneshot::Sender<StoreResult<(CheckIn, KeyResult)>>,
}

pub(crate) type CheckInQueue = mpsc::Sender<CheckInJob>;

/// A check-in that passed its own checks, ready to write.
struct Accepted {
    job: usize,
    check_in: CheckIn,
    before: KeyResult,
    score: f64,
}

pub(crate) fn spawn_writer(pools: Pools) -> CheckInQueue {
    let (queue, mut jobs) = mpsc::channel::<CheckInJob>(4 * MAX_BATCH);
    tokio::spawn(async move {
        while let Some(first) = jobs.recv().await {
            let mut batch = vec![first];
            // Group commit: before taking its batch the writer lets the tasks that are ready
            // run, so requests already on their way (parsed, checked, about to queue) join this
            // batch instead of waiting for the next. Alone, it costs a few microseconds.
            for _ in 0..JOIN_ROUNDS {
                tokio::task::yield_now().await;
            }
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            apply_batch(&pools, batch).await;
        }
    });
    queue
}

pub(super) async fn record(
    queue: &CheckInQueue,
    ctx: &Ctx,
    key_result: KeyResultId,
    new: NewCheckIn,
) -> StoreResult<(CheckIn, KeyResult)> {
    let (reply, answer) = oneshot::channel();
    let stopped = || StoreError::Backend("the check-in writer has stopped".into());
    queue.send(CheckInJob { ctx: ctx.clone(), key_result, new, reply }).await.map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

pub(super) async fn recent(pools: &Pools, key_results: &[KeyResultId], per: u32) -> StoreResult<Vec<CheckIn>> {
    if key_results.is_empty() || per == 0 {
        return Ok(Vec::new());
    }
    // Each key result's newest rows by its (key_result_id, at, id) index.
    let mut s = Sql::new(format!(
        "SELECT {CHECK_IN_COLUMNS} FROM (SELECT {CHECK_IN_COLUMNS}, ROW_NUMBER() OVER \
         (PARTITION BY key_result_id ORDER BY at DESC, id DESC) AS n FROM check_ins WHERE key_result_id IN ("
    ));
    s.list(key_results.iter().copied()).push(")) AS recent WHERE n <= ").bind(i64::from(per));
    s.push(" ORDER BY key_result_id, at DESC, id DESC");
    let mut r = pools.reader().await?;
    let rows: Vec<CheckInRow> = r.conn().fetch_all(&s).await?;
    convert(rows)
}

pub(super) async fn list(pools: &Pools, key_result: KeyResultId, page: PageRequest) -> StoreResult<Page<CheckIn>> {
    let mut r = pools.reader().await?;
    let mut c = r.conn();
    found("key result", key_result, super::key_result_in(&mut c, &key_result.to_string()).await?)?;
    let mut s = Sql::new(format!("SELECT {CHECK_IN_COLUMNS} FROM check_ins WHERE key_result_id = "));
    s.bind(key_result);
    // Newest first: the cursor is "at.id" of the last row.
    if let Some((at, id)) = page.after.as_deref().and_then(|a| a.split_once('.')) {
        let at: i64 = at.parse().map_err(|_| StoreError::InvalidCursor)?;
        s.push(" AND (at < ").bind(at);
        s.push(" OR (at = ").bind(at);
        s.push(" AND id < ").bind(id).push("))");
    }
    s.push(" ORDER BY at DESC, id DESC LIMIT ").bind(page.limit as i64 + 1);
    let rows: Vec<CheckInRow> = c.fetch_all(&s).await?;
    Ok(Page::from_rows(convert(rows)?, page.limit, |ch: &CheckIn| format!("{}.{}", micros(ch.at), ch.id)))
}

async fn apply_batch(pools: &Pools, jobs: Vec<CheckInJob>) {
    let mut answers: Vec<Option<StoreResult<(CheckIn, KeyResult)>>> = jobs.iter().map(|_| None).collect();
    let outcome = write_batch(pools, &jobs, &mut answers).await;
    if outcome.is_ok() {
        pools.after_commit().await;
        for (job, answer) in jobs.into_iter().zip(answers) {
            let answer = answer.unwrap_or_else(|| Err(StoreError::Backend("check-in left unanswered".into())));
            let _ = job.reply.send(answer);
        }
        return;
    }
    // The shared transaction failed (a deadlock, a lost connection, an item the checks let
    // through): nobody's check-in is lost for it. Each is tried again alone, so one bad item
    // never fails another person's request.
    for job in jobs {
        let mut answer = [None];
        let outcome = write_batch(pools, std::slice::from_ref(&job), &mut answer).await;
        if outcome.is_ok() {
            pools.after_commit().await;
        }
        let [answer] = answer;
        let answer = match (outcome, answer) {
            (Ok(()), Some(a)) => a,
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(StoreError::Backend("check-in left unanswered".into())),
        };
        let _ = job.reply.send(answer);
    }
}

/// The statement reading the key results the batch names and every other key result of
/// their objectives (the objectives' scores are computed from all of them).
fn key_results_sql(ids: &BTreeSet<String>) -> Sql {
    let mut s = Sql::new(SELECT_KEY_RESULT);
    s.push(" WHERE k.objective_id IN (SELECT objective_id FROM key_results WHERE id IN (").list(ids.iter()).push("))");
    s
}

/// What a batch writes, and each accepted check-in's answer once it is committed.
type Planned = (Vec<Sql>, Vec<(usize, CheckIn, KeyResult)>);

/// One transaction for the batch: on SQLite two trips to the database, one for everything it
/// reads (with BEGIN) and one for everything it writes (with COMMIT).
async fn write_batch(
    pools: &Pools,
    jobs: &[CheckInJob],
    answers: &mut [Option<StoreResult<(CheckIn, KeyResult)>>],
) -> StoreResult<()> {
    let mut tx = FusedTx::begin(pools).await?;
    match plan_batch(&mut tx, jobs, answers).await {
        Ok((writes, results)) => {
            tx.commit_with(&writes).await?;
            for (job, check_in, kr) in results {
                answers[job] = Some(Ok((check_in, kr)));
            }
            Ok(())
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

async fn plan_batch(
    tx: &mut FusedTx,
    jobs: &[CheckInJob],
    answers: &mut [Option<StoreResult<(CheckIn, KeyResult)>>],
) -> StoreResult<Planned> {
    let kr_ids: BTreeSet<String> = jobs.iter().map(|j| j.key_result.to_string()).collect();
    let author_ids: BTreeSet<String> = jobs.iter().filter_map(|j| j.new.author_id.map(|a| a.to_string())).collect();
    if tx.is_pg() {
        // The objectives are held before their key results are read (objective before key
        // result, as every writer locks), so a PATCH of a target committed meanwhile is seen
        // and a score is always that of the stored value and target.
        let mut lock =
            Sql::new("SELECT id FROM objectives WHERE id IN (SELECT objective_id FROM key_results WHERE id IN (");
        lock.list(kr_ids.iter()).push(")) ORDER BY id FOR UPDATE");
        tx.read(&[lock]).await?;
    }
    let mut reads = vec![crate::org::settings_sql(""), key_results_sql(&kr_ids), links_sql(&kr_ids)];
    if !author_ids.is_empty() {
        let mut s = Sql::new("SELECT id FROM people WHERE id IN (");
        s.list(author_ids.iter()).push(")");
        reads.push(s);
    }
    let sets = tx.read(&reads).await?;
    let zone = crate::org::settings_from(sets[0].decode::<(String, i64)>()?.into_iter().next())?.time_zone;
    let krs: HashMap<KeyResultId, KeyResult> = sets[1]
        .decode::<KeyResultRow>()?
        .into_iter()
        .map(|row| KeyResult::try_from(row).map(|kr| (kr.id, kr)))
        .collect::<StoreResult<_>>()?;
    let links = Links::from_rows(sets[2].decode::<LinkRow>()?);
    let authors: HashSet<String> = match sets.get(3) {
        Some(set) => set.decode::<(String,)>()?.into_iter().map(|(id,)| id).collect(),
        None => HashSet::new(),
    };

    // Each check-in is checked on its own, exactly as a lone one would be.
    let mut accepted: Vec<Accepted> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match check_one(job, krs.get(&job.key_result), &authors, zone) {
            Ok((check_in, score)) => {
                let before = krs.get(&job.key_result).expect("checked").clone();
                accepted.push(Accepted { job: i, check_in, before, score });
            }
            Err(e) => answers[i] = Some(Err(e)),
        }
    }
    if accepted.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }

    // Each key result takes its newest value; a back-dated check-in joins the history
    // without replacing a newer one.
    let mut newest: BTreeMap<KeyResultId, &Accepted> = BTreeMap::new();
    for a in &accepted {
        let keep = newest.get(&a.check_in.key_result_id).is_none_or(|b| b.check_in.at <= a.check_in.at);
        let later = a.before.last_check_in_at.is_none_or(|last| last <= a.check_in.at);
        if keep && later {
            newest.insert(a.check_in.key_result_id, a);
        }
    }
    // The key results as they will be, and their objectives' scores from all of them.
    let mut after: HashMap<KeyResultId, KeyResult> = HashMap::new();
    for a in newest.values() {
        let mut kr = a.before.clone();
        kr.current_value = Some(a.check_in.value);
        kr.confidence = Some(a.check_in.confidence);
        kr.last_check_in_at = Some(a.check_in.at);
        kr.score = a.score;
        after.insert(kr.id, kr);
    }
    let objectives: BTreeSet<String> = accepted.iter().map(|a| a.before.objective_id.to_string()).collect();
    let mut per_objective: BTreeMap<String, Vec<(String, f64, f64)>> = BTreeMap::new();
    for kr in krs.values() {
        let kr = after.get(&kr.id).unwrap_or(kr);
        per_objective.entry(kr.objective_id.to_string()).or_default().push((
            kr.status.as_str().to_owned(),
            kr.score,
            kr.weight,
        ));
    }
    let mut scores = Vec::with_capacity(objectives.len());
    for o in &objectives {
        let (score, count) = objective_score(per_objective.get(o).map(Vec::as_slice).unwrap_or_default())?;
        scores.push((o, score, count));
    }

    // The writes of the batch, with the trail of each check-in (the key result before and
    // after, and the event), in one trip to the database where it allows.
    let mut writes = Vec::new();
    let mut s =
        Sql::new("INSERT INTO check_ins (id, key_result_id, value, confidence, note, author_id, at, created_at)");
    s.values(&accepted, |t, a| {
        let ch = &a.check_in;
        t.bind(ch.id)
            .bind(ch.key_result_id)
            .bind(ch.value)
            .bind(ch.confidence.as_str())
            .bind(&ch.note)
            .bind(ch.author_id)
            .bind(micros(ch.at))
            .bind(micros(ch.created_at));
    });
    writes.push(s);
    if !newest.is_empty() {
        // Each row found by its key (both databases name VALUES' columns column1, column2, …).
        let rows: Vec<&&Accepted> = newest.values().collect();
        let mut s = Sql::new(
            "UPDATE key_results SET current_value = v.column2, confidence = v.column3, last_check_in_at = v.column4, \
             score = v.column5 FROM (",
        );
        s.values(&rows, |t, a| {
            t.bind(a.check_in.key_result_id)
                .bind(a.check_in.value)
                .bind(a.check_in.confidence.as_str())
                .bind(micros(a.check_in.at))
                .bind(a.score);
        });
        s.push(") AS v WHERE key_results.id = v.column1");
        writes.push(s);
    }
    let mut s = Sql::new(
        "UPDATE objectives SET score = v.column2, key_result_count = v.column3, revision = revision + 1 FROM (",
    );
    s.values(&scores, |t, (id, score, count)| {
        t.bind(*id).bind(*score).bind(*count);
    });
    s.push(") AS v WHERE objectives.id = v.column1");
    writes.push(s);
    let mut changes = Vec::with_capacity(accepted.len());
    let mut events = Vec::with_capacity(accepted.len());
    let mut results = Vec::with_capacity(accepted.len());
    for a in &accepted {
        let kr = match after.get(&a.check_in.key_result_id) {
            Some(newer) if newest.get(&newer.id).is_some_and(|n| n.check_in.id == a.check_in.id) => newer.clone(),
            _ => a.before.clone(),
        };
        let actor: Actor = jobs[a.job].ctx.actor.clone();
        changes.push(Change {
            actor: actor.clone(),
            entity: "key_result",
            id: kr.id.to_string(),
            action: "check_in",
            before: serde_json::to_string(&a.before).ok(),
            after: serde_json::to_string(&kr).ok(),
        });
        events.push((
            actor,
            DomainEvent::CheckInRecorded {
                check_in: a.check_in.id,
                key_result: kr.id,
                objective: kr.objective_id,
                value: a.check_in.value,
                confidence: a.check_in.confidence,
                score: a.score,
            },
        ));
        results.push((a.job, a.check_in.clone(), kr));
    }
    let at = micros(jobs[accepted[0].job].ctx.at);
    writes.extend(journal::statements(&tx.conn(), at, &changes, &events));
    // The parents' roll-ups moved by the difference: rows in proportion to what changed.
    let new_scores: HashMap<String, f64> = scores.iter().map(|(o, score, _)| ((*o).clone(), *score)).collect();
    writes.extend(moved_rollups(&mut tx.conn(), &links, &new_scores).await?);
    Ok((writes, results))
}

/// The rules of one check-in (the domain's), plus the author: the author must exist.
fn check_one(
    job: &CheckInJob,
    kr: Option<&KeyResult>,
    authors: &HashSet<String>,
    zone: quarterdeck_domain::zone::Zone,
) -> StoreResult<(CheckIn, f64)> {
    let kr = found("key result", job.key_result, kr)?;
    let subject = CheckInSubject {
        kind: kr.kind,
        status: kr.status,
        measure: kr.measure(),
        cycle_state: kr.cycle.state,
        cycle_start: kr.cycle.start,
    };
    let now = job.ctx.at;
    let accepted = accept_check_in(&subject, job.new.value, job.new.at, now, |t| zone.local_date(t))?;
    if let Some(author) = job.new.author_id
        && !authors.contains(&author.to_string())
    {
        return Err(StoreError::UnknownReference { field: "author_id", entity: "person", id: author.to_string() });
    }
    let check_in = CheckIn {
        id: CheckInId(new_id()),
        key_result_id: kr.id,
        value: accepted.value,
        confidence: job.new.confidence,
        note: job.new.note.as_str().to_owned(),
        author_id: job.new.author_id,
        at: time("at", micros(accepted.at))?,
        created_at: time("created_at", micros(now))?,
    };
    Ok((check_in, accepted.score.value()))
}
