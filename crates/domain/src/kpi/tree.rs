//! KPI driver trees (METHOD.md §2): a North-Star metric at the root, drivers below, each
//! edge scored for influence and confidence. Loops are refused, and a KPI sits under one
//! North Star at most.

use crate::{DomainError, word_enum};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

word_enum!(Influence { High = "high", Medium = "medium", Low = "low" });

word_enum!(
    /// Whether the child moving up moves the parent up (positive) or down (negative).
    EdgeSign { Positive = "positive", Negative = "negative" }
);

/// Checks a new edge `parent → child` against the existing `parents_of` map.
pub fn check_new_edge<T: Copy + Eq + Hash>(
    parent: T,
    child: T,
    parents_of: &HashMap<T, Vec<T>>,
    is_north_star: impl Fn(T) -> bool,
) -> Result<(), DomainError> {
    if parent == child {
        return Err(DomainError::SelfEdge);
    }
    if is_north_star(child) {
        return Err(DomainError::NorthStarAsChild);
    }
    let ancestors = |start: T| {
        let mut seen = HashSet::new();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(parents_of.get(&n).into_iter().flatten().copied());
            }
        }
        seen
    };
    let above_parent = ancestors(parent);
    if above_parent.contains(&child) {
        return Err(DomainError::TreeCycle);
    }
    // Every node below the child (the child included) would gain the parent's North Star.
    let mut children_of: HashMap<T, Vec<T>> = HashMap::new();
    for (c, ps) in parents_of {
        for p in ps {
            children_of.entry(*p).or_default().push(*c);
        }
    }
    let stars_above_parent: HashSet<T> = above_parent.iter().copied().filter(|n| is_north_star(*n)).collect();
    if stars_above_parent.is_empty() {
        return Ok(());
    }
    let mut stack = vec![child];
    let mut seen = HashSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        if ancestors(n).into_iter().any(|a| is_north_star(a) && !stars_above_parent.contains(&a)) {
            return Err(DomainError::TwoNorthStars);
        }
        stack.extend(children_of.get(&n).into_iter().flatten().copied());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_stay_trees() {
        // 1 is a North Star with driver 2, which has driver 3; 9 is another North Star.
        let mut parents_of: HashMap<u32, Vec<u32>> = HashMap::new();
        parents_of.insert(2, vec![1]);
        parents_of.insert(3, vec![2]);
        let ns = |n: u32| n == 1 || n == 9;
        assert_eq!(check_new_edge(3, 1, &parents_of, ns), Err(DomainError::NorthStarAsChild));
        assert_eq!(check_new_edge(3, 2, &parents_of, ns), Err(DomainError::TreeCycle));
        assert_eq!(check_new_edge(2, 2, &parents_of, ns), Err(DomainError::SelfEdge));
        assert_eq!(check_new_edge(9, 2, &parents_of, ns), Err(DomainError::TwoNorthStars));
        assert!(check_new_edge(3, 4, &parents_of, ns).is_ok());
        assert!(check_new_edge(1, 3, &parents_of, ns).is_ok(), "a second path under the same North Star");
        assert!(check_new_edge(9, 5, &parents_of, ns).is_ok());
    }
}
