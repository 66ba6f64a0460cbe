//! What connects KPIs: driver trees and their edges, Key Result Areas, guardrails on
//! objectives, and a unit's KPI scorecard.

use crate::views::*;
use crate::views::{GuardrailLinked, KpiCard, Scorecard, TreeView};
use crate::{App, AppResult, ListPage, or_current};
use quarterdeck_domain::access::Action;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::health::{COMPLETION_NORM_PCT, completion_share};
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_domain::text::{LongText, Name, bounded};
use quarterdeck_store::PageRequest;
use quarterdeck_store::kpi::*;
use serde::Deserialize;

/// Most nodes a driver tree page shows.
pub const MAX_TREE_NODES: usize = 500;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateEdge {
    pub parent_id: KpiId,
    pub child_id: KpiId,
    #[serde(default = "medium")]
    pub influence: Influence,
    #[serde(default = "medium")]
    pub confidence: Influence,
    #[serde(default = "positive")]
    pub sign: EdgeSign,
}

fn medium() -> Influence {
    Influence::Medium
}
fn positive() -> EdgeSign {
    EdgeSign::Positive
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKra {
    pub name: String,
    /// The role it belongs to ("Recruiter").
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetKraKpis {
    pub version: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkGuardrail {
    pub kpi_id: KpiId,
    pub objective_id: ObjectiveId,
}

impl App {
    /// The driver tree below a KPI (usually a North Star).
    pub async fn kpi_tree(&self, raw: &str) -> AppResult<TreeView> {
        let kpi = self.resolve_kpi(raw).await?;
        let (nodes, edges) = self.store().kpi_tree(kpi.id, MAX_TREE_NODES).await?;
        Ok(TreeView {
            nodes: nodes.into_iter().map(Into::into).collect(),
            edges: edges.into_iter().map(Into::into).collect(),
        })
    }

    pub async fn create_kpi_edge(&self, input: CreateEdge) -> AppResult<KpiEdgeView> {
        self.may(Action::EditKpi, self.kpi_target(input.parent_id)).await?;
        let new = NewKpiEdge {
            parent_id: input.parent_id,
            child_id: input.child_id,
            influence: input.influence,
            confidence: input.confidence,
            sign: input.sign,
        };
        Ok(self.store().create_kpi_edge(&self.ctx(), new).await?.into())
    }

    pub async fn delete_kpi_edge(&self, id: KpiEdgeId) -> AppResult<()> {
        self.may(Action::EditKpi, async { self.kpi_target(self.store().kpi_edge_parent(id).await?).await }).await?;
        Ok(self.store().delete_kpi_edge(&self.ctx(), id).await?)
    }

    pub async fn list_kras(&self, page: PageRequest) -> AppResult<ListPage<KraView>> {
        Ok(self.store().list_kras(page).await?.into())
    }

    /// A Key Result Area: a named group of a role's KPIs (3–7 per role is the norm).
    pub async fn create_kra(&self, input: CreateKra) -> AppResult<KraView> {
        self.may_administer()?;
        let new = NewKra {
            name: Name::parse("name", &input.name)?.into_string(),
            role: bounded("role", &input.role, 120)?,
            description: LongText::parse("description", &input.description)?.into_string(),
            kpi_ids: input.kpi_ids,
        };
        Ok(self.store().create_kra(&self.ctx(), new).await?.into())
    }

    pub async fn get_kra(&self, id: KraId) -> AppResult<KraView> {
        Ok(self.store().get_kra(id).await?.into())
    }

    pub async fn set_kra_kpis(&self, id: KraId, version: Option<i64>, input: SetKraKpis) -> AppResult<KraView> {
        self.may_administer()?;
        let version = version.or(input.version);
        or_current(
            self.store().set_kra_kpis(&self.ctx(), id, version, input.kpi_ids).await,
            self.store().get_kra(id),
            KraView::from,
        )
        .await
    }

    pub async fn list_guardrail_links(
        &self,
        kpi: Option<KpiId>,
        objective: Option<ObjectiveId>,
        page: PageRequest,
    ) -> AppResult<ListPage<GuardrailLinkView>> {
        Ok(self.store().list_guardrail_links(kpi, objective, page).await?.into())
    }

    /// Links a guardrail KPI to an objective; a guardrail already breached pauses it at once.
    pub async fn link_guardrail(&self, input: LinkGuardrail) -> AppResult<GuardrailLinked> {
        self.may(Action::EditOkr, self.objective_target_of(input.objective_id)).await?;
        let (link, report) = self.store().link_guardrail(&self.ctx(), input.kpi_id, input.objective_id).await?;
        Ok(GuardrailLinked { link: link.into(), objectives_paused: report.objectives_paused })
    }

    pub async fn unlink_guardrail(&self, id: GuardrailLinkId) -> AppResult<()> {
        self.may(Action::EditOkr, async {
            self.objective_target_of(self.store().guardrail_link_objective(id).await?).await
        })
        .await?;
        Ok(self.store().unlink_guardrail(&self.ctx(), id).await?)
    }

    /// A unit's KPIs with health and trust, the KPI completion share against the 94–100 %
    /// norm, and the counterweight warnings. The warnings come from the same rule as the
    /// KPI list's `warning=counterweight` filter, over every KPI of the organisation (a KPI
    /// of another unit, or on another page, may be the counterweight).
    pub async fn unit_scorecard(&self, raw: &str, page: PageRequest) -> AppResult<Scorecard> {
        let unit_id = self.resolve_unit("id", raw).await?.id;
        let kpis = self.store().list_kpis(KpiFilter { unit_id: Some(unit_id), ..Default::default() }, page).await?;
        let share = completion_share(kpis.items.iter().filter_map(|k| k.current_status));
        let unpaired = KpiFilter { unit_id: Some(unit_id), missing_counterweight: true, ..Default::default() };
        let mut warnings = Vec::new();
        let mut request = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let got = self.store().list_kpis(unpaired.clone(), request).await?;
            warnings.extend(got.items.iter().map(|k| k.id));
            match got.next_cursor {
                Some(c) => request = crate::page(Some(PageRequest::MAX_LIMIT), Some(&c))?,
                None => break,
            }
        }
        let badges = self.trust_of(&kpis.items).await?;
        let cards = kpis.items.into_iter().zip(badges).map(|(kpi, trust)| KpiCard { kpi: kpi.into(), trust }).collect();
        Ok(Scorecard {
            unit_id,
            kpis: cards,
            completion_share_pct: share,
            within_norm: share.map(|s| s >= COMPLETION_NORM_PCT),
            counterweight_warnings: warnings,
            next_cursor: kpis.next_cursor,
        })
    }
}
