package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/idna"

	"github.com/ctitui/ctitui/internal/user"
)

// InsertUser refuses a duplicate with an *ExistsError and leaves the
// transaction usable, as on SQLite; it refuses a look-alike of a user
// another program wrote without a skeleton, which the transaction
// records first; a role the roles table lacks is ErrInvalidRole.
func TestInsertUserRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, store, dbURL, _ := newService(t)
	raw := rawConn(t, dbURL)
	if _, err := raw.Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		VALUES ('other-1', 'paypal@example.org', 'paypal@example.org', 'x', now(), now())`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC)
	newUser := func(id, email string, roles ...user.Role) user.User {
		return user.User{ID: id, Email: email, PasswordHash: "!", Roles: roles, CreatedAt: at, UpdatedAt: at}
	}
	err := store.WithTx(ctx, func(tx user.Tx) error {
		if err := tx.InsertUser(ctx, newUser("u1", "frank@example.org", user.RoleAdmin)); err != nil {
			return err
		}
		var exists *user.ExistsError
		if err := tx.InsertUser(ctx, newUser("u2", "FRANK@example.org", user.RoleViewer)); !errors.As(err, &exists) {
			t.Errorf("InsertUser(same email) = %v; want *ExistsError", err)
		}
		if err := tx.InsertUser(ctx, newUser("u1", "george@example.org", user.RoleViewer)); !errors.As(err, &exists) {
			t.Errorf("InsertUser(same id) = %v; want *ExistsError", err)
		}
		var la *user.LookAlikeError
		// Cyrillic а in place of the Latin a.
		if err := tx.InsertUser(ctx, newUser("u3", "p\u0430ypal@example.org", user.RoleViewer)); !errors.As(err, &la) || la.Existing != "paypal@example.org" {
			t.Errorf("InsertUser(look-alike of another program's user) = %v; want *LookAlikeError naming paypal@example.org", err)
		}
		if err := tx.InsertUser(ctx, newUser("u4", "hank@example.org", "superuser")); !errors.Is(err, user.ErrInvalidRole) {
			t.Errorf("InsertUser(unknown role) = %v; want ErrInvalidRole", err)
		}
		// The transaction goes on.
		return tx.InsertUser(ctx, newUser("u5", "ivy@example.org", user.RoleViewer, user.RoleAnalyst))
	})
	if err != nil {
		t.Fatalf("WithTx = %v", err)
	}
	for _, want := range []struct {
		id    string
		roles []user.Role
	}{{"u1", []user.Role{user.RoleAdmin}}, {"u5", []user.Role{user.RoleAnalyst, user.RoleViewer}}} {
		u, err := store.UserByID(ctx, want.id)
		if err != nil {
			t.Fatalf("UserByID(%s) = %v", want.id, err)
		}
		// Stored in UTC to the millisecond, updated_at as given although
		// the roles were linked after the row.
		ms := at.Truncate(time.Millisecond)
		if !slices.Equal(u.Roles, want.roles) || !u.CreatedAt.Equal(ms) || !u.UpdatedAt.Equal(ms) || u.CreatedAt.Location() != time.UTC {
			t.Errorf("UserByID(%s) = roles %v, created %v, updated %v; want %v, %v twice, in UTC", want.id, u.Roles, u.CreatedAt, u.UpdatedAt, want.roles, ms)
		}
	}
	for _, id := range []string{"u2", "u3", "u4"} {
		if _, err := store.UserByID(ctx, id); !errors.Is(err, user.ErrNotFound) {
			t.Errorf("UserByID(%s) = %v; want ErrNotFound", id, err)
		}
	}
	var skeleton *string
	if err := raw.QueryRow(ctx, `SELECT email_skeleton FROM users WHERE id = 'other-1'`).Scan(&skeleton); err != nil {
		t.Fatal(err)
	}
	if skeleton == nil || *skeleton != user.EmailSkeleton("paypal@example.org") {
		t.Errorf("skeleton of the other program's user = %v; want it recorded", skeleton)
	}
}

// UserLookingLike finds a look-alike by its recorded skeleton, and one
// without a skeleton by computing it, without writing.
func TestUserLookingLike(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org")
	if _, err := rawConn(t, dbURL).Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		VALUES ('other-1', 'scope@example.org', 'scope@example.org', 'x', now(), now())`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ email, want string }{
		{"\u0430dmin@example.org", "admin@example.org"},
		{"sc\u043epe@example.org", "scope@example.org"},
		{"admin@example.org", ""}, // itself
		{"nobody@example.org", ""},
	} {
		u, err := store.UserLookingLike(ctx, user.EmailSkeleton(tt.email), user.NormalizeEmail(tt.email))
		switch {
		case tt.want == "" && !errors.Is(err, user.ErrNotFound):
			t.Errorf("UserLookingLike(%q) = %q, %v; want ErrNotFound", tt.email, u.Email, err)
		case tt.want != "" && (err != nil || u.Email != tt.want):
			t.Errorf("UserLookingLike(%q) = %q, %v; want %q", tt.email, u.Email, err, tt.want)
		}
	}
}

