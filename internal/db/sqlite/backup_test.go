package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// bkNow is the clock of the backup tests: backup names carry it.
var bkNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const bkPassword = "correct horse battery staple"

// bkRegister adds users prefix0@example.org ... prefix(n-1)@example.org.
func bkRegister(t *testing.T, s *sqlite.Store, prefix string, n int) {
	t.Helper()
	svc := newService(s)
	for i := range n {
		if _, err := svc.Register(context.Background(), fmt.Sprintf("%s%d@example.org", prefix, i), bkPassword, nil); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
}

// bkDB makes a ctitui database at path with users prefix0..prefix(n-1),
// each registered through the service (with its audit entry), and closes it.
func bkDB(t *testing.T, path, prefix string, n int) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open(%q) = %v", path, err)
	}
	bkRegister(t, s, prefix, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// bkEmails lists the emails of the database at path, read through a plain
// read-only connection, sorted.
func bkEmails(t *testing.T, path string) []string {
	t.Helper()
	sqldb := openRawSQLite(t, path, true)
	defer sqldb.Close()
	return queryStrings(t, sqldb, `SELECT email FROM users ORDER BY email`)
}

// bkIntegrity runs SQLite's integrity check on the file at path, read-only.
func bkIntegrity(t *testing.T, path string) string {
	t.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var res string
	if err := sqldb.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		return err.Error()
	}
	return res
}

// bkFiles lists the names of the files in dir, sorted.
func bkFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestBackupWhileAnotherConnectionWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	s := openStore(t, path, db.Options{})
	bkRegister(t, s, "first", 200)

	// Another Store on the same file, as another ctitui process would be,
	// registers users for as long as the backup runs.
	writer := openStore(t, path, db.Options{})
	svc := newService(writer)
	stop := make(chan struct{})
	var written atomic.Int64
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := svc.Register(ctx, fmt.Sprintf("during%d@example.org", i), bkPassword, nil); err != nil {
				writeErr = err
				return
			}
			written.Add(1)
		}
	})
	for written.Load() < 20 { // the writer is in full swing
		time.Sleep(time.Millisecond)
	}
	before, err := s.CountUsers(ctx, user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := s.Backup(ctx, filepath.Join(dir, "while-writing.bak"), bkNow)
	if err != nil {
		t.Fatalf("Backup while another connection writes = %v", err)
	}
	after, err := s.CountUsers(ctx, user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("the writer failed while the backup ran: %v", writeErr)
	}
	t.Logf("users: %d before the backup, %d after, %d written meanwhile in all", before, after, written.Load())

	if got := bkIntegrity(t, dst); got != "ok" {
		t.Fatalf("integrity_check of the backup = %q", got)
	}
	assertMode(t, dst, 0o600)
	if _, err := os.Stat(dst + "-wal"); err == nil {
		t.Errorf("the backup has a -wal beside it; want one self-contained file")
	}
	// A consistent snapshot: as many users as at some moment between the
	// two counts, and each with its register entry, the chain whole.
	copyPath := filepath.Join(dir, "opened-copy.db")
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, copyPath, b, 0o600)
	cp := openStore(t, copyPath, db.Options{})
	n, err := cp.CountUsers(ctx, user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n < before || n > after {
		t.Errorf("the backup holds %d users; want between %d (before) and %d (after)", n, before, after)
	}
	registers := 0
	for _, e := range auditEntries(t, cp) {
		if e.Action == user.ActionRegister {
			registers++
		}
	}
	if registers != n {
		t.Errorf("the backup holds %d users but %d register entries: not one snapshot", n, registers)
	}
	rep, err := cp.VerifyAuditChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Rows != n {
		t.Errorf("audit chain of the backup: %v; want ok with %d entries", rep, n)
	}
}

