// Package ui is ctitui's terminal user interface, a bubbletea program over
// user.Service. It never touches the database directly: every read and write
// runs inside a tea.Cmd, off the update path, and comes back as a message.
package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/user"
)

// Minimum terminal size the program draws at.
const (
	MinWidth  = 60
	MinHeight = 15
)

// Options configure the program.
type Options struct {
	DBPath        string
	SchemaVersion int64
	// DataVersion returns a number that changes whenever the database
	// changes; the program polls it to show changes made by other processes.
	// Nil turns watching off.
	DataVersion func(ctx context.Context) (int64, error)
	// WatchInterval is how often DataVersion is polled (default 2s).
	WatchInterval time.Duration
	// Now is the clock for relative times (default time.Now).
	Now func() time.Time
	// Location is the time zone times are shown in (default time.Local).
	Location *time.Location
	// Notice is shown in the status line at start, e.g. what opening the
	// database did.
	Notice string
	// AuditChain checks the audit log's hash chain. Nil hides the check.
	AuditChain func(ctx context.Context) (ChainState, error)
	// StatusTimeout is how long a status message that is not an error
	// shows before it is cleared (default 10s). Negative keeps every
	// message until the next one replaces it. Errors always stay.
	StatusTimeout time.Duration
	// Output is the terminal the program draws on: y copies an email by
	// writing an OSC 52 sequence to it (see copyEmail). Nil turns copying
	// off.
	Output io.Writer
	// Getenv reads the environment, to tell whether the terminal is inside
	// tmux or screen (default os.Getenv).
	Getenv func(string) string
}

// screen names what the program shows.
type screen int

const (
	screenList screen = iota
	screenDetails
	screenRegister
	screenPassword
	screenRoles
	screenConfirmDisable
	screenConfirmDelete
	screenAudit
)

// Model is the whole program's state. Its screens live in their own files.
type Model struct {
	svc    *user.Service
	opts   Options
	keys   KeyMap
	styles Styles
	help   help.Model

	width, height int
	screen        screen
	back          screen // where Esc returns from a dialog
	// shown numbers the screens opened (see show), so that the result of a
	// change can tell whether the screen that asked for it still shows.
	shown    int
	relative bool

	list    listState
	form    formState
	details detailsState
	roles   rolesState
	confirm confirmState
	audit   auditState

	status      string
	statusError bool
	// statusSeq numbers the status messages shown, so that the timer that
	// clears one leaves a later one alone; statusTimed is the last one
	// whose timer was started.
	statusSeq, statusTimed int

	dataVersion int64
	err         error // a fatal error that ended the program

	// positionMax caps the count that places the list's window in a long
	// listing (positionCountMax; tests lower it).
	positionMax int
}

// New returns the program's model over svc.
func New(svc *user.Service, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.WatchInterval <= 0 {
		opts.WatchInterval = 2 * time.Second
	}
	if opts.StatusTimeout == 0 {
		opts.StatusTimeout = 10 * time.Second
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	m := &Model{
		svc:    svc,
		opts:   opts,
		keys:   DefaultKeyMap(),
		styles: DefaultStyles(),
		help:   help.New(),
		width:  80,
		height: 24,

		positionMax: positionCountMax,
	}
	m.setStatus(opts.Notice, false)
	m.list = newListState()
	m.audit = newAuditState()
	return m
}

// Err is the error that ended the program, if any.
func (m *Model) Err() error { return m.err }

// Init loads the first page and starts watching for changes.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.reloadList(), m.totalCmd(), m.watch(), m.expireStatus())
}

// Messages that are not owned by one screen.
type (
	// fatalMsg ends the program with an error, the terminal restored.
	fatalMsg struct{ err error }
	// watchTickMsg asks for the database's data version.
	watchTickMsg struct{}
	// dataVersionMsg carries the database's data version.
	dataVersionMsg struct {
		version int64
		err     error
	}
	// statusExpiredMsg clears status message seq, if it still shows.
	statusExpiredMsg struct{ seq int }
)

