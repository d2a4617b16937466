package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// These tests come from a new user's first session with the TUI: each
// drives the model with keys over a real database, as the others do.

// collect runs cmd and the commands of its batches and returns their
// messages without delivering them, so that a test can deliver them in an
// order of its choosing.
func (h *harness) collect(cmd tea.Cmd) []tea.Msg {
	h.t.Helper()
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, h.collect(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// updates sends keys without running what they return, as keys typed
// faster than the database answers, and returns the commands.
func (h *harness) updates(keys ...string) []tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		_, cmd := h.m.Update(keyMsg(k))
		cmds = append(cmds, cmd)
	}
	return cmds
}

func repeat(key string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = key
	}
	return keys
}

// helpLine is the last line of the view, the help.
func helpLine(view string) string {
	lines := strings.Split(view, "\n")
	return lines[len(lines)-1]
}

// TestKeysPastTheWindowAreKept: keys pressed while the next chunk of rows
// loads (a key held down, tmux send-keys -N 3000 j) move the cursor as far
// as they ask once the rows arrive, in both directions, up to maxPending
// rows past the window; g, G and a new listing drop what is pending.
func TestKeysPastTheWindowAreKept(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,250 users")
	}
	e := newEnv(t)
	const n = 1250
	e.many(t, n)
	h := newHarness(t, e, 80, 24)
	full := emailsOf(e.listing(t, user.ListOptions{}))
	page := h.m.visibleRows()
	runAll := func(cmds []tea.Cmd) {
		for _, c := range cmds {
			h.run(c)
		}
	}

	// Every j is pressed before any page arrives.
	runAll(h.updates(repeat("j", 600)...))
	h.requireWindow("600 j typed ahead", full, full[600])

	h.press("G")
	runAll(h.updates(repeat("k", 600)...))
	h.requireWindow("600 k typed ahead from the end", full, full[n-1-600])

	h.press("g")
	runAll(h.updates(repeat("pgdown", 30)...))
	h.requireWindow("30 pgdown typed ahead", full, full[30*page])

	// Going back the other way before the rows arrive: the moves add up.
	h.press("g")
	keys := append(repeat("j", 500), repeat("k", 100)...)
	runAll(h.updates(keys...))
	h.requireWindow("500 j, 100 k typed ahead", full, full[400])

	// No more than maxPending rows past the window loaded when pressed:
	// G, then g, loads one chunk from the top.
	h.press("G", "g")
	if got := len(h.emails()); got != windowChunk {
		t.Fatalf("after G, g the window holds %d rows; want %d", got, windowChunk)
	}
	runAll(h.updates(repeat("j", 3000)...))
	h.requireWindow("3000 j typed ahead", full, full[windowChunk-1+maxPending])

	// G goes to the last row whatever is pending.
	h.press("g")
	runAll(append(h.updates(repeat("j", 600)...), h.updates("G")...))
	h.requireWindow("600 j then G", full, full[n-1])

	// A new listing drops what is pending: r reloads around the row the
	// cursor was on.
	h.press("g")
	runAll(append(h.updates(repeat("j", 600)...), h.updates("r")...))
	h.requireWindow("600 j then r", full, full[windowChunk-1])
	if h.m.list.pending != 0 {
		t.Errorf("pending = %d after a reload; want 0", h.m.list.pending)
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
	for filterChoices[h.m.list.filter].name != "locked" {
		h.press("f")
	}
	v := h.view()
	if lineWith(v, "No users match the filter") < 0 || lineWith(v, "f changes the filter") < 0 || strings.Contains(v, "Esc clears") {
		t.Errorf("a filter matching nothing, no search:\n%s", v)
	}
	h.press("/")
	h.typeText("nobody")
	h.press("enter") // f changes the filter again
	if v := h.view(); lineWith(v, "Esc clears the search, f changes the filter") < 0 {
		t.Errorf("a search and a filter matching nothing:\n%s", v)
	}
	for filterChoices[h.m.list.filter].name != "all" {
		h.press("f")
	}
	if v := h.view(); lineWith(v, "No users match the search. Esc clears it.") < 0 || strings.Contains(v, "f changes") {
		t.Errorf("a search matching nothing, no filter:\n%s", v)
	}

	// An empty database, whatever the filter.
	e = newEnv(t)
	h = newHarness(t, e, 80, 24)
	for range len(filterChoices) {
		h.press("f")
		v := h.view()
		name := filterChoices[h.m.list.filter].name
		if lineWith(v, "Press n to register the first user") < 0 || lineWith(v, "No users match") >= 0 {
			t.Errorf("empty database, filter %s:\n%s", name, v)
		}
		if title := firstLine(v); strings.Contains(title, "of 0") || !strings.Contains(title, "0 users") {
			t.Errorf("empty database, filter %s: title %q; want 0 users, not of 0", name, title)
		}
	}
}

