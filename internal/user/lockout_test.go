package user_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

const wrongPassword = "not the password at all, sorry"

// failVerify makes one failed verify of email and checks that it fails with
// exactly ErrInvalidCredentials, not an error that wraps it.
func failVerify(t *testing.T, svc *user.Service, email, plain string) {
	t.Helper()
	if _, err := svc.Verify(context.Background(), email, plain); err != user.ErrInvalidCredentials {
		t.Fatalf("Verify(%q) = %v; want exactly ErrInvalidCredentials", email, err)
	}
}

func mustGet(t *testing.T, svc *user.Service, email string) user.User {
	t.Helper()
	u, err := svc.Get(context.Background(), email)
	if err != nil {
		t.Fatalf("Get(%q): %v", email, err)
	}
	return u
}

// auditOf returns the audit entries about the user with id (all entries when
// id is ""), newest first.
func auditOf(t *testing.T, svc *user.Service, id string) []user.AuditEntry {
	t.Helper()
	var out []user.AuditEntry
	if err := svc.Audit(context.Background(), user.AuditFilter{UserID: id}, func(e user.AuditEntry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return out
}

func countAction(entries []user.AuditEntry, a user.Action) int {
	n := 0
	for _, e := range entries {
		if e.Action == a {
			n++
		}
	}
	return n
}

func TestLockoutDefaultsComeFromSettingsTable(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	p, err := svc.Lockout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p != (user.LockoutPolicy{Threshold: 5, Duration: 15 * time.Minute}) || p != user.DefaultLockout {
		t.Errorf("Lockout() = %+v; want 5 failed logins / 15m", p)
	}
	// The defaults are rows a new database holds, not only a fallback.
	raw := shellDB(t, store)
	for key, want := range map[string]string{"lockout_threshold": "5", "lockout_minutes": "15"} {
		var got string
		if err := raw.QueryRow(rebind(`SELECT value FROM settings WHERE key = ?`), key).Scan(&got); err != nil {
			t.Errorf("settings row %s: %v", key, err)
		} else if got != want {
			t.Errorf("settings %s = %q; want %q", key, got, want)
		}
	}
}

// TestLockout walks an account through a whole lockout under several
// policies: failures below the threshold count, the failure at the threshold
// locks and is audited once, a locked account refuses even the right
// password without extending its lock, and the lock runs out on time.
func TestLockout(t *testing.T) {
	tests := []struct {
		name string
		set  *user.LockoutPolicy // nil keeps the database's defaults
		want user.LockoutPolicy
	}{
		{"default 5 / 15m", nil, user.LockoutPolicy{Threshold: 5, Duration: 15 * time.Minute}},
		{"custom 3 / 2m", &user.LockoutPolicy{Threshold: 3, Duration: 2 * time.Minute}, user.LockoutPolicy{Threshold: 3, Duration: 2 * time.Minute}},
		{"one strike / 1m", &user.LockoutPolicy{Threshold: 1, Duration: time.Minute}, user.LockoutPolicy{Threshold: 1, Duration: time.Minute}},
		{"8 / 30 days", &user.LockoutPolicy{Threshold: 8, Duration: 30 * 24 * time.Hour}, user.LockoutPolicy{Threshold: 8, Duration: 30 * 24 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svc, _, c := newService(t)
			if tt.set != nil {
				if err := svc.SetLockout(ctx, *tt.set); err != nil {
					t.Fatalf("SetLockout(%+v): %v", *tt.set, err)
				}
				all := auditOf(t, svc, "")
				if len(all) != 1 || all[0].Action != user.ActionSettings || all[0].Actor != "tester" || all[0].UserID != "" {
					t.Fatalf("audit after SetLockout = %+v; want one settings entry by tester about no user", all)
				}
				wantDetails := fmt.Sprintf("lockout 5 failed logins / 15 min -> %d / %d min", tt.want.Threshold, tt.want.Duration/time.Minute)
				if all[0].Details != wantDetails {
					t.Errorf("settings entry details = %q; want %q", all[0].Details, wantDetails)
				}
				// Setting the same policy again changes and records nothing.
				if err := svc.SetLockout(ctx, *tt.set); err != nil {
					t.Fatal(err)
				}
				if n := len(auditOf(t, svc, "")); n != 1 {
					t.Errorf("SetLockout of the policy in force wrote an audit entry (%d entries)", n)
				}
			}
			if p, err := svc.Lockout(ctx); err != nil || p != tt.want {
				t.Fatalf("Lockout() = %+v, %v; want %+v", p, err, tt.want)
			}

			created := mustRegister(t, svc, "alice@example.org")
			for i := 1; i < tt.want.Threshold; i++ {
				c.Advance(time.Second)
				failVerify(t, svc, "alice@example.org", wrongPassword)
				u := mustGet(t, svc, "alice@example.org")
				if u.FailedLogins != i || !u.LockedUntil.IsZero() || u.Locked(c.now) {
					t.Fatalf("after %d failures: FailedLogins %d, LockedUntil %v; want %d, not locked", i, u.FailedLogins, u.LockedUntil, i)
				}
			}
			lockedAt := c.Advance(time.Second)
			failVerify(t, svc, "ALICE@example.org", wrongPassword) // the case of the address does not matter
			u := mustGet(t, svc, "alice@example.org")
			wantUntil := lockedAt.Add(tt.want.Duration)
			if u.FailedLogins != tt.want.Threshold || !u.LockedUntil.Equal(wantUntil) || !u.Locked(c.now) {
				t.Fatalf("after %d failures: FailedLogins %d, LockedUntil %v; want %d, locked until %v",
					tt.want.Threshold, u.FailedLogins, u.LockedUntil, tt.want.Threshold, wantUntil)
			}
			entries := auditOf(t, svc, created.ID)
			if got := countAction(entries, user.ActionLock); got != 1 || entries[0].Action != user.ActionLock {
				t.Fatalf("audit = %+v; want exactly one lock entry, the newest", entries)
			}
			lock := entries[0]
			wantDetails := fmt.Sprintf("locked until %s after %d failed logins", user.FormatTime(wantUntil), tt.want.Threshold)
			if lock.Details != wantDetails || !lock.At.Equal(lockedAt) || lock.UserEmail != "alice@example.org" {
				t.Errorf("lock entry = %+v; want at %v, details %q", lock, lockedAt, wantDetails)
			}

			// While locked, nothing gets in, and attempts neither count nor
			// push the lock out.
			c.Advance(tt.want.Duration / 2)
			for _, pw := range []string{goodPassword, wrongPassword, goodPassword, ""} {
				failVerify(t, svc, "alice@example.org", pw)
			}
			c.now = wantUntil.Add(-time.Millisecond)
			failVerify(t, svc, "alice@example.org", goodPassword)
			u = mustGet(t, svc, "alice@example.org")
			if u.FailedLogins != tt.want.Threshold || !u.LockedUntil.Equal(wantUntil) || !u.LastLoginAt.IsZero() {
				t.Errorf("attempts while locked changed the account: FailedLogins %d, LockedUntil %v, LastLoginAt %v; want %d, %v, never",
					u.FailedLogins, u.LockedUntil, u.LastLoginAt, tt.want.Threshold, wantUntil)
			}
			if got := auditOf(t, svc, created.ID); len(got) != len(entries) {
				t.Errorf("attempts while locked wrote %d audit entries", len(got)-len(entries))
			}

			// The lock runs out at LockedUntil: the right password works and
			// clears the count.
			c.now = wantUntil
			got, err := svc.Verify(ctx, "alice@example.org", goodPassword)
			if err != nil {
				t.Fatalf("Verify when the lock ran out: %v", err)
			}
			if got.FailedLogins != 0 || !got.LockedUntil.IsZero() || !got.LastLoginAt.Equal(wantUntil) {
				t.Errorf("after a login: FailedLogins %d, LockedUntil %v, LastLoginAt %v; want 0, zero, %v", got.FailedLogins, got.LockedUntil, got.LastLoginAt, wantUntil)
			}
			if stored := mustGet(t, svc, "alice@example.org"); stored.FailedLogins != 0 || !stored.LockedUntil.IsZero() {
				t.Errorf("stored after a login: FailedLogins %d, LockedUntil %v; want 0, zero", stored.FailedLogins, stored.LockedUntil)
			}
			if got, want := auditActions(t, svc, user.AuditFilter{UserID: created.ID}), []string{"lock alice@example.org", "register alice@example.org"}; !slices.Equal(got, want) {
				t.Errorf("audit = %q; want %q (failures and logins are not audited, the lock is)", got, want)
			}
		})
	}
}

func TestLockoutCountsConsecutiveFailuresOnly(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	mustRegister(t, svc, "alice@example.org")
	for range 4 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Fatalf("Verify after 4 failures: %v", err)
	}
	if u := mustGet(t, svc, "alice@example.org"); u.FailedLogins != 0 {
		t.Errorf("FailedLogins after a success = %d; want 0", u.FailedLogins)
	}
	for range 4 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	if u := mustGet(t, svc, "alice@example.org"); u.FailedLogins != 4 || u.Locked(c.now) {
		t.Errorf("after 4+success+4 failures: FailedLogins %d, locked %v; want 4, not locked", u.FailedLogins, u.Locked(c.now))
	}
	if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Errorf("Verify after 4 fresh failures: %v", err)
	}

	// A lock that runs out does not start a fresh count: the failures
	// since the last success go on counting, and the account locks again
	// at the next multiple of the threshold.
	for range 5 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	firstUntil := mustGet(t, svc, "alice@example.org").LockedUntil
	c.now = firstUntil
	failVerify(t, svc, "alice@example.org", wrongPassword)
	u := mustGet(t, svc, "alice@example.org")
	if u.FailedLogins != 6 || !u.LockedUntil.IsZero() || u.Locked(c.now) {
		t.Errorf("a failure after the lock ran out: FailedLogins %d, LockedUntil %v; want 6, zero (the spent lock cleared)", u.FailedLogins, u.LockedUntil)
	}
	for range 3 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	if u := mustGet(t, svc, "alice@example.org"); u.FailedLogins != 9 || u.Locked(c.now) {
		t.Errorf("9 consecutive failures: FailedLogins %d, locked %v; want 9, not locked", u.FailedLogins, u.Locked(c.now))
	}
	failVerify(t, svc, "alice@example.org", wrongPassword)
	u = mustGet(t, svc, "alice@example.org")
	if u.FailedLogins != 10 || !u.LockedUntil.Equal(c.now.Add(15*time.Minute)) {
		t.Errorf("10 consecutive failures: FailedLogins %d, LockedUntil %v; want 10, locked until %v", u.FailedLogins, u.LockedUntil, c.now.Add(15*time.Minute))
	}
	entries := auditOf(t, svc, u.ID)
	if n := countAction(entries, user.ActionLock); n != 2 {
		t.Errorf("lock entries = %d; want 2", n)
	}
	if want := "locked until " + user.FormatTime(u.LockedUntil) + " after 10 failed logins"; entries[0].Details != want {
		t.Errorf("second lock details = %q; want %q", entries[0].Details, want)
	}
	// A success after the lock resets the count.
	c.now = u.LockedUntil
	if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Fatalf("Verify after the second lock ran out: %v", err)
	}
	failVerify(t, svc, "alice@example.org", wrongPassword)
	if u := mustGet(t, svc, "alice@example.org"); u.FailedLogins != 1 {
		t.Errorf("a failure after a success: FailedLogins %d; want 1", u.FailedLogins)
	}
}

