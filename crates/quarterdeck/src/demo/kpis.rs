//! The demo organisations' KPIs, loaded through the same ingest path as any client's data:
//! the department examples of the seed articles, a North-Star tree, two guardrails,
//! counterweight pairs and a year (small) or two years (large) of daily measurements.

use super::builder::Rng;
use anyhow::Context;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use indicatif::ProgressBar;
use quarterdeck_app::kpi_links::{CreateEdge, CreateKra, LinkGuardrail};
use quarterdeck_app::kpis::CreateKpi;
use quarterdeck_app::measurements::{BatchFormat, PointIn};
use quarterdeck_app::objectives::ObjectiveQuery;
use quarterdeck_app::{App, all_pages};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_domain::text::free_key;
use quarterdeck_store::PageRequest;
use serde_json::json;
use std::collections::HashMap;

/// One demo KPI: its definition and how its data behaves.
struct Spec {
    key: &'static str,
    name: &'static str,
    unit: &'static str,
    uom: &'static str,
    cadence: Cadence,
    aggregation: Aggregation,
    direction: KpiDirection,
    target: Option<Target>,
    nature: Nature,
    timing: Timing,
    /// Level a year ago and today; the series moves between them with noise.
    from: f64,
    to: f64,
    noise: f64,
    per_day: usize,
    segments: &'static [&'static str],
    /// A recent turn: over the last `.0` days the level moves by `.1` more (a KPI that
    /// degrades, for the coach to propose as an OKR).
    recent: (i64, f64),
}

#[allow(clippy::too_many_arguments)]
const fn spec(
    key: &'static str,
    name: &'static str,
    unit: &'static str,
    uom: &'static str,
    aggregation: Aggregation,
    direction: KpiDirection,
    target: f64,
    nature: Nature,
    (from, to, noise): (f64, f64, f64),
) -> Spec {
    Spec {
        key,
        name,
        unit,
        uom,
        cadence: Cadence::Daily,
        aggregation,
        direction,
        target: Some(Target::Value { value: target }),
        nature,
        timing: Timing::Lagging,
        from,
        to,
        noise,
        per_day: 1,
        segments: &[],
        recent: (0, 0.0),
    }
}

use Aggregation as A;
use KpiDirection::{HigherIsBetter as Up, LowerIsBetter as Down};

