//! The one masking of secrets, for every place Quarterdeck shows or logs a URL, a connection
//! string or a message that may quote one: API answers, logs, command-line errors. A password
//! in the user part of a URL and the value of any secret-looking parameter become `***`.
//! Masking too much beats showing a secret: where a URL is ambiguous (a password holding `@`,
//! `?`, `#` or `/`), the widest reading is masked.

#![forbid(unsafe_code)]

/// For displaying a stored connection string without its password: postgres://u:***@h/db.
/// Query parameters that look secret (`password=`, `token=`, `api_key=`…) are masked too.
pub fn mask_url(url: &str) -> String {
    let mut masked = match userinfo_password_span(url) {
        Some((start, end)) => format!("{}***{}", &url[..start], &url[end..]),
        None => url.to_owned(),
    };
    for (start, end) in secret_parameter_spans(&masked).into_iter().rev() {
        masked.replace_range(start..end, "***");
    }
    masked
}

/// Removes every secret that `url` carries from `message`, for errors that quote what a
/// driver or server said.
pub fn scrub(message: &str, url: &str) -> String {
    let mut spans: Vec<(usize, usize)> = secret_parameter_spans(url);
    spans.extend(userinfo_password_span(url));
    let mut secrets: Vec<String> = Vec::new();
    for (start, end) in spans {
        let raw = &url[start..end];
        if raw.is_empty() {
            continue;
        }
        secrets.push(raw.to_owned());
        let decoded = percent_decode(raw);
        if decoded != raw {
            secrets.push(decoded);
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets.iter().fold(message.to_owned(), |text, secret| text.replace(secret, "***"))
}

/// The byte range of the password in `scheme://user:password@host`.
fn userinfo_password_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let rest = &url[authority_start..];
    // People paste passwords with an unescaped `@`, `?`, `#` or `/`, which end the parts of a
    // URL early. The user part is letters up to the first `:`; the password runs to the last
    // `@` that is followed by something shaped like a host. A `@` in a path or a query
    // (`/users/@me`, `?email=a@b`) has no `user:` before it.
    let colon = rest.find(':')?;
    if rest[..colon].contains(['/', '?', '#', '@']) {
        return None;
    }
    let at = rest.match_indices('@').map(|(i, _)| i).rfind(|&i| i > colon && is_host_start(&rest[i + 1..]))?;
    Some((authority_start + colon + 1, authority_start + at))
}

/// Whether text starts with a host (and optional port) followed by the end, a path, a query
/// or a fragment.
fn is_host_start(text: &str) -> bool {
    let end = text.find(['/', '?', '#']).unwrap_or(text.len());
    let host = &text[..end];
    !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:[]%".contains(c))
}

/// Parameter names holding one of these are secrets (`password`, `access_token`, `api_key`,
/// `auth`, `X-Amz-Signature`, `sig`, `X-Amz-Credential`, `session` …).
const SECRET_WORDS: [&str; 9] = ["pass", "pwd", "token", "secret", "key", "auth", "sig", "credential", "session"];

/// The byte ranges of the values of secret-looking `name=value` parameters, in a URL's query
/// string or in a `key=value key=value` connection string.
fn secret_parameter_spans(url: &str) -> Vec<(usize, usize)> {
    let (offset, parameters, separator) = match url.find('?') {
        Some(question) => (question + 1, &url[question + 1..], '&'),
        None if !url.contains("://") => (0, url, ' '),
        None => return Vec::new(),
    };
    let parameters = &parameters[..parameters.find('#').unwrap_or(parameters.len())];
    let mut spans = Vec::new();
    let mut position = offset;
    for part in parameters.split(separator) {
        if let Some(equals) = part.find('=') {
            let name = part[..equals].to_ascii_lowercase();
            let secret = SECRET_WORDS.iter().any(|word| name.contains(word));
            if secret && equals + 1 < part.len() {
                spans.push((position + equals + 1, position + part.len()));
            }
        }
        position += part.len() + separator.len_utf8();
    }
    spans
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_url_hides_only_the_password() {
        let cases = [
            ("postgres://u:secret@h/db", "postgres://u:***@h/db"),
            (
                "mysql://root:p%40ss@127.0.0.1:3306/test?ssl-mode=disabled",
                "mysql://root:***@127.0.0.1:3306/test?ssl-mode=disabled",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("sqlite:/tmp/kpi.db", "sqlite:/tmp/kpi.db"),
            ("sqlite:///tmp/kpi.db", "sqlite:///tmp/kpi.db"),
            ("postgres://u:a@b@h/db", "postgres://u:***@h/db"),
            ("postgres://u:pa/ss#1@h/db", "postgres://u:***@h/db"),
            ("https://h/users/@me", "https://h/users/@me"),
            (
                "postgres://h/db?user=u&password=secret&sslmode=require",
                "postgres://h/db?user=u&password=***&sslmode=require",
            ),
            ("https://api.example.com/kpi?api_key=abc123&x=1", "https://api.example.com/kpi?api_key=***&x=1"),
            ("host=h user=u password=secret dbname=d", "host=h user=u password=*** dbname=d"),
            ("", ""),
        ];
        for (url, expected) in cases {
            assert_eq!(mask_url(url), expected, "{url}");
        }
    }

    #[test]
    fn scrub_removes_raw_and_decoded_passwords() {
        let url = "postgres://u:p%40ss@h/db";
        assert_eq!(scrub("auth failed for p@ss and p%40ss", url), "auth failed for *** and ***");
        assert_eq!(scrub("nothing secret", "postgres://h/db"), "nothing secret");
    }

    #[test]
    fn passwords_with_url_characters_and_secret_parameters_are_masked() {
        let cases = [
            ("postgres://u:pa?ss@h/db", "pa?ss"),
            ("postgres://u:pa@ss@h/db", "pa@ss"),
            ("postgres://u:pa#ss@h/db", "pa#ss"),
            ("postgres://u:p?a#s@s@h:5432/db?sslmode=require", "p?a#s@s"),
            ("https://h/kpi?access_token=t0k3n", "t0k3n"),
            ("https://h/kpi?auth=t0k3n&x=1", "t0k3n"),
            ("https://h/kpi?sig=s1gnature", "s1gnature"),
            ("https://h/kpi?X-Amz-Signature=s1gnature&X-Amz-Credential=cr3d", "s1gnature"),
            ("https://h/kpi?X-Amz-Credential=cr3d", "cr3d"),
            ("https://h/kpi?session=s3ss", "s3ss"),
            ("postgres://h/db?user=u&password=p%3Fw", "p%3Fw"),
        ];
        for (url, secret) in cases {
            let masked = mask_url(url);
            assert!(!masked.contains(secret), "{url} → {masked}");
            assert!(masked.contains("***"), "{url} → {masked}");
        }
        // What is not secret stays readable.
        assert_eq!(mask_url("https://h/users/@me?page=2"), "https://h/users/@me?page=2");
        assert_eq!(mask_url("https://h/x?email=a@b.example"), "https://h/x?email=a@b.example");
    }
}
