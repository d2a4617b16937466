package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// statusChoice is one step of the f cycle.
type statusChoice struct {
	name   string
	status user.Status
}

// statusChoices are the states f cycles through. Locked takes in the
// users blocked until an admin unlocks them; blocked shows those alone.
var statusChoices = []statusChoice{
	{"all", user.AnyStatus},
	{"active", user.Active},
	{"disabled", user.Disabled},
	{"locked", user.Locked},
	{"blocked", user.Blocked},
}

// roleChoices are the roles F cycles through, "" for any.
var roleChoices = append([]user.Role{""}, user.Roles...)

// roleName names a step of the F cycle.
func roleName(r user.Role) string {
	if r == "" {
		return "all"
	}
	return string(r)
}

var sortChoices = []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail}

// fairEmailWidth is the email column width the list gives up other
// columns for (see listColumns): most emails fit it whole.
const fairEmailWidth = 40

type listState struct {
	window[user.User]
	// rowsFilter is the filter (and search) of the listing the rows belong
	// to; it differs from the one asked for while a new listing loads.
	rowsFilter user.Filter
	// rolesWidth and emailWidth are the widths of the widest roles and
	// email among the rows, drawn safe.
	rolesWidth, emailWidth int

	sort      int  // index into sortChoices
	reversed  bool // the sort's order turned round
	status    int  // index into statusChoices
	role      int  // index into roleChoices
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
	ti.Placeholder = "type part of an email"
	ti.CharLimit = 254
	ti.Cursor.SetMode(cursor.CursorStatic)
	return listState{search: ti, window: window[user.User]{loading: true, ctx: context.Background()}}
}

// listPageMsg carries users fetched for the list.
type listPageMsg = pageMsg[user.User]

// userPager pages through the users opts selects, in opts' order or, when
// reversed, the other way round: walking a reversed listing forward is
// walking the service's order backward.
type userPager struct {
	svc      *user.Service
	opts     user.ListOptions
	reversed bool
}

func (p userPager) page(ctx context.Context, from *user.User, backward, inclusive bool, n int) ([]user.User, error) {
	opts := p.opts
	if from != nil {
		after := user.CursorOf(*from, opts.Sort)
		opts.After = &after
	}
	opts.Reverse, opts.Inclusive, opts.Limit = backward != p.reversed, inclusive, n
	return p.svc.Page(ctx, opts)
}

func (userPager) same(a, b user.User) bool { return a.ID == b.ID }

// positionCountMax caps the users counted to place a window in its
// listing (see userPager.locate). The service can count a filter but not a
// place in an order, so placing walks the users between the window and an
// end of the listing, reading each: about 40,000 a second on a shared
// two-core machine (BenchmarkTUIPositionCount). A window further than this
// from both ends of the listing is not placed, and shows "?".
const positionCountMax = 25_000

// count counts, up to max, the users past row in the listing, towards its
// first row (backward) or its last, keeping none. complete is false when
// there are more than max.
func (p userPager) count(ctx context.Context, row user.User, backward bool, max int) (n int, complete bool, err error) {
	opts := p.opts
	after := user.CursorOf(row, opts.Sort)
	opts.After, opts.Reverse, opts.Limit = &after, backward != p.reversed, max+1
	err = p.svc.List(ctx, opts, func(user.User) error {
		n++
		return nil
	})
	return n, n <= max, err
}

// locate finds the place of row in the listing: how many users come
// before it, or when that is more than max, how many come after it
// (fromEnd). tooFar reports that both are more.
func (p userPager) locate(ctx context.Context, row user.User, max int) (n int, fromEnd, tooFar bool, err error) {
	n, ok, err := p.count(ctx, row, true, max)
	if err != nil || ok {
		return n, false, false, err
	}
	n, ok, err = p.count(ctx, row, false, max)
	return n, true, !ok, err
}

// positionMsg carries the place of anchor in listing seq: the number of
// users before it, or with fromEnd after it; tooFar when it is too far from
// both ends to count.
type positionMsg struct {
	seq             int
	anchor          user.User
	n               int
	fromEnd, tooFar bool
	err             error
}

// copiedMsg is the result of copying text to the clipboard.
type copiedMsg struct {
	text string
	err  error
}

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
	f := user.Filter{Status: statusChoices[l.status].status, Role: roleChoices[l.role]}
	f.Search = strings.TrimSpace(l.search.Value())
	return user.ListOptions{Filter: f, Sort: sortChoices[l.sort]}
}

// filtered reports whether the status or role filter hides users.
func (m *Model) filtered() bool { return m.list.status != 0 || m.list.role != 0 }

// visibleRows is how many table rows fit on the list screen.
func (m *Model) visibleRows() int {
	// Title, listing line and column header above; status and help below.
	return max(m.bodyHeight(m.listHelp())-3, 1)
}

