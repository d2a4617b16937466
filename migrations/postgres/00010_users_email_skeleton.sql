-- Two users must never look alike to a person: "аdmin@example.org" (with a
-- Cyrillic а) next to "admin@example.org". email_skeleton holds the UTS #39
-- confusable skeleton of each user's address (internal/user EmailSkeleton,
-- computed in Go, like email_normalized), so that a new address is checked
-- against every existing one with one index lookup. The index is not unique:
-- rows written by other tools may share a skeleton, and `ctitui doctor` lists
-- such pairs.
--
-- Rows written by other tools have no skeleton (NULL). ctitui fills missing
-- ones in any write transaction that adds a user before it looks, and
-- `ctitui doctor --fix` recomputes wrong ones. An edit of an email in
-- another tool that leaves the skeleton as it was clears it, so that it
-- reads as missing rather than wrong.

-- +goose Up
ALTER TABLE users ADD COLUMN email_skeleton text COLLATE "C";
CREATE INDEX users_email_skeleton_idx ON users (email_skeleton);

-- +goose StatementBegin
CREATE FUNCTION users_email_skeleton_stale() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    IF NEW.email IS DISTINCT FROM OLD.email AND NEW.email_skeleton IS NOT DISTINCT FROM OLD.email_skeleton THEN
        NEW.email_skeleton := NULL;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_email_skeleton_stale BEFORE UPDATE OF email ON users
FOR EACH ROW EXECUTE FUNCTION users_email_skeleton_stale();

-- +goose Down
DROP TRIGGER users_email_skeleton_stale ON users;
DROP FUNCTION users_email_skeleton_stale();
DROP INDEX users_email_skeleton_idx;
ALTER TABLE users DROP COLUMN email_skeleton;
