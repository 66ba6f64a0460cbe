//! The method Quarterdeck implements (see `shared/METHOD.md`), as pure functions over values.
//!
//! Nothing in this crate reads a clock, a file or a database: "today" and every policy
//! number arrive as arguments, so each rule can be tested on its own.

pub mod access;
pub mod actor;
pub mod alignment;
pub mod calibration;
pub mod coach;
pub mod cycle;
pub mod error;
pub mod event;
pub mod forecast;
pub mod ids;
pub mod kpi;
pub mod okr;
pub mod pace;
pub mod scoring;
pub mod text;
pub mod zone;

pub use error::DomainError;

/// An enum stored and sent as a snake_case word, with `as_str` and `FromStr` so the
/// storage and the CLI speak the same words as the JSON API.
#[macro_export]
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $word)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!(
                        "'{}' is not one of: {}",
                        s,
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
    };
}

word_enum!(
    /// A level of the organisation tree.
    UnitKind { Company = "company", Department = "department", Team = "team" }
);
