//! The application layer: one function per use case, called by every front end — the JSON
//! API, the command line and the scheduled jobs — so that a rule is applied the same way
//! wherever a person or a job acts.
//!
//! [`App`] owns the clock and the organisation's settings and reaches storage only through
//! the store port. It knows no HTTP: it returns [`AppError`]s with codes of the domain's
//! catalogue, which each front end maps to its own answer.

pub mod access;
pub mod accounts;
pub mod agenda;
pub mod alignments;
pub mod calibration;
pub mod candidates;
mod change_token;
pub mod coach;
pub mod correlation;
pub mod cycles;
pub mod error;
mod findings;
pub mod forecast;
pub mod initiatives;
pub mod input;
pub mod journal;
mod kept;
pub mod key_results;
pub mod kpi_links;
pub mod kpis;
pub mod measurements;
pub mod objectives;
pub mod org;
pub mod plan;
pub mod quarter_end;
mod read_model;
pub mod resolve;
pub mod sessions;
pub mod sources;
pub mod views;

pub use error::{AppError, AppResult};

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::actor::Actor;
use quarterdeck_domain::scoring::ScoringPolicy;
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::{Ctx, Page, PageRequest, Store, StoreError, StoreResult};
use std::future::Future;
use std::sync::{Arc, RwLock};

/// Where "now" comes from: the system clock, or a fixed instant (tests, replays).
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// The application: the store port, the clock, the organisation's settings, and who acts.
/// A front end holds one `App` per acting party (the API per request once accounts exist,
/// the command line for its user, each job for itself); every write it makes carries that
/// actor into the audit trail and the events.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Clock,
    /// The organisation's scoring bands and success thresholds (its coach policy's), shared
    /// by every clone of this `App` and read again with the settings.
    policy: Arc<RwLock<ScoringPolicy>>,
    actor: Actor,
    /// The organisation's time zone, shared by every clone of this `App`: which calendar
    /// day "today" is. Re-read with [`App::refresh_settings`] when the data has changed, so
    /// a server notices a zone set by another process.
    zone: Arc<RwLock<Zone>>,
    /// The list pages' ready views of objectives, shared by every clone of this `App`.
    objective_views: Arc<read_model::ObjectiveViews>,
    /// Concurrent readers of the change token share reads (see `change_token`).
    token_reads: Arc<change_token::TokenReads>,
    /// Whole-cycle reviews kept while nothing is written (see `kept`).
    reviews: Arc<kept::Kept<coach::Review>>,
    /// Each cycle's findings per objective, recomputed per objective changed (see `findings`).
    findings: Arc<findings::CycleFindings>,
    alignment_reviews: Arc<kept::Kept<coach::AlignmentReviewView>>,
    /// The organisation's calibration across cycles, kept the same way.
    calibrations: Arc<kept::Kept<calibration::CalibrationView>>,
    /// Which hosts HTTP data sources may reach: public ones, and those the operator allowed.
    source_reach: Arc<quarterdeck_sources::Reach>,
    /// What the acting party may do; the system (command line, jobs) may do everything, the
    /// web layer sets each request's from its token or session.
    rights: quarterdeck_domain::access::Rights,
    /// Whether the organisation lets requests without credentials read, as last read, and
    /// when it was read (shared by every clone of this `App`).
    anonymous_read: Arc<std::sync::atomic::AtomicBool>,
    settings_read_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Recently verified API tokens, shared by every clone of this `App`.
    token_cache: Arc<accounts::TokenCache>,
}

impl App {
    /// The application over a store, acting as an API client until told otherwise.
    pub fn new(store: Arc<dyn Store>) -> Self {
        App {
            store,
            clock: Clock::System,
            policy: Arc::new(RwLock::new(ScoringPolicy::default())),
            actor: Actor::Api,
            zone: Arc::new(RwLock::new(Zone::default())),
            objective_views: Arc::default(),
            token_reads: Arc::default(),
            reviews: Arc::default(),
            findings: Arc::default(),
            alignment_reviews: Arc::default(),
            calibrations: Arc::default(),
            source_reach: Arc::default(),
            rights: quarterdeck_domain::access::Rights::System,
            token_cache: Arc::default(),
            anonymous_read: Arc::default(),
            settings_read_at: Arc::default(),
        }
    }

    /// The application over a store, with the organisation's settings read from it.
    pub async fn open(store: Arc<dyn Store>) -> AppResult<Self> {
        let app = App::new(store);
        app.refresh_settings().await?;
        Ok(app)
    }

