-- Account lockout: consecutive failed verifies per user, the time a locked
-- account opens again, and the settings that tune it. Settings are rows, not
-- flags, so that every ctitui process on the file applies the same policy.
-- Neither column moves updated_at: a failed login is not an edit of the
-- account (the triggers of migration 4 name their columns).

-- +goose Up
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO settings (key, value, updated_at) VALUES
    ('lockout_threshold', '5', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('lockout_minutes', '15', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (key) DO NOTHING;

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;

-- +goose Down
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;
DROP TABLE settings;
