//! SQL text both backends run unchanged.

pub const UNIT_COLUMNS: &str = "id, version, created_at, updated_at, slug, name, kind, parent_id";
pub const PERSON_COLUMNS: &str = "id, version, created_at, updated_at, name, email, unit_id, manager_id";
pub const CYCLE_COLUMNS: &str = "id, version, created_at, updated_at, name, kind, start_date, end_date, state";
pub const INITIATIVE_COLUMNS: &str =
    "id, version, created_at, updated_at, key_result_id, title, kind, status, owner_id, link";
pub const CHECK_IN_COLUMNS: &str = "id, key_result_id, value, confidence, note, author_id, at, created_at";
pub const ALIGNMENT_COLUMNS: &str =
    "id, version, created_at, updated_at, child_id, parent_objective_id, parent_key_result_id, kind, weight";

pub const SELECT_OBJECTIVE: &str = "SELECT o.id, o.version, o.created_at, o.updated_at, o.cycle_id, o.key, o.title, \
    o.description, o.owner_id, o.unit_id, o.kind, o.status, o.status_reason, o.score, o.rollup, o.key_result_count, o.rewrites, \
    c.start_date AS cycle_start, c.end_date AS cycle_end, c.state AS cycle_state \
    FROM objectives o JOIN cycles c ON c.id = o.cycle_id";

pub const SELECT_KEY_RESULT: &str = "SELECT k.id, k.version, k.created_at, k.updated_at, k.objective_id, k.key, k.title, \
    k.kind, k.unit_of_measure, k.baseline, k.target, k.tolerance, k.weight, k.owner_id, k.status, k.status_reason, \
    k.kpi_id, k.current_value, k.confidence, k.last_check_in_at, k.score, k.decision, k.carried_to, \
    c.start_date AS cycle_start, c.end_date AS cycle_end, c.state AS cycle_state \
    FROM key_results k JOIN objectives o ON o.id = k.objective_id JOIN cycles c ON c.id = o.cycle_id";

/// The objectives an objective already aligns to, transitively, as (child, parent) pairs.
pub const ANCESTOR_LINKS: &str = "WITH RECURSIVE up(id) AS ( \
        SELECT CAST($1 AS TEXT) \
        UNION SELECT a.parent_objective_id FROM alignments a JOIN up ON a.child_id = up.id \
    ) SELECT a.child_id, a.parent_objective_id FROM alignments a JOIN up ON a.child_id = up.id";
