-- The organisation's settings, one row each; period values are kept in its time zone.
CREATE TABLE settings (
    name     TEXT PRIMARY KEY,
    value    TEXT NOT NULL,
    -- Moves with every change, so two people changing a setting at once get a conflict.
    version  BIGINT NOT NULL DEFAULT 1
);
INSERT INTO settings (name, value) VALUES ('time_zone', 'UTC');