fn small_specs() -> Vec<Spec> {
    vec![
        Spec {
            cadence: Cadence::Weekly,
            timing: Timing::Leading,
            ..spec(
                "weekly_active_teams",
                "Weekly active teams",
                "northwind",
                "teams",
                A::Last,
                Up,
                1300.0,
                Nature::Volume,
                (820.0, 1180.0, 15.0),
            )
        },
        Spec {
            timing: Timing::Leading,
            ..spec(
                "activation_rate",
                "Activation rate",
                "product",
                "%",
                A::Mean,
                Up,
                60.0,
                Nature::Quality,
                (38.0, 47.0, 3.0),
            )
        },
        spec(
            "time_to_first_value",
            "Time to first value",
            "product",
            "days",
            A::P50,
            Down,
            5.0,
            Nature::Speed,
            (15.0, 10.0, 2.0),
        ),
        Spec {
            segments: &["emea", "amer"],
            ..spec("deals_won", "Deals won", "sales", "deals", A::Sum, Up, 3.0, Nature::Volume, (1.5, 2.6, 1.0))
        },
        Spec {
            segments: &["emea", "amer"],
            ..spec(
                "qualified_opportunities",
                "Qualified opportunities",
                "sales",
                "opportunities",
                A::Sum,
                Up,
                12.0,
                Nature::Volume,
                (9.0, 12.5, 2.5),
            )
        },
        spec("discount_depth", "Discount depth", "sales", "%", A::Mean, Down, 12.0, Nature::Quality, (14.0, 11.5, 1.5)),
        spec(
            "sales_cycle",
            "Median sales cycle",
            "sales",
            "days",
            A::P50,
            Down,
            42.0,
            Nature::Speed,
            (56.0, 51.0, 4.0),
        ),
        Spec {
            timing: Timing::Leading,
            ..spec(
                "organic_demos",
                "Organic-sourced demos",
                "marketing",
                "demos",
                A::Sum,
                Up,
                2.2,
                Nature::Volume,
                (0.8, 1.7, 0.6),
            )
        },
        spec(
            "signup_conversion",
            "Visitor→signup conversion",
            "marketing",
            "%",
            A::Mean,
            Up,
            3.0,
            Nature::Quality,
            (1.7, 2.2, 0.2),
        ),
        Spec {
            cadence: Cadence::Monthly,
            ..spec(
                "cac_payback",
                "CAC payback",
                "marketing",
                "months",
                A::Last,
                Down,
                12.0,
                Nature::Cost,
                (15.0, 13.5, 0.4),
            )
        },
        Spec {
            per_day: 24,
            ..spec("inp_p95", "INP p95", "engineering", "ms", A::P95, Down, 200.0, Nature::Speed, (240.0, 165.0, 25.0))
        },
        spec("deploys", "Deploys", "engineering", "deploys", A::Sum, Up, 6.0, Nature::Volume, (3.0, 5.5, 1.5)),
        spec(
            "change_failure_rate",
            "Change failure rate",
            "engineering",
            "%",
            A::Mean,
            Down,
            10.0,
            Nature::Quality,
            (18.0, 12.0, 3.0),
        ),
        Spec {
            cadence: Cadence::Monthly,
            ..spec(
                "p1_incidents",
                "P1 incidents",
                "engineering",
                "incidents",
                A::Sum,
                Down,
                1.0,
                Nature::Quality,
                (0.1, 0.06, 0.05),
            )
        },
        Spec {
            per_day: 12,
            ..spec(
                "resolution_time",
                "Resolution time p90",
                "customer-success",
                "hours",
                A::P90,
                Down,
                24.0,
                Nature::Speed,
                (30.0, 22.0, 6.0),
            )
        },
        // Closing tickets faster has started to cost quality: reopens climb over the last
        // three weeks (the demo's degrading KPI, proposed by the coach as an OKR).
        Spec {
            recent: (21, 3.0),
            ..spec(
                "reopen_rate",
                "Reopen rate",
                "customer-success",
                "%",
                A::Mean,
                Down,
                5.0,
                Nature::Quality,
                (7.0, 5.5, 1.0),
            )
        },
        spec("csat", "CSAT", "customer-success", "CSAT", A::Mean, Up, 4.6, Nature::Quality, (4.1, 4.35, 0.1)),
        Spec {
            cadence: Cadence::Monthly,
            ..spec(
                "gross_revenue_churn",
                "Gross revenue churn",
                "customer-success",
                "%",
                A::Last,
                Down,
                2.0,
                Nature::Quality,
                (3.3, 2.7, 0.1),
            )
        },
        spec(
            "refund_rate",
            "Refund rate",
            "customer-success",
            "%",
            A::Mean,
            Down,
            1.0,
            Nature::Quality,
            (1.15, 0.9, 0.12),
        ),
        Spec {
            cadence: Cadence::Weekly,
            ..spec(
                "time_to_hire",
                "Time to hire",
                "people",
                "days",
                A::P50,
                Down,
                35.0,
                Nature::Speed,
                (48.0, 41.0, 4.0),
            )
        },
        Spec {
            cadence: Cadence::Monthly,
            ..spec(
                "retention_90_day",
                "90-day retention",
                "people",
                "%",
                A::Last,
                Up,
                95.0,
                Nature::Quality,
                (80.0, 85.0, 1.0),
            )
        },
        Spec {
            cadence: Cadence::Monthly,
            direction: KpiDirection::WithinRange,
            target: Some(Target::Range { low: 40.0, high: 60.0 }),
            ..spec("enps", "Employee NPS", "people", "eNPS", A::Last, Up, 0.0, Nature::Quality, (22.0, 31.0, 3.0))
        },
    ]
}

