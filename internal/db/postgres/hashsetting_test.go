package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

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
			_, s, dbURL, _ := newService(t)
			if tc.raw != "" {
				if _, err := rawConn(t, dbURL).Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('password_hash', $1, now())`, tc.raw); err != nil {
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
			if p, err := s.LockoutPolicy(ctx); err != nil || p != user.DefaultLockout {
				t.Errorf("LockoutPolicy = %+v, %v; want the default", p, err)
			}
		})
	}
}

// On PostgreSQL as on SQLite: a database whose hashes are all bcrypt keeps
// them at login and writes bcrypt for new passwords, until an admin opts in
// to argon2id; then login rewrites them.
func TestBcryptDatabaseKeepsBcrypt(t *testing.T) {
	ctx := context.Background()
	svc, _, _, _ := newService(t)
	const plain = "the platform's bcrypt passphrase"
	b, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	rec := user.ImportRecord{Line: 2, Email: "alice@example.org", Roles: []string{string(user.RoleAdmin)}, HashedPassword: string(b),
		Given: user.FieldEmail | user.FieldRoles | user.FieldHashedPassword}
	if _, err := svc.Import(ctx, records{rec}, user.ImportOptions{}); err != nil {
		t.Fatalf("Import = %v", err)
	}
	hashOf := func(email string) string {
		t.Helper()
		u, err := svc.Get(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}
	for _, step := range []struct {
		name       string
		do         func() error
		email      string
		wantPrefix string
	}{
		{"login keeps bcrypt", func() error { _, err := svc.Verify(ctx, "alice@example.org", plain); return err }, "alice@example.org", "$2a$04$"},
		{"register writes bcrypt", func() error { _, err := svc.Register(ctx, "bob@example.org", goodPassword, nil); return err }, "bob@example.org", "$2b$04$"},
		{"opt-in to argon2id", func() error { return svc.SetPasswordHashScheme(ctx, password.SchemeArgon2id) }, "alice@example.org", "$2a$04$"},
		{"login rewrites bcrypt", func() error { _, err := svc.Verify(ctx, "alice@example.org", plain); return err }, "alice@example.org", "$argon2id$"},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := hashOf(step.email); !strings.HasPrefix(got, step.wantPrefix) {
			t.Errorf("after %s: %s's hash = %q; want prefix %q", step.name, step.email, got, step.wantPrefix)
		}
	}
	hs, err := svc.PasswordHashScheme(ctx)
	if want := (user.HashScheme{Scheme: password.SchemeArgon2id, Stored: true}); err != nil || hs != want {
		t.Errorf("PasswordHashScheme = %+v, %v; want %+v", hs, err, want)
	}
}
