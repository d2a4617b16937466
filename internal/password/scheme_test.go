package password_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

func TestParseScheme(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    password.Scheme
		wantErr bool
	}{
		{"argon2id", password.SchemeArgon2id, false},
		{"bcrypt", password.SchemeBcrypt, false},
		{"", "", true},
		{"BCRYPT", "", true},
		{"bcrypt_sha256", "", true},
		{"argon2", "", true},
	} {
		got, err := password.ParseScheme(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseScheme(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// The production hasher writes bcrypt at cost 12 as $2b$, the prefix
// passlib and pyca/bcrypt write, and verifies it without a rehash.
func TestHashSchemeBcryptDefaultCost(t *testing.T) {
	h := password.NewHasher(password.DefaultParams)
	if got := h.BcryptCost(); got != password.DefaultBcryptCost || got < 12 {
		t.Fatalf("BcryptCost() = %d; want DefaultBcryptCost %d, at least 12", got, password.DefaultBcryptCost)
	}
	const plain = "correct horse battery staple"
	encoded, err := h.HashScheme(password.SchemeBcrypt, plain)
	if err != nil {
		t.Fatalf("HashScheme(bcrypt) error: %v", err)
	}
	if !strings.HasPrefix(encoded, "$2b$12$") || len(encoded) != 60 {
		t.Fatalf("HashScheme(bcrypt) = %q; want a 60-character $2b$12$ hash", encoded)
	}
	if err := password.CheckStored(encoded); err != nil {
		t.Errorf("CheckStored(%q) = %v; want nil", encoded, err)
	}
	ok, rehash, err := h.VerifyScheme(password.SchemeBcrypt, plain, encoded)
	if !ok || rehash || err != nil {
		t.Errorf("VerifyScheme(bcrypt, own hash) = %v, rehash %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashSchemeCheap(t *testing.T) {
	h := passwordtest.Hasher()
	const plain = "Grüße aus dem Lagezentrum"
	for _, tc := range []struct {
		scheme password.Scheme
		prefix string
	}{
		{password.SchemeArgon2id, "$argon2id$"},
		{password.SchemeBcrypt, "$2b$04$"},
	} {
		encoded, err := h.HashScheme(tc.scheme, plain)
		if err != nil {
			t.Fatalf("HashScheme(%s) error: %v", tc.scheme, err)
		}
		if !strings.HasPrefix(encoded, tc.prefix) {
			t.Errorf("HashScheme(%s) = %q; want prefix %q", tc.scheme, encoded, tc.prefix)
		}
		for _, s := range []password.Scheme{password.SchemeArgon2id, password.SchemeBcrypt} {
			if ok, _, err := h.VerifyScheme(s, plain, encoded); !ok || err != nil {
				t.Errorf("VerifyScheme(%s, %s hash) = %v, %v; want true, nil", s, tc.scheme, ok, err)
			}
			if ok, _, err := h.VerifyScheme(s, plain+"!", encoded); ok || err != nil {
				t.Errorf("VerifyScheme(%s, wrong password, %s hash) = %v, %v; want false, nil", s, tc.scheme, ok, err)
			}
		}
	}
	if _, err := h.HashScheme("md5", plain); err == nil {
		t.Errorf("HashScheme(md5) = nil error; want a refusal")
	}
}

// bcrypt keeps only 72 bytes. Rather than truncate (the rest of the
// password would count for nothing) or pre-hash (passlib's bcrypt could not
// verify the result), a longer password is refused for bcrypt.
func TestHashSchemeBcryptRefusesLongPasswords(t *testing.T) {
	h := passwordtest.Hasher()
	at72 := strings.Repeat("ä", 36)       // 72 bytes, 36 characters
	over := strings.Repeat("ä", 36) + "x" // 73 bytes, 37 characters
	if _, err := h.HashScheme(password.SchemeBcrypt, at72); err != nil {
		t.Errorf("HashScheme(bcrypt, 72 bytes) error: %v; want nil", err)
	}
	if _, err := h.HashScheme(password.SchemeBcrypt, over); !errors.Is(err, password.ErrBcryptTooLong) {
		t.Errorf("HashScheme(bcrypt, 73 bytes) error: %v; want ErrBcryptTooLong", err)
	}
	if _, err := h.HashScheme(password.SchemeArgon2id, over); err != nil {
		t.Errorf("HashScheme(argon2id, 73 bytes) error: %v; want nil", err)
	}
	for _, tc := range []struct {
		scheme  password.Scheme
		plain   string
		wantErr bool
	}{
		{password.SchemeBcrypt, strings.Repeat("a", 72), false},
		{password.SchemeBcrypt, over, true},
		{password.SchemeArgon2id, over, false},
	} {
		err := tc.scheme.Check(tc.plain)
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, password.ErrPolicy)) {
			t.Errorf("Scheme(%s).Check(%d bytes) = %v; want error %v, a policy error", tc.scheme, len(tc.plain), err, tc.wantErr)
		}
	}
}

// Which verified hashes a scheme rewrites: under argon2id, bcrypt and other
// argon2id parameters (as before); under bcrypt, argon2id and bcrypt below
// the hasher's cost, never a bcrypt hash at or above it, whatever its prefix.
func TestVerifySchemeRehash(t *testing.T) {
	h := passwordtest.Hasher() // bcrypt cost 4
	hc := passwordtest.Hasher().WithBcryptCost(5)
	const plain = "correct horse battery staple"
	b4, err := bcrypt.GenerateFromPassword([]byte(plain), 4)
	if err != nil {
		t.Fatal(err)
	}
	b5, err := bcrypt.GenerateFromPassword([]byte(plain), 5)
	if err != nil {
		t.Fatal(err)
	}
	argon := mustHash(t, h, plain)
	other := mustHash(t, password.NewHasher(password.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}), plain)
	long := strings.Repeat("x", 80)
	argonLong := mustHash(t, h, long)
	for _, tc := range []struct {
		name       string
		h          *password.Hasher
		scheme     password.Scheme
		plain      string
		encoded    string
		wantRehash bool
	}{
		{"argon2id: own argon2id", h, password.SchemeArgon2id, plain, argon, false},
		{"argon2id: other argon2id", h, password.SchemeArgon2id, plain, other, true},
		{"argon2id: bcrypt", h, password.SchemeArgon2id, plain, string(b4), true},
		{"bcrypt: bcrypt at the cost", h, password.SchemeBcrypt, plain, string(b4), false},
		{"bcrypt: $2y$ at the cost", h, password.SchemeBcrypt, plain, "$2y$" + string(b4)[4:], false},
		{"bcrypt: bcrypt above the cost", h, password.SchemeBcrypt, plain, string(b5), false},
		{"bcrypt: bcrypt below the cost", hc, password.SchemeBcrypt, plain, string(b4), true},
		{"bcrypt: argon2id", h, password.SchemeBcrypt, plain, argon, true},
		{"bcrypt: argon2id of a password bcrypt cannot keep", h, password.SchemeBcrypt, long, argonLong, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := tc.h.VerifyScheme(tc.scheme, tc.plain, tc.encoded)
			if !ok || err != nil || rehash != tc.wantRehash {
				t.Errorf("VerifyScheme = %v, rehash %v, %v; want true, rehash %v, nil", ok, rehash, err, tc.wantRehash)
			}
		})
	}
}

func TestWithBcryptCostBounds(t *testing.T) {
	for _, tc := range []struct {
		cost    int
		wantErr bool
	}{
		{password.MinBcryptCost - 1, true},
		{password.MinBcryptCost, false},
		{password.MaxBcryptCost + 1, true},
	} {
		h := passwordtest.Hasher().WithBcryptCost(tc.cost)
		_, err := h.HashScheme(password.SchemeBcrypt, "correct horse battery staple")
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, password.ErrInvalidParams)) {
			t.Errorf("WithBcryptCost(%d).HashScheme(bcrypt) error = %v; want error %v (ErrInvalidParams)", tc.cost, err, tc.wantErr)
		}
	}
}
