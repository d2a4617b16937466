-- Roles and the user <-> role link. A user has one or more roles; analyst is the
-- default. The user_roles foreign key to users is deferred so that a new user's
-- roles can be written before the user row: the updated_at triggers then find no
-- user to touch, and a new user keeps updated_at equal to created_at.

-- +goose Up
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO roles (name, description) VALUES
    ('admin', 'Manages user accounts and platform settings'),
    ('analyst', 'Creates and edits threat intelligence'),
    ('viewer', 'Reads threat intelligence')
ON CONFLICT (name) DO NOTHING;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id, user_id);

-- +goose Down
DROP TABLE user_roles;
DROP TABLE roles;
