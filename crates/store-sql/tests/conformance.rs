//! The store contract: every test runs on SQLite always and on PostgreSQL when
//! `QUARTERDECK_TEST_PG` names a server (each test in its own schema); see `testing.rs`.

use chrono::{Duration, NaiveDate, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;
use quarterdeck_store::input::*;
use quarterdeck_store::records::*;
use quarterdeck_store::snapshot::Snapshot;
use quarterdeck_store::{OrgStore, PageRequest, Store, StoreError};
use quarterdeck_store_sql::testing::sqlite_store;
use std::sync::Arc;

type S = Arc<dyn Store>;

/// Writes in these tests are made by an API client, now.
fn ctx() -> quarterdeck_store::Ctx {
    quarterdeck_store::Ctx::new(quarterdeck_domain::actor::Actor::Api, chrono::Utc::now())
}

use quarterdeck_store_sql::backend_tests;

backend_tests!(
    organisation_tree_and_people,
    cycles_move_forward_and_current_is_derived,
    nps_example_scores_a_half_and_objectives_average_active_krs,
    alignment_rolls_up_contributions_and_refuses_loops,
    stale_versions_conflict_and_one_concurrent_writer_wins,
    check_in_rules,
    closed_cycle_is_read_only,
    lists_paginate_without_gaps_or_repeats,
    concurrent_check_ins_keep_the_objective_score_exact,
    import_derives_the_same_numbers_as_check_ins,
    an_import_keeps_every_character_and_null,
    failed_requests_leave_nothing_behind,
    initiatives_are_tracked_not_scored,
    the_change_token_moves_with_every_write,
    concurrent_check_ins_are_answered_each_on_its_own,
    the_coachs_facts_are_kept_by_the_write_path,
    the_quarter_end_carries_retires_and_keeps_grades,
);

// ---- fixtures ------------------------------------------------------------------------------

struct Org {
    company: Unit,
    team: Unit,
    ceo: Person,
    lead: Person,
    cycle: Cycle,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn org(s: &S) -> Org {
    let company = s.create_unit(&ctx(), new_unit("acme", "Acme", UnitKind::Company, None)).await.unwrap();
    let team = s.create_unit(&ctx(), new_unit("growth", "Growth", UnitKind::Team, Some(company.id))).await.unwrap();
    let ceo = s.create_person(&ctx(), new_person("Ada", "ada@acme.test", Some(company.id), None)).await.unwrap();
    let lead = s.create_person(&ctx(), new_person("Bo", "bo@acme.test", Some(team.id), Some(ceo.id))).await.unwrap();
    let cycle = s.create_cycle(&ctx(), quarter(CycleState::Active)).await.unwrap();
    Org { company, team, ceo, lead, cycle }
}

fn new_unit(slug: &str, name: &str, kind: UnitKind, parent_id: Option<UnitId>) -> NewUnit {
    NewUnit { slug: Slug::parse("slug", slug).unwrap(), name: Name::parse("name", name).unwrap(), kind, parent_id }
}

fn new_person(name: &str, email: &str, unit_id: Option<UnitId>, manager_id: Option<PersonId>) -> NewPerson {
    NewPerson {
        name: Name::parse("name", name).unwrap(),
        email: Email::parse("email", email).unwrap(),
        unit_id,
        manager_id,
    }
}

fn quarter(state: CycleState) -> NewCycle {
    let dates = CycleDates::quarter_of(today());
    NewCycle {
        name: Title::parse("name", &dates.default_name(CycleKind::Quarter)).unwrap(),
        kind: CycleKind::Quarter,
        dates,
        state,
    }
}

fn objective(o: &Org, title: &str, unit: Option<UnitId>) -> NewObjective {
    NewObjective {
        key: None,
        cycle_id: o.cycle.id,
        title: Title::parse("title", title).unwrap(),
        description: LongText::parse("description", "").unwrap(),
        owner_id: o.lead.id,
        unit_id: unit,
        kind: ObjectiveKind::Aspirational,
        status: ObjectiveStatus::Active,
    }
}

fn kr(objective: ObjectiveId, title: &str, baseline: f64, target: f64, weight: f64) -> NewKeyResult {
    NewKeyResult {
        key: None,
        objective_id: objective,
        title: Title::parse("title", title).unwrap(),
        kind: KeyResultKind::Metric,
        unit_of_measure: UnitOfMeasure::parse("unit_of_measure", "").unwrap(),
        measure: Measure::new(baseline, target, None).unwrap(),
        weight: Weight::new("weight", weight).unwrap(),
        owner_id: None,
        kpi_id: None,
    }
}

fn check_in(value: f64) -> NewCheckIn {
    NewCheckIn {
        value,
        confidence: Confidence::OnTrack,
        note: Note::parse("note", "keep going").unwrap(),
        author_id: None,
        at: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// ---- tests ---------------------------------------------------------------------------------

async fn organisation_tree_and_people(s: S) {
    let o = org(&s).await;
    assert_eq!(o.team.parent_id, Some(o.company.id));
    assert_eq!(o.lead.manager_id, Some(o.ceo.id));
    assert_eq!(s.find_unit_by_slug("growth").await.unwrap().id, o.team.id);

    let dup = s.create_unit(&ctx(), new_unit("growth", "Other", UnitKind::Team, None)).await.unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { field: "slug", .. }), "{dup:?}");
    let dup = s.create_person(&ctx(), new_person("Cy", "BO@acme.test", None, None)).await.unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { field: "email", .. }), "{dup:?}");
    let unknown = s
        .create_unit(&ctx(), new_unit("x", "X", UnitKind::Team, Some(UnitId(uuid::Uuid::now_v7()))))
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::UnknownReference { field: "parent_id", .. }), "{unknown:?}");

    // The company cannot move below its own team.
    let patch = UnitPatch { parent_id: Some(Some(o.team.id)), ..Default::default() };
    let err = s.update_unit(&ctx(), o.company.id, o.company.version, patch).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "unit_cycle"), "{err:?}");
    // Nor can the CEO report to her own report.
    let patch = PersonPatch { manager_id: Some(Some(o.lead.id)), ..Default::default() };
    let err = s.update_person(&ctx(), o.ceo.id, o.ceo.version, patch).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "manager_cycle"), "{err:?}");

    let team_people = s
        .list_people(PersonFilter { unit_id: Some(o.team.id), ..Default::default() }, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(team_people.items.iter().map(|p| p.id).collect::<Vec<_>>(), vec![o.lead.id]);
    let children = s
        .list_units(UnitFilter { parent_id: Some(o.company.id), ..Default::default() }, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(children.items.len(), 1);

    let renamed = s
        .update_unit(
            &ctx(),
            o.team.id,
            1,
            UnitPatch { name: Some(Name::parse("name", "Growth & Retention").unwrap()), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.version), ("Growth & Retention", 2));
}

async fn cycles_move_forward_and_current_is_derived(s: S) {
    let planning = s.create_cycle(&ctx(), quarter(CycleState::Planning)).await.unwrap();
    let six = CycleDates::for_kind(CycleKind::SixWeeks, today() - Duration::days(3), None).unwrap();
    s.create_cycle(
        &ctx(),
        NewCycle {
            name: Title::parse("name", "Sprint").unwrap(),
            kind: CycleKind::SixWeeks,
            dates: six,
            state: CycleState::Planning,
        },
    )
    .await
    .unwrap();
    let old = CycleDates::quarter_of(today() - Duration::days(200));
    s.create_cycle(
        &ctx(),
        NewCycle {
            name: Title::parse("name", "Old").unwrap(),
            kind: CycleKind::Quarter,
            dates: old,
            state: CycleState::Active,
        },
    )
    .await
    .unwrap();

    // Both planning cycles hold today: the quarter wins.
    assert_eq!(s.current_cycle(today()).await.unwrap().unwrap().id, planning.id);
    let active = s.set_cycle_state(&ctx(), planning.id, Some(1), CycleState::Active).await.unwrap();
    assert_eq!((active.state, active.version), (CycleState::Active, 2));
    assert_eq!(s.current_cycle(today()).await.unwrap().unwrap().id, planning.id);
    assert!(s.current_cycle(today() + Duration::days(3650)).await.unwrap().is_none());

    let err = s.set_cycle_state(&ctx(), planning.id, None, CycleState::Planning).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(_)), "{err:?}");
    let closed = s.set_cycle_state(&ctx(), planning.id, None, CycleState::Closed).await.unwrap();
    assert_eq!(closed.state, CycleState::Closed);

    let on_today =
        s.list_cycles(CycleFilter { on: Some(today()), ..Default::default() }, PageRequest::default()).await.unwrap();
    assert_eq!(on_today.items.len(), 2);
    let all = s.list_cycles(CycleFilter::default(), PageRequest::default()).await.unwrap();
    assert_eq!(all.items.len(), 3);
    assert!(all.items.windows(2).all(|w| w[0].start >= w[1].start), "newest first");
}

