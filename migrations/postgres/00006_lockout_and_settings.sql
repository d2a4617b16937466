-- Account lockout: consecutive failed verifies per user, the time a locked
-- account opens again, and the settings that tune it. Settings are rows, not
-- flags, so that every ctitui process on the database applies the same
-- policy. Neither column moves updated_at: a failed login is not an edit of
-- the account (the trigger of migration 4 names its columns).

-- +goose Up
CREATE TABLE settings (
    key        text COLLATE "C" PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);
INSERT INTO settings (key, value, updated_at) VALUES
    ('lockout_threshold', '5', date_trunc('milliseconds', clock_timestamp())),
    ('lockout_minutes', '15', date_trunc('milliseconds', clock_timestamp()))
ON CONFLICT (key) DO NOTHING;

-- Changes of the policy notify the Store like changes of users (migration 3).
CREATE TRIGGER ctitui_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
FOR EACH STATEMENT EXECUTE FUNCTION ctitui_notify_change();

ALTER TABLE users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;
DROP TABLE settings;
