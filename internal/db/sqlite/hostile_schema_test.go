package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// Schema that ctitui did not create never runs: a database file may be a
// backup handed over, a legacy file or a restore source, and its triggers
// would run on ctitui's writes. These tests plant such objects in files they
// build themselves.

// hostileObjects are triggers and views an attacker with a copy of the file
// would plant. Each records that it ran in the table fired, so that a test
// can prove it never did.
var hostileObjects = []struct {
	name  string
	stmts []string
}{
	{"trigger that erases audit entries", []string{
		`CREATE TRIGGER audit_eraser AFTER INSERT ON audit_log BEGIN INSERT INTO fired VALUES ('audit_eraser'); DELETE FROM audit_log WHERE id = NEW.id; END`,
	}},
	{"trigger that makes every edited user an admin", []string{
		`CREATE TRIGGER zz_promote AFTER UPDATE ON users BEGIN INSERT INTO fired VALUES ('zz_promote'); INSERT OR IGNORE INTO user_roles (user_id, role_id) SELECT NEW.id, id FROM roles WHERE name = 'admin'; END`,
	}},
	{"trigger hiding behind the search index's name", []string{
		`CREATE TRIGGER users_email_search_copy AFTER UPDATE ON users BEGIN INSERT INTO fired VALUES ('copy'); INSERT INTO stolen VALUES (NEW.hashed_password); END`,
	}},
	{"ctitui's own trigger with another body", []string{
		`DROP TRIGGER users_touch_updated_at`,
		`CREATE TRIGGER users_touch_updated_at AFTER UPDATE OF email, email_normalized, hashed_password, disabled_at ON users BEGIN INSERT INTO fired VALUES ('touch'); UPDATE users SET disabled_at = NULL WHERE id = NEW.id; END`,
	}},
	{"view", []string{
		`CREATE VIEW hashes AS SELECT email, hashed_password, 'fired' AS mark FROM users`,
	}},
}

// plantedCode counts the planted triggers and views in a file.
const plantedCode = `SELECT count(*) FROM sqlite_schema WHERE type IN ('trigger', 'view') AND sql LIKE '%fired%'`

// plantHostile runs stmts on the ctitui database at path, with the tables
// the hostile objects write to.
func plantHostile(t *testing.T, path string, stmts []string) {
	t.Helper()
	writeSQLite(t, path, append([]string{`CREATE TABLE fired (what TEXT)`, `CREATE TABLE stolen (hash TEXT)`}, stmts...)...)
}

func TestOpenRefusesForeignTriggersAndViews(t *testing.T) {
	for _, h := range hostileObjects {
		t.Run(h.name, func(t *testing.T) {
			path := docDB(t)
			plantHostile(t, path, h.stmts)
			before := fileSHA256(t, path)

			s, err := sqlite.Open(context.Background(), path, db.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open = nil error; want %v", db.ErrUnknownSchema)
			}
			if !errors.Is(err, db.ErrUnknownSchema) {
				t.Fatalf("Open = %v; want %v", err, db.ErrUnknownSchema)
			}
			if !strings.Contains(err.Error(), "doctor --fix") {
				t.Errorf("Open error %q does not say how to go on (doctor --fix)", err)
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("file changed by a refused open")
			}

			// With consent the objects go, after a backup that keeps them, and
			// the drop is audited; ctitui's own trigger comes back.
			var told notes
			s = openStore(t, path, db.Options{DropUnknownObjects: true, Notify: told.notify, Actor: "tester", Now: func() time.Time { return docNow }})
			code := readRows(t, path, `SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema WHERE type IN ('trigger', 'view') ORDER BY name`)
			for _, c := range code {
				if strings.Contains(c, "fired") {
					t.Errorf("after the drop the file still has %s", c)
				}
			}
			if !slices.ContainsFunc(code, func(c string) bool { return strings.HasPrefix(c, "trigger users_touch_updated_at:") }) {
				t.Errorf("after the drop the file lacks ctitui's users_touch_updated_at trigger: %q", code)
			}
			bak := bakFilesIn(t, filepath.Dir(path))
			if len(bak) != 1 {
				t.Fatalf("backups = %q; want one, taken before the drop", bak)
			}
			if got := readRows(t, bak[0], plantedCode); !slices.Equal(got, []string{"1"}) {
				t.Errorf("backup %s holds %q objects that write to fired; want 1 (the original)", bak[0], got)
			}
			entries := auditEntries(t, s)
			if len(entries) == 0 || entries[0].Action != user.ActionRepair || !strings.Contains(entries[0].Details, "removed") || !strings.Contains(entries[0].Details, filepath.Base(bak[0])) {
				t.Errorf("newest audit entry = %+v; want a repair naming what was dropped and the backup", entries[0])
			}
			if rep, err := s.VerifyAuditChain(context.Background()); err != nil || !rep.OK() {
				t.Errorf("VerifyAuditChain = %v, %v; want ok", rep, err)
			}
			// Writes now run none of the planted code.
			svc := newService(s)
			if _, _, err := svc.SetDisabled(context.Background(), "bo@example.org", true); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SetRoles(context.Background(), "cy@example.org", []user.Role{user.RoleViewer}); err != nil {
				t.Fatal(err)
			}
			if got := readRows(t, path, `SELECT count(*) FROM fired`); !slices.Equal(got, []string{"0"}) {
				t.Errorf("planted code ran %q times; want never", got)
			}
			if len(told.all()) == 0 {
				t.Errorf("Open with DropUnknownObjects told nobody what it dropped")
			}
		})
	}
}

