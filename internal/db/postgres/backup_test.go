package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// workstationFile makes a SQLite ctitui database with users of every kind
// (roles, a disabled one, a failed login, a deleted one) and returns its path.
func workstationFile(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "team.db")
	s, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)}
	svc := user.NewService(s, serviceOptions(c)...)
	mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
	c.Advance(time.Second)
	mustRegister(t, svc, "bo@example.org", user.RoleAnalyst, user.RoleViewer)
	c.Advance(time.Second)
	mustRegister(t, svc, "Çelik@Example.org", user.RoleViewer)
	c.Advance(time.Second)
	mustRegister(t, svc, "gone@example.org")
	if _, _, err := svc.SetDisabled(ctx, "bo@example.org", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, "ana@example.org", "wrong password entirely"); err == nil {
		t.Fatal("a wrong password verified")
	}
	if _, err := svc.Delete(ctx, "gone@example.org"); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileRows reads every table a backup and a restore carry from the SQLite
// file at path, as text, in a stable order.
func fileRows(t *testing.T, path string) map[string][]string {
	t.Helper()
	sqldb, err := sql.Open("sqlite", sqlite.ReadOnlyDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	queries := map[string]string{
		"users": `SELECT id, email, email_normalized, hashed_password, created_at, updated_at, disabled_at, last_login_at,
			failed_logins, locked_until, email_skeleton, role_names FROM users ORDER BY id`,
		"roles":      `SELECT id, name, description FROM roles ORDER BY id`,
		"user_roles": `SELECT user_id, role_id FROM user_roles ORDER BY 1, 2`,
		"settings":   `SELECT key, value, updated_at FROM settings ORDER BY key`,
		"audit_log":  `SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`,
		"audit_head": `SELECT id, last_id, last_hash FROM audit_head`,
	}
	got := map[string][]string{}
	for table, q := range queries {
		got[table] = queryRows(t, sqldb, q)
	}
	return got
}

// queryRows reads the rows of q as text, their values joined by |.
func queryRows(t *testing.T, sqldb *sql.DB, q string) []string {
	t.Helper()
	rows, err := sqldb.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var got []string
	{
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			got = append(got, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// checkFile checks that the file at path verifies its audit chain with
// wantEntries entries and that doctor calls it healthy.
func checkFile(t *testing.T, path string, wantEntries int) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer s.Close()
	rep, err := s.VerifyAuditChain(ctx)
	if err != nil || !rep.OK() || rep.Rows != wantEntries {
		t.Errorf("audit verify of %s = %+v, %v; want whole with %d entries", path, rep, err, wantEntries)
	}
	doc, err := s.Doctor(ctx, db.DoctorOptions{})
	if err != nil || !doc.Healthy() {
		t.Errorf("doctor of %s = %+v, %v; want healthy", path, doc.Findings, err)
	}
}

func TestRestoreThenBackupRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := workstationFile(t)
	want := fileRows(t, src)
	dbURL := newDatabase(t)
	at := time.Date(2026, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	s, rep, err := postgres.Restore(ctx, dbURL, src, db.Options{Actor: "ops", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	defer s.Close()
	if rep.Users != int64(len(want["users"])) || rep.Entries != int64(len(want["audit_log"])) {
		t.Errorf("report = %+v; want %d users, %d entries", rep, len(want["users"]), len(want["audit_log"]))
	}
	// The server's users read as the file's.
	svc := user.NewService(s, serviceOptions(&clock{now: at})...)
	bo, err := svc.Get(ctx, "bo@example.org")
	if err != nil || bo.DisabledAt.IsZero() || !reflect.DeepEqual(bo.Roles, []user.Role{user.RoleAnalyst, user.RoleViewer}) {
		t.Errorf("bo on the server = %+v, %v; want disabled, analyst and viewer", bo, err)
	}
	if _, err := svc.Verify(ctx, "ana@example.org", goodPassword); err != nil {
		t.Errorf("ana's password on the server: %v", err)
	}

	out := filepath.Join(t.TempDir(), "back.db")
	name, err := s.Backup(ctx, out, at)
	if err != nil || name != out {
		t.Fatalf("Backup = %q, %v; want %q", name, err, out)
	}
	got := fileRows(t, out)
	// The restore added one entry (and the verify one more, with a login):
	// the file's entries come first, verbatim.
	gotLog, wantLog := got["audit_log"], want["audit_log"]
	if len(gotLog) < len(wantLog)+1 || !reflect.DeepEqual(gotLog[:len(wantLog)], wantLog) {
		t.Errorf("audit log after the round trip:\n got %q\nwant %q and the restore's entry", gotLog, wantLog)
	}
	if !strings.Contains(gotLog[len(wantLog)], string(user.ActionRestore)) {
		t.Errorf("entry after the file's = %q; want the restore", gotLog[len(wantLog)])
	}
	for _, table := range []string{"roles", "user_roles", "settings"} {
		if !reflect.DeepEqual(got[table], want[table]) {
			t.Errorf("%s after the round trip:\n got %q\nwant %q", table, got[table], want[table])
		}
	}
	// Users are equal but for ana's login, which the verify above made.
	if len(got["users"]) != len(want["users"]) {
		t.Fatalf("users after the round trip: %d; want %d", len(got["users"]), len(want["users"]))
	}
	for i := range want["users"] {
		if !strings.HasPrefix(want["users"][i], bo.ID) && !strings.Contains(want["users"][i], "Çelik") {
			continue
		}
		if got["users"][i] != want["users"][i] {
			t.Errorf("user after the round trip:\n got %q\nwant %q", got["users"][i], want["users"][i])
		}
	}
	checkFile(t, src, len(wantLog))
	checkFile(t, out, len(gotLog))
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup's mode = %v, %v; want 0600", info.Mode(), err)
	}
}

func TestBackupRefusesAnExistingFileAndLeavesNothingOnFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, s, _, _ := newService(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "there.db")
	if err := os.WriteFile(existing, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(ctx, existing, time.Now()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Backup over an existing file: %v; want already exists", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("the existing file now holds %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after a refused backup; want 1", len(entries))
	}
}

// TestBackupIsOneSnapshot takes backups while writers register users: each
// copy's users match its audit log (one registration entry per user, as
// nobody deletes), and its chain is whole, which it would not be if the
// log and its head were read at different moments.
func TestBackupIsOneSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, s, _, _ := newService(t)
	mustRegister(t, svc, "first@example.org", user.RoleAdmin)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := svc.Register(ctx, fmt.Sprintf("w%d-%d@example.org", w, i), goodPassword, nil); err != nil {
					t.Errorf("Register: %v", err)
					return
				}
			}
		}()
	}
	dir := t.TempDir()
	for i := range 5 {
		out := filepath.Join(dir, fmt.Sprintf("b%d.db", i))
		if _, err := s.Backup(ctx, out, time.Now()); err != nil {
			t.Errorf("Backup: %v", err)
			continue
		}
		rows := fileRows(t, out)
		var registered int
		for _, e := range rows["audit_log"] {
			if strings.Contains(e, "|"+string(user.ActionRegister)+"|") {
				registered++
			}
		}
		if registered != len(rows["users"]) {
			t.Errorf("backup %d: %d users, %d registrations in its log; want equal", i, len(rows["users"]), registered)
		}
		checkFile(t, out, len(rows["audit_log"]))
	}
	close(stop)
	wg.Wait()
}