async fn nps_example_scores_a_half_and_objectives_average_active_krs(s: S) {
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Make onboarding a delight", Some(o.team.id))).await.unwrap();
    let nps =
        s.create_key_result(&ctx(), kr(obj.id, "Raise onboarding NPS from 32 to 50", 32.0, 50.0, 1.0)).await.unwrap();
    let (ci, nps) = s.record_check_in(&ctx(), nps.id, check_in(41.0)).await.unwrap();
    assert_eq!(ci.value, 41.0);
    assert_eq!(nps.current_value, Some(41.0));
    assert!(close(nps.score, 0.5));
    assert!(close(s.get_objective(obj.id).await.unwrap().score, 0.5));

    // A reduce KR with weight 3: time-to-value 14 → 5 days, at 5 → 1.0. Weighted: (0.5 + 3) / 4.
    let ttv =
        s.create_key_result(&ctx(), kr(obj.id, "Time to first value from 14 to 5 days", 14.0, 5.0, 3.0)).await.unwrap();
    assert!(close(s.get_objective(obj.id).await.unwrap().score, 0.5 / 4.0), "a new KR counts from zero");
    s.record_check_in(&ctx(), ttv.id, check_in(5.0)).await.unwrap();
    let scored = s.get_objective(obj.id).await.unwrap();
    assert!(close(scored.score, 3.5 / 4.0), "{}", scored.score);
    assert_eq!(scored.key_result_count, 2);

    // Decimals are kept: CSAT 4.1 → 4.5.
    let csat = s.create_key_result(&ctx(), kr(obj.id, "CSAT from 4.1 to 4.5", 4.1, 4.5, 1.0)).await.unwrap();
    let (_, csat) = s.record_check_in(&ctx(), csat.id, check_in(4.3)).await.unwrap();
    assert_eq!((csat.baseline, csat.target, csat.current_value), (4.1, 4.5, Some(4.3)));
    assert!((csat.score - 0.5).abs() < 1e-9);

    // Killing a KR takes it out of the score.
    let killed = s
        .set_key_result_status(
            &ctx(),
            csat.id,
            Some(csat.version),
            KeyResultStatusChange::Kill { reason: Reason::parse("reason", "metric retired").unwrap() },
        )
        .await
        .unwrap();
    assert_eq!((killed.status, killed.status_reason.as_deref()), (KeyResultStatus::Killed, Some("metric retired")));
    assert!(close(s.get_objective(obj.id).await.unwrap().score, 3.5 / 4.0));

    // Changing the target rescores from the current value.
    let patch = KeyResultPatch { measure: Some(Measure::new(32.0, 59.0, None).unwrap()), ..Default::default() };
    let nps = s.update_key_result(&ctx(), nps.id, nps.version, patch).await.unwrap();
    assert!(close(nps.score, 9.0 / 27.0));
    let krs = s.key_results_of(&[obj.id]).await.unwrap();
    assert_eq!(krs.len(), 3);
}

