//! Names people use for records: a unit by id or slug, a cycle by id or `current`, a KPI by
//! id or key. Resolved here once, for every front end.

use crate::{App, AppError, AppResult};
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{CycleId, KpiId, UnitId};
use quarterdeck_domain::text::plain;
use quarterdeck_store::StoreError;
use quarterdeck_store::kpi::Kpi;
use quarterdeck_store::records::{Cycle, Unit};

impl App {
    /// A unit named by id or slug; `field` names the input it came from.
    pub(crate) async fn resolve_unit(&self, field: &'static str, raw: &str) -> AppResult<Unit> {
        plain(field, raw)?;
        let found = match raw.parse::<UnitId>() {
            Ok(id) => self.store().get_unit(id).await,
            Err(_) => self.store().find_unit_by_slug(raw.trim()).await,
        };
        found.map_err(|e| match e {
            StoreError::NotFound { .. } => {
                AppError::new(Code::UnknownUnit, format!("{field}: no unit with id or slug '{}'", raw.escape_debug()))
                    .with_field(field)
            }
            e => e.into(),
        })
    }

    /// A person named by id or e-mail address; `field` names the input it came from.
    pub async fn resolve_person(
        &self,
        field: &'static str,
        raw: &str,
    ) -> AppResult<quarterdeck_store::records::Person> {
        plain(field, raw)?;
        let found = match raw.trim().parse::<quarterdeck_domain::ids::PersonId>() {
            Ok(id) => match self.store().get_person(id).await {
                Ok(p) => Some(p),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => match quarterdeck_domain::text::Email::parse(field, raw) {
                Ok(email) => self.store().find_person_by_email(email.as_str()).await?,
                Err(_) => None,
            },
        };
        found.ok_or_else(|| {
            AppError::new(
                Code::UnknownReference,
                format!("{field}: no person with id or e-mail address '{}' in the directory", raw.escape_debug()),
            )
            .with_field(field)
        })
    }

    pub async fn resolve_unit_id(&self, field: &'static str, raw: Option<&str>) -> AppResult<Option<UnitId>> {
        match raw {
            Some(r) => Ok(Some(self.resolve_unit(field, r).await?.id)),
            None => Ok(None),
        }
    }

    /// The cycle that holds today: an active one first, then a quarter, then the earliest.
    pub(crate) async fn current_cycle(&self) -> AppResult<Cycle> {
        let today = self.today();
        self.store().current_cycle(today).await?.ok_or_else(|| {
            AppError::new(
                Code::NoCurrentCycle,
                format!("no cycle holds today ({today}); create one (POST /api/v1/cycles, or: quarterdeck cycles create --active)"),
            )
        })
    }

    /// A cycle named by id or as `current`.
    pub async fn resolve_cycle_id(&self, field: &'static str, raw: &str) -> AppResult<CycleId> {
        if raw == "current" {
            return Ok(self.current_cycle().await.map_err(|e| e.with_field(field))?.id);
        }
        raw.parse::<CycleId>().map_err(|_| {
            AppError::new(
                Code::InvalidId,
                format!("{field} must be a cycle id or 'current', not '{}'", raw.escape_debug()),
            )
            .with_field(field)
        })
    }

    pub(crate) async fn resolve_cycle(&self, field: &'static str, raw: &str) -> AppResult<Cycle> {
        let id = self.resolve_cycle_id(field, raw).await?;
        Ok(self.store().get_cycle(id).await?)
    }

    /// A KPI named by id or key.
    pub(crate) async fn resolve_kpi(&self, raw: &str) -> AppResult<Kpi> {
        plain("kpi", raw)?;
        let found = match raw.parse::<KpiId>() {
            Ok(id) => self.store().get_kpi(id).await,
            Err(_) => self.store().find_kpi_by_key(raw.trim()).await,
        };
        found.map_err(|e| match e {
            StoreError::NotFound { .. } => AppError::new(
                Code::NotFound,
                format!(
                    "no KPI with id or key '{}' (see GET /api/v1/kpis, or: quarterdeck kpi list)",
                    raw.escape_debug()
                ),
            ),
            e => e.into(),
        })
    }
}
