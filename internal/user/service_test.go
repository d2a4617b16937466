package user_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

func auditActions(t *testing.T, svc *user.Service, f user.AuditFilter) []string {
	t.Helper()
	var got []string
	err := svc.Audit(context.Background(), f, func(e user.AuditEntry) error {
		got = append(got, string(e.Action)+" "+e.UserEmail)
		if strings.Contains(e.Details, goodPassword) || strings.Contains(e.Details, "$argon2id$") {
			t.Errorf("audit entry %d holds a password or hash: %q", e.ID, e.Details)
		}
		if e.Actor != "tester" {
			t.Errorf("audit entry %d actor = %q; want tester", e.ID, e.Actor)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return got
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	u := mustRegister(t, svc, "  Élodie@Exemple.fr ")
	if u.Email != "Élodie@Exemple.fr" {
		t.Errorf("Email = %q; want it trimmed and otherwise as typed", u.Email)
	}
	if !u.CreatedAt.Equal(c.now) || !u.UpdatedAt.Equal(c.now) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want both %v", u.CreatedAt, u.UpdatedAt, c.now)
	}
	if got := user.JoinRoles(u.Roles); got != "analyst" {
		t.Errorf("Roles = %q; want analyst", got)
	}
	stored, err := svc.Get(ctx, "élodie@exemple.FR")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !stored.CreatedAt.Equal(u.CreatedAt) || !stored.UpdatedAt.Equal(u.CreatedAt) || stored.ID != u.ID {
		t.Errorf("stored = %+v; want %+v", stored, u)
	}
	if !password.IsArgon2id(stored.PasswordHash) {
		t.Errorf("stored hash %q is not argon2id", stored.PasswordHash)
	}

	tests := []struct {
		email, password string
		roles           []user.Role
		want            error
	}{
		{"ÉLODIE@exemple.fr", goodPassword, nil, user.ErrAlreadyExists},
		{"e\u0301lodie@exemple.fr", goodPassword, nil, user.ErrAlreadyExists},
		{"Bob <bob@example.org>", goodPassword, nil, user.ErrInvalidEmail},
		{"bob@example.org", "x7#k2q", nil, password.ErrPolicy},
		{"bob@example.org", "bob-bob-bob-bob-bob-bob", nil, password.ErrPolicy},
		{"bob@example.org", goodPassword, []user.Role{"root"}, user.ErrInvalidRole},
	}
	for _, tt := range tests {
		_, err := svc.Register(ctx, tt.email, tt.password, tt.roles)
		if !errors.Is(err, tt.want) {
			t.Errorf("Register(%q, roles %v) = %v; want %v", tt.email, tt.roles, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.password) {
			t.Errorf("Register(%q) error %q shows the password", tt.email, err)
		}
	}
	if n, _ := svc.Count(ctx, user.Filter{}); n != 1 {
		t.Errorf("Count = %d after rejected registrations; want 1", n)
	}
	var exists *user.ExistsError
	if _, err := svc.Register(ctx, "élodie@exemple.fr", goodPassword, nil); !errors.As(err, &exists) || err.Error() != "user already exists: élodie@exemple.fr" {
		t.Errorf("duplicate error = %v; want \"user already exists: élodie@exemple.fr\"", err)
	}
	if got, want := auditActions(t, svc, user.AuditFilter{}), []string{"register Élodie@Exemple.fr"}; !slices.Equal(got, want) {
		t.Errorf("audit = %q; want %q", got, want)
	}
}

func TestChangesMoveUpdatedAt(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	created := mustRegister(t, svc, "alice@example.org")
	// bo is an admin too, so that alice, once made one, can be disabled.
	mustRegister(t, svc, "bo@example.org", user.RoleAdmin)

	steps := []struct {
		name   string
		change func() (user.User, error)
		check  func(user.User) error
	}{
		{"set roles", func() (user.User, error) {
			return svc.SetRoles(ctx, "alice@example.org", []user.Role{user.RoleViewer, user.RoleAdmin})
		}, func(u user.User) error {
			if got := user.JoinRoles(u.Roles); got != "admin,viewer" {
				return fmt.Errorf("roles = %q; want admin,viewer", got)
			}
			return nil
		}},
		{"set password", func() (user.User, error) {
			return svc.SetPassword(ctx, "ALICE@example.org", "a brand new passphrase here")
		}, func(user.User) error {
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); !errors.Is(err, user.ErrInvalidCredentials) {
				return fmt.Errorf("old password: Verify = %w; want ErrInvalidCredentials", err)
			}
			return nil
		}},
		{"disable", func() (user.User, error) {
			u, _, err := svc.SetDisabled(ctx, "alice@example.org", true)
			return u, err
		}, func(u user.User) error {
			if !u.Disabled() || !u.DisabledAt.Equal(c.now) {
				return fmt.Errorf("DisabledAt = %v; want %v", u.DisabledAt, c.now)
			}
			return nil
		}},
		{"enable", func() (user.User, error) {
			u, _, err := svc.SetDisabled(ctx, "alice@example.org", false)
			return u, err
		}, func(u user.User) error {
			if u.Disabled() {
				return errors.New("still disabled")
			}
			return nil
		}},
	}
	for _, step := range steps {
		want := c.Advance(time.Minute)
		if _, err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := svc.Get(ctx, "alice@example.org")
		if err != nil {
			t.Fatalf("%s: Get: %v", step.name, err)
		}
		if !got.UpdatedAt.Equal(want) {
			t.Errorf("%s: UpdatedAt = %v; want %v", step.name, got.UpdatedAt, want)
		}
		if !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("%s: CreatedAt = %v; want unchanged %v", step.name, got.CreatedAt, created.CreatedAt)
		}
		if err := step.check(got); err != nil {
			t.Errorf("%s: %v", step.name, err)
		}
	}

	// Changes that change nothing write nothing.
	before, _ := svc.Get(ctx, "alice@example.org")
	c.Advance(time.Minute)
	if _, err := svc.SetRoles(ctx, "alice@example.org", []user.Role{user.RoleAdmin, user.RoleViewer}); err != nil {
		t.Fatalf("SetRoles again: %v", err)
	}
	if _, changed, err := svc.SetDisabled(ctx, "alice@example.org", false); err != nil || changed {
		t.Errorf("SetDisabled(false) on an active user = changed %v, %v; want false, nil", changed, err)
	}
	if after, _ := svc.Get(ctx, "alice@example.org"); !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("no-op changes moved UpdatedAt from %v to %v", before.UpdatedAt, after.UpdatedAt)
	}
	want := []string{"enable alice@example.org", "disable alice@example.org", "set-password alice@example.org", "set-roles alice@example.org", "register alice@example.org"}
	if got := auditActions(t, svc, user.AuditFilter{UserID: created.ID}); !slices.Equal(got, want) {
		t.Errorf("audit = %q; want %q", got, want)
	}
}

