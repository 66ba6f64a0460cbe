//! The coach run over a cycle in storage, on both backends: findings by rule and record, by
//! the organisation's and a unit's policy; forecasts from check-ins.

use chrono::{TimeZone, Utc};
use quarterdeck_app::coach::{Scope, draft_findings};
use quarterdeck_app::objectives::{ObjectiveQuery, UpdateObjective};
use quarterdeck_app::{App, Clock};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::coach::policy::{Overrides, PolicySettings, Preset};
use quarterdeck_domain::coach::{RuleId, Severity, SubjectKind};
use quarterdeck_domain::error::Code;
use quarterdeck_domain::text::Title;
use quarterdeck_store::{PageRequest, Store};
use quarterdeck_store_sql::backend_tests;
use std::collections::BTreeSet;
use std::sync::Arc;

mod common;
use common::*;

backend_tests!(
    the_coach_reviews_a_cycle_by_its_policy,
    a_forecast_needs_three_check_ins,
    scores_that_always_hit_one_read_as_sandbagging,
    a_whole_cycles_review_recomputes_what_each_write_changed,
    the_organisations_bands_colour_every_view,
);

fn titled(mut o: quarterdeck_app::plan::PlanObjective, title: &str) -> quarterdeck_app::plan::PlanObjective {
    o.title = Title::parse("title", title).unwrap();
    o
}

