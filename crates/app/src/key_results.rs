//! Key results, their check-ins, and the moves kill / carry forward.

use crate::input::{double_option, required};
use crate::views::*;
use crate::views::{CheckInRecorded, KeyResultView, StretchView};
use crate::{App, AppResult, ListPage, or_current};
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::ids::{KeyResultId, KpiId, ObjectiveId, PersonId};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_domain::okr::Confidence;
use quarterdeck_domain::scoring::{KeyResultKind, Measure, Weight};
use quarterdeck_domain::text::{Note, Reason, Slug, Title, UnitOfMeasure};
use quarterdeck_store::PageRequest;
use quarterdeck_store::StoreError;
use quarterdeck_store::input::*;
use quarterdeck_store::kpi::Kpi;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKeyResult {
    pub objective_id: ObjectiveId,
    /// A name unique within the cycle ("nps-32-to-50"); made from the title when left out.
    pub key: Option<String>,
    /// A measurable outcome, "from X to Y" — never a task.
    pub title: String,
    /// metric (default) or milestone (0 → 1, for the rare committed milestone).
    #[serde(default = "metric")]
    pub kind: KeyResultKind,
    #[serde(default)]
    pub unit_of_measure: String,
    /// Where it starts. Required for a metric, unless the key result is linked to a KPI:
    /// then it defaults to the KPI's value at the cycle's start. A milestone starts at 0.
    pub baseline: Option<f64>,
    /// Where it should be at the cycle's end. Must differ from the baseline.
    pub target: Option<f64>,
    /// Within this distance of the target the key result counts as met (e.g. ±1 pp).
    pub tolerance: Option<f64>,
    #[serde(default = "one")]
    pub weight: f64,
    pub owner_id: Option<PersonId>,
    /// The KPI it is measured from; it takes the KPI's current value at once.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub kpi_id: Option<KpiId>,
}