// guard turns a panic inside cmd into a fatalMsg, so that a bug in a
// background read ends the program with one clear line and a restored
// terminal, not a stack trace over a raw-mode screen.
func guard(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = fatalMsg{panicError(r)}
			}
		}()
		msg = cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for i, c := range batch {
				batch[i] = guard(c)
			}
		}
		return msg
	}
}

// panicError is the error a recovered panic ends the program with. It keeps
// no stack: ctitui prints every failure as one line, a stack printed as the
// alternate screen closes would land mangled on the user's terminal, and a
// person can do nothing with it. The panic's value names the fault for
// whoever reproduces it under a debugger.
func panicError(r any) error {
	return fmt.Errorf("internal error: %v", r)
}

// Update routes a message to the screen it belongs to.
func (m *Model) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.err = panicError(r)
			cmd = tea.Quit
		}
	}()
	cmd = m.update(msg)
	return m, guard(cmd)
}

// update handles msg, then starts the timer that clears a new status
// message, wherever it was set.
func (m *Model) update(msg tea.Msg) tea.Cmd {
	cmd := m.route(msg)
	// What the help takes can change with any message (a search started,
	// another screen's keys): keep the cursors on screen.
	m.list.clamp(m.visibleRows())
	m.audit.clamp(m.auditRows())
	m.placeWindow()
	if expire := m.expireStatus(); expire != nil {
		return tea.Batch(cmd, expire)
	}
	return cmd
}

func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.resize()
		return m.ensureLoaded()
	case fatalMsg:
		m.err = msg.err
		return tea.Quit
	case watchTickMsg:
		return m.checkDataVersion()
	case statusExpiredMsg:
		if msg.seq == m.statusSeq && !m.statusError {
			m.status = ""
		}
		return nil
	case dataVersionMsg:
		return m.onDataVersion(msg)
	case listPageMsg:
		return m.onListPage(msg)
	case countMsg:
		if msg.seq == m.list.seq && msg.err == nil {
			m.list.count, m.list.countFilter, m.list.counted = msg.n, msg.filter, true
		}
		return nil
	case positionMsg:
		return m.onPosition(msg)
	case copiedMsg:
		if msg.err != nil {
			m.fail(fmt.Errorf("copy %s: %w", msg.text, msg.err))
		} else {
			m.setStatus("copied "+msg.text+" to the clipboard (OSC 52)", false)
		}
		return nil
	case totalMsg:
		if msg.err == nil {
			m.list.total, m.list.totaled = msg.n, true
		}
		return nil
	case registeredMsg:
		return m.onRegistered(msg)
	case actionDoneMsg:
		return m.onActionDone(msg)
	case detailsAuditMsg:
		return m.onDetailsAudit(msg)
	case auditPageMsg:
		return m.onAuditPage(msg)
	case chainMsg:
		a := &m.audit
		switch {
		case msg.err != nil:
			a.chain, a.chainOK = "chain not checked: "+oneLine(msg.err.Error()), false
		case msg.state.Problem != "":
			a.chain, a.chainOK = msg.state.Problem, false
		default:
			a.chain, a.chainOK = fmt.Sprintf("chain ok, %s entries", thousands(msg.state.Entries)), true
			if msg.state.RestartedAt > 0 {
				// A restart is whole but never unremarkable (see
				// ctitui audit restart).
				a.chain += fmt.Sprintf(", restarted at #%d after a break", msg.state.RestartedAt)
			}
		}
		return nil
	case tea.KeyMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			return tea.Quit
		}
		if m.tooSmall() {
			if key.Matches(msg, m.keys.Quit) {
				return tea.Quit
			}
			return nil
		}
		return m.updateKey(msg)
	case tea.MouseMsg:
		if m.tooSmall() {
			return nil
		}
		return m.mouse(msg)
	}
	// Anything else (spinner ticks, cursor blinks) goes to the active screen.
	return m.updateOther(msg)
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	// Keys typed faster than the program reads them can arrive as one
	// message of several runes ("jjj", "/alice"). Take them one at a time,
	// so that each is a key and none is lost.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			cmds = append(cmds, m.updateKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	switch m.screen {
	case screenDetails:
		return m.detailsKey(msg)
	case screenRegister, screenPassword:
		return m.formKey(msg)
	case screenRoles:
		return m.rolesKey(msg)
	case screenConfirmDisable, screenConfirmDelete:
		return m.confirmKey(msg)
	case screenAudit:
		return m.auditKey(msg)
	}
	return m.listKey(msg)
}