async fn the_coach_reviews_a_cycle_by_its_policy(store: Arc<dyn Store>) {
    let mut p = plan();
    let objectives = &mut p.cycles[0].objectives;
    objectives[0] = titled(objectives[0].clone(), "Grow revenue by 20%");
    objectives[1] = titled(objectives[1].clone(), "Launch the mobile app");
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    app.apply_plan(p).await.unwrap();

    let review = app.review("current", Scope::default()).await.unwrap();
    let found: BTreeSet<(RuleId, SubjectKind)> = review.findings.iter().map(|f| (f.rule, f.subject.kind)).collect();
    let want = BTreeSet::from([
        (RuleId::ObjectiveNumber, SubjectKind::Objective),
        (RuleId::ObjectiveTask, SubjectKind::Objective),
        // One key result each, where the balanced preset asks for two.
        (RuleId::TooFewKeyResults, SubjectKind::Objective),
        // Typed in by hand: no KPI measures them.
        (RuleId::KrNoSource, SubjectKind::KeyResult),
        // Last check-ins on 12 October, and today is 20 November.
        (RuleId::Stale, SubjectKind::KeyResult),
        // The team has one person.
        (RuleId::SmallTeam, SubjectKind::Unit),
    ]);
    assert_eq!(found, want, "{:#?}", review.findings);
    assert_eq!(review.tally.errors, 0);
    assert_eq!(review.cycle_name, "Q4 2026");
    let stale = review.findings.iter().find(|f| f.rule == RuleId::Stale).unwrap();
    assert!(stale.message.contains("5 weeks"), "{}", stale.message);
    assert_eq!(stale.severity, Severity::Warning);

    // Narrowed to the team, or to the team's objective.
    let team = app
        .review("current", Scope { unit: app.resolve_unit_id("unit", Some("team")).await.unwrap(), objective: None })
        .await
        .unwrap();
    assert!(team.findings.iter().all(|f| f.subject.title != "Grow revenue by 20%"));
    assert!(team.findings.iter().any(|f| f.rule == RuleId::ObjectiveTask));
    let ship = app
        .list_objectives(ObjectiveQuery { key: Some("ship".into()), ..Default::default() }, PageRequest::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    let own = app.review_objective(ship.id).await.unwrap();
    assert!(own.findings.iter().any(|f| f.rule == RuleId::ObjectiveTask));
    assert!(own.findings.iter().all(|f| f.rule != RuleId::ObjectiveNumber), "another objective's findings stay out");

    // A policy: strict for the organisation, the small-team note off, and one unit allowed
    // a single key result (by slug).
    let policy = app.coach_policy().await.unwrap();
    let organisation =
        Overrides { preset: Some(Preset::Strict), disabled: Some(vec![RuleId::SmallTeam]), ..Overrides::default() };
    let mut settings = PolicySettings { organisation, ..PolicySettings::default() };
    settings.units.insert("team".into(), Overrides { min_key_results: Some(1), ..Overrides::default() });
    let saved = app.set_coach_policy(policy.version, settings.clone()).await.unwrap();
    assert_eq!(saved.organisation.max_objectives_per_team, 1);
    let team_id = app.get_unit("team").await.unwrap().id.to_string();
    assert!(saved.settings.units.contains_key(&team_id), "units are stored by id");
    let review = app.review("current", Scope::default()).await.unwrap();
    let rules: Vec<(RuleId, &str)> = review.findings.iter().map(|f| (f.rule, f.subject.title.as_str())).collect();
    assert!(rules.contains(&(RuleId::TooFewKeyResults, "Grow revenue by 20%")), "strict asks the company for 3");
    assert!(!rules.contains(&(RuleId::TooFewKeyResults, "Launch the mobile app")), "the team's own minimum is 1");
    assert!(review.findings.iter().all(|f| f.rule != RuleId::SmallTeam));

    // Bad settings name their field and change nothing; a stale version is a conflict.
    let mut bad = settings.clone();
    bad.organisation.max_key_results = Some(2);
    let e = app.set_coach_policy(saved.version, bad).await.unwrap_err();
    assert_eq!(e.code, Code::OutOfRange, "{e:?}");
    assert!(e.message.contains("min_key_results"), "{}", e.message);
    let mut unknown = settings.clone();
    unknown.units.insert("nowhere".into(), Overrides::default());
    let e = app.set_coach_policy(saved.version, unknown).await.unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (Code::UnknownUnit, Some("units")));
    let e = app.set_coach_policy(policy.version, settings).await.unwrap_err();
    assert_eq!(e.code, Code::VersionConflict, "{e:?}");

    // Rewriting the objective three times while the cycle runs.
    let mut version = ship.version;
    for title in [
        "Make mobile our customers' channel",
        "Make mobile our customers' preferred channel",
        "Make mobile the channel",
    ] {
        let input = UpdateObjective { title: Some(title.into()), ..Default::default() };
        version = app.update_objective(ship.id, version, input).await.unwrap().version;
    }
    let own = app.review_objective(ship.id).await.unwrap();
    let rewritten = own.findings.iter().find(|f| f.rule == RuleId::Rewritten).expect("rewritten");
    assert!(rewritten.message.contains("3 times"), "{}", rewritten.message);

    // A whole cycle's review is kept between writes, and never older than the last write,
    // even one made through another `App` (another server's).
    let whole = app.review("current", Scope::default()).await.unwrap();
    let task = |r: &quarterdeck_app::coach::Review| {
        r.findings.iter().any(|f| f.rule == RuleId::ObjectiveTask && f.subject.title == "Launch the tablet app")
    };
    assert!(!task(&whole));
    let other = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    let input = UpdateObjective { title: Some("Launch the tablet app".into()), ..Default::default() };
    other.update_objective(ship.id, version, input).await.unwrap();
    let after = app.review("current", Scope::default()).await.unwrap();
    assert!(task(&after), "{:#?}", after.findings);
    assert_eq!(after.findings.len(), app.review("current", Scope::default()).await.unwrap().findings.len());
}

