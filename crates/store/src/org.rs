//! The organisation: units and people.

use crate::input::*;
use crate::records::{OrgSettings, Person, Unit};
use crate::{Ctx, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use quarterdeck_domain::coach::policy::PolicySettings;
use quarterdeck_domain::ids::{PersonId, UnitId};
use quarterdeck_domain::zone::Zone;

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_unit(&self, ctx: &Ctx, new: NewUnit) -> StoreResult<Unit>;
    async fn get_unit(&self, id: UnitId) -> StoreResult<Unit>;
    /// The unit followed by every unit above it, up to the top of the tree.
    async fn unit_chain(&self, id: UnitId) -> StoreResult<Vec<UnitId>>;
    async fn find_unit_by_slug(&self, slug: &str) -> StoreResult<Unit>;
    async fn list_units(&self, filter: UnitFilter, page: PageRequest) -> StoreResult<Page<Unit>>;
    async fn update_unit(&self, ctx: &Ctx, id: UnitId, version: i64, patch: UnitPatch) -> StoreResult<Unit>;

    async fn create_person(&self, ctx: &Ctx, new: NewPerson) -> StoreResult<Person>;
    async fn get_person(&self, id: PersonId) -> StoreResult<Person>;
    /// The person with this e-mail address, whatever its letters' case (addresses are unique).
    async fn find_person_by_email(&self, email: &str) -> StoreResult<Option<Person>>;
    async fn list_people(&self, filter: PersonFilter, page: PageRequest) -> StoreResult<Page<Person>>;
    async fn update_person(&self, ctx: &Ctx, id: PersonId, version: i64, patch: PersonPatch) -> StoreResult<Person>;

    /// The organisation's settings: its time zone (the calendar of "today", of periods and of
    /// cycles) and their version.
    async fn settings(&self) -> StoreResult<OrgSettings>;
    /// Sets the time zone if the settings are still at `version` ([`StoreError::Stale`](crate::StoreError::Stale)
    /// otherwise); when it changes, every KPI's period values are recomputed in it, in the
    /// same transaction. Setting the zone already set changes nothing.
    async fn set_time_zone(&self, ctx: &Ctx, version: i64, zone: Zone) -> StoreResult<OrgSettings>;
    /// Lets requests without credentials read (or not), if the settings are still at `version`.
    async fn set_anonymous_read(&self, ctx: &Ctx, version: i64, on: bool) -> StoreResult<OrgSettings>;
    /// The coach's policy settings and the settings' version (the same version as
    /// [`OrgStore::settings`]: one version guards every setting).
    async fn coach_policy(&self) -> StoreResult<(PolicySettings, i64)>;
    /// Replaces the coach's policy settings if the settings are still at `version`; the
    /// caller has checked them.
    async fn set_coach_policy(
        &self,
        ctx: &Ctx,
        version: i64,
        policy: PolicySettings,
    ) -> StoreResult<(PolicySettings, i64)>;
    /// How many people belong directly to each of `units` (units without people are left out).
    /// The directory's version: it moves with every write to a unit or a person, and with
    /// nothing else.
    async fn directory_version(&self) -> StoreResult<i64>;
    async fn people_per_unit(&self, units: &[UnitId]) -> StoreResult<Vec<(UnitId, i64)>>;
}
