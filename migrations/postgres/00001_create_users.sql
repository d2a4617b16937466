-- Users of the CTI platform (PostgreSQL; migrations/sqlite/00001 is the
-- SQLite twin, version for version). ctitui's tables live in schema ctitui:
-- ctitui creates the schema before the first migration and every session
-- sets search_path = ctitui, public, so that the statements here, like the
-- engine's, name tables unqualified.
--
-- Timestamps are timestamptz; ctitui writes UTC times truncated to
-- milliseconds. email keeps what the user typed (trimmed); email_normalized
-- is the Unicode case-folded form computed in Go. Text that ctitui sorts or
-- compares (ids, emails) uses the "C" collation: byte order, as SQLite's
-- BINARY, whatever the database's default collation, so that both engines
-- list in the same order and keyset cursors built in Go agree with the
-- server.

-- +goose Up
CREATE TABLE users (
    id               text COLLATE "C" PRIMARY KEY,
    email            text COLLATE "C" NOT NULL,
    email_normalized text COLLATE "C" NOT NULL,
    hashed_password  text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    disabled_at      timestamptz,
    last_login_at    timestamptz
);
CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized);
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_updated_at_idx ON users (updated_at, id);

-- +goose Down
DROP TABLE users;
