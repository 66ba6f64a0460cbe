//! The read model of list pages: each objective's view kept ready, so that a page is
//! assembled from the views of the records it shows and a write makes stale only the views
//! of what it changed.
//!
//! A view is current while four things are the ones it was built under: the objective's
//! revision (moved in the same transaction by every write to what the view shows — the
//! objective, its key results, its score, its roll-up), its cycle's version (the dates its
//! pace is measured against), today's date (pace moves with the calendar) and the
//! organisation's scoring bands (colours and success follow them). A page asks
//! the store for the revisions of the objectives it shows, one small indexed query, and
//! builds only the views whose stamp moved. Because the revisions live in the database,
//! every server sharing it sees every change, whichever server made it; and because the
//! revisions are read before the records, a view is never older than its stamp.

use crate::views::ObjectiveView;
use chrono::NaiveDate;
use quarterdeck_domain::ids::ObjectiveId;
use quarterdeck_domain::scoring::ScoringPolicy;
use quarterdeck_store::records::ObjectiveRevision;
use std::collections::HashMap;
use std::sync::Mutex;

/// What the views of all objectives may hold together, about (the whole large demo, with
/// and without key results, needs about a third of it).
const BUDGET_BYTES: usize = 48 * 1024 * 1024;

/// What a view was built under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    revision: i64,
    cycle_version: i64,
    today: NaiveDate,
    /// The scoring bands and thresholds (their bits): a view's colours and success follow them.
    scoring: [u64; 5],
}

impl Stamp {
    pub(crate) fn of(r: &ObjectiveRevision, today: NaiveDate, scoring: &ScoringPolicy) -> Self {
        let s = scoring;
        let scoring =
            [s.green_from, s.amber_from, s.aspirational_success, s.committed_success, s.pace_band].map(f64::to_bits);
        Stamp { revision: r.revision, cycle_version: r.cycle_version, today, scoring }
    }
}

struct Ready {
    stamp: Stamp,
    view: ObjectiveView,
    bytes: usize,
}

/// Which view: an objective alone, or with its key results embedded.
type Key = (ObjectiveId, bool);

#[derive(Default)]
struct Views {
    map: HashMap<Key, Ready>,
    bytes: usize,
}

pub(crate) struct ObjectiveViews {
    views: Mutex<Views>,
    budget: usize,
}

impl Default for ObjectiveViews {
    fn default() -> Self {
        ObjectiveViews::with_budget(BUDGET_BYTES)
    }
}

impl ObjectiveViews {
    pub(crate) fn with_budget(budget: usize) -> Self {
        ObjectiveViews { views: Mutex::default(), budget }
    }

    /// The view of this objective if it was built under `stamp`.
    pub(crate) fn get(&self, id: ObjectiveId, with_key_results: bool, stamp: Stamp) -> Option<ObjectiveView> {
        let views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        views.map.get(&(id, with_key_results)).filter(|r| r.stamp == stamp).map(|r| r.view.clone())
    }

    /// Keeps a view built under `stamp`, replacing an older one.
    pub(crate) fn put(&self, with_key_results: bool, stamp: Stamp, view: &ObjectiveView) {
        let bytes = approximate_bytes(view);
        let key = (view.id, with_key_results);
        let mut guard = self.views.lock().unwrap_or_else(|e| e.into_inner());
        let views = &mut *guard;
        if let Some(old) = views.map.remove(&key) {
            views.bytes -= old.bytes;
        }
        // Bounded by bytes whatever is asked: when full, start over rather than track
        // recency; a view is rebuilt from one indexed read when next shown.
        if views.bytes + bytes > self.budget {
            views.map.clear();
            views.bytes = 0;
        }
        views.bytes += bytes;
        views.map.insert(key, Ready { stamp, view: view.clone(), bytes });
    }

    /// How many bytes the kept views take, about.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.views.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

/// The memory a view takes, about: its text plus a fixed share per record for the numbers,
/// ids and dates.
fn approximate_bytes(v: &ObjectiveView) -> usize {
    const PER_RECORD: usize = 384;
    let own = PER_RECORD
        + v.key.len()
        + v.title.len()
        + v.description.len()
        + v.status_reason.as_ref().map_or(0, String::len);
    let krs: usize = v
        .key_results
        .iter()
        .flatten()
        .map(|k| {
            PER_RECORD
                + k.key.len()
                + k.title.len()
                + k.unit_of_measure.len()
                + k.status_reason.as_ref().map_or(0, String::len)
        })
        .sum();
    own + krs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::ObjectiveView;
    use chrono::{TimeZone, Utc};
    use quarterdeck_domain::cycle::CycleState;
    use quarterdeck_domain::ids::*;
    use quarterdeck_domain::okr::ObjectiveStatus;
    use quarterdeck_domain::scoring::{ObjectiveKind, ScoringPolicy};
    use quarterdeck_store::records::{CycleWindow, Objective};
    use uuid::Uuid;

    fn view(title: &str) -> ObjectiveView {
        let at = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        let day = at.date_naive();
        let objective = Objective {
            id: ObjectiveId(Uuid::now_v7()),
            version: 1,
            created_at: at,
            updated_at: at,
            cycle_id: CycleId(Uuid::now_v7()),
            key: "k".into(),
            title: title.into(),
            description: String::new(),
            owner_id: PersonId(Uuid::now_v7()),
            unit_id: None,
            kind: ObjectiveKind::Aspirational,
            status: ObjectiveStatus::Active,
            status_reason: None,
            score: 0.5,
            rollup: None,
            key_result_count: 0,
            rewrites: 0,
            cycle: CycleWindow { start: day, end: day + chrono::Days::new(90), state: CycleState::Active },
        };
        ObjectiveView::new(objective, None, &ScoringPolicy::default(), day)
    }

    fn stamp(revision: i64) -> Stamp {
        Stamp { revision, cycle_version: 1, today: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), scoring: [0; 5] }
    }

    #[test]
    fn a_view_serves_only_under_the_stamp_it_was_built_under() {
        let views = ObjectiveViews::default();
        let v = view("Delight new customers");
        views.put(true, stamp(3), &v);
        assert_eq!(views.get(v.id, true, stamp(3)).map(|x| x.title), Some("Delight new customers".to_owned()));
        assert!(views.get(v.id, true, stamp(4)).is_none(), "a write moved the revision");
        assert!(views.get(v.id, false, stamp(3)).is_none(), "the view without key results is another view");
        let next_day = Stamp { today: NaiveDate::from_ymd_opt(2026, 10, 2).unwrap(), ..stamp(3) };
        assert!(views.get(v.id, true, next_day).is_none(), "pace moves with the day");
        let cycle_moved = Stamp { cycle_version: 2, ..stamp(3) };
        assert!(views.get(v.id, true, cycle_moved).is_none(), "the cycle's dates changed");
    }

    #[test]
    fn the_views_stay_within_their_byte_budget() {
        let one = approximate_bytes(&view("x"));
        let views = ObjectiveViews::with_budget(one * 10);
        for i in 0..100 {
            views.put(false, stamp(i), &view("x"));
            assert!(views.bytes() <= one * 10, "after {i} views: {} bytes", views.bytes());
        }
        // Replacing a view does not count it twice.
        let v = view("x");
        views.put(false, stamp(1), &v);
        let before = views.bytes();
        views.put(false, stamp(2), &v);
        assert_eq!(views.bytes(), before);
    }
}
