package user_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

const (
	bcryptPass = "bcrypt passphrase of the platform"
	argonPass  = "argon2id passphrase of ctitui"
)

// seedHashes imports one user per hash (NoPassword, bcrypt or argon2id of
// the passphrases above) as an adopted database holds them; an import of
// hashes records no scheme.
func seedHashes(t *testing.T, svc *user.Service, kinds ...string) {
	t.Helper()
	var recs []user.ImportRecord
	for i, kind := range kinds {
		r := user.ImportRecord{Email: string(rune('a'+i)) + "-" + kind + "@example.org", Roles: []string{string(user.RoleAdmin)}}
		switch kind {
		case "bcrypt":
			b, err := bcrypt.GenerateFromPassword([]byte(bcryptPass), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			r.HashedPassword = string(b)
		case "argon2id":
			r.HashedPassword = cheapHash(t, argonPass)
		case "none":
		default:
			t.Fatalf("unknown hash kind %q", kind)
		}
		recs = append(recs, r)
	}
	mustImport(t, svc, lined(recs...), user.ImportOptions{})
}

// The default of a database without the setting: bcrypt only when every
// stored hash is bcrypt and there is one.
func TestPasswordHashSchemeJudged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hashes []string
		want   password.Scheme
	}{
		{"empty database", nil, password.SchemeArgon2id},
		{"only accounts without a password", []string{"none", "none"}, password.SchemeArgon2id},
		{"all argon2id", []string{"argon2id", "argon2id"}, password.SchemeArgon2id},
		{"all bcrypt", []string{"bcrypt", "bcrypt"}, password.SchemeBcrypt},
		{"bcrypt and no password", []string{"none", "bcrypt"}, password.SchemeBcrypt},
		{"bcrypt then argon2id", []string{"bcrypt", "argon2id"}, password.SchemeArgon2id},
		{"argon2id then bcrypt", []string{"argon2id", "bcrypt"}, password.SchemeArgon2id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			seedHashes(t, svc, tc.hashes...)
			got, err := svc.PasswordHashScheme(context.Background())
			if want := (user.HashScheme{Scheme: tc.want}); err != nil || got != want {
				t.Errorf("PasswordHashScheme = %+v, %v; want %+v, nil", got, err, want)
			}
		})
	}
}

// The judgement is recorded by the first write that needs it, and holds
// from then on, whatever hashes other programs add.
func TestPasswordHashSchemeRecordedOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, svc *user.Service) error
	}{
		{"login", func(t *testing.T, svc *user.Service) error {
			_, err := svc.Verify(ctx, "a-bcrypt@example.org", bcryptPass)
			return err
		}},
		{"register", func(t *testing.T, svc *user.Service) error {
			_, err := svc.Register(ctx, "new@example.org", goodPassword, nil)
			return err
		}},
		{"passwd", func(t *testing.T, svc *user.Service) error {
			_, err := svc.SetPassword(ctx, "a-bcrypt@example.org", goodPassword)
			return err
		}},
		{"import of a password", func(t *testing.T, svc *user.Service) error {
			_, err := svc.Import(ctx, lined(user.ImportRecord{Email: "imp@example.org", Password: goodPassword}), user.ImportOptions{})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			seedHashes(t, svc, "bcrypt")
			if err := tc.write(t, svc); err != nil {
				t.Fatalf("write: %v", err)
			}
			// Another program adds an argon2id hash: judged again, the
			// database would be argon2id.
			seedHashes(t, svc, "none", "none", "none", "none", "none", "none", "none", "argon2id")
			got, err := svc.PasswordHashScheme(ctx)
			if want := (user.HashScheme{Scheme: password.SchemeBcrypt, Stored: true}); err != nil || got != want {
				t.Errorf("PasswordHashScheme after the %s = %+v, %v; want %+v, nil", tc.name, got, err, want)
			}
		})
	}
}

