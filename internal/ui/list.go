package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// The list holds a window of rows around the cursor, never the whole table:
// windowChunk rows are fetched at a time by keyset pagination, a fetch starts
// when the cursor comes within prefetchMargin rows of an edge that is not the
// end of the listing, and the far side is trimmed past maxWindow rows.
const (
	windowChunk    = 200
	prefetchMargin = 100
	maxWindow      = 1000
	// maxPending caps the movement kept for rows not loaded yet (see
	// scroll): a key held down, or typed far ahead, moves at most a whole
	// window past the rows loaded when it was pressed.
	maxPending = maxWindow
)

// scroll is a cursor over a window of rows loaded from a longer listing
// (the users, the audit log).
type scroll struct {
	cursor, top int
	// atStart and atEnd report whether the window holds the listing's first
	// and last rows.
	atStart, atEnd bool
	// pending is movement asked for past an edge of the window that is not
	// an edge of the listing, while the rows there load: keys pressed faster
	// than pages arrive. It is applied as they arrive, and dropped by a new
	// window.
	pending int
}

// moveBy moves the cursor delta rows, after any pending movement, over a
// window of n rows of which rows show. What goes past an edge of the window
// that is not an edge of the listing is kept in pending, up to maxPending.
// moveBy(0, ...) applies the pending movement to rows that arrived.
func (s *scroll) moveBy(delta, n, rows int) {
	want := s.cursor + s.pending + delta
	s.cursor, s.top = clampWindow(want, s.top, n, rows)
	switch over := want - s.cursor; {
	case n > 0 && over > 0 && !s.atEnd:
		s.pending = min(over, maxPending)
	case n > 0 && over < 0 && !s.atStart:
		s.pending = max(over, -maxPending)
	default:
		s.pending = 0
	}
}

// filterChoice is one step of the f cycle.
type filterChoice struct {
	name   string
	filter user.Filter
}

var filterChoices = []filterChoice{
	{"all", user.Filter{}},
	{"active", user.Filter{Status: user.Active}},
	{"disabled", user.Filter{Status: user.Disabled}},
	{"locked", user.Filter{Status: user.Locked}},
	{"admin", user.Filter{Role: user.RoleAdmin}},
	{"analyst", user.Filter{Role: user.RoleAnalyst}},
	{"viewer", user.Filter{Role: user.RoleViewer}},
}

var sortChoices = []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail}

type listState struct {
	rows []user.User
	scroll
	// rowsFilter is the filter (and search) of the listing the rows belong
	// to; it differs from the one asked for while a new listing loads.
	rowsFilter user.Filter
	// rolesWidth is the width of the widest roles among the rows.
	rolesWidth int

	// seq numbers the listing (sort, filter, search); answers for an older
	// listing, such as a search the user has typed past, are dropped, and
	// cancel stops the queries still running for it.
	seq                      int
	ctx                      context.Context
	cancel                   context.CancelFunc
	loading                  bool
	fetchingUp, fetchingDown bool

	sort      int // index into sortChoices
	filter    int // index into filterChoices
	search    textinput.Model
	searching bool

	count       int         // users matching countFilter
	countFilter user.Filter // the filter count was counted for
	counted     bool        // count holds a count
	total       int         // users in the database
	totaled     bool        // total holds a count
}

func newListState() listState {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "search email"
	ti.CharLimit = 254
	ti.Cursor.SetMode(cursor.CursorStatic)
	return listState{search: ti, loading: true, ctx: context.Background()}
}

// listPageMsg carries rows fetched for the list.
type listPageMsg struct {
	seq  int
	kind pageKind
	rows []user.User
	// selectID is the user to put the cursor on after a reload, if present.
	selectID string
	// before counts the rows of an around-load that precede the anchor.
	before         int
	atStart, atEnd bool
	err            error
}

type pageKind int

const (
	pageReplace pageKind = iota // a new window
	pageAppend                  // rows after the window
	pagePrepend                 // rows before the window
)