async fn alignment_rolls_up_contributions_and_refuses_loops(s: S) {
    let o = org(&s).await;
    let company = s.create_objective(&ctx(), objective(&o, "Stop the leaky bucket", Some(o.company.id))).await.unwrap();
    let churn = s.create_key_result(&ctx(), kr(company.id, "Churn from 3.1 to 2.0", 3.1, 2.0, 1.0)).await.unwrap();
    let a = s.create_objective(&ctx(), objective(&o, "Guide every new customer", Some(o.team.id))).await.unwrap();
    let b = s.create_objective(&ctx(), objective(&o, "Win back quiet accounts", Some(o.team.id))).await.unwrap();
    let c = s.create_objective(&ctx(), objective(&o, "Know every account's health", Some(o.team.id))).await.unwrap();
    let ka = s.create_key_result(&ctx(), kr(a.id, "Activation from 40 to 60", 40.0, 60.0, 1.0)).await.unwrap();
    let kb = s.create_key_result(&ctx(), kr(b.id, "Reactivated from 0 to 10", 0.0, 10.0, 1.0)).await.unwrap();
    let kc = s.create_key_result(&ctx(), kr(c.id, "Coverage from 0 to 100", 0.0, 100.0, 1.0)).await.unwrap();

    let contributes = |child, parent, weight| NewAlignment {
        child_id: child,
        parent,
        kind: LinkKind::Contributes,
        weight: Weight::new("weight", weight).unwrap(),
    };
    s.create_alignment(&ctx(), contributes(a.id, AlignmentTarget::Objective(company.id), 1.0)).await.unwrap();
    let via_kr =
        s.create_alignment(&ctx(), contributes(b.id, AlignmentTarget::KeyResult(churn.id), 3.0)).await.unwrap();
    assert_eq!((via_kr.parent_objective_id, via_kr.parent_key_result_id), (company.id, Some(churn.id)));
    s.create_alignment(
        &ctx(),
        NewAlignment { kind: LinkKind::Supports, ..contributes(c.id, AlignmentTarget::Objective(company.id), 1.0) },
    )
    .await
    .unwrap();
    assert_eq!(s.get_objective(company.id).await.unwrap().rollup, Some(0.0));

    s.record_check_in(&ctx(), ka.id, check_in(50.0)).await.unwrap(); // a: 0.5
    s.record_check_in(&ctx(), kb.id, check_in(10.0)).await.unwrap(); // b: 1.0, weight 3
    s.record_check_in(&ctx(), kc.id, check_in(100.0)).await.unwrap(); // supports: not counted
    let parent = s.get_objective(company.id).await.unwrap();
    assert!(close(parent.rollup.unwrap(), (0.5 + 3.0) / 4.0), "{:?}", parent.rollup);
    assert!(close(parent.score, 0.0), "the parent's own score stays its KRs'");

    // Loops and self-links are refused; duplicates too.
    let err =
        s.create_alignment(&ctx(), contributes(company.id, AlignmentTarget::KeyResult(ka.id), 1.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::AlignmentCycle)), "{err:?}");
    let err = s.create_alignment(&ctx(), contributes(a.id, AlignmentTarget::Objective(a.id), 1.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::SelfAlignment)), "{err:?}");
    let err =
        s.create_alignment(&ctx(), contributes(a.id, AlignmentTarget::Objective(company.id), 1.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");

    // A child may align to several parents (a graph, not a tree).
    let other =
        s.create_objective(&ctx(), objective(&o, "Earn the right to sell upmarket", Some(o.company.id))).await.unwrap();
    s.create_alignment(&ctx(), contributes(a.id, AlignmentTarget::Objective(other.id), 1.0)).await.unwrap();
    assert!(close(s.get_objective(other.id).await.unwrap().rollup.unwrap(), 0.5));
    // A check-in moves every parent of its objective by the difference it makes, and the
    // running sums stay those of the children as they are.
    for v in [52.0, 44.0, 53.0] {
        s.record_check_in(&ctx(), ka.id, check_in(v)).await.unwrap();
    }
    assert!(close(s.get_objective(other.id).await.unwrap().rollup.unwrap(), 0.65));
    assert!(close(s.get_objective(company.id).await.unwrap().rollup.unwrap(), (0.65 + 3.0) / 4.0));
    // The latest check-ins of several key results in one read, newest first within each.
    let recent = s.recent_check_ins(&[ka.id, kb.id, kc.id], 2).await.unwrap();
    let of = |kr| recent.iter().filter(|c| c.key_result_id == kr).map(|c| c.value).collect::<Vec<_>>();
    assert_eq!(of(ka.id), vec![53.0, 44.0]);
    assert_eq!(of(kb.id), vec![10.0]);
    assert_eq!(of(kc.id), vec![100.0]);
    assert!(s.recent_check_ins(&[], 2).await.unwrap().is_empty());

    let links = s
        .list_alignments(
            AlignmentFilter { parent_objective_id: Some(company.id), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(links.items.len(), 3);
    // One level below several parents at once, and how many align to each.
    let below = s.alignments_under(&[company.id, other.id, c.id]).await.unwrap();
    let mut children: Vec<_> = below.iter().map(|l| (l.parent_objective_id, l.child_id)).collect();
    children.sort();
    let mut want = vec![(company.id, a.id), (company.id, b.id), (company.id, c.id), (other.id, a.id)];
    want.sort();
    assert_eq!(children, want);
    let mut counts = s.count_alignments_under(&[company.id, other.id, c.id]).await.unwrap();
    counts.sort();
    let mut want = vec![(company.id, 3), (other.id, 1)];
    want.sort();
    assert_eq!(counts, want, "an objective with nothing below is left out");
    assert!(s.alignments_under(&[]).await.unwrap().is_empty());
    // The roots of the graph (aligned to nothing) and the aligned ones.
    let ids = |page: quarterdeck_store::Page<quarterdeck_store::records::Objective>| {
        let mut ids: Vec<_> = page.items.into_iter().map(|o| o.id).collect();
        ids.sort();
        ids
    };
    let roots = ObjectiveFilter { aligned: Some(false), ..Default::default() };
    let mut want = vec![company.id, other.id];
    want.sort();
    assert_eq!(ids(s.list_objectives(roots, PageRequest::default()).await.unwrap()), want);
    let aligned = ObjectiveFilter { aligned: Some(true), ..Default::default() };
    let mut want = vec![a.id, b.id, c.id];
    want.sort();
    assert_eq!(ids(s.list_objectives(aligned, PageRequest::default()).await.unwrap()), want);
    s.delete_alignment(&ctx(), via_kr.id).await.unwrap();
    assert!(close(s.get_objective(company.id).await.unwrap().rollup.unwrap(), 0.65));

    // Retiring a child takes it out of the roll-up.
    s.set_objective_status(&ctx(), a.id, None, ObjectiveStatus::Retired, Some("replaced".into())).await.unwrap();
    assert_eq!(s.get_objective(company.id).await.unwrap().rollup, None);
}

async fn stale_versions_conflict_and_one_concurrent_writer_wins(s: S) {
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Make inbound our biggest source", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "Demos from 80 to 200", 80.0, 200.0, 1.0)).await.unwrap();
    let title = |t: &str| KeyResultPatch { title: Some(Title::parse("title", t).unwrap()), ..Default::default() };
    let first = s.update_key_result(&ctx(), k.id, k.version, title("Organic demos from 80 to 200")).await.unwrap();
    assert_eq!(first.version, k.version + 1);
    let err = s.update_key_result(&ctx(), k.id, k.version, title("Lost edit")).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { current_version, .. } if current_version == first.version), "{err:?}");
    assert_eq!(s.get_key_result(k.id).await.unwrap().title, "Organic demos from 80 to 200");

    // Eight writers holding the same version: exactly one wins, the others get Stale.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        let id = obj.id;
        let version = obj.version;
        tasks.push(tokio::spawn(async move {
            let patch = ObjectivePatch {
                title: Some(Title::parse("title", &format!("Edit {i}")).unwrap()),
                ..Default::default()
            };
            s.update_objective(&ctx(), id, version, patch).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::Stale { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(s.get_objective(obj.id).await.unwrap().version, obj.version + 1);
}

async fn check_in_rules(s: S) {
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Earn enterprise-grade reliability", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "P1 incidents from 9 to 3", 9.0, 3.0, 1.0)).await.unwrap();

    let mut future = check_in(5.0);
    future.at = Some(Utc::now() + Duration::days(2));
    let err = s.record_check_in(&ctx(), k.id, future).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "check_in_in_future" && d.field() == Some("at")),
        "{err:?}"
    );

    let mut before = check_in(5.0);
    before.at = Some((o.cycle.start - Duration::days(1)).and_hms_opt(12, 0, 0).unwrap().and_utc());
    let err = s.record_check_in(&ctx(), k.id, before).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "check_in_before_cycle"), "{err:?}");

    // The cycle's first day is a day of the organisation's time zone: 23:30 UTC the evening
    // before is too early in UTC, and already that day in Oslo.
    let other = s.create_objective(&ctx(), objective(&o, "Probe the organisation's calendar", None)).await.unwrap();
    let probe = s.create_key_result(&ctx(), kr(other.id, "Probes from 0 to 10", 0.0, 10.0, 1.0)).await.unwrap();
    let mut eve = check_in(5.0);
    eve.at = Some((o.cycle.start - Duration::days(1)).and_hms_opt(23, 30, 0).unwrap().and_utc());
    let err = s.record_check_in(&ctx(), probe.id, eve.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "check_in_before_cycle"), "{err:?}");
    let oslo = quarterdeck_domain::zone::Zone::parse("Europe/Oslo").unwrap();
    let v = s.settings().await.unwrap().version;
    let oslo = s.set_time_zone(&ctx(), v, oslo).await.unwrap();
    let (_, probed) = s.record_check_in(&ctx(), probe.id, eve).await.unwrap();
    assert_eq!(probed.current_value, Some(5.0));
    s.set_time_zone(&ctx(), oslo.version, Default::default()).await.unwrap();

    let err = s.record_check_in(&ctx(), k.id, check_in(f64::NAN)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(_)), "{err:?}");
    let mut ghost = check_in(5.0);
    ghost.author_id = Some(PersonId(uuid::Uuid::now_v7()));
    let err = s.record_check_in(&ctx(), k.id, ghost).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownReference { field: "author_id", .. }), "{err:?}");
    let err = s.record_check_in(&ctx(), KeyResultId(uuid::Uuid::now_v7()), check_in(5.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // Today's value, then a back-dated one: the back-dated one joins the history only.
    let (_, now) = s.record_check_in(&ctx(), k.id, check_in(6.0)).await.unwrap();
    assert!(close(now.score, 0.5));
    let mut back = check_in(8.0);
    back.at = Some(o.cycle.start.and_hms_opt(9, 0, 0).unwrap().and_utc());
    back.confidence = Confidence::AtRisk;
    let (_, after) = s.record_check_in(&ctx(), k.id, back).await.unwrap();
    assert_eq!((after.current_value, after.confidence), (Some(6.0), Some(Confidence::OnTrack)));
    let history = s.list_check_ins(k.id, PageRequest::default()).await.unwrap();
    assert_eq!(history.items.iter().map(|c| c.value).collect::<Vec<_>>(), vec![6.0, 8.0], "newest first");

    // Milestones take 0 or 1 only.
    let mut ms = kr(obj.id, "SOC 2 Type I readiness", 0.0, 1.0, 1.0);
    ms.kind = KeyResultKind::Milestone;
    let ms = s.create_key_result(&ctx(), ms).await.unwrap();
    let err = s.record_check_in(&ctx(), ms.id, check_in(0.5)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::MilestoneNotBinary { .. })), "{err:?}");
    let (_, ms) = s.record_check_in(&ctx(), ms.id, check_in(1.0)).await.unwrap();
    assert_eq!(ms.score, 1.0);

    // No check-in on a killed key result.
    let killed = s
        .set_key_result_status(
            &ctx(),
            k.id,
            None,
            KeyResultStatusChange::Kill { reason: Reason::parse("reason", "wrong metric").unwrap() },
        )
        .await
        .unwrap();
    let err = s.record_check_in(&ctx(), killed.id, check_in(4.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "key_result_not_active"), "{err:?}");

    // Nor in a cycle still being planned.
    let next = s
        .create_cycle(
            &ctx(),
            NewCycle {
                name: Title::parse("name", "Next").unwrap(),
                kind: CycleKind::Quarter,
                dates: CycleDates::quarter_of(o.cycle.end + Duration::days(1)),
                state: CycleState::Planning,
            },
        )
        .await
        .unwrap();
    let planned =
        s.create_objective(&ctx(), NewObjective { cycle_id: next.id, ..objective(&o, "Later", None) }).await.unwrap();
    let pk = s.create_key_result(&ctx(), kr(planned.id, "x from 1 to 2", 1.0, 2.0, 1.0)).await.unwrap();
    let err = s.record_check_in(&ctx(), pk.id, check_in(1.5)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "cycle_not_started"), "{err:?}");
}

