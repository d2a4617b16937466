package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// TestListRefreshKeepsItsPlace: a change made elsewhere reloads the list
// around the selected user without scrolling it. A change that moves no row
// leaves the screen as it was, at the top of the listing and deep in it; a
// user added above the first row shown comes into view, the selected one
// a line lower.
func TestListRefreshKeepsItsPlace(t *testing.T) {
	e := newEnv(t)
	e.many(t, 600)
	h := newHarness(t, e, 80, 24)
	version := int64(1)
	h.send(dataVersionMsg{version: version})
	changeElsewhere := func(change func()) {
		t.Helper()
		change()
		version++
		h.send(dataVersionMsg{version: version})
	}
	disableOldest := func() {
		// bulk0000 is the last row of the listing, off screen.
		if _, _, err := e.svc.SetDisabled(context.Background(), "bulk0000@example.org", version%2 == 0); err != nil {
			t.Fatal(err)
		}
	}

	for _, step := range []struct {
		what string
		keys []string
	}{
		{"near the top", repeat("j", 12)},
		{"deep in the listing", append(repeat("pgdown", 12), repeat("k", 3)...)},
	} {
		h.press(step.keys...)
		before, sel := h.view(), h.selected()
		changeElsewhere(disableOldest)
		if h.selected() != sel {
			t.Fatalf("%s: selected %s after a change elsewhere; want %s", step.what, h.selected(), sel)
		}
		if v := h.view(); v != before {
			t.Errorf("%s: a change elsewhere that moved no row changed the screen from\n%s\nto\n%s", step.what, before, v)
		}
	}

	h.press("g")
	h.press(repeat("j", 12)...)
	sel, line := h.selected(), lineWith(h.view(), "> ")
	changeElsewhere(func() { e.register(t, "new@example.org", user.RoleViewer) })
	v := h.view()
	if h.selected() != sel || lineWith(v, "> ") != line+1 || lineWith(v, "new@example.org") != line-12 {
		t.Errorf("after a user was added above: selected %s on line %d, new@example.org on line %d; want %s on line %d, the new user on line %d:\n%s",
			h.selected(), lineWith(v, "> "), lineWith(v, "new@example.org"), sel, line+1, line-12, v)
	}
}

// TestAuditRefreshDeepKeepsItsPlace: deep in the audit log, past the
// newest entries' window, a change elsewhere reloads around the selected
// entry: the screen stays as it was.
func TestAuditRefreshDeepKeepsItsPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 1,250 users")
	}
	e := newEnv(t)
	e.many(t, 1250)
	h := newHarness(t, e, 80, 24)
	h.press("a")
	a := &h.m.audit
	for a.atStart {
		h.press("pgdown")
	}
	h.press("k", "k")
	before, id := h.view(), a.rows[a.cursor].ID
	e.register(t, "new@example.org")
	h.send(dataVersionMsg{version: 1})
	if got := a.rows[a.cursor].ID; got != id || a.atStart {
		t.Errorf("after a refresh deep in the log: cursor on #%d, atStart %v; want #%d, not the newest entries", got, a.atStart, id)
	}
	if v := h.view(); v != before {
		t.Errorf("a refresh deep in the log changed the screen from\n%s\nto\n%s", before, v)
	}
}

// TestEndsDropPendingMoves: g and G go to the listing's first and last row
// when the window holds it, whatever moves typed ahead wait for rows.
func TestEndsDropPendingMoves(t *testing.T) {
	e := newEnv(t)
	e.many(t, 300) // more than a chunk: the window holds one end only
	full := emailsOf(e.listing(t, user.ListOptions{}))
	for _, tt := range []struct{ end, away, what string }{
		{"g", "j", full[0]},
		{"G", "k", full[len(full)-1]},
	} {
		h := newHarness(t, e, 80, 24)
		h.press(tt.end)
		typedAhead := h.updates(repeat(tt.away, 250)...) // past the window: pending
		if h.m.list.pending == 0 {
			t.Fatalf("fixture: nothing pending after 250 %s", tt.away)
		}
		h.press(tt.end)
		for _, c := range typedAhead {
			h.run(c)
		}
		if h.selected() != tt.what {
			t.Errorf("250 %s typed ahead, then %s: selected %s; want %s", tt.away, tt.end, h.selected(), tt.what)
		}
	}
}