/// Counterweight pairs (METHOD.md §2): speed and volume, each with its quality check.
const COUNTERWEIGHTS: &[(&str, &str)] = &[
    ("resolution_time", "reopen_rate"),
    ("time_to_hire", "retention_90_day"),
    ("deals_won", "discount_depth"),
    ("deploys", "change_failure_rate"),
    ("time_to_first_value", "activation_rate"),
    ("qualified_opportunities", "discount_depth"),
    ("organic_demos", "signup_conversion"),
    ("sales_cycle", "discount_depth"),
    ("inp_p95", "change_failure_rate"),
    ("weekly_active_teams", "csat"),
];

/// The North-Star tree: (parent, child, influence, confidence, sign).
const TREE: &[(&str, &str, Influence, Influence, EdgeSign)] = &[
    ("weekly_active_teams", "activation_rate", Influence::High, Influence::High, EdgeSign::Positive),
    ("weekly_active_teams", "win_rate", Influence::Medium, Influence::Medium, EdgeSign::Positive),
    ("weekly_active_teams", "gross_revenue_churn", Influence::High, Influence::Medium, EdgeSign::Negative),
    ("activation_rate", "time_to_first_value", Influence::High, Influence::Medium, EdgeSign::Negative),
    ("win_rate", "sales_cycle", Influence::Medium, Influence::Low, EdgeSign::Negative),
    ("gross_revenue_churn", "csat", Influence::Medium, Influence::Medium, EdgeSign::Negative),
    ("gross_revenue_churn", "resolution_time", Influence::Low, Influence::Low, EdgeSign::Positive),
];

/// The KPI of a spec, under the key and name given (the large demo numbers its KPIs), as the
/// API would receive it.
fn new_kpi(s: &Spec, key: &str, name: &str, unit: Option<&str>) -> CreateKpi {
    let percent = s.uom == "%";
    let (target, range_low, range_high) = match s.target {
        Some(Target::Value { value }) => (Some(value), None, None),
        Some(Target::Range { low, high }) => (None, Some(low), Some(high)),
        None => (None, None, None),
    };
    CreateKpi {
        key: Some(key.to_owned()),
        unit: unit.map(Into::into),
        unit_of_measure: s.uom.to_owned(),
        cadence: s.cadence,
        aggregation: Some(s.aggregation),
        direction: s.direction,
        target,
        range_low,
        range_high,
        baseline: Some(s.from),
        timing: s.timing,
        nature: s.nature,
        valid_min: percent.then_some(0.0),
        valid_max: percent.then_some(100.0),
        ..CreateKpi::named(name)
    }
}

/// Daily points from `days` ago to today, moving from `from` to `to` with noise.
fn series(s: &Spec, kpi: &str, today: NaiveDate, days: i64, rng: &mut Rng) -> Vec<PointIn> {
    let segments: Vec<Option<&str>> =
        if s.segments.is_empty() { vec![None] } else { s.segments.iter().map(|x| Some(*x)).collect() };
    let now = Utc::now();
    let mut out = Vec::with_capacity((days as usize + 1) * s.per_day * segments.len());
    for d in (0..=days).rev() {
        let day = today - Duration::days(d);
        let progress = 1.0 - d as f64 / days as f64;
        let mut level = s.from + (s.to - s.from) * progress;
        if d < s.recent.0 {
            level += s.recent.1 * (s.recent.0 - d) as f64 / s.recent.0 as f64;
        }
        for seg in &segments {
            for i in 0..s.per_day {
                let at = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
                    + Duration::minutes((i * 1440 / s.per_day) as i64 + 7);
                if at > now {
                    continue;
                }
                let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * s.noise;
                let share = if segments.len() > 1 { 1.0 / segments.len() as f64 } else { 1.0 };
                let mut value = ((level + noise) * share).max(0.0);
                value = (value * 100.0).round() / 100.0;
                out.push(PointIn {
                    kpi: Some(kpi.to_owned()),
                    at: at.to_rfc3339(),
                    value,
                    segment: seg.map(Into::into),
                });
            }
        }
    }
    out
}

