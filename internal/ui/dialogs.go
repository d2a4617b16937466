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

	"github.com/ctitui/ctitui/internal/user"
)

// rolesState is the role editor: a checklist of the assignable roles.
type rolesState struct {
	user    user.User
	checked map[user.Role]bool
	cursor  int
	err     string
	busy    bool
}

// confirmState is the disable/enable (y/n) and delete (type the email or the
// id) dialog.
type confirmState struct {
	user  user.User
	input textinput.Model
	err   string
	busy  bool
}

func (m *Model) openRoles(u user.User) tea.Cmd {
	checked := map[user.Role]bool{}
	for _, r := range u.Roles {
		checked[r] = true
	}
	m.setStatus("", false)
	m.roles = rolesState{user: u, checked: checked}
	m.show(screenRoles)
	return nil
}

func (m *Model) rolesKey(msg tea.KeyMsg) tea.Cmd {
	r := &m.roles
	k := m.keys
	if r.busy {
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.toggleHelp()
	case key.Matches(msg, k.Back):
		m.screen = m.back
		return nil
	case key.Matches(msg, k.Up), key.Matches(msg, k.PrevField):
		r.cursor = (r.cursor - 1 + len(user.Roles)) % len(user.Roles)
	case key.Matches(msg, k.Down), key.Matches(msg, k.NextField):
		r.cursor = (r.cursor + 1) % len(user.Roles)
	case key.Matches(msg, k.Toggle), msg.String() == "x":
		role := user.Roles[r.cursor]
		r.checked[role] = !r.checked[role]
		r.err = ""
	case key.Matches(msg, k.Submit):
		var roles []user.Role
		for _, role := range r.user.Roles {
			// Roles ctitui cannot assign (from an adopted database) stay.
			if !slices.Contains(user.Roles, role) {
				roles = append(roles, role)
			}
		}
		for _, role := range user.Roles {
			if r.checked[role] {
				roles = append(roles, role)
			}
		}
		if len(roles) == 0 {
			r.err = "a user needs at least one role"
			return nil
		}
		r.busy, r.err = true, ""
		svc, email := m.svc, r.user.Email
		return m.action(func() actionDoneMsg {
			u, err := svc.SetRoles(context.Background(), email, roles)
			return actionDoneMsg{user: u, text: fmt.Sprintf("%s now has roles %s", u.Email, user.JoinRoles(u.Roles)), err: err}
		})
	}
	return nil
}

