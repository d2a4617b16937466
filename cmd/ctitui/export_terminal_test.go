//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Password hashes are never written to a terminal, where they would stay
// in the scrollback and in screen recordings: export --include-hashes
// refuses one with a usage error and writes nothing to it. To a pipe or a
// file (--output) it writes them.
func TestExportRefusesHashesToATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), io.Discard, &stderr, "user", "add", "--email", "alice@example.org", "--generate-password"); code != exitOK {
		t.Fatal(stderr.String())
	}
	for _, args := range [][]string{
		{"user", "export", "--include-hashes"},
		{"user", "export", "--include-hashes", "--format", "jsonl"},
	} {
		tty, master := openPTY(t)
		got := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(master)
			got <- b
		}()
		stderr.Reset()
		code := runIn(t, path, strings.NewReader(""), tty, &stderr, args...)
		tty.Close()
		onTTY := <-got
		want := "ctitui: refusing to print password hashes to a terminal: pass --output FILE, or redirect stdout to a file\n"
		if code != exitUsage || stderr.String() != want {
			t.Errorf("%q to a terminal = exit %d, stderr %q; want exit 2, %q", args, code, stderr.String(), want)
		}
		if len(onTTY) > 0 {
			t.Errorf("%q to a terminal wrote %q; want nothing", args, onTTY)
		}
		if onPipe := runToPipe(t, path, args...); !strings.Contains(onPipe, "$argon2id$") {
			t.Errorf("%q to a pipe = %q; want the hashes", args, onPipe)
		}
	}
	// Without hashes, a terminal gets the export to read.
	if onTTY := runToTerminal(t, path, "user", "export"); !strings.Contains(onTTY, "alice@example.org") {
		t.Errorf("export to a terminal = %q; want the users", onTTY)
	}
	// With --output, stdout may be a terminal: the hashes go to the file.
	out := filepath.Join(t.TempDir(), "users.csv")
	onTTY := runToTerminal(t, path, "user", "export", "--include-hashes", "--output", out)
	if strings.Contains(onTTY, "$argon2id$") || !strings.Contains(onTTY, "exported 1 user to ") {
		t.Errorf("export --output with a terminal on stdout printed %q; want only the summary", onTTY)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "$argon2id$") {
		t.Errorf("export --output wrote %q, %v; want the hashes", b, err)
	}
}
