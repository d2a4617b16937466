-- A tamper-evident audit log: each row stores prev_hash, the hash of the row
-- before it, and hash, a SHA-256 over its own content and prev_hash (see
-- internal/db/chain.go for the exact bytes). Editing, deleting or inserting
-- a row breaks the chain at that row; `ctitui audit verify` walks it.
-- SQLite has no SHA-256 of its own, so ctitui seals the rows written before
-- this migration the first time it opens the file after applying it.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- +goose Down
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
