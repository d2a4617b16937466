package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// The engine keeps the password-hash setting verbatim beside the lockout
// settings: "" when unset, what another program wrote as it is, and
// SetPasswordHashSetting's value, read alike through the Store and a Tx.
func TestPasswordHashSetting(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		raw  string          // written by another program first, when set
		set  password.Scheme // then stored through a Tx, when set
		want string
	}{
		{"unset", "", "", ""},
		{"bcrypt", "", password.SchemeBcrypt, "bcrypt"},
		{"argon2id over bcrypt", "bcrypt", password.SchemeArgon2id, "argon2id"},
		{"another program's value", "md5", "", "md5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			s := openStore(t, path, db.Options{})
			if tc.raw != "" {
				raw := openRawSQLite(t, path, false)
				if _, err := raw.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('password_hash', ?, '2026-01-01 00:00:00.000')`, tc.raw); err != nil {
					t.Fatal(err)
				}
			}
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			if tc.set != "" {
				if err := s.WithTx(ctx, func(tx user.Tx) error { return tx.SetPasswordHashSetting(ctx, tc.set, at) }); err != nil {
					t.Fatalf("SetPasswordHashSetting = %v", err)
				}
			}
			if got, err := s.PasswordHashSetting(ctx); err != nil || got != tc.want {
				t.Errorf("Store.PasswordHashSetting = %q, %v; want %q", got, err, tc.want)
			}
			var inTx string
			if err := s.WithTx(ctx, func(tx user.Tx) (err error) { inTx, err = tx.PasswordHashSetting(ctx); return err }); err != nil || inTx != tc.want {
				t.Errorf("Tx.PasswordHashSetting = %q, %v; want %q", inTx, err, tc.want)
			}
			if tc.set != "" {
				if got := queryStrings(t, openRawSQLite(t, path, true), `SELECT updated_at FROM settings WHERE key = 'password_hash'`); len(got) != 1 || got[0] != user.FormatTime(at) {
					t.Errorf("updated_at = %q; want [%q]", got, user.FormatTime(at))
				}
			}
			// The lockout settings are untouched.
			if p, err := s.LockoutPolicy(ctx); err != nil || p != user.DefaultLockout {
				t.Errorf("LockoutPolicy = %+v, %v; want the default", p, err)
			}
		})
	}
}
