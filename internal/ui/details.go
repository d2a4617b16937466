package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

type detailsState struct {
	user    user.User
	entries []user.AuditEntry
	loading bool
	view    viewport.Model
}

// detailsAuditMsg carries a user's fresh record and audit entries.
type detailsAuditMsg struct {
	id      string
	user    user.User
	entries []user.AuditEntry
	err     error
}

// actionDoneMsg is the result of a change made from the list, the details
// or a dialog.
type actionDoneMsg struct {
	// origin is the screen that started the change and shown its visit
	// (Model.shown then): only while that visit still shows is it closed
	// or told of an error by the result.
	origin  screen
	shown   int
	user    user.User
	text    string
	deleted bool
	err     error
}

func (m *Model) openDetails(u user.User) tea.Cmd {
	m.setStatus("", false)
	m.details = detailsState{user: u, loading: true, view: viewport.New(m.width, m.detailsViewHeight())}
	m.show(screenDetails)
	m.renderDetails()
	return m.refreshDetails()
}

// refreshDetails reloads the user shown in details and its audit entries.
func (m *Model) refreshDetails() tea.Cmd {
	id, svc := m.details.user.ID, m.svc
	return func() tea.Msg {
		ctx := context.Background()
		u, err := svc.GetByID(ctx, id)
		if err != nil {
			return detailsAuditMsg{id: id, err: err}
		}
		var entries []user.AuditEntry
		err = svc.Audit(ctx, user.AuditFilter{UserID: id, Limit: 500}, func(e user.AuditEntry) error {
			entries = append(entries, e)
			return nil
		})
		return detailsAuditMsg{id: id, user: u, entries: entries, err: err}
	}
}

func (m *Model) onDetailsAudit(msg detailsAuditMsg) tea.Cmd {
	d := &m.details
	// Closed details are not news: the user they showed may be gone.
	if !m.detailsShowing() || msg.id != d.user.ID {
		return nil
	}
	d.loading = false
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	d.user, d.entries = msg.user, msg.entries
	m.renderDetails()
	return nil
}

func (m *Model) renderDetails() {
	d := &m.details
	s := m.styles
	u := d.user
	loc := m.opts.Location
	var b strings.Builder
	row := func(label, value string) {
		b.WriteString(s.Label.Render(fmt.Sprintf("  %-11s", label)) + " " + value + "\n")
	}
	width := max(m.width-16, 10)
	row("id", cell(u.ID, width))
	row("email", emailCell(u.Email, width))
	row("roles", cell(user.JoinRoles(u.Roles), width))
	now := m.opts.Now()
	switch {
	case u.Disabled():
		row("status", s.Disabled.Render("disabled"))
		row("disabled", fullTime(u.DisabledAt, loc))
	case u.NeedsAdminUnlock():
		row("status", s.Warn.Render(fmt.Sprintf("blocked after %d consecutive failed logins (u unlocks)", u.FailedLogins)))
		row("locked until", s.Warn.Render("an admin unlocks it: it does not open by itself"))
	case u.Locked(now):
		row("status", s.Warn.Render(fmt.Sprintf("locked after %d failed logins (u unlocks)", u.FailedLogins)))
		row("locked until", fullTime(u.LockedUntil, loc))
	default:
		row("status", s.Active.Render("active"))
	}
	if u.FailedLogins > 0 && !u.Locked(now) {
		row("failed", fmt.Sprintf("%d failed logins in a row since the last success (blocked at %d)", u.FailedLogins, user.MaxConsecutiveFailures))
	}
	row("created", fullTime(u.CreatedAt, loc))
	row("updated", fullTime(u.UpdatedAt, loc))
	row("last login", fullTime(u.LastLoginAt, loc))
	b.WriteString("\n" + s.Header.Render("  Audit, newest first") + "\n")
	switch {
	case d.loading:
		b.WriteString(s.Subtle.Render("  loading…"))
	case len(d.entries) == 0:
		b.WriteString(s.Subtle.Render("  no entries"))
	}
	for _, e := range d.entries {
		line := fmt.Sprintf("  %s  %s  %s  %s", e.At.In(loc).Format("2006-01-02 15:04:05"),
			cell(string(e.Action), 15), cell(e.Actor, 12), cell(e.Details, max(m.width-66, 10)))
		b.WriteString(fit(line, m.width) + "\n")
	}
	d.view.Width, d.view.Height = m.width, m.detailsViewHeight()
	d.view.SetContent(strings.TrimRight(b.String(), "\n"))
}