async fn a_forecast_needs_three_check_ins(store: Arc<dyn Store>) {
    let mut p = plan();
    // revenue: 0 → 100 with two check-ins; adoption: 10 → 20 with four, a week apart.
    p.cycles[0].objectives[1].key_results[0] = kr("adoption", 10.0, 20.0, &[11.0, 12.0, 14.0, 15.0]);
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    app.apply_plan(p).await.unwrap();
    let krs = |key: &str| {
        let app = app.clone();
        let key = key.to_owned();
        async move {
            let q = ObjectiveQuery { key: Some(key), with_key_results: true, ..Default::default() };
            app.list_objectives(q, PageRequest::first(1)).await.unwrap().items.remove(0).key_results.unwrap().remove(0)
        }
    };
    let revenue = krs("grow").await;
    let none = app.forecast_key_result(revenue.id).await.unwrap();
    assert!(none.forecast.is_none());
    assert_eq!(none.check_ins, 2);
    assert!(none.no_forecast.unwrap().contains("at least 3"));

    let adoption = krs("ship").await;
    let f = app.forecast_key_result(adoption.id).await.unwrap();
    let landing = f.forecast.expect("four check-ins make a forecast");
    assert_eq!(f.check_ins, 4);
    // 11, 12, 14, 15 a week apart: 4.4/3 ≈ 1.37 a week, from 11 on 5 October.
    assert!((landing.per_week - 1.4).abs() < 1e-9, "{}", landing.per_week);
    assert!(landing.p80_low < landing.p50 && landing.p50 < landing.p80_high);
    assert_eq!(landing.on, "2026-12-31".parse().unwrap());
    assert_eq!(landing.fit.n, 4);
    assert_eq!(landing.fit.df, 2);
    // It needs (20 − 15) over the weeks left from now to the end of 31 December.
    let end = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let weeks_left = (end - now()).num_seconds() as f64 / (7.0 * 86_400.0);
    assert!((landing.needed_per_week.unwrap() - 5.0 / weeks_left).abs() < 1e-9);
    let last = landing.band.last().unwrap();
    assert_eq!((last.at, last.p50), (end, landing.p50));
    assert!(landing.band.first().unwrap().at == Utc.with_ymd_and_hms(2026, 10, 26, 9, 0, 0).unwrap());
    assert!(landing.formula.contains("n − 2"));
}

#[test]
fn drafts_are_judged_by_their_words() {
    let found = draft_findings(Some("Launch the mobile app"), Some("Maximize downloads"));
    let rules: Vec<RuleId> = found.iter().map(|f| f.0).collect();
    assert_eq!(rules, vec![RuleId::ObjectiveTask, RuleId::KrNoTarget, RuleId::KrUnmeasurable]);
    assert!(
        draft_findings(Some("Make mobile our customers' preferred channel"), Some("Weekly mobile users from 2k to 5k"))
            .is_empty()
    );
    assert!(draft_findings(Some("  "), None).is_empty());
}

async fn scores_that_always_hit_one_read_as_sandbagging(store: Arc<dyn Store>) {
    use quarterdeck_app::plan::PlanCycle;
    use quarterdeck_domain::calibration::CalibrationFlag;
    use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
    let mut p = plan();
    for (name, start, end) in [("Q2 2026", "2026-04-01", "2026-06-30"), ("Q3 2026", "2026-07-01", "2026-09-30")] {
        let dates = CycleDates::new(start.parse().unwrap(), end.parse().unwrap()).unwrap();
        let mut done = kr("easy", 10.0, 20.0, &[]);
        done.check_ins = vec![quarterdeck_app::plan::PlanCheckIn {
            at: Utc.from_utc_datetime(&dates.end().and_hms_opt(9, 0, 0).unwrap()),
            value: 20.0,
            confidence: quarterdeck_domain::okr::Confidence::OnTrack,
            note: quarterdeck_domain::text::Note::parse("note", "done").unwrap(),
            author: Some(email("lead@example.com")),
        }];
        p.cycles.push(PlanCycle {
            name: Title::parse("name", name).unwrap(),
            kind: CycleKind::Quarter,
            dates,
            state: CycleState::Closed,
            objectives: vec![objective("safe", "lead@example.com", "team", vec![done])],
            alignments: Vec::new(),
        });
    }
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    app.apply_plan(p).await.unwrap();
    let c = app.calibration(Some("team")).await.unwrap();
    assert_eq!(c.calibration.flag, CalibrationFlag::Sandbagging, "{c:?}");
    assert_eq!(c.calibration.cycle_means, vec![1.0, 1.0]);
    assert_eq!(c.calibration.share_of_ones, Some(1.0));
    // Newest first: the running quarter so far (adoption 12 → 17 of 10 → 20: 0.7), then the closed ones.
    let names: Vec<&str> = c.cycles.iter().map(|x| x.cycle_name.as_str()).collect();
    assert_eq!(names, vec!["Q4 2026", "Q3 2026", "Q2 2026"]);
    assert!((c.cycles[0].okr_completion_share.unwrap() - 0.7).abs() < 1e-9);
    // The organisation as a whole: both teams' objectives, and the team flagged by name.
    let org = app.calibration(None).await.unwrap();
    assert_eq!(org.cycles[0].objectives, 2);
    let flagged: Vec<(&str, CalibrationFlag)> =
        org.flagged_teams.iter().map(|t| (t.unit_slug.as_str(), t.calibration.flag)).collect();
    assert_eq!(flagged, vec![("team", CalibrationFlag::Sandbagging)]);
    assert_eq!(org.teams_by_flag.get(&CalibrationFlag::Sandbagging), Some(&1));

    // The KPI completion share of each cycle: each KPI's last period in it, against the
    // target in force on its last day. Latency had no target in Q2, so Q2 judges uptime only.
    use quarterdeck_app::measurements::{BatchFormat, PointIn};
    for (name, target, direction, set_on) in
        [("Uptime", 99.0, "higher_is_better", "2026-04-01"), ("Latency", 200.0, "lower_is_better", "2026-08-01")]
    {
        let input = serde_json::json!({"name": name, "unit": "team", "cadence": "monthly", "aggregation": "mean",
            "direction": direction, "target": target, "target_set_on": set_on});
        app.create_kpi(serde_json::from_value(input).unwrap()).await.unwrap();
    }
    let point =
        |kpi: &str, at: &str, value: f64| PointIn { kpi: Some(kpi.into()), at: at.into(), value, segment: None };
    let points = vec![
        point("uptime", "2026-06-15", 99.5),
        point("uptime", "2026-09-15", 97.0),
        point("uptime", "2026-11-02", 99.2),
        point("latency", "2026-06-15", 150.0),
        point("latency", "2026-09-15", 150.0),
    ];
    app.ingest(points, None, BatchFormat::Json, 1_000).await.unwrap();
    let c = app.calibration(Some("team")).await.unwrap();
    let shares: Vec<(Option<f64>, usize)> =
        c.cycles.iter().map(|x| (x.kpi_completion_share_pct, x.kpis_judged)).collect();
    assert_eq!(shares, vec![(Some(100.0), 1), (Some(50.0), 2), (Some(100.0), 1)], "Q4 so far, Q3, Q2: {c:?}");
    let org = app.calibration(None).await.unwrap();
    assert_eq!(org.cycles[1].kpi_completion_share_pct, Some(50.0), "the organisation's are the same two KPIs");
}