/// Stores a series the way a client's batch is stored.
async fn push(app: &App, points: Vec<PointIn>) -> anyhow::Result<usize> {
    let n = points.len();
    app.ingest(points, None, BatchFormat::Json, n).await?;
    Ok(n)
}

/// An input built the way a client sends it (the fields a patch changes, by name).
fn input<T: serde::de::DeserializeOwned>(fields: serde_json::Value) -> anyhow::Result<T> {
    Ok(serde_json::from_value(fields)?)
}

/// The key the plan gave a record of this title (the demo's titles are unique per cycle).
fn key_of(title: &str, fallback: &str) -> String {
    free_key(title, fallback, &Default::default()).as_str().to_owned()
}

pub async fn small(app: &App, today: NaiveDate, bar: &ProgressBar) -> anyhow::Result<usize> {
    let mut rng = Rng::new(11);
    let specs = small_specs();
    let mut ids: HashMap<&str, KpiId> = HashMap::new();
    for s in &specs {
        let mut new = new_kpi(s, s.key, s.name, Some(s.unit));
        new.north_star = s.key == "weekly_active_teams";
        if s.key == "refund_rate" {
            new.guardrail = true;
            new.guardrail_threshold = Some(1.2);
            new.caveats = "Refunds are booked when approved, not when paid.".into();
        }
        if s.key == "inp_p95" {
            new.guardrail = true;
            new.guardrail_threshold = Some(200.0);
            new.query = "p95 of interaction-to-next-paint over all page views (RUM)".into();
        }
        let kpi = app.create_kpi(new).await.with_context(|| format!("creating KPI {}", s.key))?;
        ids.insert(s.key, kpi.id);
    }
    // The churn key result is measured from its KPI ("same query, same owner"); records are
    // found by their natural keys, never by scanning titles.
    let churn_key = key_of("Gross revenue churn from 3.1 % to 2.0 % monthly", "kr");
    let first = PageRequest::first(1);
    let churn = app.list_key_results(None, None, Some("current"), Some(&churn_key), first.clone()).await?;
    if let Some(kr) = churn.items.into_iter().next() {
        let patch = input(json!({ "kpi_id": ids["gross_revenue_churn"] }))?;
        app.update_key_result(kr.id, kr.version, patch).await?;
    }
    let mut points = 0;
    bar.set_length(specs.len() as u64);
    for s in &specs {
        bar.set_message(format!("measurements of {}", s.key));
        let batch = series(s, s.key, today, 365, &mut rng);
        points += push(app, batch).await.with_context(|| format!("loading measurements of {}", s.key))?;
        bar.inc(1);
    }
    // Derived after its inputs have data: the formula backfills every period.
    let win_rate = CreateKpi {
        formula: Some("deals_won / qualified_opportunities * 100".into()),
        aggregation: Some(Aggregation::Formula),
        cadence: Cadence::Weekly,
        target: Some(23.0),
        baseline: Some(18.0),
        nature: Nature::Quality,
        ..new_kpi(
            &spec("win_rate", "Win rate", "sales", "%", A::Sum, Up, 23.0, Nature::Quality, (0.0, 0.0, 0.0)),
            "win_rate",
            "Win rate",
            Some("sales"),
        )
    };
    ids.insert("win_rate", app.create_kpi(win_rate).await?.id);
    for (speed, quality) in COUNTERWEIGHTS {
        let k = app.get_kpi(speed).await?.card.kpi;
        app.update_kpi(speed, k.version, input(json!({ "counterweight_id": ids[quality] }))?).await?;
    }
    for (parent, child, influence, confidence, sign) in TREE {
        let edge = CreateEdge {
            parent_id: ids[parent],
            child_id: ids[child],
            influence: *influence,
            confidence: *confidence,
            sign: *sign,
        };
        app.create_kpi_edge(edge).await?;
    }
    app.create_kra(CreateKra {
        name: "Talent acquisition".into(),
        role: "Recruiter".into(),
        description: "Hire the right people quickly, and keep them.".into(),
        kpi_ids: vec![ids["time_to_hire"], ids["retention_90_day"], ids["enps"]],
    })
    .await?;
    app.create_kra(CreateKra {
        name: "Customer support".into(),
        role: "Support engineer".into(),
        description: String::new(),
        kpi_ids: vec![ids["resolution_time"], ids["reopen_rate"], ids["csat"]],
    })
    .await?;
    for (kpi, title) in
        [("refund_rate", "Earn the right to sell upmarket"), ("inp_p95", "Make onboarding a delight for new customers")]
    {
        let query = ObjectiveQuery {
            cycle: Some("current".into()),
            key: Some(key_of(title, "objective")),
            ..Default::default()
        };
        if let Some(o) = app.list_objectives(query, first.clone()).await?.items.into_iter().next() {
            app.link_guardrail(LinkGuardrail { kpi_id: ids[kpi], objective_id: o.id }).await?;
        }
    }
    Ok(points)
}