// TestBackupReadsOneSnapshotWhileOthersCommit commits a registration
// after the backup has copied the users and before it copies the audit
// log: the copy holds neither the user nor its entry.
func TestBackupReadsOneSnapshotWhileOthersCommit(t *testing.T) {
	// Not parallel: it sets the package's hook.
	ctx := context.Background()
	svc, s, _, _ := newService(t)
	mustRegister(t, svc, "first@example.org", user.RoleAdmin)
	restore := postgres.SetBackupCopied(func(table string) {
		if table == "users" {
			mustRegister(t, svc, "meanwhile@example.org", user.RoleViewer)
		}
	})
	out := filepath.Join(t.TempDir(), "b.db")
	_, err := s.Backup(ctx, out, time.Now())
	restore()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	rows := fileRows(t, out)
	if len(rows["users"]) != 1 || len(rows["audit_log"]) != 1 {
		t.Errorf("backup holds %d users and %d entries; want 1 and 1, as before the registration", len(rows["users"]), len(rows["audit_log"]))
	}
	checkFile(t, out, 1)
}

// TestRestoreRefusesAndChangesNothing hands restore files it must refuse,
// and a restore that fails at its last step: the database is as it was.
func TestRestoreRefusesAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	brokenChain := workstationFile(t)
	editFile(t, brokenChain, `UPDATE audit_log SET details = 'nothing happened' WHERE id = 2`)
	trigger := workstationFile(t)
	editFile(t, trigger, `CREATE TRIGGER steal AFTER INSERT ON users BEGIN DELETE FROM audit_log; END`)
	truncated := workstationFile(t)
	b, err := os.ReadFile(truncated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"not a database", notDB, "not"},
		{"missing", filepath.Join(dir, "missing.db"), "no such file"},
		{"broken chain", brokenChain, "does not verify"},
		{"foreign trigger", trigger, "steal"},
		{"truncated", truncated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, s, dbURL, _ := newService(t)
			mustRegister(t, svc, "keep@example.org", user.RoleAdmin)
			before := dumpServer(t, dbURL)
			_, _, err := postgres.Restore(ctx, dbURL, tc.src, db.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore: %v; want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if after := dumpServer(t, dbURL); !reflect.DeepEqual(after, before) {
				t.Errorf("the database changed:\n got %q\nwant %q", after, before)
			}
			_ = s
		})
	}
}

