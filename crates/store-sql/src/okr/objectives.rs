//! Objectives, and the one status transition every pause, resume, close and retire goes
//! through — by a person or by a guardrail.

use super::{objective_in, writable};
use crate::cycles::cycle_in;
use crate::db::{Sql, q};
use crate::rows::*;
use crate::scores::{lock_objective, refresh_objective};
use crate::sql::SELECT_OBJECTIVE;
use crate::store::require_ref;
use crate::write::Writer;
use crate::{SqlStore, applied, check_version, found, new_id, referenced};
use async_trait::async_trait;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::event::{DomainEvent, objective_status_event};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{ObjectiveStatus, change_objective_status, initial_objective_status};
use quarterdeck_store::input::*;
use quarterdeck_store::records::*;
use quarterdeck_store::{Ctx, ExpectedVersion, Page, PageRequest, StoreResult};

/// Moves an objective to `to`: the domain's transition, the version check, the audit row
/// and the event, whoever acts. A guardrail's pause remembers the KPI, so that its recovery
/// resumes exactly the objectives it paused. The caller holds the objective's lock.
pub(crate) async fn transition(
    w: &mut Writer<'_>,
    actor: Actor,
    id: ObjectiveId,
    expected: ExpectedVersion,
    to: ObjectiveStatus,
    reason: Option<String>,
) -> StoreResult<Objective> {
    let now = w.now();
    let key = id.to_string();
    let mut c = w.conn();
    let current = found("objective", id, objective_in(&mut c, &key).await?)?;
    let expected = expected.unwrap_or(current.version);
    check_version("objective", &key, current.version, expected)?;
    writable(&current.cycle)?;
    change_objective_status(current.status, to, reason.as_deref())?;
    let paused_by = match (&actor, to) {
        (Actor::Guardrail { kpi }, ObjectiveStatus::Paused) => Some(*kpi),
        _ => None,
    };
    let update = q!(
        "UPDATE objectives SET version = version + 1, revision = revision + 1, updated_at = $1, status = $2, status_reason = $3, \
         paused_by_kpi_id = $4 WHERE id = $5 AND version = $6",
        now,
        to.as_str(),
        reason.clone(),
        paused_by,
        &key,
        expected
    );
    applied("objective", &key, c.execute(&update).await?, expected)?;
    if to == ObjectiveStatus::Retired || current.status == ObjectiveStatus::Retired {
        // A retired objective leaves its parents' roll-ups.
        refresh_objective(&mut c, &key).await?;
    }
    let objective = found("objective", id, objective_in(&mut c, &key).await?)?;
    let event = objective_status_event(id, current.status, to, &actor, reason.as_deref());
    let by_guardrail = matches!(actor, Actor::Guardrail { .. });
    w.change_by(actor.clone(), "objective", id, "status", Some(&current), Some(&objective));
    w.event_by(actor, event);
    // Made active (a draft activated, a pause lifted, a guardrail unlinked) while a guardrail
    // linked to it is tripped: it pauses at once on that guardrail's account, as if the
    // guardrail had tripped now, and resumes when it recovers (METHOD.md §2).
    if to == ObjectiveStatus::Active
        && !by_guardrail
        && let Some(kpi) = crate::kpi::guardrails::tripped_for(w, &key).await?
    {
        let reason = crate::kpi::guardrails::pause_reason(&kpi);
        let by = Actor::Guardrail { kpi: kpi.id };
        return Box::pin(transition(w, by, id, None, ObjectiveStatus::Paused, Some(reason))).await;
    }
    Ok(objective)
}

/// Drafts an objective inside a write that may hold more.
pub(crate) async fn create_objective_in(w: &mut Writer<'_>, new: NewObjective) -> StoreResult<Objective> {
    initial_objective_status(new.status)?;
    let now = w.now();
    let mut c = w.conn();
    let cycle = referenced("cycle_id", "cycle", new.cycle_id, cycle_in(&mut c, &new.cycle_id.to_string()).await?)?;
    if cycle.state == CycleState::Closed {
        return Err(DomainError::CycleClosed.into());
    }
    require_ref(&mut c, "people", "person", "owner_id", Some(new.owner_id.to_string())).await?;
    require_ref(&mut c, "units", "unit", "unit_id", new.unit_id.map(|u| u.to_string())).await?;
    let id = ObjectiveId(new_id());
    let key = super::choose_key(
        &mut c,
        "objectives",
        &new.cycle_id.to_string(),
        new.key.as_ref(),
        new.title.as_str(),
        "objective",
    )
    .await?;
    let insert = q!(
        "INSERT INTO objectives (id, version, created_at, updated_at, cycle_id, key, title, description, owner_id, \
         unit_id, kind, status, status_reason, score, rollup, key_result_count) \
         VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL, 0)",
        id,
        now,
        new.cycle_id,
        &key,
        new.title.as_str(),
        new.description.as_str(),
        new.owner_id,
        new.unit_id,
        new.kind.as_str(),
        new.status.as_str()
    );
    c.execute_unique(&insert, "key", &key).await?;
    let objective = found("objective", id, objective_in(&mut c, &id.to_string()).await?)?;
    w.created("objective", id, &objective);
    w.event(DomainEvent::ObjectiveCreated { objective: id, cycle: new.cycle_id, title: objective.title.clone() });
    Ok(objective)
}