func (m *Model) rolesView() string {
	r := &m.roles
	s := m.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Roles of "+inline(r.user.Email, m.width-12)) + "\n\n")
	for i, role := range user.Roles {
		box := "[ ]"
		if r.checked[role] {
			box = "[x]"
		}
		line := fmt.Sprintf("%s %s", box, role)
		if i == r.cursor {
			b.WriteString(s.Focused.Render("> "+line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	if r.err != "" {
		// The error can quote an email read back from the database.
		b.WriteString("\n" + s.Error.Render(paragraph(r.err, m.width)))
	} else if r.busy {
		b.WriteString("\n" + s.Subtle.Render("saving…"))
	}
	return b.String()
}

func (m *Model) rolesHelp() bindingHelp {
	k := m.keys
	return bindingHelp{
		short:  []key.Binding{k.Up, k.Down, k.Toggle, k.SaveRoles},
		always: []key.Binding{k.Back, k.Help, k.Quit},
	}
}

func (m *Model) openConfirmDisable(u user.User) tea.Cmd {
	m.setStatus("", false)
	m.confirm = confirmState{user: u}
	m.show(screenConfirmDisable)
	return nil
}

func (m *Model) openConfirmDelete(u user.User) tea.Cmd {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "type the email or the id"
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.CharLimit = 1024
	ti.Width = 40
	m.setStatus("", false)
	m.confirm = confirmState{user: u, input: ti}
	m.show(screenConfirmDelete)
	return m.confirm.input.Focus()
}

func (m *Model) confirmKey(msg tea.KeyMsg) tea.Cmd {
	c := &m.confirm
	k := m.keys
	if c.busy {
		return nil
	}
	svc, email := m.svc, c.user.Email
	if m.screen == screenConfirmDisable {
		switch {
		case key.Matches(msg, k.Quit):
			return tea.Quit
		case key.Matches(msg, k.Help):
			m.toggleHelp()
		case key.Matches(msg, k.Yes):
			c.busy, c.err = true, ""
			disable := !c.user.Disabled()
			return m.action(func() actionDoneMsg {
				u, changed, err := svc.SetDisabled(context.Background(), email, disable)
				text := u.Email + " disabled"
				if !disable {
					text = u.Email + " enabled"
				}
				if !changed {
					text += " (it already was)"
				}
				return actionDoneMsg{user: u, text: text, err: err}
			})
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			m.screen = m.back
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		m.screen = m.back
		return nil
	case key.Matches(msg, k.ConfirmDelete):
		if !user.ConfirmsDelete(c.user, c.input.Value()) {
			c.err = "that is neither the user's email nor its id; nothing deleted"
			return nil
		}
		c.busy, c.err = true, ""
		return m.action(func() actionDoneMsg {
			u, err := svc.Delete(context.Background(), email)
			return actionDoneMsg{user: u, text: "deleted " + u.Email, deleted: true, err: err}
		})
	}
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	c.err = ""
	return cmd
}

func (m *Model) confirmView() string {
	c := &m.confirm
	s := m.styles
	email := inline(c.user.Email, m.width-20)
	var b strings.Builder
	if m.screen == screenConfirmDisable {
		verb := "Disable"
		note := "They will not be able to log in; the account and its roles are kept."
		if c.user.Disabled() {
			verb, note = "Enable", "They will be able to log in again."
		}
		b.WriteString(s.Title.Render(verb+" "+email+"?") + "\n\n" + note + "\n\n")
		b.WriteString(s.Key.Render("y") + " " + strings.ToLower(verb) + "   " + s.Key.Render("n") + " cancel")
	} else {
		b.WriteString(s.Title.Render("Delete "+email+"?") + "\n" + s.Subtle.Render("id "+inline(c.user.ID, m.width-3)) + "\n\n")
		b.WriteString("This removes the account and its roles. The audit log keeps a record.\n")
		b.WriteString("Type the email or the id to confirm:\n\n" + c.input.View())
	}
	if c.err != "" {
		// The error can quote an email read back from the database.
		b.WriteString("\n\n" + s.Error.Render(paragraph(c.err, m.width)))
	}
	if c.busy {
		b.WriteString("\n\n" + s.Subtle.Render("working…"))
	}
	return b.String()
}

func (m *Model) confirmHelp() bindingHelp {
	k := m.keys
	if m.screen == screenConfirmDisable {
		return bindingHelp{short: []key.Binding{k.Yes, k.No}, always: []key.Binding{k.Back, k.Help, k.Quit}}
	}
	// Letters type the email: ctrl+c quits.
	return bindingHelp{short: []key.Binding{k.ConfirmDelete}, always: []key.Binding{k.Back, k.ForceQuit}}
}

// unlock clears the user's failed logins and lock at once, including the
// block after user.MaxConsecutiveFailures that only an admin lifts: it only
// gives back what the lockout took, so it needs no confirmation.
func (m *Model) unlock(u user.User) tea.Cmd {
	svc, email, blocked, failed := m.svc, u.Email, u.NeedsAdminUnlock(), u.FailedLogins
	return m.action(func() actionDoneMsg {
		u, changed, err := svc.Unlock(context.Background(), email)
		text := u.Email + " unlocked"
		switch {
		case !changed:
			text = u.Email + " was not locked"
		case blocked:
			text = fmt.Sprintf("%s unlocked (it was blocked after %d consecutive failed logins)", u.Email, failed)
		}
		return actionDoneMsg{user: u, text: text, err: err}
	})
}

// action runs change in a command and tags its result with the screen
// showing now, the one that started it (see onActionDone).
func (m *Model) action(change func() actionDoneMsg) tea.Cmd {
	origin, shown := m.screen, m.shown
	return func() tea.Msg {
		msg := change()
		msg.origin, msg.shown = origin, shown
		return msg
	}
}

// actionKey starts what an action key asks for on u, the user the list or
// the details show: a dialog, or for unlock the change itself. ok is false
// when msg is not an action key. The caller sets m.back first.
func (m *Model) actionKey(msg tea.KeyMsg, u user.User) (cmd tea.Cmd, ok bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Roles):
		return m.openRoles(u), true
	case key.Matches(msg, k.Password):
		return m.openPassword(u), true
	case key.Matches(msg, k.Disable):
		return m.openConfirmDisable(u), true
	case key.Matches(msg, k.Delete):
		return m.openConfirmDelete(u), true
	case key.Matches(msg, k.Unlock):
		return m.unlock(u), true
	case key.Matches(msg, k.Copy):
		return m.copyEmail(u), true
	}
	return nil, false
}
