package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
)

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
