package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// TestDeleteConfirmedByID: the delete dialog takes the user's id as well as
// the email, as the CLI's user delete does (user.ConfirmsDelete).
func TestDeleteConfirmedByID(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")
	bob := e.get(t, "bob@example.org")

	h.press("x")
	h.requireScreen(screenConfirmDelete)
	if v := h.view(); !strings.Contains(v, "Type the email or the id") || !strings.Contains(v, bob.ID) {
		t.Errorf("the dialog does not offer the id:\n%s", v)
	}
	h.typeText(bob.ID[:8]) // a prefix is not the id
	h.press("enter")
	h.requireScreen(screenConfirmDelete)
	e.get(t, "bob@example.org")

	h.typeText(bob.ID[8:])
	h.press("enter")
	h.requireScreen(screenList)
	if _, err := e.svc.Get(context.Background(), "bob@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get after delete by id: %v; want not found", err)
	}
}

func TestRolesEditor(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	before := e.get(t, "bob@example.org")
	if got := user.JoinRoles(before.Roles); got != "admin" {
		t.Fatalf("fixture: bob has roles %s; want admin", got)
	}
	h.selectEmail("bob@example.org")
	h.press("e")
	h.requireScreen(screenRoles)
	v := h.view()
	for _, want := range []string{"Roles of bob@example.org", "[x] admin", "[ ] analyst", "[ ] viewer"} {
		if !strings.Contains(v, want) {
			t.Errorf("the roles editor does not show %q:\n%s", want, v)
		}
	}

	// Unchecking every role is refused on the spot.
	h.press("space")
	h.press("enter")
	h.requireScreen(screenRoles)
	if v := h.view(); !strings.Contains(v, "at least one role") {
		t.Errorf("no roles: no error shown:\n%s", v)
	}

	later := e.clock.Advance(time.Hour)
	h.press("down", "x", "tab", "space") // analyst and viewer
	if v := h.view(); !strings.Contains(v, "[ ] admin") || !strings.Contains(v, "[x] analyst") || !strings.Contains(v, "[x] viewer") {
		t.Errorf("toggles not shown:\n%s", v)
	}
	h.press("enter")
	h.requireScreen(screenList)
	after := e.get(t, "bob@example.org")
	if got := user.JoinRoles(after.Roles); got != "analyst,viewer" {
		t.Errorf("saved roles %s; want analyst,viewer", got)
	}
	if !after.UpdatedAt.Equal(later) || !after.UpdatedAt.After(before.UpdatedAt) || !after.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("created, updated = %v, %v; want %v, %v", after.CreatedAt, after.UpdatedAt, before.CreatedAt, later)
	}
	want := "bob@example.org now has roles analyst,viewer · updated " + later.Format("2006-01-02 15:04:05")
	if h.m.status != want {
		t.Errorf("status = %q; want %q", h.m.status, want)
	}
	if h.selected() != "bob@example.org" {
		t.Errorf("selected %q; want bob kept selected", h.selected())
	}
	// At 80 columns the list shows dates only: widen it to see the time.
	h.send(tea.WindowSizeMsg{Width: 120, Height: 24})
	row := strings.Split(h.view(), "\n")[lineWith(h.view(), "> bob@example.org")]
	if !strings.Contains(row, "analyst,viewer") || !strings.Contains(row, later.Format("2006-01-02 15:04")) {
		t.Errorf("bob's row %q does not show the new roles and update time", row)
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})

	// From details, the editor returns to details, which show the change.
	e.clock.Advance(time.Hour)
	h.press("enter", "e", "space", "enter") // add admin
	h.requireScreen(screenDetails)
	v = h.view()
	if !strings.Contains(v, "admin,analyst,viewer") || lineWith(v, "set-roles") < 0 {
		t.Errorf("details after editing roles:\n%s", v)
	}

	// Esc leaves without saving.
	h.press("e", "space", "esc")
	h.requireScreen(screenDetails)
	if got := user.JoinRoles(e.get(t, "bob@example.org").Roles); got != "admin,analyst,viewer" {
		t.Errorf("after esc, roles %s; want unchanged", got)
	}
}