// TestLockoutCapsConsecutiveFailures: NIST SP 800-63B-4 section 3.2.2
// allows no more than 100 consecutive failed attempts on one account. Each
// timed lock slows guessing; the 100th failure since the last success locks
// the account until an admin unlocks it, whatever time passes. Only the
// right password after an unlock gets in.
func TestLockoutCapsConsecutiveFailures(t *testing.T) {
	for _, p := range []user.LockoutPolicy{
		{Threshold: 5, Duration: 15 * time.Minute}, // 100 is a multiple
		{Threshold: 7, Duration: time.Minute},      // 100 is not
		{Threshold: 1, Duration: time.Minute},      // a timed lock at every failure
		{Threshold: 1000, Duration: time.Minute},   // never a timed lock
	} {
		t.Run(fmt.Sprintf("%d per %v", p.Threshold, p.Duration), func(t *testing.T) {
			ctx := context.Background()
			svc, _, c := newService(t)
			if err := svc.SetLockout(ctx, p); err != nil {
				t.Fatal(err)
			}
			created := mustRegister(t, svc, "alice@example.org")
			// Guess as fast as the locks allow, for as long as it takes.
			checked, timedLocks := 0, 0
			for attempt := 0; attempt < 1000; attempt++ {
				u := mustGet(t, svc, "alice@example.org")
				if u.Locked(c.now) && !u.LockedUntil.IsZero() {
					c.now = u.LockedUntil
				}
				if u.Locked(c.now) {
					break
				}
				failVerify(t, svc, "alice@example.org", wrongPassword)
				checked++
				after := mustGet(t, svc, "alice@example.org")
				if after.FailedLogins != checked {
					t.Fatalf("after %d failures: FailedLogins %d; want %d", checked, after.FailedLogins, checked)
				}
				if !after.LockedUntil.IsZero() {
					timedLocks++
				}
				c.Advance(time.Second)
			}
			if checked != user.MaxConsecutiveFailures {
				t.Fatalf("%d guesses were checked before the account stayed locked; want %d", checked, user.MaxConsecutiveFailures)
			}
			if want := (user.MaxConsecutiveFailures - 1) / p.Threshold; timedLocks != want {
				t.Errorf("timed locks before the cap = %d; want %d", timedLocks, want)
			}
			// A year later: still locked, the right password fails, and
			// attempts neither count nor write.
			c.Advance(365 * 24 * time.Hour)
			u := mustGet(t, svc, "alice@example.org")
			if !u.Locked(c.now) || !u.NeedsAdminUnlock() || u.Status(c.now) != "blocked" {
				t.Fatalf("a year after 100 failures: Locked %v, NeedsAdminUnlock %v, Status %q; want true, true, blocked",
					u.Locked(c.now), u.NeedsAdminUnlock(), u.Status(c.now))
			}
			before := len(auditOf(t, svc, created.ID))
			failVerify(t, svc, "alice@example.org", goodPassword)
			failVerify(t, svc, "alice@example.org", wrongPassword)
			if got := mustGet(t, svc, "alice@example.org"); got.FailedLogins != user.MaxConsecutiveFailures || len(auditOf(t, svc, created.ID)) != before {
				t.Errorf("attempts while blocked: FailedLogins %d, %d new audit entries; want %d, none", got.FailedLogins, len(auditOf(t, svc, created.ID))-before, user.MaxConsecutiveFailures)
			}
			entries := auditOf(t, svc, created.ID)
			if want := "locked until an admin unlocks it after 100 consecutive failed logins"; entries[0].Action != user.ActionLock || entries[0].Details != want {
				t.Errorf("newest entry = %s %q; want lock %q", entries[0].Action, entries[0].Details, want)
			}
			// Only the list of locked users holds her.
			for _, tt := range []struct {
				status user.Status
				want   int
			}{{user.Locked, 1}, {user.Active, 0}, {user.Disabled, 0}} {
				if n, err := svc.Count(ctx, user.Filter{Status: tt.status}); err != nil || n != tt.want {
					t.Errorf("Count(status %d) = %d, %v; want %d", tt.status, n, err, tt.want)
				}
			}

			// An admin's unlock clears it all, audited, and she is in.
			u, changed, err := svc.Unlock(ctx, "alice@example.org")
			if err != nil || !changed || u.FailedLogins != 0 || u.Locked(c.now) || u.NeedsAdminUnlock() {
				t.Fatalf("Unlock = %+v, changed %v, %v; want cleared", u, changed, err)
			}
			if e := auditOf(t, svc, created.ID)[0]; e.Action != user.ActionUnlock || e.Details != "cleared 100 failed logins, lock until an admin unlocked it" {
				t.Errorf("unlock entry = %s %q", e.Action, e.Details)
			}
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
				t.Errorf("Verify after an admin's unlock: %v", err)
			}
		})
	}
}

