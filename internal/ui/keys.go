package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap declares every key the program answers to, once. Each screen shows
// the subset that works there through its own help.KeyMap.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Search, ClearSearch, AcceptSearch key.Binding
	// SearchUp, SearchDown, SearchPageUp and SearchPageDown move through
	// the results while a search is typed: only keys that type nothing.
	SearchUp, SearchDown, SearchPageUp, SearchPageDown key.Binding
	Sort, Filter, Reload, TimeMode                     key.Binding

	New, Open, Roles, Password, Disable, Unlock, Delete, Audit key.Binding

	// NextField and PrevField move through the form's fields and the role
	// editor's roles; their help is what those screens show.
	NextField, PrevField, Submit, Toggle, Left, Right key.Binding
	Yes, No                                           key.Binding

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
		Filter:         b("f", "filter", "f"),
		Reload:         b("r", "reload", "r"),
		TimeMode:       b("t", "relative times", "t"),

		New:      b("n", "new user", "n"),
		Open:     b("enter", "details", "enter"),
		Roles:    b("e", "roles", "e"),
		Password: b("p", "password", "p"),
		Disable:  b("d", "disable/enable", "d"),
		Unlock:   b("u", "unlock", "u"),
		Delete:   b("x", "delete", "x"),
		Audit:    b("a", "audit log", "a"),

		NextField: b("tab", "next field", "tab", "down"),
		PrevField: b("shift+tab", "previous field", "shift+tab", "up"),
		Submit:    b("enter", "next / submit", "enter"),
		Toggle:    b("space", "toggle", " ", "space"),
		Left:      b("←", "previous choice", "left", "h"),
		Right:     b("→", "next choice", "right", "l"),
		Yes:       b("y", "yes", "y", "Y"),
		No:        b("n", "no", "n", "N"),

		Back:      b("esc", "back", "esc"),
		Help:      b("?", "more keys", "?"),
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),
	}
}

// bindingHelp adapts a list of bindings to help.KeyMap.
type bindingHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h bindingHelp) ShortHelp() []key.Binding { return h.short }

// FullHelp is the full help, or the short help where a screen has no more
// keys to show: the full help stays on from another screen.
func (h bindingHelp) FullHelp() [][]key.Binding {
	if h.full == nil {
		return [][]key.Binding{h.short}
	}
	return h.full
}
