package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
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

// Widths of the audit table's fixed columns, and the most the user's email
// takes: the details get the rest.
const (
	auditTimeWidth   = 19
	auditActionWidth = 15
	auditActorWidth  = 12
	auditUserMax     = 32
)

// auditState is the audit screen: a window of the log, newest first.
type auditState struct {
	window[user.AuditEntry]

	search    textinput.Model
	searching bool
	chain     string // the hash chain's state, once checked
	chainOK   bool
	userWidth int // the width of the widest user email in entries

	// open shows the selected entry in full, in entryView.
	open      bool
	entry     user.AuditEntry
	entryView viewport.Model
}

// chainMsg carries the state of the audit log's hash chain.
type chainMsg struct {
	entries int
	problem string
	err     error
}

// checkChain asks for the hash chain's state, off the update path: it reads
// the whole log.
func (m *Model) checkChain() tea.Cmd {
	check := m.opts.AuditChain
	if check == nil {
		return nil
	}
	return func() tea.Msg {
		entries, problem, err := check(context.Background())
		return chainMsg{entries, problem, err}
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
	a.userWidth = 0
	for _, e := range a.rows {
		a.userWidth = max(a.userWidth, ansi.StringWidth(textsafe.Line(e.UserEmail)))
	}
	return m.ensureAuditLoaded()
}

func (m *Model) auditRows() int { return max(m.height-5, 1) }

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
	case key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
		if a.search.Value() != "" && key.Matches(msg, k.Back) {
			a.search.SetValue("")
			return m.reloadAudit()
		}
		m.showList()
		return nil
	case key.Matches(msg, k.Open):
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
	case key.Matches(msg, k.Back), key.Matches(msg, k.Quit), key.Matches(msg, k.Open):
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
	a.entryView.Width, a.entryView.Height = m.width, max(m.height-4, 1)
	a.entryView.SetContent(strings.TrimRight(b.String(), "\n"))
}

// auditColumns gives the user's email the width of the widest on screen
// up to auditUserMax and never more than half the rest, and the details
// what is left.
func (m *Model) auditColumns() (email, details int) {
	rest := m.width - 2 - auditTimeWidth - 1 - auditActionWidth - 1 - auditActorWidth - 1 - 1
	email = max(min(max(m.audit.userWidth, len("USER")), auditUserMax, rest/2), 0)
	return email, max(rest-email, 5)
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
	email, details := m.auditColumns()
	header := "  " + cell("TIME", auditTimeWidth) + " " + cell("ACTION", auditActionWidth) + " " + cell("ACTOR", auditActorWidth) + " " +
		cell("USER", email) + " " + cell("DETAILS", details)
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
		line := cell(e.At.In(m.opts.Location).Format("2006-01-02 15:04:05"), auditTimeWidth) + " " + cell(string(e.Action), auditActionWidth) + " " +
			cell(e.Actor, auditActorWidth) + " " + cell(e.UserEmail, email) + " " + cell(e.Details, details)
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

func (m *Model) auditHelp() help.KeyMap {
	k := m.keys
	switch {
	case m.audit.open:
		return bindingHelp{
			short: []key.Binding{k.Up, k.Down, k.Back},
			full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Back, k.Help}},
		}
	case m.audit.searching:
		return bindingHelp{short: []key.Binding{k.AcceptSearch, k.ClearSearch}}
	}
	entry := key.NewBinding(key.WithKeys(k.Open.Keys()...), key.WithHelp(k.Open.Help().Key, "entry"))
	return bindingHelp{
		short: []key.Binding{k.Up, k.Down, entry, k.Search, k.Reload, k.Back},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {entry, k.Search, k.ClearSearch, k.Reload}, {k.Back, k.Help}},
	}
}