// TestLockoutCapAfterSuccess: the cap counts consecutive failures only; a
// success between two runs of 99 starts again from zero.
func TestLockoutCapAfterSuccess(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 1000, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, svc, "alice@example.org")
	for round := range 3 {
		for range user.MaxConsecutiveFailures - 1 {
			failVerify(t, svc, "alice@example.org", wrongPassword)
		}
		if u := mustGet(t, svc, "alice@example.org"); u.Locked(c.now) || u.FailedLogins != 99 {
			t.Fatalf("round %d: after 99 failures: locked %v, FailedLogins %d; want not locked, 99", round, u.Locked(c.now), u.FailedLogins)
		}
		if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
			t.Fatalf("round %d: Verify after 99 failures: %v", round, err)
		}
	}
}

func TestUnlock(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	created := mustRegister(t, svc, "alice@example.org")

	// A clean account: nothing to do, nothing written.
	u, changed, err := svc.Unlock(ctx, "alice@example.org")
	if err != nil || changed || u.Email != "alice@example.org" {
		t.Errorf("Unlock of a clean user = %q, changed %v, %v; want alice, false, nil", u.Email, changed, err)
	}
	if n := len(auditOf(t, svc, created.ID)); n != 1 {
		t.Errorf("Unlock of a clean user wrote %d audit entries", n-1)
	}

	// Failures below the threshold are cleared too.
	failVerify(t, svc, "alice@example.org", wrongPassword)
	failVerify(t, svc, "alice@example.org", wrongPassword)
	c.Advance(time.Minute)
	u, changed, err = svc.Unlock(ctx, "Alice@Example.org")
	if err != nil || !changed || u.FailedLogins != 0 {
		t.Errorf("Unlock after 2 failures = FailedLogins %d, changed %v, %v; want 0, true, nil", u.FailedLogins, changed, err)
	}
	if e := auditOf(t, svc, created.ID)[0]; e.Action != user.ActionUnlock || e.Details != "cleared 2 failed logins" {
		t.Errorf("newest entry = %s %q; want unlock \"cleared 2 failed logins\"", e.Action, e.Details)
	}

	// A locked account opens at once.
	for range 5 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	until := mustGet(t, svc, "alice@example.org").LockedUntil
	c.Advance(time.Minute)
	u, changed, err = svc.Unlock(ctx, "alice@example.org")
	if err != nil || !changed || u.FailedLogins != 0 || !u.LockedUntil.IsZero() || u.Locked(c.now) {
		t.Fatalf("Unlock of a locked user = %+v, changed %v, %v; want cleared", u, changed, err)
	}
	e := auditOf(t, svc, created.ID)[0]
	if want := "cleared 5 failed logins, lock until " + user.FormatTime(until); e.Action != user.ActionUnlock || e.Details != want || !e.At.Equal(c.now) {
		t.Errorf("newest entry = %s %q at %v; want unlock %q at %v", e.Action, e.Details, e.At, want, c.now)
	}
	if stored := mustGet(t, svc, "alice@example.org"); stored.FailedLogins != 0 || !stored.LockedUntil.IsZero() {
		t.Errorf("stored after Unlock: FailedLogins %d, LockedUntil %v", stored.FailedLogins, stored.LockedUntil)
	}
	if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Errorf("Verify after Unlock: %v", err)
	}

	// A lock that ran out but was never cleared by a login still has
	// something to clear.
	for range 5 {
		failVerify(t, svc, "alice@example.org", wrongPassword)
	}
	c.Advance(time.Hour)
	if _, changed, err := svc.Unlock(ctx, "alice@example.org"); err != nil || !changed {
		t.Errorf("Unlock after the lock ran out = changed %v, %v; want true, nil", changed, err)
	}
	if e := auditOf(t, svc, created.ID)[0]; e.Details != "cleared 5 failed logins" {
		t.Errorf("unlock of an expired lock: details %q; want \"cleared 5 failed logins\"", e.Details)
	}

	if _, _, err := svc.Unlock(ctx, "nobody@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Unlock of an unknown user = %v; want ErrNotFound", err)
	}
	want := []string{"unlock alice@example.org", "lock alice@example.org", "unlock alice@example.org", "lock alice@example.org", "unlock alice@example.org", "register alice@example.org"}
	if got := auditActions(t, svc, user.AuditFilter{UserID: created.ID}); !slices.Equal(got, want) {
		t.Errorf("audit = %q; want %q", got, want)
	}
}

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

