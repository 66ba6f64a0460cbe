//! The small demo: a 60-person B2B SaaS company with a current quarter of OKRs modelled on
//! the worked examples of METHOD.md and the seed articles.

use super::builder::*;
use chrono::{Duration, NaiveDate, Utc};
use quarterdeck_app::plan::Plan;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::okr::{InitiativeKind, InitiativeStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, ObjectiveKind};

const FIRST: &[&str] = &[
    "Ada", "Bo", "Chidi", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kavya", "Liam", "Mei", "Nikhil",
    "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe", "Arjun",
    "Beatriz", "Carlos", "Deepa", "Elif", "Felix", "Grace", "Hugo", "Ivy", "Jamal", "Kofi", "Lena", "Mateo", "Nora",
    "Omar", "Paula", "Rahul", "Sara", "Tomas", "Ulla", "Vera", "Will", "Yara", "Zaid", "Amara", "Bilal", "Clara",
    "Dev", "Esther", "Farid", "Gita", "Henrik", "Isla", "Jun",
];
const LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Nakamura",
    "Sharma",
    "Costa",
    "Müller",
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

struct Team {
    slug: &'static str,
    name: &'static str,
    department: usize,
    size: usize,
}

const DEPARTMENTS: &[(&str, &str)] = &[
    ("go-to-market", "Go-to-Market"),
    ("product-engineering", "Product & Engineering"),
    ("operations", "Customer & People Operations"),
];

const TEAMS: &[Team] = &[
    Team { slug: "sales", name: "Sales", department: 0, size: 10 },
    Team { slug: "marketing", name: "Marketing", department: 0, size: 8 },
    Team { slug: "product", name: "Product", department: 1, size: 8 },
    Team { slug: "engineering", name: "Engineering", department: 1, size: 12 },
    Team { slug: "customer-success", name: "Customer Success", department: 2, size: 9 },
    Team { slug: "people", name: "People", department: 2, size: 6 },
];

/// One key result of the demo: title, unit, (baseline, target, tolerance), how far along it is.
struct Kr {
    title: &'static str,
    unit: &'static str,
    kind: KeyResultKind,
    measure: (f64, f64, Option<f64>),
    progress: f64,
    last: Option<f64>,
    decimals: u32,
}

const fn kr(title: &'static str, unit: &'static str, b: f64, t: f64, progress: f64, decimals: u32) -> Kr {
    Kr { title, unit, kind: KeyResultKind::Metric, measure: (b, t, None), progress, last: None, decimals }
}

