-- Keep created_at and updated_at honest for edits made outside ctitui too (the
-- sqlite3 shell, another tool): created_at never changes, and updated_at moves
-- whenever the user's email, password, disabled state or roles change, unless the
-- writer set updated_at itself (ctitui does, from its own clock).

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER users_created_at_immutable
BEFORE UPDATE OF created_at ON users
WHEN NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'users.created_at cannot change');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_touch_updated_at
AFTER UPDATE OF email, email_normalized, hashed_password, disabled_at ON users
WHEN NEW.updated_at IS OLD.updated_at
 AND (NEW.email IS NOT OLD.email
   OR NEW.email_normalized IS NOT OLD.email_normalized
   OR NEW.hashed_password IS NOT OLD.hashed_password
   OR NEW.disabled_at IS NOT OLD.disabled_at)
BEGIN
    UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER user_roles_touch_on_insert
AFTER INSERT ON user_roles
BEGIN
    UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.user_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER user_roles_touch_on_delete
AFTER DELETE ON user_roles
BEGIN
    UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = OLD.user_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER user_roles_touch_on_delete;
DROP TRIGGER user_roles_touch_on_insert;
DROP TRIGGER users_touch_updated_at;
DROP TRIGGER users_created_at_immutable;
