//go:build linux

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// errSharingViolation is what Windows says to a rename over, or a delete
// of, a file that some handle has open without FILE_SHARE_DELETE, as SQLite
// and Go open every file.
var errSharingViolation = errors.New("the process cannot access the file because it is being used by another process")

// openByThisProcess reports whether a descriptor of this process is open
// on name, as /proc/self/fd tells.
func openByThisProcess(t *testing.T, name string) bool {
	t.Helper()
	abs, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == abs {
			return true
		}
	}
	return false
}

// windowsFileRules makes the swaps' file operations refuse, as Windows
// does, to rename or delete a file that this process has open, and swaps
// the way ctitui swaps on Windows. What it cannot show is another process
// holding the file: Windows refuses that too, and the swap then fails,
// leaving the database as it was (holdExclusively refuses earlier anyway).
func windowsFileRules(t *testing.T) {
	t.Helper()
	oldRemove, oldRename, oldRelease := removeFile, renameFile, releaseBeforeSwap
	releaseBeforeSwap = true
	removeFile = func(name string) error {
		if openByThisProcess(t, name) {
			return &os.PathError{Op: "remove", Path: name, Err: errSharingViolation}
		}
		return os.Remove(name)
	}
	renameFile = func(from, to string) error {
		for _, name := range []string{from, to} {
			if openByThisProcess(t, name) {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: errSharingViolation}
			}
		}
		return os.Rename(from, to)
	}
	t.Cleanup(func() { removeFile, renameFile, releaseBeforeSwap = oldRemove, oldRename, oldRelease })
}

func countRows(t *testing.T, s *Store, query string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestRestoreSwapsWithNothingOpen: restore renames the new file over the
// database where a file cannot be renamed over while open (Windows): every
// handle this process had on the old file is closed first.
func TestRestoreSwapsWithNothingOpen(t *testing.T) {
	windowsFileRules(t)
	ctx := context.Background()
	dir := t.TempDir()
	live, src := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db")
	for _, p := range []string{live, src} {
		s, err := Open(ctx, p, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s, rep, err := Restore(ctx, live, src, db.Options{Actor: "tester"})
	if err != nil {
		t.Fatalf("Restore with Windows' file rules: %v", err)
	}
	defer s.Close()
	if n := countRows(t, s, `SELECT count(*) FROM audit_log WHERE action = '`+string(user.ActionRestore)+`'`); n != 1 {
		t.Errorf("restore entries in the restored file = %d; want 1", n)
	}
	if _, err := os.Stat(rep.Backup); err != nil {
		t.Errorf("the backup of the replaced database: %v", err)
	}
}

// TestRestoreOverDamagedFileSwapsWithNothingOpen: a damaged database, which
// restore copies byte for byte instead of holding, is not left open either.
func TestRestoreOverDamagedFileSwapsWithNothingOpen(t *testing.T) {
	windowsFileRules(t)
	ctx := context.Background()
	dir := t.TempDir()
	live, src := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db")
	s, err := Open(ctx, src, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(live, []byte("not a database, but worth keeping a copy of"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, rep, err := Restore(ctx, live, src, db.Options{Actor: "tester"})
	if err != nil {
		t.Fatalf("Restore over a damaged file with Windows' file rules: %v", err)
	}
	defer s.Close()
	if b, err := os.ReadFile(rep.Backup); err != nil || string(b) != "not a database, but worth keeping a copy of" {
		t.Errorf("backup of the damaged file = %q, %v; want its bytes", b, err)
	}
}

// TestAdoptSwapsWithNothingOpen: adoption, which swaps the adopted copy in
// the same way, works under Windows' file rules too.
func TestAdoptSwapsWithNothingOpen(t *testing.T) {
	windowsFileRules(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "legacy.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`INSERT INTO users (id, email, hashed_password, created_at) VALUES ('6f1c2a9e-0001-4000-8000-000000000001', 'ana@example.org', 'legacy-hash-1', '2024-10-01 12:00:00')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, db.Options{Actor: "tester"})
	if err != nil {
		t.Fatalf("Open (adopting) with Windows' file rules: %v", err)
	}
	defer s.Close()
	if n := countRows(t, s, `SELECT count(*) FROM users WHERE email = 'ana@example.org'`); n != 1 {
		t.Errorf("adopted users named ana = %d; want 1", n)
	}
	if n := countRows(t, s, `SELECT count(*) FROM audit_log WHERE action = '`+string(user.ActionAdopt)+`'`); n != 1 {
		t.Errorf("adopt entries = %d; want 1", n)
	}
}
