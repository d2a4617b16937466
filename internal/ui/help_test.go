package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// helpScreens opens each screen from the list, with hanako selected, and
// names the keys its help must show: in the short help, the keys that
// quit and ask for help (or, where letters type, esc and ctrl+c); in the
// full help, every key that screen answers to, as "key description".
var helpScreens = []struct {
	name  string
	open  []string
	short []string
	full  [][2]string
}{
	{"list", nil, []string{"? more keys", "q quit"}, [][2]string{
		{"↑/k", "up"}, {"↓/j", "down"}, {"pgup", "page up"}, {"pgdn", "page down"}, {"g", "first"}, {"G", "last"},
		{"/", "search"}, {"esc", "clear search"}, {"s", "sort"}, {"S", "reverse order"},
		{"f", "filter status"}, {"F", "filter role"}, {"t", "relative times"}, {"r", "reload"},
		{"enter", "details"}, {"n", "new user"}, {"e", "roles"}, {"p", "password"}, {"d", "disable/enable"},
		{"u", "unlock"}, {"x", "delete"}, {"y", "copy email"}, {"a", "audit log"},
		{"?", "fewer keys"}, {"q", "quit"},
	}},
	{"search", []string{"/"}, []string{"esc clear search", "ctrl+c quit"}, [][2]string{
		{"enter", "keep search"}, {"esc", "clear search"}, {"↑", "up"}, {"↓", "down"}, {"pgup", "page up"}, {"pgdn", "page down"},
		{"ctrl+c", "quit"},
	}},
	{"details", []string{"enter"}, []string{"? more keys", "q quit"}, [][2]string{
		{"e", "roles"}, {"p", "password"}, {"d", "disable/enable"}, {"u", "unlock"}, {"x", "delete"}, {"y", "copy email"},
		{"↑/k", "up"}, {"↓/j", "down"}, {"pgup", "page up"}, {"pgdn", "page down"}, {"g", "first"}, {"G", "last"},
		{"r", "reload"}, {"esc", "back"}, {"?", "fewer keys"}, {"q", "quit"},
	}},
	{"register", []string{"n"}, []string{"esc back", "ctrl+c quit"}, [][2]string{
		{"tab", "next field"}, {"shift+tab", "previous field"}, {"enter", "next / submit"}, {"esc", "back"}, {"ctrl+c", "quit"},
	}},
	{"password", []string{"p"}, []string{"esc back", "ctrl+c quit"}, [][2]string{
		{"tab", "next field"}, {"shift+tab", "previous field"}, {"enter", "next / submit"}, {"esc", "back"}, {"ctrl+c", "quit"},
	}},
	{"roles", []string{"e"}, []string{"? more keys", "q quit"}, [][2]string{
		{"↑/k", "up"}, {"↓/j", "down"}, {"space", "toggle"}, {"enter", "save"}, {"esc", "back"}, {"?", "fewer keys"}, {"q", "quit"},
	}},
	{"disable", []string{"d"}, []string{"? more keys", "q quit"}, [][2]string{
		{"y", "yes"}, {"n", "no"}, {"esc", "back"}, {"?", "fewer keys"}, {"q", "quit"},
	}},
	{"delete", []string{"x"}, []string{"esc back", "ctrl+c quit"}, [][2]string{
		{"enter", "delete"}, {"esc", "back"}, {"ctrl+c", "quit"},
	}},
	{"audit", []string{"a"}, []string{"? more keys", "q quit"}, [][2]string{
		{"↑/k", "up"}, {"↓/j", "down"}, {"pgup", "page up"}, {"pgdn", "page down"}, {"g", "first"}, {"G", "last"},
		{"enter", "entry"}, {"/", "search"}, {"esc", "back"}, {"r", "reload"}, {"?", "fewer keys"}, {"q", "quit"},
	}},
	{"audit entry", []string{"a", "enter"}, []string{"? more keys", "q quit"}, [][2]string{
		{"↑/k", "up"}, {"↓/j", "down"}, {"pgup", "page up"}, {"pgdn", "page down"}, {"g", "first"}, {"G", "last"},
		{"esc", "back"}, {"?", "fewer keys"}, {"q", "quit"},
	}},
}

// backToList leaves whatever screen shows for the list, the search
// cleared and the short help on.
func (h *harness) backToList() {
	h.t.Helper()
	for range 4 {
		if h.m.screen == screenList && !h.m.list.searching {
			break
		}
		h.press("esc")
		if strings.Contains(h.view(), "Discard") {
			h.press("y")
		}
	}
	if h.m.help.ShowAll {
		h.press("?")
	}
	h.requireScreen(screenList)
}

// TestShortHelpKeepsHelpAndQuit: however many keys a screen has, its one
// line of help ends with how to see the rest and how to leave, at every
// size the program draws at.
func TestShortHelpKeepsHelpAndQuit(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	for _, size := range [][2]int{{60, 15}, {80, 24}, {120, 40}} {
		h := newHarness(t, e, size[0], size[1])
		h.selectEmail("hanako@example.org")
		for _, s := range helpScreens {
			h.press(s.open...)
			v := h.view()
			help := helpLine(v)
			for _, want := range s.short {
				if !strings.Contains(help, want) {
					t.Errorf("%s at %d×%d: the short help %q does not show %q", s.name, size[0], size[1], help, want)
				}
			}
			requireFits(t, fmt.Sprintf("%s at %d×%d", s.name, size[0], size[1]), v, size[0], size[1])
			h.backToList()
		}
	}
}

// TestFullHelpKeepsEveryKey: ? shows every key of the screen, wrapped into
// columns that fit, even at the smallest size the program draws at.
func TestFullHelpKeepsEveryKey(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	for _, size := range [][2]int{{60, 15}, {80, 24}, {120, 40}} {
		h := newHarness(t, e, size[0], size[1])
		h.selectEmail("hanako@example.org")
		for _, s := range helpScreens {
			h.press("?") // on the list, before the keys that open the screen
			h.press(s.open...)
			v := h.view()
			what := fmt.Sprintf("%s at %d×%d", s.name, size[0], size[1])
			for _, k := range s.full {
				// The key, then its description after the column's padding.
				re := regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(k[0]) + ` +` + regexp.QuoteMeta(k[1]) + `(\s|$)`)
				if !re.MatchString(v) {
					t.Errorf("%s: the full help does not show %s %s:\n%s", what, k[0], k[1], v)
				}
			}
			requireFits(t, what, v, size[0], size[1])
			h.backToList()
		}
	}
}

// TestFullHelpKeepsTheSelectionInView: the full help takes lines from the
// table, and the selected row stays on screen.
func TestFullHelpKeepsTheSelectionInView(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 60, 15)
	for range 9 {
		h.press("j")
	}
	sel := h.selected()
	h.press("?")
	if lineWith(h.view(), "> "+sel) < 0 {
		t.Errorf("with the full help shown, the selected %s is off screen:\n%s", sel, h.view())
	}
	h.press("a")
	for range 9 {
		h.press("j")
	}
	h.send(tea.WindowSizeMsg{Width: 60, Height: 15})
	if !strings.Contains(h.view(), "> ") {
		t.Errorf("audit with the full help: no selected entry on screen:\n%s", h.view())
	}
}
