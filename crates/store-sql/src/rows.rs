//! Rows as both databases return them (text ids, integer microsecond timestamps, text
//! dates) and their conversion into records. Shared by both backends.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_store::StoreError;
use quarterdeck_store::records::*;
use std::str::FromStr;

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn time(field: &str, micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| corrupt(field, &micros.to_string()))
}

pub fn date(field: &str, s: &str) -> Result<NaiveDate, StoreError> {
    s.parse().map_err(|_| corrupt(field, s))
}

pub fn word<T: FromStr>(field: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(field, s))
}

pub fn opt_word<T: FromStr>(field: &str, s: Option<&str>) -> Result<Option<T>, StoreError> {
    s.map(|s| word(field, s)).transpose()
}

fn corrupt(field: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("stored {field} '{value}' cannot be read; was the database edited by hand?"))
}

pub fn opt_time(field: &str, v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(|m| time(field, m)).transpose()
}

#[derive(sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
}

impl TryFrom<UnitRow> for Unit {
    type Error = StoreError;
    fn try_from(r: UnitRow) -> Result<Self, StoreError> {
        Ok(Unit {
            id: word("unit id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            slug: r.slug,
            name: r.name,
            kind: word("unit kind", &r.kind)?,
            parent_id: opt_word("parent_id", r.parent_id.as_deref())?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub name: String,
    pub email: String,
    pub unit_id: Option<String>,
    pub manager_id: Option<String>,
}

impl TryFrom<PersonRow> for Person {
    type Error = StoreError;
    fn try_from(r: PersonRow) -> Result<Self, StoreError> {
        Ok(Person {
            id: word("person id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            name: r.name,
            email: r.email,
            unit_id: opt_word("unit_id", r.unit_id.as_deref())?,
            manager_id: opt_word("manager_id", r.manager_id.as_deref())?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct CycleRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub name: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub state: String,
}

impl TryFrom<CycleRow> for Cycle {
    type Error = StoreError;
    fn try_from(r: CycleRow) -> Result<Self, StoreError> {
        Ok(Cycle {
            id: word("cycle id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            name: r.name,
            kind: word("cycle kind", &r.kind)?,
            start: date("start_date", &r.start_date)?,
            end: date("end_date", &r.end_date)?,
            state: word("cycle state", &r.state)?,
        })
    }
}

fn window(start: &str, end: &str, state: &str) -> Result<CycleWindow, StoreError> {
    Ok(CycleWindow {
        start: date("start_date", start)?,
        end: date("end_date", end)?,
        state: word("cycle state", state)?,
    })
}

#[derive(sqlx::FromRow)]
pub struct ObjectiveRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub cycle_id: String,
    pub key: Option<String>,
    pub title: String,
    pub description: String,
    pub owner_id: String,
    pub unit_id: Option<String>,
    pub kind: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub score: f64,
    pub rollup: Option<f64>,
    pub key_result_count: i64,
    pub rewrites: i64,
    pub cycle_start: String,
    pub cycle_end: String,
    pub cycle_state: String,
}

impl TryFrom<ObjectiveRow> for Objective {
    type Error = StoreError;
    fn try_from(r: ObjectiveRow) -> Result<Self, StoreError> {
        Ok(Objective {
            id: word("objective id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            cycle_id: word("cycle_id", &r.cycle_id)?,
            key: r.key.unwrap_or_default(),
            title: r.title,
            description: r.description,
            owner_id: word("owner_id", &r.owner_id)?,
            unit_id: opt_word("unit_id", r.unit_id.as_deref())?,
            kind: word("objective kind", &r.kind)?,
            status: word("objective status", &r.status)?,
            status_reason: r.status_reason,
            score: r.score,
            rollup: r.rollup,
            key_result_count: r.key_result_count,
            rewrites: r.rewrites,
            cycle: window(&r.cycle_start, &r.cycle_end, &r.cycle_state)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct KeyResultRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub objective_id: String,
    pub key: Option<String>,
    pub title: String,
    pub kind: String,
    pub unit_of_measure: String,
    pub baseline: f64,
    pub target: f64,
    pub tolerance: Option<f64>,
    pub weight: f64,
    pub owner_id: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub kpi_id: Option<String>,
    pub current_value: Option<f64>,
    pub confidence: Option<String>,
    pub last_check_in_at: Option<i64>,
    pub score: f64,
    pub decision: Option<String>,
    pub carried_to: Option<String>,
    pub cycle_start: String,
    pub cycle_end: String,
    pub cycle_state: String,
}

impl TryFrom<KeyResultRow> for KeyResult {
    type Error = StoreError;
    fn try_from(r: KeyResultRow) -> Result<Self, StoreError> {
        let direction = if r.target > r.baseline {
            quarterdeck_domain::scoring::Direction::Increase
        } else {
            quarterdeck_domain::scoring::Direction::Decrease
        };
        Ok(KeyResult {
            id: word("key result id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            objective_id: word("objective_id", &r.objective_id)?,
            key: r.key.unwrap_or_default(),
            title: r.title,
            kind: word("key result kind", &r.kind)?,
            unit_of_measure: r.unit_of_measure,
            baseline: r.baseline,
            target: r.target,
            tolerance: r.tolerance,
            direction,
            weight: r.weight,
            owner_id: opt_word("owner_id", r.owner_id.as_deref())?,
            status: word("key result status", &r.status)?,
            status_reason: r.status_reason,
            kpi_id: opt_word("kpi_id", r.kpi_id.as_deref())?,
            current_value: r.current_value,
            confidence: opt_word("confidence", r.confidence.as_deref())?,
            last_check_in_at: opt_time("last_check_in_at", r.last_check_in_at)?,
            score: r.score,
            decision: opt_word("decision", r.decision.as_deref())?,
            carried_to: opt_word("carried_to", r.carried_to.as_deref())?,
            cycle: window(&r.cycle_start, &r.cycle_end, &r.cycle_state)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct CheckInRow {
    pub id: String,
    pub key_result_id: String,
    pub value: f64,
    pub confidence: String,
    pub note: String,
    pub author_id: Option<String>,
    pub at: i64,
    pub created_at: i64,
}

impl TryFrom<CheckInRow> for CheckIn {
    type Error = StoreError;
    fn try_from(r: CheckInRow) -> Result<Self, StoreError> {
        Ok(CheckIn {
            id: word("check-in id", &r.id)?,
            key_result_id: word("key_result_id", &r.key_result_id)?,
            value: r.value,
            confidence: word("confidence", &r.confidence)?,
            note: r.note,
            author_id: opt_word("author_id", r.author_id.as_deref())?,
            at: time("at", r.at)?,
            created_at: time("created_at", r.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct InitiativeRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub key_result_id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub owner_id: Option<String>,
    pub link: Option<String>,
}

impl TryFrom<InitiativeRow> for Initiative {
    type Error = StoreError;
    fn try_from(r: InitiativeRow) -> Result<Self, StoreError> {
        Ok(Initiative {
            id: word("initiative id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            key_result_id: word("key_result_id", &r.key_result_id)?,
            title: r.title,
            kind: word("initiative kind", &r.kind)?,
            status: word("initiative status", &r.status)?,
            owner_id: opt_word("owner_id", r.owner_id.as_deref())?,
            link: r.link,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AlignmentRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub child_id: String,
    pub parent_objective_id: String,
    pub parent_key_result_id: Option<String>,
    pub kind: String,
    pub weight: f64,
}

impl TryFrom<AlignmentRow> for Alignment {
    type Error = StoreError;
    fn try_from(r: AlignmentRow) -> Result<Self, StoreError> {
        Ok(Alignment {
            id: word("alignment id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            child_id: word("child_id", &r.child_id)?,
            parent_objective_id: word("parent_objective_id", &r.parent_objective_id)?,
            parent_key_result_id: opt_word("parent_key_result_id", r.parent_key_result_id.as_deref())?,
            kind: word("link kind", &r.kind)?,
            weight: r.weight,
        })
    }
}

/// Converts fetched rows into records.
pub fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
