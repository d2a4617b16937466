package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// The audit screen holds a window of the log around the cursor, like the
// list: auditPage entries are fetched at a time, a fetch starts when the
// cursor comes within prefetchMargin entries of an edge of the window that
// is not an end of the log, and the far side is trimmed past
// maxAuditWindow entries.
const (
	auditPage      = 200
	maxAuditWindow = 5 * auditPage
)

// auditRefreshMax caps how many entries a refresh after a change elsewhere
// refetches (see refreshAudit).
const auditRefreshMax = 25 * auditPage

// Widths of the audit table's fixed columns, and the most the user's email
// takes: the details get the rest.
const (
	auditTimeWidth   = 19
	auditActionWidth = 15
	auditActorWidth  = 12
	auditUserMax     = 32
)

type auditState struct {
	entries []user.AuditEntry
	scroll
	// loading is set while a new window is on its way (open, search, g, G,
	// a refresh); fetchingUp and fetchingDown while the window grows.
	loading                  bool
	fetchingUp, fetchingDown bool
	// seq numbers the windows; ctx is the current one's, cancelled by the
	// next so that a long search of the log does not run on for nothing.
	seq    int
	ctx    context.Context
	cancel context.CancelFunc

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
type auditPageMsg struct {
	seq     int
	kind    pageKind
	entries []user.AuditEntry
	// atStart and atEnd report whether the entries reach the newest and
	// the oldest entry of the log: for a new window, both; for an appended
	// page, atEnd; for a prepended one, atStart.
	atStart, atEnd bool
	// For a new window: keepID is the entry to keep the cursor on, when
	// keep is set; around is set when the window was loaded around it;
	// last puts the cursor on the last entry.
	keep, around, last bool
	keepID             int64
	err                error
}

func newAuditState() auditState {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "search action, actor, email or details"
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.CharLimit = 254
	return auditState{search: ti, ctx: context.Background()}
}

// openAudit shows the audit log and checks its hash chain. The check reads
// the whole log, so it runs when the screen opens and on r, not after every
// change elsewhere.
func (m *Model) openAudit() tea.Cmd {
	m.show(screenAudit)
	m.audit.open = false
	return tea.Batch(m.reloadAudit(), m.checkChain())
}

// newAuditWindow starts loading a new window: answers for the windows
// before it are dropped, and their queries cancelled.
func (m *Model) newAuditWindow() (seq int, ctx context.Context, f user.AuditFilter) {
	a := &m.audit
	if a.cancel != nil {
		a.cancel()
	}
	a.seq++
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.loading = true
	a.fetchingUp, a.fetchingDown = false, false
	a.pending = 0
	return a.seq, a.ctx, m.auditFilter()
}

func (m *Model) auditFilter() user.AuditFilter {
	return user.AuditFilter{Search: strings.TrimSpace(m.audit.search.Value())}
}

// reloadAudit loads the log from its newest entry, the cursor on it.
func (m *Model) reloadAudit() tea.Cmd {
	seq, ctx, f := m.newAuditWindow()
	svc := m.svc
	return func() tea.Msg {
		f.Limit = auditPage
		entries, err := auditEntries(ctx, svc, f)
		return auditPageMsg{seq: seq, kind: pageReplace, entries: entries, atStart: true, atEnd: len(entries) < auditPage, err: err}
	}
}

// loadOldestAudit loads the log's oldest entries, the cursor on the oldest.
func (m *Model) loadOldestAudit() tea.Cmd {
	seq, ctx, f := m.newAuditWindow()
	svc := m.svc
	return func() tea.Msg {
		entries, newest, err := auditNewer(ctx, svc, f, 0, auditPage)
		return auditPageMsg{seq: seq, kind: pageReplace, entries: entries, atStart: newest, atEnd: true, last: true, err: err}
	}
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
	var keepID int64
	if len(a.entries) > 0 {
		keepID = a.entries[a.cursor].ID
	}
	atStart, limit := a.atStart || len(a.entries) == 0, min(a.cursor+auditPage, auditRefreshMax)
	seq, ctx, f := m.newAuditWindow()
	svc := m.svc
	if atStart {
		return func() tea.Msg {
			f.Limit = limit
			entries, err := auditEntries(ctx, svc, f)
			return auditPageMsg{seq: seq, kind: pageReplace, entries: entries, atStart: true, atEnd: len(entries) < limit,
				keep: true, keepID: keepID, err: err}
		}
	}
	return func() tea.Msg {
		newer, newest, err := auditNewer(ctx, svc, f, keepID, auditPage/2)
		if err != nil {
			return auditPageMsg{seq: seq, err: err}
		}
		f.BeforeID, f.Limit = keepID+1, auditPage
		older, err := auditEntries(ctx, svc, f)
		return auditPageMsg{seq: seq, kind: pageReplace, entries: append(newer, older...), atStart: newest, atEnd: len(older) < auditPage,
			keep: true, around: true, keepID: keepID, err: err}
	}
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

// errEnough stops a walk through the audit log that has what it wanted.
var errEnough = errors.New("enough entries")

// auditNewer returns the n entries f selects that follow the entry with id
// afterID (0: the oldest n), newest first, and whether they reach the newest.
//
// The store lists the log newest first, below an id (AuditFilter.BeforeID):
// it cannot start from an entry and go up. So this looks at ids in ranges
// above afterID that double in size, each read from its top down and left
// at its bottom, until n entries are found or the newest is reached: about
// 2n ids are read when ids follow one another (no search), and no range is
// read twice. A store listing oldest first (an AfterID in AuditFilter) would
// make this one query.
func auditNewer(ctx context.Context, svc *user.Service, f user.AuditFilter, afterID int64, n int) ([]user.AuditEntry, bool, error) {
	top := f
	top.Limit = 1
	newest, err := auditEntries(ctx, svc, top)
	if err != nil || len(newest) == 0 || newest[0].ID <= afterID {
		return nil, true, err
	}
	last := newest[0].ID
	var found []user.AuditEntry // newest first
	low := afterID              // the ids up to low have been looked at
	dropped := false            // entries farther than the n nearest were dropped
	for size := int64(n); ; size *= 2 {
		high := min(afterID+size, last)
		var got []user.AuditEntry
		g := f
		g.BeforeID, g.Limit = high+1, 0
		err := svc.Audit(ctx, g, func(e user.AuditEntry) error {
			if e.ID <= low {
				return errEnough
			}
			got = append(got, e)
			if len(got) >= 2*n {
				// Only the n nearest afterID can be wanted: they come last.
				got, dropped = append(got[:0], got[n:]...), true
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			return nil, false, err
		}
		found = append(got, found...)
		low = high
		if len(found) >= n || high >= last {
			break
		}
	}
	if len(found) > n {
		return found[len(found)-n:], false, nil
	}
	return found, !dropped && low >= last, nil
}

// ensureAuditLoaded fetches more entries when the cursor nears an edge of
// the window that is not an end of the log.
func (m *Model) ensureAuditLoaded() tea.Cmd {
	a := &m.audit
	if a.loading || len(a.entries) == 0 {
		return nil
	}
	margin := max(prefetchMargin, 2*m.auditRows())
	seq, ctx, f, svc := a.seq, a.ctx, m.auditFilter(), m.svc
	var cmds []tea.Cmd
	if !a.atEnd && !a.fetchingDown && len(a.entries)-1-a.cursor < margin {
		a.fetchingDown = true
		before := a.entries[len(a.entries)-1].ID
		cmds = append(cmds, func() tea.Msg {
			f.BeforeID, f.Limit = before, auditPage
			entries, err := auditEntries(ctx, svc, f)
			return auditPageMsg{seq: seq, kind: pageAppend, entries: entries, atEnd: len(entries) < auditPage, err: err}
		})
	}
	if !a.atStart && !a.fetchingUp && a.cursor < margin {
		a.fetchingUp = true
		after := a.entries[0].ID
		cmds = append(cmds, func() tea.Msg {
			entries, newest, err := auditNewer(ctx, svc, f, after, auditPage)
			return auditPageMsg{seq: seq, kind: pagePrepend, entries: entries, atStart: newest, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (m *Model) onAuditPage(msg auditPageMsg) tea.Cmd {
	a := &m.audit
	if msg.seq != a.seq {
		return nil
	}
	switch msg.kind {
	case pageAppend:
		a.fetchingDown = false
	case pagePrepend:
		a.fetchingUp = false
	default:
		a.loading, a.fetchingUp, a.fetchingDown = false, false, false
	}
	if msg.err != nil {
		a.pending = 0
		m.fail(msg.err)
		return nil
	}
	rows := m.auditRows()
	switch msg.kind {
	case pageReplace:
		a.entries = msg.entries
		a.atStart, a.atEnd, a.pending = msg.atStart, msg.atEnd, 0
		switch {
		case msg.keep:
			i := slices.IndexFunc(a.entries, func(e user.AuditEntry) bool { return e.ID == msg.keepID })
			if i >= 0 {
				// Follow the entry by as many rows as came before it; the
				// top stays put when it showed the newest entries, so that
				// the new ones come into view.
				shift := i - a.cursor
				a.cursor = i
				if a.top > 0 || msg.around {
					a.top += shift
				}
			}
		case msg.last:
			a.cursor, a.top = len(a.entries)-1, len(a.entries)-rows
		default:
			a.cursor, a.top = 0, 0
		}
		a.cursor, a.top = clampWindow(a.cursor, a.top, len(a.entries), rows)
		// A refresh can bring more than a window: keep the side of the cursor.
		if extra := len(a.entries) - maxAuditWindow; extra > 0 {
			if a.cursor < maxAuditWindow-prefetchMargin {
				a.entries, a.atEnd = a.entries[:maxAuditWindow], false
			} else {
				a.entries, a.atStart = a.entries[extra:], false
				a.cursor, a.top = a.cursor-extra, a.top-extra
			}
		}
	case pageAppend:
		a.entries = append(a.entries, msg.entries...)
		a.atEnd = msg.atEnd
		a.moveBy(0, len(a.entries), rows) // keys pressed while the page loaded
		if extra := len(a.entries) - maxAuditWindow; extra > 0 && a.cursor-extra > prefetchMargin {
			a.entries = slices.Delete(a.entries, 0, extra)
			a.cursor -= extra
			a.top -= extra
			a.atStart = false
		}
	case pagePrepend:
		a.entries = append(slices.Clip(msg.entries), a.entries...)
		a.cursor += len(msg.entries)
		a.top += len(msg.entries)
		a.atStart = msg.atStart
		a.moveBy(0, len(a.entries), rows)
		if extra := len(a.entries) - maxAuditWindow; extra > 0 && len(a.entries)-extra-1-a.cursor > prefetchMargin {
			a.entries = a.entries[:len(a.entries)-extra]
			a.atEnd = false
		}
	}
	m.clampAudit()
	a.userWidth = 0
	for _, e := range a.entries {
		a.userWidth = max(a.userWidth, ansi.StringWidth(textsafe.Line(e.UserEmail)))
	}
	return m.ensureAuditLoaded()
}

func (m *Model) auditRows() int { return max(m.height-5, 1) }

// clampAudit keeps the cursor on an entry and the entry on screen.
func (m *Model) clampAudit() {
	a := &m.audit
	a.cursor, a.top = clampWindow(a.cursor, a.top, len(a.entries), m.auditRows())
}

// auditMove shifts the cursor by delta entries. Entries past the window
// wait for their page (see scroll.moveBy).
func (m *Model) auditMove(delta int) tea.Cmd {
	a := &m.audit
	a.moveBy(delta, len(a.entries), m.auditRows())
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
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
		if a.search.Value() != "" && key.Matches(msg, k.Back) {
			a.search.SetValue("")
			return m.reloadAudit()
		}
		m.showList()
		return nil
	case key.Matches(msg, k.Open):
		if len(a.entries) > 0 {
			a.open, a.entry = true, a.entries[a.cursor]
			a.entryView = viewport.New(m.width, 1)
			m.renderAuditEntry()
		}
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
		a.pending = 0 // g and G go where they go, whatever was pending
		if a.atStart {
			return m.auditMove(-len(a.entries))
		}
		return m.reloadAudit()
	case key.Matches(msg, k.Bottom):
		a.pending = 0
		if a.atEnd {
			return m.auditMove(len(a.entries))
		}
		return m.loadOldestAudit()
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
