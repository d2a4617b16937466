package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// records is an ImportSource of records given in full.
type records []user.ImportRecord

func (r records) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	for _, rec := range r {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// An import writes its users, roles and audit entries in one bulk
// transaction; an update on conflict replaces roles; a record the store
// refuses (a look-alike of a user added meanwhile) rolls everything back.
func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, dbURL, _ := newService(t)
	mustRegister(t, svc, "admin@example.org", user.RoleAdmin)
	var recs records
	for i := range 300 {
		recs = append(recs, user.ImportRecord{Line: i + 2, Given: user.FieldEmail | user.FieldRoles | user.FieldHashedPassword,
			Email: fmt.Sprintf("imported%03d@example.org", i), Roles: []string{"viewer", "analyst"}[i%2 : i%2+1], HashedPassword: "!"})
	}
	rep, err := svc.Import(ctx, recs, user.ImportOptions{})
	if err != nil || rep.Added != 300 {
		t.Fatalf("Import = %+v, %v; want 300 added", rep, err)
	}
	if n, err := store.CountUsers(ctx, user.Filter{Role: user.RoleViewer}); n != 150 || err != nil {
		t.Errorf("viewers after import = %d, %v; want 150", n, err)
	}

	update := records{{Line: 2, Given: user.FieldEmail | user.FieldRoles, Email: "IMPORTED000@example.org", Roles: []string{"admin", "viewer"}}}
	if rep, err := svc.Import(ctx, update, user.ImportOptions{OnConflict: user.ConflictUpdate}); err != nil || rep.Updated != 1 {
		t.Fatalf("Import(update) = %+v, %v; want 1 updated", rep, err)
	}
	u, err := svc.Get(ctx, "imported000@example.org")
	if err != nil || !slices.Equal(u.Roles, []user.Role{user.RoleAdmin, user.RoleViewer}) || u.Email != "IMPORTED000@example.org" {
		t.Errorf("after the update: %+v, %v; want roles admin,viewer and the new spelling", u, err)
	}

	before := 0
	if err := store.ListAudit(ctx, user.AuditFilter{}, func(user.AuditEntry) error { before++; return nil }); err != nil {
		t.Fatal(err)
	}
	// Another program adds a user that a record of the next import looks
	// like, as the import starts writing (its last reading of the
	// records): the first record is written, the second refused, and
	// nothing of the import stays.
	raw := rawConn(t, dbURL)
	src := func(emails ...string) sourceFunc {
		return func(ctx context.Context, fn func(user.ImportRecord) error) error {
			for i, email := range emails {
				if err := fn(user.ImportRecord{Line: i + 2, Given: user.FieldEmail | user.FieldHashedPassword, Email: email, HashedPassword: "!"}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	reads := 0
	counting := src("count1@example.org", "count2@example.org")
	if _, err := svc.Import(ctx, sourceFunc(func(ctx context.Context, fn func(user.ImportRecord) error) error {
		reads++
		return counting(ctx, fn)
	}), user.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before += 2 // their entries
	calls := 0
	refused := src("new1@example.org", "paypa1@example.org") // 1 for l
	hooked := sourceFunc(func(ctx context.Context, fn func(user.ImportRecord) error) error {
		if calls++; calls == reads {
			if _, err := raw.Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
				VALUES ('other-1', 'paypal@example.org', 'paypal@example.org', 'x', now(), now())`); err != nil {
				return err
			}
		}
		return refused(ctx, fn)
	})
	if _, err := svc.Import(ctx, hooked, user.ImportOptions{}); !errors.Is(err, user.ErrLookAlike) {
		t.Fatalf("Import(look-alike added meanwhile) = %v; want ErrLookAlike", err)
	}
	if _, err := svc.Get(ctx, "new1@example.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(first record of the refused import) = %v; want ErrNotFound", err)
	}
	after := 0
	if err := store.ListAudit(ctx, user.AuditFilter{}, func(user.AuditEntry) error { after++; return nil }); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("audit entries after the refused import: %d; want %d", after, before)
	}
	if n := verifyChain(t, raw); n != before {
		t.Errorf("chain of %d entries; want %d", n, before)
	}
}

// sourceFunc is an ImportSource made of a function.
type sourceFunc func(ctx context.Context, fn func(user.ImportRecord) error) error

func (f sourceFunc) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	return f(ctx, fn)
}