func (m *Model) updateOther(msg tea.Msg) tea.Cmd {
	switch m.screen {
	case screenRegister, screenPassword:
		return m.formOther(msg)
	case screenConfirmDelete:
		var cmd tea.Cmd
		m.confirm.input, cmd = m.confirm.input.Update(msg)
		return cmd
	case screenDetails:
		var cmd tea.Cmd
		m.details.view, cmd = m.details.view.Update(msg)
		return cmd
	}
	return nil
}

// mouse answers the mouse: the wheel scrolls the screen showing, a click
// selects a row of the list or the audit log.
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if msg.Action != tea.MouseActionPress {
		return nil
	}
	switch m.screen {
	case screenList:
		return m.listMouse(msg)
	case screenAudit:
		return m.auditMouse(msg)
	case screenDetails:
		var cmd tea.Cmd
		m.details.view, cmd = m.details.view.Update(msg)
		return cmd
	}
	return nil
}

// show opens screen s, numbering the visit.
func (m *Model) show(s screen) {
	m.screen = s
	m.shown++
}

// showList returns to the list. Nothing is open over it, so Esc from a
// dialog opened next returns here too, and closed details stop following
// changes.
func (m *Model) showList() {
	m.screen, m.back = screenList, screenList
}

// isDialog reports whether s is a dialog opened over the list or details.
func isDialog(s screen) bool {
	switch s {
	case screenRegister, screenPassword, screenRoles, screenConfirmDisable, screenConfirmDelete:
		return true
	}
	return false
}

// detailsShowing reports whether the details screen shows, itself or under
// a dialog opened from it.
func (m *Model) detailsShowing() bool {
	return m.screen == screenDetails || (isDialog(m.screen) && m.back == screenDetails)
}

// setStatus shows text in the status line; isErr draws it as an error.
// A message that is not an error is cleared after Options.StatusTimeout
// (see expireStatus); an error stays until the next message replaces it.
func (m *Model) setStatus(text string, isErr bool) {
	m.status, m.statusError = text, isErr
	m.statusSeq++
}

// expireStatus starts the timer that clears the status message shown, when
// it is a new one that is not an error. The timer carries the message's
// number: a message shown since then is not cleared by it.
func (m *Model) expireStatus() tea.Cmd {
	if m.statusTimed == m.statusSeq {
		return nil
	}
	m.statusTimed = m.statusSeq
	if m.status == "" || m.statusError || m.opts.StatusTimeout < 0 {
		return nil
	}
	seq := m.statusSeq
	return tea.Tick(m.opts.StatusTimeout, func(time.Time) tea.Msg { return statusExpiredMsg{seq} })
}

// toggleHelp shows more keys or fewer, and says which the help key does next.
// The full help takes lines from the screen above it.
func (m *Model) toggleHelp() {
	m.help.ShowAll = !m.help.ShowAll
	desc := "more keys"
	if m.help.ShowAll {
		desc = "fewer keys"
	}
	m.keys.Help.SetHelp(m.keys.Help.Help().Key, desc)
	m.resize()
}

// fail shows err in the status line.
func (m *Model) fail(err error) {
	m.setStatus(oneLine(err.Error()), true)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// watch schedules the next look at the database's data version.
func (m *Model) watch() tea.Cmd {
	if m.opts.DataVersion == nil {
		return nil
	}
	return tea.Tick(m.opts.WatchInterval, func(time.Time) tea.Msg { return watchTickMsg{} })
}

func (m *Model) checkDataVersion() tea.Cmd {
	get := m.opts.DataVersion
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := get(ctx)
		return dataVersionMsg{v, err}
	}
}

