//! The KPI half of the store contract, on SQLite and (when configured) PostgreSQL.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::formula::Formula;
use quarterdeck_domain::kpi::health::HealthStatus;
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_domain::kpi::stats::percentile;
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;
use quarterdeck_store::input::*;
use quarterdeck_store::kpi::*;
use quarterdeck_store::records::{Cycle, Person};
use quarterdeck_store::{PageRequest, Store, StoreError};
use quarterdeck_store_sql::backend_tests;
use std::sync::Arc;

type S = Arc<dyn Store>;

/// Writes in these tests are made by an API client, now.
fn ctx() -> quarterdeck_store::Ctx {
    quarterdeck_store::Ctx::new(quarterdeck_domain::actor::Actor::Api, chrono::Utc::now())
}

backend_tests!(
    dictionary_entries_keep_their_target_history,
    ingest_keeps_period_values_current_and_is_idempotent,
    percentiles_and_means_match_the_definitions,
    derived_kpis_follow_their_inputs,
    a_breached_guardrail_pauses_its_objective_and_recovery_resumes_it,
    key_results_linked_to_a_kpi_take_its_value,
    driver_trees_kras_and_counterweights,
    data_sources_are_claimed_exactly_once,
    a_bad_row_rejects_the_whole_batch,
    periods_are_days_of_the_organisations_time_zone,
    where_each_kpi_stood_at_a_cycles_end,
);

fn kpi(key: &str, aggregation: Aggregation, direction: KpiDirection, target: Option<Target>) -> NewKpi {
    let name = quarterdeck_domain::text::Name::parse("name", &key.replace('_', " ")).unwrap();
    NewKpi { target, ..NewKpi::basic(KpiKey::parse(key).unwrap(), name, aggregation, direction) }
}

fn at(day: &str, hour: u32) -> DateTime<Utc> {
    let d: NaiveDate = day.parse().unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
}

fn point(kpi: KpiId, when: DateTime<Utc>, value: f64, segment: Option<&str>) -> NewMeasurement {
    NewMeasurement { kpi_id: kpi, at: when, value, segment: segment.map(Into::into) }
}

async fn period(s: &S, kpi: KpiId, g: Granularity, day: &str, segment: Option<&str>) -> Option<PeriodValue> {
    let start = Period::containing(g, day.parse().unwrap()).start;
    s.list_periods(kpi, g, segment.map(Into::into), Some(start), Some(start), 10).await.unwrap().into_iter().next()
}

async fn dictionary_entries_keep_their_target_history(s: S) {
    let mut nps = kpi("nps", Aggregation::Mean, KpiDirection::HigherIsBetter, Some(Target::Value { value: 40.0 }));
    nps.target_set_on = Some("2026-01-01".parse().unwrap());
    let created = s.create_kpi(&ctx(), nps.clone()).await.unwrap();
    assert_eq!(created.target, Some(Target::Value { value: 40.0 }));
    let err = s.create_kpi(&ctx(), nps).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "key", .. }), "{err:?}");
    let mut ghost = kpi("ghost", Aggregation::Sum, KpiDirection::HigherIsBetter, None);
    ghost.owner_id = Some(PersonId(uuid::Uuid::now_v7()));
    assert!(matches!(
        s.create_kpi(&ctx(), ghost).await.unwrap_err(),
        StoreError::UnknownReference { field: "owner_id", .. }
    ));
    let mut guard = kpi("refunds", Aggregation::Mean, KpiDirection::LowerIsBetter, None);
    guard.guardrail = true;
    let err = s.create_kpi(&ctx(), guard).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "guardrail_needs_threshold"), "{err:?}");

    let patch = KpiPatch {
        target: Some((Some(Target::Value { value: 50.0 }), Some("2026-07-01".parse().unwrap()))),
        ..Default::default()
    };
    let updated = s.update_kpi(&ctx(), created.id, created.version, patch).await.unwrap();
    assert_eq!(updated.target, Some(Target::Value { value: 50.0 }));
    let history = s.kpi_target_history(created.id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.target).collect::<Vec<_>>(),
        vec![Some(Target::Value { value: 40.0 }), Some(Target::Value { value: 50.0 })]
    );
    assert_eq!(history[1].set_on, Some("2026-07-01".parse().unwrap()));
    let err = s.update_kpi(&ctx(), created.id, created.version, KpiPatch::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
    let bad = KpiPatch { target: Some((Some(Target::Range { low: 1.0, high: 2.0 }), None)), ..Default::default() };
    assert!(s.update_kpi(&ctx(), created.id, updated.version, bad).await.is_err(), "a range needs within_range");
    assert_eq!(s.find_kpi_by_key("nps").await.unwrap().id, created.id);
    let plain = s.create_kpi(&ctx(), kpi("plain", Aggregation::Sum, KpiDirection::HigherIsBetter, None)).await.unwrap();
    let all = s.kpi_target_histories(&[created.id, plain.id]).await.unwrap();
    assert_eq!(
        all.iter().map(|(k, h)| (*k, h.target)).collect::<Vec<_>>(),
        vec![
            (created.id, Some(Target::Value { value: 40.0 })),
            (created.id, Some(Target::Value { value: 50.0 })),
            (plain.id, None),
        ]
    );
}

