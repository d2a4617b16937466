package user_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// TestLastEnabledAdminStays: deleting, disabling or demoting the only
// enabled admin is refused with ErrLastAdmin and changes nothing; with
// another enabled admin it goes through. A disabled admin does not count.
func TestLastEnabledAdminStays(t *testing.T) {
	ctx := context.Background()
	actions := []struct {
		name string
		do   func(svc *user.Service, email string) error
	}{
		{"delete", func(svc *user.Service, email string) error { _, err := svc.Delete(ctx, email); return err }},
		{"disable", func(svc *user.Service, email string) error {
			_, _, err := svc.SetDisabled(ctx, email, true)
			return err
		}},
		{"demote", func(svc *user.Service, email string) error {
			_, err := svc.SetRoles(ctx, email, []user.Role{user.RoleAnalyst})
			return err
		}},
	}
	for _, a := range actions {
		for _, tt := range []struct {
			name      string
			otherRole user.Role
			disableIt bool
			want      error
		}{
			{"the only admin", user.RoleAnalyst, false, user.ErrLastAdmin},
			{"beside a disabled admin", user.RoleAdmin, true, user.ErrLastAdmin},
			{"beside another enabled admin", user.RoleAdmin, false, nil},
		} {
			t.Run(a.name+" "+tt.name, func(t *testing.T) {
				svc, store, _ := newService(t)
				mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
				mustRegister(t, svc, "bo@example.org", tt.otherRole)
				if tt.disableIt {
					if _, _, err := svc.SetDisabled(ctx, "bo@example.org", true); err != nil {
						t.Fatal(err)
					}
				}
				before := dbSnapshot(t, store)
				err := a.do(svc, "ana@example.org")
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("%s ana = %v; want %v", a.name, err, tt.want)
				}
				if tt.want == nil {
					return
				}
				if u := mustGet(t, svc, "ana@example.org"); u.Disabled() || !u.HasRole(user.RoleAdmin) {
					t.Errorf("ana after the refusal: disabled %v, roles %v; want an enabled admin", u.Disabled(), u.Roles)
				}
				if dbSnapshot(t, store) != before {
					t.Errorf("the refused %s wrote to the database", a.name)
				}
				// The error says how to go on, in one line.
				for _, part := range []string{"ana@example.org is the only one", "'ctitui user set-role EMAIL --role admin'", "'ctitui user enable EMAIL'"} {
					if msg := err.Error(); !strings.Contains(msg, part) || strings.Contains(msg, "\n") {
						t.Errorf("%s ana = %q; want one line with %q", a.name, msg, part)
					}
				}
			})
		}
	}
	// Demoting an admin who keeps the admin role among others is no demotion.
	svc, _, _ := newService(t)
	mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
	if _, err := svc.SetRoles(ctx, "ana@example.org", []user.Role{user.RoleAdmin, user.RoleViewer}); err != nil {
		t.Errorf("SetRoles keeping admin = %v; want nil", err)
	}
	// Disabling or deleting a user who is not an admin needs no admin left.
	mustRegister(t, svc, "cy@example.org")
	if _, _, err := svc.SetDisabled(ctx, "cy@example.org", true); err != nil {
		t.Errorf("disable a non-admin = %v", err)
	}
}

// TestAdminsRemovingEachOtherAtOnce: two admins, each disabling or
// deleting the other at the same moment from two connections: the check
// runs inside each write transaction, so one goes through and the other is
// refused, never both.
func TestAdminsRemovingEachOtherAtOnce(t *testing.T) {
	ctx := context.Background()
	for round := range 10 {
		svc, store, _ := newService(t)
		mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
		mustRegister(t, svc, "bo@example.org", user.RoleAdmin)
		// A second Store on the same file, as another process would be.
		other := openStore(t, store.Location())
		svc2 := user.NewService(other, serviceOptions(&clock{now: time.Now()})...)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Go(func() { _, _, errs[0] = svc.SetDisabled(ctx, "bo@example.org", true) })
		wg.Go(func() {
			if round%2 == 0 {
				_, _, errs[1] = svc2.SetDisabled(ctx, "ana@example.org", true)
			} else {
				_, errs[1] = svc2.Delete(ctx, "ana@example.org")
			}
		})
		wg.Wait()
		other.Close()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, user.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		n, err := svc.Count(ctx, user.Filter{Role: user.RoleAdmin, Status: user.Active})
		if refused != 1 || err != nil || n != 1 {
			t.Errorf("round %d: %d refused (%v), %d enabled admins left (%v); want 1 and 1", round, refused, errs, n, err)
		}
	}
}