func TestDisabledUserDoesNotCountFailures(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	created := mustRegister(t, svc, "off@example.org")
	if _, _, err := svc.SetDisabled(ctx, "off@example.org", true); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		pw := wrongPassword
		if i%2 == 0 {
			pw = goodPassword
		}
		failVerify(t, svc, "off@example.org", pw)
	}
	u := mustGet(t, svc, "off@example.org")
	if u.FailedLogins != 0 || !u.LockedUntil.IsZero() {
		t.Errorf("disabled user after 12 failures: FailedLogins %d, LockedUntil %v; want 0, zero", u.FailedLogins, u.LockedUntil)
	}
	if n := countAction(auditOf(t, svc, created.ID), user.ActionLock); n != 0 {
		t.Errorf("disabled user was locked %d times", n)
	}
	if _, _, err := svc.SetDisabled(ctx, "off@example.org", false); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if _, err := svc.Verify(ctx, "off@example.org", goodPassword); err != nil {
		t.Errorf("Verify once enabled again: %v", err)
	}
}

// TestVerifyUnknownEmailWritesNothing: a failed verify for an address that
// is nobody's, however odd, answers like any other failure and leaves every
// table as it was.
func TestVerifyUnknownEmailWritesNothing(t *testing.T) {
	svc, store, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")
	failVerify(t, svc, "alice@example.org", wrongPassword) // some state to keep
	before := dbSnapshot(t, store)
	for _, email := range []string{
		"nobody@example.org",
		"",
		"   ",
		"not an email",
		"alice@example.org.",
		"alice@example.org\x00",
		"\xff\xfe@example.org",
		"\x1b[2J@example.org",
		strings.Repeat("a", 10_000) + "@example.org",
		"'; DROP TABLE users; --",
		"%",
	} {
		for _, pw := range []string{goodPassword, wrongPassword} {
			failVerify(t, svc, email, pw)
		}
		if after := dbSnapshot(t, store); after != before {
			t.Fatalf("Verify(%.40q) changed the database:\nbefore %s\nafter  %s", email, before, after)
		}
	}
}

