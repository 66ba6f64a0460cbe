//! A small organisation as a plan: a company and one team, whose objective contributes to the
//! company's through its first key result.
#![allow(dead_code)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use quarterdeck_app::plan::*;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::okr::{Confidence, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

pub fn slug(s: &str) -> Slug {
    Slug::parse("slug", s).unwrap()
}

pub fn email(s: &str) -> Email {
    Email::parse("email", s).unwrap()
}

pub fn kr(key: &str, baseline: f64, target: f64, values: &[f64]) -> PlanKeyResult {
    let start = Utc.with_ymd_and_hms(2026, 10, 5, 9, 0, 0).unwrap();
    PlanKeyResult {
        key: slug(key),
        title: Title::parse("title", &format!("{key} from {baseline} to {target}")).unwrap(),
        kind: KeyResultKind::Metric,
        unit_of_measure: UnitOfMeasure::parse("u", "%").unwrap(),
        measure: Measure::new(baseline, target, None).unwrap(),
        weight: Weight::ONE,
        owner: Some(email("lead@example.com")),
        status: KeyResultStatus::Active,
        status_reason: None,
        check_ins: values
            .iter()
            .enumerate()
            .map(|(i, v)| PlanCheckIn {
                at: start + Duration::weeks(i as i64),
                value: *v,
                confidence: Confidence::OnTrack,
                note: Note::parse("note", "steady").unwrap(),
                author: Some(email("lead@example.com")),
            })
            .collect(),
        initiatives: Vec::new(),
    }
}

pub fn objective(key: &str, owner: &str, unit: &str, krs: Vec<PlanKeyResult>) -> PlanObjective {
    PlanObjective {
        key: slug(key),
        title: Title::parse("title", key).unwrap(),
        description: LongText::parse("description", "").unwrap(),
        owner: email(owner),
        unit: Some(slug(unit)),
        kind: ObjectiveKind::Aspirational,
        status: ObjectiveStatus::Active,
        status_reason: None,
        key_results: krs,
    }
}

/// A company and one team; the team's objective contributes to the company's through its
/// first key result.
pub fn plan() -> Plan {
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    Plan {
        units: vec![
            PlanUnit {
                slug: slug("team"),
                name: Name::parse("name", "Team").unwrap(),
                kind: UnitKind::Team,
                parent: Some(slug("acme")),
            },
            PlanUnit {
                slug: slug("acme"),
                name: Name::parse("name", "Acme").unwrap(),
                kind: UnitKind::Company,
                parent: None,
            },
        ],
        people: vec![
            PlanPerson {
                email: email("lead@example.com"),
                name: Name::parse("name", "Lead").unwrap(),
                unit: Some(slug("team")),
                manager: Some(email("ceo@example.com")),
            },
            PlanPerson {
                email: email("ceo@example.com"),
                name: Name::parse("name", "Ceo").unwrap(),
                unit: Some(slug("acme")),
                manager: None,
            },
        ],
        cycles: vec![PlanCycle {
            name: Title::parse("name", "Q4 2026").unwrap(),
            kind: CycleKind::Quarter,
            dates: CycleDates::new(day("2026-10-01"), day("2026-12-31")).unwrap(),
            state: CycleState::Active,
            objectives: vec![
                objective("grow", "ceo@example.com", "acme", vec![kr("revenue", 0.0, 100.0, &[20.0, 50.0])]),
                objective("ship", "lead@example.com", "team", vec![kr("adoption", 10.0, 20.0, &[12.0, 17.0])]),
            ],
            alignments: vec![PlanAlignment {
                child: slug("ship"),
                parent: slug("grow"),
                parent_key_result: Some(slug("revenue")),
                kind: LinkKind::Contributes,
                weight: Weight::ONE,
            }],
        }],
    }
}
