//! Identifiers: opaque, stable, and typed so an objective id is never passed where a key
//! result id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn from_uuid(uuid: Uuid) -> Self { Self(uuid) }
            pub fn as_uuid(&self) -> Uuid { self.0 }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.fmt(f) }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Uuid::parse_str(s).map(Self) }
        }
    )*};
}

id_type!(
    /// An organisation unit: the company, a department or a team.
    UnitId,
    PersonId,
    CycleId,
    ObjectiveId,
    KeyResultId,
    CheckInId,
    InitiativeId,
    AlignmentId,
    KpiId,
    KpiEdgeId,
    KraId,
    DataSourceId,
    GuardrailLinkId,
    EventId,
    /// An account that signs in (linked to a person of the organisation, or not).
    UserId,
    /// An API token of a user.
    TokenId,
    /// A browser session of a user.
    SessionId,
);
