package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestFileURI: the path SQLite opens is the one given. A path that starts
// with two separators (a Windows share, \\server\share\ctitui.db) must not
// become a URI authority: SQLite refuses any but "localhost".
func TestFileURI(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"ctitui.db", "file:ctitui.db"},
		{"/home/ana/ctitui.db", "file:/home/ana/ctitui.db"},
		{"/home/ana/a b#c?d%e.db", "file:/home/ana/a%20b%23c%3Fd%25e.db"},
		{"//server/share/ctitui.db", "file:////server/share/ctitui.db"},
		{"C:/Users/ana/ctitui.db", "file:C:/Users/ana/ctitui.db"},
	} {
		if got := fileURI(tc.path); got != tc.want {
			t.Errorf("fileURI(%q) = %q; want %q", tc.path, got, tc.want)
		}
	}
}

// TestOpenPathWithTwoLeadingSlashes: such a path opens the file it names.
func TestOpenPathWithTwoLeadingSlashes(t *testing.T) {
	path := "/" + filepath.Join(t.TempDir(), "ctitui.db")
	if !strings.HasPrefix(path, "//") {
		t.Fatalf("path %q does not start with //", path)
	}
	s, err := Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
