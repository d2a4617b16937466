package db

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPruneBackupsOfPathsWithGlobCharacters: pruning finds a database's
// automatic backups by a pattern built from its path, which may hold the
// characters a glob reads as a pattern ([, ], *, ?, \). Whatever the path,
// the newest keepAutoBackups of its own backups are kept, the older ones
// deleted, and the backups of a database whose name the path would match
// as a pattern are left alone.
func TestPruneBackupsOfPathsWithGlobCharacters(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct{ name, neighbour string }{
		{"ctitui[1].db", "ctitui1.db"},
		{"ctitui[!x].db", "ctitui!.db"},
		{"ctitui*.db", "ctitui-old.db"},
		{"ctitui?.db", "ctituiX.db"},
		{`ctitui\x.db`, "ctituix.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, other := filepath.Join(dir, tt.name), filepath.Join(dir, tt.neighbour)
			var own, others []string
			for i := range keepAutoBackups + 2 {
				at := now.Add(-time.Duration(i) * time.Hour)
				for _, b := range []struct {
					p    string
					list *[]string
				}{{path, &own}, {other, &others}} {
					name := autoBackupName(b.p, "pre-migrate", at)
					if err := os.WriteFile(name, []byte("SQLite format 3\x00 a backup"), 0o600); err != nil {
						t.Fatal(err)
					}
					*b.list = append(*b.list, name)
				}
			}
			pruneBackups(path, "pre-migrate", now)
			for i, name := range own {
				_, err := os.Lstat(name)
				if kept := err == nil; kept != (i < keepAutoBackups) {
					t.Errorf("backup %d hours old of %s: kept %v; want %v", i, tt.name, kept, i < keepAutoBackups)
				}
			}
			for _, name := range others {
				if _, err := os.Lstat(name); err != nil {
					t.Errorf("backup %s of another database: %v; want it left alone", filepath.Base(name), err)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(entries); got != keepAutoBackups+len(others) {
				names := make([]string, len(entries))
				for i, e := range entries {
					names[i] = e.Name()
				}
				slices.Sort(names)
				t.Errorf("files left: %q; want %d of %s and all %d of %s", names, keepAutoBackups, tt.name, len(others), tt.neighbour)
			}
		})
	}
}