func (m *Model) onDataVersion(msg dataVersionMsg) tea.Cmd {
	next := m.watch()
	if msg.err != nil {
		// Keep watching: a busy database now is usually free at the next tick.
		return next
	}
	// The first answer counts as a change too: something may have been
	// written between the first page and the first poll.
	changed := msg.version != m.dataVersion
	m.dataVersion = msg.version
	if !changed {
		return next
	}
	cmds := []tea.Cmd{next, m.refreshList()}
	if m.detailsShowing() {
		cmds = append(cmds, m.refreshDetails())
	}
	if m.screen == screenAudit {
		cmds = append(cmds, m.refreshAudit())
	}
	return tea.Batch(cmds...)
}

func (m *Model) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// View draws the active screen.
func (m *Model) View() (view string) {
	defer func() {
		if r := recover(); r != nil {
			m.err = panicError(r)
			view = ""
		}
	}()
	if m.tooSmall() {
		msg := fmt.Sprintf("Terminal too small: %d×%d.\nctitui needs at least %d×%d.\nEnlarge the window, or press q to quit.", m.width, m.height, MinWidth, MinHeight)
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, fitBlock(msg, m.width))
	}
	var body string
	switch m.screen {
	case screenDetails:
		body = m.detailsView()
	case screenRegister, screenPassword:
		body = m.formView()
	case screenRoles:
		body = m.rolesView()
	case screenConfirmDisable, screenConfirmDelete:
		body = m.confirmView()
	case screenAudit:
		body = m.auditView()
	default:
		body = m.listView()
	}
	keys := m.screenHelp()
	footer := m.statusView() + "\n" + m.helpView(keys)
	body = padLines(body, m.bodyHeight(keys), m.width)
	return body + "\n" + footer
}

// statusView draws the one-line status: the last message on the left and,
// on the list, the selected user's place in the listing on the right. An
// error says so in words, not only in red, for terminals without colour.
func (m *Model) statusView() string {
	var right string
	if m.screen == screenList {
		right = m.positionText()
	}
	room := m.width
	if right != "" {
		room -= ansi.StringWidth(right) + 2
	}
	var left string
	if m.status != "" && room > 0 {
		text := m.status
		if m.statusError {
			text = "error: " + text
		}
		// Status text quotes emails read back from the database.
		text = inline(text, room)
		if m.statusError {
			left = m.styles.Error.Render(text)
		} else {
			left = m.styles.Info.Render(text)
		}
	}
	if right == "" {
		return left
	}
	if room < 0 {
		return fit(right, m.width)
	}
	pad := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	return left + strings.Repeat(" ", max(pad, 0)) + m.styles.Subtle.Render(right)
}

// padLines makes s exactly height lines, cutting or padding, each cut to width.
func padLines(s string, height, width int) string {
	if height < 0 {
		height = 0
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = fit(l, width)
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// fitBlock cuts every line of s to width.
func fitBlock(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = fit(l, width)
	}
	return strings.Join(lines, "\n")
}

// clampWindow keeps cursor on one of n rows and that row within the rows
// lines shown from top, moving top as little as it can. It returns the new
// cursor and top.
func clampWindow(cursor, top, n, rows int) (int, int) {
	cursor = min(max(cursor, 0), max(n-1, 0))
	if cursor < top {
		top = cursor
	}
	if cursor >= top+rows {
		top = cursor - rows + 1
	}
	top = max(min(top, n-rows), 0)
	return cursor, top
}

// resize adapts the screens that depend on the terminal size and on the
// lines the help takes.
func (m *Model) resize() {
	m.details.view.Width = m.width
	m.details.view.Height = m.detailsViewHeight()
	m.list.clamp(m.visibleRows())
	m.audit.clamp(m.auditRows())
	if m.audit.open {
		m.renderAuditEntry()
	}
}