// A dry-run import and a failed login write nothing, not even the scheme.
func TestPasswordHashSchemeNotRecordedWithoutAWrite(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	seedHashes(t, svc, "bcrypt")
	if _, err := svc.Import(ctx, lined(user.ImportRecord{Email: "imp@example.org", Password: goodPassword}), user.ImportOptions{DryRun: true}); err != nil {
		t.Fatalf("dry-run import: %v", err)
	}
	if _, err := svc.Verify(ctx, "a-bcrypt@example.org", "wrong "+bcryptPass); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Fatalf("Verify(wrong password) = %v; want ErrInvalidCredentials", err)
	}
	got, err := svc.PasswordHashScheme(ctx)
	if want := (user.HashScheme{Scheme: password.SchemeBcrypt}); err != nil || got != want {
		t.Errorf("PasswordHashScheme = %+v, %v; want %+v, nil", got, err, want)
	}
}

// What a login leaves stored, by scheme: a bcrypt database keeps bcrypt
// hashes (and rewrites argon2id ones as bcrypt); argon2id rewrites bcrypt.
func TestVerifyRehashFollowsTheScheme(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		seed       []string
		set        password.Scheme // "" leaves the judgement
		email      string
		plain      string
		wantPrefix string
		wantRehash bool
	}{
		{"judged bcrypt keeps bcrypt", []string{"bcrypt"}, "", "a-bcrypt@example.org", bcryptPass, "$2a$04$", false},
		{"chosen bcrypt keeps bcrypt", []string{"bcrypt", "argon2id"}, password.SchemeBcrypt, "a-bcrypt@example.org", bcryptPass, "$2a$04$", false},
		{"chosen bcrypt rewrites argon2id", []string{"bcrypt", "argon2id"}, password.SchemeBcrypt, "b-argon2id@example.org", argonPass, "$2b$04$", true},
		{"judged argon2id rewrites bcrypt", []string{"bcrypt", "argon2id"}, "", "a-bcrypt@example.org", bcryptPass, "$argon2id$", true},
		{"chosen argon2id rewrites bcrypt", []string{"bcrypt"}, password.SchemeArgon2id, "a-bcrypt@example.org", bcryptPass, "$argon2id$", true},
		{"chosen argon2id keeps argon2id", []string{"bcrypt", "argon2id"}, password.SchemeArgon2id, "b-argon2id@example.org", argonPass, "$argon2id$", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			seedHashes(t, svc, tc.seed...)
			if tc.set != "" {
				if err := svc.SetPasswordHashScheme(ctx, tc.set); err != nil {
					t.Fatalf("SetPasswordHashScheme(%s) = %v", tc.set, err)
				}
			}
			before, err := svc.Get(ctx, tc.email)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Verify(ctx, tc.email, tc.plain); err != nil {
				t.Fatalf("Verify = %v; want nil", err)
			}
			after, err := svc.Get(ctx, tc.email)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(after.PasswordHash, tc.wantPrefix) {
				t.Errorf("hash after login = %q; want prefix %q", after.PasswordHash, tc.wantPrefix)
			}
			if rehashed := after.PasswordHash != before.PasswordHash; rehashed != tc.wantRehash {
				t.Errorf("hash rewritten at login = %v; want %v", rehashed, tc.wantRehash)
			}
			if _, err := svc.Verify(ctx, tc.email, tc.plain); err != nil {
				t.Errorf("second Verify = %v; want nil", err)
			}
			var rehashes int
			if err := svc.Audit(ctx, user.AuditFilter{}, func(e user.AuditEntry) error {
				if e.Action == user.ActionRehash {
					rehashes++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 0, true: 1}[tc.wantRehash]; rehashes != want {
				t.Errorf("rehash audit entries = %d; want %d", rehashes, want)
			}
		})
	}
}

