package demo_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/demo"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hasher := passwordtest.Hasher()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	err = demo.Seed(ctx, now, func(clock func() time.Time, opts ...user.Option) *user.Service {
		return user.NewService(store, append([]user.Option{user.WithClock(clock), user.WithHasher(hasher), user.WithActor("demo")}, opts...)...)
	})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	// Judged at the seeding time, as a demo started then shows them.
	svc := user.NewService(store, user.WithHasher(hasher), user.WithClock(func() time.Time { return now }), user.WithFailureFloor(0))
	users, err := svc.Page(ctx, user.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(demo.People) {
		t.Fatalf("seeded %d users; want %d", len(users), len(demo.People))
	}
	roles := map[user.Role]int{}
	statuses := map[string]int{}
	disabled, loggedIn, admins := 0, 0, 0
	for _, u := range users {
		statuses[u.Status(now)]++
		for _, r := range u.Roles {
			roles[r]++
		}
		if u.HasRole(user.RoleAdmin) {
			admins++
		}
		if u.Disabled() {
			disabled++
		}
		full, err := svc.GetByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !full.LastLoginAt.IsZero() {
			loggedIn++
			if !full.LastLoginAt.After(full.CreatedAt) || full.LastLoginAt.After(now) {
				t.Errorf("%s: last login %v outside (%v, %v]", u.Email, full.LastLoginAt, full.CreatedAt, now)
			}
		}
		if !u.CreatedAt.Before(now) || u.UpdatedAt.Before(u.CreatedAt) {
			t.Errorf("%s: created %v, updated %v; want created before %v and updated after created", u.Email, u.CreatedAt, u.UpdatedAt, now)
		}
	}
	for _, r := range user.Roles {
		if roles[r] == 0 {
			t.Errorf("no sample user has role %s", r)
		}
	}
	if disabled == 0 || loggedIn == 0 || loggedIn == len(users) {
		t.Errorf("disabled %d, logged in %d of %d; want some of each, and some never logged in", disabled, loggedIn, len(users))
	}
	// Every state the README promises, and that the terminal UI shows.
	for _, status := range []string{"active", "disabled", "locked", "blocked"} {
		if statuses[status] == 0 {
			t.Errorf("no sample user is %s at the seeding time (statuses %v)", status, statuses)
		}
	}
	// The summary printed for people counts what was seeded.
	want := fmt.Sprintf("%d users: %d admins, %d disabled, %d locked, %d blocked, %d never logged in",
		len(users), admins, statuses["disabled"], statuses["locked"], statuses["blocked"], len(users)-loggedIn)
	if got := demo.Summary(); got != want {
		t.Errorf("Summary() = %q; want %q (what the database holds)", got, want)
	}
	if got := demo.Summary(); len(got) >= 80 {
		t.Errorf("Summary() = %q, %d columns; want under 80", got, len(got))
	}
	if got := demo.Notice(); len(got) >= 80 || !strings.Contains(got, demo.Password) {
		t.Errorf("Notice() = %q; want the password in under 80 columns", got)
	}
	// The shared password works for active users, as the status line says.
	if _, err := svc.Verify(ctx, "amara.okafor@cti.example.org", demo.Password); err != nil {
		t.Errorf("Verify with demo.Password: %v", err)
	}
	// The audit chain the seeding wrote is whole.
	rep, err := store.VerifyAuditChain(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("VerifyAuditChain after Seed = %v, %v; want ok", rep, err)
	}
}

