-- The organisation's settings, one row each; period values are kept in its time zone.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO settings (name, value) VALUES ('time_zone', 'UTC');