func TestRestoreFailingAtTheLastStepChangesNothing(t *testing.T) {
	// Not parallel: it sets the package's hook.
	ctx := context.Background()
	src := workstationFile(t)
	svc, _, dbURL, _ := newService(t)
	mustRegister(t, svc, "keep@example.org", user.RoleAdmin)
	before := dumpServer(t, dbURL)
	restore := postgres.SetBeforeRestoreCommit(func() error { return errors.New("the disk is on fire") })
	_, _, err := postgres.Restore(ctx, dbURL, src, db.Options{})
	restore()
	if err == nil || !strings.Contains(err.Error(), "the disk is on fire") {
		t.Fatalf("Restore: %v; want the last step's failure", err)
	}
	if after := dumpServer(t, dbURL); !reflect.DeepEqual(after, before) {
		t.Errorf("the database changed:\n got %q\nwant %q", after, before)
	}
}

// TestRestoreKeepsRowsOtherTablesPointAt restores over users that another
// program's table points at: kept users stay the same rows (their
// dependants stay), and a restore that would remove one is refused.
func TestRestoreKeepsRowsOtherTablesPointAt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := workstationFile(t)
	dbURL := newDatabase(t)
	s, _, err := postgres.Restore(ctx, dbURL, src, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw := rawConn(t, dbURL)
	if _, err := raw.Exec(ctx, `CREATE TABLE public.reports (id serial PRIMARY KEY, author text REFERENCES ctitui.users (id) ON DELETE CASCADE);
		INSERT INTO public.reports (author) SELECT id FROM ctitui.users WHERE email = 'ana@example.org'`); err != nil {
		t.Fatal(err)
	}
	// The same file again: ana stays, and so does her report.
	s, _, err = postgres.Restore(ctx, dbURL, src, db.Options{})
	if err != nil {
		t.Fatalf("Restore over referenced users: %v", err)
	}
	s.Close()
	var n int
	if err := raw.QueryRow(ctx, `SELECT count(*) FROM public.reports`).Scan(&n); err != nil || n != 1 {
		t.Errorf("reports after the restore = %d, %v; want 1", n, err)
	}
	// A file without ana would delete her report: refused.
	other := filepath.Join(t.TempDir(), "other.db")
	o, err := sqlite.Open(ctx, other, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, user.NewService(o, serviceOptions(&clock{now: time.Now()})...), "zed@example.org", user.RoleAdmin)
	o.Close()
	before := dumpServer(t, dbURL)
	_, _, err = postgres.Restore(ctx, dbURL, other, db.Options{})
	if err == nil || !strings.Contains(err.Error(), "reports") {
		t.Fatalf("Restore dropping a referenced user: %v; want a refusal naming reports", err)
	}
	if after := dumpServer(t, dbURL); !reflect.DeepEqual(after, before) {
		t.Errorf("the database changed:\n got %q\nwant %q", after, before)
	}
}

