package user_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/user"
)

// TestVerifyRechecksInsideItsTransaction: Verify reads the account, then
// hashes outside any transaction, then records the login. A command that
// disables or locks the account, or sets a new password, in between must
// win: the login fails, is not recorded, and the new hash stays, even when
// the old one was outdated and the login would have replaced it.
func TestVerifyRechecksInsideItsTransaction(t *testing.T) {
	const newPassword = "a different and longer pass phrase"
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte(goodPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		setup     func(t *testing.T, h *hookedStore, email string)
		meanwhile func(t *testing.T, plain *user.Service, h *hookedStore, c *clock, email string)
		// newPassword is set when meanwhile gave the account a new password.
		newPassword bool
	}{
		{
			name: "disabled meanwhile",
			meanwhile: func(t *testing.T, plain *user.Service, _ *hookedStore, _ *clock, email string) {
				if _, _, err := plain.SetDisabled(context.Background(), email, true); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "locked for a time meanwhile",
			meanwhile: func(t *testing.T, _ *user.Service, h *hookedStore, c *clock, email string) {
				setLockout(t, h.testStore, email, 5, c.now.Add(time.Hour))
			},
		},
		{
			name: "locked until an admin unlocks it meanwhile",
			meanwhile: func(t *testing.T, _ *user.Service, h *hookedStore, _ *clock, email string) {
				setLockout(t, h.testStore, email, user.MaxConsecutiveFailures, time.Time{})
			},
		},
		{
			name: "new password meanwhile",
			meanwhile: func(t *testing.T, plain *user.Service, _ *hookedStore, _ *clock, email string) {
				if _, err := plain.SetPassword(context.Background(), email, newPassword); err != nil {
					t.Fatal(err)
				}
			},
			newPassword: true,
		},
		{
			name: "new password meanwhile, over an outdated bcrypt hash",
			setup: func(t *testing.T, h *hookedStore, email string) {
				setHash(t, h.testStore, email, string(bcryptHash))
			},
			meanwhile: func(t *testing.T, plain *user.Service, _ *hookedStore, _ *clock, email string) {
				if _, err := plain.SetPassword(context.Background(), email, newPassword); err != nil {
					t.Fatal(err)
				}
			},
			newPassword: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svc, h, plain, c := newHookedService(t)
			const email = "racer@example.org"
			if _, err := plain.Register(ctx, email, goodPassword, nil); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, h, email)
			}
			before := mustGet(t, plain, email)
			h.hook(func() { tt.meanwhile(t, plain, h, c, email) })
			if u, err := svc.Verify(ctx, email, goodPassword); !errors.Is(err, user.ErrInvalidCredentials) {
				t.Fatalf("Verify with the account changed meanwhile = %+v, %v; want %v", u, err, user.ErrInvalidCredentials)
			}
			after := mustGet(t, plain, email)
			if !after.LastLoginAt.IsZero() {
				t.Errorf("last login = %v; want none recorded", after.LastLoginAt)
			}
			if !tt.newPassword {
				if after.PasswordHash != before.PasswordHash {
					t.Errorf("stored hash changed by a failed login")
				}
				return
			}
			if after.PasswordHash == before.PasswordHash {
				t.Fatalf("stored hash is still the one from before the new password")
			}
			if _, err := plain.Verify(ctx, email, goodPassword); !errors.Is(err, user.ErrInvalidCredentials) {
				t.Errorf("Verify with the old password afterwards = %v; want %v", err, user.ErrInvalidCredentials)
			}
			if _, err := plain.Verify(ctx, email, newPassword); err != nil {
				t.Errorf("Verify with the new password afterwards = %v; want nil", err)
			}
		})
	}
}
