package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// auditRefreshMax caps how many entries a refresh after a change elsewhere
// refetches (see refreshAudit).
const auditRefreshMax = 25 * windowChunk

// Widths of the audit table's columns: the actor's, the most the action
// and the user's email take, and the least the details keep beside the
// email. The details get the rest.
const (
	auditActorWidth   = 12
	auditActionMax    = 16
	auditUserMax      = 32
	auditDetailsFloor = 12
)

// auditState is the audit screen: a window of the log, newest first.
type auditState struct {
	window[user.AuditEntry]

	search    textinput.Model
	searching bool
	chain     string // the hash chain's state, once checked
	chainOK   bool
	// userWidth and actionWidth are the widths of the widest user email
	// and action among the entries, drawn safe.
	userWidth, actionWidth int

	// open shows the selected entry in full, in entryView.
	open      bool
	entry     user.AuditEntry
	entryView viewport.Model
}

// ChainState is the state of the audit log's hash chain.
type ChainState struct {
	Entries int    // how many it holds
	Problem string // where and how it is broken; "" when it is whole
	// RestartedAt is the newest restart entry of a whole chain (someone
	// recorded a break and started a new segment); 0 when none.
	RestartedAt int64
}

// chainMsg carries the state of the audit log's hash chain.
type chainMsg struct {
	state ChainState
	err   error
}

// checkChain asks for the hash chain's state, off the update path: it reads
// the whole log.
func (m *Model) checkChain() tea.Cmd {
	check := m.opts.AuditChain
	if check == nil {
		return nil
	}
	return func() tea.Msg {
		state, err := check(context.Background())
		return chainMsg{state, err}
	}
}

// auditPageMsg carries entries of the audit log, newest first.
type auditPageMsg = pageMsg[user.AuditEntry]

// auditPager pages through the entries f selects, newest first.
type auditPager struct {
	svc *user.Service
	f   user.AuditFilter
}

func (p auditPager) page(ctx context.Context, from *user.AuditEntry, backward, inclusive bool, n int) ([]user.AuditEntry, error) {
	f := p.f
	f.Limit = n
	switch {
	case backward:
		f.OldestFirst = true
		if from != nil {
			f.AfterID = from.ID
		}
	case from != nil && inclusive:
		f.BeforeID = from.ID + 1
	case from != nil:
		f.BeforeID = from.ID
	}
	return auditEntries(ctx, p.svc, f)
}

func (auditPager) same(a, b user.AuditEntry) bool { return a.ID == b.ID }

func newAuditState() auditState {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "search action, actor, email or details"
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.CharLimit = 254
	return auditState{search: ti, window: window[user.AuditEntry]{ctx: context.Background()}}
}

// openAudit shows the audit log and checks its hash chain. The check reads
// the whole log, so it runs when the screen opens and on r, not after every
// change elsewhere.
func (m *Model) openAudit() tea.Cmd {
	m.show(screenAudit)
	m.audit.open = false
	return tea.Batch(m.reloadAudit(), m.checkChain())
}

func (m *Model) auditPager() auditPager {
	return auditPager{m.svc, user.AuditFilter{Search: strings.TrimSpace(m.audit.search.Value())}}
}

// reloadAudit loads the log from its newest entry, the cursor on it.
func (m *Model) reloadAudit() tea.Cmd {
	return m.audit.first(m.auditPager(), windowChunk, nil, 0)
}

// refreshAudit reloads the log after a change elsewhere, keeping the cursor
// on the entry it is on. When the window holds the newest entries, it
// refetches them down to a page past the cursor, so that new entries arrive
// at the top and the entry is found unless more than a page of entries was
// added; then, or when the cursor is deeper than auditRefreshMax entries,
// the cursor keeps its row number. Deeper in the log, it reloads a window
// around the entry.
func (m *Model) refreshAudit() tea.Cmd {
	a := &m.audit
	e, ok := a.selected()
	if ok && !a.atStart {
		return a.around(m.auditPager(), e, false)
	}
	var keep *user.AuditEntry
	if ok {
		keep = &e
	}
	return a.first(m.auditPager(), min(a.cursor+windowChunk, auditRefreshMax), keep, a.cursor)
}

