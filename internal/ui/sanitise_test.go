package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/ctitui/ctitui/internal/user"
)

// evilEmail holds a clear-screen, a window-title change ended by BEL, and a
// right-to-left override.
const evilEmail = "evil\x1b[2J\x1b]0;pwned\x07\u202e@example.org"

// plantEvil registers a user, then rewrites it through raw SQL the way a
// hostile or careless tool might: an email with terminal escapes, an
// unassignable role with escapes, and an audit entry with escapes.
func plantEvil(t *testing.T, e *env) user.User {
	t.Helper()
	u := e.register(t, "evil@example.org", user.RoleAnalyst)
	d := rawDB(t, e.path)
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE users SET email = ?, email_normalized = ?, updated_at = updated_at WHERE id = ?`,
			[]any{evilEmail, user.NormalizeEmail(evilEmail), u.ID}},
		{`INSERT INTO roles (name) VALUES (?)`, []any{"ops\x1b[31m\u202e"}},
		{`INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE name = ?`, []any{u.ID, "ops\x1b[31m\u202e"}},
		{`INSERT INTO audit_log (at, actor, action, user_id, user_email, details) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{"2026-03-01T10:00:00.000Z", "mallory\x1b[5m", "register\x07", u.ID, evilEmail, "details\x1b]8;;http://x\x07link\x1b]8;;\x07"}},
	} {
		if _, err := d.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return u
}

// requireSafe fails if view holds an escape, a BEL or a bidi override, or a
// line wider than width. With the Ascii profile the styles draw no escapes,
// so any would have come from the data.
func requireSafe(t *testing.T, what, view string, width int) {
	t.Helper()
	if i := strings.IndexAny(view, "\x1b\x07\u202e"); i >= 0 {
		t.Errorf("%s: the view holds a raw control character at byte %d: %q", what, i, view[max(i-20, 0):min(i+20, len(view))])
	}
	for i, l := range strings.Split(view, "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%s: line %d is %d columns wide; want at most %d: %q", what, i, w, width, l)
		}
	}
}

func TestDatabaseTextIsSanitised(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	e.fixtures(t)
	u := plantEvil(t, e)
	long := strings.Repeat("l", 60) + "@" + strings.Repeat("d", 60) + ".example.org"
	e.register(t, long)
	const width = 80
	h := newHarness(t, e, width, 24)

	v := h.view()
	requireSafe(t, "list", v, width)
	if lineWith(v, `evil\x1b[2J`) < 0 {
		t.Errorf("the escaped email is not shown as visible text:\n%s", v)
	}
	if i := lineWith(v, "llllllllll"); i < 0 || !strings.Contains(strings.Split(v, "\n")[i], "…") || strings.Contains(v, long) {
		t.Errorf("the long email is not cut with …:\n%s", v)
	}

	h.selectEmail(evilEmail)
	for _, s := range []struct {
		name string
		keys []string
	}{
		{"details", []string{"enter"}},
		{"roles", []string{"e"}},
		{"password", []string{"p"}},
		{"disable", []string{"d"}},
		{"delete", []string{"x"}},
		{"audit", []string{"a"}},
		{"audit search", []string{"a", "/", "m", "a", "l"}},
	} {
		h.press(s.keys...)
		v := h.view()
		requireSafe(t, s.name, v, width)
		if s.name == "details" && (!strings.Contains(v, u.ID) || !strings.Contains(v, `\u202e`)) {
			t.Errorf("details do not show the user with visible escapes:\n%s", v)
		}
		if strings.HasPrefix(s.name, "audit") && lineWith(v, `mallory\x1b`) < 0 {
			t.Errorf("%s: the planted entry is not shown:\n%s", s.name, v)
		}
		h.press("esc", "esc")
		h.requireScreen(screenList)
	}

	h.selectEmail(long)
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "…") {
		t.Errorf("details do not cut the long email:\n%s", v)
	}
	requireSafe(t, "details of the long email", h.view(), width)
}

// TestStatusLineIsSanitised: the status line repeats emails read back from
// the database ("X disabled", "deleted X", "user not found: X"), so it must
// be made safe like every other text from the database.
func TestStatusLineIsSanitised(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	e.fixtures(t)
	plantEvil(t, e)
	h := newHarness(t, e, 80, 24)
	h.selectEmail(evilEmail)
	h.press("d", "y")
	if !strings.Contains(h.m.status, "disabled") {
		t.Fatalf("status = %q; want the user disabled", h.m.status)
	}
	requireSafe(t, "status after disabling", h.view(), 80)
}

// TestErrorTextIsSanitised: errors quote emails read back from the database
// (a NotFoundError carries one), and the chain check quotes what it found:
// wherever they are drawn, escapes must show as text.
func TestErrorTextIsSanitised(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	plantEvil(t, e)
	const width = 80
	h := newHarness(t, e, width, 24)
	h.selectEmail(evilEmail)
	if _, err := e.svc.Delete(context.Background(), evilEmail); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		act  func()
		err  func() string
	}{
		{"password form", func() {
			h.press("p")
			h.typeText(goodPassword)
			h.press("tab")
			h.typeText(goodPassword)
			h.press("enter")
		}, func() string { return h.m.form.formErr }},
		{"roles", func() { h.press("e", "space", "enter") }, func() string { return h.m.roles.err }},
		{"disable", func() { h.press("d", "y") }, func() string { return h.m.confirm.err }},
	} {
		s.act()
		if !strings.Contains(s.err(), "not found") {
			t.Fatalf("%s: error %q; want user not found", s.name, s.err())
		}
		requireSafe(t, s.name, h.view(), width)
		h.escape()
		h.requireScreen(screenList)
	}

	h.m.opts.AuditChain = func(context.Context) (ChainState, error) {
		return ChainState{Problem: "audit chain: entry #7 by mallory\x1b[2J\x07 was changed"}, nil
	}
	h.press("a")
	requireSafe(t, "audit chain problem", h.view(), width)
	h.send(chainMsg{err: errors.New("read \x1b]0;pwned\x07 failed")})
	requireSafe(t, "audit chain error", h.view(), width)
	h.press("esc")

	h.m.opts.DBPath = "/tmp/\x1b[2J\u202e.db"
	requireSafe(t, "list title", h.view(), width)
}
