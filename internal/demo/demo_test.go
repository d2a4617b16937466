package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/demo"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hasher := passwordtest.Hasher()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	err = demo.Seed(ctx, now, func(clock func() time.Time) *user.Service {
		return user.NewService(store, user.WithClock(clock), user.WithHasher(hasher), user.WithActor("demo"))
	})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	svc := user.NewService(store, user.WithHasher(hasher))
	users, err := svc.Page(ctx, user.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(demo.People) {
		t.Fatalf("seeded %d users; want %d", len(users), len(demo.People))
	}
	roles := map[user.Role]int{}
	disabled, loggedIn := 0, 0
	for _, u := range users {
		for _, r := range u.Roles {
			roles[r]++
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
	if disabled == 0 || loggedIn == 0 {
		t.Errorf("disabled %d, logged in %d; want some of each", disabled, loggedIn)
	}
	// The shared password works for active users, as the status line says.
	if _, err := svc.Verify(ctx, "amara.okafor@cti.example.org", demo.Password); err != nil {
		t.Errorf("Verify with demo.Password: %v", err)
	}
}