func (m *Model) userPager() userPager { return userPager{m.svc, m.listOptions(), m.list.reversed} }

// reloadList starts a new listing from its first row.
func (m *Model) reloadList() tea.Cmd {
	return tea.Batch(m.list.first(m.userPager(), windowChunk, nil, 0), m.countCmd())
}

// loadAround reloads the list around u, kept selected (see window.around).
// This is how the list keeps its place when rows change under it, or its
// order.
func (m *Model) loadAround(u user.User) tea.Cmd {
	return tea.Batch(m.list.around(m.userPager(), u, false), m.countCmd())
}

// refreshList reloads the window where it is, keeping the selected user.
func (m *Model) refreshList() tea.Cmd {
	if u, ok := m.selected(); ok {
		return tea.Batch(m.reloadAround(u), m.totalCmd())
	}
	return tea.Batch(m.reloadList(), m.totalCmd())
}

// reloadAround is loadAround for the same listing, after rows changed: a
// window too far from both ends of a long listing to count its place
// stays so, rather than walk the users again after every change.
func (m *Model) reloadAround(u user.User) tea.Cmd {
	tooFar := m.list.tooFar
	cmd := m.loadAround(u)
	m.list.tooFar = tooFar
	return cmd
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
	return m.list.extend(m.userPager(), m.visibleRows())
}

func (m *Model) onListPage(msg listPageMsg) tea.Cmd {
	l := &m.list
	if !l.apply(msg, m.visibleRows()) {
		return nil // an answer for a listing the user has moved on from
	}
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	if msg.kind == pageReplace {
		l.rowsFilter = m.listOptions().Filter
	}
	l.rolesWidth, l.emailWidth = 0, 0
	for _, u := range l.rows {
		l.rolesWidth = max(l.rolesWidth, ansi.StringWidth(textsafe.Line(user.JoinRoles(u.Roles))))
		l.emailWidth = max(l.emailWidth, ansi.StringWidth(textsafe.Line(u.Email)))
	}
	return tea.Batch(m.ensureLoaded(), m.countPosition())
}

// counted reports whether the list's count is the count of the listing
// asked for.
func (m *Model) counted() bool {
	l := &m.list
	return l.counted && l.countFilter == m.listOptions().Filter
}

// placeWindow sets the offset of a window that holds the listing's last
// row from the listing's count, once both are in: its place is known
// from then on, however far it is paged up.
func (m *Model) placeWindow() {
	l := &m.list
	if !l.offsetKnown && l.atEnd && !l.loading && len(l.rows) > 0 && !m.stale() && m.counted() {
		l.offset, l.offsetKnown = max(l.count-len(l.rows), 0), true
	}
}

// countPosition starts counting the place of a window that holds neither
// end of the listing and was loaded around a row, whose place is not known
// from how it was loaded (see window.offset).
func (m *Model) countPosition() tea.Cmd {
	l := &m.list
	if l.loading || len(l.rows) == 0 || l.offsetKnown || l.atEnd || l.positioning || l.tooFar {
		return nil
	}
	l.positioning = true
	seq, ctx, p, anchor, most := l.seq, l.ctx, m.userPager(), l.rows[0], m.positionMax
	return func() tea.Msg {
		n, fromEnd, tooFar, err := p.locate(ctx, anchor, most)
		return positionMsg{seq: seq, anchor: anchor, n: n, fromEnd: fromEnd, tooFar: tooFar, err: err}
	}
}

func (m *Model) onPosition(msg positionMsg) tea.Cmd {
	l := &m.list
	if msg.seq != l.seq {
		return nil
	}
	l.positioning = false
	switch {
	case msg.err != nil:
		return nil // the place shows as unknown; the next window counts again
	case msg.tooFar:
		l.tooFar = true
		return nil
	}
	i := slices.IndexFunc(l.rows, func(u user.User) bool { return u.ID == msg.anchor.ID })
	switch {
	case i < 0:
		// The anchor was trimmed off while it was counted: count from
		// the window's first row now.
		return m.countPosition()
	case !msg.fromEnd:
		l.offset, l.offsetKnown = msg.n-i, true
	case m.counted():
		l.offset, l.offsetKnown = max(l.count-msg.n-1-i, 0), true
	}
	return nil
}

// positionText says where the selected user is in the listing: "1,204 of
// 25,000", with … for what is being counted and ? for a place too far from
// both ends of a long listing to count.
func (m *Model) positionText() string {
	l := &m.list
	if len(l.rows) == 0 || m.stale() {
		return ""
	}
	pos := "…"
	switch {
	case l.offsetKnown:
		pos = thousands(l.offset + l.cursor + 1)
	case l.tooFar:
		pos = "?"
	}
	total := "…"
	if m.counted() {
		total = thousands(l.count)
	}
	return pos + " of " + total
}

