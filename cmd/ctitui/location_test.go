package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

// runCapture runs ctitui with args and stdin and returns its exit code,
// stdout and stderr.
func runCapture(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runWith(context.Background(), args, strings.NewReader(stdin), &out, &errOut, passwordtest.Params)
	return code, out.String(), errOut.String()
}

// A password inside --db or $CTITUI_DB is refused before anything
// connects, by every command, in one line that never repeats it: it would
// be kept in shell history and shown in process listings. 127.0.0.1:1
// refuses connections: a command that tried to connect would say so
// instead.
func TestPasswordInLocationRefused(t *testing.T) {
	const secret = "s3cret-Pw"
	commands := [][]string{
		{"user", "list"},
		{"user", "add", "--email", "alice@example.org", "--password-stdin"},
		{"audit", "verify"},
		{"migrate", "up"},
		{"version"},
		{}, // the terminal UI
	}
	for _, tt := range []struct {
		name, location string
		viaEnv         bool
		want           string // in the one line on stderr
	}{
		{"user info", "postgres://alice:" + secret + "@127.0.0.1:1/ctitui", false, "ctitui: --db: the database URL holds a password"},
		{"postgresql scheme", "postgresql://alice:" + secret + "@127.0.0.1:1/ctitui", false, "PGPASSWORD"},
		{"empty user", "postgres://:" + secret + "@127.0.0.1:1/ctitui", false, "PGPASSWORD"},
		{"query", "postgres://alice@127.0.0.1:1/ctitui?sslmode=disable&password=" + secret, false, "PGPASSWORD"},
		{"query sslpassword", "postgres://alice@127.0.0.1:1/ctitui?SSLPassword=" + secret, false, "PGPASSWORD"},
		// Go's own error would quote the URL, password and all.
		{"not a valid URL", "postgres://alice:" + secret + "@127.0.0.1:1%zz/ctitui", false, "ctitui: --db: the database URL is not a valid URL"},
		{"CTITUI_DB", "postgres://alice:" + secret + "@127.0.0.1:1/ctitui", true, "ctitui: $CTITUI_DB: the database URL holds a password"},
	} {
		for _, command := range commands {
			t.Run(tt.name+"/"+strings.Join(command, "_"), func(t *testing.T) {
				t.Chdir(t.TempDir())
				args := command
				if tt.viaEnv {
					t.Setenv("CTITUI_DB", tt.location)
				} else {
					args = append([]string{"--db", tt.location}, command...)
				}
				code, stdout, stderr := runCapture(t, "correct horse battery staple\n", args...)
				if code != exitUsage || stdout != "" {
					t.Errorf("ctitui %q = %d, stdout %q; want %d and no output", args, code, stdout, exitUsage)
				}
				if strings.Contains(stderr, secret) || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
					t.Errorf("ctitui %q stderr = %q; want one line with %q, without the password", args, stderr, tt.want)
				}
				if entries, _ := os.ReadDir("."); len(entries) != 0 {
					t.Errorf("ctitui %q left %d files in the working directory; want none", args, len(entries))
				}
			})
		}
	}
}
