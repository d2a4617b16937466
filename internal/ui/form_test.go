package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// fillRegister types email, password and confirm into the register form and
// leaves the focus on the role field.
func (h *harness) fillRegister(email, pw, confirm string) {
	h.t.Helper()
	h.press("n")
	h.requireScreen(screenRegister)
	h.typeText(email)
	h.press("tab")
	h.typeText(pw)
	h.press("tab")
	h.typeText(confirm)
	h.press("tab")
	if f := h.m.form.fields[h.m.form.focus]; f != fieldRole {
		h.t.Fatalf("after three tabs the focus is on field %d; want the role", f)
	}
}

// requireFieldError checks that the line right after the form's label line
// shows want, and that no other field shows an error.
func (h *harness) requireFieldError(field int, label, want string) {
	h.t.Helper()
	if got := h.m.form.errs[field]; !strings.Contains(got, want) {
		h.t.Errorf("error of field %s = %q; want it to contain %q", label, got, want)
	}
	for f, msg := range h.m.form.errs {
		if f != field && msg != "" {
			h.t.Errorf("field %d also shows an error: %q", f, msg)
		}
	}
	lines := strings.Split(h.view(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, "> "), label) })
	if i < 0 || i+1 >= len(lines) || !strings.Contains(lines[i+1], want) {
		h.t.Errorf("%q is not shown on the line after the %s field:\n%s", want, label, strings.Join(lines, "\n"))
	}
	if got := h.m.form.fields[h.m.form.focus]; got != field {
		h.t.Errorf("focus on field %d; want the field in error, %d", got, field)
	}
}

