//! The one implementation of [`Store`], expanded for each backend's pool and connection
//! types. Both databases run the same SQL text; what differs lives in `sqlite.rs` and
//! `postgres.rs` (connection set-up, pools).

macro_rules! sql_store {
    ($Store:ident, $Db:ty, $Conn:ty, $backend:literal) => {
        mod store_impl {
        use super::$Store;
        use $crate::derive;
        use $crate::rows::*;
        use $crate::sql::*;
        use $crate::{DbResult, applied, check_version, new_id, unique_or};
        use async_trait::async_trait;
        use chrono::{NaiveDate, Utc};
        use quarterdeck_domain::alignment::{LinkKind, check_new_link, check_tree_move};
        use quarterdeck_domain::cycle::CycleState;
        use quarterdeck_domain::ids::*;
        use quarterdeck_domain::okr::{KeyResultStatus, ObjectiveStatus};
        use quarterdeck_domain::scoring::{Score, Weight, score_value};
        use quarterdeck_store::input::*;
        use quarterdeck_store::records::*;
        use quarterdeck_store::snapshot::{ImportCounts, Snapshot};
        use quarterdeck_store::{ExpectedVersion, Page, PageRequest, Store, StoreError, StoreResult};
        use sqlx::QueryBuilder;
        use std::collections::HashMap;

        /// Statements per multi-row insert stay under both databases' bind limits.
        const MAX_BINDS: usize = 30_000;

        impl $Store {
            async fn unit_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Unit>> {
                let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1");
                let row: Option<UnitRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Unit::try_from).transpose()
            }

            async fn person_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Person>> {
                let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1");
                let row: Option<PersonRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Person::try_from).transpose()
            }

            async fn cycle_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Cycle>> {
                let sql = format!("SELECT {CYCLE_COLUMNS} FROM cycles WHERE id = $1");
                let row: Option<CycleRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Cycle::try_from).transpose()
            }

            pub(crate) async fn objective_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Objective>> {
                let sql = format!("{SELECT_OBJECTIVE} WHERE o.id = $1");
                let row: Option<ObjectiveRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Objective::try_from).transpose()
            }

            async fn key_result_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<KeyResult>> {
                let sql = format!("{SELECT_KEY_RESULT} WHERE k.id = $1");
                let row: Option<KeyResultRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(KeyResult::try_from).transpose()
            }

            async fn initiative_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Initiative>> {
                let sql = format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE id = $1");
                let row: Option<InitiativeRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Initiative::try_from).transpose()
            }

            async fn alignment_in(conn: &mut $Conn, id: &str) -> StoreResult<Option<Alignment>> {
                let sql = format!("SELECT {ALIGNMENT_COLUMNS} FROM alignments WHERE id = $1");
                let row: Option<AlignmentRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await.db()?;
                row.map(Alignment::try_from).transpose()
            }

            /// A key result read after its objective's row lock is held (PostgreSQL), so that
            /// what it holds cannot change under a concurrent writer until this one commits.
            /// Every writer takes the objective first, then the key result.
            async fn locked_key_result(conn: &mut $Conn, key: &str) -> StoreResult<KeyResult> {
                let not_found = || StoreError::NotFound { entity: "key result", id: key.to_owned() };
                let first = Self::key_result_in(conn, key).await?.ok_or_else(not_found)?;
                Self::lock_objective(conn, &first.objective_id.to_string()).await?;
                Self::key_result_in(conn, key).await?.ok_or_else(not_found)
            }

            /// The current value of a KPI a key result is measured from; the KPI must exist.
            pub(crate) async fn linked_value(conn: &mut $Conn, field: &'static str, kpi: Option<KpiId>) -> StoreResult<Option<f64>> {
                let Some(kpi) = kpi else { return Ok(None) };
                let row: Option<(Option<f64>,)> = sqlx::query_as("SELECT current_value FROM kpis WHERE id = $1")
                    .bind(kpi.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?;
                match row {
                    Some((value,)) => Ok(value),
                    None => Err(StoreError::UnknownReference { field, entity: "KPI", id: kpi.to_string() }),
                }
            }

            /// Fails with `UnknownReference` when an id given in an input points at nothing.
            pub(crate) async fn require_ref(
                conn: &mut $Conn,
                table: &'static str,
                entity: &'static str,
                field: &'static str,
                id: Option<String>,
            ) -> StoreResult<()> {
                let Some(id) = id else { return Ok(()) };
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
                let (n,): (i64,) = sqlx::query_as(&sql).bind(&id).fetch_one(&mut *conn).await.db()?;
                if n == 0 { Err(StoreError::UnknownReference { field, entity, id }) } else { Ok(()) }
            }

            fn writable(window: &CycleWindow) -> StoreResult<()> {
                if window.state == CycleState::Closed { Err(quarterdeck_domain::DomainError::CycleClosed.into()) } else { Ok(()) }
            }

            /// Brings an objective's score and key-result count up to date from its key
            /// results, then the roll-ups of the objectives it contributes to.
            pub(crate) async fn refresh_objective(conn: &mut $Conn, objective: &str) -> StoreResult<()> {
                // Lock the objective row first (PostgreSQL) so concurrent check-ins on its
                // key results are applied one after the other and each sees the last.
                Self::lock_objective(conn, objective).await?;
                Self::refresh_locked_objective(conn, objective).await
            }

            pub(crate) async fn lock_objective(conn: &mut $Conn, objective: &str) -> StoreResult<()> {
                sqlx::query("UPDATE objectives SET score = score WHERE id = $1")
                    .bind(objective)
                    .execute(&mut *conn)
                    .await
                    .db()?;
                Ok(())
            }

            /// `refresh_objective` for a caller that already holds the objective's lock.
            pub(crate) async fn refresh_locked_objective(conn: &mut $Conn, objective: &str) -> StoreResult<()> {
                let krs: Vec<(String, f64, f64)> =
                    sqlx::query_as("SELECT status, score, weight FROM key_results WHERE objective_id = $1")
                        .bind(objective)
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                let (score, count) = derive::objective_score(&krs)?;
                sqlx::query("UPDATE objectives SET score = $1, key_result_count = $2 WHERE id = $3")
                    .bind(score)
                    .bind(count)
                    .bind(objective)
                    .execute(&mut *conn)
                    .await
                    .db()?;
                let parents: Vec<(String,)> = sqlx::query_as(
                    "SELECT DISTINCT parent_objective_id FROM alignments WHERE child_id = $1 AND kind = 'contributes'",
                )
                .bind(objective)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                for (parent,) in parents {
                    Self::refresh_rollup(conn, &parent).await?;
                }
                Ok(())
            }

            pub(crate) async fn refresh_rollup(conn: &mut $Conn, parent: &str) -> StoreResult<()> {
                sqlx::query("UPDATE objectives SET rollup = rollup WHERE id = $1")
                    .bind(parent)
                    .execute(&mut *conn)
                    .await
                    .db()?;
                let children: Vec<(f64, f64)> = sqlx::query_as(
                    "SELECT o.score, a.weight FROM alignments a JOIN objectives o ON o.id = a.child_id \
                     WHERE a.parent_objective_id = $1 AND a.kind = 'contributes' AND o.status <> 'retired'",
                )
                .bind(parent)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                let rollup = derive::rollup(&children);
                sqlx::query("UPDATE objectives SET rollup = $1 WHERE id = $2")
                    .bind(rollup)
                    .bind(parent)
                    .execute(&mut *conn)
                    .await
                    .db()?;
                Ok(())
            }

            /// The chain above `start` in a tree table (`start` first), in one recursive query.
            async fn ancestors(conn: &mut $Conn, table: &str, parent_column: &str, start: &str) -> StoreResult<Vec<String>> {
                let sql = format!(
                    "WITH RECURSIVE up(id, depth) AS (SELECT CAST($1 AS TEXT), 0 \
                     UNION ALL SELECT t.{parent_column}, up.depth + 1 FROM {table} t JOIN up ON t.id = up.id \
                     WHERE t.{parent_column} IS NOT NULL AND up.depth < 100000) SELECT id FROM up ORDER BY depth"
                );
                let rows: Vec<(String,)> = sqlx::query_as(&sql).bind(start).fetch_all(&mut *conn).await.db()?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            /// Refuses to put `unit` below `start` when that would close a loop.
            async fn check_unit_parent(conn: &mut $Conn, unit: &str, start: &str) -> StoreResult<()> {
                let chain = Self::ancestors(conn, "units", "parent_id", start).await?;
                Ok(check_tree_move(&unit.to_owned(), &chain, quarterdeck_domain::DomainError::UnitCycle)?)
            }

            async fn check_manager(conn: &mut $Conn, person: &str, start: &str) -> StoreResult<()> {
                let chain = Self::ancestors(conn, "people", "manager_id", start).await?;
                Ok(check_tree_move(&person.to_owned(), &chain, quarterdeck_domain::DomainError::ManagerCycle)?)
            }
        }

        #[async_trait]
        impl Store for $Store {
            fn backend(&self) -> &'static str { $backend }

            async fn change_token(&self) -> StoreResult<String> { self.token().await }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.read).await.db()?;
                Ok(())
            }

            // ---- units -------------------------------------------------------------------

            async fn create_unit(&self, new: NewUnit) -> StoreResult<Unit> {
                let mut tx = self.write.begin().await.db()?;
                Self::require_ref(&mut tx, "units", "unit", "parent_id", new.parent_id.map(|p| p.to_string())).await?;
                let id = UnitId(new_id());
                let now = micros(Utc::now());
                sqlx::query(
                    "INSERT INTO units (id, version, created_at, updated_at, slug, name, kind, parent_id) \
                     VALUES ($1, 1, $2, $2, $3, $4, $5, $6)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.slug.as_str())
                .bind(new.name.as_str())
                .bind(new.kind.as_str())
                .bind(new.parent_id.map(|p| p.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "slug", new.slug.as_str()))?;
                let unit = Self::unit_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(unit)
            }

            async fn get_unit(&self, id: UnitId) -> StoreResult<Unit> {
                let mut conn = self.read.acquire().await.db()?;
                Self::unit_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "unit", id: id.to_string() })
            }

            async fn find_unit_by_slug(&self, slug: &str) -> StoreResult<Unit> {
                let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE slug = $1");
                let row: Option<UnitRow> = sqlx::query_as(&sql).bind(slug).fetch_optional(&self.read).await.db()?;
                row.map(Unit::try_from)
                    .transpose()?
                    .ok_or_else(|| StoreError::NotFound { entity: "unit", id: slug.to_owned() })
            }

            async fn list_units(&self, filter: UnitFilter, page: PageRequest) -> StoreResult<Page<Unit>> {
                let mut q = QueryBuilder::<$Db>::new(format!("SELECT {UNIT_COLUMNS} FROM units WHERE 1 = 1"));
                if let Some(p) = filter.parent_id {
                    q.push(" AND parent_id = ").push_bind(p.to_string());
                }
                if let Some(k) = filter.kind {
                    q.push(" AND kind = ").push_bind(k.as_str());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<UnitRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |u: &Unit| u.id.to_string()))
            }

            async fn update_unit(&self, id: UnitId, version: i64, patch: UnitPatch) -> StoreResult<Unit> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::unit_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "unit", id: key.clone() })?;
                check_version("unit", &key, current.version, version)?;
                let parent = patch.parent_id.unwrap_or(current.parent_id);
                if let Some(p) = parent.filter(|_| patch.parent_id.is_some()) {
                    Self::require_ref(&mut tx, "units", "unit", "parent_id", Some(p.to_string())).await?;
                    Self::check_unit_parent(&mut tx, &key, &p.to_string()).await?;
                }
                let name = patch.name.map(|n| n.into_string()).unwrap_or(current.name);
                let kind = patch.kind.unwrap_or(current.kind);
                let done = sqlx::query(
                    "UPDATE units SET version = version + 1, updated_at = $1, name = $2, kind = $3, parent_id = $4 \
                     WHERE id = $5 AND version = $6",
                )
                .bind(micros(Utc::now()))
                .bind(name)
                .bind(kind.as_str())
                .bind(parent.map(|p| p.to_string()))
                .bind(&key)
                .bind(version)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("unit", &key, done.rows_affected(), version)?;
                let unit = Self::unit_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(unit)
            }

            // ---- people ------------------------------------------------------------------

            async fn create_person(&self, new: NewPerson) -> StoreResult<Person> {
                let mut tx = self.write.begin().await.db()?;
                Self::require_ref(&mut tx, "units", "unit", "unit_id", new.unit_id.map(|u| u.to_string())).await?;
                Self::require_ref(&mut tx, "people", "person", "manager_id", new.manager_id.map(|m| m.to_string()))
                    .await?;
                let id = PersonId(new_id());
                let now = micros(Utc::now());
                sqlx::query(
                    "INSERT INTO people (id, version, created_at, updated_at, name, email, unit_id, manager_id) \
                     VALUES ($1, 1, $2, $2, $3, $4, $5, $6)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.name.as_str())
                .bind(new.email.as_str())
                .bind(new.unit_id.map(|u| u.to_string()))
                .bind(new.manager_id.map(|m| m.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "email", new.email.as_str()))?;
                let person = Self::person_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(person)
            }

            async fn get_person(&self, id: PersonId) -> StoreResult<Person> {
                let mut conn = self.read.acquire().await.db()?;
                Self::person_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "person", id: id.to_string() })
            }

            async fn list_people(&self, filter: PersonFilter, page: PageRequest) -> StoreResult<Page<Person>> {
                let mut q = QueryBuilder::<$Db>::new(format!("SELECT {PERSON_COLUMNS} FROM people WHERE 1 = 1"));
                if let Some(u) = filter.unit_id {
                    q.push(" AND unit_id = ").push_bind(u.to_string());
                }
                if let Some(m) = filter.manager_id {
                    q.push(" AND manager_id = ").push_bind(m.to_string());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<PersonRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |p: &Person| p.id.to_string()))
            }

            async fn update_person(&self, id: PersonId, version: i64, patch: PersonPatch) -> StoreResult<Person> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::person_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "person", id: key.clone() })?;
                check_version("person", &key, current.version, version)?;
                let unit = patch.unit_id.unwrap_or(current.unit_id);
                let manager = patch.manager_id.unwrap_or(current.manager_id);
                if patch.unit_id.is_some() {
                    Self::require_ref(&mut tx, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
                }
                if let Some(m) = manager.filter(|_| patch.manager_id.is_some()) {
                    Self::require_ref(&mut tx, "people", "person", "manager_id", Some(m.to_string())).await?;
                    Self::check_manager(&mut tx, &key, &m.to_string()).await?;
                }
                let email = patch.email.map(|e| e.as_str().to_owned()).unwrap_or(current.email);
                let done = sqlx::query(
                    "UPDATE people SET version = version + 1, updated_at = $1, name = $2, email = $3, unit_id = $4, \
                     manager_id = $5 WHERE id = $6 AND version = $7",
                )
                .bind(micros(Utc::now()))
                .bind(patch.name.map(|n| n.into_string()).unwrap_or(current.name))
                .bind(&email)
                .bind(unit.map(|u| u.to_string()))
                .bind(manager.map(|m| m.to_string()))
                .bind(&key)
                .bind(version)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "email", &email))?;
                applied("person", &key, done.rows_affected(), version)?;
                let person = Self::person_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(person)
            }

            // ---- cycles ------------------------------------------------------------------

            async fn create_cycle(&self, new: NewCycle) -> StoreResult<Cycle> {
                let mut tx = self.write.begin().await.db()?;
                let id = CycleId(new_id());
                let now = micros(Utc::now());
                sqlx::query(
                    "INSERT INTO cycles (id, version, created_at, updated_at, name, kind, start_date, end_date, state) \
                     VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.name.as_str())
                .bind(new.kind.as_str())
                .bind(new.dates.start().to_string())
                .bind(new.dates.end().to_string())
                .bind(new.state.as_str())
                .execute(&mut *tx)
                .await
                .db()?;
                let cycle = Self::cycle_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(cycle)
            }

            async fn get_cycle(&self, id: CycleId) -> StoreResult<Cycle> {
                let mut conn = self.read.acquire().await.db()?;
                Self::cycle_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "cycle", id: id.to_string() })
            }

            async fn list_cycles(&self, filter: CycleFilter, page: PageRequest) -> StoreResult<Page<Cycle>> {
                let mut q = QueryBuilder::<$Db>::new(format!("SELECT {CYCLE_COLUMNS} FROM cycles WHERE 1 = 1"));
                if let Some(s) = filter.state {
                    q.push(" AND state = ").push_bind(s.as_str());
                }
                if let Some(day) = filter.on {
                    q.push(" AND start_date <= ").push_bind(day.to_string());
                    q.push(" AND end_date >= ").push_bind(day.to_string());
                }
                // Newest first: the cursor is "start_date.id" of the last row.
                if let Some((start, id)) = page.after.as_deref().and_then(|a| a.split_once('.')) {
                    q.push(" AND (start_date < ").push_bind(start.to_owned());
                    q.push(" OR (start_date = ").push_bind(start.to_owned());
                    q.push(" AND id < ").push_bind(id.to_owned()).push("))");
                }
                q.push(" ORDER BY start_date DESC, id DESC LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<CycleRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |c: &Cycle| format!("{}.{}", c.start, c.id)))
            }

            async fn current_cycle(&self, today: NaiveDate) -> StoreResult<Option<Cycle>> {
                let sql = format!(
                    "SELECT {CYCLE_COLUMNS} FROM cycles WHERE start_date <= $1 AND end_date >= $1 \
                     ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'planning' THEN 1 ELSE 2 END, \
                     CASE kind WHEN 'quarter' THEN 0 ELSE 1 END, start_date, id LIMIT 1"
                );
                let row: Option<CycleRow> =
                    sqlx::query_as(&sql).bind(today.to_string()).fetch_optional(&self.read).await.db()?;
                row.map(Cycle::try_from).transpose()
            }

            async fn update_cycle(&self, id: CycleId, version: i64, patch: CyclePatch) -> StoreResult<Cycle> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::cycle_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "cycle", id: key.clone() })?;
                check_version("cycle", &key, current.version, version)?;
                if current.state == CycleState::Closed {
                    return Err(quarterdeck_domain::DomainError::CycleClosed.into());
                }
                let dates = patch.dates.unwrap_or(current.dates());
                let done = sqlx::query(
                    "UPDATE cycles SET version = version + 1, updated_at = $1, name = $2, start_date = $3, end_date = $4 \
                     WHERE id = $5 AND version = $6",
                )
                .bind(micros(Utc::now()))
                .bind(patch.name.map(|n| n.into_string()).unwrap_or(current.name))
                .bind(dates.start().to_string())
                .bind(dates.end().to_string())
                .bind(&key)
                .bind(version)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("cycle", &key, done.rows_affected(), version)?;
                let cycle = Self::cycle_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(cycle)
            }

            async fn set_cycle_state(&self, id: CycleId, version: ExpectedVersion, to: CycleState) -> StoreResult<Cycle> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::cycle_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "cycle", id: key.clone() })?;
                let expected = version.unwrap_or(current.version);
                check_version("cycle", &key, current.version, expected)?;
                current.state.transition(to)?;
                let done = sqlx::query(
                    "UPDATE cycles SET version = version + 1, updated_at = $1, state = $2 WHERE id = $3 AND version = $4",
                )
                .bind(micros(Utc::now()))
                .bind(to.as_str())
                .bind(&key)
                .bind(expected)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("cycle", &key, done.rows_affected(), expected)?;
                let cycle = Self::cycle_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(cycle)
            }

            // ---- objectives --------------------------------------------------------------

            async fn create_objective(&self, new: NewObjective) -> StoreResult<Objective> {
                quarterdeck_domain::okr::initial_objective_status(new.status)?;
                let mut tx = self.write.begin().await.db()?;
                let cycle = Self::cycle_in(&mut tx, &new.cycle_id.to_string()).await?.ok_or_else(|| {
                    StoreError::UnknownReference { field: "cycle_id", entity: "cycle", id: new.cycle_id.to_string() }
                })?;
                if cycle.state == CycleState::Closed {
                    return Err(quarterdeck_domain::DomainError::CycleClosed.into());
                }
                Self::require_ref(&mut tx, "people", "person", "owner_id", Some(new.owner_id.to_string())).await?;
                Self::require_ref(&mut tx, "units", "unit", "unit_id", new.unit_id.map(|u| u.to_string())).await?;
                let id = ObjectiveId(new_id());
                let now = micros(Utc::now());
                sqlx::query(
                    "INSERT INTO objectives (id, version, created_at, updated_at, cycle_id, title, description, owner_id, \
                     unit_id, kind, status, status_reason, score, rollup, key_result_count) \
                     VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0, NULL, 0)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.cycle_id.to_string())
                .bind(new.title.as_str())
                .bind(new.description.as_str())
                .bind(new.owner_id.to_string())
                .bind(new.unit_id.map(|u| u.to_string()))
                .bind(new.kind.as_str())
                .bind(new.status.as_str())
                .execute(&mut *tx)
                .await
                .db()?;
                let objective = Self::objective_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(objective)
            }

            async fn get_objective(&self, id: ObjectiveId) -> StoreResult<Objective> {
                let mut conn = self.read.acquire().await.db()?;
                Self::objective_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "objective", id: id.to_string() })
            }

            async fn list_objectives(&self, filter: ObjectiveFilter, page: PageRequest) -> StoreResult<Page<Objective>> {
                let mut q = QueryBuilder::<$Db>::new(SELECT_OBJECTIVE);
                q.push(" WHERE 1 = 1");
                if let Some(c) = filter.cycle_id {
                    q.push(" AND o.cycle_id = ").push_bind(c.to_string());
                }
                if let Some(u) = filter.unit_id {
                    q.push(" AND o.unit_id = ").push_bind(u.to_string());
                }
                if let Some(p) = filter.owner_id {
                    q.push(" AND o.owner_id = ").push_bind(p.to_string());
                }
                if let Some(s) = filter.status {
                    q.push(" AND o.status = ").push_bind(s.as_str());
                }
                if let Some(k) = filter.kind {
                    q.push(" AND o.kind = ").push_bind(k.as_str());
                }
                if let Some(after) = &page.after {
                    q.push(" AND o.id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY o.id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<ObjectiveRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |o: &Objective| o.id.to_string()))
            }

            async fn update_objective(&self, id: ObjectiveId, version: i64, patch: ObjectivePatch) -> StoreResult<Objective> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::objective_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "objective", id: key.clone() })?;
                check_version("objective", &key, current.version, version)?;
                Self::writable(&current.cycle)?;
                if let Some(owner) = patch.owner_id {
                    Self::require_ref(&mut tx, "people", "person", "owner_id", Some(owner.to_string())).await?;
                }
                let unit = patch.unit_id.unwrap_or(current.unit_id);
                if patch.unit_id.is_some() {
                    Self::require_ref(&mut tx, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
                }
                let done = sqlx::query(
                    "UPDATE objectives SET version = version + 1, updated_at = $1, title = $2, description = $3, \
                     owner_id = $4, unit_id = $5, kind = $6 WHERE id = $7 AND version = $8",
                )
                .bind(micros(Utc::now()))
                .bind(patch.title.map(|t| t.into_string()).unwrap_or(current.title))
                .bind(patch.description.map(|d| d.into_string()).unwrap_or(current.description))
                .bind(patch.owner_id.unwrap_or(current.owner_id).to_string())
                .bind(unit.map(|u| u.to_string()))
                .bind(patch.kind.unwrap_or(current.kind).as_str())
                .bind(&key)
                .bind(version)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("objective", &key, done.rows_affected(), version)?;
                let objective = Self::objective_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(objective)
            }

            async fn set_objective_status(
                &self,
                id: ObjectiveId,
                version: ExpectedVersion,
                to: ObjectiveStatus,
                reason: Option<String>,
            ) -> StoreResult<Objective> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::objective_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "objective", id: key.clone() })?;
                let expected = version.unwrap_or(current.version);
                check_version("objective", &key, current.version, expected)?;
                Self::writable(&current.cycle)?;
                quarterdeck_domain::okr::change_objective_status(current.status, to, reason.as_deref())?;
                let done = sqlx::query(
                    "UPDATE objectives SET version = version + 1, updated_at = $1, status = $2, status_reason = $3 \
                     WHERE id = $4 AND version = $5",
                )
                .bind(micros(Utc::now()))
                .bind(to.as_str())
                .bind(reason)
                .bind(&key)
                .bind(expected)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("objective", &key, done.rows_affected(), expected)?;
                if to == ObjectiveStatus::Retired {
                    // A retired objective leaves its parents' roll-ups.
                    Self::refresh_objective(&mut tx, &key).await?;
                }
                let objective = Self::objective_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(objective)
            }

            // ---- alignment ---------------------------------------------------------------

            async fn create_alignment(&self, new: NewAlignment) -> StoreResult<Alignment> {
                let mut tx = self.write.begin().await.db()?;
                let child = Self::objective_in(&mut tx, &new.child_id.to_string()).await?.ok_or_else(|| {
                    StoreError::UnknownReference { field: "child_id", entity: "objective", id: new.child_id.to_string() }
                })?;
                Self::writable(&child.cycle)?;
                let (parent, parent_kr) = match new.parent {
                    AlignmentTarget::Objective(o) => (o, None),
                    AlignmentTarget::KeyResult(k) => {
                        let kr = Self::key_result_in(&mut tx, &k.to_string()).await?.ok_or_else(|| {
                            StoreError::UnknownReference {
                                field: "parent_key_result_id",
                                entity: "key result",
                                id: k.to_string(),
                            }
                        })?;
                        (kr.objective_id, Some(k))
                    }
                };
                if parent_kr.is_none() {
                    Self::require_ref(&mut tx, "objectives", "objective", "parent_objective_id", Some(parent.to_string()))
                        .await?;
                }
                let links: Vec<(String, String)> =
                    sqlx::query_as(ANCESTOR_LINKS).bind(parent.to_string()).fetch_all(&mut *tx).await.db()?;
                let mut parents_of: HashMap<ObjectiveId, Vec<ObjectiveId>> = HashMap::new();
                for (c, p) in links {
                    parents_of.entry(word("child_id", &c)?).or_default().push(word("parent_objective_id", &p)?);
                }
                check_new_link(new.child_id, parent, &parents_of)?;
                let id = AlignmentId(new_id());
                let now = micros(Utc::now());
                let kr_key = parent_kr.map(|k| k.to_string()).unwrap_or_default();
                sqlx::query(
                    "INSERT INTO alignments (id, version, created_at, updated_at, child_id, parent_objective_id, \
                     parent_key_result_id, parent_key_result_key, kind, weight) VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.child_id.to_string())
                .bind(parent.to_string())
                .bind(parent_kr.map(|k| k.to_string()))
                .bind(&kr_key)
                .bind(new.kind.as_str())
                .bind(new.weight.value())
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_or(e, "parent", "this child already aligns to that parent"))?;
                if new.kind == LinkKind::Contributes {
                    Self::refresh_rollup(&mut tx, &parent.to_string()).await?;
                }
                let alignment = Self::alignment_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(alignment)
            }

            async fn delete_alignment(&self, id: AlignmentId) -> StoreResult<()> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::alignment_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "alignment", id: key.clone() })?;
                let child = Self::objective_in(&mut tx, &current.child_id.to_string()).await?.expect("foreign key");
                Self::writable(&child.cycle)?;
                sqlx::query("DELETE FROM alignments WHERE id = $1").bind(&key).execute(&mut *tx).await.db()?;
                if current.kind == LinkKind::Contributes {
                    Self::refresh_rollup(&mut tx, &current.parent_objective_id.to_string()).await?;
                }
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(())
            }

            async fn list_alignments(&self, filter: AlignmentFilter, page: PageRequest) -> StoreResult<Page<Alignment>> {
                let mut q =
                    QueryBuilder::<$Db>::new(format!("SELECT {ALIGNMENT_COLUMNS} FROM alignments WHERE 1 = 1"));
                if let Some(c) = filter.child_id {
                    q.push(" AND child_id = ").push_bind(c.to_string());
                }
                if let Some(p) = filter.parent_objective_id {
                    q.push(" AND parent_objective_id = ").push_bind(p.to_string());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<AlignmentRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |a: &Alignment| a.id.to_string()))
            }

            // ---- key results -------------------------------------------------------------

            async fn create_key_result(&self, new: NewKeyResult) -> StoreResult<KeyResult> {
                let mut tx = self.write.begin().await.db()?;
                let objective = Self::objective_in(&mut tx, &new.objective_id.to_string()).await?.ok_or_else(|| {
                    StoreError::UnknownReference {
                        field: "objective_id",
                        entity: "objective",
                        id: new.objective_id.to_string(),
                    }
                })?;
                Self::writable(&objective.cycle)?;
                // Objective before key result, everywhere: the lock order that keeps
                // concurrent writers on one objective from deadlocking.
                Self::lock_objective(&mut tx, &new.objective_id.to_string()).await?;
                Self::require_ref(&mut tx, "people", "person", "owner_id", new.owner_id.map(|p| p.to_string())).await?;
                // Measured from a KPI: it takes the KPI's current value at once.
                let value = Self::linked_value(&mut tx, "kpi_id", new.kpi_id).await?;
                let score = value.map(|v| score_value(new.kind, &new.measure, v).value()).unwrap_or(0.0);
                let id = KeyResultId(new_id());
                let now = micros(Utc::now());
                sqlx::query(
                    "INSERT INTO key_results (id, version, created_at, updated_at, objective_id, title, kind, \
                     unit_of_measure, baseline, target, tolerance, weight, owner_id, status, status_reason, kpi_id, \
                     current_value, confidence, last_check_in_at, score) \
                     VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', NULL, $12, $13, NULL, NULL, $14)",
                )
                .bind(id.to_string())
                .bind(now)
                .bind(new.objective_id.to_string())
                .bind(new.title.as_str())
                .bind(new.kind.as_str())
                .bind(new.unit_of_measure.as_str())
                .bind(new.measure.baseline())
                .bind(new.measure.target())
                .bind(new.measure.tolerance())
                .bind(new.weight.value())
                .bind(new.owner_id.map(|p| p.to_string()))
                .bind(new.kpi_id.map(|k| k.to_string()))
                .bind(value)
                .bind(score)
                .execute(&mut *tx)
                .await
                .db()?;
                Self::refresh_locked_objective(&mut tx, &new.objective_id.to_string()).await?;
                let kr = Self::key_result_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(kr)
            }

            async fn get_key_result(&self, id: KeyResultId) -> StoreResult<KeyResult> {
                let mut conn = self.read.acquire().await.db()?;
                Self::key_result_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "key result", id: id.to_string() })
            }

            async fn list_key_results(&self, filter: KeyResultFilter, page: PageRequest) -> StoreResult<Page<KeyResult>> {
                let mut q = QueryBuilder::<$Db>::new(SELECT_KEY_RESULT);
                q.push(" WHERE 1 = 1");
                if let Some(o) = filter.objective_id {
                    q.push(" AND k.objective_id = ").push_bind(o.to_string());
                }
                if let Some(p) = filter.owner_id {
                    q.push(" AND k.owner_id = ").push_bind(p.to_string());
                }
                if let Some(c) = filter.cycle_id {
                    q.push(" AND o.cycle_id = ").push_bind(c.to_string());
                }
                if let Some(after) = &page.after {
                    q.push(" AND k.id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY k.id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<KeyResultRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |k: &KeyResult| k.id.to_string()))
            }

            async fn key_results_of(&self, objectives: &[ObjectiveId]) -> StoreResult<Vec<KeyResult>> {
                if objectives.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = QueryBuilder::<$Db>::new(SELECT_KEY_RESULT);
                q.push(" WHERE k.objective_id IN (");
                let mut list = q.separated(", ");
                for o in objectives {
                    list.push_bind(o.to_string());
                }
                q.push(") ORDER BY k.objective_id, k.id");
                let rows: Vec<KeyResultRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                convert(rows)
            }

            async fn update_key_result(&self, id: KeyResultId, version: i64, patch: KeyResultPatch) -> StoreResult<KeyResult> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::locked_key_result(&mut tx, &key).await?;
                check_version("key result", &key, current.version, version)?;
                Self::writable(&current.cycle)?;
                let owner = patch.owner_id.unwrap_or(current.owner_id);
                if patch.owner_id.is_some() {
                    Self::require_ref(&mut tx, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
                }
                let measure = match patch.measure {
                    Some(m) => quarterdeck_domain::scoring::Measure::for_kind(
                        current.kind,
                        m.baseline(),
                        m.target(),
                        m.tolerance(),
                    )?,
                    None => current.measure(),
                };
                let kpi_id = patch.kpi_id.unwrap_or(current.kpi_id);
                // Newly linked to a KPI: the key result takes the KPI's current value at once.
                let value = match patch.kpi_id {
                    Some(Some(k)) if Some(k) != current.kpi_id => {
                        Self::linked_value(&mut tx, "kpi_id", Some(k)).await?.or(current.current_value)
                    }
                    _ => current.current_value,
                };
                let score = value.map(|v| score_value(current.kind, &measure, v)).unwrap_or(Score::ZERO);
                let done = sqlx::query(
                    "UPDATE key_results SET version = version + 1, updated_at = $1, title = $2, unit_of_measure = $3, \
                     baseline = $4, target = $5, tolerance = $6, weight = $7, owner_id = $8, kpi_id = $9, score = $10, \
                     current_value = $13 WHERE id = $11 AND version = $12",
                )
                .bind(micros(Utc::now()))
                .bind(patch.title.map(|t| t.into_string()).unwrap_or(current.title))
                .bind(patch.unit_of_measure.map(|u| u.into_string()).unwrap_or(current.unit_of_measure))
                .bind(measure.baseline())
                .bind(measure.target())
                .bind(measure.tolerance())
                .bind(patch.weight.map(Weight::value).unwrap_or(current.weight))
                .bind(owner.map(|p| p.to_string()))
                .bind(kpi_id.map(|k| k.to_string()))
                .bind(score.value())
                .bind(&key)
                .bind(version)
                .bind(value)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("key result", &key, done.rows_affected(), version)?;
                Self::refresh_locked_objective(&mut tx, &current.objective_id.to_string()).await?;
                let kr = Self::key_result_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(kr)
            }

            async fn set_key_result_status(
                &self,
                id: KeyResultId,
                version: ExpectedVersion,
                change: KeyResultStatusChange,
            ) -> StoreResult<KeyResult> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::locked_key_result(&mut tx, &key).await?;
                let expected = version.unwrap_or(current.version);
                check_version("key result", &key, current.version, expected)?;
                Self::writable(&current.cycle)?;
                let (to, reason) = match change {
                    KeyResultStatusChange::Kill { reason } => (KeyResultStatus::Killed, Some(reason.into_string())),
                    KeyResultStatusChange::CarryForward => (KeyResultStatus::CarriedForward, None),
                };
                current.status.transition(to)?;
                let done = sqlx::query(
                    "UPDATE key_results SET version = version + 1, updated_at = $1, status = $2, status_reason = $3 \
                     WHERE id = $4 AND version = $5",
                )
                .bind(micros(Utc::now()))
                .bind(to.as_str())
                .bind(reason)
                .bind(&key)
                .bind(expected)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("key result", &key, done.rows_affected(), expected)?;
                Self::refresh_locked_objective(&mut tx, &current.objective_id.to_string()).await?;
                let kr = Self::key_result_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(kr)
            }

            // ---- check-ins ---------------------------------------------------------------

            async fn record_check_in(&self, key_result: KeyResultId, new: NewCheckIn) -> StoreResult<(CheckIn, KeyResult)> {
                // Applied by the store's check-in writer together with whatever else is queued.
                let (reply, answer) = tokio::sync::oneshot::channel();
                let stopped = || StoreError::Backend("the check-in writer has stopped".into());
                self.check_ins
                    .send($crate::check_in_writer::CheckInJob { key_result, new, reply })
                    .await
                    .map_err(|_| stopped())?;
                answer.await.map_err(|_| stopped())?
            }

            async fn list_check_ins(&self, key_result: KeyResultId, page: PageRequest) -> StoreResult<Page<CheckIn>> {
                let mut conn = self.read.acquire().await.db()?;
                if Self::key_result_in(&mut conn, &key_result.to_string()).await?.is_none() {
                    return Err(StoreError::NotFound { entity: "key result", id: key_result.to_string() });
                }
                let mut q = QueryBuilder::<$Db>::new(format!(
                    "SELECT {CHECK_IN_COLUMNS} FROM check_ins WHERE key_result_id = "
                ));
                q.push_bind(key_result.to_string());
                // Newest first: the cursor is "at.id" of the last row.
                if let Some((at, id)) = page.after.as_deref().and_then(|a| a.split_once('.')) {
                    let at: i64 = at.parse().map_err(|_| {
                        StoreError::InvalidCursor
                    })?;
                    q.push(" AND (at < ").push_bind(at);
                    q.push(" OR (at = ").push_bind(at);
                    q.push(" AND id < ").push_bind(id.to_owned()).push("))");
                }
                q.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<CheckInRow> = q.build_query_as().fetch_all(&mut *conn).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |c: &CheckIn| format!("{}.{}", micros(c.at), c.id)))
            }

            // ---- initiatives -------------------------------------------------------------

            async fn create_initiative(&self, new: NewInitiative) -> StoreResult<Initiative> {
                let mut tx = self.write.begin().await.db()?;
                let kr = Self::key_result_in(&mut tx, &new.key_result_id.to_string()).await?.ok_or_else(|| {
                    StoreError::UnknownReference {
                        field: "key_result_id",
                        entity: "key result",
                        id: new.key_result_id.to_string(),
                    }
                })?;
                Self::writable(&kr.cycle)?;
                Self::require_ref(&mut tx, "people", "person", "owner_id", new.owner_id.map(|p| p.to_string())).await?;
                let id = InitiativeId(new_id());
                sqlx::query(
                    "INSERT INTO initiatives (id, version, created_at, updated_at, key_result_id, title, kind, status, \
                     owner_id, link) VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.to_string())
                .bind(micros(Utc::now()))
                .bind(new.key_result_id.to_string())
                .bind(new.title.as_str())
                .bind(new.kind.as_str())
                .bind(new.status.as_str())
                .bind(new.owner_id.map(|p| p.to_string()))
                .bind(new.link)
                .execute(&mut *tx)
                .await
                .db()?;
                let initiative = Self::initiative_in(&mut tx, &id.to_string()).await?.expect("just inserted");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(initiative)
            }

            async fn get_initiative(&self, id: InitiativeId) -> StoreResult<Initiative> {
                let mut conn = self.read.acquire().await.db()?;
                Self::initiative_in(&mut conn, &id.to_string())
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "initiative", id: id.to_string() })
            }

            async fn list_initiatives(&self, filter: InitiativeFilter, page: PageRequest) -> StoreResult<Page<Initiative>> {
                let mut q =
                    QueryBuilder::<$Db>::new(format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE 1 = 1"));
                if let Some(k) = filter.key_result_id {
                    q.push(" AND key_result_id = ").push_bind(k.to_string());
                }
                if let Some(p) = filter.owner_id {
                    q.push(" AND owner_id = ").push_bind(p.to_string());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id > ").push_bind(after.clone());
                }
                q.push(" ORDER BY id LIMIT ").push_bind(page.limit as i64 + 1);
                let rows: Vec<InitiativeRow> = q.build_query_as().fetch_all(&self.read).await.db()?;
                Ok(Page::from_rows(convert(rows)?, page.limit, |i: &Initiative| i.id.to_string()))
            }

            async fn update_initiative(&self, id: InitiativeId, version: i64, patch: InitiativePatch) -> StoreResult<Initiative> {
                let mut tx = self.write.begin().await.db()?;
                let key = id.to_string();
                let current = Self::initiative_in(&mut tx, &key)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { entity: "initiative", id: key.clone() })?;
                check_version("initiative", &key, current.version, version)?;
                let kr = Self::key_result_in(&mut tx, &current.key_result_id.to_string()).await?.expect("foreign key");
                Self::writable(&kr.cycle)?;
                let owner = patch.owner_id.unwrap_or(current.owner_id);
                if patch.owner_id.is_some() {
                    Self::require_ref(&mut tx, "people", "person", "owner_id", owner.map(|p| p.to_string())).await?;
                }
                let done = sqlx::query(
                    "UPDATE initiatives SET version = version + 1, updated_at = $1, title = $2, kind = $3, status = $4, \
                     owner_id = $5, link = $6 WHERE id = $7 AND version = $8",
                )
                .bind(micros(Utc::now()))
                .bind(patch.title.map(|t| t.into_string()).unwrap_or(current.title))
                .bind(patch.kind.unwrap_or(current.kind).as_str())
                .bind(patch.status.unwrap_or(current.status).as_str())
                .bind(owner.map(|p| p.to_string()))
                .bind(patch.link.unwrap_or(current.link))
                .bind(&key)
                .bind(version)
                .execute(&mut *tx)
                .await
                .db()?;
                applied("initiative", &key, done.rows_affected(), version)?;
                let initiative = Self::initiative_in(&mut tx, &key).await?.expect("exists");
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(initiative)
            }

            // ---- bulk --------------------------------------------------------------------

            async fn import(&self, mut snapshot: Snapshot) -> StoreResult<ImportCounts> {
                derive::derive_all(&mut snapshot)?;
                let counts = ImportCounts {
                    units: snapshot.units.len(),
                    people: snapshot.people.len(),
                    cycles: snapshot.cycles.len(),
                    objectives: snapshot.objectives.len(),
                    alignments: snapshot.alignments.len(),
                    key_results: snapshot.key_results.len(),
                    check_ins: snapshot.check_ins.len(),
                    initiatives: snapshot.initiatives.len(),
                };
                let mut tx = self.write.begin().await.db()?;
                macro_rules! bulk {
                    ($rows:expr, $head:literal, $cols:literal, |$b:ident, $r:ident| $body:block) => {
                        for chunk in $rows.chunks(MAX_BINDS / $cols) {
                            let mut q = QueryBuilder::<$Db>::new($head);
                            q.push_values(chunk, |mut $b, $r| $body);
                            q.build().execute(&mut *tx).await.db()?;
                        }
                    };
                }
                bulk!(snapshot.units, "INSERT INTO units (id, version, created_at, updated_at, slug, name, kind, parent_id) ", 8, |b, u| {
                    b.push_bind(u.id.to_string()).push_bind(u.version).push_bind(micros(u.created_at))
                        .push_bind(micros(u.updated_at)).push_bind(u.slug.clone()).push_bind(u.name.clone())
                        .push_bind(u.kind.as_str()).push_bind(u.parent_id.map(|p| p.to_string()));
                });
                bulk!(snapshot.people, "INSERT INTO people (id, version, created_at, updated_at, name, email, unit_id, manager_id) ", 8, |b, p| {
                    b.push_bind(p.id.to_string()).push_bind(p.version).push_bind(micros(p.created_at))
                        .push_bind(micros(p.updated_at)).push_bind(p.name.clone()).push_bind(p.email.clone())
                        .push_bind(p.unit_id.map(|u| u.to_string())).push_bind(p.manager_id.map(|m| m.to_string()));
                });
                bulk!(snapshot.cycles, "INSERT INTO cycles (id, version, created_at, updated_at, name, kind, start_date, end_date, state) ", 9, |b, c| {
                    b.push_bind(c.id.to_string()).push_bind(c.version).push_bind(micros(c.created_at))
                        .push_bind(micros(c.updated_at)).push_bind(c.name.clone()).push_bind(c.kind.as_str())
                        .push_bind(c.start.to_string()).push_bind(c.end.to_string()).push_bind(c.state.as_str());
                });
                bulk!(snapshot.objectives, "INSERT INTO objectives (id, version, created_at, updated_at, cycle_id, title, description, owner_id, unit_id, kind, status, status_reason, score, rollup, key_result_count) ", 15, |b, o| {
                    b.push_bind(o.id.to_string()).push_bind(o.version).push_bind(micros(o.created_at))
                        .push_bind(micros(o.updated_at)).push_bind(o.cycle_id.to_string()).push_bind(o.title.clone())
                        .push_bind(o.description.clone()).push_bind(o.owner_id.to_string())
                        .push_bind(o.unit_id.map(|u| u.to_string())).push_bind(o.kind.as_str())
                        .push_bind(o.status.as_str()).push_bind(o.status_reason.clone()).push_bind(o.score)
                        .push_bind(o.rollup).push_bind(o.key_result_count);
                });
                bulk!(snapshot.key_results, "INSERT INTO key_results (id, version, created_at, updated_at, objective_id, title, kind, unit_of_measure, baseline, target, tolerance, weight, owner_id, status, status_reason, kpi_id, current_value, confidence, last_check_in_at, score) ", 20, |b, k| {
                    b.push_bind(k.id.to_string()).push_bind(k.version).push_bind(micros(k.created_at))
                        .push_bind(micros(k.updated_at)).push_bind(k.objective_id.to_string()).push_bind(k.title.clone())
                        .push_bind(k.kind.as_str()).push_bind(k.unit_of_measure.clone()).push_bind(k.baseline)
                        .push_bind(k.target).push_bind(k.tolerance).push_bind(k.weight)
                        .push_bind(k.owner_id.map(|p| p.to_string())).push_bind(k.status.as_str())
                        .push_bind(k.status_reason.clone()).push_bind(k.kpi_id.map(|x| x.to_string()))
                        .push_bind(k.current_value).push_bind(k.confidence.map(|c| c.as_str()))
                        .push_bind(k.last_check_in_at.map(micros)).push_bind(k.score);
                });
                bulk!(snapshot.alignments, "INSERT INTO alignments (id, version, created_at, updated_at, child_id, parent_objective_id, parent_key_result_id, parent_key_result_key, kind, weight) ", 10, |b, a| {
                    b.push_bind(a.id.to_string()).push_bind(a.version).push_bind(micros(a.created_at))
                        .push_bind(micros(a.updated_at)).push_bind(a.child_id.to_string())
                        .push_bind(a.parent_objective_id.to_string())
                        .push_bind(a.parent_key_result_id.map(|k| k.to_string()))
                        .push_bind(a.parent_key_result_id.map(|k| k.to_string()).unwrap_or_default())
                        .push_bind(a.kind.as_str()).push_bind(a.weight);
                });
                bulk!(snapshot.check_ins, "INSERT INTO check_ins (id, key_result_id, value, confidence, note, author_id, at, created_at) ", 8, |b, c| {
                    b.push_bind(c.id.to_string()).push_bind(c.key_result_id.to_string()).push_bind(c.value)
                        .push_bind(c.confidence.as_str()).push_bind(c.note.clone())
                        .push_bind(c.author_id.map(|p| p.to_string())).push_bind(micros(c.at))
                        .push_bind(micros(c.created_at));
                });
                bulk!(snapshot.initiatives, "INSERT INTO initiatives (id, version, created_at, updated_at, key_result_id, title, kind, status, owner_id, link) ", 10, |b, i| {
                    b.push_bind(i.id.to_string()).push_bind(i.version).push_bind(micros(i.created_at))
                        .push_bind(micros(i.updated_at)).push_bind(i.key_result_id.to_string()).push_bind(i.title.clone())
                        .push_bind(i.kind.as_str()).push_bind(i.status.as_str())
                        .push_bind(i.owner_id.map(|p| p.to_string())).push_bind(i.link.clone());
                });
                tx.commit().await.db()?;
                self.after_commit().await;
                Ok(counts)
            }

            async fn is_empty(&self) -> StoreResult<bool> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units").fetch_one(&self.read).await.db()?;
                Ok(n == 0)
            }
        }
        }
    };
}

pub(crate) use sql_store;
