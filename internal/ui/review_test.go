package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// requireWindow fails unless the list holds a contiguous run of full with
// the cursor on sel.
func (h *harness) requireWindow(what string, full []string, sel string) {
	h.t.Helper()
	rows := h.emails()
	if len(rows) == 0 {
		h.t.Fatalf("%s: no rows", what)
	}
	start := slices.Index(full, rows[0])
	if start < 0 || start+len(rows) > len(full) || !slices.Equal(rows, full[start:start+len(rows)]) {
		h.t.Fatalf("%s: the window (%d rows from %s) is not a contiguous run of the listing", what, len(rows), rows[0])
	}
	if got := h.selected(); got != sel {
		h.t.Fatalf("%s: selected %s; want %s", what, got, sel)
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
			h.press("esc")
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
	h.press("esc")
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
		{"roles", func() { h.press("e", "down", "space", "enter") }, func() string { return h.m.roles.err }},
		{"disable", func() { h.press("d", "y") }, func() string { return h.m.confirm.err }},
	} {
		s.act()
		if !strings.Contains(s.err(), "not found") {
			t.Fatalf("%s: error %q; want user not found", s.name, s.err())
		}
		requireSafe(t, s.name, h.view(), width)
		h.press("esc")
		h.requireScreen(screenList)
	}

	h.m.opts.AuditChain = func(context.Context) (int, string, error) {
		return 0, "audit chain: entry #7 by mallory\x1b[2J\x07 was changed", nil
	}
	h.press("a")
	requireSafe(t, "audit chain problem", h.view(), width)
	h.send(chainMsg{err: errors.New("read \x1b]0;pwned\x07 failed")})
	requireSafe(t, "audit chain error", h.view(), width)
	h.press("esc")

	h.m.opts.DBPath = "/tmp/\x1b[2J\u202e.db"
	requireSafe(t, "list title", h.view(), width)
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

// TestAuditChainCheckedOnOpenAndReload: the chain check reads the whole log,
// so it runs when the audit screen opens and on r, not on every change
// noticed while the screen is open.
func TestAuditChainCheckedOnOpenAndReload(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	var checks atomic.Int32
	h.m.opts.AuditChain = func(context.Context) (int, string, error) {
		checks.Add(1)
		return 1, "", nil
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
