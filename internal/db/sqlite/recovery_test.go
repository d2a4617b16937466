package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// Recovery must work on a damaged file that SQLite can still read: doctor
// reports on it rather than aborting, and both doctor --fix and restore
// keep a copy of it before they change it, even though SQLite cannot make a
// copy of it that passes its own integrity check.

// damagePage overwrites the second half of page number page of the file at
// path, where a b-tree page keeps its cells, with junk, as a failing disk
// would, leaving the file's header readable.
func damagePage(t *testing.T, path string, page int64) {
	t.Helper()
	raw := openRawSQLite(t, path, true)
	size := queryInt(t, raw, `PRAGMA page_size`)
	raw.Close()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", int(size)/8)), (page-1)*size+size/2); err != nil {
		t.Fatal(err)
	}
}

// leafPage returns a leaf page of the table or index name.
func leafPage(t *testing.T, path, name string) int64 {
	t.Helper()
	raw := openRawSQLite(t, path, true)
	defer raw.Close()
	return queryInt(t, raw, `SELECT max(pageno) FROM dbstat WHERE name = ? AND pagetype = 'leaf'`, name)
}

// damagedDB makes a ctitui database of 300 users in a directory of its own,
// closed cleanly, and damages one page: of the users table when table is
// set, else of an index.
func damagedDB(t *testing.T, table bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	bkDB(t, path, "user", 300)
	if table {
		damagePage(t, path, leafPage(t, path, "users"))
	} else {
		damagePage(t, path, leafPage(t, path, "users_updated_at_idx"))
	}
	if got := bkIntegrity(t, path); got == "ok" {
		t.Fatalf("the damage did not show: integrity_check = %s", got)
	}
	return path
}

func TestDoctorReportsOnADamagedFile(t *testing.T) {
	ctx := context.Background()
	path := damagedDB(t, true)
	before := fileSHA256(t, path)
	s, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly = %v; want the damaged file opened for a look", err)
	}
	rep, err := s.Doctor(ctx, docOptions(false))
	s.Close()
	if err != nil {
		t.Fatalf("Doctor = %v; want a report on the damaged file, not an abort", err)
	}
	found, all := docFindings(rep, "integrity")
	if rep.Healthy() || len(found) == 0 || found[0].Severity != user.SeverityProblem || !strings.Contains(found[0].Message, "restore") {
		t.Errorf("findings: %s\nwant an integrity problem that says how to recover", all)
	}
	if fileSHA256(t, path) != before {
		t.Errorf("doctor without --fix changed the damaged file")
	}
}

// samePages reports whether two database files hold the same pages, but
// for the 100-byte header, whose journal-mode bytes and change counter
// holding a file exclusively may rewrite.
func samePages(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 100 && slices.Equal(a[100:], b[100:])
}

// TestDoctorFixKeepsACopyOfADamagedFile: doctor cannot mend damaged pages
// (restore can), but its other repairs must not be refused because SQLite
// cannot make a clean copy of the file first.
func TestDoctorFixKeepsACopyOfADamagedFile(t *testing.T) {
	ctx := context.Background()
	path := damagedDB(t, true)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(true))
	if err != nil {
		t.Fatalf("Doctor(fix) = %v; want it to keep a copy and repair what it can", err)
	}
	if rep.Backup == "" {
		t.Fatalf("Doctor(fix) kept no copy of the damaged file (repairs %q)", rep.Repairs)
	}
	// The copy is the damaged database itself, page for page.
	kept, err := os.ReadFile(rep.Backup)
	if err != nil {
		t.Fatal(err)
	}
	if !samePages(kept, damaged) {
		t.Errorf("backup %s (%d bytes) does not hold the damaged file's pages (%d bytes)", rep.Backup, len(kept), len(damaged))
	}
	assertMode(t, rep.Backup, 0o600)
	assertMode(t, path, 0o600)
	if !slices.ContainsFunc(rep.Repairs, func(r string) bool { return strings.HasPrefix(r, "chmod 0600") }) {
		t.Errorf("repairs = %q; want the permissions tightened", rep.Repairs)
	}
}

func TestDoctorFixOnADamagedTableSaysRestore(t *testing.T) {
	ctx := context.Background()
	path := damagedDB(t, true)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(true))
	if err != nil {
		t.Fatalf("Doctor(fix) = %v; want a report, not an abort", err)
	}
	found, all := docFindings(rep, "integrity")
	if rep.Healthy() || len(found) == 0 || !strings.Contains(found[0].Message, "ctitui restore") {
		t.Errorf("findings: %s\nwant the damage reported with the way out: ctitui restore", all)
	}
}

func TestRestoreOverAReadableButDamagedFile(t *testing.T) {
	ctx := context.Background()
	path := damagedDB(t, true)
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "good.bak")
	bkDB(t, src, "restored", 2)
	s, rep, err := sqlite.Restore(ctx, path, src, db.Options{Now: func() time.Time { return bkNow }})
	if err != nil {
		t.Fatalf("Restore over a damaged file = %v; want it to work", err)
	}
	defer s.Close()
	if got := len(allUsers(t, s)); got != 2 {
		t.Errorf("after Restore: %d users; want the 2 restored ones", got)
	}
	kept, err := os.ReadFile(rep.Backup)
	if err != nil {
		t.Fatalf("read the pre-restore backup %q: %v", rep.Backup, err)
	}
	if !samePages(kept, damaged) {
		t.Errorf("backup %s does not hold the damaged file's pages", rep.Backup)
	}
}

// TestReadOnlyLookAtACopyWithItsWAL: evidence is often collected as the
// database and its -wal, without the -shm. SQLite needs a -shm to read the
// -wal and would make one beside the copy; a read-only look reads a private
// copy instead: every committed user is seen, and nothing beside the copy
// changes or appears.
func TestReadOnlyLookAtACopyWithItsWAL(t *testing.T) {
	ctx := context.Background()
	live := filepath.Join(t.TempDir(), "live.db")
	s := openStore(t, live, db.Options{})
	bkRegister(t, s, "in-wal", 3) // committed, still in the -wal while s is open
	evidence := filepath.Join(t.TempDir(), "case.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, evidence+suffix, b, 0o400)
	}
	if info, err := os.Stat(evidence + "-wal"); err != nil || info.Size() == 0 {
		t.Fatalf("the copied -wal is empty (%v): the test needs users in it", err)
	}
	before := map[string]string{"": fileSHA256(t, evidence), "-wal": fileSHA256(t, evidence+"-wal")}
	ro, err := sqlite.OpenReadOnly(ctx, evidence, db.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly of a copy with its -wal = %v", err)
	}
	if got := len(allUsers(t, ro)); got != 3 {
		t.Errorf("users seen = %d; want the 3 in the -wal", got)
	}
	ro.Close()
	for suffix, sum := range before {
		if fileSHA256(t, evidence+suffix) != sum {
			t.Errorf("the copy's %q changed", suffix)
		}
	}
	if got := bkFiles(t, filepath.Dir(evidence)); !slices.Equal(got, []string{"case.db", "case.db-wal"}) {
		t.Errorf("beside the copy: %q; want only what was there", got)
	}
}
