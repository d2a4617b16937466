package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
)

// noHardLinks makes hard links fail as FAT32 and exFAT file systems (USB
// drives, memory cards) make them fail: Linux's vfat says EPERM, Windows
// says the request is not supported.
func noHardLinks(t *testing.T) {
	t.Helper()
	old := linkFile
	linkFile = func(oldname, newname string) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EPERM}
	}
	t.Cleanup(func() { linkFile = old })
}

// TestBackupWithoutHardLinks: a backup to a drive without hard links (the
// USB drive an analyst carries it away on) is written, under its own name,
// with no partial file left.
func TestBackupWithoutHardLinks(t *testing.T) {
	noHardLinks(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "ctitui.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dst := filepath.Join(dir, "usb", "ctitui-backup.db")
	if err := os.Mkdir(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	name, err := s.Backup(ctx, dst, time.Now())
	if err != nil {
		t.Fatalf("Backup to a drive without hard links: %v", err)
	}
	if name != dst {
		t.Errorf("Backup wrote %s; want %s", name, dst)
	}
	if err := checkCopy(ctx, dst); err != nil {
		t.Errorf("the backup: %v", err)
	}
	if _, err := os.Lstat(dst + ".partial"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file left: %v", err)
	}
}

// TestPublishNeverReplaces: where it cannot link, publish still refuses to
// replace a file that took the name meanwhile.
func TestPublishNeverReplaces(t *testing.T) {
	noHardLinks(t)
	dir := t.TempDir()
	tmp, dst := filepath.Join(dir, "copy.partial"), filepath.Join(dir, "copy")
	if err := os.WriteFile(tmp, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The failed link is beside the point: the name is taken.
	if err := publish(tmp, dst); !errors.Is(err, fs.ErrExist) || strings.Contains(err.Error(), "not permitted") {
		t.Errorf("publish over an existing file = %v; want only that the file exists (fs.ErrExist)", err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "someone else's" {
		t.Errorf("%s = %q, %v; want it unchanged", dst, b, err)
	}
}
