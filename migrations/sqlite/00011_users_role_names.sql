-- A full listing that reads each user's roles from a column of users instead
-- of joining user_roles and roles for every row: at 200,000 users the join was
-- more than half of `user list`. role_names holds the user's role names
-- joined by commas, most privileged first (admin, analyst, viewer, then any
-- other by name), exactly what this expression gives:
--
--   COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name
--       FROM user_roles ur JOIN roles r ON r.id = ur.role_id
--       WHERE ur.user_id = <id> AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0
--       WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
--
-- user_roles stays the source of truth: the triggers below recompute the
-- column from it whenever a link, a role or a user's id changes, or anyone
-- writes the column itself, whatever tool writes (the sqlite3 shell
-- included; the expression is written for SQLite 3.40, which has no ORDER BY
-- inside an aggregate). ctitui decides nothing from the column: logins,
-- role changes, the last-admin rule, role filters and exports read
-- user_roles; listings shown to people read the column. `ctitui doctor`
-- compares the two and `--fix` recomputes it; a restore or an adoption
-- recomputes it for every user.

-- +goose Up
ALTER TABLE users ADD COLUMN role_names TEXT NOT NULL DEFAULT '';

UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '');

-- +goose StatementBegin
CREATE TRIGGER user_roles_names_insert AFTER INSERT ON user_roles
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id = NEW.user_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER user_roles_names_delete AFTER DELETE ON user_roles
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id = OLD.user_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER user_roles_names_update AFTER UPDATE ON user_roles
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id IN (OLD.user_id, NEW.user_id);
END;
-- +goose StatementEnd

-- Roles are written before their user (the link's foreign key is
-- deferred), when the triggers above find no user to update: the new row
-- takes its names here, as does a row whose writer put anything else in
-- the column.
-- +goose StatementBegin
CREATE TRIGGER users_role_names_insert AFTER INSERT ON users
WHEN NEW.role_names IS NOT COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = NEW.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- A write of the column itself, or of the id that links a user to its
-- roles, is put right at once.
-- +goose StatementBegin
CREATE TRIGGER users_role_names_update AFTER UPDATE OF id, role_names ON users
WHEN NEW.role_names IS NOT COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = NEW.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- A role renamed, removed or added (the last with the id of links left
-- behind while foreign keys were off, as they are in the sqlite3 shell)
-- changes the names of every user linked to it.
-- +goose StatementBegin
CREATE TRIGGER roles_names_insert AFTER INSERT ON roles
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id IN (SELECT user_id FROM user_roles WHERE role_id = NEW.id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER roles_names_update AFTER UPDATE OF id, name ON roles
WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id IN (SELECT user_id FROM user_roles WHERE role_id IN (OLD.id, NEW.id));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER roles_names_delete AFTER DELETE ON roles
BEGIN
    UPDATE users SET role_names = COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = users.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')
    WHERE id IN (SELECT user_id FROM user_roles WHERE role_id = OLD.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER roles_names_delete;
DROP TRIGGER roles_names_update;
DROP TRIGGER roles_names_insert;
DROP TRIGGER users_role_names_update;
DROP TRIGGER users_role_names_insert;
DROP TRIGGER user_roles_names_update;
DROP TRIGGER user_roles_names_delete;
DROP TRIGGER user_roles_names_insert;
ALTER TABLE users DROP COLUMN role_names;