// auditEntries returns the entries f selects, newest first.
func auditEntries(ctx context.Context, svc *user.Service, f user.AuditFilter) ([]user.AuditEntry, error) {
	var entries []user.AuditEntry
	err := svc.Audit(ctx, f, func(e user.AuditEntry) error {
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

// ensureAuditLoaded fetches more entries when the cursor nears an edge of
// the window that is not an end of the log.
func (m *Model) ensureAuditLoaded() tea.Cmd {
	return m.audit.extend(m.auditPager(), m.auditRows())
}

func (m *Model) onAuditPage(msg auditPageMsg) tea.Cmd {
	a := &m.audit
	if !a.apply(msg, m.auditRows()) {
		return nil
	}
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	a.userWidth, a.actionWidth = 0, 0
	for _, e := range a.rows {
		a.userWidth = max(a.userWidth, ansi.StringWidth(textsafe.Line(e.UserEmail)))
		a.actionWidth = max(a.actionWidth, ansi.StringWidth(textsafe.Line(string(e.Action))))
	}
	return m.ensureAuditLoaded()
}

// auditRows is how many entries fit on the audit screen: title, search
// line and header above, status line and help below.
func (m *Model) auditRows() int { return max(m.bodyHeight(m.auditHelp())-3, 1) }

// auditMouse scrolls the log with the wheel, an entry a turn, selects the
// entry clicked, and scrolls an entry shown in full.
func (m *Model) auditMouse(msg tea.MouseMsg) tea.Cmd {
	a := &m.audit
	if a.open {
		var cmd tea.Cmd
		a.entryView, cmd = a.entryView.Update(msg)
		return cmd
	}
	var delta int
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		delta = -1
	case tea.MouseButtonWheelDown:
		delta = 1
	case tea.MouseButtonLeft:
		row := msg.Y - 3
		if row < 0 || row >= m.auditRows() || a.top+row >= len(a.rows) {
			return nil
		}
		delta = a.top + row - a.cursor
	default:
		return nil
	}
	a.move(delta, m.auditRows())
	return m.ensureAuditLoaded()
}

func (m *Model) auditKey(msg tea.KeyMsg) tea.Cmd {
	a := &m.audit
	k := m.keys
	if a.open {
		return m.auditEntryKey(msg)
	}
	if a.searching {
		switch {
		case key.Matches(msg, k.ClearSearch):
			a.searching = false
			a.search.Blur()
			if a.search.Value() != "" {
				a.search.SetValue("")
				return m.reloadAudit()
			}
			return nil
		case key.Matches(msg, k.AcceptSearch):
			a.searching = false
			a.search.Blur()
			return nil
		}
		before := a.search.Value()
		var cmd tea.Cmd
		a.search, cmd = a.search.Update(msg)
		if a.search.Value() != before {
			return tea.Batch(cmd, m.reloadAudit())
		}
		return cmd
	}
	last := func() tea.Cmd { return a.last(m.auditPager()) }
	if cmd, ok := a.scrollKey(msg, k, m.auditRows(), m.ensureAuditLoaded, m.reloadAudit, last); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back):
		if a.search.Value() != "" {
			a.search.SetValue("")
			return m.reloadAudit()
		}
		m.showList()
		return nil
	case key.Matches(msg, k.OpenEntry):
		if len(a.rows) > 0 {
			a.open, a.entry = true, a.rows[a.cursor]
			a.entryView = viewport.New(m.width, 1)
			m.renderAuditEntry()
		}
		return nil
	case key.Matches(msg, k.Search):
		a.searching = true
		return a.search.Focus()
	case key.Matches(msg, k.Reload):
		return tea.Batch(m.reloadAudit(), m.checkChain())
	case key.Matches(msg, k.Help):
		m.toggleHelp()
	}
	return nil
}

// auditEntryKey answers keys while an entry shows in full.
func (m *Model) auditEntryKey(msg tea.KeyMsg) tea.Cmd {
	a := &m.audit
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back), key.Matches(msg, k.OpenEntry):
		a.open = false
		return nil
	case key.Matches(msg, k.Help):
		m.toggleHelp()
		return nil
	case key.Matches(msg, k.Top):
		a.entryView.GotoTop()
		return nil
	case key.Matches(msg, k.Bottom):
		a.entryView.GotoBottom()
		return nil
	}
	var cmd tea.Cmd
	a.entryView, cmd = a.entryView.Update(msg)
	return cmd
}

// renderAuditEntry lays out the open entry for the terminal's width: every
// field whole, the details wrapped, all made safe to draw.
func (m *Model) renderAuditEntry() {
	a := &m.audit
	e := a.entry
	s := m.styles
	const label = 14 // "  " + 11 + " "
	width := max(m.width-label, 10)
	var b strings.Builder
	row := func(name, value string) {
		lines := strings.Split(ansi.Wrap(textsafe.Line(value), width, " ,;"), "\n")
		b.WriteString(s.Label.Render(fmt.Sprintf("  %-11s", name)) + " " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString(strings.Repeat(" ", label) + l + "\n")
		}
	}
	row("entry", fmt.Sprintf("#%d", e.ID))
	row("time", fullTime(e.At, m.opts.Location))
	row("action", string(e.Action))
	row("actor", e.Actor)
	row("user", e.UserEmail)
	row("user id", e.UserID)
	if e.Details == "" {
		row("details", "-")
	} else {
		row("details", e.Details)
	}
	a.entryView.Width, a.entryView.Height = m.width, max(m.bodyHeight(m.auditHelp())-2, 1)
	a.entryView.SetContent(strings.TrimRight(b.String(), "\n"))
}

