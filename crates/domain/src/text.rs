//! Bounded, trimmed text. Parse, don't validate: a `Title` in hand is known to be fit to store.

use crate::DomainError;
use serde::Serialize;

macro_rules! bounded_text {
    ($($(#[$doc:meta])* $name:ident: max $max:expr, $(allow_empty $empty:tt)?;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw`; refuses it when blank (unless the type allows it) or too long.
            pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
                let trimmed = plain(field, raw)?.trim();
                let allow_empty = false $(|| $empty)?;
                if trimmed.is_empty() && !allow_empty {
                    return Err(DomainError::Empty { field });
                }
                if trimmed.chars().count() > $max {
                    return Err(DomainError::TooLong { field, max: $max });
                }
                Ok(Self(trimmed.to_owned()))
            }

            pub fn as_str(&self) -> &str { &self.0 }
            pub fn into_string(self) -> String { self.0 }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str { &self.0 }
        }
    )*};
}

bounded_text! {
    /// Title of an objective, key result, initiative or cycle.
    Title: max 200,;
    /// A person's or unit's name.
    Name: max 120,;
    /// Free text: descriptions, reasons. May be empty.
    LongText: max 5000, allow_empty true;
    /// The one-line next move of a check-in. May be empty.
    Note: max 500, allow_empty true;
    /// The unit of measure of a key result ("%", "days", "NPS").
    UnitOfMeasure: max 40, allow_empty true;
    /// A reason that must be written (killing a key result, retiring an objective).
    Reason: max 2000,;
}

/// Text without control characters other than tab and line breaks. A NUL byte in
/// particular is refused here, at the edge: no database stores it the same way.
pub fn plain<'a>(field: &'static str, raw: &'a str) -> Result<&'a str, DomainError> {
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(DomainError::ControlCharacter { field });
    }
    Ok(raw)
}

/// Optional free text with a length limit (a query, a role), trimmed.
pub fn bounded(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    let s = plain(field, raw)?.trim();
    if s.chars().count() > max {
        return Err(DomainError::TooLong { field, max });
    }
    Ok(s.to_owned())
}

/// A lower-case, URL-safe natural key ("platform-team") that files and URLs can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::Empty { field });
        }
        if s.len() > Self::MAX_CHARS {
            return Err(DomainError::TooLong { field, max: Self::MAX_CHARS });
        }
        let ok = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok { Ok(Self(s.to_owned())) } else { Err(DomainError::InvalidSlug { field }) }
    }

    /// A slug made from a display name: "Customer Success (EMEA)" → "customer-success-emea".
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let out = out.trim_end_matches('-');
        let out: String = out.chars().take(Self::MAX_CHARS).collect();
        Self::parse("slug", out.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A natural key made from a title and free among `taken`: the title's slug (at most 48
/// characters, so a suffix fits), or `fallback` when the title has no letters, then `-2`,
/// `-3`, … until it is free.
pub fn free_key(title: &str, fallback: &str, taken: &std::collections::HashSet<String>) -> Slug {
    let base = key_base(title, fallback);
    if !taken.contains(&base) {
        return Slug(base);
    }
    (2..).map(|n| format!("{base}-{n}")).find(|k| !taken.contains(k)).map(Slug).expect("some suffix is free")
}

fn key_base(title: &str, fallback: &str) -> String {
    let base = Slug::from_name(&title.chars().take(48).collect::<String>())
        .map(|s| s.0)
        .unwrap_or_else(|| fallback.to_owned());
    base.trim_end_matches('-').to_owned()
}

/// Keys handed out one after another within one scope (a cycle's objectives, say): each the
/// key [`free_key`] would give among every key before it, without trying `-2`, `-3`, … again
/// for the thousandth "Raise NPS from 32 to 50" of a generated or imported organisation.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    taken: std::collections::HashSet<String>,
    /// Per base, the first suffix not yet tried: every smaller one is taken (keys are never
    /// given back), so the search resumes there.
    next: std::collections::HashMap<String, u64>,
}

impl KeyRing {
    /// Marks a key as used (one given by the caller, or one already stored).
    pub fn take(&mut self, key: &str) {
        self.taken.insert(key.to_owned());
    }

