-- Quarter end (issue 15): each key result's decision when its cycle ends, and the copy a
-- carried-forward key result became in the next cycle; each objective's retro. These are
-- the only things that may still change once a cycle is closed.
ALTER TABLE key_results ADD COLUMN decision TEXT;
ALTER TABLE key_results ADD COLUMN carried_to TEXT;

CREATE TABLE retros (
    objective_id TEXT PRIMARY KEY REFERENCES objectives(id),
    version      BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    moved        TEXT NOT NULL,
    not_moved    TEXT NOT NULL,
    learnings    TEXT NOT NULL
);
