-- Keep created_at and updated_at honest for edits made outside ctitui too
-- (psql, the dashboard, another tool): created_at never changes, and
-- updated_at moves whenever the user's email, password, disabled state or
-- roles change, unless the writer set updated_at itself (ctitui does, from
-- its own clock). The new updated_at is the server's clock truncated to
-- milliseconds, as ctitui writes them. A failed login (failed_logins,
-- locked_until, migration 6) or a login (last_login_at) is not an edit of the
-- account and leaves updated_at alone, as do the columns the triggers of
-- migrations 10 and 11 keep.
--
-- A change of roles leaves updated_at alone on a user row that the same
-- transaction already wrote (users.xmin is the transaction's id): a new
-- user's roles are written after the user (the link's foreign key is
-- immediate), and it keeps updated_at equal to created_at; an edit that
-- wrote the user row has already moved updated_at or set it. "The same
-- transaction" is its top level: a row written inside a savepoint has the
-- subtransaction's id and is touched.
--
-- The functions pin their search_path: they run the same whoever calls
-- them, with whatever search_path that session has.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION users_timestamps() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    IF NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'users.created_at cannot change' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
       AND (NEW.email IS DISTINCT FROM OLD.email
         OR NEW.email_normalized IS DISTINCT FROM OLD.email_normalized
         OR NEW.hashed_password IS DISTINCT FROM OLD.hashed_password
         OR NEW.disabled_at IS DISTINCT FROM OLD.disabled_at) THEN
        NEW.updated_at := date_trunc('milliseconds', clock_timestamp());
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_timestamps BEFORE UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION users_timestamps();

-- Migration 11 replaces this function with one that also keeps
-- users.role_names: one UPDATE of the user per link, not two.
-- +goose StatementBegin
CREATE FUNCTION user_roles_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users SET updated_at = date_trunc('milliseconds', clock_timestamp())
        WHERE id = OLD.user_id AND xmin <> pg_current_xact_id()::xid;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        UPDATE users SET updated_at = date_trunc('milliseconds', clock_timestamp())
        WHERE id = NEW.user_id AND xmin <> pg_current_xact_id()::xid;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER user_roles_changed AFTER INSERT OR UPDATE OR DELETE ON user_roles
FOR EACH ROW EXECUTE FUNCTION user_roles_changed();

-- +goose Down
DROP TRIGGER user_roles_changed ON user_roles;
DROP FUNCTION user_roles_changed();
DROP TRIGGER users_timestamps ON users;
DROP FUNCTION users_timestamps();