// TestImportKeepsAnEnabledAdmin: an import with --on-conflict update that
// would disable or demote every enabled admin is refused whole, dry run or
// not, and writes nothing; one that keeps, enables, promotes or adds an
// admin in the same file goes through, and one that removes no admin is
// not refused in a database that had none to begin with.
func TestImportKeepsAnEnabledAdmin(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, svc *user.Service, st testStore)
		file  string
		want  error
	}{
		{"demote the only admin", nil, "email,roles\nana@example.org,analyst\n", user.ErrLastAdmin},
		{"disable the only admin", nil, "email,disabled\nana@example.org,true\n", user.ErrLastAdmin},
		{"disable the only admin beside a disabled one", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "cy@example.org", user.RoleAdmin)
			if _, _, err := svc.SetDisabled(ctx, "cy@example.org", true); err != nil {
				t.Fatal(err)
			}
		}, "email,disabled\nana@example.org,true\n", user.ErrLastAdmin},
		{"demote one of two admins", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "cy@example.org", user.RoleAdmin)
		}, "email,roles\nana@example.org,analyst\n", nil},
		{"demote both of two admins", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "cy@example.org", user.RoleAdmin)
		}, "email,roles\nana@example.org,analyst\ncy@example.org,viewer\n", user.ErrLastAdmin},
		{"demote the admin, promote another", nil, "email,roles\nana@example.org,analyst\nbo@example.org,admin\n", nil},
		{"demote the admin, add a new one", nil, "email,roles\nana@example.org,analyst\nnew@example.org,admin\n", nil},
		{"disable the admin, enable a disabled one", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "cy@example.org", user.RoleAdmin)
			if _, _, err := svc.SetDisabled(ctx, "cy@example.org", true); err != nil {
				t.Fatal(err)
			}
		}, "email,disabled\nana@example.org,true\ncy@example.org,false\n", nil},
		{"no enabled admin before, none removed", func(t *testing.T, _ *user.Service, st testStore) {
			checkupRaw(t, st, `UPDATE users SET disabled_at = '2026-01-02T03:04:05.678Z' WHERE email = 'ana@example.org'`)
		}, "email,roles\nbo@example.org,viewer\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, dry := range []bool{true, false} {
				svc, store, _ := newService(t)
				mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
				mustRegister(t, svc, "bo@example.org")
				if tt.setup != nil {
					tt.setup(t, svc, store)
				}
				before := dbSnapshot(t, store)
				_, err := svc.Import(ctx, csvFile(tt.file), user.ImportOptions{OnConflict: user.ConflictUpdate, DryRun: dry})
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("Import (dry run %v) = %v; want %v", dry, err, tt.want)
				}
				if changed := dbSnapshot(t, store) != before; changed != (err == nil && !dry) {
					t.Errorf("Import (dry run %v) = %v and changed the database: %v", dry, err, changed)
				}
				if err != nil && !strings.Contains(err.Error(), "ana@example.org") {
					t.Errorf("Import = %v; want it to name the admin it would remove", err)
				}
			}
		})
	}
}

// TestImportRechecksTheLastAdminAtWrite: the admins are counted again in
// the import's write transaction. Another process disables the other
// admin while the import hashes: the import, which demotes ana and was
// fine when validated, is refused and writes nothing.
func TestImportRechecksTheLastAdminAtWrite(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
	mustRegister(t, svc, "cy@example.org", user.RoleAdmin)
	other := otherProcess(t, store)
	var once sync.Once
	var meantimeErr error
	opts := user.ImportOptions{OnConflict: user.ConflictUpdate}
	user.SetBeforeHash(&opts, func() {
		once.Do(func() { _, _, meantimeErr = other.SetDisabled(ctx, "cy@example.org", true) })
	})
	src := csvFile("email,roles,password\nana@example.org,analyst,\nnew@example.org,viewer," + goodPassword + "\n")
	before := countRows(t, store)
	_, err := svc.Import(ctx, src, opts)
	if meantimeErr != nil {
		t.Fatalf("disabling cy meanwhile: %v", meantimeErr)
	}
	if !errors.Is(err, user.ErrLastAdmin) {
		t.Errorf("Import = %v; want ErrLastAdmin", err)
	}
	if u := mustGet(t, svc, "ana@example.org"); !u.HasRole(user.RoleAdmin) {
		t.Errorf("ana has roles %v after the refused import; want admin", u.Roles)
	}
	if after := countRows(t, store); after.users != before.users || after.audit != before.audit+1 {
		t.Errorf("rows %+v -> %+v; want only cy's disable entry", before, after)
	}
	checkChain(t, store)
}
