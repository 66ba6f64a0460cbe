//! The large demo: a generated organisation of 10,000 people, the yardstick for performance.

use super::builder::*;
use chrono::{Duration, NaiveDate, Utc};
use quarterdeck_app::plan::Plan;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::okr::{InitiativeKind, InitiativeStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, ObjectiveKind};

pub const PEOPLE: usize = 10_000;
pub const DEPARTMENTS: usize = 12;
pub const TEAMS_PER_DEPARTMENT: usize = 100;
pub const WEEKS: usize = 12;

const FIRST: &[&str] = &[
    "Ada", "Bo", "Chidi", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kavya", "Liam", "Mei", "Nikhil",
    "Olga", "Priya", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Nakamura",
    "Sharma",
    "Costa",
    "Meyer",
    "Haddad",
    "Novak",
    "Silva",
    "Kowalski",
    "Iyer",
    "Brennan",
    "Tanaka",
    "Ahmed",
    "Rossi",
    "Jensen",
];
const DEPARTMENT_NAMES: &[&str] = &[
    "Sales",
    "Marketing",
    "Product",
    "Engineering",
    "Customer Success",
    "People",
    "Finance",
    "Operations",
    "Data",
    "Security",
    "Design",
    "Partnerships",
];
const TEAM_WORDS: &[&str] =
    &["Atlas", "Beacon", "Comet", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper"];
const OBJECTIVES: &[&str] = &[
    "Make onboarding a delight",
    "Win the mid-market",
    "Earn enterprise-grade reliability",
    "Turn support into proactive success",
    "Make inbound our biggest pipeline source",
    "Ship learning faster than competitors",
    "Make the first 90 days a competitive advantage",
    "Close the books like a public company",
    "Make our data trustworthy",
    "Delight power users",
];
/// (metric, unit, baseline, target, decimals)
const METRICS: &[(&str, &str, f64, f64, u32)] = &[
    ("activation rate", "%", 40.0, 60.0, 1),
    ("time-to-first-value", "days", 14.0, 5.0, 0),
    ("NPS", "NPS", 32.0, 50.0, 0),
    ("win rate", "%", 18.0, 23.0, 1),
    ("P1 incidents", "incidents", 9.0, 3.0, 0),
    ("MTTR", "hours", 4.0, 1.0, 1),
    ("CSAT", "CSAT", 4.1, 4.5, 2),
    ("organic demos", "demos", 80.0, 200.0, 0),
    ("90-day retention", "%", 82.0, 95.0, 1),
    ("month-close", "days", 12.0, 5.0, 0),
    ("deploys per week", "deploys", 5.0, 20.0, 0),
    ("churn", "%", 3.1, 2.0, 2),
];

pub fn large(today: NaiveDate, seed: u64) -> Plan {
    let mut b = Builder::new(seed, Utc::now());
    // A quarter that started twelve weeks ago, so every key result has 12 weekly check-ins.
    let start = today - Duration::days(7 * WEEKS as i64);
    let dates = CycleDates::for_kind(CycleKind::Quarter, start, None).expect("quarter from a start date");
    let cycle = b.cycle(&format!("Large demo quarter from {start}"), CycleKind::Quarter, dates, CycleState::Active);

    let company = b.unit("megacorp", "Megacorp", UnitKind::Company, None);
    let mut serial = 0usize;
    let mut person = |b: &mut Builder, unit, manager| {
        serial += 1;
        let first = FIRST[serial % FIRST.len()];
        let last = LAST[(serial / FIRST.len()) % LAST.len()];
        let email = format!("{}.{}.{serial}@megacorp.example", first.to_lowercase(), last.to_lowercase());
        b.person(&format!("{first} {last}"), &email, Some(unit), manager)
    };
    let ceo = person(&mut b, company, None);
    let total_teams = DEPARTMENTS * TEAMS_PER_DEPARTMENT;
    // Heads and leads first; the remaining people spread over the teams.
    let members_per_team = (PEOPLE - 1 - DEPARTMENTS - total_teams) as f64 / total_teams as f64;

    let mut company_objectives: Vec<(ObjectiveRef, Vec<KeyResultRef>)> = Vec::new();
    let okr = |b: &mut Builder, title: &str, owner: PersonRef, unit, krs: usize| -> (ObjectiveRef, Vec<KeyResultRef>) {
        let kind = if b.rng.unit() < 0.15 { ObjectiveKind::Committed } else { ObjectiveKind::Aspirational };
        let (status, reason) = if b.rng.unit() < 0.01 {
            (ObjectiveStatus::Paused, Some("Paused while the team covers an incident backlog."))
        } else {
            (ObjectiveStatus::Active, None)
        };
        let o = b.objective(&cycle, title, "", owner, Some(unit), kind, status, reason);
        let mut ids = Vec::new();
        for _ in 0..krs {
            let &(metric, unit_of_measure, base, target, decimals) = b.rng.pick(METRICS);
            let verb = if target > base { "Raise" } else { "Cut" };
            let title = format!("{verb} {metric} from {base} to {target}");
            let weight = if b.rng.unit() < 0.2 { 2.0 } else { 1.0 };
            let id = b.key_result(
                o,
                &title,
                unit_of_measure,
                KeyResultKind::Metric,
                (base, target, None),
                weight,
                Some(owner),
            );
            let progress = (b.rng.unit() * 1.1).min(1.0);
            let trajectory = Trajectory { progress_today: progress, last_value: None, decimals };
            b.check_ins(&cycle, id, KeyResultKind::Metric, (base, target), trajectory, Some(owner), today, WEEKS);
            if b.rng.unit() < 0.33 {
                let kind = *b.rng.pick(&[InitiativeKind::Project, InitiativeKind::Experiment, InitiativeKind::Task]);
                let status =
                    *b.rng.pick(&[InitiativeStatus::Planned, InitiativeStatus::InProgress, InitiativeStatus::Done]);
                b.initiative(id, &format!("Initiative for {metric}"), kind, status, Some(owner));
            }
            ids.push(id);
        }
        if b.rng.unit() < 0.02 {
            b.kill(ids[0], "The metric turned out not to move with the objective.");
        }
        (o, ids)
    };

    for objective in &OBJECTIVES[..3] {
        let title = format!("{objective} (company)");
        company_objectives.push(okr(&mut b, &title, ceo, company, 4));
    }
    let mut members = 0.0f64;
    let mut placed = 0usize;
    for (d, name) in DEPARTMENT_NAMES.iter().enumerate().take(DEPARTMENTS) {
        let slug = name.to_lowercase().replace(' ', "-");
        let department = b.unit(&slug, name, UnitKind::Department, Some(company));
        let head = person(&mut b, department, Some(ceo));
        let mut department_objectives = Vec::new();
        for j in 0..3 {
            let title = format!("{} in {name}", OBJECTIVES[(d + j) % OBJECTIVES.len()]);
            let count = 3 + b.rng.below(2);
            let (o, krs) = okr(&mut b, &title, head, department, count);
            let (parent, parent_krs) = &company_objectives[(d + j) % company_objectives.len()];
            let via_kr = if b.rng.unit() < 0.5 { Some(parent_krs[b.rng.below(parent_krs.len())]) } else { None };
            b.align(o, *parent, via_kr, LinkKind::Contributes, 1.0);
            department_objectives.push((o, krs));
        }
        for t in 0..TEAMS_PER_DEPARTMENT {
            let team_name = format!("{name} {} {}", TEAM_WORDS[t % TEAM_WORDS.len()], t / TEAM_WORDS.len() + 1);
            let team = b.unit(&format!("{slug}-{t}"), &team_name, UnitKind::Team, Some(department));
            let lead = person(&mut b, team, Some(head));
            members += members_per_team;
            while (placed as f64) < members.floor() {
                person(&mut b, team, Some(lead));
                placed += 1;
            }
            let objectives = if b.rng.unit() < 0.3 { 4 } else { 3 };
            for k in 0..objectives {
                let title = format!("{} ({team_name})", OBJECTIVES[(t + k) % OBJECTIVES.len()]);
                let krs = 3 + b.rng.below(2);
                let (o, _) = okr(&mut b, &title, lead, team, krs);
                let (parent, parent_krs) = &department_objectives[b.rng.below(department_objectives.len())];
                let roll = b.rng.unit();
                if roll < 0.7 {
                    let via_kr =
                        if b.rng.unit() < 0.4 { Some(parent_krs[b.rng.below(parent_krs.len())]) } else { None };
                    b.align(o, *parent, via_kr, LinkKind::Contributes, 1.0);
                } else if roll < 0.85 {
                    b.align(o, *parent, None, LinkKind::Supports, 1.0);
                }
            }
        }
    }
    b.plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_has_the_promised_size_and_is_deterministic() {
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        let p = large(today, 42);
        let objectives: Vec<_> = p.cycles.iter().flat_map(|c| &c.objectives).collect();
        let krs: Vec<_> = objectives.iter().flat_map(|o| &o.key_results).collect();
        assert_eq!(p.people.len(), PEOPLE);
        assert_eq!(p.units.len(), 1 + DEPARTMENTS + DEPARTMENTS * TEAMS_PER_DEPARTMENT);
        assert!((3_800..=4_500).contains(&objectives.len()), "{}", objectives.len());
        assert!((13_000..=15_500).contains(&krs.len()), "{}", krs.len());
        assert!(krs.iter().all(|k| k.check_ins.len() == WEEKS));
        // The same seed and day give the same organisation, natural keys included.
        let again = large(today, 42);
        assert_eq!(p, again);
    }
}
