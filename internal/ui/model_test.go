package ui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	_ "modernc.org/sqlite" // the raw writer of TestDatabaseTextIsSanitised

	"github.com/ctitui/ctitui/internal/user"
)

// These tests drive the Model through Update with key messages, running its
// commands synchronously against a real SQLite file (see harness_test.go).
// Views are compared with lipgloss drawing in the Ascii profile, set in
// golden_test.go, so that styles emit no escape sequences.

func TestFirstPageLoads(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)

	want := emailsOf(e.listing(t, user.ListOptions{}))
	if got := h.emails(); !slices.Equal(got, want) {
		t.Fatalf("list rows = %v; want the service's listing %v", got, want)
	}
	l := &h.m.list
	if l.loading || !l.atStart || !l.atEnd || l.cursor != 0 {
		t.Errorf("loading, atStart, atEnd, cursor = %v, %v, %v, %d; want false, true, true, 0", l.loading, l.atStart, l.atEnd, l.cursor)
	}
	if !l.counted || l.count != 30 {
		t.Errorf("count = %d (counted %v); want 30", l.count, l.counted)
	}
	v := h.view()
	if !strings.Contains(firstLine(v), "30 users") {
		t.Errorf("title line %q does not say 30 users", firstLine(v))
	}
	if lineWith(v, "> anastasia@example.org") < 0 {
		t.Errorf("the newest user is not selected on screen:\n%s", v)
	}
}