async fn where_each_kpi_stood_at_a_cycles_end(s: S) {
    let monthly = s.create_kpi(&ctx(), kpi("monthly", Aggregation::Mean, KpiDirection::HigherIsBetter, None)).await;
    let monthly = monthly.unwrap();
    let daily = s.create_kpi(&ctx(), kpi("daily", Aggregation::Sum, KpiDirection::HigherIsBetter, None)).await.unwrap();
    let points = vec![
        point(monthly.id, at("2026-05-10", 12), 10.0, None),
        point(monthly.id, at("2026-06-10", 12), 20.0, None),
        point(monthly.id, at("2026-07-10", 12), 30.0, None),
        point(monthly.id, at("2026-06-20", 12), 99.0, Some("emea")),
        point(daily.id, at("2026-03-31", 12), 1.0, None),
    ];
    s.ingest(&ctx(), points).await.unwrap();
    let wanted = [(monthly.id, Granularity::Month), (daily.id, Granularity::Day)];
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    // Q2: June is the last month that started in it (overall: its segment's point counts
    // too); the day before Q2 is not in it.
    let q2 = s.period_values_at(&wanted, d("2026-04-01"), d("2026-07-01")).await.unwrap();
    assert_eq!(q2, vec![(monthly.id, (20.0 + 99.0) / 2.0)]);
    let q1 = s.period_values_at(&wanted, d("2026-01-01"), d("2026-04-01")).await.unwrap();
    assert_eq!(q1, vec![(daily.id, 1.0)]);
    assert!(s.period_values_at(&wanted, d("2025-01-01"), d("2025-04-01")).await.unwrap().is_empty());
    assert!(s.period_values_at(&[], d("2026-01-01"), d("2027-01-01")).await.unwrap().is_empty());
}

