-- Browser sessions and sign-in throttling. A session is found by the SHA-256 of its cookie's
-- secret; its CSRF token is not a credential on its own (it is sent in a header the browser
-- adds only for this site's own scripts and forms).

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    hash          TEXT NOT NULL UNIQUE,
    csrf          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX sessions_user ON sessions(user_id, id);

-- One row per failed sign-in, by account ("email:…") and by address ("addr:…"); rows older
-- than the throttling window are dropped as new ones come.
CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);
