//! Initiatives: projects, experiments and tasks under a key result. Tracked, never scored.

use crate::input::double_option;
use crate::views::*;
use crate::{App, AppResult, ListPage, or_current};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::ids::{InitiativeId, KeyResultId, PersonId};
use quarterdeck_domain::okr::{InitiativeKind, InitiativeStatus};
use quarterdeck_domain::text::{Title, bounded};
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::*;
use serde::Deserialize;

const MAX_LINK: usize = 2000;

/// Where the work is tracked: an http(s) address, or nothing.
fn link(raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let link = bounded("link", raw.unwrap_or_default(), MAX_LINK)?;
    if link.is_empty() {
        return Ok(None);
    }
    if !(link.starts_with("https://") || link.starts_with("http://")) || link.contains(char::is_whitespace) {
        return Err(DomainError::InvalidLink { field: "link" });
    }
    Ok(Some(link))
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInitiative {
    pub key_result_id: KeyResultId,
    pub title: String,
    #[serde(default = "project")]
    pub kind: InitiativeKind,
    #[serde(default = "planned")]
    pub status: InitiativeStatus,
    pub owner_id: Option<PersonId>,
    /// Where the work is tracked (issue, board, document).
    pub link: Option<String>,
}

fn project() -> InitiativeKind {
    InitiativeKind::Project
}
fn planned() -> InitiativeStatus {
    InitiativeStatus::Planned
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateInitiative {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub kind: Option<InitiativeKind>,
    pub status: Option<InitiativeStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub link: Option<Option<String>>,
}

impl App {
    pub async fn list_initiatives(
        &self,
        key_result: Option<KeyResultId>,
        owner: Option<PersonId>,
        page: PageRequest,
    ) -> AppResult<ListPage<InitiativeView>> {
        let filter = InitiativeFilter { key_result_id: key_result, owner_id: owner };
        Ok(self.store().list_initiatives(filter, page).await?.into())
    }

    pub async fn create_initiative(&self, input: CreateInitiative) -> AppResult<InitiativeView> {
        self.may(Action::EditKeyResult, self.key_result_target(input.key_result_id)).await?;
        let new = NewInitiative {
            key_result_id: input.key_result_id,
            title: Title::parse("title", &input.title)?,
            kind: input.kind,
            status: input.status,
            owner_id: input.owner_id,
            link: link(input.link.as_deref())?,
        };
        Ok(self.store().create_initiative(&self.ctx(), new).await?.into())
    }

    pub async fn get_initiative(&self, id: InitiativeId) -> AppResult<InitiativeView> {
        Ok(self.store().get_initiative(id).await?.into())
    }

    pub async fn update_initiative(
        &self,
        id: InitiativeId,
        version: i64,
        input: UpdateInitiative,
    ) -> AppResult<InitiativeView> {
        self.may(Action::EditKeyResult, async {
            self.key_result_target(self.store().get_initiative(id).await?.key_result_id).await
        })
        .await?;
        let patch = InitiativePatch {
            title: input.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
            kind: input.kind,
            status: input.status,
            owner_id: input.owner_id,
            link: input.link.map(|l| link(l.as_deref())).transpose()?,
        };
        or_current(
            self.store().update_initiative(&self.ctx(), id, version, patch).await,
            self.store().get_initiative(id),
            InitiativeView::from,
        )
        .await
    }
}
