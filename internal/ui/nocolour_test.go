package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/ctitui/ctitui/internal/user"
)

// The tests of this package draw in the Ascii profile (see golden_test.go),
// which is what lipgloss draws in under NO_COLOR or on a terminal without
// colour: no colour, and no bold, faint, underline or reverse either. These
// tests check that every state those would mark still shows as text.

// TestRoleChoiceShowsWithoutColour: the register form's chosen role is
// marked by more than reverse video, so each choice draws differently.
func TestRoleChoiceShowsWithoutColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	h.press("n", "tab", "tab", "tab") // the role field
	seen := map[string]string{}
	for range 3 {
		role := userRoleAt(h)
		line := strings.Split(h.view(), "\n")[lineWith(h.view(), "Role")]
		if other, ok := seen[line]; ok {
			t.Errorf("with %s chosen the role line is %q, as with %s: the choice does not show", role, line, other)
		}
		seen[line] = role
		if !strings.Contains(line, "(*) "+role) {
			t.Errorf("role line %q does not mark %s as (*) %s", line, role, role)
		}
		h.press("right")
	}
}

func userRoleAt(h *harness) string { return string(user.Roles[h.m.form.role]) }

// TestErrorShowsWithoutColour: an error in the status line does not look
// like news.
func TestErrorShowsWithoutColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	h.m.setStatus("user not found: bob@example.org", false)
	info := h.m.statusView()
	h.m.setStatus("user not found: bob@example.org", true)
	if errText := h.m.statusView(); errText == info {
		t.Errorf("an error and a message draw alike without colour: %q", info)
	}
}

// TestPlaceholderShowsWithoutColour: an empty email field does not look
// like one holding the example address.
func TestPlaceholderShowsWithoutColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	h := newHarness(t, e, 80, 24)
	h.press("n")
	emailLine := func() string { return strings.Split(h.view(), "\n")[lineWith(h.view(), "Email")] }
	empty := emailLine()
	h.typeText("name@example.org")
	if typed := emailLine(); strings.TrimSpace(typed) == strings.TrimSpace(empty) {
		t.Errorf("the empty email field %q draws like one holding name@example.org", empty)
	}
}

// TestStatusesShowWithoutColour: each state a row's colour marks is a word
// in the row, selected or not.
func TestStatusesShowWithoutColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	v := h.view()
	for email, want := range map[string]string{
		"anastasia@example.org": "active", // selected
		"otto@example.org":      "active",
		"max@example.org":       "disabled",
	} {
		i := lineWith(v, email)
		if i < 0 || !strings.Contains(strings.Split(v, "\n")[i], " "+want+" ") {
			t.Errorf("the row of %s does not say %s:\n%s", email, want, v)
		}
	}
	h.selectEmail("max@example.org")
	if i := lineWith(h.view(), "> max@example.org"); i < 0 || !strings.Contains(strings.Split(h.view(), "\n")[i], "disabled") {
		t.Errorf("the selected disabled row does not say disabled:\n%s", h.view())
	}
}