func TestEmptyDatabase(t *testing.T) {
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	v := h.view()
	if !strings.Contains(v, "No users yet") {
		t.Errorf("an empty database does not say so:\n%s", v)
	}
	// Keys that need a user do nothing without one.
	h.press("enter", "e", "d", "x", "p")
	h.requireScreen(screenList)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func TestCursorMoves(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	all := emailsOf(e.listing(t, user.ListOptions{}))
	page := h.m.visibleRows()
	if page != 19 {
		t.Fatalf("visibleRows at 80×24 = %d; want 19", page)
	}
	for _, step := range []struct {
		keys []string
		want int
	}{
		{[]string{"j"}, 1},
		{[]string{"j", "down"}, 3},
		{[]string{"k"}, 2},
		{[]string{"up", "up", "up"}, 0}, // stops at the first row
		{[]string{"G"}, 29},
		{[]string{"j"}, 29}, // stops at the last row
		{[]string{"g"}, 0},
		{[]string{"pgdown"}, page},
		{[]string{"pgdown"}, 29},
		{[]string{"pgup"}, 29 - page},
		{[]string{"home"}, 0},
		{[]string{"end"}, 29},
	} {
		h.press(step.keys...)
		if got := h.m.list.cursor; got != step.want {
			t.Fatalf("after %v: cursor = %d; want %d", step.keys, got, step.want)
		}
		v := h.view()
		if lineWith(v, "> "+all[step.want]) < 0 {
			t.Fatalf("after %v: %s is not drawn selected:\n%s", step.keys, all[step.want], v)
		}
	}
}

func TestSearchAsYouType(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	all := e.listing(t, user.ListOptions{})

	h.press("/")
	if !h.m.list.searching {
		t.Fatal("/ did not start a search")
	}
	h.typeText("a")
	if want := emailsOf(e.listing(t, user.ListOptions{Filter: user.Filter{Search: "a"}})); !slices.Equal(h.emails(), want) {
		t.Fatalf("after typing a: rows = %v; want %v", h.emails(), want)
	}
	h.typeText("na")
	want := emailsOf(e.listing(t, user.ListOptions{Filter: user.Filter{Search: "ana"}}))
	if len(want) != 5 {
		t.Fatalf("fixture: %d users match ana; want 5 (%v)", len(want), want)
	}
	if !slices.Equal(h.emails(), want) {
		t.Fatalf("after typing ana: rows = %v; want %v", h.emails(), want)
	}
	if h.m.list.count != 5 {
		t.Errorf("count = %d; want 5", h.m.list.count)
	}
	if v := h.view(); lineWith(v, "/ana") < 0 {
		t.Errorf("the search being typed is not shown:\n%s", v)
	}

	// An answer for an older listing (a search typed past) changes nothing.
	seq := h.m.list.seq
	before := slices.Clone(h.emails())
	h.send(listPageMsg{seq: seq - 1, kind: pageReplace, rows: all, atStart: true, atEnd: true})
	h.send(listPageMsg{seq: seq - 1, kind: pageAppend, rows: all[:3]})
	h.send(countMsg{seq: seq - 1, n: 999})
	if !slices.Equal(h.emails(), before) || h.m.list.count != 5 {
		t.Fatalf("a stale page changed the list: rows %v, count %d", h.emails(), h.m.list.count)
	}

	// The same with real answers arriving out of order: "anas" is answered
	// after "anast", and must not replace it.
	_, older := h.m.Update(keyMsg("s"))
	_, newer := h.m.Update(keyMsg("t"))
	h.run(newer)
	h.run(older)
	if got := h.emails(); !slices.Equal(got, []string{"anastasia@example.org"}) {
		t.Fatalf("after a late answer for anas: rows = %v; want only anastasia", got)
	}
	h.press("backspace", "backspace")
	if !slices.Equal(h.emails(), want) {
		t.Fatalf("after deleting back to ana: rows = %v; want %v", h.emails(), want)
	}

	// Arrows move through the results while typing; letters are typed.
	h.press("down")
	if h.m.list.cursor != 1 || h.m.list.search.Value() != "ana" {
		t.Errorf("down while searching: cursor %d, search %q; want 1, ana", h.m.list.cursor, h.m.list.search.Value())
	}

	// Enter keeps the search and returns the keys to the list.
	h.press("enter")
	if h.m.list.searching || h.m.list.search.Value() != "ana" {
		t.Fatalf("enter: searching %v, value %q; want false, ana", h.m.list.searching, h.m.list.search.Value())
	}
	if v := h.view(); lineWith(v, "search: ana") < 0 {
		t.Errorf("a kept search is not shown:\n%s", v)
	}
	h.press("j")
	if h.m.list.cursor != 2 || h.m.list.search.Value() != "ana" {
		t.Errorf("j after enter: cursor %d, search %q; want 2, ana", h.m.list.cursor, h.m.list.search.Value())
	}

	// Esc clears it.
	h.press("esc")
	if h.m.list.search.Value() != "" || !slices.Equal(h.emails(), emailsOf(all)) {
		t.Fatalf("esc: search %q, %d rows; want no search and all 30 rows", h.m.list.search.Value(), len(h.emails()))
	}

	// Esc while typing clears too, and a search that matches nothing says so.
	h.press("/")
	h.typeText("nobody-has-this")
	if len(h.emails()) != 0 || !strings.Contains(h.view(), "No users match") {
		t.Fatalf("a search matching nothing: rows %v\n%s", h.emails(), h.view())
	}
	h.press("esc")
	if h.m.list.searching || h.m.list.search.Value() != "" || len(h.emails()) != 30 {
		t.Fatalf("esc while typing: searching %v, search %q, %d rows; want false, empty, 30", h.m.list.searching, h.m.list.search.Value(), len(h.emails()))
	}
}

func TestSortCycles(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")

	for _, k := range []user.SortKey{user.ByUpdated, user.ByEmail, user.ByCreated} {
		h.press("s")
		if got := sortChoices[h.m.list.sort]; got != k {
			t.Fatalf("sort = %v; want %v", got, k)
		}
		want := emailsOf(e.listing(t, user.ListOptions{Sort: k}))
		if got := h.emails(); !slices.Equal(got, want) {
			t.Fatalf("sorted by %v: rows = %v; want %v", k, got, want)
		}
		if got := h.selected(); got != "bob@example.org" {
			t.Errorf("sorted by %v: selected %q; want bob kept selected", k, got)
		}
		if v := h.view(); lineWith(v, "sort: "+k.String()) < 0 {
			t.Errorf("the listing line does not say sort: %v:\n%s", k, v)
		}
		switch k {
		case user.ByUpdated:
			// The disabled users were changed last.
			if got := h.emails()[:4]; !slices.Equal(got, []string{"max@example.org", "sven@example.org", "fay@example.org", "diana@example.org"}) {
				t.Errorf("by updated, first rows = %v; want the users disabled last first", got)
			}
		case user.ByEmail:
			if !slices.IsSorted(h.emails()) {
				t.Errorf("by email, rows are not alphabetical: %v", h.emails())
			}
		}
	}
}

func TestFilterCycles(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)

	for _, want := range []struct {
		name  string
		check func(user.User) bool
	}{
		{"active", func(u user.User) bool { return !u.Disabled() }},
		{"disabled", user.User.Disabled},
		{"locked", func(u user.User) bool { return u.Locked(h.m.opts.Now()) }},
		{"admin", func(u user.User) bool { return u.HasRole(user.RoleAdmin) }},
		{"analyst", func(u user.User) bool { return u.HasRole(user.RoleAnalyst) }},
		{"viewer", func(u user.User) bool { return u.HasRole(user.RoleViewer) }},
		{"all", func(user.User) bool { return true }},
	} {
		h.press("f")
		fc := filterChoices[h.m.list.filter]
		if fc.name != want.name {
			t.Fatalf("filter = %s; want %s", fc.name, want.name)
		}
		wantRows := emailsOf(e.listing(t, user.ListOptions{Filter: fc.filter}))
		if got := h.emails(); !slices.Equal(got, wantRows) {
			t.Fatalf("filter %s: rows = %v; want %v", fc.name, got, wantRows)
		}
		for _, u := range h.m.list.rows {
			if !want.check(u) {
				t.Errorf("filter %s shows %s (roles %v, disabled %v)", fc.name, u.Email, u.Roles, u.Disabled())
			}
		}
		if h.m.list.count != len(wantRows) {
			t.Errorf("filter %s: count %d; want %d", fc.name, h.m.list.count, len(wantRows))
		}
		if v := h.view(); lineWith(v, "filter: "+fc.name) < 0 {
			t.Errorf("the listing line does not say filter: %s:\n%s", fc.name, v)
		}
		if fc.name == "disabled" {
			if got := h.emails(); !slices.Equal(got, []string{"max@example.org", "sven@example.org", "fay@example.org", "diana@example.org"}) {
				t.Errorf("disabled filter shows %v; want max, sven, fay, diana", got)
			}
			v := h.view()
			for _, email := range h.emails() {
				if i := lineWith(v, email); i < 0 || !strings.Contains(strings.Split(v, "\n")[i], "disabled") {
					t.Errorf("the row of %s does not say disabled:\n%s", email, v)
				}
			}
		}
	}
}

