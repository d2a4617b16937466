package ui

import (
	"testing"
)

// TestQuitAndBackRule: q quits from every screen where letters do not
// type, as in gh-dash and soft-serve; where they type (a search being
// typed, the forms, the delete confirmation) q is a letter and ctrl+c
// quits. Esc goes back one step everywhere.
func TestQuitAndBackRule(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	for _, s := range []struct {
		name  string
		open  []string
		types bool   // q is typed into a field
		back  screen // where esc goes
	}{
		{"list", nil, false, screenList},
		{"search", []string{"/"}, true, screenList},
		{"details", []string{"enter"}, false, screenList},
		{"register", []string{"n"}, true, screenList},
		{"password", []string{"p"}, true, screenList},
		{"roles", []string{"e"}, false, screenList},
		{"disable", []string{"d"}, false, screenList},
		{"delete", []string{"x"}, true, screenList},
		{"audit", []string{"a"}, false, screenList},
		{"audit entry", []string{"a", "enter"}, false, screenAudit},
		{"roles from details", []string{"enter", "e"}, false, screenDetails},
	} {
		t.Run(s.name, func(t *testing.T) {
			h := newHarness(t, e, 80, 24)
			h.selectEmail("hanako@example.org")
			h.press(s.open...)
			opened, before := h.m.screen, h.view()
			h.press("q")
			if s.types {
				if h.quit {
					t.Fatalf("q quit from %s, where it should type", s.name)
				}
				if h.view() == before {
					t.Errorf("q typed on %s does not show:\n%s", s.name, h.view())
				}
				h.requireScreen(opened)
				h.press("ctrl+c")
				if !h.quit {
					t.Errorf("ctrl+c does not quit from %s", s.name)
				}
				return
			}
			if !h.quit {
				t.Fatalf("q does not quit from %s; the screen is now %d:\n%s", s.name, h.m.screen, h.view())
			}
		})
		t.Run(s.name+" esc", func(t *testing.T) {
			if s.name == "list" {
				return
			}
			h := newHarness(t, e, 80, 24)
			h.selectEmail("hanako@example.org")
			h.press(s.open...)
			h.press("esc")
			if h.quit {
				t.Fatalf("esc quit from %s", s.name)
			}
			if s.name == "search" {
				if h.m.list.searching {
					t.Errorf("esc does not end the search")
				}
				return
			}
			h.requireScreen(s.back)
		})
	}
}
