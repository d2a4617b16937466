package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/pgtest"
)

// A URL is no file path: no command refuses it for want of a file, creates
// a file or a directory for it, or expands a ~ in it; the engine connects
// (here to a socket directory where no server listens) and its error,
// naming the address without any password, is the command's.
func TestURLIsNoPath(t *testing.T) {
	sockets := t.TempDir()
	location := "postgres://nobody@/ctitui_nowhere?host=" + sockets
	for _, command := range [][]string{
		{"user", "list"},
		{"user", "show", "alice@example.org"},
		{"audit", "verify"},
		{"migrate", "status"},
		{"user", "add", "--email", "alice@example.org", "--password-stdin"},
		{"migrate", "up"},
	} {
		t.Run(strings.Join(command, "_"), func(t *testing.T) {
			work := t.TempDir()
			t.Chdir(work)
			args := append([]string{"--db", location}, command...)
			code, _, stderr := runCapture(t, "correct horse battery staple\n", args...)
			if code != exitFail {
				t.Errorf("ctitui %q = %d; want %d", args, code, exitFail)
			}
			if strings.Contains(stderr, "check --db and $CTITUI_DB") || strings.Count(stderr, "\n") != 1 ||
				!strings.Contains(stderr, "postgres://nobody@/ctitui_nowhere?host="+sockets) {
				t.Errorf("ctitui %q stderr = %q; want the engine's one line naming %s", args, stderr, location)
			}
			for _, dir := range []string{work, sockets} {
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("ctitui %q left %s in %s; want nothing", args, entries[0].Name(), filepath.Base(dir))
				}
			}
		})
	}
}

// ctitui never creates a PostgreSQL database: a mistyped name is the
// engine's error, exit 1, one line naming the address, for the commands
// that create a missing file as for those that only read; and the name is
// still free afterwards.
func TestPostgresMissingDatabase(t *testing.T) {
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path += "_typo"
	location := u.String()
	for _, command := range [][]string{
		{"user", "add", "--email", "alice@example.org", "--password-stdin"},
		{"migrate", "up"},
		{"user", "list"},
		{"migrate", "status"},
		{"user", "list"}, // again: nothing was created by the commands above
	} {
		args := append([]string{"--db", location}, command...)
		code, stdout, stderr := runCapture(t, "correct horse battery staple\n", args...)
		if code != exitFail || stdout != "" || strings.Count(stderr, "\n") != 1 ||
			!strings.Contains(stderr, "ctitui never creates one") || !strings.Contains(stderr, u.Path[1:]) {
			t.Errorf("ctitui %q = %d, stdout %q, stderr %q; want %d, one line saying ctitui never creates a database", args, code, stdout, stderr, exitFail)
		}
	}
}