func TestUnknownUser(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	for name, call := range map[string]func() error{
		"Get": func() error { _, err := svc.Get(ctx, "nobody@example.org"); return err },
		"SetRoles": func() error {
			_, err := svc.SetRoles(ctx, "nobody@example.org", []user.Role{user.RoleAdmin})
			return err
		},
		"SetPassword": func() error { _, err := svc.SetPassword(ctx, "nobody@example.org", goodPassword); return err },
		"SetDisabled": func() error { _, _, err := svc.SetDisabled(ctx, "nobody@example.org", true); return err },
		"Delete":      func() error { _, err := svc.Delete(ctx, "nobody@example.org"); return err },
	} {
		if err := call(); !errors.Is(err, user.ErrNotFound) || err.Error() != "user not found: nobody@example.org" {
			t.Errorf("%s = %v; want \"user not found: nobody@example.org\"", name, err)
		}
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	svc, store, c := newService(t)
	u := mustRegister(t, svc, "alice@example.org")
	mustRegister(t, svc, "off@example.org")
	if _, _, err := svc.SetDisabled(ctx, "off@example.org", true); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ email, password string }{
		{"alice@example.org", "wrong password entirely"},
		{"nobody@example.org", goodPassword},
		{"off@example.org", goodPassword},
		{"not an email", goodPassword},
	} {
		if _, err := svc.Verify(ctx, tt.email, tt.password); err != user.ErrInvalidCredentials {
			t.Errorf("Verify(%q) = %v; want exactly ErrInvalidCredentials", tt.email, err)
		}
	}

	login := c.Advance(time.Hour)
	got, err := svc.Verify(ctx, "Alice@Example.org", goodPassword)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !got.LastLoginAt.Equal(login) {
		t.Errorf("LastLoginAt = %v; want %v", got.LastLoginAt, login)
	}
	if !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("a login moved UpdatedAt from %v to %v", u.UpdatedAt, got.UpdatedAt)
	}

	// A stronger hasher finds the stored hash outdated and replaces it.
	stronger := passwordtest.Params
	stronger.Time = 2
	svc2 := user.NewService(store, user.WithHasher(password.NewHasher(stronger)), user.WithClock(c.Now), user.WithActor("tester"))
	c.Advance(time.Minute)
	if _, err := svc2.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Fatalf("Verify with stronger params: %v", err)
	}
	after, _ := store.UserByEmail(ctx, user.NormalizeEmail("alice@example.org"))
	phc, err := password.ParsePHC(after.PasswordHash)
	if err != nil || phc.Params.Time != 2 {
		t.Errorf("after rehash: params %+v, %v; want t=2", phc.Params, err)
	}
	if _, err := svc2.Verify(ctx, "alice@example.org", goodPassword); err != nil {
		t.Errorf("Verify after rehash: %v", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	u := mustRegister(t, svc, "alice@example.org", user.RoleAdmin)
	// bo is an admin too: the last enabled admin cannot be deleted.
	mustRegister(t, svc, "bo@example.org", user.RoleAdmin)
	if _, err := svc.Delete(ctx, "alice@example.org"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := svc.Get(ctx, "alice@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get after Delete = %v; want ErrNotFound", err)
	}
	want := []string{"delete alice@example.org", "register alice@example.org"}
	if got := auditActions(t, svc, user.AuditFilter{UserID: u.ID}); !slices.Equal(got, want) {
		t.Errorf("audit after delete = %q; want %q", got, want)
	}
	// The address is free again.
	mustRegister(t, svc, "alice@example.org")
}

func TestListPagesByKeyset(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	var all []string
	for i := range 23 {
		c.Advance(time.Second)
		role := []user.Role{user.RoleAnalyst}
		if i%5 == 0 {
			role = []user.Role{user.RoleAdmin}
		}
		u := mustRegister(t, svc, fmt.Sprintf("user%02d@example.org", i), role...)
		all = append([]string{u.Email}, all...) // newest first
	}
	if _, _, err := svc.SetDisabled(ctx, "user07@example.org", true); err != nil {
		t.Fatal(err)
	}

	for _, sortKey := range []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail} {
		full, err := svc.Page(ctx, user.ListOptions{Sort: sortKey})
		if err != nil {
			t.Fatal(err)
		}
		var paged []user.User
		var after *user.Cursor
		for {
			page, err := svc.Page(ctx, user.ListOptions{Sort: sortKey, After: after, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			cur := user.CursorOf(page[len(page)-1], sortKey)
			after = &cur
		}
		if got, want := emails(paged), emails(full); !slices.Equal(got, want) {
			t.Errorf("sort %v: pages of 5 = %q; want %q", sortKey, got, want)
		}
		// Walking back from the end gives the same users in reverse.
		last := user.CursorOf(full[len(full)-1], sortKey)
		back, err := svc.Page(ctx, user.ListOptions{Sort: sortKey, After: &last, Reverse: true})
		if err != nil {
			t.Fatal(err)
		}
		wantBack := emails(full[:len(full)-1])
		slices.Reverse(wantBack)
		if got := emails(back); !slices.Equal(got, wantBack) {
			t.Errorf("sort %v reversed = %q; want %q", sortKey, got, wantBack)
		}
	}

	full, _ := svc.Page(ctx, user.ListOptions{})
	if got := emails(full); !slices.Equal(got, all) {
		t.Errorf("default order = %q; want newest first %q", got, all)
	}
	filters := []struct {
		f    user.Filter
		want int
	}{
		{user.Filter{}, 23},
		{user.Filter{Role: user.RoleAdmin}, 5},
		{user.Filter{Status: user.Disabled}, 1},
		{user.Filter{Status: user.Active}, 22},
		{user.Filter{Search: "USER1"}, 10},
		{user.Filter{Search: "%"}, 0},
		{user.Filter{Search: "_"}, 0},
		{user.Filter{Search: "er0", Role: user.RoleAdmin}, 2},
	}
	for _, tt := range filters {
		got, err := svc.Page(ctx, user.ListOptions{Filter: tt.f})
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.Count(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want || n != tt.want {
			t.Errorf("filter %+v: listed %d, counted %d; want %d", tt.f, len(got), n, tt.want)
		}
	}
	byEmail, _ := svc.Page(ctx, user.ListOptions{Sort: user.ByEmail, Limit: 3})
	if got, want := emails(byEmail), []string{"user00@example.org", "user01@example.org", "user02@example.org"}; !slices.Equal(got, want) {
		t.Errorf("by email = %q; want %q", got, want)
	}
}

func emails(users []user.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	return out
}

// A user can be named by id where its email cannot be typed, as with a row
// another tool wrote with control characters in the address.
func TestUsersCanBeNamedByID(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	u := mustRegister(t, svc, "alice@example.org")
	got, err := svc.Get(ctx, u.ID)
	if err != nil || got.Email != "alice@example.org" {
		t.Fatalf("Get(id) = %q, %v; want alice", got.Email, err)
	}
	if _, _, err := svc.SetDisabled(ctx, u.ID, true); err != nil {
		t.Errorf("SetDisabled(id): %v", err)
	}
	if _, err := svc.Delete(ctx, u.ID); err != nil {
		t.Errorf("Delete(id): %v", err)
	}
	if _, err := svc.Get(ctx, u.ID); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(id) after delete = %v; want ErrNotFound", err)
	}
}
