package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

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

	now := h.m.opts.Now()
	for _, want := range []struct {
		key, name string
		check     func(user.User) bool
	}{
		{"f", "active", func(u user.User) bool { return !u.Disabled() && !u.Locked(now) }},
		{"f", "disabled", user.User.Disabled},
		{"f", "locked", func(u user.User) bool { return u.Locked(now) }},
		{"f", "blocked", user.User.NeedsAdminUnlock},
		{"f", "all", func(user.User) bool { return true }},
		{"F", "admin", func(u user.User) bool { return u.HasRole(user.RoleAdmin) }},
		{"F", "analyst", func(u user.User) bool { return u.HasRole(user.RoleAnalyst) }},
		{"F", "viewer", func(u user.User) bool { return u.HasRole(user.RoleViewer) }},
		{"F", "all", func(user.User) bool { return true }},
	} {
		h.press(want.key)
		f := h.m.listOptions().Filter
		label := "status: " + statusChoices[h.m.list.status].name
		name := statusChoices[h.m.list.status].name
		if want.key == "F" {
			label = "role: " + roleName(roleChoices[h.m.list.role])
			name = roleName(roleChoices[h.m.list.role])
		}
		if name != want.name {
			t.Fatalf("after %s the filter is %s; want %s", want.key, name, want.name)
		}
		wantRows := emailsOf(e.listing(t, user.ListOptions{Filter: f}))
		if got := h.emails(); !slices.Equal(got, wantRows) {
			t.Fatalf("filter %s: rows = %v; want %v", name, got, wantRows)
		}
		for _, u := range h.m.list.rows {
			if !want.check(u) {
				t.Errorf("filter %s shows %s (roles %v, disabled %v)", name, u.Email, u.Roles, u.Disabled())
			}
		}
		if h.m.list.count != len(wantRows) {
			t.Errorf("filter %s: count %d; want %d", name, h.m.list.count, len(wantRows))
		}
		if v := h.view(); lineWith(v, label) < 0 {
			t.Errorf("the listing line does not say %s:\n%s", label, v)
		}
		if name == "disabled" {
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
	h.press("f", "f", "f") // locked, blocked, back to all
	h.press("/")
	h.typeText("ana")
	if title := firstLine(h.view()); !strings.Contains(title, "5 users of 30") {
		t.Errorf("searching title = %q; want it to say 5 users of 30", title)
	}
}

// TestCountBelongsToTheRowsShown: while a search or filter loads, the title
// does not show the new listing's count above the old listing's rows.
func TestCountBelongsToTheRowsShown(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.press("/")
	msgs := h.collect(h.updates("!")[0]) // no email holds a !
	// The count arrives first: the rows on screen are still all 30 users.
	var rest []tea.Msg
	for _, msg := range msgs {
		if _, ok := msg.(countMsg); ok {
			h.send(msg)
		} else {
			rest = append(rest, msg)
		}
	}
	v := h.view()
	if title := firstLine(v); strings.Contains(title, "users") || !strings.Contains(title, "searching…") {
		t.Errorf("title while the search loads = %q; want searching… and no count", title)
	}
	if lineWith(v, "anastasia@example.org") < 0 {
		t.Errorf("the rows on screen went away while the search loads:\n%s", v)
	}
	for _, msg := range rest {
		h.send(msg)
	}
	if title := firstLine(h.view()); !strings.Contains(title, "0 users of 30") {
		t.Errorf("title once the search landed = %q; want 0 users of 30", title)
	}
	h.press("esc")

	// The same for a filter, without a search: "loading…".
	msgs = h.collect(h.updates("f", "f")[1]) // disabled
	rest = rest[:0]
	for _, msg := range msgs {
		if _, ok := msg.(countMsg); ok {
			h.send(msg)
		} else {
			rest = append(rest, msg)
		}
	}
	if title := firstLine(h.view()); strings.Contains(title, "users") || !strings.Contains(title, "loading…") {
		t.Errorf("title while the filter loads = %q; want loading… and no count", title)
	}
	for _, msg := range rest {
		h.send(msg)
	}
	if title := firstLine(h.view()); !strings.Contains(title, "4 users of 30") {
		t.Errorf("title once the filter landed = %q; want 4 users of 30", title)
	}
}

// TestFilterKeepsSelection: changing the filter keeps the selected user
// when the new filter keeps it, and starts at the top when it does not.
func TestFilterKeepsSelection(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("hanako@example.org") // admin, viewer, active
	for _, step := range []struct {
		key, filter, want string
	}{
		{"f", "active", "hanako@example.org"},
		{"f", "disabled", "max@example.org"}, // hanako is not: the first row
		{"f", "locked", ""},
		{"f", "blocked", ""},
		{"f", "all", "anastasia@example.org"},
	} {
		h.press(step.key)
		name := statusChoices[h.m.list.status].name
		if name != step.filter {
			t.Fatalf("filter %s; want %s", name, step.filter)
		}
		if got := h.selected(); got != step.want {
			t.Errorf("filter %s: selected %q; want %q", name, got, step.want)
		}
		if step.want != "" {
			h.requireWindow("filter "+name, emailsOf(e.listing(t, h.m.listOptions())), step.want)
		}
		if h.m.list.count != len(h.emails()) {
			t.Errorf("filter %s: count %d; want %d", name, h.m.list.count, len(h.emails()))
		}
	}
	h.selectEmail("hanako@example.org")
	h.press("F") // admin: hanako is one
	if got := h.selected(); got != "hanako@example.org" {
		t.Errorf("filter admin: selected %q; want hanako kept", got)
	}
	h.press("F") // analyst: hanako is not
	if got := h.selected(); got != "otto@example.org" {
		t.Errorf("filter analyst: selected %q; want otto, the first row", got)
	}
}

// TestSearchHelpShowsKeysThatWork: while a search is typed, j and k type
// into it; the help shows only keys that do something else.
func TestSearchHelpShowsKeysThatWork(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 120, 40)
	h.press("/")
	help := helpLine(h.view())
	for _, bad := range []string{"/k", "/j", "k up", "j down"} {
		if strings.Contains(help, bad) {
			t.Errorf("search help %q shows %q, a key that types", help, bad)
		}
	}
	for _, want := range []string{"enter", "esc", "↑ up", "↓ down"} {
		if !strings.Contains(help, want) {
			t.Errorf("search help %q does not show %q", help, want)
		}
	}
	h.press("down")
	if h.m.list.cursor != 1 || h.m.list.search.Value() != "" {
		t.Errorf("down: cursor %d, search %q; want 1, none", h.m.list.cursor, h.m.list.search.Value())
	}
	h.press("j")
	if h.m.list.search.Value() != "j" {
		t.Errorf("j: search %q; want j typed", h.m.list.search.Value())
	}

	// With the full help on (? before /), the search still shows its keys.
	h.press("esc", "?", "/")
	v := h.view()
	if lineWith(v, "keep search") < 0 || lineWith(v, "pgdn") < 0 || lineWith(v, "↑/k") >= 0 || lineWith(v, "↓/j") >= 0 {
		t.Errorf("full help while searching:\n%s", v)
	}
}

