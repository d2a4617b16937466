//go:build unix

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// signalRuns is how many fresh terminal UIs TestTUIE2ESignals stops with each
// signal. The hang it guards against came in about one run of three, so the
// default catches it almost always; -signal-runs=20 measures a rate.
var signalRuns = flag.Int("signal-runs", 4, "terminal UIs TestTUIE2ESignals stops with each signal")

// signalExitBound is how long a terminal UI may take to end after a signal.
// It ends in well under a second; the bound is for a loaded machine, and a
// hang is forever.
const signalExitBound = 10 * time.Second

// pidPaneCommand is paneCommand, with ctitui's process id written to pidFile
// (sh writes its own, then becomes ctitui), so that the test can signal it.
func pidPaneCommand(t *testing.T, pidFile string, args ...string) string {
	t.Helper()
	bin := ctituiPath(t)
	quoted := []string{"sh", "-c", shellQuote(`echo $$ > "$0"; exec "$@"`), shellQuote(pidFile), shellQuote(bin)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	return `S=$(stty -g); ` + strings.Join(quoted, " ") + `; echo EXITED=$?; ` +
		`if [ "$(stty -g)" = "$S" ]; then echo TTY=restored; else echo TTY=changed; fi; sleep 60`
}

// ctituiPath is the absolute path of the ctitui that TestMain put on PATH.
func ctituiPath(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("ctitui")
	if err != nil {
		t.Fatalf("ctitui is not on PATH (TestMain should have put it there): %v", err)
	}
	bin, err = filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// signalPID sends sig to the process whose id pidFile holds, and returns the id.
func signalPID(t *testing.T, pidFile string, sig syscall.Signal) int {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%s %d: %v", unix.SignalName(sig), pid, err)
	}
	return pid
}

// TestTUIE2ESignals stops fresh terminal UIs with SIGTERM, SIGINT and SIGHUP,
// one signal each, over and over: every one must end within a bound, exit
// with 128 + the signal's number as a shell reports it, put the terminal back
// (the saved stty settings, the alternate screen left) and let go of the
// database, so that a restore over it succeeds at once. ctitui and
// bubbletea once both caught SIGTERM and SIGINT and deadlocked in about a
// third of the runs, leaving the UI frozen and the file open.
func TestTUIE2ESignals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many terminal UIs; not in -short")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		name := unix.SignalName(sig)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// A backup to restore over each UI's database once it is gone.
			base := filepath.Join(dir, "base.db")
			runCtitui(t, base, "user", "add", "--email", "signals@example.org", "--generate-password")
			backup := filepath.Join(dir, "base.bak")
			runCtitui(t, base, "backup", backup)

			hung := 0
			for i := range *signalRuns {
				t.Run(strconv.Itoa(i), func(t *testing.T) {
					if !stopTUIWith(t, dir, i, sig, backup) {
						hung++
					}
				})
			}
			t.Logf("%s: %d of %d terminal UIs did not end within %s", name, hung, *signalRuns, signalExitBound)
		})
	}
}

// stopTUIWith starts a terminal UI on a new database, sends it sig once it
// shows, and checks how it ended. It reports false when the UI did not end
// within signalExitBound (it is then killed).
func stopTUIWith(t *testing.T, dir string, run int, sig syscall.Signal, backup string) bool {
	t.Helper()
	dbPath := filepath.Join(dir, fmt.Sprintf("run%d.db", run))
	pidFile := filepath.Join(dir, fmt.Sprintf("run%d.pid", run))
	p := startPane(t, pidPaneCommand(t, pidFile, "--db", dbPath), "CTITUI_DB="+dbPath)
	p.waitFor("No users yet", 15*time.Second)
	pid := signalPID(t, pidFile, sig)

	deadline := time.Now().Add(signalExitBound)
	var s string
	for {
		s = trimScreen(p.screen())
		if strings.Contains(s, "TTY=") {
			break
		}
		if time.Now().After(deadline) {
			// Killed, so that neither it nor the file outlives the test.
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				t.Logf("kill -KILL %d: %v", pid, err)
			}
			t.Errorf("kill -%s: the terminal UI has not ended after %s; the pane shows:\n%s", unix.SignalName(sig), signalExitBound, s)
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantExit := fmt.Sprintf("EXITED=%d", 128+int(sig))
	wantLine := "ctitui: stopped by " + unix.SignalName(sig)
	if !strings.Contains(s, wantExit) || !strings.Contains(s, "TTY=restored") || !strings.Contains(s, wantLine) {
		t.Errorf("after kill -%s the pane shows:\n%s\nwant %q, %s and TTY=restored", unix.SignalName(sig), s, wantLine, wantExit)
	}
	if strings.Contains(s, "No users yet") {
		t.Errorf("after kill -%s the terminal UI is left on the screen:\n%s", unix.SignalName(sig), s)
	}
	// The file is let go: a restore, which holds it exclusively, succeeds.
	runCtitui(t, dbPath, "restore", backup, "--yes")
	return true
}

// TestCLIE2ESignalAtPrompt: a command waiting at a password prompt, with the
// terminal's echo off, stops at a signal, says which, exits with 128 + its
// number and turns echo back on. A SIGHUP once killed it there and left the
// terminal without echo.
func TestCLIE2ESignalAtPrompt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dbPath := filepath.Join(dir, "prompt.db")
			pidFile := filepath.Join(dir, "prompt.pid")
			p := startPane(t, pidPaneCommand(t, pidFile, "--db", dbPath, "user", "add", "--email", "prompt@example.org"), "CTITUI_DB="+dbPath)
			p.waitFor("Password:", 15*time.Second)
			signalPID(t, pidFile, sig)
			s := trimScreen(p.waitFor("TTY=", signalExitBound))
			wantExit := fmt.Sprintf("EXITED=%d", 128+int(sig))
			wantLine := "ctitui: stopped by " + unix.SignalName(sig)
			if !strings.Contains(s, wantExit) || !strings.Contains(s, "TTY=restored") || !strings.Contains(s, wantLine) {
				t.Errorf("after kill -%s at the prompt the pane shows:\n%s\nwant %q, %s and TTY=restored", unix.SignalName(sig), s, wantLine, wantExit)
			}
		})
	}
}

// trimScreen drops the blank lines and trailing spaces of a pane's screen,
// for failure messages.
func trimScreen(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