// TestFilteredCountShowsTotal: with a filter or a search, the title says
// "N users of TOTAL". TOTAL must be the number of users in the database
// from the start, not only after something triggered a refresh.
func TestFilteredCountShowsTotal(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.press("f", "f") // disabled
	if title := firstLine(h.view()); !strings.Contains(title, "4 users of 30") {
		t.Errorf("filtered title = %q; want it to say 4 users of 30", title)
	}
	h.press("f", "f", "f", "f", "f") // back to all
	h.press("/")
	h.typeText("ana")
	if title := firstLine(h.view()); !strings.Contains(title, "5 users of 30") {
		t.Errorf("searching title = %q; want it to say 5 users of 30", title)
	}
}

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
		h.press("f") // a filter that would hide the new user is cleared
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
		if h.m.list.filter != 0 {
			t.Errorf("filter = %s; want all after registering", filterChoices[h.m.list.filter].name)
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
		h.press("esc")
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

func TestDetails(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 100, 30)
	u := e.get(t, "fay@example.org")
	h.selectEmail(u.Email)
	h.press("enter")
	h.requireScreen(screenDetails)
	v := h.view()
	for _, want := range []string{
		"User details",
		u.ID,
		"fay@example.org",
		"viewer",
		"disabled    " + u.DisabledAt.Format("2006-01-02 15:04:05"),
		"created     " + fullTime(u.CreatedAt, time.UTC),
		"updated     " + fullTime(u.UpdatedAt, time.UTC),
		"Audit, newest first",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("details do not show %q:\n%s", want, v)
		}
	}
	if u.CreatedAt.Equal(u.UpdatedAt) {
		t.Fatal("fixture: a disabled user should have been updated after it was created")
	}
	disable, register := lineWith(v, "disable "), lineWith(v, "register ")
	if disable < 0 || register < 0 || disable > register {
		t.Errorf("audit entries: disable on line %d, register on line %d; want both, newest first:\n%s", disable, register, v)
	}
	if lineWith(v, "roles=viewer") < 0 {
		t.Errorf("the register entry's details are not shown:\n%s", v)
	}
	h.press("esc")
	h.requireScreen(screenList)
	if h.selected() != u.Email {
		t.Errorf("back on the list, selected %q; want %s", h.selected(), u.Email)
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

func TestAuditScreen(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.press("a")
	h.requireScreen(screenAudit)

	all := e.auditEntries(t, user.AuditFilter{})
	if len(h.m.audit.rows) != len(all) {
		t.Fatalf("%d entries shown; want %d", len(h.m.audit.rows), len(all))
	}
	for i, got := range h.m.audit.rows {
		if got.ID != all[i].ID {
			t.Fatalf("entry %d has id %d; want %d", i, got.ID, all[i].ID)
		}
		if i > 0 && (got.ID >= h.m.audit.rows[i-1].ID || got.At.After(h.m.audit.rows[i-1].At)) {
			t.Fatalf("entries are not newest first at %d", i)
		}
	}
	v := h.view()
	first := strings.Split(v, "\n")[3]
	if !strings.HasPrefix(first, "> ") || !strings.Contains(first, "disable") || !strings.Contains(first, "max@exampl") {
		t.Errorf("first row %q; want the newest entry, max disabled, selected", first)
	}

	h.press("/")
	h.typeText("hanako")
	want := e.auditEntries(t, user.AuditFilter{Search: "hanako"})
	if len(want) == 0 || len(h.m.audit.rows) != len(want) {
		t.Fatalf("search hanako: %d entries; want %d", len(h.m.audit.rows), len(want))
	}
	for _, got := range h.m.audit.rows {
		if got.UserEmail != "hanako@example.org" {
			t.Errorf("search hanako shows an entry about %s", got.UserEmail)
		}
	}
	if v := h.view(); lineWith(v, "/hanako") < 0 {
		t.Errorf("the audit search is not shown:\n%s", v)
	}
	h.press("enter")
	if v := h.view(); lineWith(v, "search: hanako") < 0 {
		t.Errorf("a kept audit search is not shown:\n%s", v)
	}
	h.press("esc") // clears the search
	h.requireScreen(screenAudit)
	if len(h.m.audit.rows) != len(all) {
		t.Errorf("after esc: %d entries; want %d", len(h.m.audit.rows), len(all))
	}
	h.press("esc")
	h.requireScreen(screenList)
}

// TestWindowPaging lists more users than one window chunk and checks that
// the window the list holds is always a contiguous run of the service's
// listing, with the cursor on the right user, whichever way it is scrolled.
func TestWindowPaging(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,250 users")
	}
	e := newEnv(t)
	// More than maxWindow, so that the window is trimmed on both sides.
	const n = 1250
	e.many(t, n)
	h := newHarness(t, e, 80, 24)
	full := emailsOf(e.listing(t, user.ListOptions{}))
	page := h.m.visibleRows()

	check := func(what string, want int) {
		t.Helper()
		rows := h.emails()
		if len(rows) == 0 {
			t.Fatalf("%s: no rows", what)
		}
		start := slices.Index(full, rows[0])
		if start < 0 || start+len(rows) > len(full) || !slices.Equal(rows, full[start:start+len(rows)]) {
			t.Fatalf("%s: the window (%d rows from %s) is not a contiguous run of the listing", what, len(rows), rows[0])
		}
		if len(rows) > maxWindow+windowChunk {
			t.Fatalf("%s: the window holds %d rows", what, len(rows))
		}
		l := &h.m.list
		if got := start + l.cursor; got != want {
			t.Fatalf("%s: cursor on row %d of the listing (%s); want %d (%s)", what, got, full[got], want, full[want])
		}
		if l.atStart != (start == 0) || l.atEnd != (start+len(rows) == len(full)) {
			t.Fatalf("%s: atStart, atEnd = %v, %v for rows %d..%d of %d", what, l.atStart, l.atEnd, start, start+len(rows), len(full))
		}
		if lineWith(h.view(), "> "+full[want]) < 0 {
			t.Fatalf("%s: %s is not drawn selected:\n%s", what, full[want], h.view())
		}
	}
	check("first page", 0)
	if got := len(h.emails()); got != windowChunk {
		t.Errorf("first page holds %d rows; want %d", got, windowChunk)
	}

	h.press("G")
	check("G", n-1)
	h.press("g")
	check("g", 0)

	// Down a page at a time to the end: appends, and trims the top.
	for want := page; ; want = min(want+page, n-1) {
		h.press("pgdown")
		check(fmt.Sprintf("pgdown to %d", want), want)
		if want == n-1 {
			break
		}
	}
	// And back up a row at a time for a while, then a page at a time:
	// prepends, and trims the bottom.
	want := n - 1
	for range 3 * windowChunk {
		h.press("k")
		want--
	}
	check("k", want)
	for want > 0 {
		h.press("pgup")
		want = max(want-page, 0)
		check(fmt.Sprintf("pgup to %d", want), want)
	}

	// From the far end straight up.
	h.press("G")
	for want := n - 1; want > 0; {
		h.press("pgup")
		want = max(want-page, 0)
		check(fmt.Sprintf("pgup from G to %d", want), want)
	}

	// Re-sorting in the middle keeps the selected user and a contiguous window.
	for range 30 {
		h.press("pgdown")
	}
	// The window reloads around the selected user, wherever the new order
	// puts it.
	sel := h.selected()
	h.press("s") // updated: the same order here, as no user changed
	full = emailsOf(e.listing(t, user.ListOptions{Sort: user.ByUpdated}))
	check("sort by updated", slices.Index(full, sel))
	h.press("s") // email
	full = emailsOf(e.listing(t, user.ListOptions{Sort: user.ByEmail}))
	at := slices.Index(full, sel)
	check("sort by email", at)
	for range 30 {
		h.press("pgdown")
	}
	check("pgdown by email", min(at+30*page, len(full)-1))

	// The audit screen pages too, in a window (see TestAuditBottomAndWindow).
	allAudit := e.auditEntries(t, user.AuditFilter{})
	h.press("a")
	for range 2 * n / page {
		h.press("pgdown")
	}
	auditWindowCheck(t, h, allAudit)("audit after paging to the end", len(allAudit)-1)
}

