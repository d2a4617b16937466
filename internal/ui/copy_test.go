package ui

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestCopyEmail: y sends the selected email to the terminal's clipboard as
// an OSC 52 sequence (which works over SSH), wrapped for tmux or screen
// when the program runs inside them, and says so.
func TestCopyEmail(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	plantEvil(t, e)
	osc := func(text string) string {
		return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want func(string) string
	}{
		{"plain", map[string]string{"TERM": "xterm-256color"}, osc},
		{"tmux", map[string]string{"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"}, func(s string) string {
			return osc(s) + "\x1bPtmux;" + strings.ReplaceAll(osc(s), "\x1b", "\x1b\x1b") + "\x1b\\"
		}},
		{"screen", map[string]string{"TERM": "screen.xterm-256color", "STY": "1234.pts-0.host"}, func(s string) string {
			return "\x1bP" + osc(s) + "\x1b\\"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, e, 80, 24)
			var out bytes.Buffer
			h.m.opts.Output = &out
			h.m.opts.Getenv = func(k string) string { return tt.env[k] }
			h.selectEmail("hanako@example.org")
			h.press("y")
			if got, want := out.String(), tt.want("hanako@example.org"); got != want {
				t.Errorf("y wrote %q; want %q", got, want)
			}
			if !strings.Contains(h.view(), "copied hanako@example.org") || h.m.statusError {
				t.Errorf("the status line does not say what was copied:\n%s", h.view())
			}

			// From the details, the user they show.
			out.Reset()
			h.selectEmail("bob@example.org")
			h.press("enter", "y")
			if got, want := out.String(), tt.want("bob@example.org"); got != want {
				t.Errorf("y in the details wrote %q; want %q", got, want)
			}
			h.press("esc")

			// What is copied is what shows: an email with escapes copies
			// as the visible text, never as the escapes themselves.
			out.Reset()
			h.selectEmail(evilEmail)
			h.press("y")
			if got, want := out.String(), tt.want(`evil\x1b[2J\x1b]0;pwned\x07\u202e@example.org`); got != want {
				t.Errorf("y on the hostile email wrote %q; want %q", got, want)
			}
			requireSafe(t, "status after copying", h.view(), 80)
		})
	}

	// Without a terminal to write to, y says it cannot copy.
	h := newHarness(t, e, 80, 24)
	h.press("y")
	if !h.m.statusError || !strings.Contains(h.m.status, "copy") {
		t.Errorf("y without an output: status %q (error %v); want an error", h.m.status, h.m.statusError)
	}
}
