//! The OKR half: objectives, the alignment graph, key results, check-ins, initiatives.

mod alignments;
pub(crate) mod check_ins;
mod initiatives;
mod key_results;
pub(crate) mod objectives;
mod quarter_end;

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

/// The key a new objective or key result gets: the one asked for (the unique index refuses a
/// taken one), or one made from its title and free within the cycle.
pub(crate) async fn choose_key(
    c: &mut Conn<'_>,
    table: &str,
    cycle: &str,
    wanted: Option<&quarterdeck_domain::text::Slug>,
    title: &str,
    fallback: &str,
) -> StoreResult<String> {
    use quarterdeck_domain::text::free_key;
    if let Some(k) = wanted {
        return Ok(k.as_str().to_owned());
    }
    let base = free_key(title, fallback, &Default::default()).as_str().to_owned();
    let rows: Vec<(Option<String>,)> = c
        .fetch_all(&q!(
            format!("SELECT key FROM {table} WHERE cycle_id = $1 AND (key = $2 OR key LIKE $3)"),
            cycle,
            &base,
            format!("{base}-%")
        ))
        .await?;
    let taken = rows.into_iter().filter_map(|(k,)| k).collect();
    Ok(free_key(title, fallback, &taken).as_str().to_owned())
}

/// A closed cycle is graded and read-only.
pub(crate) fn writable(window: &CycleWindow) -> StoreResult<()> {
    if window.state == quarterdeck_domain::cycle::CycleState::Closed {
        Err(DomainError::CycleClosed.into())
    } else {
        Ok(())
    }
}