func TestChangesFromAnotherWriter(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("otto@example.org")

	h.send(dataVersionMsg{version: 7}) // the first look at the data version
	e.register(t, "zed@example.org", user.RoleViewer)
	h.send(dataVersionMsg{version: 7})
	if slices.Contains(h.emails(), "zed@example.org") {
		t.Fatal("the list reloaded although the data version did not change")
	}
	h.send(dataVersionMsg{err: errors.New("database is locked")})
	if h.m.statusError {
		t.Errorf("a failed look at the data version shows an error: %q", h.m.status)
	}

	h.send(dataVersionMsg{version: 8})
	if got := h.emails(); len(got) != 31 || got[0] != "zed@example.org" {
		t.Fatalf("after a change: rows %v; want zed first of 31", got)
	}
	if h.selected() != "otto@example.org" {
		t.Errorf("selected %q; want otto kept selected", h.selected())
	}
	if h.m.list.count != 31 || !strings.Contains(firstLine(h.view()), "31 users") {
		t.Errorf("count %d, title %q; want 31 users", h.m.list.count, firstLine(h.view()))
	}

	// Details follow a change to the user they show.
	h.press("enter")
	later := e.clock.Advance(time.Hour)
	if _, _, err := e.svc.SetDisabled(context.Background(), "otto@example.org", true); err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: 9})
	if v := h.view(); lineWith(v, "disabled    "+later.Format("2006-01-02 15:04:05")) < 0 {
		t.Errorf("details did not follow the change:\n%s", v)
	}
}