async fn closed_cycle_is_read_only(s: S) {
    let o = org(&s).await;
    // A cycle that ended last quarter but is not graded yet still takes late check-ins.
    let last = CycleDates::quarter_of(o.cycle.start - Duration::days(1));
    let past = s
        .create_cycle(
            &ctx(),
            NewCycle {
                name: Title::parse("name", "Last").unwrap(),
                kind: CycleKind::Quarter,
                dates: last,
                state: CycleState::Active,
            },
        )
        .await
        .unwrap();
    let obj = s
        .create_objective(&ctx(), NewObjective { cycle_id: past.id, ..objective(&o, "Close the books faster", None) })
        .await
        .unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "Month-close from 12 to 5 days", 12.0, 5.0, 1.0)).await.unwrap();
    let (late, _) = s.record_check_in(&ctx(), k.id, check_in(8.5)).await.unwrap();
    assert!(late.at.date_naive() > past.end);

    let closed = s.set_cycle_state(&ctx(), past.id, None, CycleState::Closed).await.unwrap();
    assert_eq!(closed.state, CycleState::Closed);
    let err = s.record_check_in(&ctx(), k.id, check_in(5.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::CycleClosed)), "{err:?}");
    let err = s
        .create_objective(&ctx(), NewObjective { cycle_id: past.id, ..objective(&o, "Too late", None) })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::CycleClosed)), "{err:?}");
    let err = s.create_key_result(&ctx(), kr(obj.id, "Too late from 1 to 2", 1.0, 2.0, 1.0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::CycleClosed)), "{err:?}");
    let patch = ObjectivePatch { title: Some(Title::parse("title", "Rewritten").unwrap()), ..Default::default() };
    let err = s.update_objective(&ctx(), obj.id, obj.version, patch).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::CycleClosed)), "{err:?}");
    let err = s.update_cycle(&ctx(), past.id, closed.version, CyclePatch::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(quarterdeck_domain::DomainError::CycleClosed)), "{err:?}");
    assert_eq!(s.get_key_result(k.id).await.unwrap().current_value, Some(8.5));
}

