-- Accounts: users who sign in (by password or single sign-on) and their API tokens.
-- Secrets are never stored: a password as its argon2id hash (PHC string), a token as the
-- SHA-256 of its secret. E-mail addresses are stored lower-case, so one address is one user.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    person_id      TEXT REFERENCES people(id),
    active         BIGINT NOT NULL DEFAULT 1,
    password_hash  TEXT
);
CREATE INDEX users_person ON users(person_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    kpis          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);
