package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap declares every key the program answers to, once. Each screen shows
// the subset that works there through its own help.KeyMap.
//
// One rule for leaving holds everywhere, as in gh-dash and soft-serve: q
// quits from every screen where letters do not type, Esc goes back one
// step (closes a dialog or a screen, clears a search), and ctrl+c quits
// from anywhere, a text field included.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Search, ClearSearch, AcceptSearch key.Binding
	// SearchUp, SearchDown, SearchPageUp and SearchPageDown move through
	// the results while a search is typed: only keys that type nothing.
	SearchUp, SearchDown, SearchPageUp, SearchPageDown key.Binding
	// Filter cycles the status the list shows, RoleFilter the role; the
	// two combine.
	Sort, Reverse, Filter, RoleFilter, Reload, TimeMode key.Binding

	New, Open, Roles, Password, Disable, Unlock, Delete, Copy, Audit key.Binding

	// NextField and PrevField move through the form's fields and the role
	// editor's roles; their help is what those screens show.
	NextField, PrevField, Submit, Toggle, Left, Right key.Binding
	// SaveRoles, ConfirmDelete and OpenEntry are enter where it does that.
	SaveRoles, ConfirmDelete, OpenEntry key.Binding
	Yes, No                             key.Binding
	// Discard and KeepEditing answer the question Esc asks on a form that
	// holds what was typed.
	Discard, KeepEditing key.Binding

	Back, Help, Quit, ForceQuit key.Binding
}

// DefaultKeyMap is the key map ctitui ships with.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:      b("g", "first", "g", "home"),
		Bottom:   b("G", "last", "G", "end"),

		Search:         b("/", "search", "/"),
		ClearSearch:    b("esc", "clear search", "esc"),
		AcceptSearch:   b("enter", "keep search", "enter"),
		SearchUp:       b("↑", "up", "up"),
		SearchDown:     b("↓", "down", "down"),
		SearchPageUp:   b("pgup", "page up", "pgup"),
		SearchPageDown: b("pgdn", "page down", "pgdown"),
		Sort:           b("s", "sort", "s"),
		Reverse:        b("S", "reverse order", "S"),
		Filter:         b("f", "filter status", "f"),
		RoleFilter:     b("F", "filter role", "F"),
		Reload:         b("r", "reload", "r"),
		TimeMode:       b("t", "relative times", "t"),

		New:      b("n", "new user", "n"),
		Open:     b("enter", "details", "enter"),
		Roles:    b("e", "roles", "e"),
		Password: b("p", "password", "p"),
		Disable:  b("d", "disable/enable", "d"),
		Unlock:   b("u", "unlock", "u"),
		Delete:   b("x", "delete", "x"),
		Copy:     b("y", "copy email", "y"),
		Audit:    b("a", "audit log", "a"),

		NextField:     b("tab", "next field", "tab", "down"),
		PrevField:     b("shift+tab", "previous field", "shift+tab", "up"),
		Submit:        b("enter", "next / submit", "enter"),
		Toggle:        b("space", "toggle", " ", "space"),
		Left:          b("←", "previous choice", "left", "h"),
		Right:         b("→", "next choice", "right", "l"),
		SaveRoles:     b("enter", "save", "enter"),
		ConfirmDelete: b("enter", "delete", "enter"),
		OpenEntry:     b("enter", "entry", "enter"),
		Yes:           b("y", "yes", "y", "Y"),
		No:            b("n", "no", "n", "N"),
		Discard:       b("y", "discard", "y", "Y"),
		KeepEditing:   b("n", "keep editing", "n", "N", "esc"),

		Back:      b("esc", "back", "esc"),
		Help:      b("?", "more keys", "?"),
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),
	}
}

// bindingHelp adapts a list of bindings to help.KeyMap. The short help
// shows always last, whatever the width: how to see more keys and how to
// leave (see Model.shortHelpView).
type bindingHelp struct {
	short  []key.Binding
	always []key.Binding
	full   [][]key.Binding
}

func (h bindingHelp) ShortHelp() []key.Binding {
	return append(append([]key.Binding(nil), h.short...), h.always...)
}

// FullHelp is the full help, or the short help where a screen has no more
// keys to show: the full help stays on from another screen.
func (h bindingHelp) FullHelp() [][]key.Binding {
	if h.full == nil {
		return [][]key.Binding{h.ShortHelp()}
	}
	return h.full
}
