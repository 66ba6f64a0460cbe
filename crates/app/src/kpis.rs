//! The metric dictionary: KPIs with their definition rules, target history, measurements,
//! period values with health, the trust badge and stretch targets.

use crate::input::double_option;
use crate::views::*;
use crate::views::{KpiCard, KpiDetail, PeriodView, StretchView, TrustView};
use crate::{App, AppError, AppResult, ListPage, or_current};
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::error::{Code, finite};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::formula::Formula;
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_domain::kpi::stats::stretch_targets;
use quarterdeck_domain::kpi::trust::{TRUST_WINDOW, TrustBadge, is_fresh, missing_periods, within_bounds};
use quarterdeck_domain::text::{LongText, Name, UnitOfMeasure, plain};
use quarterdeck_store::PageRequest;
use quarterdeck_store::kpi::*;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKpi {
    pub name: String,
    /// The name formulas use; derived from the name when left out (`win_rate`).
    pub key: Option<String>,
    #[serde(default)]
    pub description: String,
    pub owner_id: Option<PersonId>,
    /// Unit id or slug.
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_of_measure: String,
    /// Makes a derived KPI: `won / qualified * 100` over other KPIs' keys.
    pub formula: Option<String>,
    /// How the number is computed, for people.
    #[serde(default)]
    pub query: String,
    #[serde(default = "daily")]
    pub cadence: Cadence,
    /// sum (default), mean, min, max, last, count, p50, p90, p95, p99; formula for a derived KPI.
    pub aggregation: Option<Aggregation>,
    #[serde(default = "higher")]
    pub direction: KpiDirection,
    /// Target value (for higher/lower is better).
    pub target: Option<f64>,
    /// Healthy range (for within_range).
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    /// When the target was set; defaults to today when a target is given.
    pub target_set_on: Option<NaiveDate>,
    pub baseline: Option<f64>,
    #[serde(default)]
    pub caveats: String,
    #[serde(default = "kpi_class")]
    pub class: KpiClass,
    #[serde(default = "lagging")]
    pub timing: Timing,
    #[serde(default = "output")]
    pub flow: Flow,
    /// speed, volume, quality, cost or other; speed and volume KPIs want a counterweight.
    #[serde(default = "other")]
    pub nature: Nature,
    #[serde(default)]
    pub north_star: bool,
    #[serde(default)]
    pub guardrail: bool,
    pub guardrail_threshold: Option<f64>,
    pub counterweight_id: Option<KpiId>,
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
    #[serde(default = "warning")]
    pub warning_from_pct: f64,
    #[serde(default = "window")]
    pub window_periods: i64,
}

impl CreateKpi {
    /// A KPI called `name` with every other field at its default (front ends fill in what differs).
    pub fn named(name: &str) -> CreateKpi {
        CreateKpi {
            name: name.to_owned(),
            key: None,
            description: String::new(),
            owner_id: None,
            unit: None,
            unit_of_measure: String::new(),
            formula: None,
            query: String::new(),
            cadence: daily(),
            aggregation: None,
            direction: higher(),
            target: None,
            range_low: None,
            range_high: None,
            target_set_on: None,
            baseline: None,
            caveats: String::new(),
            class: kpi_class(),
            timing: lagging(),
            flow: output(),
            nature: other(),
            north_star: false,
            guardrail: false,
            guardrail_threshold: None,
            counterweight_id: None,
            valid_min: None,
            valid_max: None,
            warning_from_pct: warning(),
            window_periods: window(),
        }
    }
}

