package user_test

import (
	"context"
	"errors"
	"testing"

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
		{"disable", func(svc *user.Service, email string) error { _, _, err := svc.SetDisabled(ctx, email, true); return err }},
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
				svc, _, _ := newService(t)
				mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
				mustRegister(t, svc, "bo@example.org", tt.otherRole)
				if tt.disableIt {
					if _, _, err := svc.SetDisabled(ctx, "bo@example.org", true); err != nil {
						t.Fatal(err)
					}
				}
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
