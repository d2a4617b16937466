package sqlite_test

import (
	"context"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestSQLiteVersion checks that the version the engine reports is the one
// the SQLite library compiled into the binary declares.
func TestSQLiteVersion(t *testing.T) {
	got, err := sqlite.SQLiteVersion(context.Background())
	if err != nil {
		t.Fatalf("SQLiteVersion: %v", err)
	}
	if want := sqlite3.SQLITE_VERSION; got != want {
		t.Errorf("SQLiteVersion() = %q; want %q", got, want)
	}
}

// TestSQLiteVersionCanceled checks that a canceled context stops the query
// with an error rather than a version.
func TestSQLiteVersionCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := sqlite.SQLiteVersion(ctx); err == nil {
		t.Errorf("SQLiteVersion(canceled) = %q, nil; want an error", got)
	}
}
