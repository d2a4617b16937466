package sqlite_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestAdoptionReadsLegacyValuesAsTheyWereMeant: what adoption makes of the
// legacy values it must interpret. The earlier service marked inactive
// accounts with an is_active flag in any of the spellings SQLite and its
// drivers use for true and false, in any case, NULL counting as false (the
// cautious reading); anything else is refused
// (TestAdoptionRefusesWhatItCannotKeep). An updated_at before created_at (a
// clock set back) becomes created_at, since no change can come before the
// account.
func TestAdoptionReadsLegacyValuesAsTheyWereMeant(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cti.db")
	stmts := []string{`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT, is_active)`}
	flags := []struct {
		value    string // SQL literal
		disabled bool
	}{
		{"0", true}, {"'0'", true}, {"'false'", true}, {"'FALSE'", true}, {"'f'", true}, {"'F'", true},
		{"'no'", true}, {"'No'", true}, {"'n'", true}, {"'off'", true}, {"'OFF'", true}, {"0.0", true}, {"-0.0", true}, {"NULL", true},
		{"1", false}, {"'1'", false}, {"'true'", false}, {"'True'", false}, {"'t'", false}, {"'yes'", false}, {"'YES'", false},
		{"'y'", false}, {"'on'", false}, {"'On'", false}, {"1.0", false},
	}
	for i, f := range flags {
		stmts = append(stmts, `INSERT INTO users VALUES ('u`+string(rune('a'+i))+`', 'user`+string(rune('a'+i))+`@example.org', 'h',
			'2024-10-01 12:00:00', '2024-10-02 08:00:00', `+f.value+`)`)
	}
	stmts = append(stmts, `INSERT INTO users VALUES ('early', 'early@example.org', 'h', '2024-10-01 12:00:00', '2024-09-30 23:59:59', 1)`)
	writeSQLite(t, path, stmts...)
	s := openStore(t, path, db.Options{Now: func() time.Time { return adoptNow }})
	users := allUsers(t, s)
	for i, f := range flags {
		email := "user" + string(rune('a'+i)) + "@example.org"
		u, ok := users[email]
		if !ok {
			t.Fatalf("no user %s after adoption", email)
		}
		if u.Disabled() != f.disabled {
			t.Errorf("is_active = %s: disabled %v; want %v", f.value, u.Disabled(), f.disabled)
		}
		if f.disabled && user.FormatTime(u.DisabledAt) != "2024-10-02T08:00:00.000Z" {
			t.Errorf("is_active = %s: disabled at %s; want its updated_at, 2024-10-02T08:00:00.000Z", f.value, user.FormatTime(u.DisabledAt))
		}
	}
	early := users["early@example.org"]
	if got, want := user.FormatTime(early.UpdatedAt), "2024-10-01T12:00:00.000Z"; got != want {
		t.Errorf("updated_at before created_at adopted as %s; want created_at, %s", got, want)
	}
}

// TestAdoptionDisablesAnAccountEitherColumnSaysIsDisabled: a legacy users
// table may have both an is_active flag and a disabled_at time; an account
// is disabled when either says so. A disabled_at of the file is kept as it
// is (whatever is_active says); an account only is_active calls inactive is
// disabled as of its updated_at, and the report counts those.
func TestAdoptionDisablesAnAccountEitherColumnSaysIsDisabled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cti.db")
	writeSQLite(t, path, `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT, is_active BOOLEAN, disabled_at TEXT)`,
		`INSERT INTO users VALUES
			('u1', 'inactive@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', 0, NULL),
			('u2', 'unknown@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', NULL, NULL),
			('u3', 'offword@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', 'off', NULL),
			('u4', 'both@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', 'false', '2024-09-01 00:00:00'),
			('u5', 'stamped@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', 1, '2024-09-02 00:00:00'),
			('u6', 'active@example.org', 'h', '2024-10-01 12:00:00', '2024-10-02 08:00:00', 'yes', NULL)`)
	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }})
	users := allUsers(t, s)
	for _, tt := range []struct {
		email      string
		disabledAt string // "" for active
	}{
		{"inactive@example.org", "2024-10-02T08:00:00.000Z"},
		{"unknown@example.org", "2024-10-02T08:00:00.000Z"},
		{"offword@example.org", "2024-10-02T08:00:00.000Z"},
		{"both@example.org", "2024-09-01T00:00:00.000Z"},
		{"stamped@example.org", "2024-09-02T00:00:00.000Z"},
		{"active@example.org", ""},
	} {
		u, ok := users[tt.email]
		if !ok {
			t.Errorf("no user %s after adoption", tt.email)
			continue
		}
		got := ""
		if u.Disabled() {
			got = user.FormatTime(u.DisabledAt)
		}
		if got != tt.disabledAt {
			t.Errorf("%s disabled at %q; want %q", tt.email, got, tt.disabledAt)
		}
	}
	if report := strings.Join(told.all(), "\n"); !strings.Contains(report, "3 inactive users (is_active false) marked disabled") {
		t.Errorf("adoption report %q; want it to say 3 inactive users (is_active false) marked disabled", report)
	}
}

