//! What the words of an objective or key result give away: a number in an objective, a task
//! dressed as a key result, "maintain", "maximize", a placeholder. Plain word lists, English,
//! matched on whole words after the usual "KR1:" / "- " prefixes are stripped.

/// Verbs that describe effort or output: "Conduct 20 interviews", "Ship the portal".
const TASK_VERBS: &[&str] = &[
    "launch",
    "ship",
    "conduct",
    "hold",
    "publish",
    "build",
    "complete",
    "implement",
    "create",
    "develop",
    "deliver",
    "write",
    "organise",
    "organize",
    "host",
    "release",
    "deploy",
    "design",
    "finish",
    "introduce",
    "prepare",
    "start",
    "execute",
    "perform",
    "hire",
    "send",
    "attend",
    "install",
    "migrate",
    "run",
    "roll",
    "set",
    "do",
];

/// The subset that makes an objective a task rather than a direction ("Launch the mobile
/// app"). "Build" and "create" stay out: "Build a delightful onboarding" is a direction.
const OBJECTIVE_TASK_VERBS: &[&str] = &[
    "launch",
    "ship",
    "release",
    "deploy",
    "publish",
    "conduct",
    "hold",
    "complete",
    "implement",
    "finish",
    "migrate",
    "install",
    "hire",
    "roll",
    "send",
    "attend",
];

const MAINTAIN_VERBS: &[&str] = &["maintain", "keep", "sustain", "preserve", "remain", "stay"];

const NO_TARGET_VERBS: &[&str] = &["maximize", "maximise", "minimize", "minimise", "optimize", "optimise"];

/// "As many reviews as possible", "as soon as possible": any "as … as possible".
const NO_TARGET_PHRASE: &str = "as possible";

const PLACEHOLDERS: &[&str] = &["tbd", "tbc", "todo", "xx", "xxx", "lorem", "placeholder", "n/a", "???", "…", "..."];

const PAY_WORDS: &[&str] =
    &["bonus", "bonuses", "payout", "payouts", "compensation", "salary", "salaries", "commission", "commissions"];

const PAY_PHRASES: &[&str] = &["variable pay", "incentive pay", "performance pay"];

/// Words that name a quantity without digits: "zero defects", "double the trials".
const NUMBER_WORDS: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "half", "double", "triple", "all", "every",
    "no",
];

/// Words after a number that make it a time span, not a target: "the first 90 days".
const TIME_WORDS: &[&str] =
    &["day", "days", "week", "weeks", "month", "months", "quarter", "quarters", "year", "years", "hour", "hours"];

/// The title without list markers and "KR1:", "Anchor 2:", "Objective:" prefixes.
pub fn strip_label(title: &str) -> &str {
    let mut t = title.trim().trim_start_matches(['-', '•', '*', '–', '—', ' ']);
    if let Some((label, rest)) = t.split_once(':') {
        let label = label.trim().to_lowercase();
        let word = label.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '#');
        if matches!(word, "kr" | "key result" | "anchor" | "objective" | "o" | "goal") && label.len() <= 16 {
            t = rest.trim_start();
        }
    }
    t
}

/// Lower-case words: letters, digits and the signs that belong to numbers and placeholders.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '%' | '/' | '?' | '…' | '\'' | ',')))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ',' | '\'')).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn first_word(title: &str) -> Option<String> {
    words(strip_label(title)).into_iter().next()
}

/// A word that is a number: "90", "3.5", "24%", "10x", "$600m".
fn is_numeric(word: &str) -> bool {
    let w = word.trim_start_matches(['$', '€', '£', '₹', '+', '-', '~', '≤', '≥', '<', '>']);
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// A cycle label ("Q3", "H1", "FY26") or a year ("2026"): when, not how much.
fn is_period_label(word: &str) -> bool {
    let upper = word.to_uppercase();
    let label = |prefix: &str| {
        upper.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
    };
    let year = word.len() == 4 && word.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y));
    year || label("Q") || label("H") || label("FY")
}

/// The first number in an objective that reads as a target, skipping cycle labels, years
/// and time spans ("the first 90 days").
pub fn target_number(title: &str) -> Option<String> {
    let ws = words(strip_label(title));
    ws.iter().enumerate().find_map(|(i, w)| {
        let time_span = ws.get(i + 1).is_some_and(|next| TIME_WORDS.contains(&next.as_str()));
        (is_numeric(w) && !is_period_label(w) && !time_span).then(|| w.clone())
    })
}

/// Whether the words state a quantity at all (digits or a number word).
pub fn states_a_number(title: &str) -> bool {
    words(title).iter().any(|w| is_numeric(w) || NUMBER_WORDS.contains(&w.as_str()))
}