async fn lists_paginate_without_gaps_or_repeats(s: S) {
    let o = org(&s).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(
            s.create_objective(&ctx(), objective(&o, &format!("Objective {i}"), Some(o.team.id))).await.unwrap().id,
        );
    }
    s.create_objective(&ctx(), objective(&o, "Elsewhere", Some(o.company.id))).await.unwrap();
    let filter = ObjectiveFilter { cycle_id: Some(o.cycle.id), unit_id: Some(o.team.id), ..Default::default() };
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = s.list_objectives(filter.clone(), page.clone()).await.unwrap();
        assert!(got.items.len() <= 3);
        seen.extend(got.items.iter().map(|o| o.id));
        match got.next_cursor {
            Some(c) => page = PageRequest::parse(Some(3), Some(&c)).unwrap(),
            None => break,
        }
    }
    assert_eq!(seen, made);

    let obj = s.create_objective(&ctx(), objective(&o, "Check-in history", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "x from 0 to 100", 0.0, 100.0, 1.0)).await.unwrap();
    for v in 0..5 {
        s.record_check_in(&ctx(), k.id, check_in(v as f64 * 10.0)).await.unwrap();
    }
    let first = s.list_check_ins(k.id, PageRequest::first(2)).await.unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    let rest = s.list_check_ins(k.id, PageRequest::parse(Some(10), Some(&cursor)).unwrap()).await.unwrap();
    let values: Vec<f64> = first.items.iter().chain(&rest.items).map(|c| c.value).collect();
    assert_eq!(values, vec![40.0, 30.0, 20.0, 10.0, 0.0]);
    assert!(rest.next_cursor.is_none());
}

