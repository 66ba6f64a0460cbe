//! Who acts: every write is done by someone, and the audit trail and events say who.

use crate::ids::{KpiId, PersonId, TokenId, UserId};
use serde::{Deserialize, Serialize};

/// The acting party of a write: a signed-in user, an API token (for its user), a person,
/// or the system itself — the command line, a job, a guardrail, an import. Users and tokens
/// carry the user's name as it was, so the trail reads "who" without a join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A person of the organisation (a check-in's author).
    Person {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        id: PersonId,
    },
    /// A user signed in with a password or single sign-on.
    User {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        id: UserId,
        name: String,
    },
    /// An API token, acting for its user.
    Token {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        id: TokenId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        user: UserId,
        name: String,
    },
    /// An unnamed client of the JSON API (rows written before accounts existed).
    Api,
    /// The command line, run by this operating-system user.
    Cli { user: Option<String> },
    /// A scheduled job ("data_sources", "outbox").
    Job { name: String },
    /// A guardrail KPI that tripped or recovered.
    Guardrail {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        kpi: KpiId,
    },
    /// A bulk load (the demo, later goals as code).
    Import,
}

impl Actor {
    /// The kind as a word ("person", "api", …), for filters and indexes.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Person { .. } => "person",
            Actor::User { .. } => "user",
            Actor::Token { .. } => "token",
            Actor::Api => "api",
            Actor::Cli { .. } => "cli",
            Actor::Job { .. } => "job",
            Actor::Guardrail { .. } => "guardrail",
            Actor::Import => "import",
        }
    }

    /// The id within its kind, when it has one (a person's id, a job's name, a KPI's id).
    pub fn id(&self) -> Option<String> {
        match self {
            Actor::Person { id } => Some(id.to_string()),
            Actor::User { id, .. } => Some(id.to_string()),
            Actor::Token { id, .. } => Some(id.to_string()),
            Actor::Cli { user } => user.clone(),
            Actor::Job { name } => Some(name.clone()),
            Actor::Guardrail { kpi } => Some(kpi.to_string()),
            Actor::Api | Actor::Import => None,
        }
    }

    /// Parses the `actor` filter of the audit list: `kind` or `kind:id`.
    pub fn filter(raw: &str) -> Option<(String, Option<String>)> {
        let (kind, id) = match raw.split_once(':') {
            Some((k, i)) => (k, Some(i.to_owned())),
            None => (raw, None),
        };
        ["person", "user", "token", "api", "cli", "job", "guardrail", "import"]
            .contains(&kind)
            .then(|| (kind.to_owned(), id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_back_the_same() {
        for a in [
            Actor::Api,
            Actor::User { id: UserId(uuid::Uuid::from_u128(1)), name: "Ada".into() },
            Actor::Token {
                id: TokenId(uuid::Uuid::from_u128(2)),
                user: UserId(uuid::Uuid::from_u128(1)),
                name: "Ada".into(),
            },
            Actor::Cli { user: Some("ada".into()) },
            Actor::Job { name: "data_sources".into() },
            Actor::Guardrail { kpi: KpiId(uuid::Uuid::from_u128(7)) },
        ] {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Actor>(&json).unwrap(), a);
            assert!(json.contains(a.kind()));
        }
        assert_eq!(Actor::filter("job:data_sources"), Some(("job".into(), Some("data_sources".into()))));
        assert_eq!(Actor::filter("robot"), None);
    }
}