func TestLockedAndActiveFilters(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		mustRegister(t, svc, e)
	}
	if _, _, err := svc.SetDisabled(ctx, "d@example.org", true); err != nil {
		t.Fatal(err)
	}
	lock := func(email string) {
		t.Helper()
		for range 5 {
			failVerify(t, svc, email, wrongPassword)
		}
	}
	check := func(when string, f user.Filter, want ...string) {
		t.Helper()
		n, err := svc.Count(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		page, err := svc.Page(ctx, user.ListOptions{Filter: f, Sort: user.ByEmail})
		if err != nil {
			t.Fatal(err)
		}
		if got := emails(page); n != len(want) || !slices.Equal(got, want) {
			t.Errorf("%s: status %d: counted %d, listed %q; want %q", when, f.Status, n, got, want)
		}
	}
	lock("a@example.org")
	lockedAt := c.now
	check("a locked", user.Filter{Status: user.Locked}, "a@example.org")
	check("a locked", user.Filter{Status: user.Active}, "b@example.org", "c@example.org")
	check("a locked", user.Filter{Status: user.Disabled}, "d@example.org")
	check("a locked", user.Filter{}, "a@example.org", "b@example.org", "c@example.org", "d@example.org")

	// A locked user who is then disabled counts as disabled, not locked.
	c.Advance(5 * time.Minute)
	lock("b@example.org")
	if _, _, err := svc.SetDisabled(ctx, "b@example.org", true); err != nil {
		t.Fatal(err)
	}
	check("b locked and disabled", user.Filter{Status: user.Locked}, "a@example.org")
	check("b locked and disabled", user.Filter{Status: user.Disabled}, "b@example.org", "d@example.org")
	check("b locked and disabled", user.Filter{Status: user.Active}, "c@example.org")

	// The filters are judged by the service's clock: at a's LockedUntil it
	// is active again, without any write.
	c.now = lockedAt.Add(15 * time.Minute)
	check("a's lock ran out", user.Filter{Status: user.Locked})
	check("a's lock ran out", user.Filter{Status: user.Active}, "a@example.org", "c@example.org")
	// ... and an explicit Now judges at that time instead.
	check("judged at a's lock", user.Filter{Status: user.Locked, Now: lockedAt}, "a@example.org")
	check("judged just before a's lock ran out", user.Filter{Status: user.Active, Now: lockedAt.Add(15*time.Minute - time.Millisecond)}, "c@example.org")
}

