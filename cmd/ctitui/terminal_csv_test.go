//go:build linux

package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the side a program writes to, and the
// side that reads what a terminal would show.
func openPTY(t *testing.T) (tty, master *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	// Raw: the line discipline must not turn \n into \r\n.
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err == nil {
		termios.Oflag &^= unix.OPOST
		err = unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, termios)
	}
	if err != nil {
		t.Skipf("raw pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close(); master.Close() })
	return tty, master
}

// runToTerminal runs ctitui with stdout on a pseudo-terminal and returns
// what the terminal received.
func runToTerminal(t *testing.T, path string, args ...string) string {
	t.Helper()
	tty, master := openPTY(t)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the tty side is closed
		got <- b
	}()
	var stderr bytes.Buffer
	code := runIn(t, path, strings.NewReader(""), tty, &stderr, args...)
	tty.Close()
	out := <-got
	if code != exitOK {
		t.Fatalf("%q: exit %d, %s", args, code, stderr.String())
	}
	return string(out)
}

// runToPipe runs ctitui with stdout on a pipe and returns what came through.
func runToPipe(t *testing.T, path string, args ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	var stderr bytes.Buffer
	code := runIn(t, path, strings.NewReader(""), w, &stderr, args...)
	w.Close()
	out := <-got
	if code != exitOK {
		t.Fatalf("%q: exit %d, %s", args, code, stderr.String())
	}
	return string(out)
}

// CSV on a terminal shows escape sequences as text; on a pipe it carries
// them as they are, for the program reading it. Both escape formulas.
func TestCSVToATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), io.Discard, &stderr, "user", "add", "--email", "alice@example.org", "--generate-password"); code != exitOK {
		t.Fatal(stderr.String())
	}
	// A row another tool wrote: an email that clears the screen and sets the
	// window title, and an id that starts a formula.
	const evil = "x\x1b[2J\x1b]0;pwned\x07y\u009b31m\u202e@evil"
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		VALUES ('=1+1', ?, 'evil@example.org', '!', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, evil)
	if err == nil {
		_, err = raw.Exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details)
			VALUES ('2026-01-01T00:00:01.000Z', '-mallory', 'register', '=1+1', ?, ?)`, evil, "roles="+evil)
	}
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"user", "list", "--format", "csv"},
		{"user", "show", "evil@example.org", "--format", "csv"},
		{"audit", "list", "--format", "csv"},
		{"user", "export"},
	} {
		onTTY := runToTerminal(t, path, args...)
		if terminalUnsafe(onTTY) || strings.Contains(onTTY, "\x1b") {
			t.Errorf("%q on a terminal: %q holds control characters", args, onTTY)
		}
		if !strings.Contains(onTTY, `x\x1b[2J\x1b]0;pwned\x07y\u009b31m\u202e@evil`) {
			t.Errorf("%q on a terminal: %q does not show the email as visible escapes", args, onTTY)
		}
		onPipe := runToPipe(t, path, args...)
		if !strings.Contains(onPipe, evil) {
			t.Errorf("%q on a pipe: %q does not carry the email as it is", args, onPipe)
		}
		for _, out := range []string{onTTY, onPipe} {
			for _, row := range rawCells(t, out) {
				for _, cell := range row {
					if formulaCell(cell) {
						t.Errorf("%q: cell %q runs as a formula", args, cell)
					}
				}
			}
		}
	}
}

// An export to a terminal is for reading too; to a pipe it is exact data
// that import reads back.
func TestJSONLExportToATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	var stderr bytes.Buffer
	if code := runIn(t, path, strings.NewReader(""), io.Discard, &stderr, "user", "add", "--email", "alice@example.org", "--generate-password"); code != exitOK {
		t.Fatal(stderr.String())
	}
	const evil = "x\x1b[2Jy\u009b31m\u202e@evil"
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		VALUES ('u1', ?, 'evil@example.org', '!', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, evil)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	onTTY := runToTerminal(t, path, "user", "export", "--format", "jsonl")
	if terminalUnsafe(onTTY) || strings.Contains(onTTY, "\x1b") {
		t.Errorf("export --format jsonl on a terminal: %q holds control characters", onTTY)
	}
	onPipe := runToPipe(t, path, "user", "export", "--format", "jsonl")
	if !strings.Contains(onPipe, "\u202e") || !strings.Contains(onPipe, `"x\u001b[2Jy`) {
		t.Errorf("export --format jsonl on a pipe: %q does not carry the email as it is", onPipe)
	}
}

var _ = errors.New
