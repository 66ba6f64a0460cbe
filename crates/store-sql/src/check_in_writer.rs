//! Check-ins are the busiest write of the product. Rather than one transaction of seven
//! statements per check-in, one writer task per store takes every check-in waiting in its
//! queue and applies them together: one transaction, the same handful of multi-row
//! statements whether it holds one check-in or sixty-four. Each check-in is still checked
//! on its own and answered on its own; a refused one does not hold up the others.

use quarterdeck_domain::ids::KeyResultId;
use quarterdeck_store::StoreResult;
use quarterdeck_store::input::NewCheckIn;
use quarterdeck_store::records::{CheckIn, KeyResult};
use tokio::sync::{mpsc, oneshot};

/// Most check-ins applied in one transaction.
pub(crate) const MAX_BATCH: usize = 64;

pub(crate) struct CheckInJob {
    pub key_result: KeyResultId,
    pub new: NewCheckIn,
    pub reply: oneshot::Sender<StoreResult<(CheckIn, KeyResult)>>,
}

pub(crate) type CheckInQueue = mpsc::Sender<CheckInJob>;

macro_rules! sql_check_in_writer {
    ($Store:ident, $Db:ty, $Conn:ty, row_locks: $row_locks:expr) => {
        mod check_in_writer_impl {
            use super::$Store;
            use $crate::check_in_writer::{CheckInJob, CheckInQueue, MAX_BATCH};
            use $crate::derive;
            use $crate::rows::*;
            use $crate::sql::SELECT_KEY_RESULT;
            use $crate::{DbResult, new_id};
            use chrono::Utc;
            use quarterdeck_domain::ids::*;
            use quarterdeck_domain::okr::{CheckInSubject, accept_check_in};
            use quarterdeck_store::records::*;
            use quarterdeck_store::{StoreError, StoreResult};
            use sqlx::QueryBuilder;
            use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

            /// A check-in that passed its own checks, ready to write.
            struct Accepted {
                job: usize,
                check_in: CheckIn,
                key_result: KeyResult,
                score: f64,
            }

            impl $Store {
                pub(crate) fn spawn_check_in_writer(pool: sqlx::Pool<$Db>) -> CheckInQueue {
                    let (queue, mut jobs) = tokio::sync::mpsc::channel::<CheckInJob>(4 * MAX_BATCH);
                    tokio::spawn(async move {
                        while let Some(first) = jobs.recv().await {
                            let mut batch = vec![first];
                            while batch.len() < MAX_BATCH {
                                match jobs.try_recv() {
                                    Ok(job) => batch.push(job),
                                    Err(_) => break,
                                }
                            }
                            Self::apply_batch(&pool, batch).await;
                        }
                    });
                    queue
                }

                async fn apply_batch(pool: &sqlx::Pool<$Db>, jobs: Vec<CheckInJob>) {
                    let mut answers: Vec<Option<StoreResult<(CheckIn, KeyResult)>>> = jobs.iter().map(|_| None).collect();
                    let outcome = Self::write_batch(pool, &jobs, &mut answers).await;
                    if outcome.is_ok() {
                        Self::bump_counter(pool).await;
                        for (job, answer) in jobs.into_iter().zip(answers) {
                            let _ = job.reply.send(answer.unwrap_or_else(|| Err(StoreError::Backend("check-in left unanswered".into()))));
                        }
                        return;
                    }
                    // The shared transaction failed (a deadlock, a lost connection, one bad item
                    // the checks let through): nobody's check-in is lost for it. Each one is
                    // tried again alone, so one bad item never fails another person's request.
                    for job in jobs {
                        let mut answer = [None];
                        let outcome = Self::write_batch(pool, std::slice::from_ref(&job), &mut answer).await;
                        if outcome.is_ok() {
                            Self::bump_counter(pool).await;
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

                async fn key_results_in(conn: &mut $Conn, ids: &BTreeSet<String>) -> StoreResult<HashMap<KeyResultId, KeyResult>> {
                    let mut q = QueryBuilder::<$Db>::new(SELECT_KEY_RESULT);
                    q.push(" WHERE k.id IN (");
                    let mut list = q.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    let rows: Vec<KeyResultRow> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    rows.into_iter().map(|row| KeyResult::try_from(row).map(|kr| (kr.id, kr))).collect()
                }

                async fn write_batch(
                    pool: &sqlx::Pool<$Db>,
                    jobs: &[CheckInJob],
                    answers: &mut [Option<StoreResult<(CheckIn, KeyResult)>>],
                ) -> StoreResult<()> {
                    let mut tx = pool.begin().await.db()?;
                    let now = Utc::now();
                    let conn: &mut $Conn = &mut tx;

                    // The key results and authors the batch names, in two reads.
                    let kr_ids: BTreeSet<String> = jobs.iter().map(|j| j.key_result.to_string()).collect();
                    let mut krs = Self::key_results_in(conn, &kr_ids).await?;
                    if $row_locks && !krs.is_empty() {
                        // Objective before key result, as every writer does (no deadlock), and
                        // the key results read again once their objectives are held: a PATCH
                        // of a target committed meanwhile is seen, so a score is always that
                        // of the stored value and the stored target.
                        let objectives: BTreeSet<String> = krs.values().map(|k| k.objective_id.to_string()).collect();
                        let mut q = QueryBuilder::<$Db>::new("SELECT id FROM objectives WHERE id IN (");
                        let mut list = q.separated(", ");
                        for id in &objectives {
                            list.push_bind(id.clone());
                        }
                        q.push(") ORDER BY id FOR UPDATE");
                        let _: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                        krs = Self::key_results_in(conn, &kr_ids).await?;
                    }
                    let author_ids: BTreeSet<String> = jobs.iter().filter_map(|j| j.new.author_id.map(|a| a.to_string())).collect();
                    let mut authors: HashSet<String> = HashSet::new();
                    if !author_ids.is_empty() {
                        let mut q = QueryBuilder::<$Db>::new("SELECT id FROM people WHERE id IN (");
                        let mut list = q.separated(", ");
                        for id in &author_ids {
                            list.push_bind(id.clone());
                        }
                        q.push(")");
                        let found: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                        authors.extend(found.into_iter().map(|(id,)| id));
                    }

                    // Each check-in is checked on its own, exactly as a lone one would be.
                    let mut accepted: Vec<Accepted> = Vec::new();
                    for (i, job) in jobs.iter().enumerate() {
                        match Self::check_one(job, krs.get(&job.key_result), &authors, now) {
                            Ok((check_in, score)) => {
                                let key_result = krs.get(&job.key_result).expect("checked").clone();
                                accepted.push(Accepted { job: i, check_in, key_result, score });
                            }
                            Err(e) => answers[i] = Some(Err(e)),
                        }
                    }
                    if accepted.is_empty() {
                        tx.commit().await.db()?;
                        return Ok(());
                    }

                    // The objectives are held already (PostgreSQL); SQLite has one writer.
                    let objectives: BTreeSet<String> = accepted.iter().map(|a| a.key_result.objective_id.to_string()).collect();

                    let mut q = QueryBuilder::<$Db>::new(
                        "INSERT INTO check_ins (id, key_result_id, value, confidence, note, author_id, at, created_at) ",
                    );
                    q.push_values(&accepted, |mut b, a| {
                        let c = &a.check_in;
                        b.push_bind(c.id.to_string())
                            .push_bind(c.key_result_id.to_string())
                            .push_bind(c.value)
                            .push_bind(c.confidence.as_str())
                            .push_bind(c.note.clone())
                            .push_bind(c.author_id.map(|p| p.to_string()))
                            .push_bind(micros(c.at))
                            .push_bind(micros(c.created_at));
                    });
                    q.build().execute(&mut *conn).await.db()?;

                    // Each key result takes its newest value; a back-dated check-in joins the
                    // history without replacing a newer one.
                    let mut newest: BTreeMap<KeyResultId, &Accepted> = BTreeMap::new();
                    for a in &accepted {
                        let keep = newest.get(&a.check_in.key_result_id).is_none_or(|b| b.check_in.at <= a.check_in.at);
                        if keep {
                            newest.insert(a.check_in.key_result_id, a);
                        }
                    }
                    let newest: Vec<&Accepted> = newest.into_values().collect();
                    let mut q = QueryBuilder::<$Db>::new("WITH v(id, value, confidence, at, score) AS (");
                    q.push_values(&newest, |mut b, a| {
                        b.push_bind(a.check_in.key_result_id.to_string())
                            .push_bind(a.check_in.value)
                            .push_bind(a.check_in.confidence.as_str())
                            .push_bind(micros(a.check_in.at))
                            .push_bind(a.score);
                    });
                    q.push(
                        ") UPDATE key_results SET \
                         current_value = (SELECT v.value FROM v WHERE v.id = key_results.id), \
                         confidence = (SELECT v.confidence FROM v WHERE v.id = key_results.id), \
                         last_check_in_at = (SELECT v.at FROM v WHERE v.id = key_results.id), \
                         score = (SELECT v.score FROM v WHERE v.id = key_results.id) \
                         WHERE EXISTS (SELECT 1 FROM v WHERE v.id = key_results.id \
                         AND (key_results.last_check_in_at IS NULL OR key_results.last_check_in_at <= v.at))",
                    );
                    q.build().execute(&mut *conn).await.db()?;

                    // Objective scores from their key results, then the roll-ups they feed.
                    let mut q = QueryBuilder::<$Db>::new("SELECT objective_id, status, score, weight FROM key_results WHERE objective_id IN (");
                    let mut list = q.separated(", ");
                    for id in &objectives {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    let rows: Vec<(String, String, f64, f64)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    let mut per_objective: BTreeMap<String, Vec<(String, f64, f64)>> = BTreeMap::new();
                    for (o, status, score, weight) in rows {
                        per_objective.entry(o).or_default().push((status, score, weight));
                    }
                    let mut scores = Vec::new();
                    for o in &objectives {
                        let (score, count) = derive::objective_score(per_objective.get(o).map(Vec::as_slice).unwrap_or_default())?;
                        scores.push((o.clone(), score, count));
                    }
                    let mut q = QueryBuilder::<$Db>::new("WITH v(id, score, cnt) AS (");
                    q.push_values(&scores, |mut b, (id, score, count)| {
                        b.push_bind(id.clone()).push_bind(*score).push_bind(*count);
                    });
                    q.push(
                        ") UPDATE objectives SET score = (SELECT v.score FROM v WHERE v.id = objectives.id), \
                         key_result_count = (SELECT v.cnt FROM v WHERE v.id = objectives.id) \
                         WHERE id IN (SELECT id FROM v)",
                    );
                    q.build().execute(&mut *conn).await.db()?;

                    let mut q = QueryBuilder::<$Db>::new(
                        "SELECT DISTINCT parent_objective_id FROM alignments WHERE kind = 'contributes' AND child_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in &objectives {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    let parents: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                    for (parent,) in parents {
                        Self::refresh_rollup(conn, &parent).await?;
                    }
                    tx.commit().await.db()?;

                    for a in accepted {
                        let mut kr = a.key_result;
                        if kr.last_check_in_at.is_none_or(|last| last <= a.check_in.at) {
                            kr.current_value = Some(a.check_in.value);
                            kr.confidence = Some(a.check_in.confidence);
                            kr.last_check_in_at = Some(a.check_in.at);
                            kr.score = a.score;
                        }
                        answers[a.job] = Some(Ok((a.check_in, kr)));
                    }
                    Ok(())
                }

                /// The rules of one check-in: the key result exists and is active, its cycle is
                /// running (late check-ins allowed until it is closed), the time is neither
                /// before the cycle nor in the future, the value fits the key result, the author
                /// exists.
                fn check_one(
                    job: &CheckInJob,
                    kr: Option<&KeyResult>,
                    authors: &HashSet<String>,
                    now: chrono::DateTime<Utc>,
                ) -> StoreResult<(CheckIn, f64)> {
                    let kr = kr.ok_or_else(|| StoreError::NotFound { entity: "key result", id: job.key_result.to_string() })?;
                    let subject = CheckInSubject {
                        kind: kr.kind,
                        status: kr.status,
                        measure: kr.measure(),
                        cycle_state: kr.cycle.state,
                        cycle_start: kr.cycle.start,
                    };
                    let accepted = accept_check_in(&subject, job.new.value, job.new.at, now, |t| t.date_naive())?;
                    let (value, at) = (accepted.value, accepted.at);
                    if let Some(author) = job.new.author_id {
                        if !authors.contains(&author.to_string()) {
                            return Err(StoreError::UnknownReference { field: "author_id", entity: "person", id: author.to_string() });
                        }
                    }
                    let check_in = CheckIn {
                        id: CheckInId(new_id()),
                        key_result_id: kr.id,
                        value,
                        confidence: job.new.confidence,
                        note: job.new.note.as_str().to_owned(),
                        author_id: job.new.author_id,
                        at: time("at", micros(at))?,
                        created_at: time("created_at", micros(now))?,
                    };
                    Ok((check_in, accepted.score.value()))
                }
            }
        }
    };
}

pub(crate) use sql_check_in_writer;