// register, passwd and import write the scheme in force, and refuse, as a
// policy error, a password bcrypt cannot hash whole.
func TestNewPasswordsUseTheScheme(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("ä", 30) + " ok then fine" // 73 bytes
	for _, tc := range []struct {
		name       string
		seed       []string
		wantPrefix string
		wantLong   bool // a 73-byte password is accepted
	}{
		{"bcrypt database", []string{"bcrypt"}, "$2b$04$", false},
		{"argon2id database", []string{"argon2id"}, "$argon2id$", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			seedHashes(t, svc, tc.seed...)
			writes := []struct {
				what  string
				write func(email, plain string) error
			}{
				{"register", func(email, plain string) error {
					_, err := svc.Register(ctx, email, plain, nil)
					return err
				}},
				{"passwd", func(email, plain string) error {
					if _, err := svc.Register(ctx, email, goodPassword, nil); err != nil {
						return err
					}
					_, err := svc.SetPassword(ctx, email, plain)
					return err
				}},
				{"import", func(email, plain string) error {
					rep, err := svc.Import(ctx, lined(user.ImportRecord{Email: email, Password: plain}), user.ImportOptions{})
					if errors.Is(err, user.ErrInvalidRecords) && len(rep.Errors) == 1 {
						return rep.Errors[0]
					}
					return err
				}},
			}
			for i, w := range writes {
				email := "user-" + string(rune('a'+i)) + "@example.org"
				if err := w.write(email, goodPassword+" "+w.what); err != nil {
					t.Fatalf("%s: %v", w.what, err)
				}
				u, err := svc.Get(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(u.PasswordHash, tc.wantPrefix) {
					t.Errorf("%s wrote %q; want prefix %q", w.what, u.PasswordHash, tc.wantPrefix)
				}
				if _, err := svc.Verify(ctx, email, goodPassword+" "+w.what); err != nil {
					t.Errorf("Verify after %s = %v; want nil", w.what, err)
				}
				longEmail := "long" + string(rune('0'+i)) + "-" + email
				err = w.write(longEmail, long)
				if tc.wantLong && err != nil {
					t.Errorf("%s of a 73-byte password = %v; want nil", w.what, err)
				}
				if !tc.wantLong && !errors.Is(err, password.ErrPolicy) {
					t.Errorf("%s of a 73-byte password = %v; want a policy error", w.what, err)
				}
			}
		})
	}
}

// Changing the setting is audited with what applied before; setting what
// is stored changes nothing; an unknown scheme is refused.
func TestSetPasswordHashScheme(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	seedHashes(t, svc, "bcrypt")
	if err := svc.SetPasswordHashScheme(ctx, "md5"); err == nil {
		t.Errorf("SetPasswordHashScheme(md5) = nil; want an error")
	}
	for _, sc := range []password.Scheme{password.SchemeArgon2id, password.SchemeArgon2id, password.SchemeBcrypt} {
		if err := svc.SetPasswordHashScheme(ctx, sc); err != nil {
			t.Fatalf("SetPasswordHashScheme(%s) = %v", sc, err)
		}
		got, err := svc.PasswordHashScheme(ctx)
		if want := (user.HashScheme{Scheme: sc, Stored: true}); err != nil || got != want {
			t.Errorf("PasswordHashScheme after setting %s = %+v, %v; want %+v", sc, got, err, want)
		}
	}
	var details []string
	if err := svc.Audit(ctx, user.AuditFilter{OldestFirst: true}, func(e user.AuditEntry) error {
		if e.Action == user.ActionSettings {
			details = append(details, e.Details)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"password hash bcrypt -> argon2id", "password hash argon2id -> bcrypt"}
	if strings.Join(details, "|") != strings.Join(want, "|") {
		t.Errorf("settings audit entries = %q; want %q", details, want)
	}
}

// Checkup calls outdated what the scheme rewrites at login.
func TestCheckupHashesFollowTheScheme(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		seed []string
		set  password.Scheme
		want string
	}{
		{"judged bcrypt", []string{"bcrypt", "bcrypt"}, "", "all 2 use bcrypt, this database's password hash setting"},
		{"chosen bcrypt", []string{"bcrypt", "argon2id"}, password.SchemeBcrypt, "1 of 2 users have hashes other than this database's bcrypt at cost 4 (1 argon2id, 0 bcrypt of a lower cost); each is rewritten as bcrypt at its next successful login"},
		{"judged argon2id", []string{"bcrypt", "argon2id"}, "", "1 of 2 users have outdated hashes (1 bcrypt, 0 older argon2id); each is replaced at its next successful login"},
		{"chosen argon2id", []string{"bcrypt", "bcrypt"}, password.SchemeArgon2id, "2 of 2 users have outdated hashes (2 bcrypt, 0 older argon2id); each is replaced at its next successful login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			seedHashes(t, svc, tc.seed...)
			if tc.set != "" {
				if err := svc.SetPasswordHashScheme(ctx, tc.set); err != nil {
					t.Fatal(err)
				}
			}
			findings, err := svc.Checkup(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				if f.Check == "password hashes" {
					got = append(got, f.Message)
				}
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("password hashes findings = %q; want [%q]", got, tc.want)
			}
		})
	}
}