// ints returns the rows from to to-1 of a listing of ints.
func ints(from, to int) []int {
	rows := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		rows = append(rows, i)
	}
	return rows
}

// TestWindowApply: pages grow the window, and trim it past maxWindow on the
// side away from the cursor, never the side the cursor is near; a failed
// page or one for an earlier window changes no rows.
func TestWindowApply(t *testing.T) {
	const lines = 10
	head := func(cursor int) window[int] { // the listing's first 1,000 rows
		return window[int]{rows: ints(0, 1000), cursor: cursor, top: max(cursor-5, 0), atStart: true, seq: 1, fetchingDown: true, pending: 3}
	}
	tail := func(cursor int) window[int] { // rows 1,000 to 1,999, the last
		return window[int]{rows: ints(1000, 2000), cursor: cursor, top: max(cursor-5, 0), atEnd: true, seq: 1, fetchingUp: true}
	}
	tests := []struct {
		name               string
		w                  window[int]
		msg                pageMsg[int]
		applied            bool
		first, n, selected int // rows[0], len(rows) and rows[cursor] after
		atStart, atEnd     bool
		pending            int
	}{
		{"append, cursor deep: the start is trimmed", head(950), pageMsg[int]{seq: 1, kind: pageAppend, rows: ints(1000, 1200)},
			true, 200, 1000, 953, false, false, 0},
		{"append, cursor near the start: kept", head(50), pageMsg[int]{seq: 1, kind: pageAppend, rows: ints(1000, 1200)},
			true, 0, 1200, 53, true, false, 0},
		{"prepend, cursor near the start: the end is trimmed", tail(30), pageMsg[int]{seq: 1, kind: pagePrepend, rows: ints(800, 1000)},
			true, 800, 1000, 1030, false, false, 0},
		{"prepend, cursor near the end: kept", tail(980), pageMsg[int]{seq: 1, kind: pagePrepend, rows: ints(800, 1000)},
			true, 800, 1200, 1980, false, true, 0},
		{"new window larger than maxWindow, cursor high: its end is trimmed", head(0), pageMsg[int]{seq: 1, kind: pageReplace, rows: ints(0, 1300), at: 100, atStart: true, atEnd: true},
			true, 0, 1000, 100, true, false, 0},
		{"new window larger than maxWindow, cursor low: its start is trimmed", head(0), pageMsg[int]{seq: 1, kind: pageReplace, rows: ints(0, 1300), at: 1250, atStart: true, atEnd: true},
			true, 300, 1000, 1250, false, true, 0},
		{"failed page", head(950), pageMsg[int]{seq: 1, kind: pageAppend, rows: ints(1000, 1200), err: errors.New("disk I/O error")},
			true, 0, 1000, 950, true, false, 0},
		{"page for an earlier window", head(950), pageMsg[int]{seq: 0, kind: pageReplace, rows: ints(5, 6), atStart: true, atEnd: true},
			false, 0, 1000, 950, true, false, 3},
	}
	for _, tt := range tests {
		w := tt.w
		applied := w.apply(tt.msg, lines)
		got, _ := w.selected()
		if applied != tt.applied || w.rows[0] != tt.first || len(w.rows) != tt.n || got != tt.selected ||
			w.atStart != tt.atStart || w.atEnd != tt.atEnd || w.pending != tt.pending {
			t.Errorf("%s: apply = %v; rows %d.. (%d), cursor on %d, atStart %v, atEnd %v, pending %d; want %v; rows %d.. (%d), cursor on %d, atStart %v, atEnd %v, pending %d",
				tt.name, applied, w.rows[0], len(w.rows), got, w.atStart, w.atEnd, w.pending,
				tt.applied, tt.first, tt.n, tt.selected, tt.atStart, tt.atEnd, tt.pending)
		}
		if w.cursor < w.top || w.cursor >= w.top+lines {
			t.Errorf("%s: cursor %d off the screen from %d", tt.name, w.cursor, w.top)
		}
		if tt.applied && (w.fetchingDown || w.fetchingUp) {
			t.Errorf("%s: still fetching after the page came", tt.name)
		}
	}
}