func TestBackupDefaultNameAndMode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	s := openStore(t, path, db.Options{})
	bkRegister(t, s, "u", 3)

	got, err := s.Backup(ctx, "", bkNow)
	if err != nil {
		t.Fatalf("Backup(\"\") = %v", err)
	}
	want := path + ".20250102T030405.000Z.bak"
	if got != want || sqlite.DefaultBackupPath(path, bkNow) != want {
		t.Errorf("Backup(\"\") wrote %q (DefaultBackupPath %q); want %q", got, sqlite.DefaultBackupPath(path, bkNow), want)
	}
	// The stamp is UTC whatever the zone of the clock.
	if p := sqlite.DefaultBackupPath(path, bkNow.In(time.FixedZone("X", 5*3600))); p != want {
		t.Errorf("DefaultBackupPath in another zone = %q; want %q", p, want)
	}
	assertMode(t, got, 0o600)
	if e := bkEmails(t, got); len(e) != 3 {
		t.Errorf("the backup holds %v; want 3 users", e)
	}
}

func TestBackupRefusesExistingFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "ctitui.db"), db.Options{})
	bkRegister(t, s, "u", 1)
	for _, content := range []string{"precious\n", ""} {
		dst := filepath.Join(dir, "exists.bak")
		writeFile(t, dst, []byte(content), 0o640)
		_, err := s.Backup(ctx, dst, bkNow)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("Backup over an existing file (%d bytes) = %v; want an error saying it already exists", len(content), err)
		}
		if b, _ := os.ReadFile(dst); string(b) != content {
			t.Errorf("Backup changed the existing file to %q", b)
		}
		assertMode(t, dst, 0o640)
		os.Remove(dst)
	}
}

