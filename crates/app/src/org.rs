//! The organisation: units (company → departments → teams) and people.

use crate::input::double_option;
use crate::views::*;
use crate::{App, AppError, AppResult, ListPage, or_current};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{PersonId, UnitId};
use quarterdeck_domain::text::{Email, Name, Slug};
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::*;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    pub name: String,
    /// Natural key; derived from the name when left out.
    pub slug: Option<String>,
    #[serde(default = "team")]
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

fn team() -> UnitKind {
    UnitKind::Team
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    /// The version edited (or send If-Match).
    pub version: Option<i64>,
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    /// `null` moves the unit to the top of the tree.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub parent_id: Option<Option<UnitId>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    pub name: String,
    pub email: String,
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub unit_id: Option<Option<UnitId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub manager_id: Option<Option<PersonId>>,
}

impl App {
    pub async fn list_units(
        &self,
        parent: Option<&str>,
        kind: Option<UnitKind>,
        page: PageRequest,
    ) -> AppResult<ListPage<UnitView>> {
        let parent_id = self.resolve_unit_id("parent", parent).await?;
        Ok(self.store().list_units(UnitFilter { parent_id, kind }, page).await?.into())
    }

    pub async fn create_unit(&self, input: CreateUnit) -> AppResult<UnitView> {
        self.may_administer()?;
        let name = Name::parse("name", &input.name)?;
        let slug = match input.slug.as_deref() {
            Some(s) => Slug::parse("slug", s)?,
            None => Slug::from_name(name.as_str()).ok_or_else(|| {
                AppError::new(Code::InvalidSlug, "no slug can be made from this name; give one").with_field("slug")
            })?,
        };
        Ok(self
            .store()
            .create_unit(&self.ctx(), NewUnit { slug, name, kind: input.kind, parent_id: input.parent_id })
            .await?
            .into())
    }

    /// A unit by id or slug.
    pub async fn get_unit(&self, raw: &str) -> AppResult<UnitView> {
        self.resolve_unit("id", raw).await.map(Into::into)
    }

    pub async fn update_unit(&self, raw: &str, version: i64, input: UpdateUnit) -> AppResult<UnitView> {
        self.may_administer()?;
        let id = self.resolve_unit("id", raw).await?.id;
        let patch = UnitPatch {
            name: input.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
            kind: input.kind,
            parent_id: input.parent_id,
        };
        or_current(
            self.store().update_unit(&self.ctx(), id, version, patch).await,
            self.store().get_unit(id),
            UnitView::from,
        )
        .await
    }

    pub async fn list_people(
        &self,
        unit: Option<&str>,
        manager: Option<PersonId>,
        page: PageRequest,
    ) -> AppResult<ListPage<PersonView>> {
        let unit_id = self.resolve_unit_id("unit", unit).await?;
        Ok(self.store().list_people(PersonFilter { unit_id, manager_id: manager }, page).await?.into())
    }

    pub async fn create_person(&self, input: CreatePerson) -> AppResult<PersonView> {
        self.may_administer()?;
        let new = NewPerson {
            name: Name::parse("name", &input.name)?,
            email: Email::parse("email", &input.email)?,
            unit_id: input.unit_id,
            manager_id: input.manager_id,
        };
        Ok(self.store().create_person(&self.ctx(), new).await?.into())
    }

    pub async fn get_person(&self, id: PersonId) -> AppResult<PersonView> {
        Ok(self.store().get_person(id).await?.into())
    }

    pub async fn update_person(&self, id: PersonId, version: i64, input: UpdatePerson) -> AppResult<PersonView> {
        self.may_administer()?;
        let patch = PersonPatch {
            name: input.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
            email: input.email.as_deref().map(|e| Email::parse("email", e)).transpose()?,
            unit_id: input.unit_id,
            manager_id: input.manager_id,
        };
        or_current(
            self.store().update_person(&self.ctx(), id, version, patch).await,
            self.store().get_person(id),
            PersonView::from,
        )
        .await
    }

    /// The organisation's settings.
    pub async fn settings(&self) -> AppResult<Settings> {
        Ok(self.store().settings().await?.into())
    }

    /// Changes the organisation's settings, if they are still at `version`. A new time zone
    /// moves "today" and the day every measurement counts for, so the stored period values
    /// are recomputed in the same transaction.
    pub async fn update_settings(&self, version: i64, input: UpdateSettings) -> AppResult<Settings> {
        self.may_administer()?;
        let zone = input.time_zone.as_deref().map(quarterdeck_domain::zone::Zone::parse).transpose()?;
        let mut stored = self.settings().await?;
        let mut version = version;
        if let Some(zone) = zone {
            stored = or_current(
                self.store().set_time_zone(&self.ctx(), version, zone).await.map(Settings::from),
                async { self.store().settings().await.map(Settings::from) },
                |s| s,
            )
            .await?;
            version = stored.version;
        }
        if let Some(on) = input.anonymous_read {
            stored = or_current(
                self.store().set_anonymous_read(&self.ctx(), version, on).await.map(Settings::from),
                async { self.store().settings().await.map(Settings::from) },
                |s| s,
            )
            .await?;
        }
        self.refresh_settings().await?;
        Ok(stored)
    }
}

/// The organisation's settings.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Moves with every change; send it back (If-Match or `version`) to change a setting.
    pub version: i64,
    /// IANA time zone whose calendar days are "today", the days of KPI periods and the
    /// days check-ins count for.
    pub time_zone: String,
    /// Whether requests without credentials may read everything (a wall display on a
    /// trusted network); they never write.
    pub anonymous_read: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    /// The version edited (or send If-Match).
    pub version: Option<i64>,
    /// An IANA name such as Europe/Oslo or UTC.
    pub time_zone: Option<String>,
    /// Let requests without credentials read everything (never write).
    pub anonymous_read: Option<bool>,
}

impl From<quarterdeck_store::records::OrgSettings> for Settings {
    fn from(s: quarterdeck_store::records::OrgSettings) -> Self {
        Settings { version: s.version, time_zone: s.time_zone.name().to_owned(), anonymous_read: s.anonymous_read }
    }
}