// TestChangeBeforeFirstPollIsShown: the first look at the data version comes
// one WatchInterval after the first page loaded. A change committed in
// between must show then, not wait for some later change.
func TestChangeBeforeFirstPollIsShown(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24) // the first page is on screen
	e.register(t, "late@example.org")
	v, err := e.store.DataVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: v})
	if !slices.Contains(h.emails(), "late@example.org") {
		t.Errorf("a user added before the first poll is not shown after it: rows %v", h.emails())
	}
}

// TestClosedDetailsDoNotFollowChanges: once details are closed, a change
// elsewhere, such as another process deleting the user they showed, must not
// put an error about them on the list.
func TestClosedDetailsDoNotFollowChanges(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.send(dataVersionMsg{version: 1})
	h.selectEmail("bob@example.org")
	h.press("enter", "esc")
	h.requireScreen(screenList)
	if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: 2})
	h.requireScreen(screenList)
	if slices.Contains(h.emails(), "bob@example.org") {
		t.Errorf("bob is still listed after another process deleted him")
	}
	if h.m.statusError {
		t.Errorf("the list shows an error about closed details: %q", h.m.status)
	}
}

func TestRelativeTimes(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.press("t")
	v := h.view()
	// anastasia was registered at 09:29 and the clock says 09:34.
	if lineWith(v, "times: relative") < 0 || !strings.Contains(strings.Split(v, "\n")[lineWith(v, "> anastasia")], "5m ago") {
		t.Errorf("relative times are not shown:\n%s", v)
	}
	h.press("t")
	if v := h.view(); lineWith(v, "5m ago") >= 0 {
		t.Errorf("t does not switch back to absolute times:\n%s", v)
	}
}

