-- The journal: an append-only audit row for every write (who, when, what before and after),
-- and the outbox of typed domain events, both written in the write's own transaction.

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    at           BIGINT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor        TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    action       TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, seq);
CREATE INDEX audit_log_at ON audit_log(at, seq);
CREATE INDEX audit_log_actor ON audit_log(actor_kind, actor_id, seq);

-- tx: the writing transaction's id on PostgreSQL (0 on SQLite, whose one writer commits in
-- order), so a reader of the feed never moves past an event of a transaction still running.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    tx             BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    payload        TEXT NOT NULL,
    claimed_by     TEXT,
    claimed_until  BIGINT,
    attempts       BIGINT NOT NULL DEFAULT 0,
    done_at        BIGINT
);
CREATE INDEX outbox_feed ON outbox(tx, seq);
CREATE INDEX outbox_pending ON outbox(done_at, seq);

-- The events of the KPI engine so far move into the outbox, already delivered.
INSERT INTO outbox (id, tx, at, kind, actor, payload, done_at)
    SELECT id, 0, at, kind, '{"kind":"import"}', payload, at FROM events;
DROP TABLE events;

-- Key results measured from a KPI are found by it on every ingest.
CREATE INDEX key_results_kpi ON key_results(kpi_id);