fn daily() -> Cadence {
    Cadence::Daily
}
fn higher() -> KpiDirection {
    KpiDirection::HigherIsBetter
}
fn kpi_class() -> KpiClass {
    KpiClass::Kpi
}
fn lagging() -> Timing {
    Timing::Lagging
}
fn output() -> Flow {
    Flow::Output
}
fn other() -> Nature {
    Nature::Other
}
fn warning() -> f64 {
    quarterdeck_domain::kpi::health::DEFAULT_WARNING_FROM_PCT
}
fn window() -> i64 {
    12
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateKpi {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub unit_id: Option<Option<UnitId>>,
    pub unit_of_measure: Option<String>,
    pub query: Option<String>,
    pub cadence: Option<Cadence>,
    /// A new target; the old one stays in the target history.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub target: Option<Option<f64>>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub target_set_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub baseline: Option<Option<f64>>,
    pub caveats: Option<String>,
    pub class: Option<KpiClass>,
    pub timing: Option<Timing>,
    pub flow: Option<Flow>,
    pub nature: Option<Nature>,
    pub north_star: Option<bool>,
    pub guardrail: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub guardrail_threshold: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub counterweight_id: Option<Option<KpiId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub valid_min: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub valid_max: Option<Option<f64>>,
    pub warning_from_pct: Option<f64>,
    pub window_periods: Option<i64>,
}

/// Which KPIs a list shows.
#[derive(Debug, Clone, Default)]
pub struct KpiQuery {
    /// Unit id or slug.
    pub unit: Option<String>,
    pub owner: Option<PersonId>,
    pub kra: Option<KraId>,
    pub guardrail: Option<bool>,
    pub north_star: Option<bool>,
    /// Only speed/volume KPIs without a quality counterweight.
    pub missing_counterweight: bool,
}

fn opt_finite(field: &'static str, v: Option<f64>) -> Result<Option<f64>, DomainError> {
    v.map(|v| finite(field, v)).transpose()
}

impl App {
    /// The store's filter for a KPI query (the unit named by id or slug).
    async fn kpi_filter(&self, q: &KpiQuery) -> AppResult<KpiFilter> {
        Ok(KpiFilter {
            unit_id: self.resolve_unit_id("unit", q.unit.as_deref()).await?,
            owner_id: q.owner,
            kra_id: q.kra,
            guardrail: q.guardrail,
            north_star: q.north_star,
            missing_counterweight: q.missing_counterweight,
        })
    }

    pub async fn list_kpis(&self, q: KpiQuery, page: PageRequest) -> AppResult<ListPage<KpiView>> {
        let filter = self.kpi_filter(&q).await?;
        Ok(self.store().list_kpis(filter, page).await?.into())
    }

    /// Adds a KPI to the metric dictionary, with every rule of its definition checked.
    pub async fn create_kpi(&self, b: CreateKpi) -> AppResult<KpiView> {
        let new = self.new_kpi(b).await?;
        Ok(self.store().create_kpi(&self.ctx(), new).await?.into())
    }

    /// A KPI definition checked against the method's rules and the actor's rights, ready to
    /// store (alone, or with the write that makes it, such as retiring a key result into it).
    pub(crate) async fn new_kpi(&self, b: CreateKpi) -> AppResult<NewKpi> {
        let name = Name::parse("name", &b.name)?;
        let key = match b.key.as_deref() {
            Some(k) => KpiKey::parse(k)?,
            None => KpiKey::from_name(name.as_str()).ok_or_else(|| {
                AppError::new(Code::InvalidKey, "no key can be made from this name; give one").with_field("key")
            })?,
        };
        let formula = b.formula.as_deref().map(|f| plain("formula", f)).transpose()?;
        let formula = formula.map(Formula::parse).transpose().map_err(DomainError::from)?;
        let aggregation = aggregation_for(formula.is_some(), b.aggregation)?;
        let target = Target::new(b.direction, opt_finite("target", b.target)?, b.range_low, b.range_high)?;
        check_bounds(b.valid_min, b.valid_max)?;
        let guardrail_threshold = opt_finite("guardrail_threshold", b.guardrail_threshold)?;
        check_guardrail(b.guardrail, b.direction, guardrail_threshold, target)?;
        let unit_id = self.resolve_unit_id("unit", b.unit.as_deref()).await?;
        self.may(Action::EditKpi, async {
            let unit = match (unit_id, b.owner_id) {
                (Some(u), _) => Some(u),
                (None, Some(p)) => self.store().get_person(p).await?.unit_id,
                (None, None) => None,
            };
            Ok(quarterdeck_domain::access::Target {
                units: self.unit_chain(unit).await?,
                owner: b.owner_id,
                draft: false,
            })
        })
        .await?;
        let new = NewKpi {
            key,
            name,
            description: LongText::parse("description", &b.description)?,
            owner_id: b.owner_id,
            unit_id,
            unit_of_measure: UnitOfMeasure::parse("unit_of_measure", &b.unit_of_measure)?,
            formula,
            query: LongText::parse("query", &b.query)?,
            cadence: b.cadence,
            aggregation,
            direction: b.direction,
            target,
            target_set_on: b.target_set_on.or(target.map(|_| self.today())),
            baseline: opt_finite("baseline", b.baseline)?,
            caveats: LongText::parse("caveats", &b.caveats)?,
            class: b.class,
            timing: b.timing,
            flow: b.flow,
            nature: b.nature,
            north_star: b.north_star,
            guardrail: b.guardrail,
            guardrail_threshold,
            counterweight_id: b.counterweight_id,
            valid_min: b.valid_min,
            valid_max: b.valid_max,
            warning_from_pct: check_warning_pct(b.warning_from_pct)?,
            window_periods: check_window(b.window_periods)?,
        };
        Ok(new)
    }

    /// A KPI with its trust badge and segments.
    pub async fn get_kpi(&self, raw: &str) -> AppResult<KpiDetail> {
        let kpi = self.resolve_kpi(raw).await?;
        let trust = self.trust(&kpi).await?;
        let segments = self.store().kpi_segments(kpi.id).await?;
        Ok(KpiDetail { card: KpiCard { kpi: kpi.into(), trust }, segments })
    }

    pub async fn update_kpi(&self, raw: &str, version: i64, b: UpdateKpi) -> AppResult<KpiView> {
        let current = self.resolve_kpi(raw).await?;
        let patch = self.kpi_patch(&current, b).await?;
        or_current(
            self.store().update_kpi(&self.ctx(), current.id, version, patch).await,
            self.store().get_kpi(current.id),
            KpiView::from,
        )
        .await
    }

    /// A change of `current` checked against the method's rules and the actor's rights.
    pub(crate) async fn kpi_patch(&self, current: &Kpi, b: UpdateKpi) -> AppResult<KpiPatch> {
        self.may(Action::EditKpi, self.kpi_target(current.id)).await?;
        let target = if b.target.is_some() || b.range_low.is_some() || b.range_high.is_some() {
            let t =
                Target::new(current.direction, opt_finite("target", b.target.flatten())?, b.range_low, b.range_high)?;
            Some((t, b.target_set_on.or(Some(self.today()))))
        } else {
            None
        };
        let valid_min = b.valid_min.map(|v| opt_finite("valid_min", v)).transpose()?;
        let valid_max = b.valid_max.map(|v| opt_finite("valid_max", v)).transpose()?;
        check_bounds(valid_min.unwrap_or(current.valid_min), valid_max.unwrap_or(current.valid_max))?;
        let text = |field: &'static str, v: Option<&str>| v.map(|s| LongText::parse(field, s)).transpose();
        let patch = KpiPatch {
            name: b.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
            description: text("description", b.description.as_deref())?,
            owner_id: b.owner_id,
            unit_id: b.unit_id,
            unit_of_measure: b
                .unit_of_measure
                .as_deref()
                .map(|u| UnitOfMeasure::parse("unit_of_measure", u))
                .transpose()?,
            query: text("query", b.query.as_deref())?,
            cadence: b.cadence,
            target,
            baseline: b.baseline.map(|v| opt_finite("baseline", v)).transpose()?,
            caveats: text("caveats", b.caveats.as_deref())?,
            class: b.class,
            timing: b.timing,
            flow: b.flow,
            nature: b.nature,
            north_star: b.north_star,
            guardrail: b.guardrail,
            guardrail_threshold: b.guardrail_threshold.map(|v| opt_finite("guardrail_threshold", v)).transpose()?,
            counterweight_id: b.counterweight_id,
            valid_min,
            valid_max,
            warning_from_pct: b.warning_from_pct.map(check_warning_pct).transpose()?,
            window_periods: b.window_periods.map(check_window).transpose()?,
        };
        Ok(patch)
    }

    pub async fn kpi_target_history(&self, raw: &str) -> AppResult<Vec<TargetChangeView>> {
        let kpi = self.resolve_kpi(raw).await?;
        Ok(self.store().kpi_target_history(kpi.id).await?.into_iter().map(Into::into).collect())
    }

    /// Raw points of a KPI, newest first.
    pub async fn list_measurements(
        &self,
        raw: &str,
        segment: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> AppResult<ListPage<MeasurementView>> {
        let kpi = self.resolve_kpi(raw).await?;
        let segment = segment.map(|s| plain("segment", &s).map(str::to_owned)).transpose()?;
        Ok(self.store().list_measurements(kpi.id, segment, from, to, page).await?.into())
    }

    /// Period values (oldest first) with attainment and health; at most `limit` (1–1000,
    /// default 52) of the most recent ones. The granularity defaults to the KPI's cadence.
    pub async fn list_periods(
        &self,
        raw: &str,
        granularity: Option<Granularity>,
        segment: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        limit: Option<u32>,
    ) -> AppResult<(KpiView, Vec<PeriodView>)> {
        let kpi = self.resolve_kpi(raw).await?;
        let limit = limit.unwrap_or(52);
        if !(1..=1000).contains(&limit) {
            return Err(AppError::new(Code::InvalidPage, "limit must be between 1 and 1000").with_field("limit"));
        }
        let segment = segment.map(|s| plain("segment", &s).map(str::to_owned)).transpose()?;
        let g = granularity.unwrap_or(Granularity::of_cadence(kpi.cadence));
        let periods = self.store().list_periods(kpi.id, g, segment, from, to, limit).await?;
        let views = periods.into_iter().map(|p| PeriodView::new(&kpi, p)).collect();
        Ok((kpi.into(), views))
    }

    pub async fn kpi_stretch_targets(&self, raw: &str) -> AppResult<StretchView> {
        let kpi = self.resolve_kpi(raw).await?;
        self.stretch_for(&kpi).await
    }

    /// Stretch targets (METHOD.md §3) from the KPI's trailing window.
    pub(crate) async fn stretch_for(&self, kpi: &Kpi) -> AppResult<StretchView> {
        let g = Granularity::of_cadence(kpi.cadence);
        let periods = self.store().list_periods(kpi.id, g, None, None, None, kpi.window_periods as u32).await?;
        let values: Vec<f64> = periods.iter().filter_map(|p| p.value).collect();
        let stretch = stretch_targets(&values, kpi.direction == KpiDirection::LowerIsBetter)
            .ok_or_else(|| DomainError::NotEnoughHistory { kpi: kpi.key.clone(), have: values.len() })?;
        let cv = if stretch.mean != 0.0 { stretch.sd / stretch.mean.abs() } else { f64::INFINITY };
        let advice = if cv > 0.2 {
            "noisy history (sd above 20 % of the mean): aim for mean + 1 to 1.5 sd".to_owned()
        } else {
            "stable history: mean + 2 sd is a real stretch".to_owned()
        };
        Ok(StretchView { window_periods: kpi.window_periods, stretch, advice })
    }

    /// A page of KPIs as cards with their trust badges and recent values: three reads
    /// whatever the page's size.
    pub async fn list_kpi_cards(&self, q: KpiQuery, page: PageRequest) -> AppResult<ListPage<KpiCard>> {
        let filter = self.kpi_filter(&q).await?;
        let kpis = self.store().list_kpis(filter, page).await?;
        let badges = self.trust_of(&kpis.items).await?;
        let items = kpis.items.into_iter().zip(badges).map(|(kpi, trust)| KpiCard { kpi: kpi.into(), trust }).collect();
        Ok(ListPage { items, next_cursor: kpis.next_cursor })
    }

    /// The trust badge: reads the last few period rows and the source's state, never raw points.
    pub(crate) async fn trust(&self, kpi: &Kpi) -> AppResult<TrustView> {
        let mut badges = self.trust_of(std::slice::from_ref(kpi)).await?;
        Ok(badges.pop().expect("one badge per KPI"))
    }

    /// The trust badges of several KPIs, in their order, from two reads whatever their number.
    pub(crate) async fn trust_of(&self, kpis: &[Kpi]) -> AppResult<Vec<TrustView>> {
        let (now, today, zone) = (self.now(), self.today(), self.zone());
        let wanted: Vec<(KpiId, Granularity)> =
            kpis.iter().map(|k| (k.id, Granularity::of_cadence(k.cadence))).collect();
        let mut periods: HashMap<KpiId, Vec<RecentPeriod>> = HashMap::new();
        for (kpi, p) in self.store().recent_periods(&wanted, TRUST_WINDOW as u32 + 1).await? {
            periods.entry(kpi).or_default().push(p);
        }
        let ids: Vec<KpiId> = kpis.iter().map(|k| k.id).collect();
        let mut failing: HashMap<KpiId, bool> = HashMap::new();
        for s in self.store().data_sources_of(&ids).await? {
            let ok = match (s.last_error_at, s.last_success_at) {
                (Some(e), Some(ok)) => ok >= e,
                (Some(_), None) => false,
                _ => true,
            };
            *failing.entry(s.kpi_id).or_default() |= !ok;
        }
        Ok(kpis
            .iter()
            .map(|kpi| {
                let own = periods.get(&kpi.id).map(Vec::as_slice).unwrap_or_default();
                let present: Vec<NaiveDate> = own.iter().map(|p| p.start).collect();
                let missing = missing_periods(
                    Granularity::of_cadence(kpi.cadence),
                    kpi.first_point_at.map(|t| zone.local_date(t)),
                    &present,
                    today,
                    TRUST_WINDOW,
                );
                let invalid = own
                    .iter()
                    .filter(|p| p.count > 0 && !within_bounds(p.min, p.max, kpi.valid_min, kpi.valid_max))
                    .count();
                let mut own: Vec<&RecentPeriod> = own.iter().collect();
                own.sort_by_key(|p| p.start);
                let recent_values = own.iter().map(|p| p.value).collect();
                let badge: TrustView = TrustBadge {
                    fresh: is_fresh(kpi.cadence, kpi.last_point_at, now),
                    complete: missing == 0,
                    valid: invalid == 0,
                    source_ok: !failing.get(&kpi.id).copied().unwrap_or(false),
                    missing_periods: missing,
                    invalid_periods: invalid,
                    last_point_at: kpi.last_point_at,
                }
                .into();
                TrustView { recent_values, ..badge }
            })
            .collect())
    }
}