// move shifts the cursor by delta rows. Rows past the window wait for
// their page (see window.move).
func (m *Model) move(delta int) tea.Cmd {
	m.list.move(delta, m.visibleRows())
	return m.ensureLoaded()
}

// selected returns the user under the cursor.
func (m *Model) selected() (user.User, bool) { return m.list.selected() }

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
			return m.reloadList()
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
				return tea.Batch(cmd, m.reloadList())
			}
			return cmd
		}
	}
	last := func() tea.Cmd { return l.last(m.userPager()) }
	if cmd, ok := l.scrollKey(msg, k, m.visibleRows(), m.ensureLoaded, m.reloadList, last); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Search):
		l.searching = true
		return l.search.Focus()
	case key.Matches(msg, k.ClearSearch):
		if l.search.Value() != "" {
			l.search.SetValue("")
			return m.reloadList()
		}
		return nil
	case key.Matches(msg, k.Sort), key.Matches(msg, k.Reverse):
		if key.Matches(msg, k.Sort) {
			l.sort = (l.sort + 1) % len(sortChoices)
		} else {
			l.reversed = !l.reversed
		}
		// Keep the selected user in view, wherever the new order puts it.
		if u, ok := m.selected(); ok {
			return m.loadAround(u)
		}
		return m.reloadList()
	case key.Matches(msg, k.Filter), key.Matches(msg, k.RoleFilter):
		if key.Matches(msg, k.Filter) {
			l.status = (l.status + 1) % len(statusChoices)
		} else {
			l.role = (l.role + 1) % len(roleChoices)
		}
		// Keep the selected user when the new filter keeps it too; the
		// listing loads from its first row when it does not.
		if u, ok := m.selected(); ok {
			return tea.Batch(l.around(m.userPager(), u, true), m.countCmd())
		}
		return m.reloadList()
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

// listMouse scrolls the list with the wheel, a row a turn, and selects the
// row clicked.
func (m *Model) listMouse(msg tea.MouseMsg) tea.Cmd {
	l := &m.list
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		return m.move(-1)
	case tea.MouseButtonWheelDown:
		return m.move(1)
	case tea.MouseButtonLeft:
		// The rows start below the title, the listing line and the header.
		row := msg.Y - 3
		if row < 0 || row >= m.visibleRows() || l.top+row >= len(l.rows) {
			return nil
		}
		return m.move(l.top + row - l.cursor)
	}
	return nil
}

func (m *Model) selectedID() string {
	if u, ok := m.selected(); ok {
		return u.ID
	}
	return ""
}

func (m *Model) listHelp() bindingHelp {
	k := m.keys
	if m.list.searching {
		// Letters type into the search: only keys that type nothing work.
		return bindingHelp{
			short:  []key.Binding{k.AcceptSearch, k.SearchUp, k.SearchDown},
			always: []key.Binding{k.ClearSearch, k.ForceQuit},
			full:   [][]key.Binding{{k.AcceptSearch, k.ClearSearch, k.ForceQuit}, {k.SearchUp, k.SearchDown, k.SearchPageUp, k.SearchPageDown}},
		}
	}
	return bindingHelp{
		short:  []key.Binding{k.Up, k.Down, k.Open, k.New, k.Search, k.Sort, k.Filter, k.RoleFilter, k.Copy},
		always: []key.Binding{k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Search, k.ClearSearch, k.Sort, k.Reverse, k.Filter, k.RoleFilter, k.TimeMode, k.Reload},
			{k.Open, k.New, k.Roles, k.Password, k.Disable, k.Unlock, k.Delete, k.Copy},
			{k.Audit, k.Help, k.Quit},
		},
	}
}

// columns lays out the table for the terminal width. created and updated
// say which time columns show: at least the one the list is sorted by.
type columns struct {
	email, roles, status int
	created, updated     bool
	times                timeFormat
}

func (c columns) width() int {
	w := 2 + c.email + 1 + c.roles + 1 + c.status
	if c.created {
		w += 1 + c.times.width()
	}
	if c.updated {
		w += 1 + c.times.width()
	}
	return w
}