func TestRestoreNeverCarriesForeignCode(t *testing.T) {
	for _, h := range hostileObjects {
		t.Run(h.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			live := filepath.Join(dir, "live.db")
			bkDB(t, live, "live", 2)
			src := docDB(t)
			plantHostile(t, src, h.stmts)
			liveBefore := docContent(t, live)
			srcBefore := fileSHA256(t, src)

			_, _, err := sqlite.Restore(ctx, live, src, db.Options{Now: func() time.Time { return bkNow }})
			if !errors.Is(err, db.ErrUnknownSchema) {
				t.Fatalf("Restore = %v; want %v", err, db.ErrUnknownSchema)
			}
			if !strings.Contains(err.Error(), "--drop-unknown-objects") {
				t.Errorf("Restore error %q does not name --drop-unknown-objects", err)
			}
			if got := docContent(t, live); got != liveBefore {
				t.Errorf("live database changed by a refused restore")
			}
			if got := bakFilesIn(t, dir); len(got) != 0 {
				t.Errorf("refused restore left backups %q", got)
			}

			s, rep, err := sqlite.Restore(ctx, live, src, db.Options{DropUnknownObjects: true, Actor: "tester", Now: func() time.Time { return bkNow }})
			if err != nil {
				t.Fatalf("Restore with DropUnknownObjects = %v", err)
			}
			defer s.Close()
			if got := readRows(t, live, plantedCode); !slices.Equal(got, []string{"0"}) {
				t.Errorf("restored file has %q objects writing to fired; want 0", got)
			}
			if got, want := bkEmails(t, live), []string{"ana@example.org", "bo@example.org", "cy@example.org"}; !slices.Equal(got, want) {
				t.Errorf("restored users = %q; want %q", got, want)
			}
			if fileSHA256(t, src) != srcBefore {
				t.Errorf("restore changed its source file")
			}
			if rep.Backup == "" || !slices.Contains(bkEmails(t, rep.Backup), "live0@example.org") {
				t.Errorf("Restore backup %q does not hold the replaced database", rep.Backup)
			}
			entries := auditEntries(t, s)
			if entries[0].Action != user.ActionRestore || !strings.Contains(entries[0].Details, "left out") {
				t.Errorf("newest audit entry = %+v; want the restore, naming what it dropped", entries[0])
			}
			svc := newService(s)
			if _, _, err := svc.SetDisabled(ctx, "bo@example.org", true); err != nil {
				t.Fatal(err)
			}
			if got := readRows(t, live, `SELECT count(*) FROM fired`); !slices.Equal(got, []string{"0"}) {
				t.Errorf("planted code ran %q times; want never", got)
			}
		})
	}
}

// legacyMinimal is a users table as the earlier service made it.
const legacyMinimal = `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`

