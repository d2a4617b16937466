package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// The register and password screens share one form: text fields, then for
// registration a choice of role. Errors show beside the field they concern
// and nothing typed is lost.

// Field indexes. The password form uses only fieldPassword and fieldConfirm.
const (
	fieldEmail = iota
	fieldPassword
	fieldConfirm
	fieldRole
)

type formState struct {
	target     user.User // the user whose password is set (password form)
	inputs     [3]textinput.Model
	fields     []int // the fields of this form, in order
	focus      int   // index into fields
	role       int   // index into user.Roles
	errs       map[int]string
	formErr    string
	submitting bool
	spinner    spinner.Model
	// discarding is set while Esc asks whether to throw away what the
	// form holds (see dirty).
	discarding bool
}

// defaultRole is the role the register form starts on, analyst.
const defaultRole = 1

// registeredMsg is the result of a registration.
type registeredMsg struct {
	user user.User
	err  error
}

func newInput(placeholder string, secret bool) textinput.Model {
	ti := textinput.New()
	ti.Placeholder = placeholder
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.Prompt = ""
	ti.Width = 40
	ti.CharLimit = 1024
	if secret {
		ti.EchoMode = textinput.EchoPassword
		ti.EchoCharacter = '•'
	}
	return ti
}

func (m *Model) newForm(fields []int) {
	m.form = formState{
		fields:  fields,
		role:    defaultRole,
		errs:    map[int]string{},
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot)),
	}
	// Without colour a placeholder draws like typed text: this one cannot
	// be mistaken for an address.
	m.form.inputs[fieldEmail] = newInput("e.g. name@example.org", false)
	m.form.inputs[fieldPassword] = newInput(fmt.Sprintf("at least %d characters", m.minLength()), true)
	m.form.inputs[fieldConfirm] = newInput("the same password again", true)
}

func (m *Model) minLength() int {
	if n := m.svc.Policy().MinLength; n > 0 {
		return n
	}
	return password.DefaultMinLength
}

func (m *Model) openRegister() tea.Cmd {
	m.setStatus("", false)
	m.newForm([]int{fieldEmail, fieldPassword, fieldConfirm, fieldRole})
	m.back = screenList
	m.show(screenRegister)
	return m.focusField(0)
}

func (m *Model) openPassword(u user.User) tea.Cmd {
	m.setStatus("", false)
	m.newForm([]int{fieldPassword, fieldConfirm})
	m.form.target = u
	m.show(screenPassword)
	return m.focusField(0)
}

func (m *Model) focusField(i int) tea.Cmd {
	f := &m.form
	f.focus = min(max(i, 0), len(f.fields)-1)
	var cmd tea.Cmd
	for j := range f.inputs {
		f.inputs[j].Blur()
	}
	if field := f.fields[f.focus]; field != fieldRole {
		cmd = f.inputs[field].Focus()
	}
	return cmd
}

func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	f := &m.form
	k := m.keys
	if f.submitting {
		return nil // the hash is running; keys wait
	}
	if f.discarding {
		switch {
		case key.Matches(msg, k.Discard):
			m.screen = m.back
			m.setStatus("cancelled", false)
		case key.Matches(msg, k.KeepEditing):
			f.discarding = false
		}
		return nil // nothing types into the form while it asks
	}
	field := f.fields[f.focus]
	switch {
	case key.Matches(msg, k.Back):
		if m.formDirty() {
			f.discarding = true
			return nil
		}
		m.screen = m.back
		m.setStatus("cancelled", false)
		return nil
	case key.Matches(msg, k.Submit):
		if f.focus == len(f.fields)-1 {
			return m.submitForm()
		}
		return m.focusField(f.focus + 1)
	case key.Matches(msg, k.NextField):
		return m.focusField((f.focus + 1) % len(f.fields))
	case key.Matches(msg, k.PrevField):
		return m.focusField((f.focus - 1 + len(f.fields)) % len(f.fields))
	}
	if field == fieldRole {
		switch {
		case key.Matches(msg, k.Left):
			f.role = (f.role - 1 + len(user.Roles)) % len(user.Roles)
		case key.Matches(msg, k.Right), key.Matches(msg, k.Toggle):
			f.role = (f.role + 1) % len(user.Roles)
		}
		return nil
	}
	var cmd tea.Cmd
	f.inputs[field], cmd = f.inputs[field].Update(msg)
	delete(f.errs, field)
	return cmd
}

// formDirty reports whether the form holds something the user typed or
// chose, which Esc would throw away.
func (m *Model) formDirty() bool {
	f := &m.form
	for _, field := range f.fields {
		switch {
		case field == fieldRole && f.role != defaultRole:
			return true
		case field != fieldRole && f.inputs[field].Value() != "":
			return true
		}
	}
	return false
}

func (m *Model) formOther(msg tea.Msg) tea.Cmd {
	f := &m.form
	if f.submitting {
		var cmd tea.Cmd
		f.spinner, cmd = f.spinner.Update(msg)
		return cmd
	}
	return nil
}

