//! Alignment is a graph, not a parent field: an objective aligns to parent objectives or
//! parent key results; *contributes* links count in the parent's roll-up, *supports* links
//! are shown only. Loops are refused.

use crate::ids::ObjectiveId;
use crate::scoring::{Score, Weight, weighted_mean};
use crate::{DomainError, word_enum};
use std::collections::{HashMap, HashSet};

word_enum!(
    LinkKind {
        /// The child's progress counts in the parent's roll-up, with the link's weight.
        Contributes = "contributes",
        /// Shown on the alignment map, not counted.
        Supports = "supports",
    }
);

/// Refuses a link `child → parent` when it would close a loop. `parents_of` gives, for each
/// objective, the objectives it already aligns to (a link to a key result counts as a link
/// to that key result's objective).
pub fn check_new_link(
    child: ObjectiveId,
    parent: ObjectiveId,
    parents_of: &HashMap<ObjectiveId, Vec<ObjectiveId>>,
) -> Result<(), DomainError> {
    if child == parent {
        return Err(DomainError::SelfAlignment);
    }
    // A loop appears exactly when the child is already an ancestor of the parent.
    let mut seen = HashSet::new();
    let mut stack = vec![parent];
    while let Some(node) = stack.pop() {
        if node == child {
            return Err(DomainError::AlignmentCycle);
        }
        if seen.insert(node) {
            stack.extend(parents_of.get(&node).into_iter().flatten().copied());
        }
    }
    Ok(())
}

/// The roll-up a parent shows: weighted mean of its contributing children's scores.
pub fn rollup<I>(contributions: I) -> Option<Score>
where
    I: IntoIterator<Item = (Score, Weight)>,
{
    weighted_mean(contributions)
}

/// A roll-up kept as running sums, so that a child's new score changes its parents in constant
/// time instead of re-reading every sibling. `value()` is [`rollup`] of the children the sums
/// were built from (up to rounding), and a structural change (a link added or removed, a child
/// retired) rebuilds the sums from the children with [`RollupSums::of`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RollupSums {
    /// Σ weight of the contributing children.
    pub weight: f64,
    /// Σ weight × score of the contributing children.
    pub weighted: f64,
}

impl RollupSums {
    pub fn of<I>(contributions: I) -> RollupSums
    where
        I: IntoIterator<Item = (Score, Weight)>,
    {
        contributions.into_iter().fold(RollupSums::default(), |s, (score, w)| RollupSums {
            weight: s.weight + w.value(),
            weighted: s.weighted + score.value() * w.value(),
        })
    }

    /// The sums after one contributing child, linked with `weight`, moved from `old` to `new`.
    pub fn child_changed(self, weight: Weight, old: Score, new: Score) -> RollupSums {
        RollupSums { weighted: self.weighted + weight.value() * (new.value() - old.value()), ..self }
    }

    /// The roll-up the sums stand for; `None` when nothing contributes.
    pub fn value(&self) -> Option<Score> {
        (self.weight > 0.0).then(|| Score::clamped(self.weighted / self.weight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn ids(n: usize) -> Vec<ObjectiveId> {
        (0..n).map(|i| ObjectiveId(Uuid::from_u128(i as u128 + 1))).collect()
    }

    #[test]
    fn loops_are_refused() {
        let o = ids(3);
        let mut g = HashMap::new();
        g.insert(o[1], vec![o[0]]); // 1 → 0
        g.insert(o[2], vec![o[1]]); // 2 → 1
        assert_eq!(check_new_link(o[0], o[2], &g), Err(DomainError::AlignmentCycle));
        assert_eq!(check_new_link(o[0], o[0], &g), Err(DomainError::SelfAlignment));
        assert!(check_new_link(o[2], o[0], &g).is_ok(), "a second path is not a loop");
    }

    proptest! {
        /// Running sums built from the children, then moved child by child, give the roll-up
        /// recomputed from the children as they end up.
        #[test]
        fn running_sums_follow_the_rollup_of_the_children(
            children in proptest::collection::vec((0.0f64..=1.0, 0.1f64..10.0), 1..30),
            moves in proptest::collection::vec((0usize..30, 0.0f64..=1.0), 0..200),
        ) {
            let mut scores: Vec<f64> = children.iter().map(|c| c.0).collect();
            let weights: Vec<Weight> = children.iter().map(|c| Weight::new("w", c.1).unwrap()).collect();
            let mut sums = RollupSums::of(scores.iter().zip(&weights).map(|(s, w)| (Score::clamped(*s), *w)));
            for (i, new) in moves {
                let i = i % scores.len();
                sums = sums.child_changed(weights[i], Score::clamped(scores[i]), Score::clamped(new));
                scores[i] = new;
            }
            let exact = rollup(scores.iter().zip(&weights).map(|(s, w)| (Score::clamped(*s), *w))).unwrap();
            prop_assert!((sums.value().unwrap().value() - exact.value()).abs() < 1e-9);
        }

        #[test]
        fn no_children_no_rollup(w in 0.1f64..10.0) {
            prop_assert_eq!(RollupSums::of(std::iter::empty()).value(), None);
            let one = RollupSums::of([(Score::clamped(0.4), Weight::new("w", w).unwrap())]);
            prop_assert!((one.value().unwrap().value() - 0.4).abs() < 1e-12);
        }

        #[test]
        fn links_accepted_one_by_one_never_form_a_loop(edges in proptest::collection::vec((0usize..8, 0usize..8), 0..40)) {
            let o = ids(8);
            let mut g: HashMap<ObjectiveId, Vec<ObjectiveId>> = HashMap::new();
            for (c, p) in edges {
                if check_new_link(o[c], o[p], &g).is_ok() {
                    g.entry(o[c]).or_default().push(o[p]);
                }
            }
            // Walking up from any node must never come back to it.
            for start in &o {
                let mut stack: Vec<_> = g.get(start).cloned().unwrap_or_default();
                let mut seen = HashSet::new();
                while let Some(n) = stack.pop() {
                    prop_assert_ne!(n, *start);
                    if seen.insert(n) { stack.extend(g.get(&n).cloned().unwrap_or_default()); }
                }
            }
        }
    }
}

/// Refuses to put `node` below `new_parent` in a tree (units under units, people under
/// managers) when `new_parent`'s chain of ancestors — `new_parent` first, then its parent,
/// and so on — already holds `node`.
pub fn check_tree_move<T: PartialEq>(
    node: &T,
    ancestors_of_new_parent: &[T],
    loop_error: DomainError,
) -> Result<(), DomainError> {
    if ancestors_of_new_parent.contains(node) { Err(loop_error) } else { Ok(()) }
}

#[cfg(test)]
mod tree_move_tests {
    use super::*;

    #[test]
    fn a_unit_cannot_move_below_itself() {
        // company ← dept ← team: moving company below team closes a loop.
        assert_eq!(
            check_tree_move(&"company", &["team", "dept", "company"], DomainError::UnitCycle),
            Err(DomainError::UnitCycle)
        );
        assert_eq!(check_tree_move(&"team", &["team"], DomainError::UnitCycle), Err(DomainError::UnitCycle));
        assert!(check_tree_move(&"team", &["dept", "company"], DomainError::UnitCycle).is_ok());
    }
}
