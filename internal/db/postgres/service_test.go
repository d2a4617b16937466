package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// A Service over the PostgreSQL Store does what it does over SQLite:
// register, find, change roles, disable, delete, with the last-admin rule
// and the duplicate and look-alike refusals.
func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, _, c := newService(t)

	admin := mustRegister(t, svc, "Admin@Example.org", user.RoleAdmin)
	bob := mustRegister(t, svc, "bob@example.org")
	if got := bob.Roles; !slices.Equal(got, []user.Role{user.RoleAnalyst}) {
		t.Errorf("Register without roles: roles %v; want [analyst]", got)
	}

	got, err := svc.Get(ctx, "admin@EXAMPLE.org")
	if err != nil {
		t.Fatalf("Get(admin) = %v", err)
	}
	if got.ID != admin.ID || got.Email != "Admin@Example.org" || !got.CreatedAt.Equal(admin.CreatedAt) ||
		!got.UpdatedAt.Equal(admin.CreatedAt) || got.CreatedAt.Location() != time.UTC || !slices.Equal(got.Roles, []user.Role{user.RoleAdmin}) {
		t.Errorf("Get(admin) = %+v; want %+v in UTC", got, admin)
	}
	if _, err := svc.Get(ctx, "nobody@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(nobody) = %v; want ErrNotFound", err)
	}
	if _, err := svc.Get(ctx, "bad\x00id\xff"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(NUL and invalid UTF-8) = %v; want ErrNotFound", err)
	}

	if _, err := svc.Register(ctx, "BOB@example.org", goodPassword, nil); !errors.Is(err, user.ErrAlreadyExists) {
		t.Errorf("Register(duplicate) = %v; want ErrAlreadyExists", err)
	}
	// Cyrillic о in place of the Latin o.
	var la *user.LookAlikeError
	if _, err := svc.Register(ctx, "b\u043eb@example.org", goodPassword, nil); !errors.As(err, &la) {
		t.Errorf("Register(look-alike) = %v; want a LookAlikeError", err)
	}

	c.Advance(time.Minute)
	bob, err = svc.SetRoles(ctx, "bob@example.org", []user.Role{user.RoleViewer, user.RoleAdmin})
	if err != nil {
		t.Fatalf("SetRoles = %v", err)
	}
	stored, err := store.UserByID(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []user.Role{user.RoleAdmin, user.RoleViewer}; !slices.Equal(stored.Roles, want) || !stored.UpdatedAt.Equal(c.now.Truncate(time.Millisecond)) {
		t.Errorf("after SetRoles: roles %v, updated %v; want %v, %v", stored.Roles, stored.UpdatedAt, want, c.now)
	}
	if n, err := store.EnabledAdmins(ctx); n != 2 || err != nil {
		t.Errorf("EnabledAdmins = %d, %v; want 2", n, err)
	}

	if _, _, err := svc.SetDisabled(ctx, admin.Email, true); err != nil {
		t.Fatalf("disable admin: %v", err)
	}
	if _, _, err := svc.SetDisabled(ctx, bob.Email, true); !errors.Is(err, user.ErrLastAdmin) {
		t.Errorf("disable the last enabled admin = %v; want ErrLastAdmin", err)
	}
	if _, err := svc.Delete(ctx, bob.Email); !errors.Is(err, user.ErrLastAdmin) {
		t.Errorf("delete the last enabled admin = %v; want ErrLastAdmin", err)
	}
	if _, err := svc.Delete(ctx, admin.Email); err != nil {
		t.Fatalf("delete disabled admin: %v", err)
	}
	if _, err := store.UserByID(ctx, admin.ID); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("UserByID(deleted) = %v; want ErrNotFound", err)
	}

	var actions []user.Action
	if err := svc.Audit(ctx, user.AuditFilter{Email: "ADMIN@example.org", OldestFirst: true}, func(e user.AuditEntry) error {
		actions = append(actions, e.Action)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []user.Action{user.ActionRegister, user.ActionDisable, user.ActionDelete}; !slices.Equal(actions, want) {
		t.Errorf("Audit(email of deleted admin) = %v; want %v", actions, want)
	}
}

// Failed logins count and lock as the policy says, and a right password
// resets the count.
func TestLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, _, c := newService(t)
	u := mustRegister(t, svc, "carol@example.org")
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 3, Duration: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if p, err := store.LockoutPolicy(ctx); err != nil || p.Threshold != 3 || p.Duration != 10*time.Minute {
		t.Fatalf("LockoutPolicy = %+v, %v; want 3 / 10m", p, err)
	}
	for i := range 3 {
		if _, err := svc.Verify(ctx, u.Email, "wrong password"); !errors.Is(err, user.ErrInvalidCredentials) {
			t.Fatalf("Verify(wrong) #%d = %v", i+1, err)
		}
	}
	got, _ := store.UserByID(ctx, u.ID)
	if got.FailedLogins != 3 || !got.LockedUntil.Equal(c.now.Add(10*time.Minute).Truncate(time.Millisecond)) {
		t.Errorf("after 3 failures: %d failed, locked until %v; want 3, %v", got.FailedLogins, got.LockedUntil, c.now.Add(10*time.Minute))
	}
	if _, err := svc.Verify(ctx, u.Email, goodPassword); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify(right) while locked = %v; want ErrInvalidCredentials", err)
	}
	n, err := store.CountUsers(ctx, user.Filter{Status: user.Locked, Now: c.now})
	if n != 1 || err != nil {
		t.Errorf("CountUsers(locked) = %d, %v; want 1", n, err)
	}
	c.Advance(11 * time.Minute)
	if _, err := svc.Verify(ctx, u.Email, goodPassword); err != nil {
		t.Errorf("Verify(right) after the lock = %v", err)
	}
	got, _ = store.UserByID(ctx, u.ID)
	if got.FailedLogins != 0 || !got.LockedUntil.IsZero() || !got.LastLoginAt.Equal(c.now.Truncate(time.Millisecond)) {
		t.Errorf("after login: %d failed, locked until %v, last login %v; want 0, zero, %v", got.FailedLogins, got.LockedUntil, got.LastLoginAt, c.now)
	}
}
