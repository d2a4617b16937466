package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
)

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
		s, _, err := db.Restore(context.Background(), path, src, db.Options{Now: func() time.Time { return bkNow }})
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
			s, _, err := db.Restore(context.Background(), path, src, db.Options{Now: func() time.Time { return bkNow }})
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
