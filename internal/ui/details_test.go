package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDetails(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 100, 30)
	u := e.get(t, "fay@example.org")
	h.selectEmail(u.Email)
	h.press("enter")
	h.requireScreen(screenDetails)
	v := h.view()
	for _, want := range []string{
		"User details",
		u.ID,
		"fay@example.org",
		"viewer",
		"disabled    " + u.DisabledAt.Format("2006-01-02 15:04:05"),
		"created     " + fullTime(u.CreatedAt, time.UTC),
		"updated     " + fullTime(u.UpdatedAt, time.UTC),
		"Audit, newest first",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("details do not show %q:\n%s", want, v)
		}
	}
	if u.CreatedAt.Equal(u.UpdatedAt) {
		t.Fatal("fixture: a disabled user should have been updated after it was created")
	}
	disable, register := lineWith(v, "disable "), lineWith(v, "register ")
	if disable < 0 || register < 0 || disable > register {
		t.Errorf("audit entries: disable on line %d, register on line %d; want both, newest first:\n%s", disable, register, v)
	}
	if lineWith(v, "roles=viewer") < 0 {
		t.Errorf("the register entry's details are not shown:\n%s", v)
	}
	h.press("esc")
	h.requireScreen(screenList)
	if h.selected() != u.Email {
		t.Errorf("back on the list, selected %q; want %s", h.selected(), u.Email)
	}
}

// TestDetailsTimeOnceInUTC: when local time is UTC, details show each time
// once; in another zone, local time and UTC.
func TestDetailsTimeOnceInUTC(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 100, 30) // Location: UTC
	u := e.get(t, "fay@example.org")
	h.selectEmail(u.Email)
	h.press("enter")
	want := "created     " + u.CreatedAt.Format("2006-01-02 15:04:05.000") + " UTC"
	if i := lineWith(h.view(), want); i < 0 || strings.Contains(strings.Split(h.view(), "\n")[i], "(") {
		t.Errorf("in UTC, details do not show the time once as %q:\n%s", want, h.view())
	}
	h.press("esc")
	h.m.opts.Location = time.FixedZone("CET", 3600)
	h.press("enter")
	want = "created     " + u.CreatedAt.In(h.m.opts.Location).Format("2006-01-02 15:04:05 MST") + "  (" + u.CreatedAt.Format("2006-01-02 15:04:05.000") + " UTC)"
	if lineWith(h.view(), want) < 0 {
		t.Errorf("in CET, details do not show %q:\n%s", want, h.view())
	}
}

// TestClosedDetailsDoNotFollowChanges: once details are closed, a change
// elsewhere, such as another process deleting the user they showed, must not
// put an error about them on the list.
func TestClosedDetailsDoNotFollowChanges(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.send(dataVersionMsg{version: 1})
	h.selectEmail("bob@example.org")
	h.press("enter", "esc")
	h.requireScreen(screenList)
	if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: 2})
	h.requireScreen(screenList)
	if slices.Contains(h.emails(), "bob@example.org") {
		t.Errorf("bob is still listed after another process deleted him")
	}
	if h.m.statusError {
		t.Errorf("the list shows an error about closed details: %q", h.m.status)
	}
}