func TestOpenAdoptsLegacyDatabaseAllOrNothing(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string
		want  []string // in the error
		// consent is set when the file is adopted with DropUnknownObjects.
		consent bool
	}{
		{
			name:  "a settings table of its own",
			stmts: []string{`CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT)`, `INSERT INTO settings VALUES ('theme', 'dark')`},
			want:  []string{"settings"},
		},
		{
			name:  "a table a later migration creates",
			stmts: []string{`CREATE TABLE users_order (id INTEGER PRIMARY KEY)`},
			want:  []string{"users_order"},
		},
		{
			name:  "a view named roles",
			stmts: []string{`CREATE VIEW roles AS SELECT 1 AS id, 'admin' AS name`},
			want:  []string{"view roles"},
		},
		{
			name:    "a trigger that blocks updates",
			stmts:   []string{`CREATE TABLE fired (what TEXT)`, `CREATE TRIGGER no_updates BEFORE UPDATE ON users BEGIN INSERT INTO fired VALUES ('no_updates'); SELECT RAISE(ABORT, 'read-only'); END`},
			want:    []string{"trigger no_updates on users", "--drop-unknown-objects"},
			consent: true,
		},
		{
			name:    "a trigger that fires on every insert",
			stmts:   []string{`CREATE TABLE fired (what TEXT)`, `CREATE TRIGGER log_users AFTER INSERT ON users BEGIN INSERT INTO fired VALUES ('log_users'); END`},
			want:    []string{"trigger log_users on users"},
			consent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			writeSQLite(t, path, append([]string{legacyMinimal,
				`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00'), ('u2', 'ben@example.org', 'h', '2024-10-02 12:00:00')`,
			}, tt.stmts...)...)
			before := fileSHA256(t, path)

			_, err := sqlite.Open(context.Background(), path, db.Options{Now: func() time.Time { return adoptNow }})
			if err == nil {
				t.Fatalf("Open = nil error; want a refusal")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open error %q does not contain %q", err, w)
				}
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("file sha256 changed by a refused adoption")
			}
			if got := bkFiles(t, dir); !slices.Equal(got, []string{"cti.db"}) && !slices.Equal(got, []string{"cti.db", "cti.db.lock"}) {
				t.Errorf("files after refusal = %q; want only cti.db (and its migration lock)", got)
			}
			if !tt.consent {
				return
			}
			s := openStore(t, path, db.Options{DropUnknownObjects: true, Actor: "tester", Now: func() time.Time { return adoptNow }})
			if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
				t.Errorf("SchemaVersion() = %d; want %d", got, want)
			}
			if got := readRows(t, path, `SELECT count(*) FROM fired`); !slices.Equal(got, []string{"0"}) {
				t.Errorf("the legacy trigger fired %q times during adoption; want never", got)
			}
			if got := len(allUsers(t, s)); got != 2 {
				t.Errorf("adopted users = %d; want 2", got)
			}
			bak := backupsOf(t, path)
			if len(bak) != 1 {
				t.Fatalf("pre-adopt backups = %q; want 1", bak)
			}
			if got := readRows(t, bak[0], `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`); !slices.Equal(got, []string{"1"}) {
				t.Errorf("backup keeps %q triggers; want the original's 1", got)
			}
			entries := auditEntries(t, s)
			if len(entries) != 1 || entries[0].Action != user.ActionAdopt || !strings.Contains(entries[0].Details, "dropped") {
				t.Errorf("audit = %+v; want one adopt-database entry naming what was dropped", entries)
			}
		})
	}
}

func TestDoctorReportsEveryForeignObject(t *testing.T) {
	for _, h := range hostileObjects {
		t.Run(h.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			plantHostile(t, path, h.stmts)
			before := fileSHA256(t, path)

			s, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
			if err != nil {
				t.Fatalf("OpenReadOnly = %v", err)
			}
			rep, err := s.Doctor(ctx, docOptions(false))
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			found, all := docFindings(rep, "schema")
			if rep.Healthy() || !slices.ContainsFunc(found, func(f user.Finding) bool {
				return f.Severity == user.SeverityProblem && strings.Contains(f.Message, "did not create")
			}) {
				t.Errorf("doctor findings: %s\nwant a schema problem naming code ctitui did not create", all)
			}
			if !slices.ContainsFunc(found, func(f user.Finding) bool {
				return strings.Contains(f.Message, "fired") && f.Severity == user.SeverityInfo
			}) {
				t.Errorf("doctor findings: %s\nwant the extra table fired reported", all)
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("doctor without --fix changed the file")
			}
		})
	}
}

func TestDoctorFindsDroppedSearchTrigger(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	writeSQLite(t, path, `DROP TRIGGER users_email_search_insert`)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "schema")
	if !slices.ContainsFunc(found, func(f user.Finding) bool {
		return f.Severity == user.SeverityProblem && strings.Contains(f.Message, "users_email_search_insert") && f.Repair != ""
	}) {
		t.Fatalf("doctor findings: %s\nwant the missing search trigger, repairable", all)
	}
	if rep, err = s.Doctor(ctx, docOptions(true)); err != nil || !rep.Healthy() {
		_, all := docFindings(rep, "")
		t.Fatalf("Doctor(fix) = %v; findings after: %s", err, all)
	}
	if got := readRows(t, path, `SELECT count(*) FROM sqlite_schema WHERE name = 'users_email_search_insert'`); !slices.Equal(got, []string{"1"}) {
		t.Errorf("search trigger after --fix: %q; want recreated", got)
	}
}

