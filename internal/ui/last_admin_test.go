package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/user"
)

// TestLastAdminRefusedInTheDialogs: demoting, disabling or deleting the only
// enabled admin from the TUI is refused. The status line shows the error;
// the dialog stays open and shows it whole, with the way forward, even at
// 80 columns; the admin is as before.
func TestLastAdminRefusedInTheDialogs(t *testing.T) {
	const (
		refusal = "the last enabled admin cannot be deleted, disabled or demoted"
		way     = "make another user an admin first ('ctitui user set-role EMAIL --role admin') or enable a disabled admin ('ctitui user enable EMAIL')"
	)
	for _, tc := range []struct {
		name   string
		open   string
		screen screen
		act    func(h *harness)
	}{
		// The cursor starts on admin: uncheck it, check analyst, save.
		{"demote", "e", screenRoles, func(h *harness) { h.press("space", "down", "space", "enter") }},
		{"disable", "d", screenConfirmDisable, func(h *harness) { h.press("y") }},
		{"delete", "x", screenConfirmDelete, func(h *harness) { h.typeText("root@example.org"); h.press("enter") }},
	} {
		for _, from := range []screen{screenList, screenDetails} {
			e := newEnv(t)
			e.register(t, "root@example.org", user.RoleAdmin)
			e.register(t, "ana@example.org")
			h := newHarness(t, e, 80, 24)
			h.selectEmail("root@example.org")
			if from == screenDetails {
				h.press("enter")
			}
			h.press(tc.open)
			h.requireScreen(tc.screen)
			tc.act(h)
			h.requireScreen(tc.screen)
			if !h.m.statusError || !strings.HasPrefix(h.m.status, refusal+": root@example.org is the only one") {
				t.Errorf("%s from %d: status = %q (error %v); want the refusal", tc.name, from, h.m.status, h.m.statusError)
			}
			lines := strings.Split(h.view(), "\n")
			if status := lines[len(lines)-2]; !strings.HasPrefix(status, "error: "+refusal) {
				t.Errorf("%s from %d: status line = %q; want it to start with the refusal", tc.name, from, status)
			}
			// The body, every line but the status line and the help, read
			// as words: the reason and the way forward, not cut off.
			body := strings.Join(strings.Fields(strings.Join(lines[:len(lines)-2], " ")), " ")
			if !strings.Contains(body, refusal) || !strings.Contains(body, way) {
				t.Errorf("%s from %d: the dialog does not show the whole refusal:\n%s", tc.name, from, h.view())
			}
			if u := e.get(t, "root@example.org"); u.Disabled() || user.JoinRoles(u.Roles) != "admin" {
				t.Errorf("%s from %d: root after the refusal: disabled %v, roles %v; want an enabled admin", tc.name, from, u.Disabled(), u.Roles)
			}
			if h.m.roles.busy || h.m.confirm.busy {
				t.Errorf("%s from %d: still busy after the refusal", tc.name, from)
			}
			h.escape()
			h.requireScreen(from)
		}
	}
}

// TestParagraph: an error is wrapped at spaces only, so that a command it
// advises stays whole on its line; a word wider than the line, or of wide
// characters, is cut across lines within the width; escapes are made safe.
func TestParagraph(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"make one an admin ('ctitui user set-role EMAIL --role admin')", 24,
			"make one an admin\n('ctitui user set-role\nEMAIL --role admin')"},
		{"a   b  c", 80, "a b c"},
		{"an-address-longer-than-the-line@example.org fails", 16,
			"an-address-longe\nr-than-the-line@\nexample.org\nfails"},
		{"管理者 がいません", 6, "管理者\nがいま\nせん"},
		{"x\x1b[2Jy\tz", 80, `x\x1b[2Jy\x09z`},
		{"anything", 0, ""},
	} {
		got := paragraph(tt.in, tt.width)
		if got != tt.want {
			t.Errorf("paragraph(%q, %d) = %q; want %q", tt.in, tt.width, got, tt.want)
		}
		for _, line := range strings.Split(got, "\n") {
			if w := ansi.StringWidth(line); w > tt.width || strings.ContainsRune(line, '\x1b') {
				t.Errorf("paragraph(%q, %d): line %q is %d wide or holds an escape", tt.in, tt.width, line, w)
			}
		}
	}
}
