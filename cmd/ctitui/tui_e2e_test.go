package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The terminal UI end to end: the real ctitui (this test binary, which
// TestMain puts on PATH as "ctitui") runs in a pane of a private tmux server,
// keys go in with send-keys and the screen comes back with capture-pane.

// e2ePassword passes the password policy.
const e2ePassword = "correct horse battery staple"

// tmuxPane is one detached session of a tmux server private to a test.
type tmuxPane struct {
	t      *testing.T
	tmux   string
	socket string
}

// startPane starts a private tmux server running shellCmd in a 100×30 pane,
// with env added to the environment. It skips the test when tmux is missing.
func startPane(t *testing.T, shellCmd string, env ...string) *tmuxPane {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not on PATH; the terminal UI end-to-end tests need it (apt-get install tmux)")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	p := &tmuxPane{t: t, tmux: tmux, socket: fmt.Sprintf("ctitui-e2e-%d-%s", os.Getpid(), name)}
	t.Cleanup(func() { _ = p.cmd("kill-server").Run() })
	args := []string{"-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30"}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	args = append(args, shellCmd)
	c := p.cmd(args...)
	c.Env = append(os.Environ(), env...)
	if os.Getenv("TERM") == "" || os.Getenv("TERM") == "dumb" {
		c.Env = append(c.Env, "TERM=xterm-256color")
	}
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	return p
}

func (p *tmuxPane) cmd(args ...string) *exec.Cmd {
	return exec.Command(p.tmux, append([]string{"-L", p.socket}, args...)...)
}

// screen returns what the pane shows, wrapped lines joined.
func (p *tmuxPane) screen() string {
	p.t.Helper()
	out, err := p.cmd("capture-pane", "-p", "-J", "-t", "e2e").Output()
	if err != nil {
		p.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Tab, q).
func (p *tmuxPane) keys(keys ...string) {
	p.t.Helper()
	if out, err := p.cmd(append([]string{"send-keys", "-t", "e2e"}, keys...)...).CombinedOutput(); err != nil {
		p.t.Fatalf("tmux send-keys %q: %v\n%s", keys, err, out)
	}
}

// literal types text as it is.
func (p *tmuxPane) literal(text string) {
	p.t.Helper()
	if out, err := p.cmd("send-keys", "-t", "e2e", "-l", text).CombinedOutput(); err != nil {
		p.t.Fatalf("tmux send-keys -l: %v\n%s", err, out)
	}
}

// waitUntil polls the screen until ok accepts it, and returns it.
func (p *tmuxPane) waitUntil(what string, timeout time.Duration, ok func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("after %s the pane does not show %s; it shows:\n%s", timeout, what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls the screen until it contains text.
func (p *tmuxPane) waitFor(text string, timeout time.Duration) string {
	p.t.Helper()
	return p.waitUntil(fmt.Sprintf("%q", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// paneCommand runs ctitui with args, then says how it exited and whether it
// left the terminal's settings as it found them, and stays for capture.
func paneCommand(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("ctitui")
	if err != nil {
		t.Fatalf("ctitui is not on PATH (TestMain should have put it there): %v", err)
	}
	bin, err = filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	quoted := []string{shellQuote(bin)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	return `S=$(stty -g); ` + strings.Join(quoted, " ") + `; echo EXITED=$?; ` +
		`if [ "$(stty -g)" = "$S" ]; then echo TTY=restored; else echo TTY=changed; fi; sleep 60`
}

// ctitui runs the command outside the pane and returns its stdout.
func runCtitui(t *testing.T, dbPath string, args ...string) []byte {
	t.Helper()
	c := exec.Command("ctitui", append([]string{"--db", dbPath}, args...)...)
	c.Env = append(os.Environ(), "CTITUI_DB="+dbPath)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("ctitui %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func TestTUIE2ERegisterAndWatch(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "e2e.db")
	p := startPane(t, paneCommand(t, "--db", dbPath), "CTITUI_DB="+dbPath)

	p.waitFor("No users yet", 15*time.Second)

	p.keys("n")
	p.waitFor("Register a user", 5*time.Second)
	p.literal("e2e@example.org")
	p.waitFor("e2e@example.org", 5*time.Second)
	bullets := strings.Repeat("•", len(e2ePassword))
	p.keys("Tab")
	p.literal(e2ePassword)
	p.waitFor(bullets, 5*time.Second)
	p.keys("Tab")
	p.literal(e2ePassword)
	p.waitUntil("the confirmation typed", 5*time.Second, func(s string) bool { return strings.Count(s, bullets) == 2 })
	p.keys("Tab")
	p.waitFor("←/→ to choose", 5*time.Second)
	p.keys("Enter") // submits from the role field, analyst preselected

	p.waitFor("registered e2e@example.org", 10*time.Second)
	// The status line comes first; the list reloads around the new user a
	// moment later.
	selectedRow := regexp.MustCompile(`(?m)^> e2e@example\.org +analyst +active`)
	p.waitUntil("the new user selected in the list", 5*time.Second, selectedRow.MatchString)

	// Another process adds a user while the TUI is open; the TUI polls
	// PRAGMA data_version every 2 s and shows it within one poll.
	runCtitui(t, dbPath, "user", "add", "--email", "other@example.org", "--generate-password")
	p.waitFor("other@example.org", 6*time.Second)

	p.keys("q")
	// The shell prints EXITED= and TTY= on two lines: wait for the second.
	s := p.waitFor("TTY=", 10*time.Second)
	if !strings.Contains(s, "EXITED=0") || !strings.Contains(s, "TTY=restored") {
		t.Errorf("after q:\n%s\nwant EXITED=0 and TTY=restored", s)
	}
	if strings.Contains(s, "e2e@example.org") {
		t.Errorf("the TUI is left on the screen after q:\n%s", s)
	}

	var users []struct {
		Email     string   `json:"email"`
		Roles     []string `json:"roles"`
		CreatedAt string   `json:"created_at"`
		UpdatedAt string   `json:"updated_at"`
		Disabled  bool     `json:"disabled"`
	}
	out := runCtitui(t, dbPath, "user", "list", "--format", "json")
	if err := json.Unmarshal(out, &users); err != nil {
		t.Fatalf("user list --format json: %v\n%s", err, out)
	}
	var emails []string
	for _, u := range users {
		emails = append(emails, u.Email)
		if u.Email != "e2e@example.org" {
			continue
		}
		if u.CreatedAt == "" || u.UpdatedAt == "" {
			t.Errorf("e2e@example.org: created_at %q, updated_at %q; want both set", u.CreatedAt, u.UpdatedAt)
		}
		if !slices.Equal(u.Roles, []string{"analyst"}) || u.Disabled {
			t.Errorf("e2e@example.org: roles %v, disabled %v; want [analyst], active", u.Roles, u.Disabled)
		}
	}
	slices.Sort(emails)
	if !slices.Equal(emails, []string{"e2e@example.org", "other@example.org"}) {
		t.Errorf("users %v; want e2e@example.org and other@example.org", emails)
	}
}

func TestTUIE2EErrorRestoresTerminal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dir.db")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := startPane(t, paneCommand(t, "--db", dir), "CTITUI_DB="+dir)
	s := p.waitFor("TTY=", 15*time.Second)

	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ctitui: ") || !strings.Contains(lines[0], "is a directory") ||
		lines[1] != "EXITED=1" || lines[2] != "TTY=restored" {
		t.Errorf("the pane shows:\n%s\nwant one line \"ctitui: ... is a directory\", then EXITED=1 and TTY=restored", strings.Join(lines, "\n"))
	}
}