async fn concurrent_check_ins_keep_the_objective_score_exact(s: S) {
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Shift to proactive success", None)).await.unwrap();
    let mut krs = Vec::new();
    for i in 0..4 {
        krs.push(
            s.create_key_result(&ctx(), kr(obj.id, &format!("KR {i} from 0 to 10"), 0.0, 10.0, 1.0)).await.unwrap().id,
        );
    }
    let mut tasks = Vec::new();
    for (i, id) in krs.iter().enumerate() {
        for round in 0..5 {
            let s = s.clone();
            let id = *id;
            tasks.push(tokio::spawn(async move {
                s.record_check_in(&ctx(), id, check_in(if round == 4 { (i + 1) as f64 * 2.0 } else { 1.0 })).await
            }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Whatever order they ran in, the stored score is the mean of the stored KR scores.
    let krs_now = s.key_results_of(&[obj.id]).await.unwrap();
    let mean = krs_now.iter().map(|k| k.score).sum::<f64>() / 4.0;
    assert!(close(s.get_objective(obj.id).await.unwrap().score, mean));
}

async fn import_derives_the_same_numbers_as_check_ins(s: S) {
    // Build a small organisation through the API, then import the same facts into a
    // second store and compare the derived numbers.
    let o = org(&s).await;
    let parent = s.create_objective(&ctx(), objective(&o, "Parent", Some(o.company.id))).await.unwrap();
    let child = s.create_objective(&ctx(), objective(&o, "Child", Some(o.team.id))).await.unwrap();
    s.create_alignment(
        &ctx(),
        NewAlignment {
            child_id: child.id,
            parent: AlignmentTarget::Objective(parent.id),
            kind: LinkKind::Contributes,
            weight: Weight::ONE,
        },
    )
    .await
    .unwrap();
    let k1 = s.create_key_result(&ctx(), kr(child.id, "a from 10 to 20", 10.0, 20.0, 2.0)).await.unwrap();
    let k2 = s.create_key_result(&ctx(), kr(child.id, "b from 5 to 1", 5.0, 1.0, 1.0)).await.unwrap();
    s.record_check_in(&ctx(), k1.id, check_in(17.0)).await.unwrap();
    s.record_check_in(&ctx(), k2.id, check_in(4.0)).await.unwrap();
    let live_child = s.get_objective(child.id).await.unwrap();
    let live_parent = s.get_objective(parent.id).await.unwrap();

    let all = PageRequest::first(500);
    let mut snapshot = Snapshot {
        units: s.list_units(UnitFilter::default(), all.clone()).await.unwrap().items,
        people: s.list_people(PersonFilter::default(), all.clone()).await.unwrap().items,
        cycles: s.list_cycles(CycleFilter::default(), all.clone()).await.unwrap().items,
        objectives: s.list_objectives(ObjectiveFilter::default(), all.clone()).await.unwrap().items,
        alignments: s.list_alignments(AlignmentFilter::default(), all.clone()).await.unwrap().items,
        key_results: s.list_key_results(KeyResultFilter::default(), all.clone()).await.unwrap().items,
        check_ins: Vec::new(),
        initiatives: Vec::new(),
    };
    for k in [k1.id, k2.id] {
        snapshot.check_ins.extend(s.list_check_ins(k, all.clone()).await.unwrap().items);
    }
    // Scramble every derived number: import must not trust them.
    for o in &mut snapshot.objectives {
        o.score = 0.99;
        o.rollup = Some(0.42);
    }
    for k in &mut snapshot.key_results {
        k.score = 0.77;
    }
    let (copy, _dir) = sqlite_store().await;
    assert!(copy.is_empty().await.unwrap());
    let counts = copy.import(&ctx(), snapshot).await.unwrap();
    assert_eq!((counts.objectives, counts.key_results, counts.check_ins), (2, 2, 2));
    assert!(!copy.is_empty().await.unwrap());
    let c = copy.get_objective(child.id).await.unwrap();
    let p = copy.get_objective(parent.id).await.unwrap();
    assert!(
        close(c.score, live_child.score) && close(c.score, (2.0 * 0.7 + 0.25) / 3.0),
        "{} vs {}",
        c.score,
        live_child.score
    );
    assert_eq!(p.rollup.map(|r| (r * 1e9).round()), live_parent.rollup.map(|r| (r * 1e9).round()));
    assert_eq!(copy.get_key_result(k1.id).await.unwrap().current_value, Some(17.0));
}

/// The bulk path (`COPY` on PostgreSQL, multi-row inserts on SQLite) stores text with tabs,
/// line ends, backslashes and what reads as COPY's NULL marker exactly, and NULLs as NULLs.
async fn an_import_keeps_every_character_and_null(s: S) {
    let (source, _dir) = sqlite_store().await;
    let o = org(&source).await;
    let tricky = "line one\nline two\tafter a tab, a \\ backslash, \\N, \\t, \r\nünïcode ✓";
    let mut new = objective(&o, "Back\\slash \\N title", Some(o.team.id));
    new.description = LongText::parse("description", tricky).unwrap();
    let with_text = source.create_objective(&ctx(), new).await.unwrap();
    let plain = source.create_objective(&ctx(), objective(&o, "Plain", None)).await.unwrap();
    let k = source.create_key_result(&ctx(), kr(with_text.id, "a from 0.1 to 1e-7", 0.1, 1e-7, 1.0)).await.unwrap();
    source.record_check_in(&ctx(), k.id, check_in(0.05)).await.unwrap();

    let all = PageRequest::first(500);
    let mut snapshot = Snapshot {
        units: source.list_units(UnitFilter::default(), all.clone()).await.unwrap().items,
        people: source.list_people(PersonFilter::default(), all.clone()).await.unwrap().items,
        cycles: source.list_cycles(CycleFilter::default(), all.clone()).await.unwrap().items,
        objectives: source.list_objectives(ObjectiveFilter::default(), all.clone()).await.unwrap().items,
        alignments: Vec::new(),
        key_results: source.list_key_results(KeyResultFilter::default(), all.clone()).await.unwrap().items,
        check_ins: source.list_check_ins(k.id, all.clone()).await.unwrap().items,
        initiatives: Vec::new(),
    };
    snapshot.check_ins[0].note = Note::parse("note", "tab\there, \\N").unwrap().as_str().to_owned();
    assert!(s.is_empty().await.unwrap());
    s.import(&ctx(), snapshot).await.unwrap();

    let got = s.get_objective(with_text.id).await.unwrap();
    assert_eq!(got.description, tricky);
    assert_eq!(got.title, "Back\\slash \\N title");
    assert_eq!(got.unit_id, Some(o.team.id));
    let none = s.get_objective(plain.id).await.unwrap();
    assert_eq!((none.unit_id, none.status_reason), (None, None));
    let kr = s.get_key_result(k.id).await.unwrap();
    assert_eq!((kr.baseline, kr.target, kr.current_value), (0.1, 1e-7, Some(0.05)));
    let notes = s.list_check_ins(k.id, all).await.unwrap().items;
    assert_eq!(notes[0].note, "tab\there, \\N");
    // The unit's people came across with their managers.
    assert_eq!(s.get_person(o.lead.id).await.unwrap().manager_id, Some(o.ceo.id));
}

async fn failed_requests_leave_nothing_behind(s: S) {
    let o = org(&s).await;
    let before = s.list_objectives(ObjectiveFilter::default(), PageRequest::default()).await.unwrap().items.len();
    let mut bad = objective(&o, "Orphan", None);
    bad.owner_id = PersonId(uuid::Uuid::now_v7());
    let err = s.create_objective(&ctx(), bad).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownReference { field: "owner_id", .. }), "{err:?}");
    assert_eq!(
        s.list_objectives(ObjectiveFilter::default(), PageRequest::default()).await.unwrap().items.len(),
        before
    );

    // A check-in refused after the objective was locked leaves no check-in and no score change.
    let obj = s.create_objective(&ctx(), objective(&o, "Atomic", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "x from 0 to 10", 0.0, 10.0, 1.0)).await.unwrap();
    let mut ghost = check_in(5.0);
    ghost.author_id = Some(PersonId(uuid::Uuid::now_v7()));
    assert!(s.record_check_in(&ctx(), k.id, ghost).await.is_err());
    assert!(s.list_check_ins(k.id, PageRequest::default()).await.unwrap().items.is_empty());
    assert_eq!(s.get_objective(obj.id).await.unwrap().score, 0.0);
    let _ = o.company;
}

async fn initiatives_are_tracked_not_scored(s: S) {
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Make mobile the preferred channel", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "Mobile share from 10 to 30", 10.0, 30.0, 1.0)).await.unwrap();
    let i = s
        .create_initiative(
            &ctx(),
            NewInitiative {
                key_result_id: k.id,
                title: Title::parse("title", "A/B test the install prompt").unwrap(),
                kind: InitiativeKind::Experiment,
                status: InitiativeStatus::Planned,
                owner_id: Some(o.lead.id),
                link: Some("https://tracker.example/EXP-1".into()),
            },
        )
        .await
        .unwrap();
    let done = s
        .update_initiative(
            &ctx(),
            i.id,
            i.version,
            InitiativePatch { status: Some(InitiativeStatus::Done), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!((done.status, done.version), (InitiativeStatus::Done, 2));
    assert_eq!(s.get_objective(obj.id).await.unwrap().score, 0.0, "finished work is not progress");
    let listed = s
        .list_initiatives(InitiativeFilter { key_result_id: Some(k.id), ..Default::default() }, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items, vec![done]);
}

async fn the_change_token_moves_with_every_write(s: S) {
    let before = s.change_token().await.unwrap();
    assert_eq!(s.change_token().await.unwrap(), before, "reads leave it alone");
    let _ = s.list_units(UnitFilter::default(), PageRequest::default()).await.unwrap();
    assert_eq!(s.change_token().await.unwrap(), before);
    let o = org(&s).await;
    let after_org = s.change_token().await.unwrap();
    assert_ne!(after_org, before);
    let obj = s.create_objective(&ctx(), objective(&o, "Token", None)).await.unwrap();
    let k = s.create_key_result(&ctx(), kr(obj.id, "x from 0 to 1", 0.0, 1.0, 1.0)).await.unwrap();
    let t1 = s.change_token().await.unwrap();
    s.record_check_in(&ctx(), k.id, check_in(0.5)).await.unwrap();
    assert_ne!(s.change_token().await.unwrap(), t1, "a check-in changes what lists show");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sees_writes_of_another_process() {
    // The CLI writes to the same file as a running server: the server's token must move.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let server = quarterdeck_store_sql::SqlStore::open_sqlite(path.to_str().unwrap()).await.unwrap();
    let cli = quarterdeck_store_sql::SqlStore::open_sqlite(path.to_str().unwrap()).await.unwrap();
    let before = server.change_token().await.unwrap();
    cli.create_unit(
        &ctx(),
        NewUnit {
            slug: Slug::parse("slug", "ops").unwrap(),
            name: Name::parse("name", "Ops").unwrap(),
            kind: UnitKind::Team,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    assert_ne!(server.change_token().await.unwrap(), before);
}

async fn concurrent_check_ins_are_answered_each_on_its_own(s: S) {
    // Check-ins arriving together are written together; each still gets its own answer.
    let o = org(&s).await;
    let obj = s.create_objective(&ctx(), objective(&o, "Batched", None)).await.unwrap();
    let good = s.create_key_result(&ctx(), kr(obj.id, "good from 0 to 100", 0.0, 100.0, 1.0)).await.unwrap();
    let dead = s.create_key_result(&ctx(), kr(obj.id, "dead from 0 to 100", 0.0, 100.0, 1.0)).await.unwrap();
    s.set_key_result_status(
        &ctx(),
        dead.id,
        None,
        KeyResultStatusChange::Kill { reason: Reason::parse("reason", "gone").unwrap() },
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        let target = if i % 2 == 0 { good.id } else { dead.id };
        tasks.push(tokio::spawn(async move {
            let mut c = check_in(i as f64);
            if i % 4 == 0 {
                c.author_id = Some(PersonId(uuid::Uuid::now_v7()));
            }
            (i, s.record_check_in(&ctx(), target, c).await)
        }));
    }
    let mut stored = 0;
    for t in tasks {
        let (i, result) = t.await.unwrap();
        match (i % 2, i % 4, result) {
            (0, 0, Err(StoreError::UnknownReference { field: "author_id", .. })) => {}
            (0, _, Ok((c, k))) => {
                assert_eq!((c.value, k.id), (i as f64, good.id));
                stored += 1;
            }
            (1, _, Err(StoreError::Domain(quarterdeck_domain::DomainError::KeyResultNotActive { .. }))) => {}
            (_, _, other) => panic!("check-in {i}: unexpected {other:?}"),
        }
    }
    assert_eq!(stored, 10);
    let history = s.list_check_ins(good.id, PageRequest::first(100)).await.unwrap();
    assert_eq!(history.items.len(), 10);
    let now = s.get_key_result(good.id).await.unwrap();
    let latest = history.items.iter().max_by_key(|c| (c.at, c.id)).unwrap();
    assert_eq!(now.current_value, Some(latest.value));
    assert!(close(s.get_objective(obj.id).await.unwrap().score, now.score), "the killed KR does not count");
}

async fn the_coachs_facts_are_kept_by_the_write_path(s: S) {
    use quarterdeck_domain::coach::policy::{Overrides, PolicySettings, Preset};
    let o = org(&s).await;

    // The policy: defaults until set; one version guards it with every other setting.
    let (policy, v) = s.coach_policy().await.unwrap();
    assert_eq!(policy, PolicySettings::default());
    assert_eq!(v, s.settings().await.unwrap().version);
    let mut strict = PolicySettings::default();
    strict.organisation.preset = Some(Preset::Strict);
    strict.units.insert(o.team.id.to_string(), Overrides { max_key_results: Some(4), ..Overrides::default() });
    let (saved, v2) = s.set_coach_policy(&ctx(), v, strict.clone()).await.unwrap();
    assert_eq!((saved, v2), (strict.clone(), v + 1));
    assert_eq!(s.coach_policy().await.unwrap(), (strict.clone(), v + 1));
    assert_eq!(s.settings().await.unwrap().version, v + 1, "the shared version moved");
    let stale = s.set_coach_policy(&ctx(), v, PolicySettings::default()).await.unwrap_err();
    assert!(matches!(stale, StoreError::Stale { .. }), "{stale:?}");
    assert_eq!(s.coach_policy().await.unwrap().0, strict, "a stale write changes nothing");

    // People per unit, counted directly.
    let before = s.directory_version().await.unwrap();
    let cy = s.create_person(&ctx(), new_person("Cy", "cy@acme.test", Some(o.team.id), None)).await.unwrap();
    assert_eq!(s.directory_version().await.unwrap(), before + 1, "a person written moves the directory's version");
    // A person found by address, as an invitation links a user to the directory.
    assert_eq!(s.find_person_by_email("cy@acme.test").await.unwrap().map(|p| p.id), Some(cy.id));
    assert_eq!(s.find_person_by_email("Cy@Acme.test").await.unwrap().map(|p| p.id), Some(cy.id), "any case");
    assert_eq!(s.find_person_by_email("nobody@acme.test").await.unwrap(), None);
    let mut counts = s.people_per_unit(&[o.team.id, o.company.id]).await.unwrap();
    counts.sort_by_key(|(u, _)| *u == o.company.id);
    assert_eq!(counts, vec![(o.team.id, 2), (o.company.id, 1)]);
    assert!(s.people_per_unit(&[]).await.unwrap().is_empty());

    // Rewrites count title and description changes while the cycle runs, nothing else.
    let obj = s.create_objective(&ctx(), objective(&o, "Delight new customers", Some(o.team.id))).await.unwrap();
    let kr = s.create_key_result(&ctx(), kr(obj.id, "NPS from 30 to 40", 30.0, 40.0, 1.0)).await.unwrap();
    s.record_check_in(&ctx(), kr.id, check_in(33.0)).await.unwrap();
    assert_eq!(s.directory_version().await.unwrap(), before + 1, "objectives and check-ins leave it");
    let renamed = UnitPatch { name: Some(Name::parse("name", "Team Delight").unwrap()), ..Default::default() };
    let team = s.get_unit(o.team.id).await.unwrap();
    s.update_unit(&ctx(), o.team.id, team.version, renamed).await.unwrap();
    assert_eq!(s.directory_version().await.unwrap(), before + 2, "a unit renamed moves it");
    assert_eq!(obj.rewrites, 0);
    let title = |t: &str| ObjectivePatch { title: Some(Title::parse("title", t).unwrap()), ..Default::default() };
    let obj = s.update_objective(&ctx(), obj.id, obj.version, title("Delight every new customer")).await.unwrap();
    assert_eq!(obj.rewrites, 1);
    let same = s.update_objective(&ctx(), obj.id, obj.version, title("Delight every new customer")).await.unwrap();
    let owner = ObjectivePatch { owner_id: Some(o.ceo.id), ..Default::default() };
    let moved = s.update_objective(&ctx(), same.id, same.version, owner).await.unwrap();
    assert_eq!(moved.rewrites, 1, "an unchanged title or a new owner is no rewrite");
    let next = CycleDates::quarter_of(o.cycle.end + Duration::days(1));
    let next = NewCycle { dates: next, state: CycleState::Planning, ..quarter(CycleState::Planning) };
    let cycle = s.create_cycle(&ctx(), next).await.unwrap();
    let draft = NewObjective { cycle_id: cycle.id, status: ObjectiveStatus::Draft, ..objective(&o, "Draft", None) };
    let draft = s.create_objective(&ctx(), draft).await.unwrap();
    let draft = s.update_objective(&ctx(), draft.id, draft.version, title("Draft, reworded")).await.unwrap();
    assert_eq!(draft.rewrites, 0, "drafting while planning is not rewriting");
}

async fn the_quarter_end_carries_retires_and_keeps_grades(s: S) {
    use quarterdeck_domain::kpi::definition::{Aggregation, KpiDirection, KpiKey, Target};
    use quarterdeck_domain::okr::QuarterEndDecision;
    use quarterdeck_store::kpi::{KpiChange, NewKpi};
    let o = org(&s).await;
    let next = CycleDates::quarter_of(o.cycle.end + Duration::days(1));
    let next = s
        .create_cycle(&ctx(), NewCycle { dates: next, state: CycleState::Planning, ..quarter(CycleState::Planning) })
        .await
        .unwrap();
    let obj = s.create_objective(&ctx(), objective(&o, "Make onboarding a delight", Some(o.team.id))).await.unwrap();
    let ttfv =
        s.create_key_result(&ctx(), kr(obj.id, "Time to first value from 14 to 5 days", 14.0, 5.0, 1.0)).await.unwrap();
    let nps = s.create_key_result(&ctx(), kr(obj.id, "Onboarding NPS from 32 to 50", 32.0, 50.0, 1.0)).await.unwrap();
    let tickets = s.create_key_result(&ctx(), kr(obj.id, "Tickets from 900 to 500", 900.0, 500.0, 1.0)).await.unwrap();
    s.record_check_in(&ctx(), ttfv.id, check_in(5.0)).await.unwrap();
    s.record_check_in(&ctx(), nps.id, check_in(41.0)).await.unwrap();
    s.record_check_in(&ctx(), tickets.id, check_in(700.0)).await.unwrap();

    // Mid-cycle: the copy starts in the next cycle from 41, the original leaves this score.
    let (original, copy) = s.carry_forward(&ctx(), nps.id, None, next.id, true).await.unwrap();
    assert_eq!(original.status, KeyResultStatus::CarriedForward);
    assert_eq!((original.decision, original.carried_to), (Some(QuarterEndDecision::CarryForward), Some(copy.id)));
    assert_eq!((copy.baseline, copy.target, copy.key.as_str()), (41.0, 50.0, nps.key.as_str()));
    let there = s.get_objective(copy.objective_id).await.unwrap();
    assert_eq!((there.cycle_id, there.key.as_str(), there.status), (next.id, obj.key.as_str(), ObjectiveStatus::Draft));
    let again = s.carry_forward(&ctx(), nps.id, None, next.id, true).await.unwrap_err();
    assert!(matches!(again, StoreError::Domain(ref d) if d.code().as_str() == "already_carried_forward"), "{again:?}");
    let stale = s.carry_forward(&ctx(), tickets.id, Some(tickets.version + 7), next.id, true).await.unwrap_err();
    assert!(matches!(stale, StoreError::Stale { .. }), "{stale:?}");

    // The cycle closes; its grades are final.
    let graded = s.get_objective(obj.id).await.unwrap().score;
    // Calibration reads three numbers of each objective that counts (the draft in the next
    // cycle does not), of a unit or of all.
    let grades = s.objective_grades(o.cycle.id, Some(o.team.id)).await.unwrap();
    assert_eq!(grades.len(), 1);
    assert_eq!((grades[0].unit_id, grades[0].kind, grades[0].score), (Some(o.team.id), obj.kind, graded));
    assert_eq!(s.objective_grades(o.cycle.id, None).await.unwrap().len(), 1);
    assert!(s.objective_grades(next.id, None).await.unwrap().is_empty(), "drafts are not graded");
    assert!(s.objective_grades(o.cycle.id, Some(o.company.id)).await.unwrap().is_empty());
    s.set_cycle_state(&ctx(), o.cycle.id, None, CycleState::Closed).await.unwrap();
    // At the end of a closed cycle: carrying forward copies without moving the grade, into
    // the same objective there.
    let (original, copy) = s.carry_forward(&ctx(), tickets.id, None, next.id, false).await.unwrap();
    assert_eq!(original.status, KeyResultStatus::Active);
    assert_eq!((copy.baseline, copy.objective_id), (700.0, there.id));
    // Retired into a KPI, in one write: "TTFV ≤ 5 days".
    let mut new = NewKpi::basic(
        KpiKey::parse("ttfv").unwrap(),
        Name::parse("name", "Time to first value").unwrap(),
        Aggregation::Mean,
        KpiDirection::LowerIsBetter,
    );
    new.target = Some(Target::Value { value: 5.0 });
    new.baseline = Some(5.0);
    let (retired, kpi) = s.retire_into_kpi(&ctx(), ttfv.id, KpiChange::Create(new.clone())).await.unwrap();
    assert_eq!(retired.decision, Some(QuarterEndDecision::RetireIntoKpi));
    assert_eq!((kpi.target, kpi.baseline), (Some(Target::Value { value: 5.0 }), Some(5.0)));
    // A failing KPI write records nothing: the same key again is a duplicate.
    let dup = s.retire_into_kpi(&ctx(), tickets.id, KpiChange::Create(new)).await.unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { .. }), "{dup:?}");
    assert_eq!(s.get_key_result(tickets.id).await.unwrap().decision, Some(QuarterEndDecision::CarryForward));
    let retire = s.retire_key_result(&ctx(), tickets.id).await.unwrap_err();
    assert!(matches!(retire, StoreError::Domain(ref d) if d.code().as_str() == "already_carried_forward"));
    assert_eq!(s.get_objective(obj.id).await.unwrap().score, graded, "the grade never moves after closing");
    // Nothing else in a closed cycle changes.
    let closed = s.record_check_in(&ctx(), tickets.id, check_in(600.0)).await.unwrap_err();
    assert!(matches!(closed, StoreError::Domain(ref d) if d.code().as_str() == "cycle_closed"), "{closed:?}");

    // The retro: written after the close, versioned.
    assert!(s.retro(obj.id).await.unwrap().is_none());
    let notes = |m: &str| RetroNotes {
        moved: LongText::parse("moved", m).unwrap(),
        not_moved: LongText::parse("not_moved", "NPS stalled at 41").unwrap(),
        learnings: LongText::parse("learnings", "Guided setup works").unwrap(),
    };
    let r = s.set_retro(&ctx(), obj.id, None, notes("TTFV hit 5 days")).await.unwrap();
    assert_eq!((r.version, r.moved.as_str()), (1, "TTFV hit 5 days"));
    let r2 = s.set_retro(&ctx(), obj.id, Some(1), notes("TTFV hit 5 days in week 9")).await.unwrap();
    assert_eq!(r2.version, 2);
    let stale = s.set_retro(&ctx(), obj.id, Some(1), notes("late")).await.unwrap_err();
    assert!(matches!(stale, StoreError::Stale { .. }), "{stale:?}");
    let first_again = s.set_retro(&ctx(), obj.id, None, notes("late")).await.unwrap_err();
    assert!(matches!(first_again, StoreError::Stale { .. }), "a second first retro is a conflict, not an overwrite");
    assert_eq!(s.retro(obj.id).await.unwrap().unwrap().moved, "TTFV hit 5 days in week 9");
}