// TestAdoptionKeepsRulesOnTheirOwnColumnsOnly: of a legacy table's rules,
// none that could refuse ctitui's writes is kept: a CHECK, a generation rule
// and every foreign key (SQLite looks up the parent on each write, and a
// missing one fails them all, a failed login's count among them) are left
// out and named. The columns keep their values; a generated column becomes
// a plain one.
func TestAdoptionKeepsRulesOnTheirOwnColumnsOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cti.db")
	writeSQLite(t, path,
		`CREATE TABLE people (pid TEXT PRIMARY KEY, mail TEXT UNIQUE)`,
		`INSERT INTO people VALUES ('p1', 'ana@example.org')`,
		`CREATE TABLE users (
			id TEXT PRIMARY KEY,
			email TEXT NOT NULL,
			hashed_password TEXT NOT NULL,
			created_at TEXT NOT NULL,
			handle TEXT GENERATED ALWAYS AS (lower(id)) VIRTUAL NOT NULL,
			note TEXT CHECK (note IS NULL OR email <> note),
			owner TEXT,
			FOREIGN KEY (email) REFERENCES people (mail),
			FOREIGN KEY (owner) REFERENCES people (pid)
		)`,
		`INSERT INTO users (id, email, hashed_password, created_at, owner) VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00', 'p1')`,
	)
	var told notes
	openStore(t, path, db.Options{Notify: told.notify, Now: func() time.Time { return adoptNow }})
	report := strings.Join(told.all(), "\n")
	for _, want := range []string{
		"users.note CHECK (note IS NULL OR email <> note) (a CHECK runs with ctitui's writes and could refuse them)",
		"users.handle GENERATED ALWAYS AS (lower(id)) VIRTUAL (its rule runs with ctitui's writes and could refuse them; the column keeps its values)",
		"users FOREIGN KEY (email) REFERENCES people (mail) (a foreign key makes SQLite look up its parent table",
		"users FOREIGN KEY (owner) REFERENCES people (pid) (a foreign key makes SQLite look up its parent table",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("adoption report %q does not name %q", report, want)
		}
	}
	raw := openRawSQLite(t, path, true)
	if got := queryStrings(t, raw, `SELECT "notnull" || ',' || hidden FROM pragma_table_xinfo('users') WHERE name = 'handle'`); !slices.Equal(got, []string{"0,0"}) {
		t.Errorf("users.handle NOT NULL, hidden = %q; want 0,0: a plain column without its rules", got)
	}
	if got := queryStrings(t, raw, `SELECT handle FROM users`); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("users.handle = %q; want the generated value kept", got)
	}
	if got := queryStrings(t, raw, `SELECT "from" || '->' || "table" FROM pragma_foreign_key_list('users') ORDER BY "from"`); len(got) != 0 {
		t.Errorf("users' foreign keys = %q; want none: a missing parent would refuse every write", got)
	}
	if got := queryStrings(t, raw, `SELECT owner FROM users`); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("users.owner = %q; want the value kept", got)
	}
	if sql := strings.Join(queryStrings(t, raw, `SELECT sql FROM sqlite_schema WHERE name = 'users'`), ""); strings.Contains(sql, "email <> note") {
		t.Errorf("adopted users table keeps the CHECK that reads email: %s", sql)
	}
}
