-- Two users must never look alike to a person: "аdmin@example.org" (with a
-- Cyrillic а) next to "admin@example.org". email_skeleton holds the UTS #39
-- confusable skeleton of each user's address (internal/user EmailSkeleton,
-- computed in Go, like email_normalized), so that a new address is checked
-- against every existing one with one index lookup. Several users may share a
-- skeleton in a database written before this check existed: the index is not
-- unique, and `ctitui doctor` lists such pairs.
--
-- Rows written by other tools have no skeleton (NULL). ctitui fills the
-- skeleton of every row once after this migration, fills missing ones in any
-- write transaction that adds a user before it looks, and `ctitui doctor
-- --fix` recomputes wrong ones. An edit of an email in another tool that
-- leaves the skeleton as it was clears it, so that it reads as missing
-- rather than wrong.

-- +goose Up
ALTER TABLE users ADD COLUMN email_skeleton TEXT;
CREATE INDEX users_email_skeleton_idx ON users (email_skeleton);

-- +goose StatementBegin
CREATE TRIGGER users_email_skeleton_stale AFTER UPDATE OF email ON users
WHEN NEW.email IS NOT OLD.email AND NEW.email_skeleton IS OLD.email_skeleton
BEGIN
    UPDATE users SET email_skeleton = NULL WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_email_skeleton_stale;
DROP INDEX users_email_skeleton_idx;
ALTER TABLE users DROP COLUMN email_skeleton;