/// The verb that makes a key result read as a task, if it leads the title.
pub fn task_verb(title: &str) -> Option<String> {
    first_word(title).filter(|w| TASK_VERBS.contains(&w.as_str()))
}

/// The verb that makes an objective read as a task, if it leads the title.
pub fn objective_task_verb(title: &str) -> Option<String> {
    first_word(title).filter(|w| OBJECTIVE_TASK_VERBS.contains(&w.as_str()))
}

/// "Maintain …", "Keep …": the key result describes a level to hold, which is a KPI.
pub fn maintain_verb(title: &str) -> Option<String> {
    first_word(title).filter(|w| MAINTAIN_VERBS.contains(&w.as_str()))
}

/// "Maximize …", "as much as possible": a direction with no finish line.
pub fn no_target_phrase(title: &str) -> Option<String> {
    let lower = title.to_lowercase();
    if lower.contains(NO_TARGET_PHRASE) {
        return Some("as … as possible".to_owned());
    }
    words(title).into_iter().find(|w| NO_TARGET_VERBS.contains(&w.as_str()))
}

/// "TBD", "xx", "???": the text is not written yet.
pub fn placeholder(title: &str) -> Option<String> {
    let lower = title.to_lowercase();
    if lower.contains("???") || lower.contains("lorem ipsum") {
        return Some(if lower.contains("???") { "???" } else { "lorem ipsum" }.to_owned());
    }
    words(title).into_iter().find(|w| PLACEHOLDERS.contains(&w.as_str()))
}

/// A bonus, salary or commission named next to an OKR: OKR scores never reach pay.
pub fn pay_word(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if let Some(p) = PAY_PHRASES.iter().find(|p| lower.contains(*p)) {
        return Some((*p).to_owned());
    }
    words(text).into_iter().find(|w| PAY_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_stripped() {
        assert_eq!(strip_label("KR1: Win rate MM 18% → 23%"), "Win rate MM 18% → 23%");
        assert_eq!(strip_label("- Anchor 2: full product localization"), "full product localization");
        assert_eq!(strip_label("Objective (Q3): Increase activation"), "Objective (Q3): Increase activation");
        assert_eq!(strip_label("Ratio: 3 to 1"), "Ratio: 3 to 1");
    }

    #[test]
    fn numbers_in_objectives() {
        assert_eq!(target_number("Grow revenue by 20%"), Some("20%".into()));
        assert_eq!(target_number("Reach $600M in Q4"), Some("600m".into()));
        assert_eq!(target_number("Make the first 90 days a competitive advantage"), None);
        assert_eq!(target_number("(Q3) Increase activation for new workspaces in 2026"), None);
        assert_eq!(target_number("Make B2B our biggest pipeline source"), None);
        assert!(states_a_number("Zero manual journal entries for payroll"));
        assert!(!states_a_number("Improve customer satisfaction"));
    }

    #[test]
    fn verbs_lead_the_title() {
        assert_eq!(task_verb("Conduct 20 customer interviews"), Some("conduct".into()));
        assert_eq!(task_verb("KR3: Launch health-score alerts covering 100% of accounts"), Some("launch".into()));
        assert_eq!(task_verb("Reduce P1 incidents from 9 to ≤3 per quarter"), None);
        assert_eq!(task_verb("Raise trial→activation from 36% → 44% after we launch"), None);
        assert_eq!(objective_task_verb("Launch the mobile app"), Some("launch".into()));
        assert_eq!(objective_task_verb("Build a delightful onboarding"), None);
        assert_eq!(maintain_verb("Maintain uptime at 99.9%"), Some("maintain".into()));
        assert_eq!(maintain_verb("Keep churn below 2%"), Some("keep".into()));
        assert_eq!(no_target_phrase("Maximize signups"), Some("maximize".into()));
        assert_eq!(no_target_phrase("Get as many reviews as possible"), Some("as … as possible".into()));
        assert_eq!(no_target_phrase("Lift CSAT from 4.2 to 4.6"), None);
        assert_eq!(placeholder("Revenue from TBD to xx"), Some("tbd".into()));
        assert_eq!(placeholder("NPS ??? "), Some("???".into()));
        assert_eq!(placeholder("Cut MTTR from 4h to 1h"), None);
        assert_eq!(pay_word("Team bonus paid at 0.7"), Some("bonus".into()));
        assert_eq!(pay_word("Payroll accuracy from 97% to 99.5%"), None);
        assert_eq!(pay_word("Tie variable pay to this objective"), Some("variable pay".into()));
    }
}