func TestDisableAndEnable(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")

	h.press("d")
	h.requireScreen(screenConfirmDisable)
	if v := h.view(); !strings.Contains(v, "Disable bob@example.org?") {
		t.Errorf("the dialog does not ask:\n%s", v)
	}
	h.press("n")
	h.requireScreen(screenList)
	if e.get(t, "bob@example.org").Disabled() {
		t.Fatal("n disabled the user")
	}

	later := e.clock.Advance(time.Hour)
	h.press("d", "y")
	h.requireScreen(screenList)
	want := "bob@example.org disabled · updated " + later.Format("2006-01-02 15:04:05")
	if h.m.status != want {
		t.Errorf("status = %q; want %q", h.m.status, want)
	}
	if u := e.get(t, "bob@example.org"); !u.Disabled() || !u.UpdatedAt.Equal(later) {
		t.Errorf("bob: disabled %v, updated %v; want disabled at %v", u.Disabled(), u.UpdatedAt, later)
	}
	v := h.view()
	if i := lineWith(v, "> bob@example.org"); i < 0 || !strings.Contains(strings.Split(v, "\n")[i], "disabled") {
		t.Errorf("bob's row does not say disabled:\n%s", v)
	}

	h.press("d")
	if v := h.view(); !strings.Contains(v, "Enable bob@example.org?") {
		t.Errorf("the dialog for a disabled user does not offer to enable:\n%s", v)
	}
	h.press("y")
	if !strings.HasPrefix(h.m.status, "bob@example.org enabled") || e.get(t, "bob@example.org").Disabled() {
		t.Errorf("status %q; bob still disabled: %v", h.m.status, e.get(t, "bob@example.org").Disabled())
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")

	h.press("x")
	h.requireScreen(screenConfirmDelete)
	wrong := "bo@example.org"
	h.typeText(wrong)
	h.press("enter")
	h.requireScreen(screenConfirmDelete)
	if v := h.view(); !strings.Contains(v, "nothing deleted") {
		t.Errorf("a wrong email is not refused on screen:\n%s", v)
	}
	e.get(t, "bob@example.org") // still there

	for range wrong {
		h.press("backspace")
	}
	h.typeText("BOB@example.org") // compared after normalisation
	h.press("enter")
	h.requireScreen(screenList)
	if h.m.status != "deleted bob@example.org" {
		t.Errorf("status = %q; want deleted bob@example.org", h.m.status)
	}
	if _, err := e.svc.Get(context.Background(), "bob@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get after delete: %v; want not found", err)
	}
	if slices.Contains(h.emails(), "bob@example.org") || len(h.emails()) != 29 || h.m.list.count != 29 {
		t.Errorf("after delete: rows %v, count %d; want 29 rows without bob", h.emails(), h.m.list.count)
	}

	// Esc leaves the dialog without deleting.
	h.press("x", "esc")
	h.requireScreen(screenList)
	if len(e.listing(t, user.ListOptions{})) != 29 {
		t.Error("esc deleted a user")
	}
}

// TestActionKeysFromListAndDetails: the list and the details answer the
// same action keys with the same dialogs.
func TestActionKeysFromListAndDetails(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")
	for _, tc := range []struct {
		key  string
		want screen
	}{{"e", screenRoles}, {"p", screenPassword}, {"d", screenConfirmDisable}, {"x", screenConfirmDelete}} {
		h.press(tc.key)
		h.requireScreen(tc.want)
		h.press("esc")
		h.requireScreen(screenList)
		h.press("enter", tc.key)
		h.requireScreen(tc.want)
		h.press("esc")
		h.requireScreen(screenDetails)
		h.press("esc")
		h.requireScreen(screenList)
	}
	for _, from := range []screen{screenList, screenDetails} {
		if from == screenDetails {
			h.press("enter")
		}
		h.m.setStatus("", false)
		h.press("u")
		h.requireScreen(from)
		if !strings.HasPrefix(h.m.status, "bob@example.org was not locked") {
			t.Errorf("u from %d: status %q", from, h.m.status)
		}
	}
}

// TestFailedActionLeavesDialogUsable: when the change a dialog started
// fails (here the user was deleted by another process meanwhile), the dialog
// says why and takes keys again, Esc among them.
func TestFailedActionLeavesDialogUsable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		open   string
		screen screen
		act    func(h *harness)
		err    func(m *Model) string
	}{
		{"roles", "e", screenRoles, func(h *harness) { h.press("down", "space", "enter") },
			func(m *Model) string { return m.roles.err }},
		{"disable", "d", screenConfirmDisable, func(h *harness) { h.press("y") },
			func(m *Model) string { return m.confirm.err }},
		{"delete", "x", screenConfirmDelete, func(h *harness) { h.typeText("bob@example.org"); h.press("enter") },
			func(m *Model) string { return m.confirm.err }},
		{"password", "p", screenPassword, func(h *harness) {
			h.typeText(goodPassword)
			h.press("tab")
			h.typeText(goodPassword)
			h.press("enter")
		}, func(m *Model) string { return m.form.formErr }},
	} {
		for _, from := range []screen{screenList, screenDetails} {
			e := newEnv(t)
			e.fixtures(t)
			h := newHarness(t, e, 80, 24)
			h.selectEmail("bob@example.org")
			if from == screenDetails {
				h.press("enter")
			}
			h.press(tc.open)
			h.requireScreen(tc.screen)
			if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
				t.Fatal(err)
			}
			tc.act(h)
			h.requireScreen(tc.screen)
			if got := tc.err(h.m); !strings.Contains(got, "user not found") {
				t.Errorf("%s from %d: the dialog's error = %q; want user not found", tc.name, from, got)
			}
			// The body: every line but the status line and the help line.
			lines := strings.Split(h.view(), "\n")
			if body := strings.Join(lines[:len(lines)-2], "\n"); !strings.Contains(body, "user not found") {
				t.Errorf("%s from %d: the dialog does not show the error:\n%s", tc.name, from, h.view())
			}
			if !h.m.statusError || !strings.Contains(h.m.status, "user not found") {
				t.Errorf("%s from %d: status = %q (error %v); want user not found", tc.name, from, h.m.status, h.m.statusError)
			}
			if h.m.roles.busy || h.m.confirm.busy || h.m.form.submitting {
				t.Errorf("%s from %d: still busy after the error", tc.name, from)
			}
			h.escape()
			h.requireScreen(from)
		}
	}
}