// submitForm checks what it can at once, then hashes and writes in a
// command, showing a spinner meanwhile.
func (m *Model) submitForm() tea.Cmd {
	f := &m.form
	f.errs, f.formErr = map[int]string{}, ""
	email := f.target.Email
	register := m.screen == screenRegister
	if register {
		var err error
		if email, err = user.ValidateEmail(f.inputs[fieldEmail].Value()); err != nil {
			f.errs[fieldEmail] = err.Error()
		}
	}
	plain := f.inputs[fieldPassword].Value()
	if err := m.svc.CheckPassword(plain, email); err != nil {
		f.errs[fieldPassword] = err.Error()
	}
	if plain != f.inputs[fieldConfirm].Value() {
		f.errs[fieldConfirm] = user.ErrPasswordMismatch.Error()
	}
	if len(f.errs) > 0 {
		for i, field := range f.fields {
			if f.errs[field] != "" {
				return m.focusField(i)
			}
		}
	}
	f.submitting = true
	svc := m.svc
	if register {
		role := user.Roles[f.role]
		return tea.Batch(f.spinner.Tick, func() tea.Msg {
			u, err := svc.Register(context.Background(), email, plain, []user.Role{role})
			return registeredMsg{u, err}
		})
	}
	return tea.Batch(f.spinner.Tick, m.action(func() actionDoneMsg {
		u, err := svc.SetPassword(context.Background(), email, plain)
		return actionDoneMsg{user: u, text: "password changed for " + u.Email, err: err}
	}))
}

// formError puts err beside the field it is about, keeping what was typed.
func (m *Model) formError(err error) tea.Cmd {
	f := &m.form
	f.submitting = false
	field := -1
	switch {
	case errors.Is(err, user.ErrAlreadyExists), errors.Is(err, user.ErrInvalidEmail):
		field = fieldEmail
	case errors.Is(err, password.ErrPolicy):
		field = fieldPassword
	case errors.Is(err, user.ErrPasswordMismatch):
		field = fieldConfirm
	}
	for i, fl := range f.fields {
		if fl == field {
			f.errs[field] = err.Error()
			return m.focusField(i)
		}
	}
	f.formErr = oneLine(err.Error())
	return nil
}

func (m *Model) onRegistered(msg registeredMsg) tea.Cmd {
	if m.screen != screenRegister {
		return nil
	}
	if msg.err != nil {
		return m.formError(msg.err)
	}
	u := msg.user
	m.showList()
	m.setStatus(fmt.Sprintf("registered %s (%s) · created %s · updated %s", u.Email, user.JoinRoles(u.Roles),
		u.CreatedAt.In(m.opts.Location).Format("2006-01-02 15:04:05"), u.UpdatedAt.In(m.opts.Location).Format("2006-01-02 15:04:05")), false)
	// Show the new user: clear what would hide it, and load around it.
	l := &m.list
	l.status, l.role = 0, 0
	l.search.SetValue("")
	l.searching = false
	return tea.Batch(m.loadAround(u), m.totalCmd())
}

func (m *Model) formView() string {
	f := &m.form
	s := m.styles
	var b strings.Builder
	if m.screen == screenRegister {
		b.WriteString(s.Title.Render("Register a user") + "\n\n")
	} else {
		b.WriteString(s.Title.Render("Set a new password for "+inline(f.target.Email, m.width-30)) + "\n\n")
	}
	labels := map[int]string{fieldEmail: "Email", fieldPassword: "Password", fieldConfirm: "Confirm", fieldRole: "Role"}
	for i, field := range f.fields {
		label := fmt.Sprintf("%-9s", labels[field])
		if i == f.focus {
			label = s.Focused.Render("> " + label)
		} else {
			label = "  " + s.Label.Render(label)
		}
		var value string
		if field == fieldRole {
			// The choice is marked (*), not only drawn reversed, which a
			// terminal without colour (NO_COLOR) does not draw.
			var opts []string
			for j, r := range user.Roles {
				if j == f.role {
					opts = append(opts, s.Selected.Render("(*) "+string(r)))
				} else {
					opts = append(opts, "( ) "+string(r))
				}
			}
			value = strings.Join(opts, "  ")
			if i == f.focus {
				value += s.Subtle.Render("  ←/→ to choose")
			}
		} else {
			value = f.inputs[field].View()
		}
		b.WriteString(label + " " + value + "\n")
		if e := f.errs[field]; e != "" {
			// Errors can quote what was typed or read back from the database.
			b.WriteString("            " + s.Error.Render(inline(oneLine(e), m.width-12)) + "\n")
		}
		b.WriteString("\n")
	}
	switch {
	case f.discarding:
		what := "the new user"
		if m.screen == screenPassword {
			what = "the new password"
		}
		b.WriteString("  " + s.Warn.Render("Discard "+what+"? y discards what you typed, n keeps editing."))
	case f.submitting:
		b.WriteString("  " + f.spinner.View() + " hashing the password…")
	case f.formErr != "":
		// A NotFoundError carries an email read back from the database.
		b.WriteString("  " + s.Error.Render(inline(f.formErr, m.width-2)))
	default:
		b.WriteString(s.Subtle.Render(fmt.Sprintf("  Passwords: %d to %d characters, not a common password, not containing the email's name.", m.minLength(), password.MaxLength)))
	}
	return b.String()
}

func (m *Model) formHelp() bindingHelp {
	k := m.keys
	if m.form.discarding {
		return bindingHelp{always: []key.Binding{k.Discard, k.KeepEditing, k.ForceQuit}}
	}
	h := bindingHelp{
		short:  []key.Binding{k.Submit, k.NextField, k.PrevField},
		always: []key.Binding{k.Back, k.ForceQuit},
	}
	if m.form.fields[m.form.focus] == fieldRole {
		// Left and Right as one item: the help never shows one without
		// the other.
		choose := key.NewBinding(key.WithKeys(append(k.Left.Keys(), k.Right.Keys()...)...),
			key.WithHelp(k.Left.Help().Key+"/"+k.Right.Help().Key, "choose role"))
		h.short = []key.Binding{k.Submit, choose, k.NextField, k.PrevField}
	}
	return h
}