async fn ingest_keeps_period_values_current_and_is_idempotent(s: S) {
    let k = s
        .create_kpi(
            &ctx(),
            kpi("signups", Aggregation::Sum, KpiDirection::HigherIsBetter, Some(Target::Value { value: 10.0 })),
        )
        .await
        .unwrap();
    let batch = vec![
        point(k.id, at("2026-11-23", 9), 4.0, Some("emea")),
        point(k.id, at("2026-11-23", 10), 3.0, Some("amer")),
        point(k.id, at("2026-11-24", 9), 5.0, Some("emea")),
        point(k.id, at("2026-11-24", 11), 7.0, None),
    ];
    let report = s.ingest(&ctx(), batch.clone()).await.unwrap();
    assert_eq!((report.inserted, report.replaced, report.unchanged), (4, 0, 0));
    assert_eq!(period(&s, k.id, Granularity::Day, "2026-11-23", None).await.unwrap().value, Some(7.0));
    assert_eq!(period(&s, k.id, Granularity::Day, "2026-11-24", None).await.unwrap().value, Some(12.0));
    assert_eq!(period(&s, k.id, Granularity::Week, "2026-11-24", None).await.unwrap().value, Some(19.0));
    assert_eq!(period(&s, k.id, Granularity::Month, "2026-11-24", Some("emea")).await.unwrap().value, Some(9.0));
    assert_eq!(period(&s, k.id, Granularity::Quarter, "2026-11-24", None).await.unwrap().count, 4);
    let now = s.get_kpi(k.id).await.unwrap();
    assert_eq!((now.current_value, now.current_status), (Some(12.0), Some(HealthStatus::Healthy)));
    assert_eq!(now.current_period, Some("2026-11-24".parse().unwrap()));
    assert_eq!(s.kpi_segments(k.id).await.unwrap(), vec!["amer".to_owned(), "emea".to_owned()]);

    // Sending the same batch again counts nothing twice.
    let again = s.ingest(&ctx(), batch).await.unwrap();
    assert_eq!((again.inserted, again.replaced, again.unchanged), (0, 0, 4));
    assert_eq!(period(&s, k.id, Granularity::Week, "2026-11-24", None).await.unwrap().value, Some(19.0));
    // A corrected value replaces the old one everywhere.
    let fix = s.ingest(&ctx(), vec![point(k.id, at("2026-11-24", 11), 1.0, None)]).await.unwrap();
    assert_eq!(fix.replaced, 1);
    assert_eq!(period(&s, k.id, Granularity::Week, "2026-11-24", None).await.unwrap().value, Some(13.0));
    let day = period(&s, k.id, Granularity::Day, "2026-11-24", None).await.unwrap();
    assert_eq!((day.value, day.min, day.max), (Some(6.0), 1.0, 5.0));
    assert_eq!(s.get_kpi(k.id).await.unwrap().current_status, Some(HealthStatus::Breached));

    let raw = s.list_measurements(k.id, None, None, None, PageRequest::first(2)).await.unwrap();
    assert_eq!(raw.items.len(), 2);
    let rest = s
        .list_measurements(k.id, None, None, None, PageRequest::parse(Some(10), raw.next_cursor.as_deref()).unwrap())
        .await
        .unwrap();
    assert_eq!(raw.items.len() + rest.items.len(), 4);
    assert!(raw.items[0].at >= raw.items[1].at && raw.items[1].at >= rest.items[0].at, "newest first");
}

async fn percentiles_and_means_match_the_definitions(s: S) {
    let p90 = s
        .create_kpi(
            &ctx(),
            kpi("inp_p90", Aggregation::P90, KpiDirection::LowerIsBetter, Some(Target::Value { value: 200.0 })),
        )
        .await
        .unwrap();
    let mean = s.create_kpi(&ctx(), kpi("csat", Aggregation::Mean, KpiDirection::HigherIsBetter, None)).await.unwrap();
    let values = [120.0, 180.0, 90.0, 450.0, 210.0, 160.0, 300.0];
    let mut batch = Vec::new();
    for (i, v) in values.iter().enumerate() {
        batch.push(point(p90.id, at("2026-11-02", i as u32), *v, None));
        batch.push(point(mean.id, at("2026-11-02", i as u32), *v / 100.0, None));
    }
    s.ingest(&ctx(), batch).await.unwrap();
    let want = percentile(&values, 0.9).unwrap();
    assert!(
        (period(&s, p90.id, Granularity::Day, "2026-11-02", None).await.unwrap().value.unwrap() - want).abs() < 1e-9
    );
    // A later point in the same week recomputes the week's percentile from that week only.
    s.ingest(&ctx(), vec![point(p90.id, at("2026-11-03", 1), 100.0, None)]).await.unwrap();
    let mut week: Vec<f64> = values.to_vec();
    week.push(100.0);
    let got = period(&s, p90.id, Granularity::Week, "2026-11-03", None).await.unwrap().value.unwrap();
    assert!((got - percentile(&week, 0.9).unwrap()).abs() < 1e-9);
    let m = period(&s, mean.id, Granularity::Day, "2026-11-02", None).await.unwrap().value.unwrap();
    assert!((m - values.iter().sum::<f64>() / 700.0).abs() < 1e-9);
}

