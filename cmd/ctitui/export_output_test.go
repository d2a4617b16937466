package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeFileAtomically never replaces a file without replace, even one that
// appears after a check (only O_EXCL holds then), follows no link, creates
// the file for its owner only, and leaves nothing behind when the write
// fails.
func TestWriteFileAtomically(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) func(io.Writer) (int, error) {
		return func(w io.Writer) (int, error) {
			_, err := io.WriteString(w, text)
			return 1, err
		}
	}
	failing := func(w io.Writer) (int, error) {
		io.WriteString(w, "half")
		return 0, errors.New("disk full")
	}
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return info.Mode().Perm()
	}

	existing := filepath.Join(dir, "existing.csv")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writeFileAtomically(existing, false, write("new")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("writeFileAtomically(existing, no replace) = %v; want already exists", err)
	}
	if got := read(existing); got != "keep" {
		t.Errorf("existing file holds %q after a refused write; want keep", got)
	}

	fresh := filepath.Join(dir, "fresh.csv")
	if n, err := writeFileAtomically(fresh, false, write("new")); err != nil || n != 1 {
		t.Fatalf("writeFileAtomically(fresh) = %d, %v", n, err)
	}
	if got := read(fresh); got != "new" {
		t.Errorf("fresh file holds %q; want new", got)
	}
	if runtime.GOOS != "windows" {
		if m := mode(fresh); m != 0o600 {
			t.Errorf("fresh file has mode %#o; want 0600", m)
		}
	}

	// Replacing: the new content, the owner's mode, nothing else left.
	if _, err := writeFileAtomically(existing, true, write("replaced")); err != nil {
		t.Fatal(err)
	}
	if got := read(existing); got != "replaced" {
		t.Errorf("replaced file holds %q; want replaced", got)
	}
	if runtime.GOOS != "windows" {
		if m := mode(existing); m != 0o600 {
			t.Errorf("replaced file has mode %#o; want 0600", m)
		}
	}

	// A failed write: the old file as it was, no new file, no temporary one.
	if _, err := writeFileAtomically(existing, true, failing); err == nil {
		t.Error("writeFileAtomically(failing, replace) = nil; want the write's error")
	}
	if got := read(existing); got != "replaced" {
		t.Errorf("a failed replace left %q; want the old replaced", got)
	}
	failed := filepath.Join(dir, "failed.csv")
	if _, err := writeFileAtomically(failed, false, failing); err == nil {
		t.Error("writeFileAtomically(failing) = nil; want the write's error")
	}
	if _, err := os.Lstat(failed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed write left %s: %v", failed, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q; want existing.csv and fresh.csv only", names)
	}

	// A link, to a file or to nowhere: refused without replace, not followed.
	if runtime.GOOS != "windows" {
		target := filepath.Join(dir, "target")
		link := filepath.Join(dir, "link.csv")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if _, err := writeFileAtomically(link, false, write("x")); err == nil {
			t.Error("writeFileAtomically(dangling link) = nil; want already exists")
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the write followed the link and made %s: %v", target, err)
		}
	}
}