/// After each kind of write, the review kept per objective (recomputing the objectives a write
/// changed) equals a review computed from scratch by an application that kept nothing.
async fn a_whole_cycles_review_recomputes_what_each_write_changed(store: Arc<dyn Store>) {
    use quarterdeck_app::key_results::RecordCheckIn;
    use quarterdeck_app::org::CreatePerson;
    use quarterdeck_domain::okr::Confidence;
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    app.apply_plan(plan()).await.unwrap();
    let from_scratch = |at: chrono::DateTime<Utc>| {
        let store = store.clone();
        async move {
            let fresh = App::new(store).with_clock(Clock::Fixed(at)).acting_as(Actor::Import);
            fresh.review("current", Scope::default()).await.unwrap()
        }
    };
    let rules = |r: &quarterdeck_app::coach::Review, rule: RuleId| r.findings.iter().filter(|f| f.rule == rule).count();
    let first = app.review("current", Scope::default()).await.unwrap();
    assert_eq!(first.findings, from_scratch(now()).await.findings);
    let stale = rules(&first, RuleId::Stale);
    assert!(stale > 0, "{:#?}", first.findings);

    // A check-in: that key result is no longer stale, nothing else moves.
    let ship = app
        .list_objectives(
            ObjectiveQuery { key: Some("ship".into()), with_key_results: true, ..Default::default() },
            PageRequest::first(1),
        )
        .await
        .unwrap()
        .items
        .remove(0);
    let kr = ship.key_results.as_ref().unwrap()[0].id;
    let check_in = RecordCheckIn {
        value: Some(15.0),
        confidence: Confidence::OnTrack,
        note: "up".into(),
        author_id: None,
        at: None,
    };
    app.record_check_in(kr, check_in).await.unwrap();
    let after = app.review("current", Scope::default()).await.unwrap();
    assert_eq!(rules(&after, RuleId::Stale), stale - 1);
    assert_eq!(after.findings, from_scratch(now()).await.findings);

    // A title with a number; then a policy; then people joining the team: each as from scratch.
    let input = UpdateObjective { title: Some("Win 30 new markets".into()), ..Default::default() };
    app.update_objective(ship.id, ship.version, input).await.unwrap();
    let after = app.review("current", Scope::default()).await.unwrap();
    assert!(
        after.findings.iter().any(|f| f.rule == RuleId::ObjectiveNumber && f.subject.title == "Win 30 new markets")
    );
    assert_eq!(after.findings, from_scratch(now()).await.findings);
    let policy = app.coach_policy().await.unwrap();
    let strict = Overrides { preset: Some(Preset::Strict), ..Overrides::default() };
    let settings = PolicySettings { organisation: strict, ..PolicySettings::default() };
    app.set_coach_policy(policy.version, settings).await.unwrap();
    let after = app.review("current", Scope::default()).await.unwrap();
    let asks = |r: &quarterdeck_app::coach::Review| {
        r.findings.iter().filter(|f| f.rule == RuleId::TooFewKeyResults && f.message.contains("strict policy")).count()
    };
    assert_eq!(asks(&first), 0);
    assert!(asks(&after) > 0, "every objective's findings under the new policy: {:#?}", after.findings);
    assert_eq!(after.findings, from_scratch(now()).await.findings);
    let team = app.resolve_unit_id("unit", Some("team")).await.unwrap();
    for i in 0..8 {
        let person =
            CreatePerson { name: format!("P{i}"), email: format!("p{i}@example.com"), unit_id: team, manager_id: None };
        app.create_person(person).await.unwrap();
    }
    let after = app.review("current", Scope::default()).await.unwrap();
    assert_eq!(rules(&after, RuleId::SmallTeam), 0, "nine people are no small team");
    assert_eq!(after.findings, from_scratch(now()).await.findings);

    // The cycle renamed and started earlier: its name and every never-checked-in key result's
    // age follow.
    let cycle = app.get_cycle("current").await.unwrap();
    let moved = quarterdeck_app::cycles::UpdateCycle {
        version: None,
        name: Some("Q4 2026, moved".into()),
        start: Some("2026-09-01".parse().unwrap()),
        end: None,
    };
    app.update_cycle(&cycle.id.to_string(), cycle.version, moved).await.unwrap();
    let after = app.review("current", Scope::default()).await.unwrap();
    assert_eq!(after.cycle_name, "Q4 2026, moved");
    assert_eq!(after.findings, from_scratch(now()).await.findings);

    // Three weeks later, by the same application: more key results have gone stale.
    let later = now() + chrono::Duration::weeks(3);
    let app = app.with_clock(Clock::Fixed(later));
    let after = app.review("current", Scope::default()).await.unwrap();
    assert!(rules(&after, RuleId::Stale) >= stale, "{:#?}", after.findings);
    assert_eq!(after.findings, from_scratch(later).await.findings);
}