// TestHelpKeySaysWhatItDoes: with the full help shown, ? shows fewer keys,
// and its help says so.
func TestHelpKeySaysWhatItDoes(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 120, 40)
	for _, screen := range []struct {
		name string
		open []string
	}{{"list", nil}, {"details", []string{"enter"}}, {"audit", []string{"a"}}} {
		h.press(screen.open...)
		// The details and the audit log leave ? out of their short help.
		if v := h.view(); screen.name == "list" && lineWith(v, "? more keys") < 0 {
			t.Errorf("%s: the short help does not offer ? more keys:\n%s", screen.name, v)
		}
		h.press("?")
		// The full help is in columns: "?   fewer keys".
		if v := h.view(); lineWith(v, "fewer keys") < 0 || lineWith(v, "more keys") >= 0 {
			t.Errorf("%s: the full help does not offer ? fewer keys:\n%s", screen.name, v)
		}
		h.press("?")
		if v := h.view(); (screen.name == "list" && lineWith(v, "? more keys") < 0) || lineWith(v, "fewer keys") >= 0 {
			t.Errorf("%s: back to the short help:\n%s", screen.name, v)
		}
		h.press("esc")
		h.requireScreen(screenList)
	}
}

// auditWindowCheck returns a check that the audit screen holds a contiguous
// run of all (the whole log, newest first), trimmed to a window, with the
// cursor on all[want].
func auditWindowCheck(t *testing.T, h *harness, all []user.AuditEntry) func(what string, want int) {
	return func(what string, want int) {
		t.Helper()
		a := &h.m.audit
		got := a.rows
		if len(got) == 0 {
			t.Fatalf("%s: no entries", what)
		}
		start := slices.IndexFunc(all, func(e user.AuditEntry) bool { return e.ID == got[0].ID })
		if start < 0 || start+len(got) > len(all) {
			t.Fatalf("%s: the window (%d entries from #%d) is not in the log", what, len(got), got[0].ID)
		}
		for i := range got {
			if got[i].ID != all[start+i].ID {
				t.Fatalf("%s: entry %d of the window is #%d; want #%d: not contiguous", what, i, got[i].ID, all[start+i].ID)
			}
		}
		if len(got) > maxWindow+windowChunk {
			t.Fatalf("%s: the window holds %d entries", what, len(got))
		}
		if start+a.cursor != want {
			t.Fatalf("%s: cursor on entry %d of the log; want %d", what, start+a.cursor, want)
		}
		if a.atStart != (start == 0) || a.atEnd != (start+len(got) == len(all)) {
			t.Fatalf("%s: atStart, atEnd = %v, %v for entries %d..%d of %d", what, a.atStart, a.atEnd, start, start+len(got), len(all))
		}
		if lineWith(h.view(), "> ") < 0 {
			t.Fatalf("%s: the selected entry is not drawn:\n%s", what, h.view())
		}
	}
}

// TestAuditBottomAndWindow: G goes to the oldest entry in one press, the
// log is held in a window, not loaded whole, and scrolling back from the
// oldest end loads newer entries.
func TestAuditBottomAndWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,250 users")
	}
	e := newEnv(t)
	e.many(t, 1250)
	h := newHarness(t, e, 80, 24)
	all := e.auditEntries(t, user.AuditFilter{})
	last := len(all) - 1
	check := auditWindowCheck(t, h, all)
	page := h.m.auditRows()

	h.press("a")
	check("open", 0)
	h.press("G")
	check("G", last)
	h.press("g")
	check("g", 0)
	h.press("end")
	check("end", last)

	// From the oldest end up to the newest: newer entries load above.
	for want := last; want > 0; {
		h.press("pgup")
		want = max(want-page, 0)
		check(fmt.Sprintf("pgup to %d", want), want)
	}
	// And down to the oldest, a page at a time: older entries load below,
	// the newest are trimmed.
	for want := 0; want < last; {
		h.press("pgdown")
		want = min(want+page, last)
		check(fmt.Sprintf("pgdown to %d", want), want)
	}
	// Keys typed ahead of the entries are kept here too.
	h.press("g")
	for _, c := range h.updates(repeat("j", 600)...) {
		h.run(c)
	}
	check("600 j typed ahead", 600)

	// With a search: G goes to the oldest matching entry.
	h.press("/")
	h.typeText("bulk0")
	h.press("enter", "G")
	matching := e.auditEntries(t, user.AuditFilter{Search: "bulk0"})
	if got, want := h.m.audit.rows[h.m.audit.cursor].ID, matching[len(matching)-1].ID; got != want {
		t.Errorf("G in a search: cursor on #%d; want the oldest match #%d", got, want)
	}
	auditWindowCheck(t, h, matching)("G in a search", len(matching)-1)
}