// countMsg carries the number of users matching listing seq, whose filter
// is filter.
type countMsg struct {
	seq, n int
	filter user.Filter
	err    error
}

// totalMsg carries the number of users in the database.
type totalMsg struct {
	n   int
	err error
}

func (m *Model) listOptions() user.ListOptions {
	l := &m.list
	f := filterChoices[l.filter].filter
	f.Search = strings.TrimSpace(l.search.Value())
	return user.ListOptions{Filter: f, Sort: sortChoices[l.sort]}
}

// visibleRows is how many table rows fit on the list screen.
func (m *Model) visibleRows() int {
	// Title, listing line and column header above; status and help below.
	return max(m.height-5, 1)
}

// newListing starts a new listing generation: queries still running for
// the previous one are cancelled, so fast typing does not pile up scans.
// Until the new listing's first window lands (l.loading), the window on
// screen belongs to the old listing and nothing may be fetched to extend it:
// a page asked for with the new seq would pass the stale check and be
// grafted onto the new window.
func (m *Model) newListing() (seq int, ctx context.Context) {
	l := &m.list
	if l.cancel != nil {
		l.cancel()
	}
	l.seq++
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.loading = true
	l.fetchingUp, l.fetchingDown = false, false
	l.pending = 0
	return l.seq, l.ctx
}

// reloadList starts a new listing from its first row, selecting selectID if
// it is among them. Earlier answers are dropped.
func (m *Model) reloadList(selectID string) tea.Cmd {
	seq, ctx := m.newListing()
	opts, svc := m.listOptions(), m.svc
	load := func() tea.Msg {
		opts.Limit = windowChunk
		rows, err := svc.Page(ctx, opts)
		return listPageMsg{seq: seq, kind: pageReplace, rows: rows, selectID: selectID,
			atStart: true, atEnd: len(rows) < windowChunk, err: err}
	}
	return tea.Batch(load, m.countCmd())
}

// loadLast starts the listing from its last row.
func (m *Model) loadLast() tea.Cmd {
	seq, ctx := m.newListing()
	opts, svc := m.listOptions(), m.svc
	return func() tea.Msg {
		opts.Limit, opts.Reverse = windowChunk, true
		rows, err := svc.Page(ctx, opts)
		slices.Reverse(rows)
		return listPageMsg{seq: seq, kind: pageReplace, rows: rows, before: len(rows) - 1,
			atStart: len(rows) < windowChunk, atEnd: true, err: err}
	}
}

// loadAround reloads a window around the row at anchor (kept or not), and
// puts the cursor on selectID when it is there. This is how the list keeps
// its place when rows change under it.
func (m *Model) loadAround(anchor user.Cursor, selectID string) tea.Cmd {
	return m.loadAt(anchor, selectID, false)
}

// loadAt is loadAround; with orFirst, when selectID is not in the listing
// (at anchor), it loads the listing from its first row instead.
func (m *Model) loadAt(anchor user.Cursor, selectID string, orFirst bool) tea.Cmd {
	seq, ctx := m.newListing()
	opts, svc := m.listOptions(), m.svc
	return func() tea.Msg {
		back := opts
		back.After, back.Reverse, back.Limit = &anchor, true, windowChunk/2
		before, err := svc.Page(ctx, back)
		if err != nil {
			return listPageMsg{seq: seq, err: err}
		}
		slices.Reverse(before)
		fwd := opts
		fwd.After, fwd.Inclusive, fwd.Limit = &anchor, true, windowChunk
		after, err := svc.Page(ctx, fwd)
		if err != nil {
			return listPageMsg{seq: seq, err: err}
		}
		if orFirst && (len(after) == 0 || after[0].ID != selectID) {
			first := opts
			first.Limit = windowChunk
			rows, err := svc.Page(ctx, first)
			return listPageMsg{seq: seq, kind: pageReplace, rows: rows, atStart: true, atEnd: len(rows) < windowChunk, err: err}
		}
		return listPageMsg{seq: seq, kind: pageReplace, rows: append(before, after...), selectID: selectID,
			before: len(before), atStart: len(before) < windowChunk/2, atEnd: len(after) < windowChunk}
	}
}

