package ui

import (
	"context"
	"errors"
	"testing"

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
