//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// signalHelperEnv makes TestSignalHelper, run in a child process, do what
// its value says.
const signalHelperEnv = "CTITUI_SIGNAL_HELPER"

// TestSignalHelper is not a test: run in a child process by the tests below,
// it takes the signals as ctitui does (withSignals), sends itself one and
// says on stdout what came of it. Its own process can die of a signal there
// without taking the test binary with it.
func TestSignalHelper(t *testing.T) {
	mode := os.Getenv(signalHelperEnv)
	if mode == "" {
		t.Skip("run by the signal tests in a child process")
	}
	os.Exit(signalHelperRun(mode))
}

// signalHelperRun is TestSignalHelper's work in mode, and its exit code.
func signalHelperRun(mode string) int {
	if mode == "tui" {
		// No withSignals: the terminal UI's program alone, which must
		// not take a SIGTERM for itself.
		in, _, err := os.Pipe()
		if err != nil {
			fmt.Println("PIPE", err)
			return 3
		}
		out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			fmt.Println("OPEN", err)
			return 3
		}
		_, err = tuiProgram(context.Background(), selfKiller{}, in, out).Run()
		fmt.Println("TAKEN BY THE TERMINAL UI:", err)
		return 0
	}
	ctx, stop := withSignals(context.Background())
	defer stop()
	sig := syscall.SIGTERM
	if mode == "ignored" {
		sig = syscall.SIGHUP
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		fmt.Println("KILL", err)
		return 3
	}
	wait := 5 * time.Second
	if mode == "ignored" {
		wait = 300 * time.Millisecond // a signal taken arrives in microseconds
	}
	select {
	case <-ctx.Done():
		fmt.Println("CAUSE", context.Cause(ctx))
	case <-time.After(wait):
		fmt.Println("NOT STOPPED")
	}
	if mode == "second" {
		// The first one was taken: this one must end the process.
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			fmt.Println("KILL", err)
		}
		time.Sleep(5 * time.Second)
		fmt.Println("SURVIVED A SECOND SIGNAL")
	}
	return 0
}

// signalHelper runs TestSignalHelper in mode, through sh with prefix first
// (a trap, say), and returns its stdout and how it ended.
func signalHelper(t *testing.T, mode, prefix string) (string, *os.ProcessState) {
	t.Helper()
	c := exec.Command("sh", "-c", prefix+`exec "$0" "$@"`, os.Args[0], "-test.run=^TestSignalHelper$", "-test.count=1")
	c.Env = append(os.Environ(), signalHelperEnv+"="+mode)
	var out strings.Builder
	c.Stdout = &out
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run the helper: %v", err)
	}
	return out.String(), c.ProcessState
}

// TestWithSignals: the first SIGTERM ends the context, with the signal as its
// cause (which names it and gives the exit code 143), and does not end the
// process.
func TestWithSignals(t *testing.T) {
	out, st := signalHelper(t, "first", "")
	if !strings.Contains(out, "CAUSE stopped by SIGTERM") || st.ExitCode() != 0 {
		t.Errorf("after one SIGTERM: exit %v, stdout %q; want exit 0 and \"CAUSE stopped by SIGTERM\"", st, out)
	}
	if got := (signalError{syscall.SIGTERM}).exitCode(); got != 143 {
		t.Errorf("exit code after SIGTERM = %d; want 143", got)
	}
}

// TestWithSignalsSecondSignalKills: once the first signal is taken, a second
// one ends the process at once, the way out if stopping ever hangs.
func TestWithSignalsSecondSignalKills(t *testing.T) {
	out, st := signalHelper(t, "second", "")
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM || !strings.Contains(out, "CAUSE stopped by SIGTERM") {
		t.Errorf("after two SIGTERMs: %v, stdout %q; want the first taken, then death by SIGTERM", st, out)
	}
}

// TestWithSignalsKeepsIgnored: a signal ignored when ctitui starts (nohup
// ignores SIGHUP) stays ignored; catching it would end a command that nohup
// was meant to keep running after a logout.
func TestWithSignalsKeepsIgnored(t *testing.T) {
	out, st := signalHelper(t, "ignored", `trap "" HUP; `)
	if !strings.Contains(out, "NOT STOPPED") || st.ExitCode() != 0 {
		t.Errorf("SIGHUP, ignored from the start: %v, stdout %q; want it ignored (NOT STOPPED, exit 0)", st, out)
	}
}

// selfKiller is a terminal UI model that sends its process a SIGTERM once the
// program runs.
type selfKiller struct{}

func (selfKiller) Init() tea.Cmd {
	return func() tea.Msg {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			fmt.Println("KILL", err)
		}
		return nil
	}
}
func (m selfKiller) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (selfKiller) View() string                          { return "" }

// TestTUIProgramLeavesSignalsToCtitui: the terminal UI's program does not
// catch signals itself (withSignals does, for all of ctitui): alone, it dies
// of a SIGTERM. Two handlers of the same signal once deadlocked it.
func TestTUIProgramLeavesSignalsToCtitui(t *testing.T) {
	out, st := signalHelper(t, "tui", "")
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("a SIGTERM to the terminal UI's program alone: %v, stdout %q; want death by SIGTERM, nobody else taking it", st, out)
	}
}
