//! Cycles: planning → active → closed. "current" is the cycle that holds today.

use crate::views::*;
use crate::{App, AppResult, ListPage, or_current};
use chrono::NaiveDate;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::text::Title;
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::*;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCycle {
    /// Defaults to "2026-Q4", "2026-H2" or the date range.
    pub name: Option<String>,
    #[serde(default = "quarter")]
    pub kind: CycleKind,
    /// First day. Defaults to the first day of the current quarter.
    pub start: Option<NaiveDate>,
    /// Last day (inclusive); derived from the kind unless the kind is custom.
    pub end: Option<NaiveDate>,
    /// planning (default) or active.
    #[serde(default = "planning")]
    pub state: CycleState,
}

impl Default for CreateCycle {
    fn default() -> Self {
        CreateCycle { name: None, kind: CycleKind::Quarter, start: None, end: None, state: CycleState::Planning }
    }
}

fn quarter() -> CycleKind {
    CycleKind::Quarter
}
fn planning() -> CycleState {
    CycleState::Planning
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCycle {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

impl App {
    pub async fn list_cycles(
        &self,
        state: Option<CycleState>,
        on: Option<NaiveDate>,
        page: PageRequest,
    ) -> AppResult<ListPage<CycleView>> {
        Ok(self.store().list_cycles(CycleFilter { state, on }, page).await?.into())
    }

    /// Creates a cycle; a quarter starting on the first day of this quarter unless told otherwise.
    pub async fn create_cycle(&self, input: CreateCycle) -> AppResult<CycleView> {
        self.may_administer()?;
        if input.state == CycleState::Closed {
            return Err(DomainError::InvalidInitialState.into());
        }
        let start = input.start.unwrap_or_else(|| CycleDates::quarter_of(self.today()).start());
        let dates = CycleDates::for_kind(input.kind, start, input.end)?;
        let name = match input.name.as_deref() {
            Some(n) => Title::parse("name", n)?,
            None => Title::parse("name", &dates.default_name(input.kind))?,
        };
        Ok(self
            .store()
            .create_cycle(&self.ctx(), NewCycle { name, kind: input.kind, dates, state: input.state })
            .await?
            .into())
    }

    /// A cycle by id or `current`.
    pub async fn get_cycle(&self, raw: &str) -> AppResult<CycleView> {
        self.resolve_cycle("id", raw).await.map(Into::into)
    }

    pub async fn update_cycle(&self, raw: &str, version: i64, input: UpdateCycle) -> AppResult<CycleView> {
        self.may_administer()?;
        let current = self.resolve_cycle("id", raw).await?;
        let dates = if input.start.is_some() || input.end.is_some() {
            Some(CycleDates::new(input.start.unwrap_or(current.start), input.end.unwrap_or(current.end))?)
        } else {
            None
        };
        let patch = CyclePatch { name: input.name.as_deref().map(|n| Title::parse("name", n)).transpose()?, dates };
        or_current(
            self.store().update_cycle(&self.ctx(), current.id, version, patch).await,
            self.store().get_cycle(current.id),
            CycleView::from,
        )
        .await
    }

    /// Moves a cycle on (planning → active → closed); `version` is optional since the state
    /// machine already guards the move.
    pub async fn move_cycle(&self, raw: &str, version: Option<i64>, to: CycleState) -> AppResult<CycleView> {
        self.may_administer()?;
        let id = self.resolve_cycle_id("id", raw).await?;
        or_current(
            self.store().set_cycle_state(&self.ctx(), id, version, to).await,
            self.store().get_cycle(id),
            CycleView::from,
        )
        .await
    }
}
