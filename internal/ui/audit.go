package ui

import (
	"context"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

// auditPage is how many audit entries one fetch brings. The screen fetches
// the next page as the cursor nears the end, so a long log costs only what
// is scrolled through.
const auditPage = 200

// auditRefreshMax caps how many entries a refresh after a change elsewhere
// refetches (see refreshAudit).
const auditRefreshMax = 25 * auditPage

type auditState struct {
	entries     []user.AuditEntry
	cursor, top int
	atEnd       bool
	loading     bool
	keepCursor  bool  // the next page refreshes the screen in place
	keepID      int64 // the entry the cursor was on when the refresh started
	seq         int
	search      textinput.Model
	searching   bool
	chain       string // the hash chain's state, once checked
	chainOK     bool
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

// auditPageMsg carries a page of the audit log.
type auditPageMsg struct {
	seq     int
	entries []user.AuditEntry
	limit   int // how many entries were asked for
	append  bool
	err     error
}

func newAuditState() auditState {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "search action, actor, email or details"
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.CharLimit = 254
	return auditState{search: ti}
}

// openAudit shows the audit log and checks its hash chain. The check reads
// the whole log, so it runs when the screen opens and on r, not after every
// change elsewhere.
func (m *Model) openAudit() tea.Cmd {
	m.show(screenAudit)
	return tea.Batch(m.reloadAudit(), m.checkChain())
}

// reloadAudit loads the log from its newest entry, the cursor on it.
func (m *Model) reloadAudit() tea.Cmd {
	a := &m.audit
	a.seq++
	a.loading, a.keepCursor = true, false
	return m.fetchAudit(0, auditPage, false)
}

// refreshAudit reloads the log after a change elsewhere, keeping the cursor
// on the entry it is on; new entries arrive at the top. It refetches the
// newest entries down to a page past the cursor, so the entry is found
// unless more than a page of entries was added; then, or when the cursor is
// deeper than auditRefreshMax entries, the cursor keeps its row number.
func (m *Model) refreshAudit() tea.Cmd {
	a := &m.audit
	a.seq++
	a.loading, a.keepCursor, a.keepID = true, true, 0
	if len(a.entries) > 0 {
		a.keepID = a.entries[a.cursor].ID
	}
	limit := min(a.cursor+auditPage, auditRefreshMax)
	return m.fetchAudit(0, limit, false)
}

func (m *Model) fetchAudit(beforeID int64, limit int, appendPage bool) tea.Cmd {
	seq, svc := m.audit.seq, m.svc
	f := user.AuditFilter{Search: strings.TrimSpace(m.audit.search.Value()), BeforeID: beforeID, Limit: limit}
	return func() tea.Msg {
		var entries []user.AuditEntry
		err := svc.Audit(context.Background(), f, func(e user.AuditEntry) error {
			entries = append(entries, e)
			return nil
		})
		return auditPageMsg{seq: seq, entries: entries, limit: limit, append: appendPage, err: err}
	}
}

func (m *Model) onAuditPage(msg auditPageMsg) tea.Cmd {
	a := &m.audit
	if msg.seq != a.seq {
		return nil
	}
	a.loading = false
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	switch {
	case msg.append:
		a.entries = append(a.entries, msg.entries...)
	case a.keepCursor:
		a.entries = msg.entries
		if i := slices.IndexFunc(a.entries, func(e user.AuditEntry) bool { return e.ID == a.keepID }); i >= 0 {
			// Follow the entry down by as many rows as were added above it;
			// the top stays put when it showed the newest entries, so that
			// the new ones come into view.
			shift := i - a.cursor
			a.cursor = i
			if a.top > 0 {
				a.top += shift
			}
		}
	default:
		a.entries, a.cursor, a.top = msg.entries, 0, 0
	}
	a.atEnd = len(msg.entries) < msg.limit
	m.clampAudit()
	return nil
}

func (m *Model) auditRows() int { return max(m.height-5, 1) }

// clampAudit keeps the cursor on an entry and the entry on screen.
func (m *Model) clampAudit() {
	a := &m.audit
	a.cursor, a.top = clampWindow(a.cursor, a.top, len(a.entries), m.auditRows())
}

func (m *Model) auditMove(delta int) tea.Cmd {
	a := &m.audit
	a.cursor += delta
	m.clampAudit()
	if !a.atEnd && !a.loading && len(a.entries) > 0 && len(a.entries)-1-a.cursor < m.auditRows()*2 {
		a.loading = true
		return m.fetchAudit(a.entries[len(a.entries)-1].ID, auditPage, true)
	}
	return nil
}

func (m *Model) auditKey(msg tea.KeyMsg) tea.Cmd {
	a := &m.audit
	k := m.keys
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
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
		if a.search.Value() != "" && key.Matches(msg, k.Back) {
			a.search.SetValue("")
			return m.reloadAudit()
		}
		m.showList()
		return nil
	case key.Matches(msg, k.Search):
		a.searching = true
		return a.search.Focus()
	case key.Matches(msg, k.Up):
		return m.auditMove(-1)
	case key.Matches(msg, k.Down):
		return m.auditMove(1)
	case key.Matches(msg, k.PageUp):
		return m.auditMove(-m.auditRows())
	case key.Matches(msg, k.PageDown):
		return m.auditMove(m.auditRows())
	case key.Matches(msg, k.Top):
		return m.auditMove(-len(a.entries))
	case key.Matches(msg, k.Bottom):
		return m.auditMove(len(a.entries))
	case key.Matches(msg, k.Reload):
		return tea.Batch(m.reloadAudit(), m.checkChain())
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	}
	return nil
}

func (m *Model) auditView() string {
	a := &m.audit
	s := m.styles
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
	actor := 12
	email := max((m.width-2-19-1-15-1-actor-1)/2, 10)
	details := max(m.width-2-19-1-15-1-actor-1-email-1, 5)
	header := "  " + cell("TIME", 19) + " " + cell("ACTION", 15) + " " + cell("ACTOR", actor) + " " + cell("USER", email) + " " + cell("DETAILS", details)
	b.WriteString(s.Header.Render(header) + "\n")
	if len(a.entries) == 0 {
		if a.loading {
			b.WriteString(s.Subtle.Render("  loading…"))
		} else {
			b.WriteString(s.Subtle.Render("  no entries"))
		}
		return b.String()
	}
	end := min(a.top+m.auditRows(), len(a.entries))
	for i := a.top; i < end; i++ {
		e := a.entries[i]
		line := cell(e.At.In(m.opts.Location).Format("2006-01-02 15:04:05"), 19) + " " + cell(string(e.Action), 15) + " " +
			cell(e.Actor, actor) + " " + cell(e.UserEmail, email) + " " + cell(e.Details, details)
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
	if m.audit.searching {
		return bindingHelp{short: []key.Binding{k.AcceptSearch, k.ClearSearch}}
	}
	return bindingHelp{
		short: []key.Binding{k.Up, k.Down, k.PageDown, k.Search, k.Reload, k.Back},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Search, k.ClearSearch, k.Reload}, {k.Back, k.Help}},
	}
}
