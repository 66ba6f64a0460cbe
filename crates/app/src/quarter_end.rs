//! The quarter end (METHOD.md §4, §5.2): the next cycle to carry into, retiring a key result
//! (into a KPI whose target and baseline are the level it reached), and each objective's retro.

use crate::kpis::{CreateKpi, UpdateKpi};
use crate::views::KeyResultView;
use crate::{App, AppError, AppResult};
use chrono::NaiveDate;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::error::{Code, DomainError};
use quarterdeck_domain::ids::{CycleId, KeyResultId, ObjectiveId};
use quarterdeck_domain::scoring::Direction;
use quarterdeck_domain::text::LongText;
use quarterdeck_store::input::RetroNotes;
use quarterdeck_store::kpi::KpiChange;
use quarterdeck_store::records::Retro;
use serde::{Deserialize, Serialize};

/// Retiring a key result into a KPI: the KPI it is measured from (or `kpi`, by id or key) gets
/// the level reached as its target and baseline; without one, a KPI is defined from the key
/// result (named `name`, keyed `key` when given).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetireIntoKpi {
    pub kpi: Option<String>,
    pub name: Option<String>,
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetiredIntoKpi {
    pub key_result: KeyResultView,
    pub kpi: crate::views::KpiView,
}

/// An objective's retro as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteRetro {
    /// The retro's version seen; none for the first.
    pub version: Option<i64>,
    #[serde(default)]
    pub moved: String,
    #[serde(default)]
    pub not_moved: String,
    #[serde(default)]
    pub learnings: String,
}

impl App {
    /// The cycle to carry into: the first one that starts after `end` and is not closed.
    pub(crate) async fn next_cycle_after(&self, end: NaiveDate) -> AppResult<CycleId> {
        let cycles = self.all_cycles().await?;
        cycles
            .into_iter()
            .filter(|c: &quarterdeck_store::records::Cycle| c.start > end && c.state != CycleState::Closed)
            .min_by_key(|c| c.start)
            .map(|c| c.id)
            .ok_or_else(|| DomainError::NoNextCycle { end }.into())
    }

    /// Records that a key result retires at its cycle's end (its graded score stays).
    pub async fn retire_key_result(&self, id: KeyResultId) -> AppResult<KeyResultView> {
        self.may(Action::EditKeyResult, self.key_result_target(id)).await?;
        let kr = self.store().retire_key_result(&self.ctx(), id).await?;
        Ok(KeyResultView::new(kr, &self.policy(), self.today()))
    }

    /// Retires a key result into a KPI, in one transaction with the KPI's change: "TTFV from
    /// 14 to 5 days, reached 5" becomes the KPI "TTFV ≤ 5 days" with baseline 5.
    pub async fn retire_into_kpi(&self, id: KeyResultId, input: RetireIntoKpi) -> AppResult<RetiredIntoKpi> {
        self.may(Action::EditKeyResult, self.key_result_target(id)).await?;
        let kr = self.store().get_key_result(id).await?;
        let reached = kr.current_value.unwrap_or(kr.baseline);
        let existing = match (&input.kpi, kr.kpi_id) {
            (Some(raw), _) => Some(self.resolve_kpi(raw).await.map_err(|e| e.with_field("kpi"))?),
            (None, Some(k)) => Some(self.store().get_kpi(k).await?),
            (None, None) => None,
        };
        let change = match existing {
            Some(kpi) => {
                let update = UpdateKpi {
                    target: Some(Some(reached)),
                    baseline: Some(Some(reached)),
                    target_set_on: Some(self.today()),
                    ..UpdateKpi::default()
                };
                let version = kpi.version;
                KpiChange::Update { id: kpi.id, version, patch: self.kpi_patch(&kpi, update).await? }
            }
            None => {
                let objective = self.store().get_objective(kr.objective_id).await?;
                let name: String = input.name.clone().unwrap_or_else(|| kr.title.chars().take(120).collect());
                let direction = match kr.direction {
                    Direction::Increase => "higher_is_better",
                    Direction::Decrease => "lower_is_better",
                };
                let create = serde_json::json!({
                    "name": name,
                    "key": input.key,
                    "description": format!("Retired from the key result \"{}\" at {}; the level it reached is the target to hold.", kr.title, self.today()),
                    "owner_id": kr.owner_id,
                    "unit": objective.unit_id.map(|u| u.to_string()),
                    "unit_of_measure": kr.unit_of_measure,
                    "cadence": "monthly",
                    "direction": direction,
                    "target": reached,
                    "baseline": reached,
                });
                let create: CreateKpi = serde_json::from_value(create)
                    .map_err(|e| AppError::new(Code::InvalidField, format!("the KPI cannot be made: {e}")))?;
                KpiChange::Create(self.new_kpi(create).await?)
            }
        };
        let (kr, kpi) = self.store().retire_into_kpi(&self.ctx(), id, change).await?;
        Ok(RetiredIntoKpi { key_result: KeyResultView::new(kr, &self.policy(), self.today()), kpi: kpi.into() })
    }

    pub async fn retro(&self, objective: ObjectiveId) -> AppResult<Option<Retro>> {
        self.store().get_objective(objective).await?;
        Ok(self.store().retro(objective).await?)
    }

    /// Writes an objective's retro; allowed after the cycle closed, by whoever may edit it.
    pub async fn write_retro(&self, objective: ObjectiveId, input: WriteRetro) -> AppResult<Retro> {
        self.may(Action::EditOkr, self.objective_target_of(objective)).await?;
        let notes = RetroNotes {
            moved: LongText::parse("moved", &input.moved)?,
            not_moved: LongText::parse("not_moved", &input.not_moved)?,
            learnings: LongText::parse("learnings", &input.learnings)?,
        };
        Ok(self.store().set_retro(&self.ctx(), objective, input.version, notes).await?)
    }
}