func TestRegister(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		e := newEnv(t)
		e.fixtures(t)
		h := newHarness(t, e, 80, 24)
		h.selectEmail("bob@example.org")
		h.press("F", "f") // filters that would hide the new user are cleared
		stamp := e.clock.Now()
		h.fillRegister("new.person@example.org", goodPassword, goodPassword)
		h.press("right") // analyst → viewer
		if v := h.view(); strings.Contains(v, goodPassword) {
			t.Errorf("the register form shows the password:\n%s", v)
		}
		h.press("enter")

		h.requireScreen(screenList)
		wantStatus := fmt.Sprintf("registered new.person@example.org (viewer) · created %s", stamp.Format("2006-01-02 15:04:05"))
		if !strings.HasPrefix(h.m.status, wantStatus) || h.m.statusError {
			t.Errorf("status = %q (error %v); want it to start %q", h.m.status, h.m.statusError, wantStatus)
		}
		if got := h.selected(); got != "new.person@example.org" {
			t.Errorf("selected %q; want the new user", got)
		}
		if h.m.list.status != 0 || h.m.list.role != 0 {
			t.Errorf("filters = status %s, role %s; want all after registering", statusChoices[h.m.list.status].name, roleName(roleChoices[h.m.list.role]))
		}
		u := e.get(t, "new.person@example.org")
		if got := user.JoinRoles(u.Roles); got != "viewer" {
			t.Errorf("roles = %s; want viewer", got)
		}
		if !u.CreatedAt.Equal(stamp) || !u.UpdatedAt.Equal(stamp) {
			t.Errorf("created, updated = %v, %v; want both %v", u.CreatedAt, u.UpdatedAt, stamp)
		}
		if h.m.list.count != 31 {
			t.Errorf("count = %d; want 31", h.m.list.count)
		}
		v := h.view()
		if lineWith(v, "> new.person@example.org") < 0 || lineWith(v, "registered new.person@example.org") < 0 {
			t.Errorf("the new user or the status line is not shown:\n%s", v)
		}
	})

	t.Run("duplicate email", func(t *testing.T) {
		e := newEnv(t)
		e.fixtures(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("Ana@Example.org", goodPassword, goodPassword)
		h.press("enter")
		h.requireScreen(screenRegister)
		h.requireFieldError(fieldEmail, "Email", "already exists")
		f := &h.m.form
		if f.inputs[fieldEmail].Value() != "Ana@Example.org" || f.inputs[fieldPassword].Value() != goodPassword || f.inputs[fieldConfirm].Value() != goodPassword {
			t.Errorf("typed values lost: %q, %q, %q", f.inputs[fieldEmail].Value(), f.inputs[fieldPassword].Value(), f.inputs[fieldConfirm].Value())
		}
		if f.submitting {
			t.Error("still submitting after the error")
		}
		if n := len(e.listing(t, user.ListOptions{})); n != 30 {
			t.Errorf("%d users; want 30", n)
		}
		// Fixing the email clears its error and registers.
		h.press("end")
		h.typeText("x")
		if f.errs[fieldEmail] != "" {
			t.Errorf("typing did not clear the email error %q", f.errs[fieldEmail])
		}
		h.press("tab", "tab", "tab", "enter")
		h.requireScreen(screenList)
		if got := h.selected(); got != "Ana@Example.orgx" {
			t.Errorf("selected %q after fixing the email; want Ana@Example.orgx", got)
		}
	})

	t.Run("invalid email", func(t *testing.T) {
		e := newEnv(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("not-an-email", goodPassword, goodPassword)
		h.press("enter")
		h.requireScreen(screenRegister)
		h.requireFieldError(fieldEmail, "Email", "")
		if h.m.form.errs[fieldEmail] == "" {
			t.Error("no error beside the email")
		}
	})

	t.Run("weak password", func(t *testing.T) {
		e := newEnv(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("weak@example.org", "short", "short")
		h.press("enter")
		h.requireScreen(screenRegister)
		h.requireFieldError(fieldPassword, "Password", "too short")
		if h.m.form.inputs[fieldEmail].Value() != "weak@example.org" {
			t.Errorf("email lost: %q", h.m.form.inputs[fieldEmail].Value())
		}
	})

	t.Run("mismatched confirm", func(t *testing.T) {
		e := newEnv(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("typo@example.org", goodPassword, goodPassword+"!")
		h.press("enter")
		h.requireScreen(screenRegister)
		h.requireFieldError(fieldConfirm, "Confirm", user.ErrPasswordMismatch.Error())
	})

	t.Run("esc cancels", func(t *testing.T) {
		e := newEnv(t)
		e.fixtures(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("gone@example.org", goodPassword, goodPassword)
		h.press("esc", "y") // discard what was typed
		h.requireScreen(screenList)
		if h.m.status != "cancelled" {
			t.Errorf("status = %q; want cancelled", h.m.status)
		}
		if _, err := e.svc.Get(context.Background(), "gone@example.org"); !errors.Is(err, user.ErrNotFound) {
			t.Errorf("Get after cancel: %v; want not found", err)
		}
	})

	t.Run("role choice", func(t *testing.T) {
		e := newEnv(t)
		h := newHarness(t, e, 80, 24)
		h.fillRegister("roles@example.org", goodPassword, goodPassword)
		if got := user.Roles[h.m.form.role]; got != user.RoleAnalyst {
			t.Fatalf("preselected role %s; want analyst", got)
		}
		for _, step := range []struct {
			key  string
			want user.Role
		}{
			{"left", user.RoleAdmin},
			{"left", user.RoleViewer}, // wraps
			{"right", user.RoleAdmin},
			{"l", user.RoleAnalyst},
			{"space", user.RoleViewer},
			{"h", user.RoleAnalyst},
			{"left", user.RoleAdmin},
		} {
			h.press(step.key)
			if got := user.Roles[h.m.form.role]; got != step.want {
				t.Fatalf("after %s: role %s; want %s", step.key, got, step.want)
			}
		}
		if v := h.view(); lineWith(v, "←/→ to choose") < 0 {
			t.Errorf("the role field does not say how to choose:\n%s", v)
		}
		h.press("enter")
		h.requireScreen(screenList)
		if got := user.JoinRoles(e.get(t, "roles@example.org").Roles); got != "admin" {
			t.Errorf("registered with roles %s; want admin", got)
		}
	})
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")
	h.press("p")
	h.requireScreen(screenPassword)
	if v := h.view(); !strings.Contains(v, "Set a new password for bob@example.org") {
		t.Errorf("the password form does not name the user:\n%s", v)
	}
	h.typeText("short")
	h.press("tab")
	h.typeText("short")
	h.press("enter")
	h.requireScreen(screenPassword)
	h.requireFieldError(fieldPassword, "Password", "too short")

	const newPassword = "a much better passphrase here"
	for range "short" {
		h.press("backspace")
	}
	h.typeText(newPassword)
	h.press("tab")
	for range "short" {
		h.press("backspace")
	}
	h.typeText(newPassword)
	later := e.clock.Advance(time.Hour)
	h.press("enter")
	h.requireScreen(screenList)
	want := "password changed for bob@example.org · updated " + later.Format("2006-01-02 15:04:05")
	if h.m.status != want {
		t.Errorf("status = %q; want %q", h.m.status, want)
	}
	if _, err := e.svc.Verify(context.Background(), "bob@example.org", newPassword); err != nil {
		t.Errorf("Verify with the new password: %v", err)
	}
}

// TestKeysWaitWhileHashing: while the password is hashed the form shows a
// spinner and ignores keys, so nothing typed then is lost or half-applied.
func TestKeysWaitWhileHashing(t *testing.T) {
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	h.fillRegister("slow@example.org", goodPassword, goodPassword)
	_, pending := h.m.Update(keyMsg("enter"))
	if !h.m.form.submitting || !strings.Contains(h.view(), "hashing the password") {
		t.Fatalf("submitting %v; want the spinner shown:\n%s", h.m.form.submitting, h.view())
	}
	h.press("esc", "tab", "x")
	h.requireScreen(screenRegister)
	if got := h.m.form.fields[h.m.form.focus]; got != fieldRole {
		t.Errorf("a key moved the focus while hashing, to field %d", got)
	}
	h.run(pending)
	h.requireScreen(screenList)
	if h.selected() != "slow@example.org" {
		t.Errorf("selected %q; want the new user", h.selected())
	}
}

// TestFormFollowsKeyMap: the form moves between fields with the KeyMap's
// NextField and PrevField, the bindings its help shows, so the two cannot
// drift apart.
func TestFormFollowsKeyMap(t *testing.T) {
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	h.press("n")
	for _, step := range []struct {
		key  string
		want int
	}{{"tab", 1}, {"down", 2}, {"shift+tab", 1}, {"up", 0}, {"up", 3}} {
		h.press(step.key)
		if h.m.form.focus != step.want {
			t.Fatalf("default keys, after %s: focus %d; want %d", step.key, h.m.form.focus, step.want)
		}
	}
	h.press("esc")

	h.m.keys.NextField = key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "next field"))
	h.m.keys.PrevField = key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("ctrl+p", "previous field"))
	h.press("n")
	h.send(tea.KeyMsg{Type: tea.KeyCtrlN})
	if h.m.form.focus != 1 {
		t.Errorf("rebound NextField: focus %d; want 1", h.m.form.focus)
	}
	h.press("tab")
	if h.m.form.focus != 1 {
		t.Errorf("tab, no longer bound, moved the focus to %d", h.m.form.focus)
	}
	h.send(tea.KeyMsg{Type: tea.KeyCtrlP})
	if h.m.form.focus != 0 {
		t.Errorf("rebound PrevField: focus %d; want 0", h.m.form.focus)
	}
	if v := h.view(); !strings.Contains(v, "ctrl+n") {
		t.Errorf("the help does not show the rebound key:\n%s", v)
	}
}

// TestEscAsksBeforeDiscarding: Esc on a form that holds what the user typed
// or chose asks before throwing it away; on an untouched form it goes back
// at once.
func TestEscAsksBeforeDiscarding(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)

	h.press("n", "esc")
	h.requireScreen(screenList)

	for _, tt := range []struct {
		name string
		open []string
		fill func()
		back screen
	}{
		{"typed email", []string{"n"}, func() { h.typeText("half.typed@exa") }, screenList},
		{"chosen role", []string{"n", "up"}, func() { h.press("right") }, screenList},
		{"typed password", []string{"p"}, func() { h.typeText("a new pass") }, screenList},
		{"password from details", []string{"enter", "p"}, func() { h.typeText("x") }, screenDetails},
	} {
		h.selectEmail("bob@example.org")
		h.press(tt.open...)
		form := h.m.screen
		tt.fill()
		typed := slices.Clone(h.m.form.inputs[:])
		role := h.m.form.role
		h.press("esc")
		h.requireScreen(form)
		if v := h.view(); lineWith(v, "Discard") < 0 {
			t.Fatalf("%s: esc does not ask before discarding:\n%s", tt.name, v)
		}
		if help := helpLine(h.view()); !strings.Contains(help, "y discard") || !strings.Contains(help, "n keep editing") {
			t.Errorf("%s: the help while asking is %q", tt.name, help)
		}
		for _, k := range []string{"n", "esc"} {
			h.press(k)
			h.requireScreen(form)
			if lineWith(h.view(), "Discard") >= 0 {
				t.Errorf("%s: %s does not take the question away", tt.name, k)
			}
			for i := range typed {
				if got := h.m.form.inputs[i].Value(); got != typed[i].Value() {
					t.Errorf("%s: after %s field %d holds %q; want %q kept", tt.name, k, i, got, typed[i].Value())
				}
			}
			if h.m.form.role != role {
				t.Errorf("%s: after %s the role changed", tt.name, k)
			}
			h.press("esc")
		}
		// While asking, keys other than the answers type nothing.
		h.press("x")
		if lineWith(h.view(), "Discard") < 0 {
			t.Errorf("%s: x ended the question", tt.name)
		}
		h.press("y")
		h.requireScreen(tt.back)
		if h.m.status != "cancelled" {
			t.Errorf("%s: status %q; want cancelled", tt.name, h.m.status)
		}
		if tt.back == screenDetails {
			h.press("esc")
		}
	}
	if n := len(e.listing(t, user.ListOptions{})); n != 30 {
		t.Errorf("%d users after discarding; want 30", n)
	}
}