#[async_trait]
impl quarterdeck_store::OkrStore for SqlStore {
    async fn create_objective(&self, ctx: &Ctx, new: NewObjective) -> StoreResult<Objective> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let objective = create_objective_in(&mut w, new).await?;
        w.commit().await?;
        Ok(objective)
    }

    async fn get_objective(&self, id: ObjectiveId) -> StoreResult<Objective> {
        let mut r = self.pools.reader().await?;
        found("objective", id, objective_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn list_objectives(&self, filter: ObjectiveFilter, page: PageRequest) -> StoreResult<Page<Objective>> {
        let s = filtered(SELECT_OBJECTIVE, &filter, &page);
        let mut r = self.pools.reader().await?;
        let rows: Vec<ObjectiveRow> = r.conn().fetch_all(&s).await?;
        Ok(Page::from_rows(convert(rows)?, page.limit, |o: &Objective| o.id.to_string()))
    }

    async fn list_objective_revisions(
        &self,
        filter: ObjectiveFilter,
        page: PageRequest,
    ) -> StoreResult<Page<ObjectiveRevision>> {
        let select = "SELECT o.id, o.revision, c.version FROM objectives o JOIN cycles c ON c.id = o.cycle_id";
        let s = filtered(select, &filter, &page);
        let mut r = self.pools.reader().await?;
        let rows: Vec<(String, i64, i64)> = r.conn().fetch_all(&s).await?;
        let revisions = rows
            .into_iter()
            .map(|(id, revision, cycle_version)| {
                Ok(ObjectiveRevision { id: word("objective id", &id)?, revision, cycle_version })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(revisions, page.limit, |o: &ObjectiveRevision| o.id.to_string()))
    }

    async fn objectives_by_ids(&self, ids: &[ObjectiveId]) -> StoreResult<Vec<Objective>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = Sql::new(SELECT_OBJECTIVE);
        s.push(" WHERE o.id IN (").list(ids.iter().copied()).push(") ORDER BY o.id");
        let mut r = self.pools.reader().await?;
        let rows: Vec<ObjectiveRow> = r.conn().fetch_all(&s).await?;
        convert(rows)
    }

    async fn update_objective(
        &self,
        ctx: &Ctx,
        id: ObjectiveId,
        version: i64,
        patch: ObjectivePatch,
    ) -> StoreResult<Objective> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("objective", id, objective_in(&mut c, &key).await?)?;
        check_version("objective", &key, current.version, version)?;
        writable(&current.cycle)?;
        if let Some(owner) = patch.owner_id {
            require_ref(&mut c, "people", "person", "owner_id", Some(owner.to_string())).await?;
        }
        let unit = patch.unit_id.unwrap_or(current.unit_id);
        if patch.unit_id.is_some() {
            require_ref(&mut c, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
        }
        let title = patch.title.map(|t| t.into_string()).unwrap_or(current.title.clone());
        let description = patch.description.map(|d| d.into_string()).unwrap_or(current.description.clone());
        // A rewrite counts only while the cycle runs: drafting in planning is what planning is for.
        let rewritten =
            current.cycle.state == CycleState::Active && (title != current.title || description != current.description);
        let update = q!(
            "UPDATE objectives SET version = version + 1, revision = revision + 1, updated_at = $1, title = $2, description = $3, \
             owner_id = $4, unit_id = $5, kind = $6, rewrites = rewrites + $9 WHERE id = $7 AND version = $8",
            now,
            title,
            description,
            patch.owner_id.unwrap_or(current.owner_id),
            unit,
            patch.kind.unwrap_or(current.kind).as_str(),
            &key,
            version,
            i64::from(rewritten)
        );
        applied("objective", &key, c.execute(&update).await?, version)?;
        let objective = found("objective", id, objective_in(&mut c, &key).await?)?;
        w.updated("objective", id, "update", &current, &objective);
        w.commit().await?;
        Ok(objective)
    }

    async fn set_objective_status(
        &self,
        ctx: &Ctx,
        id: ObjectiveId,
        version: ExpectedVersion,
        to: ObjectiveStatus,
        reason: Option<String>,
    ) -> StoreResult<Objective> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        lock_objective(&mut w.conn(), &id.to_string()).await?;
        let actor = ctx.actor.clone();
        let objective = transition(&mut w, actor, id, version, to, reason).await?;
        w.commit().await?;
        Ok(objective)
    }

    async fn create_alignment(&self, ctx: &Ctx, new: NewAlignment) -> StoreResult<Alignment> {
        super::alignments::create(&self.pools, ctx, new).await
    }

    async fn delete_alignment(&self, ctx: &Ctx, id: AlignmentId) -> StoreResult<()> {
        super::alignments::delete(&self.pools, ctx, id).await
    }

    async fn alignment_child(&self, id: AlignmentId) -> StoreResult<ObjectiveId> {
        crate::id_column(&self.pools, "alignment", "SELECT child_id FROM alignments WHERE id = $1", id).await
    }

    async fn list_alignments(&self, filter: AlignmentFilter, page: PageRequest) -> StoreResult<Page<Alignment>> {
        super::alignments::list(&self.pools, filter, page).await
    }

    async fn alignments_under(&self, parents: &[ObjectiveId]) -> StoreResult<Vec<Alignment>> {
        super::alignments::under(&self.pools, parents).await
    }

    async fn count_alignments_under(&self, parents: &[ObjectiveId]) -> StoreResult<Vec<(ObjectiveId, i64)>> {
        super::alignments::count_under(&self.pools, parents).await
    }

    async fn create_key_result(&self, ctx: &Ctx, new: NewKeyResult) -> StoreResult<KeyResult> {
        super::key_results::create(&self.pools, ctx, new).await
    }

    async fn get_key_result(&self, id: KeyResultId) -> StoreResult<KeyResult> {
        let mut r = self.pools.reader().await?;
        found("key result", id, super::key_result_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn list_key_results(&self, filter: KeyResultFilter, page: PageRequest) -> StoreResult<Page<KeyResult>> {
        super::key_results::list(&self.pools, filter, page).await
    }

    async fn key_results_of(&self, objectives: &[ObjectiveId]) -> StoreResult<Vec<KeyResult>> {
        super::key_results::of_objectives(&self.pools, objectives).await
    }

    async fn update_key_result(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: i64,
        patch: KeyResultPatch,
    ) -> StoreResult<KeyResult> {
        super::key_results::update(&self.pools, ctx, id, version, patch).await
    }

    async fn set_key_result_status(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: ExpectedVersion,
        change: KeyResultStatusChange,
    ) -> StoreResult<KeyResult> {
        super::key_results::set_status(&self.pools, ctx, id, version, change).await
    }

    async fn record_check_in(
        &self,
        ctx: &Ctx,
        key_result: KeyResultId,
        new: NewCheckIn,
    ) -> StoreResult<(CheckIn, KeyResult)> {
        super::check_ins::record(&self.check_ins, ctx, key_result, new).await
    }

    async fn recent_check_ins(&self, key_results: &[KeyResultId], per: u32) -> StoreResult<Vec<CheckIn>> {
        super::check_ins::recent(&self.pools, key_results, per).await
    }

    async fn list_check_ins(&self, key_result: KeyResultId, page: PageRequest) -> StoreResult<Page<CheckIn>> {
        super::check_ins::list(&self.pools, key_result, page).await
    }

    async fn create_initiative(&self, ctx: &Ctx, new: NewInitiative) -> StoreResult<Initiative> {
        super::initiatives::create(&self.pools, ctx, new).await
    }

    async fn get_initiative(&self, id: InitiativeId) -> StoreResult<Initiative> {
        super::initiatives::get(&self.pools, id).await
    }

    async fn list_initiatives(&self, filter: InitiativeFilter, page: PageRequest) -> StoreResult<Page<Initiative>> {
        super::initiatives::list(&self.pools, filter, page).await
    }

    async fn update_initiative(
        &self,
        ctx: &Ctx,
        id: InitiativeId,
        version: i64,
        patch: InitiativePatch,
    ) -> StoreResult<Initiative> {
        super::initiatives::update(&self.pools, ctx, id, version, patch).await
    }

    async fn carry_forward(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: quarterdeck_store::ExpectedVersion,
        into: CycleId,
        mid_cycle: bool,
    ) -> StoreResult<(KeyResult, KeyResult)> {
        super::quarter_end::carry_forward(&self.pools, ctx, id, version, into, mid_cycle).await
    }

    async fn create_objective_with_key_results(
        &self,
        ctx: &Ctx,
        new: NewObjective,
        key_results: Vec<NewKeyResult>,
        guardrails: Vec<KpiId>,
    ) -> StoreResult<(Objective, Vec<KeyResult>)> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let objective = create_objective_in(&mut w, new).await?;
        let mut made = Vec::with_capacity(key_results.len());
        for kr in key_results {
            made.push(super::key_results::create_in(&mut w, NewKeyResult { objective_id: objective.id, ..kr }).await?);
        }
        for kpi in guardrails {
            crate::kpi::guardrails::link_in(&mut w, kpi, objective.id).await?;
        }
        let objective =
            found("objective", objective.id, objective_in(&mut w.conn(), &objective.id.to_string()).await?)?;
        w.commit().await?;
        Ok((objective, made))
    }

    async fn objective_grades(&self, cycle: CycleId, unit: Option<UnitId>) -> StoreResult<Vec<ObjectiveGrade>> {
        let mut s = Sql::new("SELECT unit_id, kind, score FROM objectives WHERE cycle_id = ");
        s.bind(cycle).push(" AND status NOT IN ('draft', 'retired')");
        if let Some(u) = unit {
            s.push(" AND unit_id = ").bind(u);
        }
        let mut r = self.pools.reader().await?;
        let rows: Vec<(Option<String>, String, f64)> = r.conn().fetch_all(&s).await?;
        rows.into_iter()
            .map(|(unit, kind, score)| {
                Ok(ObjectiveGrade {
                    unit_id: unit.as_deref().map(|u| word("unit_id", u)).transpose()?,
                    kind: word("kind", &kind)?,
                    score,
                })
            })
            .collect()
    }

    async fn kpis_in_open_okrs(&self, kpis: &[KpiId]) -> StoreResult<Vec<KpiId>> {
        let mut out = Vec::new();
        let mut r = self.pools.reader().await?;
        for chunk in kpis.chunks(500) {
            let mut s = Sql::new(
                "SELECT DISTINCT k.kpi_id FROM key_results k JOIN cycles c ON c.id = k.cycle_id \
                 WHERE k.status = 'active' AND c.state <> 'closed' AND k.kpi_id IN (",
            );
            s.list(chunk.iter().copied()).push(")");
            let rows: Vec<(String,)> = r.conn().fetch_all(&s).await?;
            for (id,) in rows {
                out.push(crate::rows::word("kpi_id", &id)?);
            }
        }
        Ok(out)
    }

    async fn retire_key_result(&self, ctx: &Ctx, id: KeyResultId) -> StoreResult<KeyResult> {
        super::quarter_end::retire(&self.pools, ctx, id).await
    }

    async fn retire_into_kpi(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        kpi: quarterdeck_store::kpi::KpiChange,
    ) -> StoreResult<(KeyResult, quarterdeck_store::kpi::Kpi)> {
        super::quarter_end::retire_into_kpi(&self.pools, ctx, id, kpi).await
    }

    async fn retro(&self, objective: ObjectiveId) -> StoreResult<Option<quarterdeck_store::records::Retro>> {
        super::quarter_end::retro(&self.pools, objective).await
    }

    async fn set_retro(
        &self,
        ctx: &Ctx,
        objective: ObjectiveId,
        version: Option<i64>,
        notes: RetroNotes,
    ) -> StoreResult<quarterdeck_store::records::Retro> {
        super::quarter_end::set_retro(&self.pools, ctx, objective, version, notes).await
    }
}

/// A page of objectives under a filter, in id order, with the columns of `select` (which
/// names the objectives `o`).
fn filtered(select: &str, filter: &ObjectiveFilter, page: &PageRequest) -> Sql {
    let mut s = Sql::new(select);
    s.push(" WHERE 1 = 1");
    if let Some(cy) = filter.cycle_id {
        s.push(" AND o.cycle_id = ").bind(cy);
    }
    if let Some(k) = &filter.key {
        s.push(" AND o.key = ").bind(k.as_str());
    }
    if let Some(u) = filter.unit_id {
        s.push(" AND o.unit_id = ").bind(u);
    }
    if let Some(p) = filter.owner_id {
        s.push(" AND o.owner_id = ").bind(p);
    }
    if let Some(st) = filter.status {
        s.push(" AND o.status = ").bind(st.as_str());
    }
    if let Some(k) = filter.kind {
        s.push(" AND o.kind = ").bind(k.as_str());
    }
    match filter.aligned {
        Some(true) => s.push(" AND EXISTS (SELECT 1 FROM alignments a WHERE a.child_id = o.id)"),
        Some(false) => s.push(" AND NOT EXISTS (SELECT 1 FROM alignments a WHERE a.child_id = o.id)"),
        None => &mut s,
    };
    if let Some(after) = &page.after {
        s.push(" AND o.id > ").bind(after);
    }
    s.push(" ORDER BY o.id LIMIT ").bind(page.limit as i64 + 1);
    s
}
