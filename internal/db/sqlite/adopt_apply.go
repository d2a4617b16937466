package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
	"github.com/pressly/goose/v3/database"
)

// execIn returns a function that runs a statement in tx.
func execIn(ctx context.Context, tx *sql.Tx) func(query string, args ...any) error {
	return func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
}

// apply rebuilds the legacy tables in ctitui's shape inside tx, at the
// schema of migrations.AdoptionBaseline. SQLite cannot add constraints to an
// existing table, so each table is created anew under a temporary name,
// filled, and renamed over the old one (SQLite's documented twelve-step ALTER
// procedure, with foreign keys off on this connection).
func (p *adoptPlan) apply(ctx context.Context, tx *sql.Tx, report *adoptReport) error {
	for _, step := range []func(context.Context, *sql.Tx, *adoptReport) error{
		p.rebuildUsers, p.rebuildRoles, p.rebuildUserRoles, p.createIndexes, p.recordBaseline,
	} {
		if err := step(ctx, tx, report); err != nil {
			return err
		}
	}
	return nil
}

// rebuildUsers rebuilds users with ctitui's columns, computed for each
// legacy row, and the legacy columns it keeps.
func (p *adoptPlan) rebuildUsers(ctx context.Context, tx *sql.Tx, report *adoptReport) error {
	exec := execIn(ctx, tx)
	for _, c := range []string{"updated_at", "disabled_at", "last_login_at"} {
		if !hasColumn(p.users, c) {
			report.added = append(report.added, "users."+c)
		}
	}
	report.added = append(report.added, "users.email_normalized")
	report.keep("users", p.usersShape)
	if err := exec(createTable("ctitui_adopt_users", `
		id               TEXT PRIMARY KEY NOT NULL,
		email            TEXT NOT NULL,
		email_normalized TEXT NOT NULL,
		hashed_password  TEXT NOT NULL,
		created_at       TEXT NOT NULL,
		updated_at       TEXT NOT NULL,
		disabled_at      TEXT,
		last_login_at    TEXT`, p.usersShape, false)); err != nil {
		return err
	}
	if err := checkKept(ctx, tx, "users", "ctitui_adopt_users", p.usersShape); err != nil {
		return err
	}
	keptNames := columnList(p.usersShape)
	if err := exec(`INSERT INTO ctitui_adopt_users (id, email, email_normalized, hashed_password, created_at, updated_at` + keptNames + `)
		SELECT id, email, '', hashed_password, '', ''` + keptNames + ` FROM users`); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE ctitui_adopt_users
		SET email_normalized = ?, created_at = ?, updated_at = ?, disabled_at = ?, last_login_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close() //nolint:errcheck // prepared on tx, it is closed with tx in any case
	for _, u := range p.rows {
		if _, err := stmt.ExecContext(ctx, user.NormalizeEmail(u.email), user.FormatTime(u.created), user.FormatTime(u.updated),
			nullTime(u.disabled), nullTime(u.lastIn), u.id); err != nil {
			return err
		}
		report.retimed += u.retimed
		if u.inactive {
			report.disabled++
		}
	}
	// A row the old service wrote after inspectLegacy read the table would
	// have been copied with none of ctitui's values: refuse rather than keep
	// a user nobody can find.
	var copied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ctitui_adopt_users WHERE email_normalized <> ''`).Scan(&copied); err != nil {
		return err
	}
	if copied != len(p.rows) {
		return fmt.Errorf("the users table changed while it was being adopted (%d rows read, %d copied); try again", len(p.rows), copied)
	}
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ctitui_adopt_users`).Scan(&total); err != nil {
		return err
	}
	if total != copied {
		return fmt.Errorf("the users table changed while it was being adopted (%d rows read, %d copied); try again", len(p.rows), total)
	}
	if err := exec(`DROP TABLE users`); err != nil {
		return err
	}
	if err := exec(`ALTER TABLE ctitui_adopt_users RENAME TO users`); err != nil {
		return err
	}
	return nil
}

// rebuildRoles rebuilds roles, or creates it, and seeds ctitui's roles.
func (p *adoptPlan) rebuildRoles(ctx context.Context, tx *sql.Tx, report *adoptReport) error {
	exec := execIn(ctx, tx)
	roleBody := `
		id          INTEGER PRIMARY KEY,
		name        TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL DEFAULT ''`
	if p.roles == nil {
		report.added = append(report.added, "roles")
		if err := exec(createTable("roles", roleBody, legacyShape{}, false)); err != nil {
			return err
		}
	} else {
		report.keep("roles", p.rolesShape)
		if err := exec(createTable("ctitui_adopt_roles", roleBody, p.rolesShape, false)); err != nil {
			return err
		}
		if err := checkKept(ctx, tx, "roles", "ctitui_adopt_roles", p.rolesShape); err != nil {
			return err
		}
		id, desc := "NULL", "''"
		if hasColumn(p.roles, "id") {
			id = "id"
		}
		if hasColumn(p.roles, "description") {
			desc = "COALESCE(description, '')"
		}
		names := columnList(p.rolesShape)
		if err := exec(`INSERT INTO ctitui_adopt_roles (id, name, description` + names + `) SELECT ` + id + `, name, ` + desc + names + ` FROM roles`); err != nil {
			return err
		}
		if err := exec(`DROP TABLE roles`); err != nil {
			return err
		}
		if err := exec(`ALTER TABLE ctitui_adopt_roles RENAME TO roles`); err != nil {
			return err
		}
	}
	if err := exec(`INSERT INTO roles (name, description) VALUES
		('admin', 'Manages user accounts and platform settings'),
		('analyst', 'Creates and edits threat intelligence'),
		('viewer', 'Reads threat intelligence')
		ON CONFLICT (name) DO NOTHING`); err != nil {
		return err
	}
	return nil
}