// TestDeleteFromDetailsEndsOnList: deleting the user the details show
// returns to the list for good. A later look at the data version must not
// reload the deleted user's details and replace "deleted …" with "user not
// found", nor may a late answer for those details.
func TestDeleteFromDetailsEndsOnList(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.send(dataVersionMsg{version: 1})
	bob := e.get(t, "bob@example.org")
	h.selectEmail(bob.Email)
	h.press("enter", "x")
	// The answer for the details, asked for now, lands after the delete.
	late := h.m.refreshDetails()
	h.typeText(bob.Email)
	h.press("enter")
	h.requireScreen(screenList)
	const want = "deleted bob@example.org"
	if h.m.status != want {
		t.Fatalf("status = %q; want %q", h.m.status, want)
	}
	h.send(detailsAuditMsg{id: bob.ID, user: bob})
	h.send(dataVersionMsg{version: 2})
	h.run(late)
	h.requireScreen(screenList)
	if h.m.status != want || h.m.statusError {
		t.Errorf("status = %q (error %v); want %q to stay", h.m.status, h.m.statusError, want)
	}
	// Esc from a dialog opened next returns to the list.
	h.press("d", "esc")
	h.requireScreen(screenList)
}

// TestActionResultLeavesOtherScreensAlone: unlock is fire-and-forget, so
// keys typed after it can open a dialog before its result lands ("up" typed
// fast arrives as u, then p). The result must not close that dialog, nor
// stop its spinner.
func TestActionResultLeavesOtherScreensAlone(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("up")})
	h.requireScreen(screenPassword)
	if !strings.HasPrefix(h.m.status, "bob@example.org was not locked") {
		t.Errorf("status = %q; want the unlock's result", h.m.status)
	}
	h.typeText("abc")
	if got := h.m.form.inputs[fieldPassword].Value(); got != "abc" {
		t.Errorf("typed %q into the form; want abc", got)
	}
	h.escape()
	h.requireScreen(screenList)

	// The unlock lands while the new password is hashed.
	_, unlock := h.m.Update(keyMsg("u"))
	h.press("p")
	const pw = "a much better passphrase here"
	h.typeText(pw)
	h.press("tab")
	h.typeText(pw)
	_, submit := h.m.Update(keyMsg("enter"))
	h.run(unlock)
	h.requireScreen(screenPassword)
	if !h.m.form.submitting {
		t.Error("the unlock's result stopped the password form's spinner")
	}
	h.run(submit)
	h.requireScreen(screenList)
	if !strings.HasPrefix(h.m.status, "password changed for bob@example.org") {
		t.Errorf("status = %q; want the password changed", h.m.status)
	}
	if _, err := e.svc.Verify(context.Background(), "bob@example.org", pw); err != nil {
		t.Errorf("Verify with the new password: %v", err)
	}

	// From details: u, then e opens the roles editor, which stays open.
	h.press("enter")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ue")})
	h.requireScreen(screenRoles)
	h.press("esc")
	h.requireScreen(screenDetails)
	h.press("esc")
	h.requireScreen(screenList)

	// A failed unlock that lands on another dialog says so in the status
	// line only.
	_, unlock = h.m.Update(keyMsg("u"))
	h.press("d")
	if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	h.run(unlock)
	h.requireScreen(screenConfirmDisable)
	if h.m.confirm.err != "" || !h.m.statusError {
		t.Errorf("dialog error %q, status %q; want the error in the status line only", h.m.confirm.err, h.m.status)
	}
	h.press("n")
	h.requireScreen(screenList)
}