async fn derived_kpis_follow_their_inputs(s: S) {
    let mut won = kpi("won", Aggregation::Sum, KpiDirection::HigherIsBetter, None);
    won.cadence = Cadence::Weekly;
    let won = s.create_kpi(&ctx(), won).await.unwrap();
    let mut qualified = kpi("qualified", Aggregation::Sum, KpiDirection::HigherIsBetter, None);
    qualified.cadence = Cadence::Weekly;
    let qualified = s.create_kpi(&ctx(), qualified).await.unwrap();
    s.ingest(
        &ctx(),
        vec![point(won.id, at("2026-11-02", 9), 9.0, None), point(qualified.id, at("2026-11-02", 9), 36.0, None)],
    )
    .await
    .unwrap();

    let mut rate =
        kpi("win_rate", Aggregation::Formula, KpiDirection::HigherIsBetter, Some(Target::Value { value: 23.0 }));
    rate.cadence = Cadence::Weekly;
    rate.formula = Some(Formula::parse("won / qualified * 100").unwrap());
    let rate = s.create_kpi(&ctx(), rate).await.unwrap();
    // Backfilled at creation from the inputs' existing periods.
    assert_eq!(period(&s, rate.id, Granularity::Week, "2026-11-02", None).await.unwrap().value, Some(25.0));
    assert_eq!(rate.current_value, Some(25.0));

    let report = s
        .ingest(
            &ctx(),
            vec![point(won.id, at("2026-11-10", 9), 4.0, None), point(qualified.id, at("2026-11-10", 9), 40.0, None)],
        )
        .await
        .unwrap();
    assert!(report.kpis_updated.contains(&rate.id));
    let now = s.get_kpi(rate.id).await.unwrap();
    assert_eq!((now.current_value, now.current_status), (Some(10.0), Some(HealthStatus::Breached)));
    // Division by zero leaves the period without a value instead of storing nonsense.
    s.ingest(
        &ctx(),
        vec![point(won.id, at("2026-11-17", 9), 1.0, None), point(qualified.id, at("2026-11-17", 9), 0.0, None)],
    )
    .await
    .unwrap();
    assert!(period(&s, rate.id, Granularity::Week, "2026-11-17", None).await.is_none());

    let mut bad = kpi("lost_rate", Aggregation::Formula, KpiDirection::LowerIsBetter, None);
    bad.formula = Some(Formula::parse("lost / qualified").unwrap());
    let err = s.create_kpi(&ctx(), bad.clone()).await.unwrap_err();
    assert!(matches!(&err, StoreError::Domain(d) if d.code().as_str() == "formula_unknown_name"), "{err:?}");
    bad.formula = Some(Formula::parse("lost_rate + won").unwrap());
    let err = s.create_kpi(&ctx(), bad).await.unwrap_err();
    assert!(matches!(&err, StoreError::Domain(d) if d.code().as_str() == "formula_self_reference"), "{err:?}");
    let err = s.ingest(&ctx(), vec![point(rate.id, at("2026-11-10", 9), 1.0, None)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "derived_kpi"), "{err:?}");
}

async fn org(s: &S) -> (Person, Cycle) {
    let unit = s
        .create_unit(
            &ctx(),
            NewUnit {
                slug: Slug::parse("slug", "growth").unwrap(),
                name: Name::parse("name", "Growth").unwrap(),
                kind: UnitKind::Team,
                parent_id: None,
            },
        )
        .await
        .unwrap();
    let person = s
        .create_person(
            &ctx(),
            NewPerson {
                name: Name::parse("name", "Ada").unwrap(),
                email: Email::parse("email", "ada@x.example").unwrap(),
                unit_id: Some(unit.id),
                manager_id: None,
            },
        )
        .await
        .unwrap();
    let dates = CycleDates::quarter_of(Utc::now().date_naive());
    let cycle = s
        .create_cycle(
            &ctx(),
            NewCycle {
                name: Title::parse("name", "Now").unwrap(),
                kind: CycleKind::Quarter,
                dates,
                state: CycleState::Active,
            },
        )
        .await
        .unwrap();
    (person, cycle)
}

fn objective(person: &Person, cycle: &Cycle, title: &str) -> NewObjective {
    NewObjective {
        key: None,
        cycle_id: cycle.id,
        title: Title::parse("title", title).unwrap(),
        description: LongText::parse("description", "").unwrap(),
        owner_id: person.id,
        unit_id: None,
        kind: ObjectiveKind::Aspirational,
        status: ObjectiveStatus::Active,
    }
}