// editFile changes the SQLite file at path as another program would.
func editFile(t *testing.T, path, stmt string) {
	t.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	if _, err := sqldb.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// dumpServer reads ctitui's tables and the backup schema's table names.
func dumpServer(t *testing.T, dbURL string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	raw := rawConn(t, dbURL)
	got := map[string][]string{}
	for _, q := range []string{
		`SELECT u::text FROM users u ORDER BY id`, `SELECT r::text FROM roles r ORDER BY id`,
		`SELECT l::text FROM user_roles l ORDER BY 1`, `SELECT s::text FROM settings s ORDER BY key`,
		`SELECT a::text FROM audit_log a ORDER BY id`, `SELECT h::text FROM audit_head h`,
		`SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema = 'ctitui_backup' ORDER BY 1`,
	} {
		rows, err := raw.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got[q] = append(got[q], s)
		}
		rows.Close()
	}
	return got
}

// TestBackupAndRestoreAnAdoptedDashboard backs up a dashboard's database
// that ctitui adopted (text ids: Open cannot adopt uuid ids yet, see
// TestOpenAdoptsTheDashboard; the dashboard's own tables pointing at
// users, one with a cascade) and restores the copy into it: every
// dashboard row stays, and the chain verifies in the copy.
func TestBackupAndRestoreAnAdoptedDashboard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDashboardWith(t, textIDs)
	s := openStore(t, dbURL, postgres.Options{})
	out := filepath.Join(t.TempDir(), "dashboard.db")
	if _, err := s.Backup(ctx, out, time.Now()); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	rows := fileRows(t, out)
	if len(rows["users"]) != 4 {
		t.Errorf("backup holds %d users; want the dashboard's 4", len(rows["users"]))
	}
	checkFile(t, out, len(rows["audit_log"]))
	before := dumpServer(t, dbURL)
	r, rep, err := postgres.Restore(ctx, dbURL, out, db.Options{})
	if err != nil {
		t.Fatalf("Restore into the dashboard's database: %v", err)
	}
	r.Close()
	if rep.Users != 4 {
		t.Errorf("restored %d users; want 4", rep.Users)
	}
	after := dumpServer(t, dbURL)
	for _, q := range []string{`SELECT u::text FROM users u ORDER BY id`, `SELECT l::text FROM user_roles l ORDER BY 1`} {
		if !reflect.DeepEqual(after[q], before[q]) {
			t.Errorf("%s after restoring the backup:\n got %q\nwant %q", q, after[q], before[q])
		}
	}
	raw := rawConn(t, dbURL)
	var indicators, tokens int
	if err := raw.QueryRow(ctx, `SELECT (SELECT count(*) FROM public.indicators), (SELECT count(*) FROM public.api_tokens)`).Scan(&indicators, &tokens); err != nil || indicators != 1 || tokens != 1 {
		t.Errorf("dashboard rows after the restore: %d indicators, %d tokens, %v; want 1 and 1", indicators, tokens, err)
	}
}
