package ui

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

var positionRe = regexp.MustCompile(`(?:^|\s)([0-9,…?]+) of ([0-9,]+)\s*$`)

// position returns the position the status line shows, "1,204 of 25,000".
func (h *harness) position() string {
	lines := strings.Split(h.view(), "\n")
	status := lines[len(lines)-2]
	m := positionRe.FindStringSubmatch(status)
	if m == nil {
		return ""
	}
	return m[1] + " of " + m[2]
}

// requirePosition fails unless the status line shows the place of the
// selected user in full, a listing of all the users the filter selects.
func (h *harness) requirePosition(what string, full []string) {
	h.t.Helper()
	i := slices.Index(full, h.selected())
	if i < 0 {
		h.t.Fatalf("%s: selected %q is not in the listing", what, h.selected())
	}
	want := thousands(i+1) + " of " + thousands(len(full))
	if got := h.position(); got != want {
		h.t.Errorf("%s: position %q; want %q\n%s", what, got, want, h.view())
	}
}

// TestPositionIndicator: the status line says where the selected user is
// in the listing, wherever the window was loaded from.
func TestPositionIndicator(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,250 users")
	}
	e := newEnv(t)
	e.many(t, 1250)
	h := newHarness(t, e, 80, 24)
	full := emailsOf(e.listing(t, user.ListOptions{}))
	h.requirePosition("first", full)
	h.press("j", "j")
	h.requirePosition("j j", full)
	for !h.m.list.atEnd || h.m.list.atStart {
		h.press("pgdown") // until the window is trimmed: its first row is not the listing's
	}
	h.requirePosition("paged down", full)
	h.press("g", "G") // a new window, loaded from the listing's end
	if h.m.list.atStart || len(h.m.list.rows) >= len(full) {
		t.Fatal("fixture: the window loaded by G holds the listing's first row")
	}
	if got := h.position(); got != "1,250 of 1,250" {
		t.Errorf("G: position %q; want 1,250 of 1,250", got)
	}
	h.press(repeat("pgup", 20)...)
	h.requirePosition("G then pgup", full)

	// A change elsewhere reloads around the selected user: its place is
	// counted again.
	h.press("g")
	h.press(repeat("pgdown", 30)...)
	e.register(t, "new@example.org")
	full = emailsOf(e.listing(t, user.ListOptions{}))
	h.send(dataVersionMsg{version: 1})
	h.requirePosition("after a change elsewhere", full)

	// A new order keeps the user selected, at its new place.
	h.press("s")
	h.requirePosition("sorted by updated", emailsOf(e.listing(t, user.ListOptions{Sort: user.ByUpdated})))
	h.press("s")
	h.requirePosition("sorted by email", emailsOf(e.listing(t, user.ListOptions{Sort: user.ByEmail})))
	h.press("S")
	rev := emailsOf(e.listing(t, user.ListOptions{Sort: user.ByEmail}))
	slices.Reverse(rev)
	h.requirePosition("by email, reversed", rev)

	// In a long listing, a place far from the start is counted from the
	// end, and one far from both ends is not counted: it shows as ?.
	// (A window reloaded around a row starts windowChunk/2 rows above it
	// and ends up to windowChunk rows below.)
	h.m.positionMax = 400
	h.press("S", "s") // by created, newest first
	h.press("g")
	h.press(repeat("pgdown", 30)...) // 570 rows down: far from both ends
	h.send(dataVersionMsg{version: 2})
	if got, want := h.position(), "? of 1,251"; got != want {
		t.Errorf("far from both ends: position %q; want %q", got, want)
	}
	// Another change elsewhere does not walk the users again.
	for _, msg := range h.collect(h.updates("r")[0]) {
		_, cmd := h.m.Update(msg)
		if h.m.list.positioning {
			t.Error("a reload far from both ends counts the place again")
		}
		h.run(cmd)
	}
	h.press("G")
	h.press(repeat("pgup", 14)...) // 266 rows from the end
	h.send(dataVersionMsg{version: 3})
	if h.m.list.atEnd || h.m.list.atStart {
		t.Fatal("fixture: the window reloaded near the end holds an end of the listing")
	}
	h.requirePosition("near the end, counted from it", full)
	h.press("g")
	h.press(repeat("pgdown", 16)...) // 304 rows from the start
	h.send(dataVersionMsg{version: 4})
	if h.m.list.atStart {
		t.Fatal("fixture: the window reloaded near the start holds the listing's first row")
	}
	h.requirePosition("near the start, counted", full)
}