// refreshList reloads the window where it is, keeping the selected user.
func (m *Model) refreshList() tea.Cmd {
	l := &m.list
	if len(l.rows) == 0 {
		return tea.Batch(m.reloadList(""), m.totalCmd())
	}
	sel := l.rows[l.cursor]
	return tea.Batch(m.loadAround(user.CursorOf(sel, sortChoices[l.sort]), sel.ID), m.countCmd(), m.totalCmd())
}

func (m *Model) countCmd() tea.Cmd {
	seq, ctx, f, svc := m.list.seq, m.list.ctx, m.listOptions().Filter, m.svc
	return func() tea.Msg {
		n, err := svc.Count(ctx, f)
		return countMsg{seq: seq, n: n, filter: f, err: err}
	}
}

func (m *Model) totalCmd() tea.Cmd {
	svc := m.svc
	return func() tea.Msg {
		n, err := svc.Count(context.Background(), user.Filter{})
		return totalMsg{n: n, err: err}
	}
}

// ensureLoaded fetches more rows when the cursor nears an edge of the window
// that is not an edge of the listing.
func (m *Model) ensureLoaded() tea.Cmd {
	l := &m.list
	if l.loading || len(l.rows) == 0 {
		return nil
	}
	margin := max(prefetchMargin, 2*m.visibleRows())
	var cmds []tea.Cmd
	sortKey := sortChoices[l.sort]
	if !l.atEnd && !l.fetchingDown && len(l.rows)-1-l.cursor < margin {
		l.fetchingDown = true
		seq, ctx, opts, svc := l.seq, l.ctx, m.listOptions(), m.svc
		after := user.CursorOf(l.rows[len(l.rows)-1], sortKey)
		cmds = append(cmds, func() tea.Msg {
			opts.After, opts.Limit = &after, windowChunk
			rows, err := svc.Page(ctx, opts)
			return listPageMsg{seq: seq, kind: pageAppend, rows: rows, atEnd: len(rows) < windowChunk, err: err}
		})
	}
	if !l.atStart && !l.fetchingUp && l.cursor < margin {
		l.fetchingUp = true
		seq, ctx, opts, svc := l.seq, l.ctx, m.listOptions(), m.svc
		before := user.CursorOf(l.rows[0], sortKey)
		cmds = append(cmds, func() tea.Msg {
			opts.After, opts.Reverse, opts.Limit = &before, true, windowChunk
			rows, err := svc.Page(ctx, opts)
			slices.Reverse(rows)
			return listPageMsg{seq: seq, kind: pagePrepend, rows: rows, atStart: len(rows) < windowChunk, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (m *Model) onListPage(msg listPageMsg) tea.Cmd {
	l := &m.list
	if msg.seq != l.seq {
		return nil // an answer for a listing the user has moved on from
	}
	switch msg.kind {
	case pageAppend:
		l.fetchingDown = false
	case pagePrepend:
		l.fetchingUp = false
	default:
		// A new window: no fetch can be running for it yet.
		l.loading = false
		l.fetchingUp, l.fetchingDown = false, false
	}
	if msg.err != nil {
		l.pending = 0
		m.fail(msg.err)
		return nil
	}
	switch msg.kind {
	case pageReplace:
		l.rows = msg.rows
		l.rowsFilter = m.listOptions().Filter
		l.atStart, l.atEnd = msg.atStart, msg.atEnd
		l.pending = 0
		l.cursor = min(max(msg.before, 0), max(len(l.rows)-1, 0))
		if msg.selectID != "" {
			if i := slices.IndexFunc(l.rows, func(u user.User) bool { return u.ID == msg.selectID }); i >= 0 {
				l.cursor = i
			}
		}
		// Keep the selected row where it was on screen when possible.
		l.top = max(l.cursor-m.visibleRows()/3, 0)
	case pageAppend:
		l.rows = append(l.rows, msg.rows...)
		l.atEnd = msg.atEnd
		l.moveBy(0, len(l.rows), m.visibleRows()) // keys pressed while the rows loaded
		if extra := len(l.rows) - maxWindow; extra > 0 && l.cursor-extra > prefetchMargin {
			l.rows = slices.Delete(l.rows, 0, extra)
			l.cursor -= extra
			l.top -= extra
			l.atStart = false
		}
	case pagePrepend:
		l.rows = append(msg.rows, l.rows...)
		l.cursor += len(msg.rows)
		l.top += len(msg.rows)
		l.atStart = msg.atStart
		l.moveBy(0, len(l.rows), m.visibleRows())
		if extra := len(l.rows) - maxWindow; extra > 0 && len(l.rows)-extra-1-l.cursor > prefetchMargin {
			l.rows = l.rows[:len(l.rows)-extra]
			l.atEnd = false
		}
	}
	m.clampList()
	l.rolesWidth = 0
	for _, u := range l.rows {
		l.rolesWidth = max(l.rolesWidth, ansi.StringWidth(textsafe.Line(user.JoinRoles(u.Roles))))
	}
	return m.ensureLoaded()
}

// clampList keeps the cursor on a row and the row on screen.
func (m *Model) clampList() {
	l := &m.list
	l.cursor, l.top = clampWindow(l.cursor, l.top, len(l.rows), m.visibleRows())
}

// move shifts the cursor by delta rows. Rows past the window wait for
// their page (see scroll.moveBy).
func (m *Model) move(delta int) tea.Cmd {
	l := &m.list
	l.moveBy(delta, len(l.rows), m.visibleRows())
	return m.ensureLoaded()
}

// selected returns the user under the cursor.
func (m *Model) selected() (user.User, bool) {
	l := &m.list
	if len(l.rows) == 0 {
		return user.User{}, false
	}
	return l.rows[l.cursor], true
}

func (m *Model) listKey(msg tea.KeyMsg) tea.Cmd {
	l := &m.list
	k := m.keys
	if l.searching {
		switch {
		case key.Matches(msg, k.ClearSearch):
			l.searching = false
			l.search.Blur()
			if l.search.Value() == "" {
				return nil
			}
			l.search.SetValue("")
			return m.reloadList("")
		case key.Matches(msg, k.AcceptSearch):
			l.searching = false
			l.search.Blur()
			return nil
		// Keys that type nothing move through the results while typing.
		case key.Matches(msg, k.SearchUp):
			return m.move(-1)
		case key.Matches(msg, k.SearchDown):
			return m.move(1)
		case key.Matches(msg, k.SearchPageUp):
			return m.move(-m.visibleRows())
		case key.Matches(msg, k.SearchPageDown):
			return m.move(m.visibleRows())
		default:
			before := l.search.Value()
			var cmd tea.Cmd
			l.search, cmd = l.search.Update(msg)
			if l.search.Value() != before {
				return tea.Batch(cmd, m.reloadList(""))
			}
			return cmd
		}
	}
	page := m.visibleRows()
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Up):
		return m.move(-1)
	case key.Matches(msg, k.Down):
		return m.move(1)
	case key.Matches(msg, k.PageUp):
		return m.move(-page)
	case key.Matches(msg, k.PageDown):
		return m.move(page)
	case key.Matches(msg, k.Top):
		l.pending = 0 // g and G go where they go, whatever was pending
		if l.atStart {
			return m.move(-len(l.rows))
		}
		return m.reloadList("")
	case key.Matches(msg, k.Bottom):
		l.pending = 0
		if l.atEnd {
			return m.move(len(l.rows))
		}
		return m.loadLast()
	case key.Matches(msg, k.Search):
		l.searching = true
		return l.search.Focus()
	case key.Matches(msg, k.ClearSearch):
		if l.search.Value() != "" {
			l.search.SetValue("")
			return m.reloadList("")
		}
		return nil
	case key.Matches(msg, k.Sort):
		l.sort = (l.sort + 1) % len(sortChoices)
		// Keep the selected user in view, wherever the new order puts it.
		if u, ok := m.selected(); ok {
			return tea.Batch(m.loadAround(user.CursorOf(u, sortChoices[l.sort]), u.ID), m.countCmd())
		}
		return m.reloadList("")
	case key.Matches(msg, k.Filter):
		l.filter = (l.filter + 1) % len(filterChoices)
		// Keep the selected user when the new filter keeps it too; the
		// listing loads from its first row when it does not.
		if u, ok := m.selected(); ok {
			return tea.Batch(m.loadAt(user.CursorOf(u, sortChoices[l.sort]), u.ID, true), m.countCmd())
		}
		return m.reloadList("")
	case key.Matches(msg, k.Reload):
		m.setStatus("reloaded", false)
		return m.refreshList()
	case key.Matches(msg, k.TimeMode):
		m.relative = !m.relative
		return nil
	case key.Matches(msg, k.Help):
		m.toggleHelp()
		return nil
	case key.Matches(msg, k.New):
		return m.openRegister()
	case key.Matches(msg, k.Audit):
		return m.openAudit()
	}
	u, ok := m.selected()
	if !ok {
		return nil
	}
	m.back = screenList
	if key.Matches(msg, k.Open) {
		return m.openDetails(u)
	}
	cmd, _ := m.actionKey(msg, u)
	return cmd
}

func (m *Model) selectedID() string {
	if u, ok := m.selected(); ok {
		return u.ID
	}
	return ""
}

func (m *Model) listHelp() help.KeyMap {
	k := m.keys
	if m.list.searching {
		// Letters type into the search: only keys that type nothing work.
		return bindingHelp{
			short: []key.Binding{k.AcceptSearch, k.ClearSearch, k.SearchUp, k.SearchDown},
			full:  [][]key.Binding{{k.AcceptSearch, k.ClearSearch}, {k.SearchUp, k.SearchDown, k.SearchPageUp, k.SearchPageDown}},
		}
	}
	return bindingHelp{
		short: []key.Binding{k.Up, k.Down, k.Open, k.New, k.Search, k.Sort, k.Filter, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Search, k.ClearSearch, k.Sort, k.Filter, k.TimeMode, k.Reload},
			{k.Open, k.New, k.Roles, k.Password, k.Disable, k.Unlock, k.Delete},
			{k.Audit, k.Help, k.Quit},
		},
	}
}

// columns lays out the table for the terminal width.
type columns struct {
	email, roles, status int
	times                timeFormat
}

func (m *Model) listColumns() columns {
	c := columns{roles: 15, status: 8, times: timeFormat{relative: m.relative, loc: m.opts.Location, now: m.opts.Now()}}
	fixed := func() int { return 2 + 1 + c.roles + 1 + c.status + 2*(1+c.times.width()) }
	if m.width-fixed() < 24 {
		c.times.compact = true
	}
	if m.width-fixed() < 20 {
		c.roles = 9
	}
	// Longer roles widen their column, up to 30, while the email keeps 24.
	if want := min(m.list.rolesWidth, 30); want > c.roles {
		c.roles += max(min(want-c.roles, m.width-fixed()-24), 0)
	}
	c.email = max(m.width-fixed(), 8)
	return c
}

// stale reports whether the rows on screen belong to another listing than
// the one asked for: a search or filter whose rows have not arrived yet, or
// failed to.
func (m *Model) stale() bool {
	return m.list.rowsFilter != m.listOptions().Filter
}

// loadingText is what shows while the rows of the listing load.
func (m *Model) loadingText() string {
	if m.listOptions().Filter.Search != "" {
		return "searching…"
	}
	return "loading…"
}

// countText says how many users the listing holds, once the rows on screen
// are the listing's.
func (m *Model) countText() string {
	l := &m.list
	f := m.listOptions().Filter
	switch {
	case l.loading && (m.stale() || len(l.rows) == 0):
		return m.loadingText()
	case m.stale():
		return "not loaded (r retries)"
	case !l.counted || l.countFilter != f:
		return "counting…"
	}
	text := thousands(l.count) + " users"
	if l.count == 1 {
		text = "1 user"
	}
	if f != (user.Filter{}) && l.totaled && l.total > 0 {
		text += " of " + thousands(l.total)
	}
	return text
}

// emptyText explains an empty list, and what to do about it.
func (m *Model) emptyText() string {
	l := &m.list
	s := m.styles
	searched := m.listOptions().Filter.Search != ""
	filtered := filterChoices[l.filter].filter != (user.Filter{})
	switch {
	case l.loading:
		return s.Subtle.Render("  " + m.loadingText())
	case (l.totaled && l.total == 0) || (!searched && !filtered):
		return "  No users yet. Press n to register the first user.\n" +
			s.Subtle.Render("  Or from a shell: ctitui user add --email you@example.org --role admin")
	case searched && filtered:
		return s.Subtle.Render("  No users match. Esc clears the search, f changes the filter.")
	case searched:
		return s.Subtle.Render("  No users match the search. Esc clears it.")
	}
	return s.Subtle.Render(fmt.Sprintf("  No users match the filter %q. f changes the filter.", filterChoices[l.filter].name))
}

func (m *Model) listView() string {
	l := &m.list
	s := m.styles
	var b strings.Builder

	title := s.Title.Render("ctitui") + "  " + s.Subtle.Render(fmt.Sprintf("%s · schema v%d", inline(m.opts.DBPath, m.width), m.opts.SchemaVersion)) + "  " + m.countText()
	b.WriteString(title + "\n")

	listing := fmt.Sprintf("sort: %s %s   filter: %s", sortChoices[l.sort], sortArrow(sortChoices[l.sort]), filterChoices[l.filter].name)
	switch {
	case l.searching:
		l.search.Width = max(m.width-len(listing)-8, 10)
		listing += "   " + l.search.View()
	case l.search.Value() != "":
		listing += "   search: " + inline(l.search.Value(), 30) + s.Subtle.Render(" (esc clears)")
	}
	if m.relative {
		listing += "   times: relative"
	}
	b.WriteString(listing + "\n")

	c := m.listColumns()
	header := "  " + cell("EMAIL", c.email) + " " + cell("ROLES", c.roles) + " " + cell("STATUS", c.status) + " " +
		cell("CREATED", c.times.width()) + " " + cell("UPDATED", c.times.width())
	b.WriteString(s.Header.Render(header) + "\n")

	if len(l.rows) == 0 {
		b.WriteString(m.emptyText())
		return b.String()
	}
	// The rows of the listing before stay until the new one's arrive, so
	// that the screen does not flicker; they are drawn faint meanwhile.
	stale := m.stale()
	end := min(l.top+m.visibleRows(), len(l.rows))
	now := m.opts.Now()
	for i := l.top; i < end; i++ {
		u := l.rows[i]
		status := cell(u.Status(now), c.status)
		// The selected row is drawn reversed as a whole; a colour inside it
		// would end the reverse at the cell.
		switch {
		case i == l.cursor, stale:
		case u.Disabled():
			status = s.Disabled.Render(status)
		case u.Locked(now):
			status = s.Warn.Render(status)
		default:
			status = s.Active.Render(status)
		}
		line := cell(u.Email, c.email) + " " + cell(user.JoinRoles(u.Roles), c.roles) + " " + status + " " +
			cell(c.times.format(u.CreatedAt), c.times.width()) + " " + cell(c.times.format(u.UpdatedAt), c.times.width())
		switch {
		case i == l.cursor && stale:
			line = s.Selected.Faint(true).Render("> " + line)
		case i == l.cursor:
			line = s.Selected.Render("> " + line)
		case stale:
			line = s.Subtle.Render("  " + line)
		default:
			line = "  " + line
		}
		b.WriteString(line)
		if i < end-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func sortArrow(k user.SortKey) string {
	if k == user.ByEmail {
		return "↑"
	}
	return "↓"
}
