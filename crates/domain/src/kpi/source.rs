//! Data-source specs: where a KPI's live data comes from, checked before it is stored.
//! The secrets (connection strings, header values) are kept here as plain strings; the
//! storage and the fetchers keep them out of answers and logs.

use crate::DomainError;
use crate::error::within;
use crate::text::bounded;

/// What a source pulls from.
#[derive(Clone, PartialEq)]
pub enum DataSourceSpec {
    Sql {
        url: String,
        query: String,
    },
    Http {
        url: String,
        header: Option<(String, String)>,
        value_path: String,
        timestamp_field: Option<String>,
        value_field: Option<String>,
        segment_field: Option<String>,
    },
}

impl std::fmt::Debug for DataSourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the URL (it may hold a password) or the header's value.
        match self {
            DataSourceSpec::Sql { query, .. } => f.debug_struct("Sql").field("query", query).finish_non_exhaustive(),
            DataSourceSpec::Http { value_path, .. } => {
                f.debug_struct("Http").field("value_path", value_path).finish_non_exhaustive()
            }
        }
    }
}

crate::word_enum!(SourceKind { Sql = "sql", Http = "http" });

/// A source as a person describes it, before the checks.
#[derive(Debug, Clone, Default)]
pub struct SourceDraft {
    pub url: String,
    pub query: Option<String>,
    pub value_path: Option<String>,
    pub header_name: Option<String>,
    pub header_value: Option<String>,
    pub timestamp_field: Option<String>,
    pub value_field: Option<String>,
    pub segment_field: Option<String>,
}

/// SQL sources name their database by one of these schemes.
pub const SQL_SCHEMES: &[&str] = &["postgres://", "postgresql://", "mysql://", "mariadb://", "sqlite:"];

/// How often a source may be pulled, in seconds: a minute to a week.
pub const INTERVAL_SECONDS: (i64, i64) = (60, 7 * 24 * 3600);
/// How long a pull may take, in seconds.
pub const TIMEOUT_SECONDS: (i64, i64) = (1, 300);

/// Whether a SQL text is one statement: no `;` is followed by more than blanks and comments,
/// counting only what is outside string literals, quoted identifiers, comments and
/// PostgreSQL's dollar quotes. A source runs one query; a second statement after it (an
/// `ATTACH`, a write) is refused when the source is written, not left to each driver.
pub fn is_one_statement(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut ended = false;
    while i < b.len() {
        if !sql.is_char_boundary(i) {
            // Inside a multi-byte character, which is never a quote or a `;`.
            i += 1;
            continue;
        }
        let rest = &sql[i..];
        let skip = if rest.starts_with("--") {
            rest.find('\n').unwrap_or(rest.len())
        } else if let Some(comment) = rest.strip_prefix("/*") {
            comment.find("*/").map_or(rest.len(), |e| e + 4)
        } else if b[i] == b'\'' || b[i] == b'"' || b[i] == b'`' {
            // A doubled quote inside is the quote itself: scanning on finds the real end.
            rest[1..].find(b[i] as char).map_or(rest.len(), |e| e + 2)
        } else if let Some(tag) = dollar_tag(rest) {
            rest[tag.len()..].find(tag).map_or(rest.len(), |e| e + 2 * tag.len())
        } else {
            0
        };
        if skip > 0 {
            if ended && !(rest.starts_with("--") || rest.starts_with("/*")) {
                return false;
            }
            i += skip;
            continue;
        }
        match b[i] {
            b';' => ended = true,
            c if c.is_ascii_whitespace() => {}
            _ if ended => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// A PostgreSQL dollar-quote opener at the start of `text`: `$$` or `$tag$`.
fn dollar_tag(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('$')?;
    let end = rest.find('$')?;
    let tag = &rest[..end];
    (tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !tag.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| &text[..end + 2])
}

fn required(field: &'static str, v: Option<&str>, max: usize) -> Result<String, DomainError> {
    let v = bounded(field, v.unwrap_or_default(), max)?;
    if v.is_empty() { Err(DomainError::Missing { field }) } else { Ok(v) }
}

fn optional(field: &'static str, v: Option<&str>) -> Result<Option<String>, DomainError> {
    let v = bounded(field, v.unwrap_or_default(), 200)?;
    Ok((!v.is_empty()).then_some(v))
}

impl DataSourceSpec {
    /// Checks a draft of `kind`: the URL's scheme fits the kind, a SQL source has its query,
    /// an HTTP source its value path, and a header comes as a name with a value.
    pub fn parse(kind: SourceKind, d: &SourceDraft) -> Result<DataSourceSpec, DomainError> {
        let url = required("url", Some(&d.url), 2000)?;
        match kind {
            SourceKind::Sql => {
                if !SQL_SCHEMES.iter().any(|p| url.starts_with(p)) {
                    return Err(DomainError::InvalidUrl {
                        field: "url",
                        message: "a SQL source's url starts with postgres://, mysql://, mariadb:// or sqlite:",
                    });
                }
                let query = required("query", d.query.as_deref(), 10_000)?;
                if !is_one_statement(&query) {
                    return Err(DomainError::QueryStatements);
                }
                Ok(DataSourceSpec::Sql { url, query })
            }
            SourceKind::Http => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(DomainError::InvalidUrl {
                        field: "url",
                        message: "an HTTP source's url starts with http:// or https://",
                    });
                }
                let value = d.header_value.as_deref().map(|v| bounded("header_value", v, 4000)).transpose()?;
                let header = match (optional("header_name", d.header_name.as_deref())?, value) {
                    (Some(n), Some(v)) if !v.is_empty() => Some((n, v)),
                    (None, None) => None,
                    _ => return Err(DomainError::HeaderIncomplete),
                };
                Ok(DataSourceSpec::Http {
                    url,
                    header,
                    value_path: required("value_path", d.value_path.as_deref(), 500)?,
                    timestamp_field: optional("timestamp_field", d.timestamp_field.as_deref())?,
                    value_field: optional("value_field", d.value_field.as_deref())?,
                    segment_field: optional("segment_field", d.segment_field.as_deref())?,
                })
            }
        }
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            DataSourceSpec::Sql { .. } => SourceKind::Sql,
            DataSourceSpec::Http { .. } => SourceKind::Http,
        }
    }
}