// TestResizeKeepsSelectionVisible: shrinking the terminal keeps the selected
// row on screen.
func TestResizeKeepsSelectionVisible(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.press("pgdown", "j", "j")
	sel := h.selected()
	for _, height := range []int{20, 15, 30, 15} {
		h.send(tea.WindowSizeMsg{Width: 80, Height: height})
		if h.selected() != sel || lineWith(h.view(), "> "+sel) < 0 {
			t.Errorf("at height %d the selected row %s is not on screen:\n%s", height, sel, h.view())
		}
	}
}

func TestTooSmall(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	for _, tc := range []struct {
		w, h  int
		small bool
	}{
		{59, 15, true},
		{60, 14, true},
		{60, 15, false},
		{40, 10, true},
		{20, 4, true},
	} {
		h.send(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
		v := h.view()
		if got := strings.Contains(v, "too small"); got != tc.small {
			t.Errorf("at %d×%d the view says too small: %v; want %v\n%s", tc.w, tc.h, got, tc.small, v)
		}
		requireFits(t, fmt.Sprintf("%d×%d", tc.w, tc.h), v, tc.w, tc.h)
		if tc.small {
			h.press("n", "enter")
			h.requireScreen(screenList)
		}
	}
	h.send(tea.WindowSizeMsg{Width: 59, Height: 15})
	h.press("q")
	if !h.quit {
		t.Error("q does not quit a too-small terminal")
	}
}

// requireFits fails unless view is exactly height lines, none wider than width.
func requireFits(t *testing.T, what, view string, width, height int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != height {
		t.Errorf("%s: %d lines; want %d\n%s", what, len(lines), height, view)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%s: line %d is %d columns wide; want at most %d: %q", what, i, w, width, l)
		}
	}
}

