package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestOpenReadOnlyRefusesWhatItCannotRead: OpenReadOnly reads only a
// regular file at the current schema, and never
// changes it: everything else is refused with the error that says what to
// do, and left byte for byte as it was.
func TestOpenReadOnlyRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
		msg   string
	}{
		{"a device", func(t *testing.T, path string) {
			if _, err := os.Stat(os.DevNull); err != nil {
				t.Skip("no", os.DevNull)
			}
			if err := os.Symlink(os.DevNull, path); err != nil {
				t.Skip(err)
			}
		}, db.ErrNotAccessible, "not a regular file"},
		{"an empty file", func(t *testing.T, path string) { writeFile(t, path, nil, 0o600) }, db.ErrNotCtitui, "holds no tables"},
		{"a file before migrations", func(t *testing.T, path string) {
			writeSQLite(t, path, `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, hashed_password TEXT, created_at TEXT)`)
		}, db.ErrCannotAdopt, "migrate up"},
		{"the previous schema", func(t *testing.T, path string) {
			bkDB(t, path, "old", 1)
			writeSQLite(t, path, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
		}, db.ErrSchemaTooOld, "migrate up"},
		{"a hot journal", func(t *testing.T, path string) {
			bkDB(t, path, "crashed", 1)
			writeSQLite(t, path, `PRAGMA journal_mode = DELETE`)
			// A rollback journal's header, as a writer killed in its
			// transaction leaves it: the magic and a page count.
			header := append([]byte("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7\x00\x00\x00\x01"), make([]byte, 500)...)
			writeFile(t, path+"-journal", header, 0o600)
		}, db.ErrReadOnly, "unfinished write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ctitui.db")
			tt.setup(t, path)
			before := dirState(t, dir)
			s, err := sqlite.OpenReadOnly(context.Background(), path, db.Options{})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("OpenReadOnly = %v; want %v saying %q", err, tt.want, tt.msg)
			}
			if after := dirState(t, dir); after != before {
				t.Errorf("files after OpenReadOnly:\n%s\nwant as before:\n%s", after, before)
			}
		})
	}
}

// dirState lists the regular files of dir with their SHA-256.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if e.Type().IsRegular() {
			b.WriteString(e.Name() + " " + fileSHA256(t, filepath.Join(dir, e.Name())) + "\n")
		}
	}
	return b.String()
}

// TestOpenReadOnlySeesLaterWrites: a writable file is read the ordinary
// way, not as immutable, so a read-only Store sees what another ctitui
// writes meanwhile (into its WAL, which an immutable read ignores).
func TestOpenReadOnlySeesLaterWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	bkDB(t, path, "before", 1)
	ro, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := len(allUsers(t, ro)); got != 1 {
		t.Fatalf("read-only store sees %d users; want 1", got)
	}
	rw := openStore(t, path, db.Options{})
	bkRegister(t, rw, "later", 1)
	if got := emailsOf(allUsers(t, ro)); len(got) != 2 {
		t.Errorf("read-only store sees %q after another store added one; want 2 users", got)
	}
}
