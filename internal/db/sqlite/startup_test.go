package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestMigrationsAsGooseSees: Store.Migrations reads goose's version table
// itself, without building goose (a millisecond off every migrate status),
// and must say what goose's Status says of every migration, also of rows
// goose's history leaves: a version applied, rolled back and applied again,
// a row of a rollback (is_applied 0), times that differ.
func TestMigrationsAsGooseSees(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		edits []string
	}{
		{"as migrated", nil},
		{"applied twice, the later row newer", []string{
			`INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (3, 1, '2031-05-06 07:08:09')`}},
		{"a rollback row last", []string{
			`INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (4, 0, '2032-01-02 03:04:05')`}},
		{"times before the others", []string{`UPDATE goose_db_version SET tstamp = '2001-02-03 04:05:06' WHERE version_id = 2`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			s, err := sqlite.Open(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			writeSQLite(t, path, tc.edits...)
			p, _ := newGooseProvider(t, path)
			want, err := p.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s, err = sqlite.OpenReadOnly(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Migrations(ctx)
			if err != nil {
				t.Fatalf("Migrations = %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("Migrations lists %d; goose's Status %d", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				applied := w.State == goose.StateApplied
				if g.Version != w.Source.Version || g.Applied != applied || !g.AppliedAt.Equal(w.AppliedAt) {
					t.Errorf("Migrations()[%d] = version %d, applied %v at %v; goose says version %d, applied %v at %v",
						i, g.Version, g.Applied, g.AppliedAt, w.Source.Version, applied, w.AppliedAt)
				}
				if w.Source.Path != "" && g.Name != filepath.Base(w.Source.Path) {
					t.Errorf("Migrations()[%d].Name = %q; want %q", i, g.Name, filepath.Base(w.Source.Path))
				}
			}
		})
	}
}

// TestOpenKeepsWALMode: Open opens a file with nothing to do through one
// pool that sets no journal mode; a current file taken out of WAL mode
// (by the sqlite3 shell, say) must still come back to it, as every
// connection's synchronous=NORMAL and the concurrent writers rely on.
func TestOpenKeepsWALMode(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	for i, mode := range []string{"", "DELETE", "TRUNCATE"} {
		if mode != "" {
			writeSQLite(t, path, `PRAGMA journal_mode = `+mode)
		}
		s, err := sqlite.Open(ctx, path, db.Options{})
		if err != nil {
			t.Fatalf("Open #%d = %v", i, err)
		}
		// Connections are made at the first statement.
		if _, err := s.Migrations(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		raw := openRawSQLite(t, path, true)
		var got string
		if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		if got != "wal" {
			t.Errorf("journal mode after Open of a current file in %q mode = %q; want wal", mode, got)
		}
	}
}

// TestOpenLeavesAHostileWALFileAsItWas: a file in WAL mode whose foreign
// trigger sits in its -wal, not yet checkpointed, is refused by Open, and
// both files are left byte for byte: nothing may be checkpointed or
// deleted before ctitui has judged what the file holds.
func TestOpenLeavesAHostileWALFileAsItWas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	s := openStore(t, src, db.Options{})
	s.Close()
	raw := openRawSQLite(t, src, false)
	raw.SetMaxOpenConns(1)
	for _, q := range []string{`PRAGMA wal_autocheckpoint = 0`,
		`CREATE TRIGGER planted AFTER UPDATE ON users BEGIN UPDATE users SET failed_logins = 0; END`} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of both files while the connection holds the -wal.
	path := filepath.Join(dir, "hostile.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	before := fileSHA256(t, path) + fileSHA256(t, path+"-wal")

	if s, err := sqlite.Open(ctx, path, db.Options{}); err == nil {
		s.Close()
		t.Fatalf("Open of a file with a planted trigger in its -wal = nil; want a refusal")
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("the -wal is gone after the refusal: %v", err)
	}
	if after := fileSHA256(t, path) + fileSHA256(t, path+"-wal"); after != before {
		t.Errorf("the file or its -wal changed although Open refused it")
	}
}