func (m *Model) detailsKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back):
		m.showList()
		return nil
	case key.Matches(msg, k.Reload):
		return m.refreshDetails()
	case key.Matches(msg, k.Help):
		m.toggleHelp()
		return nil
	case key.Matches(msg, k.Top):
		m.details.view.GotoTop()
		return nil
	case key.Matches(msg, k.Bottom):
		m.details.view.GotoBottom()
		return nil
	}
	m.back = screenDetails
	if cmd, ok := m.actionKey(msg, m.details.user); ok {
		return cmd
	}
	var cmd tea.Cmd
	m.details.view, cmd = m.details.view.Update(msg)
	return cmd
}

func (m *Model) detailsView() string {
	title := m.styles.Title.Render("User details")
	return title + "\n\n" + m.details.view.View()
}

// detailsViewHeight is the height of the details' viewport: the screen
// less the title, a blank line, the status line and the help.
func (m *Model) detailsViewHeight() int {
	return max(m.bodyHeight(m.detailsHelp())-2, 1)
}

func (m *Model) detailsHelp() bindingHelp {
	k := m.keys
	return bindingHelp{
		short:  []key.Binding{k.Roles, k.Password, k.Disable, k.Unlock, k.Delete, k.Copy},
		always: []key.Binding{k.Back, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Roles, k.Password, k.Disable, k.Unlock, k.Delete, k.Copy},
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Reload, k.Back, k.Help, k.Quit},
		},
	}
}

// onActionDone shows the result of a change and refreshes what shows it.
// Only the visit of the screen that started the change, while it still
// shows, is closed or told of an error by the result: keys typed ahead of a
// fire-and-forget unlock ("up" arrives as u, then p) may have opened
// another dialog meanwhile, and that one is left as it is.
func (m *Model) onActionDone(msg actionDoneMsg) tea.Cmd {
	mine := msg.origin == m.screen && msg.shown == m.shown
	if mine {
		// Whatever happened, the dialog takes keys again (Esc among them).
		m.roles.busy, m.confirm.busy, m.form.submitting = false, false, false
	}
	if msg.err != nil {
		m.fail(msg.err)
		if mine {
			switch m.screen {
			case screenPassword:
				return m.formError(msg.err)
			case screenRoles:
				m.roles.err = oneLine(msg.err.Error())
			case screenConfirmDisable, screenConfirmDelete:
				m.confirm.err = oneLine(msg.err.Error())
			}
		}
		return nil
	}
	u := msg.user
	text := msg.text
	if !msg.deleted {
		text += " · updated " + u.UpdatedAt.In(m.opts.Location).Format("2006-01-02 15:04:05")
	}
	m.setStatus(text, false)
	showsUser := m.detailsShowing() && m.details.user.ID == u.ID
	if msg.deleted {
		if mine || showsUser {
			m.showList()
		}
		return m.refreshList()
	}
	var cmds []tea.Cmd
	if mine && isDialog(m.screen) {
		m.screen = m.back
	}
	if showsUser {
		m.details.user = u
		m.renderDetails()
		cmds = append(cmds, m.refreshDetails())
	}
	if m.selectedID() == u.ID {
		// Keep the user selected, wherever the change moved it in the order.
		cmds = append(cmds, m.reloadAround(u))
	} else {
		cmds = append(cmds, m.refreshList())
	}
	return tea.Batch(cmds...)
}
