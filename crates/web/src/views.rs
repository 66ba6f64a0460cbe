//! What the API shows: records plus what the method derives for today (colour, success,
//! expected progress, pace). Computed from the stored numbers; nothing is rescanned.

use chrono::NaiveDate;
use quarterdeck_domain::pace::{PaceStatus, expected_progress, pace};
use quarterdeck_domain::scoring::{Colour, Score, ScoringPolicy};
use quarterdeck_store::Page;
use quarterdeck_store::records::{KeyResult, Objective};
use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for ListPage<T> {
    fn from(p: Page<T>) -> Self {
        ListPage { items: p.items, next_cursor: p.next_cursor }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectiveView {
    #[serde(flatten)]
    pub objective: Objective,
    /// green ≥ 0.7, amber 0.4–0.7, red < 0.4.
    pub colour: Colour,
    /// 0.7 for aspirational objectives, 1.0 for committed ones.
    pub success_threshold: f64,
    /// Whether the score has reached the success threshold.
    pub success: bool,
    /// Share of the cycle elapsed by the end of today: where a linear plan would be.
    pub expected_progress: f64,
    pub pace: PaceStatus,
    /// The objective's key results (on a single objective, or a list with `include=key_results`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_results: Option<Vec<KeyResultView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResultView {
    #[serde(flatten)]
    pub key_result: KeyResult,
    pub colour: Colour,
    pub expected_progress: f64,
    pub pace: PaceStatus,
}

impl ObjectiveView {
    pub fn new(
        objective: Objective,
        key_results: Option<Vec<KeyResult>>,
        policy: &ScoringPolicy,
        today: NaiveDate,
    ) -> Self {
        let score = Score::clamped(objective.score);
        let expected = expected_progress(&objective.cycle.dates(), today);
        ObjectiveView {
            colour: policy.colour(score),
            success_threshold: policy.success_threshold(objective.kind),
            success: policy.is_success(objective.kind, score),
            expected_progress: expected,
            pace: pace(score, expected, policy),
            key_results: key_results.map(|krs| krs.into_iter().map(|k| KeyResultView::new(k, policy, today)).collect()),
            objective,
        }
    }
}

impl KeyResultView {
    pub fn new(key_result: KeyResult, policy: &ScoringPolicy, today: NaiveDate) -> Self {
        let score = Score::clamped(key_result.score);
        let expected = expected_progress(&key_result.cycle.dates(), today);
        KeyResultView {
            colour: policy.colour(score),
            expected_progress: expected,
            pace: pace(score, expected, policy),
            key_result,
        }
    }
}
