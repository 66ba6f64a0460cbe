//! Terminal output: aligned text for people, `--json` for scripts (the API's shapes).

use quarterdeck_domain::scoring::Colour;
use serde::Serialize;
use std::str::FromStr;

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}

/// Writes to standard output; a reader that stopped reading (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A ten-cell bar and the score: "██████░░░░ 0.60".
pub fn score_bar(score: f64) -> String {
    let filled = (score.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("{}{} {score:.2}", "█".repeat(filled), "░".repeat(10 - filled))
}

pub fn colour(c: Colour) -> &'static str {
    match c {
        Colour::Green => "green",
        Colour::Amber => "amber",
        Colour::Red => "red",
    }
}

/// Numbers as people read them: 4.1 stays 4.1, 50 stays 50, 23.94190871 becomes 23.9419.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Parses one of the API's words (`on_track`, `quarter` …) for clap.
pub fn word<T: FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}