// TestAuditPagerBackward: the entries newer than one, as the audit screen
// fetches them to scroll up, are the nearest n, newest first, and whether
// more lie past them is known, in a dense log and a sparse search.
func TestAuditPagerBackward(t *testing.T) {
	e := newEnv(t)
	e.many(t, 300)
	ctx := context.Background()
	for _, search := range []string{"", "9@", "bulk02"} {
		all := e.auditEntries(t, user.AuditFilter{Search: search}) // newest first
		p := auditPager{e.svc, user.AuditFilter{Search: search}}
		for _, after := range []int64{0, 1, 5, 57, 150, 290, 299, 300, 301, 400} {
			for _, n := range []int{1, 7, 200} {
				var from *user.AuditEntry
				if after > 0 {
					from = &user.AuditEntry{ID: after}
				}
				got, more, err := fetch[user.AuditEntry](ctx, p, from, true, false, n)
				if err != nil {
					t.Fatal(err)
				}
				var newer []user.AuditEntry
				for _, a := range all {
					if a.ID > after {
						newer = append(newer, a)
					}
				}
				want := newer[max(len(newer)-n, 0):]
				if !slices.EqualFunc(got, want, func(a, b user.AuditEntry) bool { return a.ID == b.ID }) || more != (len(newer) > n) {
					t.Errorf("fetch(%q, before #%d, %d) = %d entries, more %v; want %d entries, more %v",
						search, after, n, len(got), more, len(want), len(newer) > n)
				}
			}
		}
	}
}

// TestAuditColumnsGiveDetailsTheRoom: the user's email takes what it needs
// up to 32 columns, the details the rest.
func TestAuditColumnsGiveDetailsTheRoom(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 100, 30)
	h.press("a")
	for _, width := range []int{80, 100, 120, 200} {
		h.send(tea.WindowSizeMsg{Width: width, Height: 30})
		header := strings.Split(h.view(), "\n")[2]
		userAt, detailsAt := strings.Index(header, "USER"), strings.Index(header, "DETAILS")
		userWidth, detailsWidth := detailsAt-userAt-1, width-detailsAt
		if userWidth > 32 || (width >= 100 && detailsWidth <= userWidth) {
			t.Errorf("at width %d: USER %d columns, DETAILS %d; want USER at most 32 and DETAILS the larger", width, userWidth, detailsWidth)
		}
		if width >= 100 && userWidth < len("anastasia@example.org") {
			t.Errorf("at width %d: USER %d columns cut the emails", width, userWidth)
		}
		if width == 100 && detailsWidth < 26 {
			t.Errorf("at width 100: DETAILS %d columns; want the spare width", detailsWidth)
		}
	}
}

// TestAuditEntryShowsInFull: enter shows every field of the selected entry
// whole, made safe to draw; esc returns to the log.
func TestAuditEntryShowsInFull(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	u := plantEvil(t, e)
	long := strings.Repeat("word ", 60) + "end-of-details"
	if _, err := rawDB(t, e.path).Exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details) VALUES (?, ?, ?, ?, ?, ?)`,
		"2026-03-01T11:00:00.000Z", "tester", "set-roles", u.ID, "long@example.org", long); err != nil {
		t.Fatal(err)
	}
	const width = 80
	h := newHarness(t, e, width, 30)
	h.press("a", "enter")
	v := h.view()
	requireSafe(t, "long entry", v, width)
	if !strings.Contains(v, "end-of-details") || strings.Count(v, "word") != 60 {
		t.Errorf("the long details are not shown whole:\n%s", v)
	}
	for _, want := range []string{"set-roles", "long@example.org", u.ID, "2026-03-01 11:00:00.000 UTC"} {
		if !strings.Contains(v, want) {
			t.Errorf("the entry does not show %q:\n%s", want, v)
		}
	}
	h.press("esc")
	h.requireScreen(screenAudit)
	if v := h.view(); lineWith(v, "TIME") < 0 {
		t.Errorf("esc does not return to the log:\n%s", v)
	}

	h.press("/")
	h.typeText("mallory")
	h.press("enter", "enter")
	v = h.view()
	requireSafe(t, "planted entry", v, width)
	for _, want := range []string{`mallory\x1b[5m`, `register\x07`, `evil\x1b[2J\x1b]0;pwned\x07\u202e@example.org`, `details\x1b]8;;http://x\x07link\x1b]8;;\x07`} {
		if !strings.Contains(strings.ReplaceAll(v, "\n"+strings.Repeat(" ", 14), ""), want) {
			t.Errorf("the planted entry does not show %q as visible text:\n%s", want, v)
		}
	}
	h.press("esc", "esc", "esc")
	h.requireScreen(screenList)
}

