//! The organisation as front ends show it: units, people, cycles.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::cycle::{CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_store::records::{Cycle, Person, Unit};
use serde::Serialize;

/// A unit as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitView {
    pub id: UnitId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Natural key that files and URLs can name ("platform-team").
    pub slug: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

impl From<Unit> for UnitView {
    fn from(r: Unit) -> Self {
        UnitView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            slug: r.slug,
            name: r.name,
            kind: r.kind,
            parent_id: r.parent_id,
        }
    }
}

/// A person as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonView {
    pub id: PersonId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub email: String,
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

impl From<Person> for PersonView {
    fn from(r: Person) -> Self {
        PersonView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            name: r.name,
            email: r.email,
            unit_id: r.unit_id,
            manager_id: r.manager_id,
        }
    }
}

/// A cycle as front ends show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleView {
    pub id: CycleId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub kind: CycleKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub state: CycleState,
}

impl From<Cycle> for CycleView {
    fn from(r: Cycle) -> Self {
        CycleView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            name: r.name,
            kind: r.kind,
            start: r.start,
            end: r.end,
            state: r.state,
        }
    }
}

impl CycleView {
    pub fn dates(&self) -> quarterdeck_domain::cycle::CycleDates {
        quarterdeck_domain::cycle::CycleDates::new(self.start, self.end)
            .expect("a cycle's start is never after its end")
    }
}