// usersColumns is ctitui's definition of the users table's columns, for
// tests that define the table anew around them.
const usersColumns = `id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, email_normalized TEXT NOT NULL, hashed_password TEXT NOT NULL,
	created_at TEXT NOT NULL, updated_at TEXT NOT NULL, disabled_at TEXT, last_login_at TEXT,
	failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT, email_skeleton TEXT, role_names TEXT NOT NULL DEFAULT ''`

// auditColumns is ctitui's definition of the audit log's columns.
const auditColumns = `id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
	user_id TEXT, user_email TEXT NOT NULL DEFAULT '', details TEXT NOT NULL DEFAULT '', prev_hash TEXT, hash TEXT`

// failsForAna is an expression that raises an error when ana's failed
// logins are counted: in a rule of the users table, it refuses that write.
const failsForAna = `CASE WHEN email = 'ana@example.org' AND failed_logins > 0 THEN abs(-9223372036854775807 - 1) END`

// hostileRules are rules planted in ctitui's own tables: each would refuse
// a write of ctitui's (most of them the count of ana's failed logins, so
// that lockout is off for her), change what a write does, or what a search
// reads. Each is planted by stmts on the file, then by plant when set.
var hostileRules = []struct {
	name  string
	stmts []string
	plant func(t *testing.T, path string)
}{
	{name: "a CHECK added to the users table", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'role_names TEXT NOT NULL DEFAULT '''')', 'role_names TEXT NOT NULL DEFAULT '''', CHECK (failed_logins = 0 OR email <> ''ana@example.org''))') WHERE name = 'users'`}},
	{name: "ctitui's column given a CHECK", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'failed_logins INTEGER NOT NULL DEFAULT 0', 'failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins < 1)') WHERE name = 'users'`}},
	{name: "a generated column that fails for one account", stmts: []string{
		`ALTER TABLE users ADD COLUMN g INTEGER AS (` + failsForAna + `)`}},
	{name: "a unique index over failed logins", stmts: []string{
		`UPDATE users SET failed_logins = rowid % 1000`, `CREATE UNIQUE INDEX evil ON users (failed_logins)`}},
	// SQLite lets table constraints follow one another without a comma:
	// the CHECK is a constraint of its own, not part of the UNIQUE.
	{name: "a CHECK after a harmless key, without a comma", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "users", usersColumns+", tag TEXT, UNIQUE (tag) CHECK (failed_logins = 0 OR email <> 'ana@example.org')", nil)
	}},
	// SQLite folds only ASCII letters in names: "failed_loginſ" (long s)
	// is a column of its own, which must not pass for ctitui's.
	{name: "ctitui's column behind a look-alike name", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "users", strings.Replace(usersColumns, "failed_logins INTEGER NOT NULL DEFAULT 0",
			"failed_loginſ INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins = 0 OR email <> 'ana@example.org')", 1), nil)
	}},
	// REPLACE makes a new user's insert delete the user it collides with.
	{name: "a unique column whose conflicts replace rows", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "users", usersColumns+", tag INTEGER DEFAULT 1 UNIQUE ON CONFLICT REPLACE", map[string]string{"tag": "rowid + 100"})
	}},
	{name: "a stored column that fails when ana's row is written", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "users", usersColumns+", tag INTEGER, g INTEGER AS (tag) STORED", nil)
		writeSQLite(t, path, `UPDATE users SET tag = 1 WHERE email = 'ana@example.org'`, `PRAGMA writable_schema = ON`,
			`UPDATE sqlite_schema SET sql = replace(sql, 'AS (tag) STORED', 'AS (CASE WHEN tag = 1 THEN abs(-9223372036854775807 - 1) END) STORED') WHERE name = 'users'`)
	}},
	{name: "a default that fails for every new user", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "users", usersColumns+", x INTEGER DEFAULT (0)", nil)
		writeSQLite(t, path, `PRAGMA writable_schema = ON`,
			`UPDATE sqlite_schema SET sql = replace(sql, 'DEFAULT (0)', 'DEFAULT (abs(-9223372036854775807 - 1))') WHERE name = 'users'`)
	}},
	{name: "an index on an expression that fails for one account", stmts: []string{
		`CREATE INDEX evil ON users ((` + failsForAna + `))`}},
	{name: "a partial index whose condition fails for one account", stmts: []string{
		`CREATE INDEX evil ON users (id) WHERE ` + failsForAna + ` IS NULL`}},
	{name: "ctitui's unique email index made plain", stmts: []string{
		`DROP INDEX users_email_normalized_key`, `CREATE INDEX users_email_normalized_key ON users (email_normalized)`}},
	// Audit entries that break the rule are dropped without an error.
	{name: "an audit column that makes entries vanish", plant: func(t *testing.T, path string) {
		replaceTable(t, path, "audit_log", auditColumns+", x TEXT DEFAULT NULL NOT NULL ON CONFLICT IGNORE", map[string]string{"x": "''"})
	}},
	// action is also a keyword of SQL (NO ACTION): still a column here.
	{name: "a CHECK on the audit log's action", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'hash TEXT)', 'hash TEXT, CHECK (action NOT IN (''lock'', ''login_failed'')))') WHERE name = 'audit_log'`}},
	// A shadow table of the search index refuses the index entry of every
	// user added after the plant.
	{name: "a rule in a table of the search index", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'sz BLOB)', 'sz BLOB CHECK (id <= ' || (SELECT max(id) FROM users_email_search_docsize) || '))') WHERE name = 'users_email_search_docsize'`}},
	// SQLite looks up the parent table of a foreign key on every write to
	// the table, and fails them all when it is missing, NULL or not.
	{name: "a column of users pointing at a table that does not exist", stmts: []string{
		`ALTER TABLE users ADD COLUMN boss TEXT REFERENCES nosuch (k)`}},
	{name: "a column of user_roles pointing at a table that does not exist", stmts: []string{
		`ALTER TABLE user_roles ADD COLUMN x TEXT REFERENCES nosuch (k)`}},
	{name: "a column pointing at a table that exists", stmts: []string{
		`CREATE TABLE teams (id INTEGER PRIMARY KEY)`, `ALTER TABLE users ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL`}},
	// A column named rowid hides the row id ctitui's searches read.
	{name: "a column named like the row id", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'role_names TEXT NOT NULL DEFAULT '''')', 'role_names TEXT NOT NULL DEFAULT '''', rowid INTEGER)') WHERE name = 'users'`},
		plant: func(t *testing.T, path string) { writeSQLite(t, path, `UPDATE users SET rowid = _rowid_`) }},
	{name: "a search index reading another table", stmts: []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'content = ''users''', 'content = ''users_order''') WHERE name = 'users_email_search'`}},
}

