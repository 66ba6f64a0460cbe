//! A plan of domain values, named by natural keys, loaded through the application layer on
//! both backends; and every reference or rule it breaks named by the item's path, with
//! nothing written.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::plan::*;
use quarterdeck_app::{App, Clock};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::error::Code;
use quarterdeck_domain::okr::{Confidence, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::{PageRequest, Store};
use quarterdeck_store_sql::backend_tests;
use std::sync::Arc;

backend_tests!(a_plan_loads_by_natural_keys_with_scores_and_trail);

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse("slug", s).unwrap()
}

fn email(s: &str) -> Email {
    Email::parse("email", s).unwrap()
}

fn kr(key: &str, baseline: f64, target: f64, values: &[f64]) -> PlanKeyResult {
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

fn objective(key: &str, owner: &str, unit: &str, krs: Vec<PlanKeyResult>) -> PlanObjective {
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
fn plan() -> Plan {
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

fn err(plan: Plan) -> quarterdeck_app::AppError {
    resolve(plan, now(), Zone::default()).expect_err("the plan is refused")
}

async fn a_plan_loads_by_natural_keys_with_scores_and_trail(store: Arc<dyn Store>) {
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    let counts = app.apply_plan(plan()).await.expect("the plan loads");
    assert_eq!((counts.units, counts.people, counts.objectives, counts.key_results), (2, 2, 2, 2));
    assert_eq!((counts.check_ins, counts.alignments), (4, 1));

    // Found by their natural keys; scores derived from the latest check-ins, the roll-up
    // from the contributing child.
    let by_key = |key: &str| ObjectiveQuery { key: Some(key.into()), with_key_results: true, ..Default::default() };
    let grow = app.list_objectives(by_key("grow"), PageRequest::first(5)).await.unwrap().items.remove(0);
    let ship = app.list_objectives(by_key("ship"), PageRequest::first(5)).await.unwrap().items.remove(0);
    assert!((grow.score - 0.5).abs() < 1e-9, "{}", grow.score);
    assert!((ship.score - 0.7).abs() < 1e-9, "{}", ship.score);
    assert!((grow.rollup.unwrap() - 0.7).abs() < 1e-9);
    let team = app.get_unit("team").await.unwrap();
    assert_eq!(team.parent_id, Some(app.get_unit("acme").await.unwrap().id));

    // The trail starts with the import: one row per record created.
    let trail = app.list_audit(Default::default(), PageRequest::first(100)).await.unwrap();
    assert_eq!(trail.items.len(), 2 + 2 + 1 + 2 + 2 + 1);
    assert!(trail.items.iter().all(|row| row.actor == Actor::Import && row.action == "create"));

    // A plan loads into an empty organisation only.
    let again = app.apply_plan(plan()).await.expect_err("the organisation is not empty");
    assert_eq!(again.code, Code::Duplicate);
}

#[test]
fn an_unknown_reference_is_named_by_its_path() {
    let mut p = plan();
    p.cycles[0].objectives[1].key_results[0].owner = Some(email("nobody@example.com"));
    let e = err(p);
    assert_eq!(e.code, Code::UnknownReference);
    assert_eq!(e.field.as_deref(), Some("cycles[0].objectives[1].key_results[0].owner"));
    assert!(e.message.contains("nobody@example.com"), "{}", e.message);

    let mut p = plan();
    p.people[0].unit = Some(slug("nowhere"));
    assert_eq!(err(p).field.as_deref(), Some("people[0].unit"));
}

#[test]
fn keys_are_unique_where_they_name_something() {
    let mut p = plan();
    p.units[1].slug = slug("team");
    assert_eq!(err(p).field.as_deref(), Some("units[1].slug"));

    let mut p = plan();
    let dup = p.cycles[0].objectives[0].key_results[0].clone();
    p.cycles[0].objectives[1].key_results.push(dup);
    let e = err(p);
    assert_eq!(e.code, Code::Duplicate);
    assert_eq!(e.field.as_deref(), Some("cycles[0].objectives[1].key_results[1].key"));
}

#[test]
fn loops_are_refused_in_units_managers_and_alignments() {
    let mut p = plan();
    p.units[1].parent = Some(slug("team"));
    assert_eq!(err(p).code, Code::UnitCycle);

    let mut p = plan();
    p.people[1].manager = Some(email("lead@example.com"));
    assert_eq!(err(p).code, Code::ManagerCycle);

    let mut p = plan();
    p.cycles[0].alignments.push(PlanAlignment {
        child: slug("grow"),
        parent: slug("ship"),
        parent_key_result: None,
        kind: LinkKind::Supports,
        weight: Weight::ONE,
    });
    let e = err(p);
    assert_eq!(e.code, Code::AlignmentCycle);
    assert_eq!(e.field.as_deref(), Some("cycles[0].alignments[1].parent"));

    // A link through a key result of another objective than the parent.
    let mut p = plan();
    p.cycles[0].alignments[0].parent_key_result = Some(slug("adoption"));
    assert_eq!(err(p).code, Code::AlignmentParent);
}

#[test]
fn check_ins_and_statuses_meet_the_methods_rules() {
    let mut p = plan();
    p.cycles[0].objectives[0].key_results[0].check_ins[1].at = now() + Duration::days(2);
    let e = err(p);
    assert_eq!(e.code, Code::CheckInInFuture);
    assert_eq!(e.field.as_deref(), Some("cycles[0].objectives[0].key_results[0].check_ins[1].at"));

    let mut p = plan();
    p.cycles[0].objectives[0].key_results[0].check_ins[0].at = Utc.with_ymd_and_hms(2026, 9, 30, 9, 0, 0).unwrap();
    assert_eq!(err(p).code, Code::CheckInBeforeCycle);

    let mut p = plan();
    p.cycles[0].objectives[0].key_results[0].check_ins[0].value = f64::INFINITY;
    let e = err(p);
    assert_eq!(e.code, Code::NotFinite);
    assert_eq!(e.field.as_deref(), Some("cycles[0].objectives[0].key_results[0].check_ins[0].value"));

    let mut p = plan();
    p.cycles[0].objectives[1].key_results[0].status = KeyResultStatus::Killed;
    let e = err(p);
    assert_eq!(e.code, Code::Missing);
    assert_eq!(e.field.as_deref(), Some("cycles[0].objectives[1].key_results[0].status_reason"));

    let mut p = plan();
    p.cycles[0].objectives[0].status = ObjectiveStatus::Retired;
    assert_eq!(err(p).field.as_deref(), Some("cycles[0].objectives[0].status_reason"));
}
