package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

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
	if !strings.HasPrefix(first, "> ") || !strings.Contains(first, "disable") || !strings.Contains(first, "max@ex") {
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

// The audit screen shows the state of the hash chain, broken or whole.
func TestAuditScreenShowsChain(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	for _, tt := range []struct {
		state ChainState
		want  string
	}{
		{ChainState{Entries: 1234}, "chain ok, 1,234 entries"},
		{ChainState{Entries: 31, Problem: "audit chain: broken at entry #7"}, "broken at entry #7"},
		{ChainState{Entries: 12, RestartedAt: 9}, "chain ok, 12 entries, restarted at #9 after a break"},
	} {
		h := newHarness(t, e, 120, 40)
		h.m.opts.AuditChain = func(context.Context) (ChainState, error) { return tt.state, nil }
		h.press("a")
		if title := strings.Split(h.view(), "\n")[0]; !strings.Contains(title, tt.want) {
			t.Errorf("audit title = %q; want it to show %q", title, tt.want)
		}
	}
}

// TestAuditChainCheckedOnOpenAndReload: the chain check reads the whole log,
// so it runs when the audit screen opens and on r, not on every change
// noticed while the screen is open.
func TestAuditChainCheckedOnOpenAndReload(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	var checks atomic.Int32
	h.m.opts.AuditChain = func(context.Context) (ChainState, error) {
		checks.Add(1)
		return ChainState{Entries: 1}, nil
	}
	want := func(what string, n int32) {
		t.Helper()
		if got := checks.Load(); got != n {
			t.Errorf("%s: %d chain checks; want %d", what, got, n)
		}
	}
	h.press("a")
	want("open", 1)
	for v := range int64(3) {
		e.register(t, "w"+string(rune('a'+v))+"@example.org")
		h.send(dataVersionMsg{version: v + 1})
	}
	want("after changes elsewhere", 1)
	h.press("r")
	want("r", 2)
	h.press("esc", "a")
	want("reopened", 3)
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

// TestAuditRefreshKeepsPosition: a change elsewhere refreshes the audit
// screen; the cursor stays on its entry, even past the first page.
func TestAuditRefreshKeepsPosition(t *testing.T) {
	e := newEnv(t)
	e.many(t, 450)
	all := len(e.auditEntries(t, user.AuditFilter{}))
	h := newHarness(t, e, 80, 24)
	h.press("a")
	for range 16 {
		h.press("pgdown")
	}
	a := &h.m.audit
	if a.cursor <= windowChunk {
		t.Fatalf("fixture: cursor %d; want it past the first page", a.cursor)
	}
	id, cursor := a.rows[a.cursor].ID, a.cursor
	e.register(t, "new@example.org")
	h.send(dataVersionMsg{version: 1})
	if got := a.rows[a.cursor].ID; got != id || a.cursor != cursor+1 {
		t.Errorf("after a refresh the cursor is on entry %d at row %d; want entry %d, one row down at %d", got, a.cursor, id, cursor+1)
	}
	if lineWith(h.view(), "> ") < 0 {
		t.Errorf("the selected entry is not on screen:\n%s", h.view())
	}
	// The rest of the log still pages in.
	for range 20 {
		h.press("pgdown")
	}
	if len(a.rows) != all+1 {
		t.Errorf("after paging to the end: %d entries; want %d", len(a.rows), all+1)
	}

	// At the top, a new entry comes into view above the selected one.
	h.press("g")
	id = a.rows[0].ID
	e.register(t, "newer@example.org")
	h.send(dataVersionMsg{version: 2})
	if a.cursor != 1 || a.top != 0 || a.rows[1].ID != id {
		t.Errorf("cursor %d, top %d; want the cursor kept on its entry, now row 1, under the new one", a.cursor, a.top)
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