async fn a_breached_guardrail_pauses_its_objective_and_recovery_resumes_it(s: S) {
    let (person, cycle) = org(&s).await;
    let o = s.create_objective(&ctx(), objective(&person, &cycle, "Grow expansion revenue")).await.unwrap();
    let other = s.create_objective(&ctx(), objective(&person, &cycle, "Unrelated")).await.unwrap();
    let mut refunds =
        kpi("refund_rate", Aggregation::Mean, KpiDirection::LowerIsBetter, Some(Target::Value { value: 1.0 }));
    refunds.guardrail = true;
    refunds.guardrail_threshold = Some(1.2);
    let refunds = s.create_kpi(&ctx(), refunds).await.unwrap();
    let (_, report) = s.link_guardrail(&ctx(), refunds.id, o.id).await.unwrap();
    assert!(report.objectives_paused.is_empty());
    let err = s.link_guardrail(&ctx(), refunds.id, o.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");

    let today = Utc::now() - Duration::hours(1);
    let report = s
        .ingest(
            &ctx(),
            vec![point(refunds.id, today - Duration::days(1), 1.1, None), point(refunds.id, today, 1.5, None)],
        )
        .await
        .unwrap();
    assert_eq!(report.objectives_paused, vec![o.id], "paused within the same request");
    let paused = s.get_objective(o.id).await.unwrap();
    assert_eq!(paused.status, ObjectiveStatus::Paused);
    assert!(paused.status_reason.as_deref().unwrap().contains("refund rate"), "{:?}", paused.status_reason);
    assert_eq!(s.get_objective(other.id).await.unwrap().status, ObjectiveStatus::Active);
    assert!(s.get_kpi(refunds.id).await.unwrap().guardrail_breached);

    // Another breached point changes nothing more; the recovery resumes it.
    let report = s.ingest(&ctx(), vec![point(refunds.id, today + Duration::minutes(1), 1.7, None)]).await.unwrap();
    assert!(report.objectives_paused.is_empty());
    let report = s
        .ingest(
            &ctx(),
            vec![point(refunds.id, today, 0.5, None), point(refunds.id, today + Duration::minutes(1), 0.6, None)],
        )
        .await
        .unwrap();
    assert_eq!(report.objectives_resumed, vec![o.id]);
    let resumed = s.get_objective(o.id).await.unwrap();
    assert_eq!((resumed.status, resumed.status_reason), (ObjectiveStatus::Active, None));
    assert!(!s.get_kpi(refunds.id).await.unwrap().guardrail_breached);

    // Made active while its guardrail is tripped, an objective pauses at once on the
    // guardrail's account (a draft activated; a pause lifted by hand), and resumes with it.
    let draft = NewObjective { status: ObjectiveStatus::Draft, ..objective(&person, &cycle, "Expand in the Nordics") };
    let draft = s.create_objective(&ctx(), draft).await.unwrap();
    s.link_guardrail(&ctx(), refunds.id, draft.id).await.unwrap();
    s.ingest(&ctx(), vec![point(refunds.id, today + Duration::minutes(1), 5.0, None)]).await.unwrap();
    assert_eq!(s.get_objective(draft.id).await.unwrap().status, ObjectiveStatus::Draft, "a draft is not paused");
    let activated = s.set_objective_status(&ctx(), draft.id, None, ObjectiveStatus::Active, None).await.unwrap();
    assert_eq!(activated.status, ObjectiveStatus::Paused);
    assert!(activated.status_reason.as_deref().unwrap().contains("refund rate"), "{:?}", activated.status_reason);
    let lifted = s
        .set_objective_status(&ctx(), o.id, None, ObjectiveStatus::Active, None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(lifted.status, ObjectiveStatus::Paused, "still tripped: it stays paused");
    let report = s.ingest(&ctx(), vec![point(refunds.id, today + Duration::minutes(1), 0.5, None)]).await.unwrap();
    assert!(report.objectives_resumed.contains(&draft.id), "{report:?}");
    assert_eq!(s.get_objective(draft.id).await.unwrap().status, ObjectiveStatus::Active);

    // A manually paused objective is not resumed by a guardrail.
    let manual = s
        .set_objective_status(&ctx(), other.id, None, ObjectiveStatus::Paused, Some("waiting on legal".into()))
        .await
        .unwrap();
    s.link_guardrail(&ctx(), refunds.id, other.id).await.unwrap();
    s.ingest(&ctx(), vec![point(refunds.id, today + Duration::minutes(2), 0.4, None)]).await.unwrap();
    assert_eq!(s.get_objective(manual.id).await.unwrap().status, ObjectiveStatus::Paused);
}

async fn key_results_linked_to_a_kpi_take_its_value(s: S) {
    let (person, cycle) = org(&s).await;
    let o = s.create_objective(&ctx(), objective(&person, &cycle, "Delight new customers")).await.unwrap();
    let nps = s
        .create_kpi(&ctx(), kpi("onboarding_nps", Aggregation::Mean, KpiDirection::HigherIsBetter, None))
        .await
        .unwrap();
    let kr = s
        .create_key_result(
            &ctx(),
            NewKeyResult {
                key: None,
                objective_id: o.id,
                title: Title::parse("title", "Onboarding NPS from 32 to 50").unwrap(),
                kind: KeyResultKind::Metric,
                unit_of_measure: UnitOfMeasure::parse("u", "NPS").unwrap(),
                measure: Measure::new(32.0, 50.0, None).unwrap(),
                weight: Weight::ONE,
                owner_id: None,
                kpi_id: Some(nps.id),
            },
        )
        .await
        .unwrap();
    let when = Utc::now() - Duration::minutes(5);
    let report = s
        .ingest(&ctx(), vec![point(nps.id, when, 40.0, None), point(nps.id, when - Duration::minutes(1), 42.0, None)])
        .await
        .unwrap();
    assert_eq!(report.key_results_updated, vec![kr.id]);
    let kr = s.get_key_result(kr.id).await.unwrap();
    assert_eq!(kr.current_value, Some(41.0));
    assert!((kr.score - 0.5).abs() < 1e-9);
    assert!((s.get_objective(o.id).await.unwrap().score - 0.5).abs() < 1e-9);
}

/// A KPI joined to no tree.
async fn reopen_free(s: &S) -> KpiId {
    s.create_kpi(&ctx(), kpi("alone", Aggregation::Mean, KpiDirection::HigherIsBetter, None)).await.unwrap().id
}

async fn driver_trees_kras_and_counterweights(s: S) {
    let mut nsm = kpi("weekly_active_teams", Aggregation::Last, KpiDirection::HigherIsBetter, None);
    nsm.north_star = true;
    let nsm = s.create_kpi(&ctx(), nsm).await.unwrap();
    let mut other_nsm = kpi("orders", Aggregation::Sum, KpiDirection::HigherIsBetter, None);
    other_nsm.north_star = true;
    let other_nsm = s.create_kpi(&ctx(), other_nsm).await.unwrap();
    let activation =
        s.create_kpi(&ctx(), kpi("activation", Aggregation::Mean, KpiDirection::HigherIsBetter, None)).await.unwrap();
    let ttv =
        s.create_kpi(&ctx(), kpi("time_to_value", Aggregation::P50, KpiDirection::LowerIsBetter, None)).await.unwrap();
    let edge = |p: KpiId, c: KpiId| NewKpiEdge {
        parent_id: p,
        child_id: c,
        influence: Influence::High,
        confidence: Influence::Medium,
        sign: EdgeSign::Positive,
    };
    s.create_kpi_edge(&ctx(), edge(nsm.id, activation.id)).await.unwrap();
    s.create_kpi_edge(&ctx(), NewKpiEdge { sign: EdgeSign::Negative, ..edge(activation.id, ttv.id) }).await.unwrap();
    let err = s.create_kpi_edge(&ctx(), edge(ttv.id, nsm.id)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "north_star_as_child"), "{err:?}");
    let err = s.create_kpi_edge(&ctx(), edge(ttv.id, activation.id)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Domain(d) if d.code().as_str() == "kpi_tree_cycle"), "{err:?}");
    let err = s.create_kpi_edge(&ctx(), edge(other_nsm.id, ttv.id)).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(ref d) if d.code().as_str() == "two_north_stars"), "{err:?}");
    let err = s.create_kpi_edge(&ctx(), edge(nsm.id, activation.id)).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    let (nodes, edges) = s.kpi_tree(nsm.id, 100).await.unwrap();
    assert_eq!(
        nodes.iter().map(|k| k.key.as_str()).collect::<Vec<_>>(),
        vec!["weekly_active_teams", "activation", "time_to_value"]
    );
    assert_eq!(edges.len(), 2);
    // The guardrails of a tree: every guardrail joined to the KPI by edges, up or down, never
    // another tree's, never the KPI itself.
    let guardrail = |key: &str| {
        let mut g = kpi(key, Aggregation::Mean, KpiDirection::LowerIsBetter, None);
        (g.guardrail, g.guardrail_threshold) = (true, Some(1.0));
        g
    };
    let churn = s.create_kpi(&ctx(), guardrail("churn")).await.unwrap();
    let refunds = s.create_kpi(&ctx(), guardrail("refunds")).await.unwrap();
    s.create_kpi_edge(&ctx(), edge(nsm.id, churn.id)).await.unwrap();
    s.create_kpi_edge(&ctx(), edge(other_nsm.id, refunds.id)).await.unwrap();
    let keys = |v: Vec<Kpi>| v.into_iter().map(|k| k.key).collect::<Vec<_>>();
    assert_eq!(keys(s.tree_guardrails(ttv.id, 20).await.unwrap()), vec!["churn"], "up two and down one");
    assert_eq!(keys(s.tree_guardrails(churn.id, 20).await.unwrap()), Vec::<String>::new());
    assert_eq!(keys(s.tree_guardrails(other_nsm.id, 20).await.unwrap()), vec!["refunds"]);
    assert_eq!(keys(s.tree_guardrails(reopen_free(&s).await, 20).await.unwrap()), Vec::<String>::new(), "no tree");

    let kra = s
        .create_kra(
            &ctx(),
            NewKra {
                name: "Talent acquisition".into(),
                role: "Recruiter".into(),
                description: String::new(),
                kpi_ids: vec![activation.id, ttv.id],
            },
        )
        .await
        .unwrap();
    assert_eq!(kra.kpi_ids, vec![activation.id, ttv.id]);
    let kra = s.set_kra_kpis(&ctx(), kra.id, Some(kra.version), vec![ttv.id]).await.unwrap();
    assert_eq!((kra.kpi_ids.clone(), kra.version), (vec![ttv.id], 2));
    let in_kra =
        s.list_kpis(KpiFilter { kra_id: Some(kra.id), ..Default::default() }, PageRequest::default()).await.unwrap();
    assert_eq!(in_kra.items.len(), 1);

    // Speed KPIs without a quality counterweight are listed; pairing one clears the warning.
    let mut speed = kpi("resolution_time", Aggregation::P90, KpiDirection::LowerIsBetter, None);
    speed.nature = Nature::Speed;
    let speed = s.create_kpi(&ctx(), speed).await.unwrap();
    let warn = KpiFilter { missing_counterweight: true, ..Default::default() };
    assert_eq!(
        s.list_kpis(warn.clone(), PageRequest::default()).await.unwrap().items.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![speed.id]
    );
    let mut reopen = kpi("reopen_rate", Aggregation::Mean, KpiDirection::LowerIsBetter, None);
    reopen.nature = Nature::Quality;
    let reopen = s.create_kpi(&ctx(), reopen).await.unwrap();
    s.update_kpi(
        &ctx(),
        speed.id,
        speed.version,
        KpiPatch { counterweight_id: Some(Some(reopen.id)), ..Default::default() },
    )
    .await
    .unwrap();
    assert!(s.list_kpis(warn, PageRequest::default()).await.unwrap().items.is_empty());
}

