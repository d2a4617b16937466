package sqlite

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
			// The directory's name is read as a pattern too, unless it is
			// never made one.
			dir := filepath.Join(t.TempDir(), "[case 42] *?")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
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

// TestFilesBeside: the names returned start with the path as given, so
// that callers can read what follows it, relative paths included.
func TestFilesBeside(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"ctitui.db", "ctitui.db.pre-migrate-1.bak", "ctitui.db.pre-migrate-.bak", "ctitui.db.pre-migrate.bak",
		"ctitui.db.pre-migrate-2.bak.partial", "other.db.pre-migrate-3.bak", "xctitui.db.pre-migrate-4.bak", "ctitui.db.bak"} {
		if err := os.WriteFile(name, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path, infix string
		want        []string
	}{
		// As a glob would: "ctitui.db.*.bak" matches no "ctitui.db.bak".
		{"ctitui.db", ".", []string{"ctitui.db.pre-migrate-.bak", "ctitui.db.pre-migrate-1.bak", "ctitui.db.pre-migrate.bak"}},
		{"ctitui.db", ".pre-migrate-", []string{"ctitui.db.pre-migrate-.bak", "ctitui.db.pre-migrate-1.bak"}},
		{"./ctitui.db", ".pre-migrate-", []string{"./ctitui.db.pre-migrate-.bak", "./ctitui.db.pre-migrate-1.bak"}},
		{filepath.Join(dir, "ctitui.db"), ".pre-migrate-", []string{filepath.Join(dir, "ctitui.db.pre-migrate-.bak"), filepath.Join(dir, "ctitui.db.pre-migrate-1.bak")}},
		{filepath.Join(dir, "missing", "ctitui.db"), ".pre-migrate-", nil},
	} {
		got := filesBeside(tc.path, tc.infix, ".bak")
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("filesBeside(%q, %q) = %q; want %q", tc.path, tc.infix, got, tc.want)
		}
	}
}