// TestFilterKeepsSelection: changing the filter keeps the selected user
// when the new filter keeps it, and starts at the top when it does not.
func TestFilterKeepsSelection(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("hanako@example.org") // admin, viewer, active
	for _, step := range []struct {
		filter, want string
	}{
		{"active", "hanako@example.org"},
		{"disabled", "max@example.org"}, // hanako is not: the first row
		{"locked", ""},
		{"admin", "nina@example.org"},
	} {
		h.press("f")
		fc := filterChoices[h.m.list.filter]
		if fc.name != step.filter {
			t.Fatalf("filter %s; want %s", fc.name, step.filter)
		}
		if got := h.selected(); got != step.want {
			t.Errorf("filter %s: selected %q; want %q", fc.name, got, step.want)
		}
		if step.want != "" {
			h.requireWindow("filter "+fc.name, emailsOf(e.listing(t, user.ListOptions{Filter: fc.filter})), step.want)
		}
		if fc.name != "locked" && h.m.list.count != len(h.emails()) {
			t.Errorf("filter %s: count %d; want %d", fc.name, h.m.list.count, len(h.emails()))
		}
	}
	h.selectEmail("hanako@example.org")
	h.press("f") // analyst: hanako is not
	if got := h.selected(); got != "otto@example.org" {
		t.Errorf("filter analyst: selected %q; want otto, the first row", got)
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

// TestDetailsTimeOnceInUTC: when local time is UTC, details show each time
// once; in another zone, local time and UTC.
func TestDetailsTimeOnceInUTC(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 100, 30) // Location: UTC
	u := e.get(t, "fay@example.org")
	h.selectEmail(u.Email)
	h.press("enter")
	want := "created     " + u.CreatedAt.Format("2006-01-02 15:04:05.000") + " UTC"
	if i := lineWith(h.view(), want); i < 0 || strings.Contains(strings.Split(h.view(), "\n")[i], "(") {
		t.Errorf("in UTC, details do not show the time once as %q:\n%s", want, h.view())
	}
	h.press("esc")
	h.m.opts.Location = time.FixedZone("CET", 3600)
	h.press("enter")
	want = "created     " + u.CreatedAt.In(h.m.opts.Location).Format("2006-01-02 15:04:05 MST") + "  (" + u.CreatedAt.Format("2006-01-02 15:04:05.000") + " UTC)"
	if lineWith(h.view(), want) < 0 {
		t.Errorf("in CET, details do not show %q:\n%s", want, h.view())
	}
}

// TestStatusMessageExpires: a status message is cleared after
// Options.StatusTimeout unless another has replaced it; errors stay.
func TestStatusMessageExpires(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.m.opts.StatusTimeout = 10 * time.Millisecond

	h.press("r")
	if h.m.status != "" {
		t.Errorf("status %q after its timeout; want it cleared", h.m.status)
	}

	// A timer for an earlier message leaves a later one alone.
	reload := h.updates("r")[0]
	if h.m.status != "reloaded" {
		t.Fatalf("status %q; want reloaded", h.m.status)
	}
	cancel := h.updates("n", "esc")[1]
	h.run(reload)
	if h.m.status != "cancelled" {
		t.Errorf("status %q; want cancelled, left by the reload's timer", h.m.status)
	}
	h.run(cancel)
	if h.m.status != "" {
		t.Errorf("status %q after its own timer; want it cleared", h.m.status)
	}

	// An error stays.
	h.selectEmail("bob@example.org")
	if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	reload = h.updates("r")[0]
	h.press("d", "y", "esc")
	h.run(reload)
	if !h.m.statusError || !strings.Contains(h.m.status, "user not found") {
		t.Errorf("status %q (error %v); want the error kept", h.m.status, h.m.statusError)
	}

	// The notice shown at start expires too.
	m := New(e.svc, Options{Now: e.clock.Now, Location: time.UTC, Notice: "migrated", StatusTimeout: time.Millisecond})
	h2 := &harness{t: t, env: e, m: m}
	if !strings.Contains(m.View(), "migrated") {
		t.Errorf("the notice does not show at start:\n%s", m.View())
	}
	h2.run(m.Init())
	if m.status != "" {
		t.Errorf("notice %q after its timeout; want it cleared", m.status)
	}
}
