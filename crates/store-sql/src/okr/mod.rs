//! The OKR half: objectives, the alignment graph, key results, check-ins, initiatives.

mod alignments;
pub(crate) mod check_ins;
mod initiatives;
mod key_results;
pub(crate) mod objectives;

use crate::db::{Conn, q};
use crate::rows::*;
use crate::sql::{SELECT_KEY_RESULT, SELECT_OBJECTIVE};
use quarterdeck_domain::DomainError;
use quarterdeck_store::StoreResult;
use quarterdeck_store::records::{CycleWindow, KeyResult, Objective};

pub(crate) async fn objective_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Objective>> {
    let row: Option<ObjectiveRow> = c.fetch_optional(&q!(format!("{SELECT_OBJECTIVE} WHERE o.id = $1"), id)).await?;
    row.map(Objective::try_from).transpose()
}

pub(crate) async fn key_result_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<KeyResult>> {
    let row: Option<KeyResultRow> = c.fetch_optional(&q!(format!("{SELECT_KEY_RESULT} WHERE k.id = $1"), id)).await?;
    row.map(KeyResult::try_from).transpose()
}

/// A closed cycle is graded and read-only.
pub(crate) fn writable(window: &CycleWindow) -> StoreResult<()> {
    if window.state == quarterdeck_domain::cycle::CycleState::Closed {
        Err(DomainError::CycleClosed.into())
    } else {
        Ok(())
    }
}
