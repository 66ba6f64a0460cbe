//! The rules, run over one cycle's facts.

use super::policy::CoachPolicy;
use super::{Finding, RuleId, Subject, SubjectKind, wording};
use crate::UnitKind;
use crate::kpi::definition::Nature;
use crate::okr::{KeyResultStatus, ObjectiveStatus};
use crate::scoring::KeyResultKind;
use chrono::NaiveDate;
use std::collections::HashMap;

/// What the coach needs to know about a cycle. Built by the application layer from storage,
/// or from a draft in a form.
#[derive(Debug, Clone, Default)]
pub struct CycleFacts {
    /// Whether the cycle runs (check-ins are due, rewrites count as mid-cycle).
    pub running: bool,
    pub start: Option<NaiveDate>,
    pub units: Vec<UnitFacts>,
    pub objectives: Vec<ObjectiveFacts>,
    /// The KPIs the cycle's key results are measured from.
    pub kpis: Vec<KpiFacts>,
}

#[derive(Debug, Clone)]
pub struct UnitFacts {
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    /// People whose unit this is (not counting sub-units); `None` when unknown.
    pub people: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ObjectiveFacts {
    pub id: String,
    pub title: String,
    pub description: String,
    pub unit_id: Option<String>,
    pub status: ObjectiveStatus,
    pub key_results: Vec<KeyResultFacts>,
    /// Edits of the title or description since the cycle started running.
    pub rewrites: u32,
}

#[derive(Debug, Clone)]
pub struct KeyResultFacts {
    pub id: String,
    pub title: String,
    pub kind: KeyResultKind,
    /// `None` when a draft gives none; stored key results always have one.
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub unit_of_measure: String,
    pub has_owner: bool,
    pub kpi_linked: bool,
    pub status: KeyResultStatus,
    /// The day of the last check-in; without one, the later of the day it was created and the
    /// day the cycle started.
    pub last_touched: NaiveDate,
    pub checked_in: bool,
}

#[derive(Debug, Clone)]
pub struct KpiFacts {
    pub id: String,
    pub name: String,
    pub nature: Nature,
    pub has_counterweight: bool,
    pub is_a_counterweight: bool,
}

fn subject(kind: SubjectKind, id: &str, title: &str) -> Subject {
    Subject { kind, id: id.to_owned(), title: title.to_owned() }
}

/// Runs every rule that `policy_of` (the policy of a unit id, or of the organisation for
/// `None`) leaves on. Findings come in a stable order: by record, then by rule.
pub fn review<'p>(
    facts: &CycleFacts,
    today: NaiveDate,
    policy_of: impl Fn(Option<&str>) -> &'p CoachPolicy,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for o in &facts.objectives {
        out.extend(objective_findings(o, policy_of(o.unit_id.as_deref()), facts.running, today));
    }
    let counted = facts.objectives.iter().map(|o| (o.unit_id.as_deref(), o.status));
    out.extend(cycle_findings(&facts.units, counted, &facts.kpis, policy_of));
    out
}

/// The rules that read one objective and its key results only, under its unit's policy;
/// `running`: whether its cycle runs. A whole cycle's review is these for each objective,
/// then [`cycle_findings`], so that a review kept between writes recomputes only the
/// objectives a write changed.
pub fn objective_findings(o: &ObjectiveFacts, p: &CoachPolicy, running: bool, today: NaiveDate) -> Vec<Finding> {
    let mut out = Vec::new();
    objective_rules(o, p, running, today, &mut out);
    out
}

