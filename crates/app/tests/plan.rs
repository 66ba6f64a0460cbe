//! A plan of domain values, named by natural keys, loaded through the application layer on
//! both backends; and every reference or rule it breaks named by the item's path, with
//! nothing written.

use chrono::{Duration, TimeZone, Utc};
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::plan::*;
use quarterdeck_app::{App, Clock};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::okr::{KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::Weight;
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::{PageRequest, Store};
use quarterdeck_store_sql::backend_tests;
use std::sync::Arc;

mod common;
use common::*;

backend_tests!(a_plan_loads_by_natural_keys_with_scores_and_trail);

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
