package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// A user locked by failed logins shows as locked in the list, in its own
// filter and in the details, and u unlocks it.
func TestLockedUserShowsAndUnlocks(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	ctx := context.Background()
	for range user.DefaultLockout.Threshold {
		if _, err := e.svc.Verify(ctx, "bob@example.org", "not the password at all"); !errors.Is(err, user.ErrInvalidCredentials) {
			t.Fatalf("Verify = %v; want ErrInvalidCredentials", err)
		}
	}
	h := newHarness(t, e, 120, 40)
	if i := lineWith(h.view(), "bob@example.org"); i < 0 || !strings.Contains(strings.Split(h.view(), "\n")[i], "locked") {
		t.Fatalf("bob's row does not say locked:\n%s", h.view())
	}
	for statusChoices[h.m.list.status].name != "locked" {
		h.press("f")
	}
	if got := h.emails(); len(got) != 1 || got[0] != "bob@example.org" {
		t.Fatalf("locked filter shows %v; want bob only", got)
	}
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "locked after 5 failed logins") || lineWith(v, "locked until") < 0 {
		t.Errorf("details do not show the lock:\n%s", v)
	}
	h.press("u")
	if v := h.view(); !strings.Contains(v, "bob@example.org unlocked") {
		t.Errorf("status after u does not say unlocked:\n%s", v)
	}
	if got := e.get(t, "bob@example.org"); got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Errorf("after u: failed %d, locked until %v; want 0 and none", got.FailedLogins, got.LockedUntil)
	}
}

// A user whom 100 consecutive failures blocked shows as blocked in the list,
// under the locked filter and in the details, which say that only an admin
// opens it; u unlocks it and says what it was.
func TestBlockedUserShowsAndUnlocks(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	ctx := context.Background()
	if err := e.svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 1000, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for range user.MaxConsecutiveFailures {
		if _, err := e.svc.Verify(ctx, "bob@example.org", "not the password at all"); !errors.Is(err, user.ErrInvalidCredentials) {
			t.Fatalf("Verify = %v; want ErrInvalidCredentials", err)
		}
	}
	// A year on, nothing has changed.
	e.clock.Advance(365 * 24 * time.Hour)
	h := newHarness(t, e, 120, 40)
	if i := lineWith(h.view(), "bob@example.org"); i < 0 || !strings.Contains(strings.Split(h.view(), "\n")[i], "blocked") {
		t.Fatalf("bob's row does not say blocked:\n%s", h.view())
	}
	for statusChoices[h.m.list.status].name != "locked" {
		h.press("f")
	}
	if got := h.emails(); len(got) != 1 || got[0] != "bob@example.org" {
		t.Fatalf("locked filter shows %v; want bob only", got)
	}
	h.press("enter")
	v := h.view()
	if !strings.Contains(v, "blocked after 100 consecutive failed logins (u unlocks)") || !strings.Contains(v, "an admin unlocks it: it does not open by itself") {
		t.Errorf("details do not say bob is blocked until an admin unlocks him:\n%s", v)
	}
	h.press("u")
	if v := h.view(); !strings.Contains(v, "bob@example.org unlocked (it was blocked after 100 consecutive failed logins)") {
		t.Errorf("status after u does not say what was unlocked:\n%s", v)
	}
	if got := e.get(t, "bob@example.org"); got.FailedLogins != 0 || got.Locked(e.clock.Now()) {
		t.Errorf("after u: failed %d, locked %v; want 0, not locked", got.FailedLogins, got.Locked(e.clock.Now()))
	}
}

// Failures below the cap show in the details with how far the cap is.
func TestFailuresShowTheCap(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	ctx := context.Background()
	for range 3 {
		if _, err := e.svc.Verify(ctx, "bob@example.org", "not the password at all"); !errors.Is(err, user.ErrInvalidCredentials) {
			t.Fatalf("Verify = %v; want ErrInvalidCredentials", err)
		}
	}
	h := newHarness(t, e, 120, 40)
	h.press("/")
	for _, r := range "bob" {
		h.press(string(r))
	}
	h.press("enter")
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "3 failed logins in a row since the last success (blocked at 100)") {
		t.Errorf("details do not show the failures and the cap:\n%s", v)
	}
}
