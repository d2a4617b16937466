-- A full listing that reads each user's roles from a column of users instead
-- of joining user_roles and roles for every row. role_names holds the user's
-- role names joined by commas, most privileged first (admin, analyst, viewer,
-- then any other by name in byte order), plain names only (lower-case ASCII
-- letters, digits, - and _: a name with a comma cannot split into admin, and
-- a case or space variant cannot pass for one), exactly what
-- role_names_of(user id) below gives, as SQLite's 00011 expression does.
--
-- user_roles stays the source of truth: the triggers below recompute the
-- column from it whenever a link, a role's name or a user's id changes, or
-- anyone writes the column itself, whatever tool writes. ctitui decides
-- nothing from the column: logins, role changes, the last-admin rule, role
-- filters and exports read user_roles; listings shown to people read the
-- column. `ctitui doctor` compares the two and `--fix` recomputes it.
--
-- SQLite also recomputes on a role inserted or deleted, for links left
-- dangling while its foreign keys were off; PostgreSQL always enforces
-- user_roles' foreign keys (no link names a missing role, a linked role
-- cannot be deleted, nor its id changed), so a role's name is all that can
-- change a user's names from the roles side.

-- +goose Up
ALTER TABLE users ADD COLUMN role_names text COLLATE "C" NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE FUNCTION role_names_of(user_id anyelement) RETURNS text
LANGUAGE sql STABLE SET search_path = ctitui, public, pg_temp AS $$
    SELECT COALESCE(string_agg(r.name, ',' ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name COLLATE "C"), '')
    FROM user_roles ur JOIN roles r ON r.id = ur.role_id
    WHERE ur.user_id = role_names_of.user_id AND r.name COLLATE "C" ~ '^[a-z0-9_-]+$'
$$;
-- +goose StatementEnd

UPDATE users SET role_names = role_names_of(id);

-- A user's own row: a new row takes its names (its roles come after it, but
-- a writer may put anything in the column), and a write of the column or of
-- the id that links the user to its roles is put right at once.
-- +goose StatementBegin
CREATE FUNCTION users_role_names() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    NEW.role_names := role_names_of(NEW.id);
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_role_names BEFORE INSERT OR UPDATE OF id, role_names ON users
FOR EACH ROW EXECUTE FUNCTION users_role_names();

-- A link added, removed or moved: migration 4's function, now keeping
-- role_names too, in the same UPDATE of the user that moves updated_at.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION user_roles_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users SET role_names = role_names_of(id),
            updated_at = CASE WHEN xmin = pg_current_xact_id()::xid THEN updated_at
                              ELSE date_trunc('milliseconds', clock_timestamp()) END
        WHERE id = OLD.user_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        UPDATE users SET role_names = role_names_of(id),
            updated_at = CASE WHEN xmin = pg_current_xact_id()::xid THEN updated_at
                              ELSE date_trunc('milliseconds', clock_timestamp()) END
        WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION roles_names_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = ctitui, public, pg_temp AS $$
BEGIN
    UPDATE users SET role_names = role_names_of(id)
    WHERE id IN (SELECT user_id FROM user_roles WHERE role_id IN (OLD.id, NEW.id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER roles_names_changed AFTER UPDATE OF name ON roles
FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION roles_names_changed();

-- +goose Down
DROP TRIGGER roles_names_changed ON roles;
DROP FUNCTION roles_names_changed();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION user_roles_changed() RETURNS trigger
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
DROP TRIGGER users_role_names ON users;
DROP FUNCTION users_role_names();
DROP FUNCTION role_names_of(anyelement);
ALTER TABLE users DROP COLUMN role_names;