// listColumns gives the email a fair width: the widest email among the
// rows, up to fairEmailWidth, and all the room left over. To make that
// room on a narrow terminal the table gives up, in turn, the time of day
// (never the year), the time column the list is not sorted by, and width
// from long roles.
func (m *Model) listColumns() columns {
	l := &m.list
	rolesWant := max(min(l.rolesWidth, 30), len("ROLES"))
	byUpdated := sortChoices[l.sort] == user.ByUpdated
	base := columns{roles: rolesWant, status: len("disabled"), created: true, updated: true,
		times: timeFormat{relative: m.relative, loc: m.opts.Location, now: m.opts.Now()}}
	steps := []func(*columns){
		func(*columns) {},
		func(c *columns) { c.times.compact = true },
		func(c *columns) { c.created, c.updated = !byUpdated, byUpdated },
		func(c *columns) { c.roles = min(c.roles, 15) },
		func(c *columns) { c.roles = min(c.roles, 9) },
	}
	want := min(max(l.emailWidth, len("EMAIL")), fairEmailWidth)
	c := base
	for _, step := range steps {
		step(&c)
		if m.width-c.width() >= want {
			break
		}
	}
	c.email = max(m.width-c.width(), 8)
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
	if (f.Search != "" || m.filtered()) && l.totaled && l.total > 0 {
		text += " of " + thousands(l.total)
	}
	return text
}

// filterText names the filters that hide users, for the empty list.
func (m *Model) filterText() string {
	var parts []string
	if m.list.status != 0 {
		parts = append(parts, fmt.Sprintf("status %q", statusChoices[m.list.status].name))
	}
	if m.list.role != 0 {
		parts = append(parts, fmt.Sprintf("role %q", roleName(roleChoices[m.list.role])))
	}
	return strings.Join(parts, " and ")
}

// emptyText explains an empty list, and what to do about it.
func (m *Model) emptyText() string {
	l := &m.list
	s := m.styles
	searched := m.listOptions().Filter.Search != ""
	filtered := m.filtered()
	switch {
	case l.loading:
		return s.Subtle.Render("  " + m.loadingText())
	case (l.totaled && l.total == 0) || (!searched && !filtered):
		return "  No users yet. Press n to register the first user.\n" +
			s.Subtle.Render("  Or from a shell: ctitui user add --email you@example.org --role admin")
	case searched && filtered:
		return s.Subtle.Render("  No users match. Esc clears the search, f and F change the filters.")
	case searched:
		return s.Subtle.Render("  No users match the search. Esc clears it.")
	}
	return s.Subtle.Render(fmt.Sprintf("  No users match %s. f and F change the filters.", m.filterText()))
}

// titleView is the title line: the program, the database and how many
// users the listing holds. A long path is shortened in its middle so that
// the count always shows.
func (m *Model) titleView() string {
	s := m.styles
	count := m.countText()
	schema := fmt.Sprintf(" · schema v%d", m.opts.SchemaVersion)
	room := m.width - len("ctitui  ") - ansi.StringWidth(schema) - 2 - ansi.StringWidth(count)
	path := shortenMiddle(textsafe.Line(m.opts.DBPath), max(room, 1))
	return s.Title.Render("ctitui") + "  " + s.Subtle.Render(path+schema) + "  " + count
}

// listingText describes the listing: its order and its filters.
func (m *Model) listingText() string {
	l := &m.list
	order := sortChoices[l.sort].String() + " " + sortArrow(sortChoices[l.sort], l.reversed)
	if l.reversed {
		order += " (reversed)"
	}
	return fmt.Sprintf("sort: %s  status: %s  role: %s", order, statusChoices[l.status].name, roleName(roleChoices[l.role]))
}

func (m *Model) listView() string {
	l := &m.list
	s := m.styles
	var b strings.Builder

	b.WriteString(m.titleView() + "\n")

	listing := m.listingText()
	switch {
	case l.searching:
		l.search.Width = max(m.width-ansi.StringWidth(listing)-8, 10)
		listing += "  " + l.search.View()
	case l.search.Value() != "":
		listing += "  search: " + inline(l.search.Value(), 30) + s.Subtle.Render(" (esc clears)")
	}
	if m.relative {
		listing += "  times: relative"
	}
	b.WriteString(listing + "\n")

	c := m.listColumns()
	header := "  " + cell("EMAIL", c.email) + " " + cell("ROLES", c.roles) + " " + cell("STATUS", c.status)
	if c.created {
		header += " " + cell("CREATED", c.times.width())
	}
	if c.updated {
		header += " " + cell("UPDATED", c.times.width())
	}
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
		// The status is a word, whatever colour it is drawn in.
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
		line := emailCell(u.Email, c.email) + " " + cell(user.JoinRoles(u.Roles), c.roles) + " " + status
		if c.created {
			line += " " + cell(c.times.format(u.CreatedAt), c.times.width())
		}
		if c.updated {
			line += " " + cell(c.times.format(u.UpdatedAt), c.times.width())
		}
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

// sortArrow shows which way the listing runs: ↓ for newest first, the
// times' own order, ↑ for a to z, the email's; reversed turns it round.
func sortArrow(k user.SortKey, reversed bool) string {
	if (k == user.ByEmail) != reversed {
		return "↑"
	}
	return "↓"
}
