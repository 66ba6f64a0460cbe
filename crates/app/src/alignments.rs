//! The alignment graph: an objective aligns to parent objectives or parent key results.

use crate::views::*;
use crate::{App, AppResult, ListPage};
use quarterdeck_domain::DomainError;
use quarterdeck_domain::access::Action;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::ids::{AlignmentId, KeyResultId, ObjectiveId};
use quarterdeck_domain::scoring::Weight;
use quarterdeck_store::PageRequest;
use quarterdeck_store::input::*;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAlignment {
    /// The aligning objective.
    pub child_id: ObjectiveId,
    /// Align to this objective …
    pub parent_objective_id: Option<ObjectiveId>,
    /// … or to this key result (a parent's key result can be the child's objective).
    pub parent_key_result_id: Option<KeyResultId>,
    /// contributes (counted in the parent's roll-up, default) or supports (shown only).
    #[serde(default = "contributes")]
    pub kind: LinkKind,
    /// Weight in the parent's roll-up; default 1.
    #[serde(default = "one")]
    pub weight: f64,
}

fn contributes() -> LinkKind {
    LinkKind::Contributes
}
fn one() -> f64 {
    1.0
}

impl App {
    pub async fn list_alignments(
        &self,
        child: Option<ObjectiveId>,
        parent: Option<ObjectiveId>,
        page: PageRequest,
    ) -> AppResult<ListPage<AlignmentView>> {
        let filter = AlignmentFilter { child_id: child, parent_objective_id: parent };
        Ok(self.store().list_alignments(filter, page).await?.into())
    }

    /// How many objectives align to each of these (one read; those with none left out).
    pub async fn count_below(&self, parents: &[ObjectiveId]) -> AppResult<std::collections::HashMap<ObjectiveId, i64>> {
        Ok(self.store().count_alignments_under(parents).await?.into_iter().collect())
    }

    /// The next level of the alignment graph below these objectives: each link with the
    /// objective that aligns (with its key results when asked), in link order. Two reads
    /// (three with key results) however many parents: what the company page and the
    /// alignment map show one level at a time.
    pub async fn aligned_below(
        &self,
        parents: &[ObjectiveId],
        with_key_results: bool,
    ) -> AppResult<Vec<(AlignmentView, ObjectiveView)>> {
        let links = self.store().alignments_under(parents).await?;
        let mut ids: Vec<ObjectiveId> = links.iter().map(|l| l.child_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let objectives = self.store().objectives_by_ids(&ids).await?;
        let mut krs =
            if with_key_results { self.key_results_by_objective(&objectives).await? } else { Default::default() };
        let today = self.today();
        let views: std::collections::HashMap<ObjectiveId, ObjectiveView> = objectives
            .into_iter()
            .map(|o| {
                let own = with_key_results.then(|| krs.remove(&o.id).unwrap_or_default());
                (o.id, ObjectiveView::new(o, own, &self.policy(), today))
            })
            .collect();
        Ok(links
            .into_iter()
            .filter_map(|l| {
                let child = views.get(&l.child_id)?.clone();
                Some((AlignmentView::from(l), child))
            })
            .collect())
    }

    pub async fn create_alignment(&self, input: CreateAlignment) -> AppResult<AlignmentView> {
        self.may(Action::EditOkr, self.objective_target_of(input.child_id)).await?;
        let parent = match (input.parent_objective_id, input.parent_key_result_id) {
            (Some(o), None) => AlignmentTarget::Objective(o),
            (None, Some(k)) => AlignmentTarget::KeyResult(k),
            _ => return Err(DomainError::AlignmentParent.into()),
        };
        let new = NewAlignment {
            child_id: input.child_id,
            parent,
            kind: input.kind,
            weight: Weight::new("weight", input.weight)?,
        };
        Ok(self.store().create_alignment(&self.ctx(), new).await?.into())
    }

    pub async fn delete_alignment(&self, id: AlignmentId) -> AppResult<()> {
        self.may(Action::EditOkr, async { self.objective_target_of(self.store().alignment_child(id).await?).await })
            .await?;
        Ok(self.store().delete_alignment(&self.ctx(), id).await?)
    }
}
