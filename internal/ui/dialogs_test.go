package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// TestDeleteConfirmedByID: the delete dialog takes the user's id as well as
// the email, as the CLI's user delete does (user.ConfirmsDelete).
func TestDeleteConfirmedByID(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("bob@example.org")
	bob := e.get(t, "bob@example.org")

	h.press("x")
	h.requireScreen(screenConfirmDelete)
	if v := h.view(); !strings.Contains(v, "Type the email or the id") || !strings.Contains(v, bob.ID) {
		t.Errorf("the dialog does not offer the id:\n%s", v)
	}
	h.typeText(bob.ID[:8]) // a prefix is not the id
	h.press("enter")
	h.requireScreen(screenConfirmDelete)
	e.get(t, "bob@example.org")

	h.typeText(bob.ID[8:])
	h.press("enter")
	h.requireScreen(screenList)
	if _, err := e.svc.Get(context.Background(), "bob@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get after delete by id: %v; want not found", err)
	}
}