// breakNotNull leaves a row that breaks its table's NOT NULL constraint in
// the database at path, as a tool that edits sqlite_schema can: SQLite
// copies such a row into a backup as it is, and the backup's integrity
// check then fails.
func breakNotNull(t *testing.T, path string) {
	t.Helper()
	raw := openRawSQLite(t, path, false)
	exec(`CREATE TABLE notes (body TEXT)`,
		`INSERT INTO notes VALUES (NULL)`,
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = 'CREATE TABLE notes (body TEXT NOT NULL)' WHERE name = 'notes'`,
		`PRAGMA writable_schema = OFF`)(t, raw)
	raw.Close()
}

// TestBackupRefusesACopyThatFailsItsIntegrityCheck: a backup is checked
// before anyone relies on it; a copy that fails SQLite's integrity check is
// not given the backup's name, and nothing of it is left.
func TestBackupRefusesACopyThatFailsItsIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	s := openStore(t, path, db.Options{})
	s.Close()
	breakNotNull(t, path)
	s = openStore(t, path, db.Options{})

	dst := filepath.Join(dir, "copy.bak")
	name, err := s.Backup(ctx, dst, time.Now())
	if !errors.Is(err, db.ErrCorrupt) {
		t.Errorf("Backup of a database with a NULL in a NOT NULL column = %q, %v; want %v", name, err, db.ErrCorrupt)
	}
	for _, left := range []string{dst, dst + ".partial"} {
		if _, err := os.Lstat(left); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a refused backup (%v); want nothing left", filepath.Base(left), err)
		}
	}
}

// bkCorrupt overwrites the root page of the index users_created_at_idx
// with garbage: the file still opens and lists its tables, but SQLite's
// integrity check fails.
func bkCorrupt(t *testing.T, path string) {
	t.Helper()
	sqldb := openRawSQLite(t, path, true)
	page := queryInt(t, sqldb, `SELECT rootpage FROM sqlite_schema WHERE name = 'users_created_at_idx'`)
	size := queryInt(t, sqldb, `PRAGMA page_size`)
	sqldb.Close()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", int(size)/4)), (page-1)*size); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefusesBadSourcesUntouched(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, src string)
		want  error // nil: any error
		msg   string
	}{
		{
			name:  "text file",
			setup: func(t *testing.T, src string) { writeFile(t, src, []byte("not a database at all\n"), 0o600) },
			want:  sqlite.ErrNotDatabase,
		},
		{
			name:  "empty SQLite file",
			setup: func(t *testing.T, src string) { writeFile(t, src, nil, 0o600) },
			want:  db.ErrNotCtitui,
		},
		{
			name:  "another program's database",
			setup: func(t *testing.T, src string) { writeSQLite(t, src, `CREATE TABLE inventory (sku TEXT, qty INTEGER)`) },
			want:  db.ErrNotCtitui,
		},
		{
			name: "newer schema",
			setup: func(t *testing.T, src string) {
				bkDB(t, src, "future", 2)
				writeSQLite(t, src, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`)
			},
			want: db.ErrSchemaTooNew,
		},
		{
			name: "schema of the next release",
			setup: func(t *testing.T, src string) {
				bkDB(t, src, "future", 2)
				writeSQLite(t, src, fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, 1)`, sqlite.LatestVersion()+1))
			},
			want: db.ErrSchemaTooNew,
		},
		{
			name: "corrupt database",
			setup: func(t *testing.T, src string) {
				bkDB(t, src, "broken", 50)
				bkCorrupt(t, src)
			},
			want: db.ErrCorrupt,
		},
		{
			name:  "directory",
			setup: func(t *testing.T, src string) { os.Mkdir(src, 0o700) },
			msg:   "not a regular file",
		},
		{
			name:  "missing file",
			setup: func(t *testing.T, src string) {},
			msg:   "no such file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "ctitui.db")
			bkDB(t, path, "current", 3)
			sum := fileSHA256(t, path)
			src := filepath.Join(t.TempDir(), "source.bak")
			tc.setup(t, src)
			var srcSum string
			if info, err := os.Stat(src); err == nil && info.Mode().IsRegular() {
				srcSum = fileSHA256(t, src)
			}
			files := bkFiles(t, dir)

			s, _, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }, Actor: "tester"})
			if err == nil {
				s.Close()
				t.Fatalf("Restore(%s) = nil; want an error", tc.name)
			}
			t.Logf("Restore(%s) = %v", tc.name, err)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Restore(%s) = %v; want %v", tc.name, err, tc.want)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Restore(%s) = %v; want it to say %q", tc.name, err, tc.msg)
			}
			if got := fileSHA256(t, path); got != sum {
				t.Errorf("Restore(%s) changed the current database", tc.name)
			}
			if got := bkFiles(t, dir); !slices.Equal(got, files) {
				t.Errorf("Restore(%s) left files %v; want %v (no backup, nothing else)", tc.name, got, files)
			}
			if srcSum != "" && fileSHA256(t, src) != srcSum {
				t.Errorf("Restore(%s) changed the source file", tc.name)
			}
		})
	}
}

func TestRestoreReplacesGoodDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkDB(t, path, "current", 3)
	src := filepath.Join(t.TempDir(), "good.bak")
	bkDB(t, src, "restored", 5)
	srcSum := fileSHA256(t, src)

	s, rep, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }, Actor: "tester"})
	if err != nil {
		t.Fatalf("Restore = %v", err)
	}
	defer s.Close()
	if rep.From != src {
		t.Errorf("RestoreReport.From = %q; want %q", rep.From, src)
	}
	if want := path + ".pre-restore-20250102T030405.000Z.bak"; rep.Backup != want {
		t.Errorf("RestoreReport.Backup = %q; want %q", rep.Backup, want)
	}
	if got := bkEmails(t, rep.Backup); len(got) != 3 || !strings.HasPrefix(got[0], "current") {
		t.Errorf("the pre-restore backup holds %v; want the 3 current users", got)
	}
	assertMode(t, rep.Backup, 0o600)
	if len(rep.Migrated) != 0 {
		t.Errorf("RestoreReport.Migrated = %v; want none for a current backup", rep.Migrated)
	}
	users := allUsers(t, s)
	if len(users) != 5 {
		t.Errorf("after Restore: %v; want the 5 restored users", emailsOf(users))
	}
	for email := range users {
		if !strings.HasPrefix(email, "restored") {
			t.Errorf("after Restore: user %s; want only restored ones", email)
		}
	}
	entries := auditEntries(t, s)
	if len(entries) == 0 || entries[0].Action != user.ActionRestore || entries[0].Actor != "tester" ||
		!strings.Contains(entries[0].Details, src) || !strings.Contains(entries[0].Details, rep.Backup) {
		t.Errorf("newest audit entry = %+v; want restore-database by tester naming %s and %s", entries[0], src, rep.Backup)
	}
	if chain, err := s.VerifyAuditChain(ctx); err != nil || !chain.OK() {
		t.Errorf("audit chain after Restore: %v, %v", chain, err)
	}
	assertMode(t, path, 0o600)
	if fileSHA256(t, src) != srcSum {
		t.Errorf("Restore changed the backup it restored from")
	}
	for _, leftover := range []string{path + ".restoring", path + "-journal"} {
		if _, err := os.Stat(leftover); err == nil {
			t.Errorf("Restore left %s", leftover)
		}
	}
	// The restored database is the database: reopening shows the same.
	s.Close()
	s2 := openStore(t, path, db.Options{})
	if got := allUsers(t, s2); len(got) != 5 {
		t.Errorf("reopened after Restore: %d users; want 5", len(got))
	}
}

func TestRestoreOverDamagedDatabase(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, path string)
		wantBackup bool
	}{
		{"garbage bytes", func(t *testing.T, path string) { writeFile(t, path, []byte(strings.Repeat("garbage ", 1000)), 0o600) }, true},
		{"zero-length file", func(t *testing.T, path string) { writeFile(t, path, nil, 0o600) }, false},
		{"missing file", func(t *testing.T, path string) {}, false},
		{"corrupt ctitui database", func(t *testing.T, path string) {
			bkDB(t, path, "current", 50)
			bkCorrupt(t, path)
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "ctitui.db")
			tc.setup(t, path)
			var damaged []byte
			if b, err := os.ReadFile(path); err == nil {
				damaged = b
			}
			src := filepath.Join(t.TempDir(), "good.bak")
			bkDB(t, src, "restored", 2)

			s, rep, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }})
			if err != nil {
				t.Fatalf("Restore over a %s = %v; want it to work: restoring a damaged database is what restore is for", tc.name, err)
			}
			defer s.Close()
			if got := allUsers(t, s); len(got) != 2 {
				t.Errorf("after Restore: %v; want the 2 restored users", emailsOf(got))
			}
			switch {
			case tc.wantBackup && rep.Backup == "":
				t.Errorf("Restore over a %s kept no copy of it", tc.name)
			case tc.wantBackup:
				// A byte copy or, where SQLite could still read it, a
				// copy of what it held; either way the damaged file's
				// evidence is kept.
				b, err := os.ReadFile(rep.Backup)
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "garbage bytes" && string(b) != string(damaged) {
					t.Errorf("the pre-restore copy of the garbage file differs from it")
				}
				assertMode(t, rep.Backup, 0o600)
			case rep.Backup != "":
				t.Errorf("Restore over a %s wrote a backup %s of nothing", tc.name, rep.Backup)
			}
		})
	}
}

// TestRestoreOverADamagedFileInUse: SQLite cannot lock a damaged file, so
// a -wal or -shm beside it is the sign that a program may still have it
// open: Restore refuses, and the file and its companion stay. (A -journal
// that no process holds a lock for is a crash's leftover, which SQLite
// itself rolls back or drops at the first look, before Restore decides.)
func TestRestoreOverADamagedFileInUse(t *testing.T) {
	for _, companion := range []string{"-wal", "-shm"} {
		t.Run(companion, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ctitui.db")
			writeFile(t, path, []byte(strings.Repeat("garbage ", 1000)), 0o600)
			writeFile(t, path+companion, []byte("in use"), 0o600)
			src := filepath.Join(t.TempDir(), "good.bak")
			bkDB(t, src, "restored", 2)
			s, _, err := sqlite.Restore(context.Background(), path, src, db.Options{Now: func() time.Time { return bkNow }})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, db.ErrLocked) || !strings.Contains(err.Error(), "-wal, -shm or -journal") {
				t.Errorf("Restore over a damaged file with %s beside it = %v; want %v naming the companions", companion, err, db.ErrLocked)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != strings.Repeat("garbage ", 1000) {
				t.Errorf("the damaged file changed (%v)", err)
			}
			if b, err := os.ReadFile(path + companion); err != nil || string(b) != "in use" {
				t.Errorf("%s beside it changed or went (%v)", companion, err)
			}
		})
	}
}

func TestRestoreMigratesOlderBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkDB(t, path, "current", 1)
	src := filepath.Join(t.TempDir(), "v5.bak")
	bkVersion5(t, src, 4)
	srcSum := fileSHA256(t, src)

	s, rep, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }})
	if err != nil {
		t.Fatalf("Restore of a version-5 backup = %v", err)
	}
	defer s.Close()
	if want := versionsBetween(6, sqlite.LatestVersion()); !slices.Equal(rep.Migrated, want) {
		t.Errorf("RestoreReport.Migrated = %v; want %v", rep.Migrated, want)
	}
	if s.SchemaVersion() != sqlite.LatestVersion() {
		t.Errorf("SchemaVersion = %d; want %d", s.SchemaVersion(), sqlite.LatestVersion())
	}
	if got := allUsers(t, s); len(got) != 4 {
		t.Errorf("after Restore: %v; want the 4 users of the backup", emailsOf(got))
	}
	if chain, err := s.VerifyAuditChain(ctx); err != nil || !chain.OK() {
		t.Errorf("audit chain after restoring and migrating: %v, %v", chain, err)
	}
	if fileSHA256(t, src) != srcSum {
		t.Errorf("Restore changed the backup it restored from (it must migrate the copy)")
	}
}

// bkVersion5 makes a database at schema version 5 holding n users with
// roles and an audit entry each, as ctitui wrote them before migration 6.
func bkVersion5(t *testing.T, path string, n int) {
	t.Helper()
	p, sqldb := newGooseProvider(t, path)
	if _, err := p.UpTo(context.Background(), 5); err != nil {
		t.Fatalf("UpTo(5) = %v", err)
	}
	tx, err := sqldb.Begin() // user_roles before users: the foreign key is deferred
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		email := fmt.Sprintf("old%d@example.org", i)
		for _, stmt := range []string{
			fmt.Sprintf(`INSERT INTO user_roles (user_id, role_id) SELECT '%s', id FROM roles WHERE name = 'analyst'`, id),
			fmt.Sprintf(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
				VALUES ('%s', '%s', '%s', 'h', '2024-10-01T12:00:00.000Z', '2024-10-01T12:00:00.000Z')`, id, email, email),
			fmt.Sprintf(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details)
				VALUES ('2024-10-01T12:00:00.000Z', 'tester', 'register', '%s', '%s', 'roles=analyst')`, id, email),
		} {
			if _, err := tx.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefusesWhileDatabaseIsOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkDB(t, path, "current", 3)
	src := filepath.Join(t.TempDir(), "good.bak")
	bkDB(t, src, "restored", 2)

	// Another user of the file: a Store, as another ctitui would hold it.
	other, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := allUsers(t, other); len(got) != 3 {
		t.Fatalf("other sees %d users", len(got))
	}
	_, _, err = sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }})
	if err == nil {
		other.Close()
		t.Fatal("Restore while another connection has the database open = nil; want a refusal")
	}
	t.Logf("Restore while open = %v", err)
	if !errors.Is(err, db.ErrLocked) || !strings.Contains(err.Error(), "another process") {
		t.Errorf("Restore while open = %v; want ErrLocked saying another process has it open", err)
	}
	// Nothing changed under the other user, who goes on working.
	if got := allUsers(t, other); len(got) != 3 {
		t.Errorf("after the refused Restore, other sees %v; want the 3 current users", emailsOf(got))
	}
	bkRegister(t, other, "later", 1)
	if n := len(bkFiles(t, dir)); n > 0 {
		t.Logf("files after the refused Restore: %v", bkFiles(t, dir))
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}

	s, _, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow.Add(time.Second) }})
	if err != nil {
		t.Fatalf("Restore after the other user closed = %v", err)
	}
	defer s.Close()
	if got := allUsers(t, s); len(got) != 2 {
		t.Errorf("after Restore: %v; want the 2 restored users", emailsOf(got))
	}
}

// TestRestoreRefusesItsOwnDatabaseAsSource: the database, by its name or
// by a hard link to it, is no backup of itself: Restore says so and leaves
// it as it was, with no backup beside it.
func TestRestoreRefusesItsOwnDatabaseAsSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkDB(t, path, "current", 2)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Link(path, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	before := fileSHA256(t, path)
	for _, src := range []string{path, link} {
		s, _, err := sqlite.Restore(context.Background(), path, src, db.Options{Now: func() time.Time { return bkNow }})
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "is the database itself") {
			t.Errorf("Restore(%s from %s) = %v; want a refusal saying it is the database itself", filepath.Base(path), filepath.Base(src), err)
		}
	}
	if after := fileSHA256(t, path); after != before {
		t.Errorf("the database changed")
	}
	if got := bakFilesIn(t, dir); len(got) != 0 {
		t.Errorf("backups written: %v; want none", got)
	}
}

func TestOpenBacksUpBeforeMigrating(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkVersion5(t, path, 3)
	sum := fileSHA256(t, path)
	var notes []string
	s := openStore(t, path, db.Options{Now: func() time.Time { return bkNow }, Notify: func(m string) { notes = append(notes, m) }})
	if s.SchemaVersion() != sqlite.LatestVersion() {
		t.Fatalf("SchemaVersion = %d", s.SchemaVersion())
	}
	want := path + ".pre-migrate-20250102T030405.000Z.bak"
	if got := bakFilesIn(t, dir); !slices.Equal(got, []string{want}) {
		t.Fatalf("backups = %v; want [%s]", got, want)
	}
	assertMode(t, want, 0o600)
	if got := fileSHA256(t, want); got == sum {
		t.Logf("the pre-migrate backup is byte-identical to the original")
	}
	if got := bkIntegrity(t, want); got != "ok" {
		t.Errorf("integrity of the pre-migrate backup = %q", got)
	}
	if got := gooseVersions(t, want); !slices.Equal(got, versionStrings(0, 5)) {
		t.Errorf("the pre-migrate backup is at versions %v; want 0..5, the file as it was", got)
	}
	if got := bkEmails(t, want); len(got) != 3 {
		t.Errorf("the pre-migrate backup holds %v; want the 3 users", got)
	}
	if !slices.ContainsFunc(notes, func(m string) bool { return strings.Contains(m, want) }) {
		t.Errorf("Notify got %q; want a message naming the backup %s", notes, want)
	}

	// Opening again migrates nothing and writes no other backup.
	s.Close()
	openStore(t, path, db.Options{Now: func() time.Time { return bkNow.Add(time.Hour) }})
	if got := bakFilesIn(t, dir); len(got) != 1 {
		t.Errorf("after a second open, backups = %v; want still one", got)
	}
}

func TestOpenWritesNoBackupOfEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkVersion5(t, path, 0)
	openStore(t, path, db.Options{Now: func() time.Time { return bkNow }})
	if got := bakFilesIn(t, dir); len(got) != 0 {
		t.Errorf("migrating a database without data wrote backups %v; want none", got)
	}
}

func TestOpenKeepsFiveNewestPreMigrateBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkVersion5(t, path, 2)
	var older []string
	for i := range 7 {
		name := fmt.Sprintf("%s.pre-migrate-2024010%dT000000.000Z.bak", path, i+1)
		writeSQLite(t, name, `CREATE TABLE older (x)`)
		older = append(older, name)
	}
	// Backups of other kinds and of other databases are not counted or touched.
	others := []string{
		path + ".pre-restore-20200101T000000.000Z.bak",
		path + ".pre-adopt-20200101T000000.000Z.bak",
		path + ".20200101T000000.000Z.bak",
		filepath.Join(dir, "other.db.pre-migrate-20200101T000000.000Z.bak"),
	}
	for _, name := range others {
		writeFile(t, name, []byte("keep me"), 0o600)
	}

	openStore(t, path, db.Options{Now: func() time.Time { return bkNow }})
	got, err := filepath.Glob(path + ".pre-migrate-*.bak")
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(older[3:]), path+".pre-migrate-20250102T030405.000Z.bak")
	if !slices.Equal(got, want) {
		t.Errorf("pre-migrate backups after the open:\n%s\nwant the 5 newest:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, name := range others {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s: %v; want it kept", filepath.Base(name), err)
		}
	}
}

// TestOpenNeverPrunesTheBackupItWrote: pruning goes by the time in the
// names, and only among names at or before now, so that backups named in
// the future (a clock set wrong, or planted) cannot push out the one just
// written and reported, nor the newest real ones; and it deletes only
// regular files.
func TestOpenNeverPrunesTheBackupItWrote(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkVersion5(t, path, 2)
	var future, real []string
	for i := range 6 {
		name := fmt.Sprintf("%s.pre-migrate-2999010%dT000000.000Z.bak", path, i+1)
		writeFile(t, name, []byte("a backup from the future"), 0o600)
		future = append(future, name)
	}
	for i := range 3 {
		name := fmt.Sprintf("%s.pre-migrate-2024010%dT000000.000Z.bak", path, i+1)
		writeFile(t, name, []byte("an older backup"), 0o600)
		real = append(real, name)
	}
	// Names that are not backups ctitui wrote: a directory, a link, a name
	// whose time does not parse.
	odd := []string{path + ".pre-migrate-20200101T000000.000Z.bak", path + ".pre-migrate-20200102T000000.000Z.bak", path + ".pre-migrate-yesterday.bak"}
	if err := os.Mkdir(odd[0], 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real[0], odd[1]); err != nil {
		t.Fatal(err)
	}
	writeFile(t, odd[2], []byte("not ours"), 0o600)

	var told notes
	openStore(t, path, db.Options{Now: func() time.Time { return bkNow }, Notify: told.notify})
	written := path + ".pre-migrate-20250102T030405.000Z.bak"
	if msgs := strings.Join(told.all(), "\n"); !strings.Contains(msgs, written) {
		t.Fatalf("Open reported %q; want the backup %s", msgs, written)
	}
	for _, name := range append(append(append([]string{written}, future...), real...), odd...) {
		if _, err := os.Lstat(name); err != nil {
			t.Errorf("%s: %v; want it kept (4 real backups, future and odd names not counted)", filepath.Base(name), err)
		}
	}
}

// TestRestoreOfAnOlderBackupWhoseMigrationFailsChangesNothing: the backup is
// migrated on the copy, so a migration that fails leaves the database as it
// was, with no backup of it and no file of the attempt left.
func TestRestoreOfAnOlderBackupWhoseMigrationFailsChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkDB(t, path, "current", 3)
	src := filepath.Join(t.TempDir(), "old.bak")
	bkVersion5(t, src, 2)
	// Migration 6 creates the settings table: one already there makes it fail.
	writeSQLite(t, src, `CREATE TABLE settings (k TEXT)`)
	before := docContent(t, path)

	_, _, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }})
	if err == nil || !strings.Contains(err.Error(), "not changed") {
		t.Fatalf("Restore = %v; want the failed migration reported, the database not changed", err)
	}
	if got := docContent(t, path); got != before {
		t.Errorf("the database changed:\n%s\nwant:\n%s", got, before)
	}
	for _, name := range bkFiles(t, dir) {
		if strings.Contains(name, ".bak") || strings.Contains(name, ".restoring") || strings.Contains(name, ".partial") {
			t.Errorf("the failed restore left %s", name)
		}
	}
	s := openStore(t, path, db.Options{})
	if got := len(allUsers(t, s)); got != 3 {
		t.Errorf("users after the failed restore: %d; want 3", got)
	}
}

// TestPruneCountsOnlyBackups: files named like backups, with a time in the
// past, that are not SQLite databases (planted junk) are not counted, so
// they cannot push the real backups out.
func TestPruneCountsOnlyBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	bkVersion5(t, path, 2)
	var real []string
	for i := range 3 {
		name := fmt.Sprintf("%s.pre-migrate-2024010%dT000000.000Z.bak", path, i+1)
		bkDB(t, name, "old", 1)
		real = append(real, name)
	}
	for i := range 5 {
		writeFile(t, fmt.Sprintf("%s.pre-migrate-2025010%dT000000.000Z.bak", path, i+1), []byte("junk, not a database"), 0o600)
	}
	openStore(t, path, db.Options{Now: func() time.Time { return bkNow.AddDate(0, 1, 0) }})
	for _, name := range real {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("real backup %s: %v; want it kept (the junk does not count)", filepath.Base(name), err)
		}
	}
}