    /// A key free in the ring, made from `title` as [`free_key`] makes it, and marked used.
    pub fn allocate(&mut self, title: &str, fallback: &str) -> Slug {
        let base = key_base(title, fallback);
        if self.taken.insert(base.clone()) {
            return Slug(base);
        }
        let mut n = self.next.get(&base).copied().unwrap_or(2);
        let key = loop {
            let candidate = format!("{base}-{n}");
            n += 1;
            if self.taken.insert(candidate.clone()) {
                break candidate;
            }
        };
        self.next.insert(base, n);
        Slug(key)
    }
}

/// An e-mail address, checked for shape only (one '@', a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let s = plain(field, raw)?.trim();
        if s.is_empty() {
            return Err(DomainError::Empty { field });
        }
        if s.len() > Self::MAX_CHARS {
            return Err(DomainError::TooLong { field, max: Self::MAX_CHARS });
        }
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !s.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid { Ok(Self(s.to_lowercase())) } else { Err(DomainError::InvalidEmail { field }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("title", "  Delight  ").unwrap().as_str(), "Delight");
        assert_eq!(Title::parse("title", "   "), Err(DomainError::Empty { field: "title" }));
        let long = "x".repeat(201);
        assert_eq!(Title::parse("title", &long), Err(DomainError::TooLong { field: "title", max: 200 }));
        assert!(LongText::parse("description", "").is_ok());
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(Slug::from_name("Customer Success (EMEA)").unwrap().as_str(), "customer-success-emea");
        assert!(Slug::parse("slug", "Bad Slug").is_err());
        assert!(Slug::parse("slug", "-x").is_err());
    }

    #[test]
    fn control_characters_are_refused_everywhere() {
        assert_eq!(Title::parse("title", "a\u{0}b"), Err(DomainError::ControlCharacter { field: "title" }));
        assert_eq!(Email::parse("email", "a\u{0}@x.com"), Err(DomainError::ControlCharacter { field: "email" }));
        assert!(LongText::parse("description", "line one\nline two\ttab").is_ok());
        assert!(bounded("query", "x\u{1b}", 10).is_err());
        assert_eq!(bounded("role", "  Recruiter ", 20).unwrap(), "Recruiter");
    }

    #[test]
    fn keys_are_free_within_their_cycle() {
        let mut taken = std::collections::HashSet::new();
        let first = free_key("Make onboarding a delight", "objective", &taken);
        assert_eq!(first.as_str(), "make-onboarding-a-delight");
        taken.insert(first.as_str().to_owned());
        assert_eq!(free_key("Make onboarding a delight!", "objective", &taken).as_str(), "make-onboarding-a-delight-2");
        assert_eq!(free_key("€€€", "objective", &taken).as_str(), "objective");
        assert!(free_key(&"long words ".repeat(20), "objective", &taken).as_str().len() <= 48);
    }

    proptest::proptest! {
        /// The ring gives, key after key, what `free_key` gives among all the keys before,
        /// whatever keys were taken beforehand.
        #[test]
        fn a_ring_gives_the_keys_free_key_gives(
            titles in proptest::collection::vec(proptest::sample::select(vec!["Ship it", "ship-it", "Ship it 2", "€", "objective", "a"]), 0..40),
            taken in proptest::collection::vec(proptest::sample::select(vec!["ship-it", "ship-it-2", "ship-it-3", "ship-it-2-2", "objective", "objective-3", "a-2"]), 0..5),
        ) {
            let mut ring = KeyRing::default();
            let mut set = std::collections::HashSet::new();
            for t in &taken {
                ring.take(t);
                set.insert(t.to_string());
            }
            for title in titles {
                let expected = free_key(title, "objective", &set);
                let got = ring.allocate(title, "objective");
                proptest::prop_assert_eq!(&got, &expected);
                set.insert(got.as_str().to_owned());
            }
        }
    }

    #[test]
    fn emails_need_a_shape() {
        assert!(Email::parse("email", "ana@example.com").is_ok());
        assert_eq!(Email::parse("email", "Ana@Example.com").unwrap().as_str(), "ana@example.com");
        for bad in ["ana", "ana@", "@x.com", "a b@x.com", "a@x", "a@.com"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }
}