    /// Reads the organisation's settings (the time zone, the scoring bands) again from the
    /// store.
    pub async fn refresh_settings(&self) -> AppResult<()> {
        let settings = self.store.settings().await?;
        *self.zone.write().unwrap_or_else(|e| e.into_inner()) = settings.time_zone;
        self.set_scoring(self.store.coach_policy().await?.0.organisation().scoring);
        self.anonymous_read.store(settings.anonymous_read, std::sync::atomic::Ordering::Relaxed);
        *self.settings_read_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
        Ok(())
    }

    /// Whether the organisation lets requests without credentials read. Read again from the
    /// store when the last read is over five seconds old, so a change made through another
    /// server takes effect within seconds (at once through this one).
    pub async fn anonymous_read(&self) -> bool {
        let stale = self
            .settings_read_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|at| at.elapsed() > std::time::Duration::from_secs(5));
        if stale && let Err(e) = self.refresh_settings().await {
            tracing::warn!(error = %e, "could not read the settings; keeping the last ones");
        }
        self.anonymous_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The organisation's time zone.
    pub fn zone(&self) -> Zone {
        *self.zone.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The same application, acting as `actor`.
    pub fn acting_as(&self, actor: Actor) -> App {
        App { actor, ..self.clone() }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Who writes, and when: carried by every write into its audit rows and events.
    pub(crate) fn ctx(&self) -> Ctx {
        Ctx::new(self.actor.clone(), self.now())
    }

    /// Lets HTTP data sources reach these internal hosts too (the operator's
    /// `QUARTERDECK_SOURCE_ALLOWED_HOSTS`); by default they reach public addresses only.
    pub fn with_source_reach(mut self, reach: quarterdeck_sources::Reach) -> Self {
        self.source_reach = Arc::new(reach);
        self
    }

    pub(crate) fn source_reach(&self) -> &quarterdeck_sources::Reach {
        &self.source_reach
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in the organisation's time zone.
    pub fn today(&self) -> NaiveDate {
        self.zone().local_date(self.now())
    }

    pub fn policy(&self) -> ScoringPolicy {
        *self.policy.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the organisation's scoring bands from its coach policy.
    pub(crate) fn set_scoring(&self, scoring: ScoringPolicy) {
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = scoring;
    }

    /// Which backend holds the data ("sqlite", "postgres"), for logs and the health check.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> AppResult<()> {
        Ok(self.store.ping().await?)
    }

    /// A token that moves with every committed write, from any process: read caches are
    /// valid while it stands still.
    pub async fn change_token(&self) -> AppResult<String> {
        Ok(self.token_reads.read(self.store.as_ref()).await?)
    }

    /// Whether no organisation has been set up yet.
    pub async fn is_empty(&self) -> AppResult<bool> {
        Ok(self.store.is_empty().await?)
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// A page request from a list's `limit` and `cursor` parameters.
pub fn page(limit: Option<u32>, cursor: Option<&str>) -> AppResult<PageRequest> {
    Ok(PageRequest::parse(limit, cursor)?)
}

/// A page of a list, as every list answers. Pass `next_cursor` back as `cursor`.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A page of records becomes a page of what front ends show of them.
impl<T, V: From<T>> From<Page<T>> for ListPage<V> {
    fn from(p: Page<T>) -> Self {
        ListPage { items: p.items.into_iter().map(V::from).collect(), next_cursor: p.next_cursor }
    }
}

/// What a write returns, as front ends show it (`show`); a stale write becomes a version
/// conflict carrying the record as it is now, shown the same way.
pub(crate) async fn or_current<T, V, F>(result: StoreResult<T>, current: F, show: impl Fn(T) -> V) -> AppResult<V>
where
    V: serde::Serialize,
    F: Future<Output = StoreResult<T>>,
{
    match result {
        Ok(v) => Ok(show(v)),
        Err(e @ StoreError::Stale { .. }) => Err(AppError::from(e).with_current(current.await.ok().map(show))),
        Err(e) => Err(e.into()),
    }
}

/// Every page of a list, for front ends that show all of it (the command line).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = AppResult<ListPage<T>>>,
{
    let mut all = Vec::new();
    let mut request = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let got = fetch(request).await?;
        all.extend(got.items);
        match got.next_cursor {
            Some(c) => request = page(Some(PageRequest::MAX_LIMIT), Some(&c))?,
            None => return Ok(all),
        }
    }
}