async fn data_sources_are_claimed_exactly_once(s: S) {
    let k = s.create_kpi(&ctx(), kpi("pipeline", Aggregation::Last, KpiDirection::HigherIsBetter, None)).await.unwrap();
    let source = s
        .create_data_source(
            &ctx(),
            NewDataSource {
                kpi_id: k.id,
                spec: DataSourceSpec::Sql {
                    url: "postgres://reader:secret@db.internal/crm".into(),
                    query: "SELECT now(), 1".into(),
                },
                interval_seconds: 3600,
                timeout_seconds: 10,
                enabled: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(source.target, "postgres://reader:***@db.internal/crm", "the password never leaves the store");
    let now = Utc::now() + Duration::seconds(1);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move { s.claim_due_sources(now, 10).await.unwrap() }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    assert_eq!(claimed.len(), 1, "six claimers, one run");
    assert_eq!(claimed[0].url, "postgres://reader:secret@db.internal/crm");
    assert!(s.claim_due_sources(now, 10).await.unwrap().is_empty(), "not due again for an hour");
    let failed =
        s.record_source_run(source.id, now, SourceRun::Failed { error: "connection refused".into() }).await.unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    let ok = s.record_source_run(source.id, now, SourceRun::Succeeded { points: 3 }).await.unwrap();
    assert_eq!((ok.last_error, ok.last_points), (None, Some(3)));
    assert!(s.claim_source(source.id, now).await.is_ok(), "run now ignores the schedule");
}

async fn a_bad_row_rejects_the_whole_batch(s: S) {
    let k = s.create_kpi(&ctx(), kpi("tickets", Aggregation::Count, KpiDirection::LowerIsBetter, None)).await.unwrap();
    let ghost = KpiId(uuid::Uuid::now_v7());
    let err = s
        .ingest(&ctx(), vec![point(k.id, at("2026-11-02", 1), 1.0, None), point(ghost, at("2026-11-02", 2), 1.0, None)])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::UnknownReference { field: "kpi", id, .. } if *id == ghost.to_string()),
        "{err:?}"
    );
    assert!(s.list_measurements(k.id, None, None, None, PageRequest::default()).await.unwrap().items.is_empty());
    assert!(s.get_kpi(k.id).await.unwrap().current_value.is_none());
}