// auditLayout is the audit table's columns for the terminal's width.
type auditLayout struct {
	timeLayout                          string
	time, action, actor, email, details int // actor 0: not shown
}

// auditColumns lays out the audit table. The time drops its seconds below
// 100 columns and the actor goes below 70, so that the user's email keeps
// a fair width: the widest among the entries, up to auditUserMax, and no
// less than half of what is left, or all of it but auditDetailsFloor
// columns for the details.
func (m *Model) auditColumns() auditLayout {
	c := auditLayout{timeLayout: "2006-01-02 15:04:05", actor: auditActorWidth,
		action: min(max(m.audit.actionWidth, len("ACTION")), auditActionMax)}
	if m.width < 100 {
		c.timeLayout = "2006-01-02 15:04"
	}
	if m.width < 70 {
		c.actor = 0
	}
	c.time = len(c.timeLayout)
	rest := m.width - 2 - c.time - 1 - c.action - 1 - 1
	if c.actor > 0 {
		rest -= c.actor + 1
	}
	c.email = max(min(max(m.audit.userWidth, len("USER")), auditUserMax, max(rest/2, rest-auditDetailsFloor)), 0)
	c.details = max(rest-c.email, 5)
	return c
}

func (m *Model) auditView() string {
	a := &m.audit
	s := m.styles
	if a.open {
		return s.Title.Render("Audit entry") + "\n\n" + a.entryView.View()
	}
	var b strings.Builder
	title := s.Title.Render("Audit log") + "  " + s.Subtle.Render("newest first")
	// The chain's state quotes what the check found in the database.
	chain := inline(a.chain, m.width)
	switch {
	case chain == "":
	case a.chainOK:
		title += "  " + s.Info.Render(chain)
	default:
		title += "  " + s.Error.Render(chain)
	}
	b.WriteString(title + "\n")
	switch {
	case a.searching:
		a.search.Width = max(m.width-4, 10)
		b.WriteString(a.search.View() + "\n")
	case a.search.Value() != "":
		b.WriteString("search: " + inline(a.search.Value(), 40) + s.Subtle.Render(" (esc clears)") + "\n")
	default:
		b.WriteString(s.Subtle.Render("/ to search") + "\n")
	}
	c := m.auditColumns()
	header := "  " + cell("TIME", c.time) + " " + cell("ACTION", c.action) + " "
	if c.actor > 0 {
		header += cell("ACTOR", c.actor) + " "
	}
	header += cell("USER", c.email) + " " + cell("DETAILS", c.details)
	b.WriteString(s.Header.Render(header) + "\n")
	if len(a.rows) == 0 {
		if a.loading {
			b.WriteString(s.Subtle.Render("  loading…"))
		} else {
			b.WriteString(s.Subtle.Render("  no entries"))
		}
		return b.String()
	}
	end := min(a.top+m.auditRows(), len(a.rows))
	for i := a.top; i < end; i++ {
		e := a.rows[i]
		line := cell(e.At.In(m.opts.Location).Format(c.timeLayout), c.time) + " " + cell(string(e.Action), c.action) + " "
		if c.actor > 0 {
			line += cell(e.Actor, c.actor) + " "
		}
		line += emailCell(e.UserEmail, c.email) + " " + cell(e.Details, c.details)
		if i == a.cursor {
			line = s.Selected.Render("> " + line)
		} else {
			line = "  " + line
		}
		b.WriteString(line)
		if i < end-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (m *Model) auditHelp() bindingHelp {
	k := m.keys
	switch {
	case m.audit.open:
		return bindingHelp{
			short:  []key.Binding{k.Up, k.Down},
			always: []key.Binding{k.Back, k.Help, k.Quit},
			full:   [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Back, k.Help, k.Quit}},
		}
	case m.audit.searching:
		// Letters type into the search: ctrl+c quits.
		return bindingHelp{short: []key.Binding{k.AcceptSearch}, always: []key.Binding{k.ClearSearch, k.ForceQuit}}
	}
	back := k.Back
	if m.audit.search.Value() != "" {
		back = k.ClearSearch
	}
	return bindingHelp{
		short:  []key.Binding{k.Up, k.Down, k.OpenEntry, k.Search, k.Reload},
		always: []key.Binding{back, k.Help, k.Quit},
		full:   [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.OpenEntry, k.Search, k.Reload}, {back, k.Help, k.Quit}},
	}
}