fn metric() -> KeyResultKind {
    KeyResultKind::Metric
}
fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyResult {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub unit_of_measure: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub tolerance: Option<Option<f64>>,
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub kpi_id: Option<Option<KpiId>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordCheckIn {
    /// The current value. May be left out on a key result linked to a KPI: the KPI's current
    /// value is used.
    pub value: Option<f64>,
    pub confidence: Confidence,
    /// One sentence on the next move.
    #[serde(default)]
    pub note: String,
    pub author_id: Option<PersonId>,
    /// When the value was true (RFC 3339); defaults to now. Not before the cycle's start,
    /// not in the future; after the cycle's end it is accepted until the cycle is closed.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Kill {
    pub version: Option<i64>,
    /// Why it is stopped: required, and kept with the key result.
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CarryForward {
    pub version: Option<i64>,
}

impl App {
    fn kr_view(&self, kr: quarterdeck_store::records::KeyResult) -> KeyResultView {
        KeyResultView::new(kr, &self.policy(), self.today())
    }

    /// The KPI a key result is measured from, checked to exist; `field` names the input.
    async fn linked_kpi(&self, field: &'static str, kpi: Option<KpiId>) -> AppResult<Option<Kpi>> {
        let Some(id) = kpi else { return Ok(None) };
        match self.store().get_kpi(id).await {
            Ok(k) => Ok(Some(k)),
            Err(StoreError::NotFound { .. }) => {
                Err(StoreError::UnknownReference { field, entity: "KPI", id: id.to_string() }.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A KPI's value at a day: the period (at its cadence) holding the day, or the last one before.
    pub async fn kpi_value_at(&self, kpi: &Kpi, day: NaiveDate) -> AppResult<Option<f64>> {
        let periods =
            self.store().list_periods(kpi.id, Granularity::of_cadence(kpi.cadence), None, None, Some(day), 1).await?;
        Ok(periods.last().and_then(|p| p.value))
    }

    pub async fn list_key_results(
        &self,
        objective: Option<ObjectiveId>,
        owner: Option<PersonId>,
        cycle: Option<&str>,
        key: Option<&str>,
        page: PageRequest,
    ) -> AppResult<ListPage<KeyResultView>> {
        let cycle_id = match cycle {
            Some(c) => Some(self.resolve_cycle_id("cycle", c).await?),
            None => None,
        };
        let key = key.map(|k| Slug::parse("key", k)).transpose()?;
        let filter = KeyResultFilter { objective_id: objective, key, owner_id: owner, cycle_id };
        Ok(self.store().list_key_results(filter, page).await?.map(|k| self.kr_view(k)).into())
    }

    pub async fn create_key_result(&self, input: CreateKeyResult) -> AppResult<KeyResultView> {
        self.may(Action::EditOkr, self.objective_target_of(input.objective_id)).await.map_err(|e| match e.code {
            quarterdeck_domain::error::Code::NotFound => crate::AppError::new(
                quarterdeck_domain::error::Code::UnknownReference,
                format!("no objective with id {}", input.objective_id),
            )
            .with_field("objective_id"),
            _ => e,
        })?;
        let kpi = self.linked_kpi("kpi_id", input.kpi_id).await?;
        let baseline = match (input.baseline, &kpi) {
            (Some(b), _) => Some(b),
            (None, Some(kpi)) if input.kind == KeyResultKind::Metric => {
                let objective = self.store().get_objective(input.objective_id).await.map_err(|e| match e {
                    StoreError::NotFound { .. } => StoreError::UnknownReference {
                        field: "objective_id",
                        entity: "objective",
                        id: input.objective_id.to_string(),
                    },
                    e => e,
                })?;
                let day = objective.cycle.start;
                Some(
                    self.kpi_value_at(kpi, day)
                        .await?
                        .ok_or_else(|| DomainError::BaselineUnknown { kpi: kpi.key.clone(), day })?,
                )
            }
            (None, _) => None,
        };
        let measure = match input.kind {
            KeyResultKind::Metric => Measure::for_kind(
                input.kind,
                required("baseline", baseline)?,
                required("target", input.target)?,
                input.tolerance,
            )?,
            KeyResultKind::Milestone => Measure::for_kind(
                input.kind,
                input.baseline.unwrap_or(0.0),
                input.target.unwrap_or(1.0),
                input.tolerance,
            )?,
        };
        let new = NewKeyResult {
            objective_id: input.objective_id,
            key: input.key.as_deref().map(|k| Slug::parse("key", k)).transpose()?,
            title: Title::parse("title", &input.title)?,
            kind: input.kind,
            unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &input.unit_of_measure)?,
            measure,
            weight: Weight::new("weight", input.weight)?,
            owner_id: input.owner_id,
            kpi_id: input.kpi_id,
        };
        let kr = self.store().create_key_result(&self.ctx(), new).await?;
        Ok(self.kr_view(kr))
    }

    pub async fn get_key_result(&self, id: KeyResultId) -> AppResult<KeyResultView> {
        Ok(self.kr_view(self.store().get_key_result(id).await?))
    }

    pub async fn update_key_result(
        &self,
        id: KeyResultId,
        version: i64,
        input: UpdateKeyResult,
    ) -> AppResult<KeyResultView> {
        self.may(Action::EditKeyResult, self.key_result_target(id)).await?;
        if let Some(kpi) = input.kpi_id {
            self.linked_kpi("kpi_id", kpi).await?;
        }
        let measure = if input.baseline.is_some() || input.target.is_some() || input.tolerance.is_some() {
            let current = self.store().get_key_result(id).await?;
            Some(Measure::new(
                input.baseline.unwrap_or(current.baseline),
                input.target.unwrap_or(current.target),
                input.tolerance.unwrap_or(current.tolerance),
            )?)
        } else {
            None
        };
        let patch = KeyResultPatch {
            title: input.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
            unit_of_measure: input
                .unit_of_measure
                .as_deref()
                .map(|u| UnitOfMeasure::parse("unit_of_measure", u))
                .transpose()?,
            measure,
            weight: input.weight.map(|w| Weight::new("weight", w)).transpose()?,
            owner_id: input.owner_id,
            kpi_id: input.kpi_id,
        };
        or_current(
            self.store().update_key_result(&self.ctx(), id, version, patch).await,
            self.store().get_key_result(id),
            |kr| self.kr_view(kr),
        )
        .await
    }

    /// The confidence of each key result's latest check-ins, oldest first (at most `per`):
    /// the trend a team page shows. One read however many key results.
    pub async fn confidence_trends(
        &self,
        key_results: &[KeyResultId],
        per: u32,
    ) -> AppResult<std::collections::HashMap<KeyResultId, Vec<quarterdeck_domain::okr::Confidence>>> {
        let mut trends: std::collections::HashMap<KeyResultId, Vec<_>> = std::collections::HashMap::new();
        for c in self.store().recent_check_ins(key_results, per.min(52)).await? {
            trends.entry(c.key_result_id).or_default().push(c.confidence);
        }
        for t in trends.values_mut() {
            t.reverse();
        }
        Ok(trends)
    }

    pub async fn list_check_ins(&self, id: KeyResultId, page: PageRequest) -> AppResult<ListPage<CheckInView>> {
        Ok(self.store().list_check_ins(id, page).await?.into())
    }

    /// Records a check-in. Without a value, a key result measured from a KPI takes the KPI's
    /// current value (the check-in still records confidence and the next move).
    pub async fn record_check_in(&self, id: KeyResultId, input: RecordCheckIn) -> AppResult<CheckInRecorded> {
        self.may(Action::CheckIn, self.key_result_target(id)).await?;
        let note = Note::parse("note", &input.note)?;
        let value = match input.value {
            Some(v) => v,
            None => {
                let kr = self.store().get_key_result(id).await?;
                let kpi = self.linked_kpi("kpi_id", kr.kpi_id).await?;
                kpi.and_then(|k| k.current_value).ok_or(DomainError::Missing { field: "value" })?
            }
        };
        // Without an author, the check-in is the signed-in person's own; a member checks in
        // as themselves only (leads and admins may record one for someone they heard from).
        if let (Some(author), quarterdeck_domain::access::Rights::User { member, .. }) =
            (input.author_id, self.rights())
            && member.role == quarterdeck_domain::access::Role::Member
            && Some(author) != member.person
        {
            return Err(crate::AppError::new(
                quarterdeck_domain::error::Code::Forbidden,
                "a member records check-ins as themselves; leave author_id out",
            )
            .with_field("author_id"));
        }
        let author_id = input.author_id.or(self.person_id());
        let new = NewCheckIn { value, confidence: input.confidence, note, author_id, at: input.at };
        let (check_in, kr) = self.store().record_check_in(&self.ctx(), id, new).await?;
        Ok(CheckInRecorded { check_in: check_in.into(), key_result: self.kr_view(kr) })
    }

    /// Stops a key result mid-cycle with a written reason; it leaves the objective's score.
    pub async fn kill_key_result(
        &self,
        id: KeyResultId,
        version: Option<i64>,
        input: Kill,
    ) -> AppResult<KeyResultView> {
        self.may(Action::EditKeyResult, self.key_result_target(id)).await?;
        let change = KeyResultStatusChange::Kill { reason: Reason::parse("reason", &input.reason)? };
        let version = version.or(input.version);
        or_current(
            self.store().set_key_result_status(&self.ctx(), id, version, change).await,
            self.store().get_key_result(id),
            |kr| self.kr_view(kr),
        )
        .await
    }

    /// Carries a key result into the next cycle (the first that starts after its cycle ends),
    /// from the value it reached to the same target. While its cycle runs it also leaves this
    /// cycle's score; at the end of a closed cycle its graded score stays. The original's
    /// `carried_to` names the copy.
    pub async fn carry_forward(&self, id: KeyResultId, version: Option<i64>) -> AppResult<KeyResultView> {
        self.may(Action::EditKeyResult, self.key_result_target(id)).await?;
        let kr = self.store().get_key_result(id).await?;
        let into = self.next_cycle_after(kr.cycle.end).await?;
        let mid_cycle = kr.cycle.state == quarterdeck_domain::cycle::CycleState::Active;
        or_current(
            self.store().carry_forward(&self.ctx(), id, version, into, mid_cycle).await.map(|(kr, _)| kr),
            self.store().get_key_result(id),
            |kr| self.kr_view(kr),
        )
        .await
    }

    /// For a key result linked to a KPI: stretch targets from the KPI's recent history.
    pub async fn key_result_stretch_targets(&self, id: KeyResultId) -> AppResult<StretchView> {
        let kr = self.store().get_key_result(id).await?;
        let kpi = self.linked_kpi("kpi_id", kr.kpi_id).await?.ok_or(DomainError::NotLinked)?;
        self.stretch_for(&kpi).await
    }
}
