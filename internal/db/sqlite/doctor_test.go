package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

var docNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func docOptions(fix bool) db.DoctorOptions {
	return db.DoctorOptions{Fix: fix, Full: true, Now: docNow, Actor: "tester"}
}

// docDB makes a ctitui database in a private directory named ctitui (as
// ~/.local/share/ctitui is) holding three users registered through the
// service, one of them an admin, and closes it.
func docDB(t *testing.T) (path string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ctitui")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "ctitui.db")
	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(s)
	for _, u := range []struct {
		email string
		roles []user.Role
	}{{"ana@example.org", []user.Role{user.RoleAdmin}}, {"bo@example.org", nil}, {"cy@example.org", []user.Role{user.RoleViewer, user.RoleAnalyst}}} {
		if _, err := svc.Register(context.Background(), u.email, bkPassword, u.roles); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// docContent is the logical content of the database at path: every row of
// the users, roles, user_roles and audit tables.
func docContent(t *testing.T, path string) string {
	t.Helper()
	sqldb := openRawSQLite(t, path, true)
	defer sqldb.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || email || hashed_password || created_at || updated_at || COALESCE(disabled_at, '-') FROM users ORDER BY id`,
		`SELECT id || name FROM roles ORDER BY id`,
		`SELECT user_id || ':' || role_id FROM user_roles ORDER BY 1`,
		`SELECT id || action || details || COALESCE(hash, '-') FROM audit_log ORDER BY id`,
	} {
		b.WriteString(strings.Join(queryStrings(t, sqldb, q), "\n"))
		b.WriteString("\n--\n")
	}
	return b.String()
}

// docSchema lists the schema objects of the database at path with their SQL.
func docSchema(t *testing.T, path string) string {
	t.Helper()
	sqldb := openRawSQLite(t, path, true)
	defer sqldb.Close()
	return strings.Join(queryStrings(t, sqldb, `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name`), "\n")
}

// docFindings returns the findings of rep in check, and a readable dump of
// them all for failure messages.
func docFindings(rep db.DoctorReport, check string) ([]user.Finding, string) {
	var in []user.Finding
	var all strings.Builder
	for _, f := range rep.Findings {
		if f.Check == check {
			in = append(in, f)
		}
		all.WriteString("\n  " + f.Check + " " + f.Severity.String() + ": " + f.Message)
		if f.Repair != "" {
			all.WriteString(" [" + f.Repair + "]")
		}
		if f.Fixed {
			all.WriteString(" (fixed)")
		}
	}
	return in, all.String()
}

// findingOf returns the first finding of rep in check, or one that says
// there is none.
func findingOf(rep db.DoctorReport, check string) user.Finding {
	if found, _ := docFindings(rep, check); len(found) > 0 {
		return found[0]
	}
	return user.Finding{Check: check, Message: "no such finding"}
}

// hasFinding reports whether rep holds a finding of check with severity
// whose message contains every one of parts.
func hasFinding(rep db.DoctorReport, check string, severity user.Severity, parts ...string) bool {
	found, _ := docFindings(rep, check)
	return slices.ContainsFunc(found, func(f user.Finding) bool {
		if f.Severity != severity {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(f.Message, p) {
				return false
			}
		}
		return true
	})
}

func TestDoctorFreshDatabaseIsHealthy(t *testing.T) {
	s := openStore(t, docDB(t), db.Options{})
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	_, all := docFindings(rep, "")
	if !rep.Healthy() {
		t.Fatalf("a fresh database is not healthy:%s", all)
	}
	for _, check := range []string{"integrity", "foreign keys", "schema", "search index", "permissions", "roles", "audit chain"} {
		found, _ := docFindings(rep, check)
		if len(found) != 1 || found[0].Severity != user.SeverityOK {
			t.Errorf("check %q: %v; want one ok finding:%s", check, found, all)
		}
	}
	if rep.Backup != "" || len(rep.Repairs) > 0 {
		t.Errorf("Doctor without Fix: backup %q, repairs %v; want none", rep.Backup, rep.Repairs)
	}
	// With Fix and nothing to fix, nothing is written.
	rep, err = s.Doctor(context.Background(), docOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backup != "" || len(rep.Repairs) > 0 || !rep.Healthy() {
		t.Errorf("Doctor with Fix on a healthy database: backup %q, repairs %v, healthy %v; want nothing done", rep.Backup, rep.Repairs, rep.Healthy())
	}
	if got := bakFilesIn(t, filepath.Dir(s.Path())); len(got) != 0 {
		t.Errorf("backups %v; want none", got)
	}
}

func TestDoctorFixesSafeRepairs(t *testing.T) {
	tests := []struct {
		name   string
		breaks func(t *testing.T, path string)
		check  string
		msg    string // in the problem's message
		repair string // in the problem's repair
		fixed  func(t *testing.T, path string)
	}{
		{
			name:   "dropped index",
			breaks: func(t *testing.T, path string) { writeSQLite(t, path, `DROP INDEX users_created_at_idx`) },
			check:  "schema", msg: "index users_created_at_idx is missing", repair: "create index users_created_at_idx",
			fixed: docHasObject("users_created_at_idx"),
		},
		{
			name:   "dropped unique index",
			breaks: func(t *testing.T, path string) { writeSQLite(t, path, `DROP INDEX users_email_normalized_key`) },
			check:  "schema", msg: "index users_email_normalized_key is missing", repair: "create index users_email_normalized_key",
			fixed: docHasObject("users_email_normalized_key"),
		},
		{
			name:   "dropped trigger",
			breaks: func(t *testing.T, path string) { writeSQLite(t, path, `DROP TRIGGER users_touch_updated_at`) },
			check:  "schema", msg: "trigger users_touch_updated_at is missing", repair: "create trigger users_touch_updated_at",
			fixed: docHasObject("users_touch_updated_at"),
		},
		{
			name:   "dropped nullable column",
			breaks: func(t *testing.T, path string) { writeSQLite(t, path, `ALTER TABLE users DROP COLUMN last_login_at`) },
			check:  "schema", msg: "column users.last_login_at is missing", repair: "add column users.last_login_at",
			fixed: func(t *testing.T, path string) {
				sqldb := openRawSQLite(t, path, true)
				if n := queryInt(t, sqldb, `SELECT count(*) FROM pragma_table_info('users') WHERE name = 'last_login_at'`); n != 1 {
					t.Errorf("users.last_login_at not back")
				}
			},
		},
		{
			name: "deleted role",
			breaks: func(t *testing.T, path string) {
				writeSQLite(t, path, `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'viewer')`, `DELETE FROM roles WHERE name = 'viewer'`)
			},
			check: "roles", msg: "roles missing: viewer", repair: "re-seed the roles",
			fixed: func(t *testing.T, path string) {
				sqldb := openRawSQLite(t, path, true)
				if n := queryInt(t, sqldb, `SELECT count(*) FROM roles WHERE name = 'viewer'`); n != 1 {
					t.Errorf("role viewer not back")
				}
			},
		},
		{
			name:   "world-readable file",
			breaks: func(t *testing.T, path string) { chmod(t, path, 0o644) },
			check:  "permissions", msg: "readable or writable by others (mode 0644)", repair: "chmod 0600",
			fixed: func(t *testing.T, path string) { assertMode(t, path, 0o600) },
		},
		{
			name:   "world-readable backup",
			breaks: func(t *testing.T, path string) { writeFile(t, path+".20240101T000000.000Z.bak", []byte("x"), 0o644) },
			check:  "permissions", msg: ".20240101T000000.000Z.bak is readable or writable by others", repair: "chmod 0600",
			fixed: func(t *testing.T, path string) { assertMode(t, path+".20240101T000000.000Z.bak", 0o600) },
		},
		{
			name:   "listable own directory",
			breaks: func(t *testing.T, path string) { chmod(t, filepath.Dir(path), 0o755) },
			check:  "permissions", msg: "can be listed by others (mode 0755)", repair: "chmod 0700",
			fixed: func(t *testing.T, path string) { assertMode(t, filepath.Dir(path), 0o700) },
		},
		{
			name: "search index out of step",
			breaks: func(t *testing.T, path string) {
				writeSQLite(t, path, `INSERT INTO users_email_search (users_email_search, rowid, email_normalized)
					SELECT 'delete', rowid, email_normalized FROM users WHERE email_normalized = 'bo@example.org'`)
			},
			check: "search index", msg: "does not match", repair: "rebuild",
			fixed: func(t *testing.T, path string) {
				sqldb := openRawSQLite(t, path, true)
				if n := queryInt(t, sqldb, `SELECT count(*) FROM users_email_search WHERE users_email_search MATCH '"bo@example"'`); n != 1 {
					t.Errorf("the search index finds bo %d times after the rebuild; want 1", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			tc.breaks(t, path)
			before := docContent(t, path)
			brokenSchema := docSchema(t, path)
			s := openStore(t, path, db.Options{})

			rep, err := s.Doctor(ctx, docOptions(false))
			if err != nil {
				t.Fatal(err)
			}
			found, all := docFindings(rep, tc.check)
			i := slices.IndexFunc(found, func(f user.Finding) bool { return strings.Contains(f.Message, tc.msg) })
			if rep.Healthy() || i < 0 || found[i].Severity != user.SeverityProblem || !strings.Contains(found[i].Repair, tc.repair) {
				t.Fatalf("Doctor after %s: healthy %v; want a %q problem saying %q with repair %q:%s", tc.name, rep.Healthy(), tc.check, tc.msg, tc.repair, all)
			}
			// Other checks stay quiet: the finding is the right check's.
			for _, f := range rep.Findings {
				if f.Severity == user.SeverityProblem && f.Check != tc.check {
					t.Errorf("unexpected problem in check %q: %s", f.Check, f.Message)
				}
			}
			if docContent(t, path) != before {
				t.Errorf("Doctor without Fix changed the database")
			}

			rep, err = s.Doctor(ctx, docOptions(true))
			if err != nil {
				t.Fatalf("Doctor(Fix) = %v", err)
			}
			_, all = docFindings(rep, tc.check)
			if !rep.Healthy() {
				t.Errorf("after Fix, not healthy:%s", all)
			}
			want := path + ".pre-repair-20250304T050607.000Z.bak"
			if rep.Backup != want {
				t.Errorf("DoctorReport.Backup = %q; want %q", rep.Backup, want)
			}
			assertMode(t, want, 0o600)
			if got := bkIntegrity(t, want); got != "ok" {
				t.Errorf("integrity of the pre-repair backup = %q", got)
			}
			// The backup was taken first: it holds the database as it was
			// before the repairs, schema and rows.
			if got := docSchema(t, want); got != brokenSchema {
				t.Errorf("the pre-repair backup's schema:\n%s\nwant the broken one:\n%s", got, brokenSchema)
			}
			if got := docContent(t, want); got != before {
				t.Errorf("the pre-repair backup's rows differ from the database's before the repair")
			}
			if !slices.ContainsFunc(rep.Repairs, func(r string) bool { return strings.Contains(r, tc.repair) }) {
				t.Errorf("DoctorReport.Repairs = %q; want one with %q", rep.Repairs, tc.repair)
			}
			fixed, _ := docFindings(rep, tc.check)
			if !slices.ContainsFunc(fixed, func(f user.Finding) bool { return f.Fixed }) {
				t.Errorf("no %q finding is marked Fixed:%s", tc.check, all)
			}
			tc.fixed(t, path)
			entries := auditEntries(t, s)
			if len(entries) == 0 || entries[0].Action != user.ActionRepair || entries[0].Actor != "tester" ||
				!strings.Contains(entries[0].Details, tc.repair) || !strings.Contains(entries[0].Details, want) {
				t.Errorf("newest audit entry = %+v; want repair-database by tester naming %q and the backup", entries[0], tc.repair)
			}
			if chain, err := s.VerifyAuditChain(ctx); err != nil || !chain.OK() {
				t.Errorf("audit chain after the repair: %v %v", chain, err)
			}
			if got := allUsers(t, s); len(got) != 3 {
				t.Errorf("after the repair: %v; want the 3 users", emailsOf(got))
			}
			// A new look finds nothing more to do.
			rep, err = s.Doctor(ctx, docOptions(true))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Healthy() || rep.Backup != "" || len(rep.Repairs) > 0 {
				t.Errorf("second Doctor(Fix): healthy %v, backup %q, repairs %q; want healthy and nothing done", rep.Healthy(), rep.Backup, rep.Repairs)
			}
		})
	}
}

// docHasObject checks that the index or trigger name exists again, with the
// SQL the migrations give it.
func docHasObject(name string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		sqldb := openRawSQLite(t, path, true)
		if n := queryInt(t, sqldb, `SELECT count(*) FROM sqlite_schema WHERE name = ?`, name); n != 1 {
			t.Errorf("%s not back", name)
		}
	}
}

func TestDoctorReportsWhatItMustNotRepair(t *testing.T) {
	tests := []struct {
		name   string
		breaks []string
		check  string
		msg    string
	}{
		{
			name:   "audit entry changed",
			breaks: []string{`UPDATE audit_log SET details = 'roles=viewer' WHERE id = 1`},
			check:  "audit chain", msg: "broken at entry #1",
		},
		{
			name:   "audit entry deleted",
			breaks: []string{`DELETE FROM audit_log WHERE id = 2`},
			check:  "audit chain", msg: "#3",
		},
		{
			name:   "orphan role link",
			breaks: []string{`INSERT INTO user_roles (user_id, role_id) SELECT 'no-such-user', id FROM roles WHERE name = 'admin'`},
			check:  "foreign keys", msg: "1 rows refer to rows that do not exist",
		},
		{
			name:   "missing table",
			breaks: []string{`DROP TABLE users_email_search`},
			check:  "schema", msg: "table users_email_search is missing",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			writeSQLite(t, path, tc.breaks...)
			before := docContent(t, path)
			s, err := sqlite.Open(ctx, path, db.Options{})
			if err != nil {
				t.Fatalf("sqlite.Open after %s = %v", tc.name, err)
			}
			t.Cleanup(func() { s.Close() })

			rep, err := s.Doctor(ctx, docOptions(true))
			if err != nil {
				t.Fatalf("Doctor(Fix) = %v", err)
			}
			found, all := docFindings(rep, tc.check)
			i := slices.IndexFunc(found, func(f user.Finding) bool {
				return f.Severity == user.SeverityProblem && strings.Contains(f.Message, tc.msg)
			})
			if rep.Healthy() || i < 0 {
				t.Fatalf("Doctor(Fix) after %s: want a %q problem saying %q:%s", tc.name, tc.check, tc.msg, all)
			}
			if found[i].Repair != "" || found[i].Fixed {
				t.Errorf("the %q problem offers repair %q (fixed %v); want none: it is not safe to repair", tc.check, found[i].Repair, found[i].Fixed)
			}
			if rep.Backup != "" || len(rep.Repairs) > 0 {
				t.Errorf("Doctor(Fix) with nothing safe to repair: backup %q, repairs %q; want nothing done", rep.Backup, rep.Repairs)
			}
			if got := docContent(t, path); got != before {
				t.Errorf("Doctor(Fix) changed the database; want it reported and left as it is")
			}
			if got := bakFilesIn(t, filepath.Dir(path)); len(got) != 0 {
				t.Errorf("backups %v; want none", got)
			}
		})
	}
}

func TestDoctorInfoIsNotAProblem(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "legacy.db")
	// A database of the earlier service with columns of its own, adopted.
	writeSQLite(t, path,
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL,
			created_at TEXT NOT NULL, is_active BOOLEAN NOT NULL DEFAULT 1, department TEXT)`,
		`CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO users (id, email, hashed_password, created_at, department) VALUES
			('u1', 'old@example.org', '$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', '2024-10-01 12:00:00', 'intel')`,
	)
	chmod(t, path, 0o600) // SQLite made it with the umask's 0644
	s := openStore(t, path, db.Options{})
	svc := user.NewService(s, user.WithHasher(password.NewHasher(password.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})), user.WithActor("tester"))
	// Its hashes are all bcrypt: without the admin's opt-in ctitui would
	// keep writing bcrypt (issue 11).
	if err := svc.SetPasswordHashScheme(ctx, password.SchemeArgon2id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, "older@example.org", bkPassword, []user.Role{user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	// current is an admin too: the last enabled admin cannot be disabled.
	if _, err := newService(s).Register(ctx, "current@example.org", bkPassword, []user.Role{user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetDisabled(ctx, "older@example.org", true); err != nil {
		t.Fatal(err)
	}
	svc = newService(s)

	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	// The accounts' checkup, beside the storage's, as the doctor command
	// runs them.
	accounts, err := svc.Checkup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep.Findings = append(rep.Findings, accounts...)
	_, all := docFindings(rep, "")
	if !rep.Healthy() {
		t.Fatalf("an adopted database with extra columns, old hashes and a disabled admin is not healthy:%s", all)
	}
	for _, want := range []struct{ check, msg string }{
		{"schema", "department"},
		{"schema", "is_active"},
		{"schema", "table teams"},
		{"password hashes", "2 of 3 users have outdated hashes (1 bcrypt, 1 older argon2id)"},
		{"accounts", "disabled admins: older@example.org"},
	} {
		found, _ := docFindings(rep, want.check)
		if !slices.ContainsFunc(found, func(f user.Finding) bool {
			return f.Severity == user.SeverityInfo && strings.Contains(f.Message, want.msg)
		}) {
			t.Errorf("want a %q info finding saying %q:%s", want.check, want.msg, all)
		}
	}
	// Fix has nothing to do with information.
	rep, err = s.Doctor(ctx, docOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Backup != "" || len(rep.Repairs) > 0 {
		t.Errorf("Doctor(Fix) on info findings: backup %q, repairs %q; want nothing done", rep.Backup, rep.Repairs)
	}
}

// TestDoctorFindsEachDriftAtItsEdge: each of doctor's checks, given the
// smallest drift it must report (one row, one permission bit, one
// millisecond, one entry), reports it with the right severity and words,
// and says nothing of what is just inside its rule. The file is changed
// behind an open Store, as another process or the sqlite3 shell would.
func TestDoctorFindsEachDriftAtItsEdge(t *testing.T) {
	type want struct {
		check    string
		severity user.Severity
		parts    []string
	}
	tests := []struct {
		name   string
		breaks func(t *testing.T, s *sqlite.Store, path string)
		want   []want
		absent []want // findings that must not be there
	}{
		{
			name: "a newer schema version written meanwhile",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, 1)`, sqlite.LatestVersion()+1))
			},
			want: []want{{"schema", user.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", sqlite.LatestVersion()+1, sqlite.LatestVersion())}}},
		},
		{
			name: "the newest migration's row removed meanwhile",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
			},
			want: []want{{"schema", user.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", sqlite.LatestVersion()-1, sqlite.LatestVersion())}}},
		},
		{
			name: "a trigger whose name starts like goose's table",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, `CREATE TRIGGER goose_db_version_audit AFTER INSERT ON users BEGIN SELECT 1; END`)
			},
			want: []want{{"schema", user.SeverityProblem, []string{"trigger goose_db_version_audit on users: ctitui did not create it"}}},
		},
		{
			name: "one email_normalized edited",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, `UPDATE users SET email_normalized = 'someone@else.org' WHERE email = 'bo@example.org'`)
			},
			want: []want{{"emails", user.SeverityProblem, []string{"1 users have an email_normalized that does not match their email"}}},
		},
		{
			name: "an email edited into another user's",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, `UPDATE users SET email = 'ANA@example.org', email_normalized = 'x@example.org' WHERE email = 'bo@example.org'`)
			},
			want:   []want{{"emails", user.SeverityProblem, []string{`"ANA@example.org" is the same address as another user's once normalised`}}},
			absent: []want{{"emails", user.SeverityProblem, []string{"users have an email_normalized that does not match"}}},
		},
		{
			name: "the database readable by its group",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				if err := os.Chmod(path, 0o640); err != nil {
					t.Fatal(err)
				}
			},
			want: []want{{"permissions", user.SeverityProblem, []string{"is readable or writable by others (mode 0640)"}}},
		},

		{
			name: "the newest audit entry removed",
			breaks: func(t *testing.T, _ *sqlite.Store, path string) {
				writeSQLite(t, path, `DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`)
			},
			want: []want{{"audit chain", user.SeverityProblem, []string{"the newest entries were removed"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := docDB(t)
			s := openStore(t, path, db.Options{})
			if rep, err := s.Doctor(context.Background(), docOptions(false)); err != nil || !rep.Healthy() {
				_, all := docFindings(rep, "")
				t.Fatalf("doctor before the drift: %v%s; want healthy", err, all)
			}
			tt.breaks(t, s, path)
			rep, err := s.Doctor(context.Background(), docOptions(false))
			if err != nil {
				t.Fatalf("Doctor = %v", err)
			}
			_, all := docFindings(rep, "")
			for _, w := range tt.want {
				if !hasFinding(rep, w.check, w.severity, w.parts...) {
					t.Errorf("no %s finding of %s saying %q; findings:%s", w.severity, w.check, w.parts, all)
				}
			}
			for _, w := range tt.absent {
				if hasFinding(rep, w.check, w.severity, w.parts...) {
					t.Errorf("a %s finding of %s says %q; want none; findings:%s", w.severity, w.check, w.parts, all)
				}
			}
		})
	}
}