pub fn small(today: NaiveDate) -> Plan {
    let mut b = Builder::new(7, Utc::now());
    let company = b.unit("northwind", "Northwind Labs", UnitKind::Company, None);
    let mut names = FIRST.iter().zip(LAST.iter().cycle()).map(|(f, l)| (*f, *l));
    let mut person = |b: &mut Builder, unit: UnitRef, manager: Option<PersonRef>| {
        let (first, last) = names.next().expect("enough demo names");
        let email = format!("{}.{}@northwind.example", first.to_lowercase(), last.to_lowercase().replace('ü', "ue"));
        b.person(&format!("{first} {last}"), &email, Some(unit), manager)
    };
    let ceo = person(&mut b, company, None);
    let mut heads = Vec::new();
    let mut departments = Vec::new();
    for (slug, name) in DEPARTMENTS {
        let d = b.unit(slug, name, UnitKind::Department, Some(company));
        departments.push(d);
        heads.push(person(&mut b, d, Some(ceo)));
    }
    let mut teams = Vec::new();
    let mut leads = Vec::new();
    for t in TEAMS {
        let unit = b.unit(t.slug, t.name, UnitKind::Team, Some(departments[t.department]));
        let lead = person(&mut b, unit, Some(heads[t.department]));
        for _ in 1..t.size {
            person(&mut b, unit, Some(lead));
        }
        teams.push(unit);
        leads.push(lead);
    }

    // Last quarter: closed and graded; this quarter: active; next quarter: being planned.
    let this_q = CycleDates::quarter_of(today);
    let last_q = CycleDates::quarter_of(this_q.start() - Duration::days(1));
    let next_q = CycleDates::quarter_of(this_q.end() + Duration::days(1));
    let last = b.cycle(&last_q.default_name(CycleKind::Quarter), CycleKind::Quarter, last_q, CycleState::Closed);
    let now = b.cycle(&this_q.default_name(CycleKind::Quarter), CycleKind::Quarter, this_q, CycleState::Active);
    let next = b.cycle(&next_q.default_name(CycleKind::Quarter), CycleKind::Quarter, next_q, CycleState::Planning);

    let okr = |b: &mut Builder,
               cycle: &CycleRef,
               (title, description): (&str, &str),
               owner: PersonRef,
               unit: UnitRef,
               kind: ObjectiveKind,
               krs: &[Kr]|
     -> (ObjectiveRef, Vec<KeyResultRef>) {
        let o = b.objective(cycle, title, description, owner, Some(unit), kind, ObjectiveStatus::Active, None);
        let mut ids = Vec::new();
        let end = if cycle.state == CycleState::Closed { cycle.dates.end() } else { today };
        for k in krs {
            let id = b.key_result(o, k.title, k.unit, k.kind, k.measure, 1.0, Some(owner));
            let trajectory = Trajectory { progress_today: k.progress, last_value: k.last, decimals: k.decimals };
            b.check_ins(cycle, id, k.kind, (k.measure.0, k.measure.1), trajectory, Some(owner), end, 14);
            ids.push(id);
        }
        (o, ids)
    };

    // Company objectives (METHOD.md's worked example from the seed articles).
    let (leaky, leaky_krs) = okr(
        &mut b,
        &now,
        ("Stop the leaky bucket", "Customers who stay are the cheapest growth we have."),
        ceo,
        company,
        ObjectiveKind::Aspirational,
        &[
            kr("Gross revenue churn from 3.1 % to 2.0 % monthly", "%", 3.1, 2.0, 0.45, 2),
            kr("Onboarding time-to-first-value from 14 to 5 days", "days", 14.0, 5.0, 0.5, 0),
            kr("Health-score coverage from 0 % to 100 % of accounts", "%", 0.0, 100.0, 0.7, 0),
        ],
    );
    let (upmarket, upmarket_krs) = okr(
        &mut b,
        &now,
        ("Earn the right to sell upmarket", "Mid-market and enterprise buyers need proof we are ready."),
        ceo,
        company,
        ObjectiveKind::Aspirational,
        &[
            kr("Close 5 deals above 10L ACV (from 1)", "deals", 1.0, 5.0, 0.5, 0),
            Kr {
                title: "SOC 2 Type I readiness complete",
                unit: "",
                kind: KeyResultKind::Milestone,
                measure: (0.0, 1.0, None),
                progress: 0.0,
                last: None,
                decimals: 0,
            },
            kr("P1 incidents from 9 to 3 per quarter", "incidents", 9.0, 3.0, 0.67, 0),
        ],
    );

    // Team objectives, drafted against the company's.
    let (sales, _) = okr(
        &mut b,
        &now,
        ("Crack the mid-market segment", "Win more mid-market logos by reducing cycle friction."),
        leads[0],
        teams[0],
        ObjectiveKind::Aspirational,
        &[
            kr("Close 15 mid-market logos (from 4 last quarter)", "logos", 4.0, 15.0, 0.55, 0),
            Kr {
                title: "SQL→Won win rate from 18 % to 23 % (±1 pp) in mid-market",
                unit: "%",
                kind: KeyResultKind::Metric,
                measure: (18.0, 23.0, Some(1.0)),
                progress: 0.4,
                last: None,
                decimals: 1,
            },
            kr("Median sales cycle from 54 to 42 days", "days", 54.0, 42.0, 0.25, 0),
        ],
    );
    b.align(sales, upmarket, Some(upmarket_krs[0]), LinkKind::Contributes, 1.0);

    let (marketing, _) = okr(
        &mut b,
        &now,
        ("Make inbound our biggest pipeline source", ""),
        leads[1],
        teams[1],
        ObjectiveKind::Aspirational,
        &[
            kr("Organic-sourced demos from 80 to 200 per quarter", "demos", 80.0, 200.0, 0.6, 0),
            kr("Visitor→signup conversion from 1.8 % to 3 %", "%", 1.8, 3.0, 0.35, 1),
        ],
    );
    b.align(marketing, upmarket, None, LinkKind::Supports, 1.0);

    let (product, _) = okr(
        &mut b,
        &now,
        ("Make onboarding a delight for new customers", "The first week decides whether a customer stays."),
        leads[2],
        teams[2],
        ObjectiveKind::Aspirational,
        &[
            kr("Time-to-first-value from 14 to 5 days", "days", 14.0, 5.0, 0.55, 0),
            // METHOD.md's scoring example: NPS 32 → 50, at 41, scores 0.5.
            Kr {
                title: "Raise onboarding NPS from 32 to 50",
                unit: "NPS",
                kind: KeyResultKind::Metric,
                measure: (32.0, 50.0, None),
                progress: 0.5,
                last: Some(41.0),
                decimals: 0,
            },
            kr("Onboarding support tickets from 120 to 72 a month", "tickets", 120.0, 72.0, 0.3, 0),
        ],
    );
    b.align(product, leaky, Some(leaky_krs[1]), LinkKind::Contributes, 2.0);

    let (engineering, eng_krs) = okr(
        &mut b,
        &now,
        ("Earn enterprise-grade reliability", "Committed: enterprise deals depend on it."),
        leads[3],
        teams[3],
        ObjectiveKind::Committed,
        &[
            kr("P1 incidents from 9 to 3 per quarter", "incidents", 9.0, 3.0, 0.67, 0),
            kr("Mean time to recovery from 4 h to 1 h", "hours", 4.0, 1.0, 0.5, 1),
        ],
    );
    b.align(engineering, upmarket, Some(upmarket_krs[2]), LinkKind::Contributes, 1.0);
    b.initiative(
        eng_krs[0],
        "Run a chaos game-day per service",
        InitiativeKind::Experiment,
        InitiativeStatus::InProgress,
        Some(leads[3]),
    );
    b.initiative(
        eng_krs[1],
        "On-call runbooks for the top 10 alerts",
        InitiativeKind::Project,
        InitiativeStatus::Done,
        Some(leads[3]),
    );

    let (success, cs_krs) = okr(
        &mut b,
        &now,
        ("Shift from reactive support to proactive success", ""),
        leads[4],
        teams[4],
        ObjectiveKind::Aspirational,
        &[
            kr("Deflect how-to tickets from 0 % to 30 % via the help centre", "%", 0.0, 30.0, 0.4, 0),
            kr("Health-score alerts from 0 % to 100 % of accounts", "%", 0.0, 100.0, 0.75, 0),
            Kr {
                title: "CSAT from 4.2 to 4.6",
                unit: "CSAT",
                kind: KeyResultKind::Metric,
                measure: (4.2, 4.6, None),
                progress: 0.5,
                last: Some(4.4),
                decimals: 1,
            },
        ],
    );
    b.align(success, leaky, Some(leaky_krs[2]), LinkKind::Contributes, 1.0);
    b.initiative(
        cs_krs[0],
        "Rewrite the 20 most-read help articles",
        InitiativeKind::Project,
        InitiativeStatus::InProgress,
        Some(leads[4]),
    );

    let (people, people_krs) = okr(
        &mut b,
        &now,
        ("Make the first 90 days a competitive advantage", "Hire ahead of the upmarket motion, and keep them."),
        leads[5],
        teams[5],
        ObjectiveKind::Aspirational,
        &[
            kr("90-day retention from 82 % to 95 %", "%", 82.0, 95.0, 0.3, 0),
            kr("Onboarding eNPS from +10 to +40", "eNPS", 10.0, 40.0, 0.2, 0),
            kr("Time-to-productivity from 60 to 45 days", "days", 60.0, 45.0, 0.1, 0),
        ],
    );
    b.align(people, upmarket, None, LinkKind::Supports, 1.0);
    b.kill(
        people_krs[2],
        "Manager-assessed productivity proved too subjective to measure weekly; moving it to the KPI review.",
    );

    // Last quarter, graded: one committed objective met, one aspirational landed at ~0.6.
    okr(
        &mut b,
        &last,
        ("Close the books like a public company", ""),
        heads[2],
        departments[2],
        ObjectiveKind::Committed,
        &[kr("Month-close from 12 days to 5", "days", 12.0, 5.0, 1.0, 0)],
    );
    okr(
        &mut b,
        &last,
        ("Make mobile our customers' preferred channel", ""),
        leads[2],
        teams[2],
        ObjectiveKind::Aspirational,
        &[kr("Weekly active usage on mobile from 10 % to 30 %", "%", 10.0, 30.0, 0.6, 0)],
    );

    // Next quarter's first draft, as teams write them before the coach has looked: a task
    // for an objective, a key result that ships rather than changes something, and a
    // baseline nobody has measured yet (`quarterdeck lint --cycle <next>` shows all three).
    let draft = b.objective(
        &next,
        "Launch the partner portal",
        "First draft; numbers to follow.",
        leads[1],
        Some(teams[1]),
        ObjectiveKind::Aspirational,
        ObjectiveStatus::Draft,
        None,
    );
    let metric = KeyResultKind::Metric;
    b.key_result(
        draft,
        "Ship the partner portal to 3 regions",
        "regions",
        metric,
        (0.0, 3.0, None),
        1.0,
        Some(leads[1]),
    );
    b.key_result(
        draft,
        "Partner-sourced deals from TBD to 40",
        "deals",
        metric,
        (0.0, 40.0, None),
        1.0,
        Some(leads[1]),
    );
    b.plan
}