// TestEveryScreenFits draws each screen at several sizes.
func TestEveryScreenFits(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("hanako@example.org")
	screens := []struct {
		name string
		keys []string
	}{
		{"list", nil},
		{"search", []string{"/", "a"}},
		{"help", []string{"?"}},
		{"details", []string{"enter"}},
		{"register", []string{"n"}},
		{"password", []string{"p"}},
		{"roles", []string{"e"}},
		{"disable", []string{"d"}},
		{"delete", []string{"x"}},
		{"audit", []string{"a"}},
		{"audit search", []string{"a", "/", "r"}},
		{"audit entry", []string{"a", "enter"}},
	}
	for _, size := range [][2]int{{60, 15}, {80, 24}, {120, 40}, {250, 60}} {
		for _, s := range screens {
			h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			h.press(s.keys...)
			requireFits(t, fmt.Sprintf("%s at %d×%d", s.name, size[0], size[1]), h.view(), size[0], size[1])
			// Back to the list as it was.
			h.press("esc", "esc")
			if s.name == "help" {
				h.press("?")
			}
			h.requireScreen(screenList)
		}
	}
}

// rawDB opens a second connection to the file, as another tool would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

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

func TestGuard(t *testing.T) {
	if guard(nil) != nil {
		t.Error("guard(nil) != nil")
	}
	msg := guard(func() tea.Msg { panic("boom") })()
	fm, ok := msg.(fatalMsg)
	if !ok || fm.err == nil || !strings.Contains(fm.err.Error(), "boom") {
		t.Fatalf("a panicking command gave %#v; want a fatalMsg naming the panic", msg)
	}

	// Commands inside a batch are guarded too.
	msg = guard(func() tea.Msg {
		return tea.BatchMsg{func() tea.Msg { return countMsg{n: 1} }, func() tea.Msg { panic("inner") }}
	})()
	batch, ok := msg.(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("a batch came back as %#v", msg)
	}
	if _, ok := batch[0]().(countMsg); !ok {
		t.Error("a guarded batch lost its ordinary message")
	}
	if fm, ok := batch[1]().(fatalMsg); !ok || !strings.Contains(fm.err.Error(), "inner") {
		t.Errorf("a panic inside a batch gave %#v; want a fatalMsg", fm)
	}

	// A fatalMsg ends the program with its error.
	e := newEnv(t)
	m := New(e.svc, Options{Now: e.clock.Now, Location: time.UTC})
	want := errors.New("internal error: boom")
	_, cmd := m.Update(fatalMsg{want})
	if !errors.Is(m.Err(), want) {
		t.Errorf("Err() = %v; want %v", m.Err(), want)
	}
	if cmd == nil {
		t.Fatal("a fatalMsg returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("a fatalMsg does not quit")
	}
}

// TestUpdateRecoversFromPanic: a bug on the update path ends the program
// with an error instead of a stack trace over a raw-mode terminal.
func TestUpdateRecoversFromPanic(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.m.list.cursor = 99 // a state no key leads to: the cursor past the rows
	_, cmd := h.m.Update(keyMsg("enter"))
	if h.m.Err() == nil || !strings.Contains(h.m.Err().Error(), "internal error") {
		t.Fatalf("Err() = %v; want an internal error", h.m.Err())
	}
	if cmd == nil {
		t.Fatal("no command after a panic")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("a panic in Update does not quit")
	}
}