func TestLockoutDoesNotMoveUpdatedAt(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	created := mustRegister(t, svc, "alice@example.org")
	steps := []struct {
		name string
		do   func()
	}{
		{"a failure", func() { failVerify(t, svc, "alice@example.org", wrongPassword) }},
		{"the lock", func() {
			for range 4 {
				failVerify(t, svc, "alice@example.org", wrongPassword)
			}
		}},
		{"attempts while locked", func() { failVerify(t, svc, "alice@example.org", goodPassword) }},
		{"unlock", func() {
			if _, _, err := svc.Unlock(ctx, "alice@example.org"); err != nil {
				t.Fatal(err)
			}
		}},
		{"a failure and a login", func() {
			failVerify(t, svc, "alice@example.org", wrongPassword)
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
				t.Fatal(err)
			}
		}},
		{"a lock that runs out", func() {
			for range 5 {
				failVerify(t, svc, "alice@example.org", wrongPassword)
			}
			c.Advance(time.Hour)
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		c.Advance(time.Minute)
		step.do()
		if u := mustGet(t, svc, "alice@example.org"); !u.UpdatedAt.Equal(created.UpdatedAt) || !u.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("after %s: CreatedAt %v, UpdatedAt %v; want both still %v", step.name, u.CreatedAt, u.UpdatedAt, created.UpdatedAt)
		}
	}
	// By updated, alice is still where her registration put her.
	mustRegister(t, svc, "bob@example.org")
	page, err := svc.Page(ctx, user.ListOptions{Sort: user.ByUpdated})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := emails(page), []string{"bob@example.org", "alice@example.org"}; !slices.Equal(got, want) {
		t.Errorf("by updated = %q; want %q", got, want)
	}
}

