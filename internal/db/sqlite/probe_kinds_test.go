package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestOpenOfAFileGooseStartedOn: a file where goose made its version table
// and was stopped before the first migration (a process killed at its first
// open) is ctitui's, at version 0, with no code of its own: Open migrates it
// to the latest schema.
func TestOpenOfAFileGooseStartedOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	// What goose writes before its first migration: its table, as its
	// SQLite dialect creates it, and the row of version 0.
	writeSQLite(t, path, `CREATE TABLE goose_db_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	)`, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`)
	if got := readRows(t, path, `SELECT name FROM sqlite_schema WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'`); len(got) != 1 || got[0] != "goose_db_version" {
		t.Fatalf("tables after goose's first step = %q; want only goose_db_version", got)
	}
	s := openStore(t, path, db.Options{})
	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
}

// TestOpenRefusesAFileOfAnotherProgramWhoseTablesStartWithSqlite: only
// SQLite's own tables, named "sqlite_" and more, are not a program's data;
// a table named "sqlitebrowser_settings" or "sqlite" is, and a file that
// holds one but no users table belongs to another program: refused and
// left alone, not taken for an empty file to create a schema in.
func TestOpenRefusesAFileOfAnotherProgramWhoseTablesStartWithSqlite(t *testing.T) {
	for _, table := range []string{"sqlitebrowser_settings", "sqlite", "sqlite1"} {
		t.Run(table, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.db")
			writeSQLite(t, path, fmt.Sprintf(`CREATE TABLE %q (k TEXT, v TEXT)`, table), fmt.Sprintf(`INSERT INTO %q VALUES ('a', 'b')`, table))
			before := fileSHA256(t, path)
			s, err := sqlite.Open(context.Background(), path, db.Options{})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, db.ErrNotCtitui) {
				t.Errorf("Open of a file with only table %s = %v; want %v", table, err, db.ErrNotCtitui)
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("the other program's file changed")
			}
		})
	}
}

// TestOpenReadOnlyRefusesAFileMissingAMigration: a file whose goose table
// lacks one migration before its newest (it was marked as not applied, or
// its row removed) is not at the schema this ctitui reads, however new its
// newest version: OpenReadOnly refuses it, as it refuses an old one.
func TestOpenReadOnlyRefusesAFileMissingAMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s := openStore(t, path, db.Options{})
	s.Close()
	writeSQLite(t, path, `UPDATE goose_db_version SET is_applied = 0 WHERE version_id = 3`)
	ro, err := sqlite.OpenReadOnly(ctx, path, db.Options{})
	if err == nil {
		ro.Close()
	}
	if !errors.Is(err, db.ErrSchemaTooOld) {
		t.Errorf("OpenReadOnly of a file missing migration 3 = %v; want %v", err, db.ErrSchemaTooOld)
	}
}
