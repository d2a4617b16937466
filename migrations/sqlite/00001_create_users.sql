-- Users of the CTI platform. Timestamps are TEXT in UTC with a fixed width
-- (2006-01-02T15:04:05.000Z) so that they sort as text and read well in the
-- sqlite3 shell. email keeps what the user typed (trimmed); email_normalized is
-- the Unicode case-folded form computed in Go, because SQLite's NOCASE folds
-- ASCII only.

-- +goose Up
CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    hashed_password  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    disabled_at      TEXT,
    last_login_at    TEXT
);
CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized);
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_updated_at_idx ON users (updated_at, id);

-- +goose Down
DROP TABLE users;
