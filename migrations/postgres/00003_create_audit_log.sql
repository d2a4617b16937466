-- One row for every change to users or their roles, written in the same
-- transaction as the change. user_id has no foreign key on purpose: the audit
-- trail of a deleted user must outlive the user. Never holds a password or
-- hash.
--
-- id has no default: ctitui writes each entry's id itself, the one after
-- the head of the chain (migrations 7 and 9), and the hash covers it. A
-- sequence would not see those ids and would hand another writer one that
-- is taken; a row written without an id is refused instead.

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

-- +goose Down
DROP TABLE audit_log;
