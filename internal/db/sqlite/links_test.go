package sqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// ctitui never follows a symbolic link it did not make: a link planted
// beside the database must not make it create or change a file elsewhere,
// which, run as root, it could anywhere.

func TestMigrationLockFollowsNoLink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	target := filepath.Join(t.TempDir(), "planted")
	if err := os.Symlink(target, path+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), path, db.Options{})
	if err == nil || !strings.Contains(err.Error(), ".lock") {
		t.Errorf("Open with a planted lock link = %v; want a refusal naming the lock file", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link's target %s exists (%v): ctitui created a file through the link", target, err)
	}
}

func TestDoctorNeverChmodsThroughALink(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	target := filepath.Join(t.TempDir(), "setuid-tool")
	writeFile(t, target, []byte("#!/bin/sh\n"), 0o755)
	if err := os.Chmod(target, 0o755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	link := path + ".20250101T000000.000Z.bak"
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "permissions")
	if !slices.ContainsFunc(found, func(f user.Finding) bool {
		return f.Severity == user.SeverityProblem && strings.Contains(f.Message, "symbolic link") && f.Repair == ""
	}) {
		t.Errorf("findings: %s\nwant the link reported as a problem that --fix does not touch", all)
	}
	if _, err := s.Doctor(ctx, docOptions(true)); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (fs.ModePerm | fs.ModeSetuid); got != 0o755|fs.ModeSetuid {
		t.Errorf("the link's target has mode %v after doctor --fix; want it untouched (-rwsr-xr-x)", got)
	}
}

// TestCompanionLinksAreRefused: SQLite opens <db>-wal, -shm and -journal by
// name; a link planted there would send its writes elsewhere. ctitui
// refuses such a file, saying which link to remove.
func TestCompanionLinksAreRefused(t *testing.T) {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		t.Run(suffix, func(t *testing.T) {
			path := docDB(t)
			target := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.Symlink(target, path+suffix); err != nil {
				t.Fatal(err)
			}
			for name, open := range map[string]func(context.Context, string, db.Options) (*sqlite.Store, error){"Open": sqlite.Open, "OpenReadOnly": sqlite.OpenReadOnly} {
				s, err := open(context.Background(), path, db.Options{})
				if err == nil {
					s.Close()
				}
				if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), suffix) {
					t.Errorf("%s with a planted %s link = %v; want a refusal naming it", name, suffix, err)
				}
			}
			if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the link's target was created")
			}
		})
	}
}