// UpdateUser replaces the roles and writes every field; DeleteUser takes
// the roles with the user; both report a missing user.
func TestUpdateAndDeleteUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, dbURL, c := newService(t)
	u := mustRegister(t, svc, "jack@example.org", user.RoleAdmin, user.RoleViewer)
	c.Advance(time.Hour)
	u.Email, u.Roles, u.PasswordHash = "Jack.New@example.org", []user.Role{user.RoleAnalyst}, "$new$"
	u.UpdatedAt, u.DisabledAt, u.LastLoginAt, u.LockedUntil, u.FailedLogins = c.now, c.now, c.now.Add(-time.Minute), c.now.Add(time.Minute), 7
	if err := store.WithTx(ctx, func(tx user.Tx) error { return tx.UpdateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	got, err := store.UserByEmail(ctx, "jack.new@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := u
	want.UpdatedAt, want.DisabledAt = c.now.Truncate(time.Millisecond), c.now.Truncate(time.Millisecond)
	want.LastLoginAt, want.LockedUntil = c.now.Add(-time.Minute).Truncate(time.Millisecond), c.now.Add(time.Minute).Truncate(time.Millisecond)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after UpdateUser:\n got %+v\nwant %+v", got, want)
	}
	var listed user.User
	if err := store.ListUsers(ctx, user.ListOptions{}, func(u user.User) error { listed = u; return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed.Roles, want.Roles) {
		t.Errorf("listing shows roles %v; want %v (role_names kept equal to user_roles)", listed.Roles, want.Roles)
	}
	ghost := user.User{ID: "ghost", Email: "ghost@example.org", Roles: []user.Role{user.RoleViewer}}
	if err := store.WithTx(ctx, func(tx user.Tx) error { return tx.UpdateUser(ctx, ghost) }); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("UpdateUser(missing) = %v; want ErrNotFound", err)
	}
	if err := store.WithTx(ctx, func(tx user.Tx) error { return tx.DeleteUser(ctx, "ghost") }); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("DeleteUser(missing) = %v; want ErrNotFound", err)
	}
	if err := store.WithTx(ctx, func(tx user.Tx) error { return tx.DeleteUser(ctx, u.ID) }); err != nil {
		t.Fatal(err)
	}
	var links int
	if err := rawConn(t, dbURL).QueryRow(ctx, `SELECT count(*) FROM user_roles WHERE user_id = $1`, u.ID).Scan(&links); err != nil || links != 0 {
		t.Errorf("role links of the deleted user: %d, %v; want 0", links, err)
	}
}

// A foreign key of another program's table that refuses a delete is
// ErrReferenced, not a driver error, and a failed transaction writes
// nothing.
func TestDeleteReferencedUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	u := mustRegister(t, svc, "kate@example.org")
	raw := rawConn(t, dbURL)
	for _, stmt := range []string{
		`CREATE TABLE public.reports (id serial PRIMARY KEY, author text REFERENCES ctitui.users (id))`,
		`INSERT INTO public.reports (author) VALUES ('` + u.ID + `')`,
	} {
		if _, err := raw.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Delete(ctx, u.Email); !errors.Is(err, user.ErrReferenced) {
		t.Fatalf("Delete(referenced) = %v; want ErrReferenced", err)
	}
	if _, err := store.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID after the refused delete = %v", err)
	}
	n := 0
	if err := store.ListAudit(ctx, user.AuditFilter{}, func(user.AuditEntry) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("audit entries = %d, %v; want 2 (the registrations)", n, err)
	}
}

