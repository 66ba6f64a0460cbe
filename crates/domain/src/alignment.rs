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
