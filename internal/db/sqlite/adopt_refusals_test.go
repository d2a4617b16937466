package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestAdoptionRefusesWhatItCannotKeep: each check adoption makes before
// its first write, on the smallest file that breaks it (one row, one
// column, one duplicate): the file is refused with ErrCannotAdopt and a
// message that names what is wrong, and left byte for byte as it was,
// without a backup.
func TestAdoptionRefusesWhatItCannotKeep(t *testing.T) {
	const (
		users  = `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL)`
		ana    = `INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`
		roles  = `CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT)`
		admins = `INSERT INTO roles (id, name) VALUES (1, 'admin')`
	)
	tests := []struct {
		name  string
		stmts []string
		want  string // in the error message
	}{
		// ctitui reads is_active and disabled_at; another column that may
		// have kept someone from logging in is not guessed at.
		{"a status column ctitui does not read", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 'banned')`},
			"users table has a column named status, which may keep accounts from logging in"},
		{"a locked flag ctitui does not read", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, "Is_Locked" INTEGER)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 1)`},
			"users table has a column named Is_Locked, which may keep accounts from logging in"},
		{"an account status under a longer name", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, account_status TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 'suspended')`},
			"users table has a column named account_status, which may keep accounts from logging in"},
		{"a login flag", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, can_login INTEGER)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 0)`},
			"users table has a column named can_login, which may keep accounts from logging in"},
		{"an expiry", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, valid_until TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', '2020-01-01')`},
			"users table has a column named valid_until, which may keep accounts from logging in"},
		{"a revocation time", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', '2020-01-01')`},
			"users table has a column named revoked_at, which may keep accounts from logging in"},
		{"a table ctitui creates", []string{users, ana, `CREATE TABLE settings (k TEXT, v TEXT)`},
			"it already has a table named settings, which ctitui would create; rename it"},
		{"no hashed_password column", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, password TEXT, created_at TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`},
			"users table has no hashed_password column"},
		{"no created_at column", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h')`},
			"users table has no created_at column"},
		{"an email_normalized column without migrations", []string{
			`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, email_normalized TEXT, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL)`,
			`INSERT INTO users VALUES ('u1', 'ana@example.org', 'ana@example.org', 'h', '2024-10-01 12:00:00')`},
			"already has a column named email_normalized, which ctitui adds"},
		{"a roles table without names", []string{users, ana, `CREATE TABLE roles (id INTEGER PRIMARY KEY, title TEXT)`, `INSERT INTO roles VALUES (1, 'admin')`},
			"roles table has no name column"},
		{"a role named twice", []string{users, ana, roles, admins, `INSERT INTO roles (id, name) VALUES (2, 'admin')`},
			`roles table names "admin" more than once`},
		{"a role whose name is blank", []string{users, ana, roles, admins, `INSERT INTO roles (id, name) VALUES (2, '  ')`},
			"roles table has 1 roles without a name"},
		{"a role whose id is not an integer", []string{users, ana, `CREATE TABLE roles (id, name TEXT)`, `INSERT INTO roles VALUES (1, 'admin'), ('x', 'viewer')`},
			"roles table has 1 ids that are not integers"},
		{"role ids without a roles table", []string{users, ana, `CREATE TABLE user_roles (user_id TEXT, role_id INTEGER)`, `INSERT INTO user_roles VALUES ('u1', 1)`},
			"user_roles refers to role ids but there is no roles table"},
		{"a user's role name blank", []string{users, ana, `CREATE TABLE user_roles (user_id TEXT, role TEXT)`, `INSERT INTO user_roles VALUES ('u1', 'admin'), ('u1', ' ')`},
			"user_roles has 1 rows without a role name"},
		{"a user_roles row of a user that is gone", []string{users, ana, roles, admins,
			`CREATE TABLE user_roles (user_id TEXT, role_id INTEGER)`, `INSERT INTO user_roles VALUES ('u1', 1), ('u9', 1)`},
			"user_roles has 1 rows for users that do not exist"},
		{"a user_roles row of a role that is gone", []string{users, ana, roles, admins,
			`CREATE TABLE user_roles (user_id TEXT, role_id INTEGER)`, `INSERT INTO user_roles VALUES ('u1', 1), ('u1', 9)`},
			"user_roles has 1 rows for roles that do not exist"},
		{"an empty id", []string{users, ana, `INSERT INTO users VALUES ('', 'ben@example.org', 'h', '2024-10-01 12:00:00')`},
			"a user has no id"},
		{"two users with one id", []string{
			`CREATE TABLE users (id TEXT, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL)`, ana,
			`INSERT INTO users VALUES ('u1', 'ben@example.org', 'h', '2024-10-01 12:00:00')`},
			"two users have the id u1"},
		{"an email of spaces", []string{users, ana, `INSERT INTO users VALUES ('u2', '   ', 'h', '2024-10-01 12:00:00')`},
			"user u2 has no email"},
	}
	// An is_active that is neither a clear true nor a clear false: never
	// guessed active. With a disabled_at column beside it too, since that
	// column must not make adoption look away from is_active.
	for _, flag := range []struct{ value, shown string }{
		{`'inactive'`, `"inactive"`}, {`'disabled'`, `"disabled"`}, {`' 0'`, `" 0"`}, {`'0 '`, `"0 "`},
		{`'off '`, `"off "`}, {`''`, `""`}, {`'yes please'`, `"yes please"`}, {`'nope'`, `"nope"`},
		{`'1.0'`, `"1.0"`}, {"2", "2"}, {"-1", "-1"}, {"0.5", "0.5"}, {"0.9999999999999999", "0.9999999999999999"},
		{"x'30'", "x'30'"}, {`'ye' || char(383)`, `"yeſ"`}, {`char(27) || '[31m0'`, `"\x1b[31m0"`},
		{`'` + strings.Repeat("a", 200) + `'`, `"` + strings.Repeat("a", 40) + `"...`},
	} {
		for _, withDisabledAt := range []bool{false, true} {
			table, name := `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL, is_active)`, "is_active "+flag.value[:min(len(flag.value), 20)]
			if withDisabledAt {
				table, name = strings.Replace(table, "is_active)", "is_active, disabled_at TEXT)", 1), name+" beside disabled_at"
			}
			tests = append(tests, struct {
				name  string
				stmts []string
				want  string
			}{name, []string{table,
				`INSERT INTO users (id, email, hashed_password, created_at, is_active) VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 1)`,
				`INSERT INTO users (id, email, hashed_password, created_at, is_active) VALUES ('u2', 'ben@example.org', 'h', '2024-10-01 12:00:00', ` + flag.value + `)`},
				`user "u2" has is_active ` + flag.shown + `, which is neither true (1, true, t, yes, y, on) nor false (0, false, f, no, n, off, NULL)`})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			writeSQLite(t, path, tt.stmts...)
			before := fileSHA256(t, path)
			s, err := sqlite.Open(context.Background(), path, db.Options{Now: func() time.Time { return adoptNow }})
			if err == nil {
				s.Close()
				t.Fatalf("Open = nil error; want %v saying %q", db.ErrCannotAdopt, tt.want)
			}
			if !errors.Is(err, db.ErrCannotAdopt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v; want %v saying %q", err, db.ErrCannotAdopt, tt.want)
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("file changed by a refused adoption")
			}
			if got := bakFilesIn(t, dir); len(got) != 0 {
				t.Errorf("backups left after refusal: %v; want none", got)
			}
		})
	}
}