func TestSetLockoutValidation(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	tests := []struct {
		p  user.LockoutPolicy
		ok bool
	}{
		{user.LockoutPolicy{Threshold: 0, Duration: 15 * time.Minute}, false},
		{user.LockoutPolicy{Threshold: -1, Duration: 15 * time.Minute}, false},
		{user.LockoutPolicy{Threshold: 1001, Duration: 15 * time.Minute}, false},
		{user.LockoutPolicy{Threshold: 5, Duration: 30 * time.Second}, false},
		{user.LockoutPolicy{Threshold: 5, Duration: 0}, false},
		{user.LockoutPolicy{Threshold: 5, Duration: -time.Hour}, false},
		{user.LockoutPolicy{Threshold: 5, Duration: 31 * 24 * time.Hour}, false},
		{user.LockoutPolicy{Threshold: 5, Duration: 30*24*time.Hour + time.Minute}, false},
		{user.LockoutPolicy{Threshold: 1, Duration: time.Minute}, true},
		{user.LockoutPolicy{Threshold: 1000, Duration: 30 * 24 * time.Hour}, true},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v; want ok=%v", tt.p, err, tt.ok)
		}
		before := dbSnapshot(t, store)
		err := svc.SetLockout(ctx, tt.p)
		if (err == nil) != tt.ok {
			t.Errorf("SetLockout(%+v) = %v; want ok=%v", tt.p, err, tt.ok)
		}
		if err != nil {
			if after := dbSnapshot(t, store); after != before {
				t.Errorf("refused SetLockout(%+v) changed the database", tt.p)
			}
			continue
		}
		if got, err := svc.Lockout(ctx); err != nil || got != tt.p {
			t.Errorf("Lockout() after SetLockout(%+v) = %+v, %v", tt.p, got, err)
		}
	}
	if n := countAction(auditOf(t, svc, ""), user.ActionSettings); n != 2 {
		t.Errorf("settings entries = %d; want 2, one per accepted change", n)
	}
}

// TestSetLockoutStoresWhatItAudits: the settings hold whole minutes, so a
// policy that is not a whole number of minutes must either be refused or
// come back as set; it must not be audited as one duration and enforced as
// another.
func TestSetLockoutStoresWhatItAudits(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	p := user.LockoutPolicy{Threshold: 5, Duration: 90 * time.Second}
	if err := svc.SetLockout(ctx, p); err != nil {
		return // refused: fine
	}
	got, err := svc.Lockout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Errorf("SetLockout(%+v) succeeded and audited %q, but Lockout() = %+v", p, auditOf(t, svc, "")[0].Details, got)
	}
}