// rebuildUserRoles rebuilds user_roles, or creates it, turning role names
// into role ids, and gives every user without a role the default one.
func (p *adoptPlan) rebuildUserRoles(ctx context.Context, tx *sql.Tx, report *adoptReport) error {
	exec := execIn(ctx, tx)
	linkBody := `
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
		role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE RESTRICT`
	if p.userRoles == nil {
		report.added = append(report.added, "user_roles")
		if err := exec(createTable("user_roles", linkBody, legacyShape{}, true)); err != nil {
			return err
		}
	} else {
		report.keep("user_roles", p.linksShape)
		if err := exec(createTable("ctitui_adopt_user_roles", linkBody, p.linksShape, true)); err != nil {
			return err
		}
		if err := checkKept(ctx, tx, "user_roles", "ctitui_adopt_user_roles", p.linksShape); err != nil {
			return err
		}
		roleID := "role_id"
		if p.roleRef != "role_id" {
			// Roles named only in user_roles become rows of roles, so that no
			// user loses one; ctitui shows them but does not assign them.
			ref := quoteIdent(p.roleRef)
			if err := exec(`INSERT INTO roles (name) SELECT DISTINCT ` + ref + ` FROM user_roles ORDER BY 1 ON CONFLICT (name) DO NOTHING`); err != nil {
				return err
			}
			roleID = "(SELECT r.id FROM roles r WHERE r.name = ur." + ref + ")"
		}
		names := columnList(p.linksShape)
		// Only exact duplicate links are dropped; any other conflict fails.
		if err := exec(`INSERT INTO ctitui_adopt_user_roles (user_id, role_id` + names + `) SELECT user_id, ` + roleID + names +
			` FROM user_roles ur WHERE true ON CONFLICT (user_id, role_id) DO NOTHING`); err != nil {
			return err
		}
		if err := exec(`DROP TABLE user_roles`); err != nil {
			return err
		}
		if err := exec(`ALTER TABLE ctitui_adopt_user_roles RENAME TO user_roles`); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role_id)
		SELECT u.id, (SELECT id FROM roles WHERE name = ?) FROM users u
		WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)`, string(user.DefaultRole))
	if err != nil {
		return err
	}
	given, _ := res.RowsAffected()
	report.defaultRoles = int(given)
	return nil
}

// createIndexes makes ctitui's indexes (those of migrations 1 and 2), then
// the file's own.
func (p *adoptPlan) createIndexes(ctx context.Context, tx *sql.Tx, _ *adoptReport) error {
	exec := execIn(ctx, tx)
	for _, stmt := range []string{
		`CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized)`,
		`CREATE INDEX users_created_at_idx ON users (created_at, id)`,
		`CREATE INDEX users_updated_at_idx ON users (updated_at, id)`,
		`CREATE INDEX user_roles_role_id_idx ON user_roles (role_id, user_id)`,
	} {
		if err := exec(stmt); err != nil {
			return err
		}
	}
	for _, stmt := range p.saved {
		if err := exec(stmt); err != nil {
			return fmt.Errorf("recreate %q: %w", firstLine(stmt), err)
		}
	}
	return nil
}

// recordBaseline records the baseline as goose would have, so that later
// migrations apply normally, and checks that every reference resolves.
// goose's table may be there already, recording nothing but version 0 (see
// probeWith): it is made anew, its rows counting for nothing.
func (p *adoptPlan) recordBaseline(ctx context.Context, tx *sql.Tx, _ *adoptReport) error {
	store, err := database.NewStore(database.DialectSQLite3, gooseTable)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+gooseTable); err != nil {
		return err
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for v := int64(0); v <= migrations.AdoptionBaseline; v++ {
		if err := store.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	return checkForeignKeys(ctx, tx)
}

// createTable renders CREATE TABLE name with ctitui's columns (body)
// followed by what the legacy table keeps.
func createTable(name, body string, shape legacyShape, withoutRowID bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + name + " (" + body)
	for _, c := range shape.kept {
		b.WriteString(",\n\t\t" + c.def)
	}
	if withoutRowID {
		b.WriteString(",\n\t\tPRIMARY KEY (user_id, role_id)")
	}
	for _, c := range shape.constraints {
		b.WriteString(",\n\t\t" + c)
	}
	b.WriteString("\n\t)")
	if withoutRowID {
		b.WriteString(" WITHOUT ROWID")
	}
	return b.String()
}

// columnList renders ", a, b" for the kept columns, or "".
func columnList(shape legacyShape) string {
	var b strings.Builder
	for _, c := range shape.kept {
		b.WriteString(", " + quoteIdent(c.name))
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// checkForeignKeys fails when any row refers to a missing parent.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s refers to a missing row of %s", table, parent)
	}
	return rows.Err()
}