// ListAudit's filters select as on SQLite.
func TestListAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, dbURL, c := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	lou := mustRegister(t, svc, "Lou@Example.org")
	c.Advance(time.Minute)
	if _, _, err := svc.SetDisabled(ctx, lou.Email, true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Delete(ctx, lou.Email); err != nil {
		t.Fatal(err)
	}
	lou2 := mustRegister(t, svc, "lou@example.org") // a new user with the old address
	mustRegister(t, svc, "max_100%@example.org")
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 9, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// Another program records the address without naming a user.
	if _, err := rawConn(t, dbURL).Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, user_email, details) VALUES (100, now(), 'dashboard', 'note', ' LOU@example.ORG ', 'x')`); err != nil {
		t.Fatal(err)
	}
	list := func(f user.AuditFilter) []int64 {
		var got []int64
		if err := store.ListAudit(ctx, f, func(e user.AuditEntry) error {
			if e.At.Location() != time.UTC {
				t.Errorf("entry %d at %v; want UTC", e.ID, e.At)
			}
			got = append(got, e.ID)
			return nil
		}); err != nil {
			t.Fatalf("ListAudit(%+v) = %v", f, err)
		}
		return got
	}
	for _, tt := range []struct {
		f    user.AuditFilter
		want []int64
	}{
		{user.AuditFilter{}, []int64{100, 7, 6, 5, 4, 3, 2, 1}},
		{user.AuditFilter{OldestFirst: true, Limit: 3}, []int64{1, 2, 3}},
		{user.AuditFilter{BeforeID: 5, Limit: 2}, []int64{4, 3}},
		{user.AuditFilter{AfterID: 5, OldestFirst: true}, []int64{6, 7, 100}},
		{user.AuditFilter{UserID: lou.ID}, []int64{4, 3, 2}},
		{user.AuditFilter{UserID: lou2.ID}, []int64{5}},
		{user.AuditFilter{Email: "LOU@example.org"}, []int64{100, 5, 4, 3, 2}},
		{user.AuditFilter{Search: "100%"}, []int64{6}},
		{user.AuditFilter{Search: "_1"}, []int64{6}},
		{user.AuditFilter{Search: "LOCKOUT"}, []int64{7}},
		{user.AuditFilter{Search: "DISABLE"}, []int64{3}},
		{user.AuditFilter{Search: "\x00"}, nil},
		{user.AuditFilter{Email: "nobody@example.org"}, nil},
	} {
		if got := list(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("ListAudit(%+v) = %v; want %v", tt.f, got, tt.want)
		}
	}
}

// EachPasswordHash streams every user's email and hash.
func TestEachPasswordHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, _, _ := newService(t)
	want := map[string]string{}
	for i := range 3 {
		u := mustRegister(t, svc, fmt.Sprintf("h%d@example.org", i))
		want[u.Email] = u.PasswordHash
	}
	got := map[string]string{}
	if err := store.EachPasswordHash(ctx, func(email, hash string) error { got[email] = hash; return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("EachPasswordHash = %v; want %v", got, want)
	}
	stop := errors.New("stop")
	if err := store.EachPasswordHash(ctx, func(string, string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachPasswordHash with fn failing = %v; want fn's error", err)
	}
}

// The audit filter by email finds the entries of a deleted user whose
// address is not ASCII, asked for in any case and with the domain in
// punycode, as NormalizeEmail compares them.
func TestListAuditByUnicodeEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, _, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	u := mustRegister(t, svc, "JÜRGEN@Exämple.org") // SQL folds only ASCII: Go decides
	if _, err := svc.Delete(ctx, u.Email); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, svc, "jurgen@example.org")
	domain, err := idna.ToASCII("exämple.org")
	if err != nil {
		t.Fatal(err)
	}
	var got []user.Action
	if err := store.ListAudit(ctx, user.AuditFilter{Email: "JÜRGEN@" + domain, OldestFirst: true}, func(e user.AuditEntry) error {
		got = append(got, e.Action)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []user.Action{user.ActionRegister, user.ActionDelete}; !slices.Equal(got, want) {
		t.Errorf("ListAudit(email JÜRGEN@%s) = %v; want %v", domain, got, want)
	}
}