// TestEmptyListSaysWhatApplies: an empty list explains itself with the keys
// that would change it, and an empty database always invites the first user.
func TestEmptyListSaysWhatApplies(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	for statusChoices[h.m.list.status].name != "locked" {
		h.press("f")
	}
	v := h.view()
	if lineWith(v, `No users match status "locked"`) < 0 || lineWith(v, "f and F change the filters") < 0 || strings.Contains(v, "Esc clears") {
		t.Errorf("a filter matching nothing, no search:\n%s", v)
	}
	h.press("/")
	h.typeText("nobody")
	h.press("enter") // f changes the filter again
	if v := h.view(); lineWith(v, "Esc clears the search, f and F change the filters") < 0 {
		t.Errorf("a search and a filter matching nothing:\n%s", v)
	}
	for statusChoices[h.m.list.status].name != "all" {
		h.press("f")
	}
	if v := h.view(); lineWith(v, "No users match the search. Esc clears it.") < 0 || strings.Contains(v, "change the filters") {
		t.Errorf("a search matching nothing, no filter:\n%s", v)
	}

	// An empty database, whatever the filter.
	e = newEnv(t)
	h = newHarness(t, e, 80, 24)
	for _, k := range append(repeat("f", len(statusChoices)), repeat("F", len(roleChoices))...) {
		h.press(k)
		v := h.view()
		name := h.m.listingText()
		if lineWith(v, "Press n to register the first user") < 0 || lineWith(v, "No users match") >= 0 {
			t.Errorf("empty database, filter %s:\n%s", name, v)
		}
		if title := firstLine(v); strings.Contains(title, "of 0") || !strings.Contains(title, "0 users") {
			t.Errorf("empty database, filter %s: title %q; want 0 users, not of 0", name, title)
		}
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

// TestRolesColumnGrows: a wide terminal shows long roles whole.
func TestRolesColumnGrows(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	e.register(t, "all.roles@example.org", user.RoleAdmin, user.RoleAnalyst, user.RoleViewer)
	h := newHarness(t, e, 200, 24)
	row := strings.Split(h.view(), "\n")[lineWith(h.view(), "all.roles@example.org")]
	if !strings.Contains(row, "admin,analyst,viewer ") {
		t.Errorf("at width 200 the roles are cut: %q", row)
	}
	header := strings.Split(h.view(), "\n")[2]
	if w := strings.Index(header, "STATUS") - strings.Index(header, "ROLES") - 1; w > 30 {
		t.Errorf("ROLES is %d columns wide; want at most 30", w)
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	row = strings.Split(h.view(), "\n")[lineWith(h.view(), "all.roles@example.org")]
	if !strings.Contains(row, "admin,analyst,viewer ") || !strings.Contains(row, "all.roles@example.org") {
		t.Errorf("at width 80 the roles or the email are cut: %q", row)
	}
	requireFits(t, "80 columns", h.view(), 80, 24)
}

// TestNarrowDatesKeepTheYear: a narrow terminal shows dates without the
// time rather than without the year.
func TestNarrowDatesKeepTheYear(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(-3 * 365 * 24 * time.Hour)
	old := e.register(t, "old@example.org")
	e.clock.Advance(3 * 365 * 24 * time.Hour)
	e.fixtures(t)
	h := newHarness(t, e, 60, 24)
	h.press("G") // the oldest user, last
	v := h.view()
	row := strings.Split(v, "\n")[lineWith(v, "old@example.org")]
	if year := old.CreatedAt.Format("2006-01-02"); !strings.Contains(row, year) {
		t.Errorf("at width 60 the row of a user created %s is %q; want the date with its year", year, row)
	}
	requireFits(t, "60 columns", v, 60, 24)
	h.send(tea.WindowSizeMsg{Width: 120, Height: 24})
	row = strings.Split(h.view(), "\n")[lineWith(h.view(), "old@example.org")]
	if want := old.CreatedAt.Format("2006-01-02 15:04"); !strings.Contains(row, want) {
		t.Errorf("at width 120 the row is %q; want %s", row, want)
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