// replaceTable gives table, in the file at path, the column list body,
// keeping its rows with their rowids and values in the columns both
// definitions have (fill gives others a value: column to expression of the
// old row), its indexes and its triggers: a table defined otherwise by
// another tool or by hand.
func replaceTable(t *testing.T, path, table, body string, fill map[string]string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(0)&_pragma=legacy_alter_table(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	objects := queryStrings(t, raw, `SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`, table)
	old := queryStrings(t, raw, `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`, table)
	for _, stmt := range []string{`BEGIN`, `CREATE TABLE zz_new (` + body + `)`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	into, from := []string{"rowid"}, []string{"rowid"}
	for _, c := range queryStrings(t, raw, `SELECT name FROM pragma_table_xinfo('zz_new') WHERE hidden = 0`) {
		switch expr, ok := fill[c]; {
		case ok:
			into, from = append(into, c), append(from, expr)
		case slices.Contains(old, c):
			into, from = append(into, c), append(from, c)
		}
	}
	for _, stmt := range []string{
		`INSERT INTO zz_new (` + strings.Join(into, ", ") + `) SELECT ` + strings.Join(from, ", ") + ` FROM ` + table,
		`DROP TABLE ` + table,
		`ALTER TABLE zz_new RENAME TO ` + table,
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = 'CREATE TABLE ` + table + ` (' || ? || ')' WHERE type = 'table' AND name = '` + table + `'`,
		`COMMIT`,
	} {
		var args []any
		if strings.Contains(stmt, "?") {
			args = []any{body}
		}
		if _, err := raw.Exec(stmt, args...); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()
	writeSQLite(t, path, objects...)
}

func TestTableRulesThatCouldRefuseWritesAreForeign(t *testing.T) {
	for _, h := range hostileRules {
		t.Run(h.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			writeSQLite(t, path, h.stmts...)
			if h.plant != nil {
				h.plant(t, path)
			}
			before := fileSHA256(t, path)
			if _, err := sqlite.Open(ctx, path, db.Options{}); !errors.Is(err, db.ErrUnknownSchema) {
				t.Fatalf("Open = %v; want %v", err, db.ErrUnknownSchema)
			}
			if fileSHA256(t, path) != before {
				t.Fatalf("a refused open changed the file")
			}
			// doctor sees it in a read-only look.
			ro, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ro.Doctor(ctx, docOptions(false))
			ro.Close()
			if err != nil {
				t.Fatal(err)
			}
			if found, all := docFindings(rep, "schema"); rep.Healthy() || !slices.ContainsFunc(found, func(f user.Finding) bool { return strings.Contains(f.Message, "did not create") }) {
				t.Errorf("doctor: %s\nwant the planted rule reported", all)
			}
			usersBefore := readRows(t, path, `SELECT rowid || ' ' || id || ' ' || email FROM users ORDER BY rowid`)
			rolesBefore := readRows(t, path, `SELECT user_id || ' ' || role_id FROM user_roles ORDER BY 1`)

			// With consent, the table is rebuilt to ctitui's definition:
			// every row, rowid and role kept, the rule gone.
			s := openStore(t, path, db.Options{DropUnknownObjects: true, Actor: "tester", Now: func() time.Time { return docNow }})
			if got := readRows(t, path, `SELECT rowid || ' ' || id || ' ' || email FROM users ORDER BY rowid`); !slices.Equal(got, usersBefore) {
				t.Errorf("users after the rebuild: %q; want %q", got, usersBefore)
			}
			if got := readRows(t, path, `SELECT user_id || ' ' || role_id FROM user_roles ORDER BY 1`); !slices.Equal(got, rolesBefore) {
				t.Errorf("user_roles after the rebuild: %q; want %q", got, rolesBefore)
			}
			if got := readRows(t, path, `PRAGMA integrity_check`); !slices.Equal(got, []string{"ok"}) {
				t.Errorf("integrity after the rebuild: %q", got)
			}
			rep, err = s.Doctor(ctx, docOptions(false))
			if err != nil {
				t.Fatal(err)
			}
			if _, all := docFindings(rep, ""); !rep.Healthy() {
				t.Errorf("doctor after the rebuild:%s", all)
			}
			// Lockout counts ana's failures again.
			svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()), user.WithFailureFloor(0))
			for range 5 {
				if _, err := svc.Verify(ctx, "ana@example.org", "not her password at all"); !errors.Is(err, user.ErrInvalidCredentials) {
					t.Fatalf("Verify = %v; want %v", err, user.ErrInvalidCredentials)
				}
			}
			if u, err := svc.Get(ctx, "ana@example.org"); err != nil || !u.Locked(time.Now()) {
				t.Errorf("ana after 5 failures: %+v, %v; want locked", u, err)
			}
			// A new user joins the others, and the search index finds
			// everyone by their rowid.
			if _, err := svc.Register(ctx, "dee@example.org", bkPassword, nil); err != nil {
				t.Errorf("Register after the rebuild: %v", err)
			}
			if n, err := svc.Count(ctx, user.Filter{Search: "example.org"}); err != nil || n != 4 {
				t.Errorf("search after the rebuild: %d, %v; want 4", n, err)
			}
			// Every entry was written and the chain still holds.
			if chain, err := s.VerifyAuditChain(ctx); err != nil || !chain.OK() {
				t.Errorf("audit chain after the rebuild: %v, %v", chain, err)
			}
			entries := auditEntries(t, s)
			if last := entries[0]; last.Action != user.ActionRegister || last.UserEmail != "dee@example.org" {
				t.Errorf("newest audit entry = %+v; want dee's registration", last)
			}
		})
	}
}

func TestRestoreRefusesTableRules(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	bkDB(t, live, "live", 2)
	src := docDB(t)
	writeSQLite(t, src, hostileRules[0].stmts...)
	if _, _, err := sqlite.Restore(ctx, live, src, db.Options{}); !errors.Is(err, db.ErrUnknownSchema) {
		t.Fatalf("Restore = %v; want %v", err, db.ErrUnknownSchema)
	}
	s, _, err := sqlite.Restore(ctx, live, src, db.Options{DropUnknownObjects: true})
	if err != nil {
		t.Fatalf("Restore with consent = %v", err)
	}
	defer s.Close()
	if got := readRows(t, live, `SELECT count(*) FROM sqlite_schema WHERE name = 'users' AND sql LIKE '%failed_logins = 0 OR%'`); !slices.Equal(got, []string{"0"}) {
		t.Errorf("the restored users table keeps the planted CHECK")
	}
}

// TestHarmlessTableRulesAreNotForeign: what a legacy file keeps, or a
// person adds, that cannot run code or refuse ctitui's writes stays: a
// unique index on email (ctitui keeps emails unique already), ordinary
// indexes, columns with a constant default, a built-in collation, NOT NULL
// with a default, and keys over columns that the users ctitui adds leave
// NULL.
func TestHarmlessTableRulesAreNotForeign(t *testing.T) {
	path := docDB(t)
	writeSQLite(t, path,
		`CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT)`,
		`CREATE UNIQUE INDEX ix_users_email ON users (email)`,
		`CREATE INDEX ix_users_created ON users (created_at DESC, id)`,
		`ALTER TABLE users ADD COLUMN nickname TEXT COLLATE NOCASE NOT NULL DEFAULT 'none'`,
		`ALTER TABLE users ADD COLUMN score INTEGER DEFAULT -1`,
		`ALTER TABLE users ADD COLUMN badge TEXT`,
		`CREATE UNIQUE INDEX ix_users_badge ON users (badge)`,
	)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, all := docFindings(rep, ""); !rep.Healthy() {
		t.Errorf("doctor:%s\nwant healthy: nothing here can refuse ctitui's writes", all)
	}
}

// TestOtherTablesPointingAtUsers: a table of the platform's own may point
// at ctitui's users with a foreign key; it changes none of ctitui's writes
// but can refuse a delete. The file opens, doctor names the table, and a
// refused delete says why in one line and changes nothing.
func TestOtherTablesPointingAtUsers(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	writeSQLite(t, path,
		`CREATE TABLE pins (uid TEXT REFERENCES users (id) ON DELETE RESTRICT)`,
		`INSERT INTO pins SELECT id FROM users WHERE email = 'ana@example.org'`,
		`CREATE TABLE notes (uid TEXT REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED)`,
		`INSERT INTO notes SELECT id FROM users WHERE email = 'cy@example.org'`)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "schema")
	if !rep.Healthy() || !slices.ContainsFunc(found, func(f user.Finding) bool {
		return f.Severity == user.SeverityInfo && strings.Contains(f.Message, "pins") && strings.Contains(f.Message, "point")
	}) {
		t.Errorf("doctor:%s\nwant healthy, with a note that table pins points at users", all)
	}
	svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()))
	// Another admin, so that ana is not the last enabled one.
	if _, err := svc.Register(ctx, "dee@example.org", bkPassword, []user.Role{user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	// pins refuses at once, notes when the transaction commits.
	for _, email := range []string{"ana@example.org", "cy@example.org"} {
		_, err = svc.Delete(ctx, email)
		if !errors.Is(err, user.ErrReferenced) || strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Delete(%s) = %v; want %v in one line of ctitui's words", email, err, user.ErrReferenced)
		}
		if _, err := svc.Get(ctx, email); err != nil {
			t.Errorf("%s after the refused delete: %v", email, err)
		}
	}
	if _, err := svc.Delete(ctx, "bo@example.org"); err != nil {
		t.Errorf("Delete of a user nothing points at = %v", err)
	}
}

// TestUnreadableSearchIndexIsRefusedAndLeftAlone: a search index defined so
// that SQLite cannot even load it (two sources) fails every statement that
// touches it, DROP TABLE included. ctitui refuses the file, doctor reports
// it without stopping, and a repair fails in one line, changing nothing.
func TestUnreadableSearchIndexIsRefusedAndLeftAlone(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	writeSQLite(t, path, `PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'tokenize = ''trigram''', 'tokenize = ''trigram'', content = ''settings''') WHERE name = 'users_email_search'`)
	before := fileSHA256(t, path)
	if _, err := sqlite.Open(ctx, path, db.Options{}); !errors.Is(err, db.ErrUnknownSchema) {
		t.Fatalf("Open = %v; want %v", err, db.ErrUnknownSchema)
	}
	ro, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ro.Doctor(ctx, docOptions(false))
	ro.Close()
	if err != nil {
		t.Fatalf("Doctor = %v; want the broken index among its findings", err)
	}
	if found, all := docFindings(rep, "schema"); !slices.ContainsFunc(found, func(f user.Finding) bool { return strings.Contains(f.Message, "users_email_search") }) {
		t.Errorf("doctor:%s\nwant the search index reported", all)
	}
	_, err = sqlite.Open(ctx, path, db.Options{DropUnknownObjects: true})
	if err == nil || !strings.Contains(err.Error(), "users_email_search") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open(DropUnknownObjects) = %v; want one line naming the search index", err)
	}
	if fileSHA256(t, path) != before {
		t.Errorf("the failed repair changed the file")
	}
}

// TestOtherTablesThatBreakCtituisWrites: a table of the file's own whose
// foreign key names a column of ctitui's that is not a key makes SQLite
// refuse every write to the table it points at ("foreign key mismatch"),
// the count of failed logins among them. ctitui does not change a table it
// did not create: the file is refused, doctor names the table, a repair
// fails in one line, and none of it changes the file.
func TestOtherTablesThatBreakCtituisWrites(t *testing.T) {
	tests := []struct{ name, stmt string }{
		{"a key that is not unique", `CREATE TABLE notes (x INTEGER REFERENCES users (failed_logins))`},
		{"the audit head's hash", `CREATE TABLE notes (x TEXT REFERENCES audit_head (last_hash))`},
		{"the audit log's hash, checked at commit", `CREATE TABLE notes (x TEXT REFERENCES audit_log (hash) DEFERRABLE INITIALLY DEFERRED)`},
		// Actions make ctitui's deletes and updates change the table's rows.
		{"a delete that cascades", `CREATE TABLE notes (x TEXT REFERENCES users (id) ON DELETE CASCADE)`},
		{"a delete that sets NULL", `CREATE TABLE notes (x TEXT, FOREIGN KEY (x) REFERENCES "Users" (id) ON UPDATE NO ACTION ON DELETE SET NULL)`},
		{"an update that cascades", `CREATE TABLE notes (x TEXT REFERENCES users (email_normalized) ON UPDATE CASCADE)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			writeSQLite(t, path, tt.stmt)
			before := fileSHA256(t, path)
			// No repair of ctitui's can help: the message says what can.
			if _, err := sqlite.Open(ctx, path, db.Options{}); !errors.Is(err, db.ErrUnknownSchema) || !strings.Contains(err.Error(), `"notes"`) ||
				strings.Contains(err.Error(), "--fix") || !strings.Contains(err.Error(), "sqlite3 shell") {
				t.Fatalf("Open = %v; want %v naming notes and the sqlite3 shell, not a repair", err, db.ErrUnknownSchema)
			}
			ro, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ro.Doctor(ctx, docOptions(false))
			ro.Close()
			if err != nil {
				t.Fatalf("Doctor = %v", err)
			}
			if found, all := docFindings(rep, "schema"); rep.Healthy() || !slices.ContainsFunc(found, func(f user.Finding) bool {
				return f.Severity == user.SeverityProblem && strings.Contains(f.Message, `"notes"`) &&
					(strings.Contains(f.Message, "would fail") || strings.Contains(f.Message, "would change its rows"))
			}) {
				t.Errorf("doctor:%s\nwant a problem naming notes", all)
			}
			_, err = sqlite.Open(ctx, path, db.Options{DropUnknownObjects: true})
			if !errors.Is(err, db.ErrUnknownSchema) || !strings.Contains(err.Error(), `"notes"`) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(DropUnknownObjects) = %v; want one line naming notes", err)
			}
			live := filepath.Join(t.TempDir(), "live.db")
			bkDB(t, live, "live", 1)
			liveBefore := fileSHA256(t, live)
			if _, _, err := sqlite.Restore(ctx, live, path, db.Options{DropUnknownObjects: true}); !errors.Is(err, db.ErrUnknownSchema) {
				t.Errorf("Restore(DropUnknownObjects) = %v; want %v", err, db.ErrUnknownSchema)
			}
			if fileSHA256(t, path) != before || fileSHA256(t, live) != liveBefore {
				t.Errorf("a refusal changed a file")
			}
		})
	}
}

// TestRepairOfRulesBesideABrokenKeyChangesNothing: a rule of ctitui's
// own table is repaired by a rebuild that runs with foreign keys off, so
// the writes a table of the file's own breaks cannot be seen by preparing
// them; the foreign key check before the commit sees it, and the repair is
// rolled back whole, in one line naming the table.
func TestRepairOfRulesBesideABrokenKeyChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	writeSQLite(t, path, append(hostileRules[0].stmts, `CREATE TABLE notes (x INTEGER REFERENCES users (failed_logins))`)...)
	before := fileSHA256(t, path)
	_, err := sqlite.Open(ctx, path, db.Options{DropUnknownObjects: true})
	if err == nil || !strings.Contains(err.Error(), `"notes"`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open(DropUnknownObjects) = %v; want one line naming notes", err)
	}
	if fileSHA256(t, path) != before {
		t.Errorf("the refused repair changed the file")
	}
}