/// The organisation's colour bands, set in its coach policy, colour the objectives everywhere:
/// one read alone and the list pages' kept views alike.
async fn the_organisations_bands_colour_every_view(store: Arc<dyn Store>) {
    let app = App::new(store.clone()).with_clock(Clock::Fixed(now())).acting_as(Actor::Import);
    app.apply_plan(plan()).await.unwrap();
    let ship = || async {
        let q = ObjectiveQuery { key: Some("ship".into()), ..Default::default() };
        app.list_objectives(q, PageRequest::first(1)).await.unwrap().items.remove(0)
    };
    let colour = |c: &quarterdeck_domain::scoring::Colour| serde_json::to_value(c).unwrap();
    let before = ship().await;
    assert!(before.score >= 0.7 && before.score < 0.8, "adoption 12 → 17 of 10 → 20: {}", before.score);
    assert_eq!(colour(&before.colour), "green");
    let policy = app.coach_policy().await.unwrap();
    let bands = Overrides { green_from: Some(0.8), ..Overrides::default() };
    app.set_coach_policy(policy.version, PolicySettings { organisation: bands, ..PolicySettings::default() })
        .await
        .unwrap();
    assert_eq!(colour(&ship().await.colour), "amber", "the list's kept view follows the bands");
    assert_eq!(colour(&app.get_objective(before.id).await.unwrap().colour), "amber");
    // Another server reads the bands with the settings.
    let other = App::open(store.clone()).await.unwrap().with_clock(Clock::Fixed(now()));
    assert_eq!(colour(&other.get_objective(before.id).await.unwrap().colour), "amber");
}