// BenchmarkVerifyFailure times a failed Verify of each kind, as the binary
// runs it: DefaultParams, the default failure floor, real sleeps. Every
// kind must cost the same: the floor, give or take the timer's and the
// scheduler's jitter. Each op takes the floor (3 s), so run few:
//
//	go test -run '^$' -bench VerifyFailure -benchtime 5x -count 3 ./internal/user
//
// scripts/timing.sh measures the same through the real binary.
func BenchmarkVerifyFailure(b *testing.B) {
	ctx := context.Background()
	store := openStore(b, "")
	svc := user.NewService(store, user.WithHasher(password.NewHasher(password.DefaultParams)), user.WithActor("bench"))
	// No timed lock: the cases that count are unlocked after each attempt.
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 1000, Duration: time.Minute}); err != nil {
		b.Fatal(err)
	}
	cases := failureCases(b, svc, store)
	// The slowest hashes the limits accept, which must stay below the
	// floor: bcrypt at MaxBcryptCost and argon2id at the most work.
	heavy := map[string]string{}
	for _, cost := range []int{12, password.MaxBcryptCost} {
		h, err := bcrypt.GenerateFromPassword([]byte(goodPassword), cost)
		if err != nil {
			b.Fatal(err)
		}
		heavy[fmt.Sprintf("bcrypt%d@example.org", cost)] = string(h)
	}
	h, err := password.NewHasher(password.Params{Memory: password.MaxArgon2Memory, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}).Hash(goodPassword)
	if err != nil {
		b.Fatal(err)
	}
	heavy["argon2max@example.org"] = h
	for _, email := range slices.Sorted(maps.Keys(heavy)) {
		if _, err := svc.Register(ctx, email, goodPassword, nil); err != nil {
			b.Fatal(err)
		}
		setHash(b, store, email, heavy[email])
		cases = append(cases, failureCase{email + ", wrong password", email, wrongPassword, true})
	}
	for _, tc := range cases {
		b.Run(strings.NewReplacer(" ", "_", ",", "").Replace(tc.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Verify(ctx, tc.email, tc.plain); err != user.ErrInvalidCredentials {
					b.Fatalf("Verify(%q) = %v; want ErrInvalidCredentials", tc.email, err)
				}
				if tc.counts {
					b.StopTimer()
					if _, _, err := svc.Unlock(ctx, tc.email); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
		})
	}
}

// TestStatusFiltersAgreeWithLocked: the SQL behind --locked, --active and
// --disabled selects exactly the users whose Locked and Disabled say so,
// for every combination of count, lock and disabling, including counts at
// and past the cap that no timed lock accompanies.
func TestStatusFiltersAgreeWithLocked(t *testing.T) {
	ctx := context.Background()
	svc, store, c := newService(t)
	now := c.now
	states := []struct {
		email    string
		failed   int
		until    time.Time
		disabled bool
	}{
		{"clean@example.org", 0, time.Time{}, false},
		{"some@example.org", 3, time.Time{}, false},
		{"timed@example.org", 5, now.Add(time.Minute), false},
		{"spent@example.org", 5, now.Add(-time.Minute), false},
		{"ends-now@example.org", 5, now, false},
		{"ninety-nine@example.org", 99, now.Add(-time.Hour), false},
		{"ninety-nine-timed@example.org", 99, now.Add(time.Hour), false},
		{"capped@example.org", 100, time.Time{}, false},
		{"capped-spent@example.org", 100, now.Add(-time.Hour), false},
		{"capped-timed@example.org", 100, now.Add(time.Hour), false},
		{"past-cap@example.org", 150, time.Time{}, false},
		{"capped-disabled@example.org", 100, time.Time{}, true},
		{"timed-disabled@example.org", 5, now.Add(time.Minute), true},
		{"disabled@example.org", 0, time.Time{}, true},
	}
	for _, st := range states {
		mustRegister(t, svc, st.email)
		setLockout(t, store, st.email, st.failed, st.until)
		if st.disabled {
			if _, _, err := svc.SetDisabled(ctx, st.email, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	var all []user.User
	for _, st := range states {
		all = append(all, mustGet(t, svc, st.email))
	}
	for _, tt := range []struct {
		status user.Status
		keep   func(u user.User) bool
	}{
		{user.Locked, func(u user.User) bool { return !u.Disabled() && u.Locked(now) }},
		{user.Active, func(u user.User) bool { return !u.Disabled() && !u.Locked(now) }},
		{user.Disabled, func(u user.User) bool { return u.Disabled() }},
	} {
		var want []string
		for _, u := range all {
			if tt.keep(u) {
				want = append(want, u.Email)
			}
		}
		slices.Sort(want)
		f := user.Filter{Status: tt.status}
		page, err := svc.Page(ctx, user.ListOptions{Filter: f, Sort: user.ByEmail})
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.Count(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := emails(page); !slices.Equal(got, want) || n != len(want) {
			t.Errorf("status %d: listed %q, counted %d; want %q (as Locked and Disabled say)", tt.status, got, n, want)
		}
	}
	// The statuses people read say the same.
	for _, u := range all {
		want := "active"
		switch {
		case u.Disabled():
			want = "disabled"
		case u.FailedLogins >= user.MaxConsecutiveFailures:
			want = "blocked"
		case u.Locked(now):
			want = "locked"
		}
		if got := u.Status(now); got != want {
			t.Errorf("%s (%d failed, until %v): Status = %q; want %q", u.Email, u.FailedLogins, u.LockedUntil, got, want)
		}
	}
}