pub const LARGE_KPIS: usize = 1000;
pub const LARGE_DAYS: i64 = 730;
const KPIS_PER_BATCH: usize = 20;

pub async fn large(app: &App, today: NaiveDate, seed: u64, bar: &ProgressBar) -> anyhow::Result<usize> {
    let mut units: Vec<String> =
        all_pages(|page| app.list_units(None, None, page)).await?.into_iter().map(|u| u.slug).collect();
    units.sort();
    let mut rng = Rng::new(seed ^ 0x006b_7069);
    const KINDS: &[(&str, &str, Aggregation, KpiDirection, Nature)] = &[
        ("signups", "signups", A::Sum, Up, Nature::Volume),
        ("tickets", "tickets", A::Sum, Down, Nature::Volume),
        ("conversion", "%", A::Mean, Up, Nature::Quality),
        ("latency", "ms", A::Mean, Down, Nature::Speed),
        ("revenue", "k€", A::Sum, Up, Nature::Volume),
        ("satisfaction", "CSAT", A::Mean, Up, Nature::Quality),
        ("cycle_time", "days", A::Mean, Down, Nature::Speed),
        ("backlog", "items", A::Last, Down, Nature::Other),
    ];
    bar.set_length(LARGE_KPIS as u64);
    let mut points = 0;
    let mut batch = Vec::new();
    for i in 0..LARGE_KPIS {
        let &(kind, uom, aggregation, direction, nature) = rng.pick(KINDS);
        let level = 10.0 + rng.unit() * 990.0;
        let drift = (rng.unit() - 0.4) * 0.3 * level;
        let key = format!("{kind}_{i:04}");
        let name = format!("{} {i:04}", kind.replace('_', " "));
        let s = Spec {
            key: "",
            name: "",
            unit: "",
            uom,
            cadence: Cadence::Daily,
            aggregation,
            direction,
            target: Some(Target::Value {
                value: ((level + drift) * if direction == Up { 1.05 } else { 0.95 }).round(),
            }),
            nature,
            timing: Timing::Lagging,
            from: level,
            to: level + drift,
            noise: level * 0.08,
            per_day: 1,
            segments: &[],
            recent: (0, 0.0),
        };
        let unit = units.get(rng.below(units.len().max(1))).map(String::as_str);
        let mut new = new_kpi(&s, &key, &name, unit);
        new.valid_min = Some(0.0);
        new.valid_max = None;
        app.create_kpi(new).await?;
        batch.extend(series(&s, &key, today, LARGE_DAYS - 1, &mut rng));
        // Two years of twenty KPIs a batch: a client pushing history in bulk, a few
        // transactions instead of one per KPI.
        if (i + 1) % KPIS_PER_BATCH == 0 || i + 1 == LARGE_KPIS {
            points += push(app, std::mem::take(&mut batch)).await?;
        }
        bar.inc(1);
    }
    Ok(points)
}
