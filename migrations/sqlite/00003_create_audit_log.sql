-- One row for every change to users or their roles, written in the same
-- transaction as the change. user_id has no foreign key on purpose: the audit
-- trail of a deleted user must outlive the user. Never holds a password or hash.

-- +goose Up
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    user_id    TEXT,
    user_email TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_user_id_idx ON audit_log (user_id, id);

-- +goose Down
DROP TABLE audit_log;
