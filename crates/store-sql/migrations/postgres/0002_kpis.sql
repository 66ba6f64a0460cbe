-- The KPI engine: metric dictionary, raw measurements, period values kept up to date as
-- points arrive, driver trees, KRAs, guardrails, data sources, and an event outbox.

CREATE TABLE kpis (
    id                     TEXT PRIMARY KEY,
    version                BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    key                    TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    description            TEXT NOT NULL,
    owner_id               TEXT REFERENCES people(id),
    unit_id                TEXT REFERENCES units(id),
    unit_of_measure        TEXT NOT NULL,
    formula                TEXT,
    query                  TEXT NOT NULL,
    cadence                TEXT NOT NULL,
    aggregation            TEXT NOT NULL,
    direction              TEXT NOT NULL,
    target_value           DOUBLE PRECISION,
    range_low              DOUBLE PRECISION,
    range_high             DOUBLE PRECISION,
    target_set_on          TEXT,
    baseline               DOUBLE PRECISION,
    caveats                TEXT NOT NULL,
    class                  TEXT NOT NULL,
    timing                 TEXT NOT NULL,
    flow                   TEXT NOT NULL,
    nature                 TEXT NOT NULL,
    north_star             BOOLEAN NOT NULL,
    guardrail              BOOLEAN NOT NULL,
    guardrail_threshold    DOUBLE PRECISION,
    counterweight_id       TEXT REFERENCES kpis(id),
    valid_min              DOUBLE PRECISION,
    valid_max              DOUBLE PRECISION,
    warning_from_pct       DOUBLE PRECISION NOT NULL,
    window_periods         BIGINT NOT NULL,
    first_point_at         BIGINT,
    last_point_at          BIGINT,
    current_period         TEXT,
    current_value          DOUBLE PRECISION,
    current_status         TEXT,
    current_attainment_pct DOUBLE PRECISION,
    guardrail_breached     BOOLEAN NOT NULL
);
CREATE INDEX kpis_unit ON kpis(unit_id, id);
CREATE INDEX kpis_owner ON kpis(owner_id, id);

CREATE TABLE kpi_targets (
    id            TEXT PRIMARY KEY,
    kpi_id        TEXT NOT NULL REFERENCES kpis(id),
    target_value  DOUBLE PRECISION,
    range_low     DOUBLE PRECISION,
    range_high    DOUBLE PRECISION,
    set_on        TEXT,
    recorded_at   BIGINT NOT NULL
);
CREATE INDEX kpi_targets_kpi ON kpi_targets(kpi_id, recorded_at);

-- The KPIs a derived KPI's formula reads.
CREATE TABLE kpi_inputs (
    kpi_id    TEXT NOT NULL REFERENCES kpis(id),
    input_id  TEXT NOT NULL REFERENCES kpis(id),
    PRIMARY KEY (kpi_id, input_id)
);
CREATE INDEX kpi_inputs_input ON kpi_inputs(input_id);

-- Raw points; segment '' is the unsegmented series. Re-sending a point replaces it.
CREATE TABLE measurements (
    kpi_id       TEXT NOT NULL REFERENCES kpis(id),
    segment      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (kpi_id, segment, at)
);
CREATE INDEX measurements_time ON measurements(kpi_id, at);

-- One row per KPI, granularity, segment ('' = all segments) and period.
CREATE TABLE kpi_periods (
    kpi_id        TEXT NOT NULL REFERENCES kpis(id),
    granularity   TEXT NOT NULL,
    segment       TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    count         BIGINT NOT NULL,
    sum           DOUBLE PRECISION NOT NULL,
    min_value     DOUBLE PRECISION NOT NULL,
    max_value     DOUBLE PRECISION NOT NULL,
    last_at       BIGINT NOT NULL,
    last_value    DOUBLE PRECISION NOT NULL,
    value         DOUBLE PRECISION,
    PRIMARY KEY (kpi_id, granularity, segment, period_start)
);

CREATE TABLE kpi_edges (
    id          TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    parent_id   TEXT NOT NULL REFERENCES kpis(id),
    child_id    TEXT NOT NULL REFERENCES kpis(id),
    influence   TEXT NOT NULL,
    confidence  TEXT NOT NULL,
    sign        TEXT NOT NULL,
    UNIQUE (parent_id, child_id)
);
CREATE INDEX kpi_edges_child ON kpi_edges(child_id);

CREATE TABLE kras (
    id           TEXT PRIMARY KEY,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    description  TEXT NOT NULL
);

CREATE TABLE kra_kpis (
    kra_id    TEXT NOT NULL REFERENCES kras(id),
    kpi_id    TEXT NOT NULL REFERENCES kpis(id),
    position  BIGINT NOT NULL,
    PRIMARY KEY (kra_id, kpi_id)
);
CREATE INDEX kra_kpis_kpi ON kra_kpis(kpi_id);

CREATE TABLE guardrail_links (
    id            TEXT PRIMARY KEY,
    created_at    BIGINT NOT NULL,
    kpi_id        TEXT NOT NULL REFERENCES kpis(id),
    objective_id  TEXT NOT NULL REFERENCES objectives(id),
    UNIQUE (kpi_id, objective_id)
);
CREATE INDEX guardrail_links_objective ON guardrail_links(objective_id);

-- Which guardrail paused an objective, so its recovery resumes exactly those.
ALTER TABLE objectives ADD COLUMN paused_by_kpi_id TEXT REFERENCES kpis(id);

CREATE TABLE data_sources (
    id               TEXT PRIMARY KEY,
    version          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    kpi_id           TEXT NOT NULL REFERENCES kpis(id),
    kind             TEXT NOT NULL,
    url              TEXT NOT NULL,
    query            TEXT,
    header_name      TEXT,
    header_value     TEXT,
    value_path       TEXT,
    timestamp_field  TEXT,
    value_field      TEXT,
    segment_field    TEXT,
    interval_seconds BIGINT NOT NULL,
    timeout_seconds  BIGINT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    next_run_at      BIGINT NOT NULL,
    last_run_at      BIGINT,
    last_success_at  BIGINT,
    last_error       TEXT,
    last_error_at    BIGINT,
    last_points      BIGINT
);
CREATE INDEX data_sources_due ON data_sources(next_run_at);
CREATE INDEX data_sources_kpi ON data_sources(kpi_id);

-- Things that happened (guardrail tripped, objective paused …), for notifiers to come.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX events_at ON events(at, id);
