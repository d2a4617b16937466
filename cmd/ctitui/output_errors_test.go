package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// failAfter is a writer that takes n bytes and then fails, as a disk that
// fills up does.
type failAfter struct {
	n   int
	got bytes.Buffer
}

var errNoSpace = errors.New("no space left on device")

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		w.got.Write(p[:w.n])
		n := w.n
		w.n = 0
		return n, errNoSpace
	}
	w.n -= len(p)
	return w.got.Write(p)
}

// runIn runs ctitui in this process on the database at path.
func runIn(t *testing.T, path string, stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	t.Helper()
	return runWith(context.Background(), append([]string{"--db", path}, args...), stdin, stdout, stderr, passwordtest.Params)
}

// usersAndAudit lists the emails in path and the audit actions about them.
func usersAndAudit(t *testing.T, path string) (emails, actions []string) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := user.NewService(store)
	err = svc.List(context.Background(), user.ListOptions{}, func(u user.User) error {
		emails = append(emails, u.Email)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Audit(context.Background(), user.AuditFilter{}, func(e user.AuditEntry) error {
		actions = append(actions, string(e.Action)+" "+e.UserEmail)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return emails, actions
}

// A generated password that cannot be shown is a password nobody knows:
// add --generate-password then removes the user again (audited) and fails
// with one line saying so, whatever the format and wherever the write
// fails.
func TestAddGeneratedPasswordThatCannotBeShown(t *testing.T) {
	tests := []struct {
		name   string
		format string
		out    int  // bytes stdout takes before it fails
		errOut int  // bytes stderr takes before it fails; -1: all
		kept   bool // the password was shown before the failure
	}{
		{"table, nothing written", "table", 0, -1, false},
		{"table, cut inside the password", "table", 60, -1, false},
		{"json", "json", 10, -1, false},
		{"json, cut at the end", "json", 300, -1, false},
		{"csv, the password on stderr", "csv", 1 << 20, 0, false},
		{"csv, the password shown, the details cut", "csv", 5, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			stdout := &failAfter{n: tt.out}
			var stderr bytes.Buffer
			var errW io.Writer = &stderr
			if tt.errOut >= 0 {
				errW = io.MultiWriter(&failAfter{n: tt.errOut}, &stderr)
			}
			code := runIn(t, path, strings.NewReader(""), stdout, errW, "user", "add", "--email", "carol@example.org", "--generate-password", "--format", tt.format)
			if code != exitFail {
				t.Errorf("exit %d; want %d", code, exitFail)
			}
			emails, actions := usersAndAudit(t, path)
			if tt.kept {
				if len(emails) != 1 || !strings.Contains(stderr.String(), "could not say so in full: no space left on device") {
					t.Errorf("users %q, stderr %q; want carol kept, her password shown, and the failure reported", emails, stderr.String())
				}
				return
			}
			// The last line of stderr is the error, unless stderr is what failed.
			msg := stderr.String()
			if tt.errOut < 0 && (!strings.Contains(msg, "could not show the generated password: no space left on device; carol@example.org was removed again") ||
				strings.Count(strings.TrimSpace(msg), "\n") > 1) {
				t.Errorf("stderr %q; want one line naming the write error and saying the user was removed again", msg)
			}
			if len(emails) != 0 {
				t.Errorf("users %q after the failed add; want none", emails)
			}
			if want := []string{"delete carol@example.org", "register carol@example.org"}; strings.Join(actions, "|") != strings.Join(want, "|") {
				t.Errorf("audit %q; want %q", actions, want)
			}
		})
	}

	// With room for the output, the user stays and the password is shown.
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stdout, stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), &stdout, &stderr, "user", "add", "--email", "dave@example.org", "--generate-password"); code != exitOK {
		t.Fatalf("add with room: exit %d, %s", code, stderr.String())
	}
	if emails, _ := usersAndAudit(t, path); len(emails) != 1 || !strings.Contains(stdout.String(), "generated password (shown once): ") {
		t.Errorf("add with room: users %q, stdout %q", emails, stdout.String())
	}
}

// Without --generate-password the person knows the password: a failed
// confirmation is reported (exit 1) and the user stays.
func TestAddConfirmationThatCannotBeShown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	code := runIn(t, path, strings.NewReader("a long enough passphrase\n"), &failAfter{}, &stderr,
		"user", "add", "--email", "erin@example.org", "--password-stdin")
	if code != exitFail || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("exit %d, stderr %q; want %d and the write error", code, stderr.String(), exitFail)
	}
	if emails, _ := usersAndAudit(t, path); len(emails) != 1 {
		t.Errorf("users %q; want erin kept", emails)
	}
}

// The same as a real process: stdout on a full device, and on a pipe that
// nobody reads any more, which would kill ctitui with SIGPIPE between
// creating the user and showing its password.
func TestAddGeneratedPasswordToABrokenStdout(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /dev/full")
	}
	for _, name := range []string{"/dev/full", "closed pipe"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			cmd := exec.Command("ctitui", "--db", path, "user", "add", "--email", "frank@example.org", "--generate-password")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if name == "/dev/full" {
				full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
				if err != nil {
					t.Skip(err)
				}
				defer full.Close()
				cmd.Stdout = full
			} else {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				defer w.Close()
				cmd.Stdout = w
			}
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
				t.Errorf("ctitui user add --generate-password > %s: %v; want exit %d; stderr %s", name, err, exitFail, stderr.String())
			}
			if !strings.Contains(stderr.String(), "removed again") {
				t.Errorf("stderr %q; want it to say the user was removed again", stderr.String())
			}
			if emails, _ := usersAndAudit(t, path); len(emails) != 0 {
				t.Errorf("users %q; want none", emails)
			}
		})
	}
}

// Every command whose output cannot be written fails (exit 1) and says so,
// even when its work is done: a backup's name, the audit chain's head or a
// listing that did not reach its file must not look like success.
func TestOutputThatCannotBeWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader("a long enough passphrase\n"), io.Discard, &stderr, "user", "add", "--email", "alice@example.org", "--password-stdin"); code != exitOK {
		t.Fatal(stderr.String())
	}
	for _, args := range [][]string{
		{"backup", filepath.Join(t.TempDir(), "b.db")},
		{"audit", "verify"},
		{"audit", "list"},
		{"user", "list"},
		{"user", "list", "--format", "json"},
		{"user", "show", "alice@example.org"},
		{"user", "set-role", "alice@example.org", "--role", "viewer"},
		{"user", "export"},
		{"version"},
		{"settings"},
		{"doctor"},
		{"migrate", "status"},
		{"migrate", "up"},
		{"user", "unlock", "alice@example.org"},
	} {
		stderr.Reset()
		code := runIn(t, path, strings.NewReader(""), &failAfter{n: 3}, &stderr, args...)
		if code != exitFail || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%q with stdout full: exit %d, stderr %q; want %d and the write error", args, code, stderr.String(), exitFail)
		}
	}
}
