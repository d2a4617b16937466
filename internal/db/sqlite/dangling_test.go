package sqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// TestOpenRefusesALinkToNowhere: a database path that is a symbolic link to
// a missing file is refused with one error naming both, and nothing is
// created through the link. Open once looked again and again, each time
// finding the file missing and the name taken, until the stack ran out.
func TestOpenRefusesALinkToNowhere(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "nowhere", "ctitui.db")
	path := filepath.Join(dir, "ctitui.db")
	if err := os.Symlink(target, path); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	store, err := sqlite.Open(context.Background(), path, db.Options{})
	if err == nil {
		store.Close()
	}
	if err == nil || !strings.Contains(err.Error(), path+" is a link to "+target+", which does not exist") {
		t.Errorf("Open(link to nowhere) = %v; want a refusal naming the link and its target", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link's target %s exists (%v): Open created it through the link", target, err)
	}
}