// TestWindowRestartCancels: a new window cancels the queries still running
// for the one before.
func TestWindowRestartCancels(t *testing.T) {
	var w window[int]
	_, first := w.restart()
	_, second := w.restart()
	if first.Err() == nil || second.Err() != nil {
		t.Errorf("after a restart: earlier context %v, new %v; want the earlier cancelled only", first.Err(), second.Err())
	}
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

// TestScrollDuringReloadKeepsWindowContiguous: a key pressed while a new
// listing's window is on its way (after r, after s) must not fetch rows
// beyond the old window under the new listing's number: they would pass the
// stale check and be grafted onto the new window. The messages are
// delivered in that racy order by running the commands by hand.
func TestScrollDuringReloadKeepsWindowContiguous(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 600 users")
	}
	e := newEnv(t)
	e.many(t, 600)
	h := newHarness(t, e, 80, 24)
	full := emailsOf(e.listing(t, user.ListOptions{}))
	for range 11 {
		h.press("pgdown") // row 209 of a window of rows 0..399
	}
	sel := h.selected()
	h.requireWindow("before r", full, sel)

	// r reloads the window around the selected user (rows 109..408); pgdown
	// on the old window before that lands nears its end.
	_, reload := h.m.Update(keyMsg("r"))
	var early []tea.Cmd
	for range 8 {
		_, cmd := h.m.Update(keyMsg("pgdown"))
		early = append(early, cmd)
	}
	h.run(reload)
	for _, cmd := range early {
		h.run(cmd)
	}
	h.requireWindow("r, pgdown before the reload landed", full, sel)

	// s re-sorts around the selected user; pgdown on the window in the old
	// order must not fetch rows of the new order after the old window's end.
	h.press("s") // by updated: the same order here
	sel = h.selected()
	_, resort := h.m.Update(keyMsg("s")) // by email
	early = early[:0]
	for range 8 {
		_, cmd := h.m.Update(keyMsg("pgdown"))
		early = append(early, cmd)
	}
	h.run(resort)
	for _, cmd := range early {
		h.run(cmd)
	}
	full = emailsOf(e.listing(t, user.ListOptions{Sort: user.ByEmail}))
	h.requireWindow("s, pgdown before the new order landed", full, sel)

	// Once it has landed, the window grows as usual.
	for range 20 {
		h.press("pgdown")
		h.requireWindow("pgdown after", full, h.selected())
	}
	if l := &h.m.list; l.loading || l.fetchingUp || l.fetchingDown {
		t.Errorf("loading %v, fetching up %v, down %v; want nothing pending", l.loading, l.fetchingUp, l.fetchingDown)
	}
}

func TestClampWindow(t *testing.T) {
	for _, tt := range []struct {
		cursor, top, n, rows int
		wantCursor, wantTop  int
	}{
		{0, 0, 0, 10, 0, 0},      // no rows
		{5, 0, 3, 10, 2, 0},      // cursor past the rows
		{-1, 0, 3, 10, 0, 0},     // before them
		{15, 0, 30, 10, 15, 6},   // below the screen: scrolls down
		{3, 8, 30, 10, 3, 3},     // above it: scrolls up
		{29, 25, 30, 10, 29, 20}, // no blank lines past the end
		{5, 2, 30, 10, 5, 2},     // on screen: nothing moves
	} {
		c, top := clampWindow(tt.cursor, tt.top, tt.n, tt.rows)
		if c != tt.wantCursor || top != tt.wantTop {
			t.Errorf("clampWindow(%d, %d, %d, %d) = %d, %d; want %d, %d", tt.cursor, tt.top, tt.n, tt.rows, c, top, tt.wantCursor, tt.wantTop)
		}
	}
}
