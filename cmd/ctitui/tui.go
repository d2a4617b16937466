package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/ctitui/ctitui/internal/ui"
)

// runTUI opens the terminal UI on the database. It needs a terminal on
// stdin and stdout; without one it says so and exits with the usage code.
func (a *app) runTUI(ctx context.Context, notices []string) error {
	in, out, err := a.terminal()
	if err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	notices = append(notices, a.notices...)
	model := ui.New(svc, ui.Options{
		DBPath:        a.store.Location(),
		SchemaVersion: a.store.SchemaVersion(),
		DataVersion:   a.store.DataVersion,
		Notice:        strings.Join(notices, " · "),
		AuditChain: func(ctx context.Context) (ui.ChainState, error) {
			rep, err := a.store.VerifyAuditChain(ctx)
			state := ui.ChainState{Entries: rep.Rows}
			switch {
			case !rep.OK():
				state.Problem = rep.String()
			case len(rep.Restarts) > 0:
				state.RestartedAt = rep.Restarts[len(rep.Restarts)-1].ID
			}
			return state, err
		},
		Output: out, // y copies an email with OSC 52, written here
	})
	if ctx.Err() != nil {
		return context.Cause(ctx) // stopped while the database opened
	}
	_, err = tuiProgram(ctx, model, in, out).Run()
	switch {
	case ctx.Err() != nil:
		// Stopped by a signal (see withSignals): say which.
		return context.Cause(ctx)
	case err != nil && model.Err() == nil:
		return fmt.Errorf("terminal UI: %w", err)
	}
	return model.Err()
}

// tuiProgram is the terminal UI's program on in and out. It ends when ctx
// does. Signals are ctitui's alone (see withSignals), so bubbletea's own
// handler stays off: with both, a SIGTERM or SIGINT could leave the program
// waiting forever on itself, its terminal in raw mode and the database open.
func tuiProgram(ctx context.Context, model tea.Model, in, out *os.File) *tea.Program {
	return tea.NewProgram(model, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithoutSignalHandler(),
		tea.WithInput(in), tea.WithOutput(out))
}

// terminal returns stdin and stdout when both are terminals.
func (a *app) terminal() (in, out *os.File, err error) {
	in, inOK := a.stdin.(*os.File)
	out, outOK := a.rawStdout.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil, nil, usagef("the terminal UI needs a terminal; for scripts use the commands listed by 'ctitui --help'")
	}
	return in, out, nil
}