/// The schedule of a source: pull interval and timeout, both in seconds.
pub fn check_schedule(interval_seconds: i64, timeout_seconds: i64) -> Result<(i64, i64), DomainError> {
    Ok((
        within("interval_seconds", interval_seconds, INTERVAL_SECONDS.0, INTERVAL_SECONDS.1)?,
        within("timeout_seconds", timeout_seconds, TIMEOUT_SECONDS.0, TIMEOUT_SECONDS.1)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(url: &str) -> SourceDraft {
        SourceDraft { url: url.into(), ..Default::default() }
    }

    #[test]
    fn the_scheme_must_fit_the_kind() {
        let sql = SourceDraft { query: Some("SELECT 1".into()), ..draft("https://x.test") };
        assert!(matches!(DataSourceSpec::parse(SourceKind::Sql, &sql), Err(DomainError::InvalidUrl { .. })));
        let ok = SourceDraft { query: Some("SELECT 1".into()), ..draft("postgres://u:p@h/db") };
        assert_eq!(DataSourceSpec::parse(SourceKind::Sql, &ok).unwrap().kind(), SourceKind::Sql);
        let no_query = draft("sqlite:x.db");
        assert_eq!(DataSourceSpec::parse(SourceKind::Sql, &no_query), Err(DomainError::Missing { field: "query" }));
        let http = SourceDraft { value_path: Some("$.v".into()), ..draft("ftp://x") };
        assert!(DataSourceSpec::parse(SourceKind::Http, &http).is_err());
    }

    #[test]
    fn headers_come_in_pairs_and_secrets_never_print() {
        let half = SourceDraft {
            value_path: Some("$.v".into()),
            header_name: Some("Authorization".into()),
            ..draft("https://api.test/x")
        };
        assert_eq!(DataSourceSpec::parse(SourceKind::Http, &half), Err(DomainError::HeaderIncomplete));
        let full = SourceDraft { header_value: Some("Bearer s3cret".into()), ..half };
        let spec = DataSourceSpec::parse(SourceKind::Http, &full).unwrap();
        assert!(!format!("{spec:?}").contains("s3cret"));
        let sql = DataSourceSpec::Sql { url: "postgres://u:hunter2@h/db".into(), query: "SELECT 1".into() };
        assert!(!format!("{sql:?}").contains("hunter2"));
    }

    #[test]
    fn schedules_are_bounded() {
        assert!(check_schedule(59, 30).is_err());
        assert!(check_schedule(3600, 301).is_err());
        assert_eq!(check_schedule(3600, 30), Ok((3600, 30)));
    }

    #[test]
    fn a_query_is_one_statement() {
        for one in [
            "SELECT 1",
            "SELECT 1;",
            "SELECT 1;  \n -- done\n /* really */ ",
            "SELECT ';' AS a, 'it''s; fine', \"odd;name\" FROM t",
            "SELECT $$a;b$$, $q$ ; $q$ FROM t -- ; DROP TABLE t",
            "SELECT `x;y` FROM t",
            "SELECT price$1 FROM t",
            "SELECT 'é;ü', \"spåk\" FROM t; -- ø",
        ] {
            assert!(is_one_statement(one), "{one}");
        }
        for two in [
            "SELECT 1; SELECT 2",
            "SELECT 1;ATTACH DATABASE 'q.db' AS q",
            "SELECT 'a;b'; DELETE FROM t",
            "SELECT 1; -- c\n DROP TABLE t",
            "SELECT 1; 'x'",
            "SELECT 1;; SELECT 2",
            "SELECT 1; é",
        ] {
            assert!(!is_one_statement(two), "{two}");
        }
        let draft = SourceDraft { query: Some("SELECT 1; DELETE FROM t".into()), ..draft("sqlite:x.db") };
        assert_eq!(DataSourceSpec::parse(SourceKind::Sql, &draft), Err(DomainError::QueryStatements));
    }

    proptest::proptest! {
        /// Semicolons inside literals, identifiers and comments never end a statement; one
        /// outside, followed by anything, does.
        #[test]
        fn semicolons_count_only_outside_quotes(inner in "[a-z;' ]{0,20}", tail in "[a-z]{1,10}") {
            let quoted = inner.replace('\'', "''");
            let one = format!("SELECT '{quoted}', \"{}\" /* {inner} */ FROM t -- {inner}", inner.replace('"', ""));
            proptest::prop_assert!(is_one_statement(&one), "{}", one);
            let two = format!("SELECT '{quoted}'; {tail}");
            proptest::prop_assert!(!is_one_statement(&two), "{}", two);
        }
    }
}
