package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// newGooseProvider returns a goose provider of ctitui's migrations, on its
// own connection to path with foreign keys on.
func newGooseProvider(t *testing.T, path string) (*goose.Provider, *sql.DB) {
	t.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sqlite.NewMigrationProvider(sqldb)
	if err != nil {
		sqldb.Close()
		t.Fatalf("sqlite.NewMigrationProvider = %v", err)
	}
	t.Cleanup(func() { p.Close() }) // closes sqldb
	return p, sqldb
}

func TestMigrationsUpDownUpWithData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cti.db")
	p, sqldb := newGooseProvider(t, path)
	const tables = `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	const schemaObjects = `SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`
	fill := func() {
		t.Helper()
		for _, stmt := range []string{
			`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
				VALUES ('u1', 'Ana@example.org', 'ana@example.org', 'h', '2024-10-01T12:00:00.000Z', '2024-10-01T12:00:00.000Z')`,
			`INSERT INTO user_roles (user_id, role_id) SELECT 'u1', id FROM roles WHERE name = 'admin'`,
			`INSERT INTO audit_log (at, actor, action, user_id) VALUES ('2024-10-01T12:00:00.000Z', 'tester', 'register', 'u1')`,
		} {
			if _, err := sqldb.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("exec %q: %v", stmt, err)
			}
		}
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up = %v", err)
	}
	full := queryStrings(t, sqldb, schemaObjects)
	fill()

	// Down to the adoption baseline and back keeps the data.
	if _, err := p.DownTo(ctx, migrations.AdoptionBaseline); err != nil {
		t.Fatalf("DownTo(%d) = %v", migrations.AdoptionBaseline, err)
	}
	if got, want := queryStrings(t, sqldb, tables), []string{"goose_db_version", "roles", "user_roles", "users"}; !slices.Equal(got, want) {
		t.Errorf("tables at version %d = %v; want %v", migrations.AdoptionBaseline, got, want)
	}
	if got := queryInt(t, sqldb, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`); got != 0 {
		t.Errorf("%d triggers at version %d; want 0", got, migrations.AdoptionBaseline)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up from %d = %v", migrations.AdoptionBaseline, err)
	}
	if got := queryInt(t, sqldb, `SELECT count(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id`); got != 1 {
		t.Errorf("users with roles after down to %d and up = %d; want 1", migrations.AdoptionBaseline, got)
	}

	// All the way down with data in every table, then up again.
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0) with data = %v", err)
	}
	if got, want := queryStrings(t, sqldb, tables), []string{"goose_db_version"}; !slices.Equal(got, want) {
		t.Errorf("tables at version 0 = %v; want %v", got, want)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
		t.Errorf("GetDBVersion after DownTo(0) = %d, %v; want 0", v, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up after DownTo(0) = %v", err)
	}
	if got := queryStrings(t, sqldb, schemaObjects); !slices.Equal(got, full) {
		t.Errorf("schema after up, down, up:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(full, "\n  "))
	}
	if got, want := queryStrings(t, sqldb, `SELECT name FROM roles ORDER BY id`), []string{"admin", "analyst", "viewer"}; !slices.Equal(got, want) {
		t.Errorf("roles after up, down, up = %v; want %v", got, want)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != sqlite.LatestVersion() {
		t.Errorf("GetDBVersion = %d, %v; want %d", v, err, sqlite.LatestVersion())
	}
	fill()
	if got := queryStrings(t, sqldb, `PRAGMA foreign_key_check`); len(got) != 0 {
		t.Errorf("foreign_key_check = %v; want none", got)
	}
}

func TestUserTimestampTriggers(t *testing.T) {
	const old = "2020-01-01T00:00:00.000Z"
	path := filepath.Join(t.TempDir(), "cti.db")
	openStore(t, path, db.Options{}).Close()
	sqldb := openRawSQLite(t, path, false)

	tests := []struct {
		name    string
		setup   []string // run before updated_at is reset to old
		stmt    string   // ? is the user's id
		moved   bool     // updated_at must move to about now
		want    string   // else updated_at must be this ("" means old)
		wantErr string
	}{
		{name: "email", stmt: `UPDATE users SET email = 'x' || email, email_normalized = 'x' || email_normalized WHERE id = ?`, moved: true},
		{name: "hashed_password", stmt: `UPDATE users SET hashed_password = 'other' WHERE id = ?`, moved: true},
		{name: "disabled_at", stmt: `UPDATE users SET disabled_at = '2024-10-02T00:00:00.000Z' WHERE id = ?`, moved: true},
		{name: "role added", stmt: `INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE name = 'admin'`, moved: true},
		{
			name:  "role removed",
			setup: []string{`INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE name = 'viewer'`},
			stmt:  `DELETE FROM user_roles WHERE user_id = ?`,
			moved: true,
		},
		{name: "last_login_at alone", stmt: `UPDATE users SET last_login_at = '2024-10-02T00:00:00.000Z' WHERE id = ?`},
		{name: "email set to itself", stmt: `UPDATE users SET email = email WHERE id = ?`},
		{name: "email with explicit updated_at", stmt: `UPDATE users SET email = 'y' || email, updated_at = '2021-06-01T00:00:00.000Z' WHERE id = ?`, want: "2021-06-01T00:00:00.000Z"},
		{name: "created_at to itself", stmt: `UPDATE users SET created_at = created_at WHERE id = ?`},
		{name: "created_at changed", stmt: `UPDATE users SET created_at = '2019-01-01T00:00:00.000Z' WHERE id = ?`, wantErr: "created_at cannot change"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "u" + string(rune('a'+i))
			email := id + "@example.org"
			if _, err := sqldb.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES (?, ?, ?, 'h', ?, ?)`,
				id, email, email, old, old); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.setup {
				if _, err := sqldb.Exec(s, id); err != nil {
					t.Fatalf("setup %q: %v", s, err)
				}
			}
			if _, err := sqldb.Exec(`UPDATE users SET updated_at = ? WHERE id = ?`, old, id); err != nil {
				t.Fatal(err)
			}

			before := time.Now().UTC().Truncate(time.Millisecond)
			_, err := sqldb.Exec(tt.stmt, id)
			after := time.Now().UTC()
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("%s = %v; want an error containing %q", tt.stmt, err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%s = %v; want nil", tt.stmt, err)
			}

			var created, updated string
			if err := sqldb.QueryRow(`SELECT created_at, updated_at FROM users WHERE id = ?`, id).Scan(&created, &updated); err != nil {
				t.Fatal(err)
			}
			if created != old {
				t.Errorf("created_at = %s; want %s (never changes)", created, old)
			}
			if !tt.moved {
				want := tt.want
				if want == "" {
					want = old
				}
				if updated != want {
					t.Errorf("updated_at after %s = %s; want %s", tt.stmt, updated, want)
				}
				return
			}
			at, err := time.Parse(user.TimeLayout, updated)
			if err != nil || user.FormatTime(at) != updated {
				t.Fatalf("updated_at after %s = %q; want the %s layout (%v)", tt.stmt, updated, user.TimeLayout, err)
			}
			if at.Before(before) || at.After(after) {
				t.Errorf("updated_at after %s = %s; want between %s and %s", tt.stmt, updated, user.FormatTime(before), user.FormatTime(after))
			}
		})
	}
}