async fn periods_are_days_of_the_organisations_time_zone(s: S) {
    use quarterdeck_domain::zone::Zone;
    let utc = s.settings().await.unwrap();
    assert_eq!(utc.time_zone.name(), "UTC", "a new organisation counts days in UTC");
    let k = s.create_kpi(&ctx(), kpi("orders", Aggregation::Sum, KpiDirection::HigherIsBetter, None)).await.unwrap();
    // 23:30 UTC on Monday 23 November is 00:30 on Tuesday in Oslo (UTC+1 in winter).
    let late = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap();
    s.ingest(&ctx(), vec![point(k.id, late, 5.0, None)]).await.unwrap();
    assert_eq!(period(&s, k.id, Granularity::Day, "2026-11-23", None).await.unwrap().value, Some(5.0));
    assert!(period(&s, k.id, Granularity::Day, "2026-11-24", None).await.is_none());

    let oslo = Zone::parse("Europe/Oslo").unwrap();
    let changed = s.set_time_zone(&ctx(), utc.version, oslo).await.unwrap();
    assert_eq!((changed.time_zone, changed.version), (oslo, utc.version + 1));
    let err = s.set_time_zone(&ctx(), utc.version, Zone::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "a change made from an old version conflicts: {err:?}");
    assert_eq!(
        s.set_time_zone(&ctx(), changed.version, oslo).await.unwrap(),
        changed,
        "the same zone again: no change"
    );
    assert_eq!(s.settings().await.unwrap(), changed);
    // Switching the zone recomputes the periods already stored ...
    assert!(period(&s, k.id, Granularity::Day, "2026-11-23", None).await.is_none());
    assert_eq!(period(&s, k.id, Granularity::Day, "2026-11-24", None).await.unwrap().value, Some(5.0));
    // ... and new points land on the organisation's day.
    let next = Utc.with_ymd_and_hms(2026, 11, 24, 22, 59, 0).unwrap();
    s.ingest(&ctx(), vec![point(k.id, next, 2.0, None)]).await.unwrap();
    assert_eq!(period(&s, k.id, Granularity::Day, "2026-11-24", None).await.unwrap().value, Some(7.0));
}