// TestSeedLocks: the locked sample accounts were locked by failed logins,
// as the audit log tells, after their last login and before the seeding
// time; the timed lock lasts the lockout policy's duration from then, the
// other until an admin unlocks it, and neither lets the password in.
func TestSeedLocks(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hasher := passwordtest.Hasher()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	err = demo.Seed(ctx, now, func(clock func() time.Time, opts ...user.Option) *user.Service {
		return user.NewService(store, append([]user.Option{user.WithClock(clock), user.WithHasher(hasher), user.WithActor("demo")}, opts...)...)
	})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	svc := user.NewService(store, user.WithHasher(hasher), user.WithClock(func() time.Time { return now }), user.WithFailureFloor(0))
	policy, err := svc.Lockout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[demo.Lock]int{}
	for _, p := range demo.People {
		u, err := svc.Get(ctx, p.Email)
		if err != nil {
			t.Fatal(err)
		}
		var locks []user.AuditEntry
		err = svc.Audit(ctx, user.AuditFilter{UserID: u.ID, OldestFirst: true}, func(e user.AuditEntry) error {
			if e.Action == user.ActionLock {
				locks = append(locks, e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seen[p.Lock]++
		switch p.Lock {
		case demo.Unlocked:
			if u.FailedLogins != 0 || !u.LockedUntil.IsZero() || len(locks) != 0 {
				t.Errorf("%s: %d failed logins, locked until %v, %d lock entries; want none", p.Email, u.FailedLogins, u.LockedUntil, len(locks))
			}
			continue
		case demo.TimedLock:
			if u.Status(now) != "locked" || u.FailedLogins != policy.Threshold || len(locks) != 1 {
				t.Errorf("%s: %s, %d failed logins, %d lock entries; want locked, %d, 1", p.Email, u.Status(now), u.FailedLogins, len(locks), policy.Threshold)
				continue
			}
			if last := locks[len(locks)-1]; !u.LockedUntil.Equal(last.At.Add(policy.Duration)) || !strings.Contains(last.Details, user.FormatTime(u.LockedUntil)) {
				t.Errorf("%s: locked until %v by %+v; want the policy's %v from that entry", p.Email, u.LockedUntil, last, policy.Duration)
			}
		case demo.AdminLock:
			if u.Status(now) != "blocked" || u.FailedLogins != user.MaxConsecutiveFailures {
				t.Errorf("%s: %s after %d failed logins; want blocked after %d", p.Email, u.Status(now), u.FailedLogins, user.MaxConsecutiveFailures)
			}
			// A timed lock at each multiple of the threshold, waited out,
			// and the last one for good.
			if want := user.MaxConsecutiveFailures / policy.Threshold; len(locks) != want ||
				!strings.Contains(locks[len(locks)-1].Details, "until an admin unlocks it") {
				t.Errorf("%s: %d lock entries, last %+v; want %d, the last until an admin unlocks it", p.Email, len(locks), locks[len(locks)-1], want)
			}
			if !u.Locked(now.Add(365 * 24 * time.Hour)) {
				t.Errorf("%s: not locked a year on; want locked until unlocked", p.Email)
			}
		}
		for _, e := range locks {
			if !e.At.Before(now) || (!u.LastLoginAt.IsZero() && !e.At.After(u.LastLoginAt)) {
				t.Errorf("%s: lock entry at %v; want between the last login %v and the seeding %v", p.Email, e.At, u.LastLoginAt, now)
			}
		}
		if _, err := svc.Verify(ctx, p.Email, demo.Password); !errors.Is(err, user.ErrInvalidCredentials) {
			t.Errorf("Verify(%s, demo.Password) = %v on a locked account; want %v", p.Email, err, user.ErrInvalidCredentials)
		}
	}
	if seen[demo.TimedLock] == 0 || seen[demo.AdminLock] == 0 {
		t.Errorf("sample locks %v; want at least one of each", seen)
	}
}

// BenchmarkSeed is what `ctitui demo` spends filling its database, with the
// hash parameters the binary uses.
func BenchmarkSeed(b *testing.B) {
	ctx := context.Background()
	hasher := password.NewHasher(password.DefaultParams)
	for i := 0; b.Loop(); i++ {
		store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("demo%d.db", i)), db.Options{})
		if err != nil {
			b.Fatal(err)
		}
		err = demo.Seed(ctx, time.Now(), func(clock func() time.Time, opts ...user.Option) *user.Service {
			return user.NewService(store, append([]user.Option{user.WithClock(clock), user.WithHasher(hasher)}, opts...)...)
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