// TestReverseSort: S reverses the order of every sort, keeping the selected
// user, and the window pages through the reversed listing as through any.
func TestReverseSort(t *testing.T) {
	e := newEnv(t)
	e.many(t, 600)
	h := newHarness(t, e, 80, 24)
	h.press(repeat("j", 5)...)
	sel := h.selected()
	for _, sort := range []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail} {
		for sortChoices[h.m.list.sort] != sort {
			h.press("s")
		}
		fwd := emailsOf(e.listing(t, user.ListOptions{Sort: sort}))
		rev := slices.Clone(fwd)
		slices.Reverse(rev)
		h.press("S")
		h.requireWindow(fmt.Sprintf("%v reversed", sort), rev, sel)
		line := strings.Split(h.view(), "\n")[1]
		if !strings.Contains(line, "sort: "+sort.String()) || !strings.Contains(line, "reversed") {
			t.Errorf("%v reversed: the listing line %q does not say so", sort, line)
		}
		h.press("g")
		if got := h.selected(); got != rev[0] {
			t.Errorf("%v reversed, g: selected %s; want %s", sort, got, rev[0])
		}
		h.press("G")
		if got := h.selected(); got != rev[len(rev)-1] {
			t.Errorf("%v reversed, G: selected %s; want %s", sort, got, rev[len(rev)-1])
		}
		h.press(repeat("pgup", 30)...)
		h.requireWindow(fmt.Sprintf("%v reversed, paged up from the end", sort), rev, h.selected())
		h.selectEmail(sel)
		h.press("S")
		h.requireWindow(fmt.Sprintf("%v back in order", sort), fwd, sel)
	}
}

// TestFiltersCombine: f chooses the status, F the role, and the list
// shows the users both select.
func TestFiltersCombine(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	statuses := []struct {
		name   string
		status user.Status
	}{{"active", user.Active}, {"disabled", user.Disabled}, {"locked", user.Locked}, {"blocked", user.Blocked}, {"all", user.AnyStatus}}
	roles := []struct {
		name string
		role user.Role
	}{{"admin", user.RoleAdmin}, {"analyst", user.RoleAnalyst}, {"viewer", user.RoleViewer}, {"all", ""}}
	for _, r := range roles {
		h.press("F")
		for _, s := range statuses {
			h.press("f")
			f := user.Filter{Status: s.status, Role: r.role}
			want := emailsOf(e.listing(t, user.ListOptions{Filter: f}))
			if got := h.emails(); !slices.Equal(got, want) {
				t.Fatalf("status %s, role %s: rows %v; want %v", s.name, r.name, got, want)
			}
			line := strings.Split(h.view(), "\n")[1]
			if !strings.Contains(line, "status: "+s.name) || !strings.Contains(line, "role: "+r.name) {
				t.Errorf("status %s, role %s: the listing line %q does not say so", s.name, r.name, line)
			}
			if h.m.list.count != len(want) {
				t.Errorf("status %s, role %s: count %d; want %d", s.name, r.name, h.m.list.count, len(want))
			}
		}
	}
	// disabled admins: sven only.
	h.press("F", "f", "f")
	if got := h.emails(); !slices.Equal(got, []string{"sven@example.org"}) {
		t.Errorf("disabled admins: %v; want sven", got)
	}
}

func wheel(b tea.MouseButton) tea.MouseMsg {
	return tea.MouseMsg{Button: b, Action: tea.MouseActionPress}
}

// TestMouseWheelScrolls: the wheel moves through the list and the audit
// log, and scrolls the details; a click selects the row clicked.
func TestMouseWheelScrolls(t *testing.T) {
	e := newEnv(t)
	e.many(t, 300)
	h := newHarness(t, e, 80, 24)
	all := emailsOf(e.listing(t, user.ListOptions{}))
	for range 30 {
		h.send(wheel(tea.MouseButtonWheelDown))
	}
	if h.m.list.cursor <= 20 || h.m.list.top == 0 {
		t.Errorf("30 wheel turns down: cursor %d, top %d; want the list scrolled", h.m.list.cursor, h.m.list.top)
	}
	h.requireWindow("after the wheel", all, h.selected())
	before := h.m.list.cursor
	h.send(wheel(tea.MouseButtonWheelUp))
	if h.m.list.cursor >= before {
		t.Errorf("wheel up: cursor %d; want above %d", h.m.list.cursor, before)
	}
	// A click on the fourth row of the table selects it.
	top := h.m.list.top
	h.send(tea.MouseMsg{X: 10, Y: 3 + 3, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if h.m.list.cursor != top+3 {
		t.Errorf("a click on the fourth row: cursor %d; want %d", h.m.list.cursor, top+3)
	}

	h.press("a")
	for range 10 {
		h.send(wheel(tea.MouseButtonWheelDown))
	}
	if h.m.audit.cursor == 0 {
		t.Error("the wheel does not move through the audit log")
	}
	h.press("esc")

	// Details longer than the screen: a dozen audit entries.
	for i := range 12 {
		if _, _, err := e.svc.SetDisabled(context.Background(), h.selected(), i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	h.send(tea.WindowSizeMsg{Width: 60, Height: 15})
	h.press("enter")
	for range 3 {
		h.send(wheel(tea.MouseButtonWheelDown))
	}
	if h.m.details.view.YOffset == 0 {
		t.Errorf("the wheel does not scroll the details:\n%s", h.view())
	}
}
