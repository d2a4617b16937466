package user_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// TestUnlockClearsAnyLock: Unlock opens an account whatever locked it,
// including a lock without a count of failures beside it, as another tool
// or an edit in the sqlite3 shell may leave one; only an account with
// neither is left alone.
func TestUnlockClearsAnyLock(t *testing.T) {
	tests := []struct {
		name        string
		failed      int
		lockedUntil time.Duration // from now; 0 for none
		wantChanged bool
		wantDetail  string
	}{
		{"a timed lock and no failures", 0, time.Hour, true, "cleared 0 failed logins, lock until "},
		{"a lock that ran out and no failures", 0, -time.Hour, true, "cleared 0 failed logins"},
		{"failures and no lock", 3, 0, true, "cleared 3 failed logins"},
		{"a timed lock after failures", 5, time.Hour, true, "cleared 5 failed logins, lock until "},
		{"locked until an admin unlocks it", user.MaxConsecutiveFailures, 0, true, "lock until an admin unlocked it"},
		{"nothing", 0, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svc, store, c := newService(t)
			const email = "locked@example.org"
			mustRegister(t, svc, email)
			var until time.Time
			if tt.lockedUntil != 0 {
				until = c.now.Add(tt.lockedUntil)
			}
			setLockout(t, store, email, tt.failed, until)
			u, changed, err := svc.Unlock(ctx, email)
			if err != nil {
				t.Fatalf("Unlock = %v", err)
			}
			if changed != tt.wantChanged {
				t.Errorf("Unlock changed = %v; want %v", changed, tt.wantChanged)
			}
			if u.Locked(c.now) || u.FailedLogins != 0 || !u.LockedUntil.IsZero() {
				t.Errorf("after Unlock: locked %v, failed logins %d, locked until %v; want unlocked, 0, none", u.Locked(c.now), u.FailedLogins, u.LockedUntil)
			}
			if got := mustGet(t, svc, email); got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
				t.Errorf("stored after Unlock: failed logins %d, locked until %v; want 0, none", got.FailedLogins, got.LockedUntil)
			}
			unlocks := 0
			for _, e := range auditOf(t, svc, u.ID) {
				if e.Action != user.ActionUnlock {
					continue
				}
				unlocks++
				if !strings.Contains(e.Details, tt.wantDetail) {
					t.Errorf("unlock audit details = %q; want them to contain %q", e.Details, tt.wantDetail)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantChanged]; unlocks != want {
				t.Errorf("%d unlock audit entries; want %d", unlocks, want)
			}
		})
	}
}
