package main

import (
	"bytes"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// completeArgs runs "ctitui --db path __complete args..." and returns the
// words offered, without their descriptions and the directive line.
func completeArgs(t *testing.T, path string, args ...string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), &stdout, &stderr, append([]string{"__complete"}, args...)...); code != exitOK {
		t.Fatalf("__complete %q: exit %d, %s", args, code, stderr.String())
	}
	var words []string
	for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		if strings.HasPrefix(line, ":") {
			break
		}
		word, _, _ := strings.Cut(line, "\t")
		words = append(words, word)
	}
	return words
}

// Completion offers only emails a shell can paste as they are: a row that
// another tool wrote with escape sequences, spaces or a newline in its email
// is left out, and reading the database for it changes no file.
func TestCompletionOffersOnlyPlainEmails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctitui.db")
	var stderr bytes.Buffer
	for _, email := range []string{"alice@example.org", "amy@example.org"} {
		if code := runIn(t, path, strings.NewReader(""), &bytes.Buffer{}, &stderr, "user", "add", "--email", email, "--generate-password"); code != exitOK {
			t.Fatal(stderr.String())
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for i, email := range []string{"a\x1b[2J@evil.org", "a b@evil.org", "a\n:4\n@evil.org", "a\t@evil.org", "a\u202e@evil.org"} {
		_, err = raw.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES (?, ?, ?, '!', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, "evil"+string(rune('0'+i)), email, email)
		if err != nil {
			t.Fatal(err)
		}
	}
	// Settle the file: what completion may change would show in it.
	if _, err := raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before := dirState(t, dir)

	got := completeArgs(t, path, "user", "show", "a")
	if want := []string{"alice@example.org", "amy@example.org"}; !slices.Equal(got, want) {
		t.Errorf("completions of %q = %q; want %q", "a", got, want)
	}
	if after := dirState(t, dir); !maps.Equal(before, after) {
		t.Errorf("completion changed the folder:\nbefore %v\nafter  %v", before, after)
	}
}

// dirState maps each file in dir to its contents' hash.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, e := range entries {
		state[e.Name()] = fileSHA256(t, filepath.Join(dir, e.Name()))
	}
	return state
}

// The emails offered are bounded: a shell shows a few screens at most.
func TestCompletionBoundsEmails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), &bytes.Buffer{}, &stderr, "user", "add", "--email", "first@example.org", "--generate-password"); code != exitOK {
		t.Fatal(stderr.String())
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 600)
		INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		SELECT 'u' || i, 'u' || i || '@example.org', 'u' || i || '@example.org', '!', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := completeArgs(t, path, "user", "show", "u"); len(got) != maxEmailCompletions {
		t.Errorf("completions of %q: %d; want %d", "u", len(got), maxEmailCompletions)
	}
	if got := completeArgs(t, path, "user", "show", "u59"); len(got) != 11 { // u59, u590..u599
		t.Errorf("completions of %q = %q; want 11", "u59", got)
	}
}

// Every command that takes no argument offers none, rather than the files
// of the folder; every command that takes an email offers emails.
func TestCompletionOfArguments(t *testing.T) {
	a := &app{}
	root := a.rootCommand()
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		if !cmd.HasSubCommands() && cmd.Runnable() && takesNoArgs(cmd) && cmd.ValidArgsFunction == nil {
			t.Errorf("%s takes no arguments but completes files", cmd.CommandPath())
		}
		if strings.Contains(cmd.Use, " EMAIL") && !strings.Contains(cmd.Use, "--email EMAIL") && cmd.ValidArgsFunction == nil {
			t.Errorf("%s takes an EMAIL but completes none", cmd.CommandPath())
		}
		for _, sub := range cmd.Commands() {
			visit(sub)
		}
	}
	visit(root)
}
