-- One row for every change to users or their roles, written in the same
-- transaction as the change. user_id has no foreign key on purpose: the audit
-- trail of a deleted user must outlive the user. Never holds a password or
-- hash.
--
-- id has no default: ctitui writes each entry's id itself, the one after
-- the head of the chain (migrations 7 and 9), and the hash covers it. A
-- sequence would not see those ids and would hand another writer one that
-- is taken; a row written without an id is refused instead.
--
-- Change notifications: a statement-level trigger on each of ctitui's tables
-- (users, roles, user_roles, audit_log here; settings in migration 6) sends
-- NOTIFY ctitui_changes, which the Store listens to for DataVersion, so that
-- the terminal UI sees changes committed by any connection, ctitui's or
-- another program's. PostgreSQL sends one notification per transaction (the
-- same empty payload is folded) and none for a rollback. NOTIFY takes a
-- database-wide lock at commit, so only ctitui's tables send it. They are
-- created here, not with the tables, because this is the first migration an
-- adopted dashboard database runs (adoption builds versions 1 and 2 by
-- hand), so both kinds of database get them from one place.

-- +goose Up
CREATE TABLE audit_log (
    id         bigint PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    user_id    text COLLATE "C",
    user_email text NOT NULL DEFAULT '',
    details    text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_user_id_idx ON audit_log (user_id, id);

-- +goose StatementBegin
CREATE FUNCTION ctitui_notify_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    PERFORM pg_notify('ctitui_changes', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER ctitui_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION ctitui_notify_change();
CREATE TRIGGER ctitui_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
FOR EACH STATEMENT EXECUTE FUNCTION ctitui_notify_change();
CREATE TRIGGER ctitui_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_roles
FOR EACH STATEMENT EXECUTE FUNCTION ctitui_notify_change();
CREATE TRIGGER ctitui_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION ctitui_notify_change();

-- +goose Down
DROP TRIGGER ctitui_notify_change ON user_roles;
DROP TRIGGER ctitui_notify_change ON roles;
DROP TRIGGER ctitui_notify_change ON users;
DROP TABLE audit_log;
DROP FUNCTION ctitui_notify_change();
