package ui

import (
	"errors"
	"io"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// errNoTerminal is why y cannot copy when the program has no terminal to
// write to (Options.Output is nil).
var errNoTerminal = errors.New("no terminal to send it to")

// copyEmail copies u's email to the clipboard of the terminal the person
// sits at, with an OSC 52 sequence written to Options.Output. The terminal
// does the copying, so it works over SSH, where no clipboard program could;
// a terminal that does not allow OSC 52 ignores it, and nothing can tell.
//
// What is copied is what shows: the email made safe by textsafe, so that
// an email holding escapes or a newline from a hostile database is pasted
// as the visible text, never run by the shell it is pasted into.
//
// The sequence is written straight to the terminal from a command: bubbletea
// v1 has no command for it (tea.Printf prints above the program and only
// outside the alternate screen), and an OSC sequence moves no cursor, so it
// does not disturb the frames the renderer draws around it.
func (m *Model) copyEmail(u user.User) tea.Cmd {
	text := textsafe.Line(u.Email)
	out := m.opts.Output
	if out == nil {
		return func() tea.Msg { return copiedMsg{text: text, err: errNoTerminal} }
	}
	seq := clipboardSequence(text, m.opts.Getenv)
	return func() tea.Msg {
		_, err := io.WriteString(out, seq)
		return copiedMsg{text: text, err: err}
	}
}

// clipboardSequence is the OSC 52 sequence that sets the system clipboard
// to text, for the terminal getenv describes. Inside tmux the plain
// sequence reaches tmux's own clipboard handling (set-clipboard on), and a
// copy wrapped for passthrough reaches the outer terminal
// (allow-passthrough on): both are sent, as either may be what is set up.
// Inside GNU screen, which passes on no OSC 52 itself, the sequence is
// wrapped in screen's passthrough.
func clipboardSequence(text string, getenv func(string) string) string {
	seq := ansi.SetSystemClipboard(text)
	switch {
	case getenv("TMUX") != "":
		return seq + "\x1bPtmux;" + strings.ReplaceAll(seq, "\x1b", "\x1b\x1b") + "\x1b\\"
	case getenv("STY") != "" || strings.HasPrefix(getenv("TERM"), "screen"):
		return "\x1bP" + seq + "\x1b\\"
	}
	return seq
}
