package ui

import (
	"context"
	"fmt"
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
	window[user.User]
	// rowsFilter is the filter (and search) of the listing the rows belong
	// to; it differs from the one asked for while a new listing loads.
	rowsFilter user.Filter
	// rolesWidth is the width of the widest roles among the rows.
	rolesWidth int

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
	return listState{search: ti, window: window[user.User]{loading: true, ctx: context.Background()}}
}

// listPageMsg carries users fetched for the list.
type listPageMsg = pageMsg[user.User]

// userPager pages through the users opts selects, in opts' order.
type userPager struct {
	svc  *user.Service
	opts user.ListOptions
}

func (p userPager) page(ctx context.Context, from *user.User, backward, inclusive bool, n int) ([]user.User, error) {
	opts := p.opts
	if from != nil {
		after := user.CursorOf(*from, opts.Sort)
		opts.After = &after
	}
	opts.Reverse, opts.Inclusive, opts.Limit = backward, inclusive, n
	return p.svc.Page(ctx, opts)
}

func (userPager) same(a, b user.User) bool { return a.ID == b.ID }

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

func (m *Model) userPager() userPager { return userPager{m.svc, m.listOptions()} }

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
		return tea.Batch(m.loadAround(u), m.totalCmd())
	}
	return tea.Batch(m.reloadList(), m.totalCmd())
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
	l.rolesWidth = 0
	for _, u := range l.rows {
		l.rolesWidth = max(l.rolesWidth, ansi.StringWidth(textsafe.Line(user.JoinRoles(u.Roles))))
	}
	return m.ensureLoaded()
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
	case key.Matches(msg, k.Sort):
		l.sort = (l.sort + 1) % len(sortChoices)
		// Keep the selected user in view, wherever the new order puts it.
		if u, ok := m.selected(); ok {
			return m.loadAround(u)
		}
		return m.reloadList()
	case key.Matches(msg, k.Filter):
		l.filter = (l.filter + 1) % len(filterChoices)
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
