package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/demo"
)

// `ctitui demo` end to end, in panes of a private tmux server (see
// tui_e2e_test.go), started in a folder of its own as a person would start
// it in theirs.

// startDemoPane starts a private tmux server running `ctitui demo` in dir,
// in a pane of cols×rows, and returns the pane.
func startDemoPane(t *testing.T, dir string, cols, rows int) *tmuxPane {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not on PATH; the terminal UI end-to-end tests need it (apt-get install tmux)")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	p := &tmuxPane{t: t, tmux: tmux, socket: fmt.Sprintf("ctitui-e2e-%d-%s", os.Getpid(), name)}
	t.Cleanup(func() { _ = p.cmd("kill-server").Run() })
	c := p.cmd("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-c", dir,
		"-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), paneCommand(t, "demo"))
	if os.Getenv("TERM") == "" || os.Getenv("TERM") == "dumb" {
		c.Env = append(os.Environ(), "TERM=xterm-256color")
	}
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	return p
}

// shownLines returns the non-empty lines of a screen, without trailing
// blanks.
func shownLines(screen string) []string {
	var lines []string
	for _, l := range strings.Split(screen, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestDemoE2EPassword: at 80 and 120 columns the demo's password can be read
// whole on the terminal when the demo starts and again when it ends, and in
// the status line while it is there.
func TestDemoE2EPassword(t *testing.T) {
	passwordLine := "Password of every sample user: " + demo.Password
	for _, size := range []struct{ cols, rows int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size.cols, size.rows), func(t *testing.T) {
			dir := t.TempDir()
			p := startDemoPane(t, dir, size.cols, size.rows)
			s := p.waitFor("· schema v", 30*time.Second)
			if !strings.Contains(s, demo.Notice()) {
				t.Errorf("the status line at %d columns does not show %q whole:\n%s", size.cols, demo.Notice(), s)
			}
			p.keys("q")
			s = p.waitFor("TTY=", 10*time.Second)
			if !strings.Contains(s, "EXITED=0") || !strings.Contains(s, "TTY=restored") {
				t.Fatalf("after q:\n%s\nwant EXITED=0 and TTY=restored", s)
			}
			// capture-pane -J joins wrapped lines: a line longer than the
			// pane wrapped, which is readable, but the password's must not.
			lines := shownLines(s)
			count := 0
			for _, l := range lines {
				if strings.Contains(l, demo.Password) {
					count++
					if l != passwordLine || len(l) > size.cols {
						t.Errorf("password line %q; want %q, in %d columns", l, passwordLine, size.cols)
					}
				}
			}
			if count != 2 {
				t.Errorf("after the demo the terminal shows the password %d times; want 2 (at the start and at the end):\n%s", count, s)
			}
			abs, err := filepath.EvalSymlinks(filepath.Join(dir, demoPath))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s, "Demo database: ") || !strings.Contains(s, "Demo database kept at ") ||
				!strings.Contains(strings.ReplaceAll(s, "\n", ""), filepath.Base(filepath.Dir(abs))) {
				t.Errorf("after the demo the terminal does not say where its database is (%s):\n%s", abs, s)
			}
			if !strings.Contains(s, demo.Summary()) {
				t.Errorf("after the demo the terminal does not show %q:\n%s", demo.Summary(), s)
			}
		})
	}
}

// TestDemoE2ESecondDemoKeepsTheFirst: a second `ctitui demo` in the folder
// where one runs refuses, and leaves the first one's database where it is,
// still the file the first demo shows (a user added to it by another
// process appears there).
func TestDemoE2ESecondDemoKeepsTheFirst(t *testing.T) {
	dir := t.TempDir()
	first := startDemoPane(t, dir, 100, 30)
	first.waitFor("· schema v", 30*time.Second)
	dbPath := filepath.Join(dir, demoPath)
	before, err := os.Stat(dbPath)
	if err != nil {
		t.Fatalf("the first demo's database: %v", err)
	}

	second := &tmuxPane{t: t, tmux: first.tmux, socket: first.socket}
	if out, err := second.cmd("new-window", "-d", "-t", "e2e", "-n", "second", "-c", dir, paneCommand(t, "demo")).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-window: %v\n%s", err, out)
	}
	shot := func() string {
		out, err := second.cmd("capture-pane", "-p", "-J", "-t", "e2e:second").Output()
		if err != nil {
			t.Fatalf("tmux capture-pane: %v", err)
		}
		return string(out)
	}
	var s string
	deadline := time.Now().Add(30 * time.Second)
	for s = shot(); !strings.Contains(s, "TTY=") && !strings.Contains(s, "· schema v") && time.Now().Before(deadline); s = shot() {
		time.Sleep(50 * time.Millisecond)
	}
	lines := shownLines(s)
	if len(lines) != 3 || lines[0] != "ctitui: another ctitui demo is running on ./"+demoPath+" in this folder; end it first, or give this one its own file with --db FILE" ||
		lines[1] != "EXITED=1" || lines[2] != "TTY=restored" {
		t.Errorf("the second demo shows:\n%s\nwant that another demo is running, EXITED=1 and TTY=restored", s)
	}

	after, err := os.Stat(dbPath)
	if err != nil {
		t.Fatalf("after the second demo, the first demo's database: %v", err)
	}
	if !os.SameFile(before, after) {
		t.Errorf("after the second demo, %s is another file than the one the first demo opened", dbPath)
	}
	// The first demo still works on that file: a user another process adds
	// shows there within a poll.
	runCtitui(t, dbPath, "user", "add", "--email", "newcomer@example.org", "--generate-password")
	first.waitFor("newcomer@example.org", 10*time.Second)
	first.keys("q")
	if s := first.waitFor("TTY=", 10*time.Second); !strings.Contains(s, "EXITED=0") {
		t.Errorf("the first demo after q:\n%s\nwant EXITED=0", s)
	}
	// Once it has ended, a new demo may start the file over.
	if out, err := second.cmd("kill-window", "-t", "e2e:second").CombinedOutput(); err != nil {
		t.Fatalf("tmux kill-window: %v\n%s", err, out)
	}
	if out, err := second.cmd("new-window", "-d", "-t", "e2e", "-n", "second", "-c", dir, paneCommand(t, "demo")).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-window: %v\n%s", err, out)
	}
	deadline = time.Now().Add(30 * time.Second)
	for s = shot(); !strings.Contains(s, "TTY=") && !strings.Contains(s, "· schema v") && time.Now().Before(deadline); s = shot() {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s, "· schema v") {
		t.Errorf("a demo started after the first ended shows:\n%s\nwant the terminal UI", s)
	}
}