/// The rules over a cycle's units and KPIs: objectives per unit (from each objective's unit
/// and status), team size, and speed or volume KPIs without a counterweight.
pub fn cycle_findings<'a, 'p>(
    units: &[UnitFacts],
    objectives: impl Iterator<Item = (Option<&'a str>, ObjectiveStatus)>,
    kpis: &[KpiFacts],
    policy_of: impl Fn(Option<&str>) -> &'p CoachPolicy,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let by_id: HashMap<&str, &UnitFacts> = units.iter().map(|u| (u.id.as_str(), u)).collect();
    let mut per_unit: HashMap<Option<&str>, u32> = HashMap::new();
    for (unit, status) in objectives {
        if counts(status) {
            *per_unit.entry(unit).or_default() += 1;
        }
    }
    let mut unit_ids: Vec<_> = per_unit.keys().copied().collect();
    unit_ids.sort();
    for unit_id in unit_ids {
        let Some(unit) = unit_id.and_then(|u| by_id.get(u)) else { continue };
        let p = policy_of(unit_id);
        let n = per_unit[&unit_id];
        let max = if unit.kind == UnitKind::Company { p.max_company_objectives } else { p.max_objectives_per_team };
        if p.is_on(RuleId::TooManyObjectives) && n > max {
            out.push(Finding::new(
                RuleId::TooManyObjectives,
                subject(SubjectKind::Unit, &unit.id, &unit.name),
                format!("{} runs {n} objectives this cycle; the {} policy allows {max}", unit.name, p.preset),
                "Pick the one or two that matter most and move the rest to the backlog or to KPIs: teams with \
                 one objective hit 78 % of plan, with three or more 38 %.",
            ));
        }
        if p.is_on(RuleId::SmallTeam)
            && unit.kind == UnitKind::Team
            && let Some(people) = unit.people
            && people < p.min_team_size
        {
            out.push(Finding::new(
                RuleId::SmallTeam,
                subject(SubjectKind::Unit, &unit.id, &unit.name),
                format!(
                    "{} has {people} people and runs formal OKRs; they pay back from {} people",
                    unit.name, p.min_team_size
                ),
                "Consider sharing the objectives of the unit above, or a lighter weekly focus list.",
            ));
        }
    }
    for k in kpis {
        let p = policy_of(None);
        if p.is_on(RuleId::KpiNoCounterweight)
            && crate::kpi::definition::missing_counterweight(k.nature, k.has_counterweight, k.is_a_counterweight)
        {
            out.push(Finding::new(
                RuleId::KpiNoCounterweight,
                subject(SubjectKind::Kpi, &k.id, &k.name),
                format!("{} is a {} KPI with no quality counterweight", k.name, k.nature),
                "Pair it with the quality KPI that would suffer if it were gamed (resolution time ↔ reopen rate, \
                 hiring speed ↔ 90-day retention, sales volume ↔ discount depth).",
            ));
        }
    }
    out
}

/// Drafts and running objectives count against the team's limit; closed and retired do not.
fn counts(status: ObjectiveStatus) -> bool {
    matches!(status, ObjectiveStatus::Draft | ObjectiveStatus::Active | ObjectiveStatus::Paused)
}

fn objective_rules(o: &ObjectiveFacts, p: &CoachPolicy, running: bool, today: NaiveDate, out: &mut Vec<Finding>) {
    if !counts(o.status) {
        return;
    }
    let me = || subject(SubjectKind::Objective, &o.id, &o.title);
    let mut push = |rule: RuleId, message: String, fix: &str| {
        if p.is_on(rule) {
            out.push(Finding::new(rule, me(), message, fix));
        }
    };
    if let Some(n) = wording::target_number(&o.title) {
        push(
            RuleId::ObjectiveNumber,
            format!("the objective states a number ({n})"),
            "Keep the objective qualitative and directional; put the number in a key result \"from X to Y\".",
        );
    }
    if let Some(verb) = wording::objective_task_verb(&o.title) {
        push(
            RuleId::ObjectiveTask,
            format!("\"{verb} …\" describes a task, not a direction"),
            "Say what should change for customers or the business (\"Make mobile our customers' preferred \
             channel\") and hang the task under a key result as an initiative.",
        );
    }
    if let Some(w) = wording::pay_word(&o.title).or_else(|| wording::pay_word(&o.description)) {
        push(
            RuleId::OkrInPay,
            format!("the objective mentions pay (\"{w}\"); OKR scores never enter pay"),
            "Tie bonuses to KPI attainment; let OKR contribution count only as qualitative evidence in appraisals.",
        );
    }
    let active: Vec<&KeyResultFacts> = o.key_results.iter().filter(|k| k.status == KeyResultStatus::Active).collect();
    let n = active.len() as u32;
    if n == 0 {
        push(
            RuleId::NoKeyResults,
            "the objective has no key result, so it cannot be scored".into(),
            "Add 2–5 measurable key results \"from X to Y\".",
        );
    } else if n < p.min_key_results {
        push(
            RuleId::TooFewKeyResults,
            format!("{n} key result(s); the {} policy asks for at least {}", p.preset, p.min_key_results),
            "Add the outcome that would prove the objective from another side, or a counterweight.",
        );
    } else if n > p.max_key_results {
        push(
            RuleId::TooManyKeyResults,
            format!("{n} key results; the {} policy allows {}", p.preset, p.max_key_results),
            "Keep the few that prove the objective; move the rest to KPIs or initiatives.",
        );
    }
    if running && o.rewrites > p.max_rewrites {
        push(
            RuleId::Rewritten,
            format!("rewritten {} times since the cycle started (the policy allows {})", o.rewrites, p.max_rewrites),
            "Settle the objective: if the direction changed, retire it with a reason and write a new one.",
        );
    }
    for k in active {
        key_result_rules(k, o, p, running, today, out);
    }
}

fn key_result_rules(
    k: &KeyResultFacts,
    o: &ObjectiveFacts,
    p: &CoachPolicy,
    running: bool,
    today: NaiveDate,
    out: &mut Vec<Finding>,
) {
    let me = || subject(SubjectKind::KeyResult, &k.id, &k.title);
    let mut push = |rule: RuleId, message: String, fix: String| {
        if p.is_on(rule) {
            out.push(Finding::new(rule, me(), message, fix));
        }
    };
    let milestone = k.kind == KeyResultKind::Milestone;
    if k.baseline.is_none() && !milestone {
        push(
            RuleId::KrNoBaseline,
            "the key result has no baseline".into(),
            "Write it \"from X to Y\": measure where it stands today before promising to move it.".into(),
        );
    }
    if let Some(w) = wording::placeholder(&k.title) {
        push(
            RuleId::KrPlaceholder,
            format!("the key result holds a placeholder (\"{w}\")"),
            "Write the real metric, baseline and target before the cycle starts.".into(),
        );
    } else if !milestone && !k.kpi_linked && !wording::states_a_number(&k.title) {
        push(
            RuleId::KrUnmeasurable,
            format!("\"{}\" states nothing a number could verify", wording::strip_label(&k.title)),
            format!(
                "Name the metric and the move in the words people read: \"{}\"",
                from_to_example(k).unwrap_or_else(|| "CSAT from 4.1 to 4.5 on ≥300 responses".into())
            ),
        );
    }
    if let Some(verb) = wording::task_verb(&k.title) {
        push(
            RuleId::KrTask,
            format!("\"{verb} …\" describes effort or output, not an outcome"),
            "Measure the difference it should make (\"Increase portal adoption to 60 % of customers\", not \
             \"Ship the new portal\"); keep the work as an initiative under the key result."
                .into(),
        );
    }
    if let Some(verb) = wording::maintain_verb(&k.title) {
        push(
            RuleId::KrMaintain,
            format!("\"{verb} …\" holds a level: a KPI in disguise"),
            "Track the level as a KPI with a healthy range (and a guardrail if it must not break); keep key \
             results for what should change."
                .into(),
        );
    }
    if let Some(phrase) = wording::no_target_phrase(&k.title) {
        push(
            RuleId::KrNoTarget,
            format!("\"{phrase}\" has no finish line"),
            "Set a target from the KPI's history (mean + 1–2 sd for a stretch) and write \"from X to Y\".".into(),
        );
    } else if k.target.is_none() && !milestone {
        push(
            RuleId::KrNoTarget,
            "the key result has no target".into(),
            "Set a target from the KPI's history (mean + 1–2 sd for a stretch) and write \"from X to Y\".".into(),
        );
    }
    if let Some(w) = wording::pay_word(&k.title) {
        push(
            RuleId::OkrInPay,
            format!("the key result mentions pay (\"{w}\"); OKR scores never enter pay"),
            "Tie bonuses to KPI attainment, never to OKR scores.".into(),
        );
    }
    if !k.has_owner {
        push(
            RuleId::KrNoOwner,
            "nobody owns this key result".into(),
            "Name one owner who checks it in every week.".into(),
        );
    }
    if !k.kpi_linked && !milestone {
        push(
            RuleId::KrNoSource,
            "the value is typed in by hand; no KPI measures it".into(),
            "Link the KPI it is measured from (same query, same owner), so check-ins start from live data.".into(),
        );
    }
    let weeks = (today - k.last_touched).num_days() / 7;
    if running && o.status == ObjectiveStatus::Active && weeks >= i64::from(p.stale_after_weeks) {
        let what = if k.checked_in { "no check-in" } else { "never checked in" };
        push(
            RuleId::Stale,
            format!("{what} for {weeks} weeks: an OKR nobody discusses is dead"),
            "Check it in at this week's meeting, or kill it with a reason if it no longer matters.".into(),
        );
    }
}

/// "CSAT from 4.1 to 4.5" built from the key result's own numbers.
fn from_to_example(k: &KeyResultFacts) -> Option<String> {
    let fmt = |v: f64| {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    let unit = if k.unit_of_measure.is_empty() { String::new() } else { format!(" {}", k.unit_of_measure) };
    Some(format!("{} from {}{unit} to {}{unit}", wording::strip_label(&k.title), fmt(k.baseline?), fmt(k.target?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::policy::Preset;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn kr(title: &str) -> KeyResultFacts {
        KeyResultFacts {
            id: format!("kr-{title}"),
            title: title.into(),
            kind: KeyResultKind::Metric,
            baseline: Some(0.0),
            target: Some(1.0),
            unit_of_measure: String::new(),
            has_owner: true,
            kpi_linked: true,
            status: KeyResultStatus::Active,
            last_touched: day("2026-11-25"),
            checked_in: true,
        }
    }

    fn objective(title: &str, krs: &[&str]) -> ObjectiveFacts {
        ObjectiveFacts {
            id: format!("o-{title}"),
            title: title.into(),
            description: String::new(),
            unit_id: Some("team".into()),
            status: ObjectiveStatus::Active,
            key_results: krs.iter().map(|t| kr(t)).collect(),
            rewrites: 0,
        }
    }

    fn facts(objectives: Vec<ObjectiveFacts>) -> CycleFacts {
        CycleFacts {
            running: true,
            start: Some(day("2026-10-01")),
            units: vec![UnitFacts { id: "team".into(), name: "Growth".into(), kind: UnitKind::Team, people: Some(9) }],
            objectives,
            kpis: Vec::new(),
        }
    }

    fn run_with(f: &CycleFacts, p: &CoachPolicy) -> Vec<Finding> {
        review(f, day("2026-12-01"), |_| p)
    }

    fn run(f: &CycleFacts) -> Vec<Finding> {
        run_with(f, &CoachPolicy::default())
    }

    fn rules(found: &[Finding]) -> Vec<RuleId> {
        found.iter().map(|f| f.rule).collect()
    }

    /// The seed articles' strong examples (001's rewrites, 002's worked examples): silent.
    const GOOD: &[(&str, &[&str])] = &[
        (
            "Make onboarding a delight for new customers",
            &[
                "Reduce time-to-first-value from 14 days to 5",
                "Raise onboarding NPS from 32 to 50",
                "Cut onboarding support tickets by 40%",
            ],
        ),
        (
            "Shorten the path to value and convert more qualified deals in mid-market",
            &[
                "KR1: Increase SQL→Won win rate from 18% → 23% (±1 pp) in MM segment",
                "KR2: Reduce median sales cycle from 54 → 42 days without raising discount rate",
                "KR3: Lift expansion ARR share from 21% → 27% via packaged add-ons",
            ],
        ),
        (
            "Make the first 90 days a competitive advantage",
            &["Raise 90-day retention from 82% to 95%", "Onboarding eNPS from +10 to +40"],
        ),
        (
            "Earn enterprise-grade reliability",
            &["Reduce P1 incidents from 9 to ≤3 per quarter", "Cut MTTR from 4h to 1h"],
        ),
        (
            "Make mobile our customers' preferred channel",
            &["30% of weekly active usage on mobile by quarter-end", "CSAT from 4.1 to 4.5 on ≥300 responses"],
        ),
    ];

    #[test]
    fn the_articles_good_examples_are_silent() {
        for (o, krs) in GOOD {
            let found = run(&facts(vec![objective(o, krs)]));
            assert!(found.is_empty(), "{o}: {found:#?}");
        }
    }

    /// The weak drafts of 001's rewrite table, each caught by the rule the article names.
    #[test]
    fn the_articles_weak_examples_fire() {
        let weak = [
            ("Improve customer satisfaction", RuleId::KrUnmeasurable),
            ("Increase revenue", RuleId::KrUnmeasurable),
            ("Conduct 20 customer interviews", RuleId::KrTask),
            ("Reduce attrition", RuleId::KrUnmeasurable),
        ];
        for (title, rule) in weak {
            let mut k = kr(title);
            k.kpi_linked = false;
            let mut o =
                objective("Make onboarding a delight for new customers", &["Raise onboarding NPS from 32 to 50"]);
            o.key_results.push(k);
            assert!(rules(&run(&facts(vec![o]))).contains(&rule), "{title} should fire {rule}");
        }
        let found = run(&facts(vec![objective(
            "Launch the mobile app",
            &["Raise app rating from 3.1 to 4.2", "Weekly mobile users from 2k to 5k"],
        )]));
        assert_eq!(rules(&found), vec![RuleId::ObjectiveTask]);
        assert_eq!(found[0].severity, crate::coach::Severity::Warning);
        assert!(found[0].message.contains("launch") && !found[0].fix.is_empty());
    }

    #[test]
    fn each_rule_fires_and_stays_silent() {
        let good_krs = ["Raise NPS from 32 to 50", "Cut tickets from 900 to 500"];
        // (objective, key results, rule expected on the first; the good pair stays silent)
        let cases: &[(&str, &str, RuleId)] = &[
            ("Grow revenue by 20%", good_krs[0], RuleId::ObjectiveNumber),
            ("Make onboarding a delight", "Maintain uptime at 99.9%", RuleId::KrMaintain),
            ("Make onboarding a delight", "Maximize signups from 100", RuleId::KrNoTarget),
            ("Make onboarding a delight", "Revenue from TBD to xx", RuleId::KrPlaceholder),
            ("Make onboarding a delight", "Ship the new portal to 3 regions", RuleId::KrTask),
            ("Make onboarding a delight", "Team bonus if NPS reaches 50", RuleId::OkrInPay),
        ];
        for (o, k, rule) in cases {
            let found = run(&facts(vec![objective(o, &[k, good_krs[1]])]));
            assert!(rules(&found).contains(rule), "{o} / {k}: {found:#?}");
        }
        assert!(run(&facts(vec![objective("Make onboarding a delight", &good_krs)])).is_empty());
    }

    #[test]
    fn counts_follow_the_policy() {
        let strict = CoachPolicy::preset(Preset::Strict);
        let two = vec![
            objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2", "MRR from 1 to 2"]),
            objective("B", &["NPS from 1 to 2", "CSAT from 1 to 2", "MRR from 1 to 2"]),
        ];
        assert_eq!(rules(&run_with(&facts(two.clone()), &strict)), vec![RuleId::TooManyObjectives]);
        assert!(run(&facts(two)).is_empty(), "balanced allows three");
        let found = run_with(&facts(vec![objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2"])]), &strict);
        assert_eq!(rules(&found), vec![RuleId::TooFewKeyResults]);
        let six: Vec<String> = (1..=6).map(|i| format!("Metric {i} from 1 to 2")).collect();
        let six: Vec<&str> = six.iter().map(String::as_str).collect();
        assert_eq!(rules(&run(&facts(vec![objective("A", &six)]))), vec![RuleId::TooManyKeyResults]);
        let none = run(&facts(vec![objective("A", &[])]));
        assert_eq!(rules(&none), vec![RuleId::NoKeyResults]);
        assert_eq!(none[0].severity, crate::coach::Severity::Error);
        // Killed key results do not count; a closed objective is not judged at all.
        let mut o = objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2"]);
        o.key_results[1].status = KeyResultStatus::Killed;
        assert_eq!(rules(&run(&facts(vec![o.clone()]))), vec![RuleId::TooFewKeyResults]);
        o.status = ObjectiveStatus::Closed;
        assert!(run(&facts(vec![o])).is_empty());
    }

    #[test]
    fn record_rules() {
        let base = || objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2"]);
        let mut o = base();
        o.key_results[0].has_owner = false;
        assert_eq!(rules(&run(&facts(vec![o]))), vec![RuleId::KrNoOwner]);
        let mut o = base();
        o.key_results[0].kpi_linked = false;
        assert_eq!(rules(&run(&facts(vec![o]))), vec![RuleId::KrNoSource]);
        let mut o = base();
        o.key_results[0].baseline = None;
        o.key_results[1].target = None;
        assert_eq!(rules(&run(&facts(vec![o]))), vec![RuleId::KrNoBaseline, RuleId::KrNoTarget]);
        let mut o = base();
        o.rewrites = 3;
        assert_eq!(rules(&run(&facts(vec![o.clone()]))), vec![RuleId::Rewritten]);
        o.rewrites = 2;
        assert!(run(&facts(vec![o])).is_empty());
    }

    #[test]
    fn stale_after_the_policys_weeks() {
        let mut o = objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2"]);
        o.key_results[0].last_touched = day("2026-11-10"); // exactly three weeks before 2026-12-01
        o.key_results[1].last_touched = day("2026-11-11");
        let found = run(&facts(vec![o.clone()]));
        assert_eq!(rules(&found), vec![RuleId::Stale]);
        assert_eq!(found[0].subject.id, o.key_results[0].id);
        assert!(found[0].message.contains("3 weeks"));
        // Not while the cycle is being planned, nor for a paused objective.
        let mut planning = facts(vec![o.clone()]);
        planning.running = false;
        assert!(run(&planning).is_empty());
        o.status = ObjectiveStatus::Paused;
        assert!(run(&facts(vec![o])).is_empty());
    }

    #[test]
    fn unit_and_kpi_rules() {
        let mut f = facts(vec![objective("A", &["NPS from 1 to 2", "CSAT from 1 to 2"])]);
        f.units[0].people = Some(5);
        let found = run(&f);
        assert_eq!(rules(&found), vec![RuleId::SmallTeam]);
        assert_eq!(found[0].severity, crate::coach::Severity::Info);
        f.units[0].people = Some(8);
        f.kpis.push(KpiFacts {
            id: "k".into(),
            name: "Tickets closed".into(),
            nature: Nature::Volume,
            has_counterweight: false,
            is_a_counterweight: false,
        });
        f.kpis.push(KpiFacts {
            id: "q".into(),
            name: "Reopen rate".into(),
            nature: Nature::Quality,
            has_counterweight: false,
            is_a_counterweight: false,
        });
        assert_eq!(rules(&run(&f)), vec![RuleId::KpiNoCounterweight]);
        f.kpis[0].has_counterweight = true;
        assert!(run(&f).is_empty());
    }

    #[test]
    fn a_policy_switches_rules_off() {
        let p = CoachPolicy { disabled: vec![RuleId::ObjectiveTask], ..CoachPolicy::default() };
        let f = facts(vec![objective(
            "Launch the mobile app",
            &["Raise app rating from 3.1 to 4.2", "Weekly mobile users from 2k to 5k"],
        )]);
        assert!(run_with(&f, &p).is_empty());
    }

    #[test]
    fn the_catalogue_is_stable() {
        // Scripts filter on these words: changing one breaks them.
        let ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        assert!(ids.contains(&"kr-task") && ids.contains(&"objective-number") && ids.contains(&"stale"));
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
