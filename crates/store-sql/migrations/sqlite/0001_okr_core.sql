-- The OKR core. Ids are UUID text, timestamps are microseconds since the Unix epoch (UTC),
-- calendar dates are ISO text: stored the same way in SQLite and PostgreSQL.

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   TEXT REFERENCES units(id)
);
CREATE INDEX units_parent ON units(parent_id, id);

CREATE TABLE people (
    id          TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    unit_id     TEXT REFERENCES units(id),
    manager_id  TEXT REFERENCES people(id)
);
CREATE INDEX people_unit ON people(unit_id, id);
CREATE INDEX people_manager ON people(manager_id, id);

CREATE TABLE cycles (
    id          TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    state       TEXT NOT NULL
);
CREATE INDEX cycles_dates ON cycles(start_date, end_date);

CREATE TABLE objectives (
    id                TEXT PRIMARY KEY,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    cycle_id          TEXT NOT NULL REFERENCES cycles(id),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    owner_id          TEXT NOT NULL REFERENCES people(id),
    unit_id           TEXT REFERENCES units(id),
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    status_reason     TEXT,
    score             DOUBLE PRECISION NOT NULL,
    rollup            DOUBLE PRECISION,
    key_result_count  BIGINT NOT NULL
);
CREATE INDEX objectives_cycle ON objectives(cycle_id, id);
CREATE INDEX objectives_unit ON objectives(unit_id, cycle_id, id);
CREATE INDEX objectives_owner ON objectives(owner_id, id);

CREATE TABLE key_results (
    id                TEXT PRIMARY KEY,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    objective_id      TEXT NOT NULL REFERENCES objectives(id),
    title             TEXT NOT NULL,
    kind              TEXT NOT NULL,
    unit_of_measure   TEXT NOT NULL,
    baseline          DOUBLE PRECISION NOT NULL,
    target            DOUBLE PRECISION NOT NULL,
    tolerance         DOUBLE PRECISION,
    weight            DOUBLE PRECISION NOT NULL,
    owner_id          TEXT REFERENCES people(id),
    status            TEXT NOT NULL,
    status_reason     TEXT,
    kpi_id            TEXT,
    current_value     DOUBLE PRECISION,
    confidence        TEXT,
    last_check_in_at  BIGINT,
    score             DOUBLE PRECISION NOT NULL
);
CREATE INDEX key_results_objective ON key_results(objective_id, id);
CREATE INDEX key_results_owner ON key_results(owner_id, id);

CREATE TABLE check_ins (
    id             TEXT PRIMARY KEY,
    key_result_id  TEXT NOT NULL REFERENCES key_results(id),
    value          DOUBLE PRECISION NOT NULL,
    confidence     TEXT NOT NULL,
    note           TEXT NOT NULL,
    author_id      TEXT REFERENCES people(id),
    at             BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX check_ins_key_result ON check_ins(key_result_id, at, id);

CREATE TABLE initiatives (
    id             TEXT PRIMARY KEY,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    key_result_id  TEXT NOT NULL REFERENCES key_results(id),
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    owner_id       TEXT REFERENCES people(id),
    link           TEXT
);
CREATE INDEX initiatives_key_result ON initiatives(key_result_id, id);

CREATE TABLE alignments (
    id                    TEXT PRIMARY KEY,
    version               BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    child_id              TEXT NOT NULL REFERENCES objectives(id),
    parent_objective_id   TEXT NOT NULL REFERENCES objectives(id),
    parent_key_result_id  TEXT REFERENCES key_results(id),
    -- '' when the link points at the objective itself, so the unique key works in both databases
    parent_key_result_key TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    weight                DOUBLE PRECISION NOT NULL,
    UNIQUE (child_id, parent_objective_id, parent_key_result_key)
);
CREATE INDEX alignments_parent ON alignments(parent_objective_id, id);
