package password_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

// phcWith is a well-formed argon2id PHC string with the given parameters
// (16-byte salt, 32-byte key). Nothing derives its key; it is for checks
// that must not compute it.
func phcWith(m, t, p uint64) string {
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, salt16, key32)
}

// bcryptWithCost is a well-formed bcrypt hash whose cost field says cost:
// a real cost-4 hash with its cost rewritten. Parsing accepts it; computing
// it would take 2^cost rounds.
func bcryptWithCost(t *testing.T, prefix string, cost int) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s%02d%s", prefix, cost, b[6:])
}

// TestCheckStoredAcceptsRealWorldDefaults: every default a deployment is
// likely to have hashed with is within the limits, so an import or an
// adopted database from it verifies.
func TestCheckStoredAcceptsRealWorldDefaults(t *testing.T) {
	tests := []struct {
		source  string
		m, t, p uint64
	}{
		{"OWASP 1 (m=47104,t=1)", 47104, 1, 1},
		{"OWASP 2, ctitui's default (m=19456,t=2)", 19456, 2, 1},
		{"OWASP 3 (m=12288,t=3)", 12288, 3, 1},
		{"OWASP 4 (m=9216,t=4)", 9216, 4, 1},
		{"OWASP 5 (m=7168,t=5), Keycloak", 7168, 5, 1},
		{"argon2-cffi and RFC 9106 low-memory (m=65536,t=3,p=4), Bitwarden", 65536, 3, 4},
		{"PHP password_hash PASSWORD_ARGON2ID (m=65536,t=4,p=1)", 65536, 4, 1},
		{"Django Argon2PasswordHasher (m=102400,t=2,p=8)", 102400, 2, 8},
		{"libsodium INTERACTIVE (64 MiB, t=2)", 65536, 2, 1},
		{"libsodium MODERATE (256 MiB, t=3)", 262144, 3, 1},
		{"Spring Security 5.8 (m=16384,t=2,p=1)", 16384, 2, 1},
		{"Spring Security 5.2 (m=4096,t=3,p=1)", 4096, 3, 1},
		{"passlib argon2 (m=65536,t=3,p=4)", 65536, 3, 4},
		{"the least argon2 allows (m=8,t=1,p=1)", 8, 1, 1},
		{"every limit at once: 256 MiB x 3, 16 lanes", 262144, 3, 16},
		{"time at its limit (24 MiB x 32)", 24576, 32, 1},
	}
	for _, tt := range tests {
		s := phcWith(tt.m, tt.t, tt.p)
		if err := password.CheckStored(s); err != nil {
			t.Errorf("%s: CheckStored(%q) = %v; want nil", tt.source, s, err)
		}
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		// passlib and pyca/bcrypt default to 12; some sites use 13 or 14.
		for cost := 4; cost <= 14; cost++ {
			s := bcryptWithCost(t, prefix, cost)
			if err := password.CheckStored(s); err != nil {
				t.Errorf("CheckStored(%q) (bcrypt cost %d) = %v; want nil", s, cost, err)
			}
		}
	}
}

// TestCheckStoredRefusesCostlyHashes: a hash that would make one verify
// cost more than the limits allow is refused as too costly, not as
// malformed, so that doctor and import can say which.
func TestCheckStoredRefusesCostlyHashes(t *testing.T) {
	tests := []struct {
		name, encoded string
	}{
		{"memory just above 256 MiB", phcWith(262145, 1, 1)},
		{"libsodium SENSITIVE (1 GiB, t=4)", phcWith(1<<20, 4, 1)},
		{"RFC 9106 first choice (2 GiB, t=1, p=4)", phcWith(1<<21, 1, 4)},
		{"argon2's own maximum memory", phcWith(1<<32-1, 1, 1)},
		{"memory above uint32", phcWith(1<<32, 1, 1)},
		{"time 33", phcWith(19456, 33, 1)},
		{"time 4294967295", phcWith(19456, 1<<32-1, 1)},
		{"17 lanes", phcWith(19456, 2, 17)},
		{"255 lanes", phcWith(65536, 1, 255)},
		{"256 MiB x 4 passes", phcWith(262144, 4, 1)},
		{"128 MiB x 7 passes", phcWith(131072, 7, 1)},
		{"24 MiB x 32 passes and one KiB more", phcWith(24577, 32, 1)},
		{"bcrypt cost 15", bcryptWithCost(t, "$2b$", 15)},
		{"bcrypt $2y$ cost 16", bcryptWithCost(t, "$2y$", 16)},
		{"bcrypt cost 31", bcryptWithCost(t, "$2a$", 31)},
	}
	for _, tt := range tests {
		err := password.CheckStored(tt.encoded)
		if !errors.Is(err, password.ErrHashTooCostly) || errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("%s: CheckStored(%q) = %v; want ErrHashTooCostly", tt.name, tt.encoded, err)
		}
		if password.IsArgon2id(tt.encoded) {
			if phc, err := password.ParsePHC(tt.encoded); !errors.Is(err, password.ErrHashTooCostly) || phc.Salt != nil {
				t.Errorf("%s: ParsePHC(%q) = %+v, %v; want ErrHashTooCostly", tt.name, tt.encoded, phc, err)
			}
		}
	}
}

// TestVerifyNeverComputesCostlyHashes: Verify refuses a stored hash beyond
// the limits before deriving anything. A computed hash would answer false
// with a nil error (the key matches no password), so the error shows that
// the work was not done.
func TestVerifyNeverComputesCostlyHashes(t *testing.T) {
	h := passwordtest.Hasher()
	for _, encoded := range []string{
		bcryptWithCost(t, "$2b$", 15),
		bcryptWithCost(t, "$2a$", 31),
		phcWith(1<<20, 4, 1),
		phcWith(262144, 4, 1),
		phcWith(19456, 2, 64),
	} {
		ok, rehash, err := h.Verify("correct horse battery staple", encoded)
		if ok || rehash || !errors.Is(err, password.ErrHashTooCostly) {
			t.Errorf("Verify(_, %q) = %v, %v, %v; want false, false, ErrHashTooCostly", encoded, ok, rehash, err)
		}
	}
}

// TestParamsValidateLimits: ctitui never hashes with parameters it would
// refuse to verify.
func TestParamsValidateLimits(t *testing.T) {
	at := password.Params{Memory: password.MaxArgon2Memory, Time: 3, Threads: password.MaxArgon2Threads, SaltLen: 16, KeyLen: 32}
	if err := at.Validate(); err != nil {
		t.Errorf("%+v.Validate() = %v; want nil (at the limits)", at, err)
	}
	for _, p := range []password.Params{
		{Memory: password.MaxArgon2Memory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: password.MaxArgon2Time + 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: password.MaxArgon2Threads + 1, SaltLen: 16, KeyLen: 32},
		{Memory: password.MaxArgon2Memory, Time: 4, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		if err := p.Validate(); !errors.Is(err, password.ErrInvalidParams) {
			t.Errorf("%+v.Validate() = %v; want ErrInvalidParams", p, err)
		}
		if _, err := password.NewHasher(p).Hash("correct horse battery staple"); !errors.Is(err, password.ErrInvalidParams) {
			t.Errorf("NewHasher(%+v).Hash() = %v; want ErrInvalidParams", p, err)
		}
	}
}

// TestVerifyRefusesOverlongPassword: a password longer than any the policy
// accepts, typed in any form, is a failure without hashing it.
func TestVerifyRefusesOverlongPassword(t *testing.T) {
	h := passwordtest.Hasher()
	longest := strings.Repeat("x", password.MaxPasswordBytes)
	encoded := mustHash(t, h, longest)
	if ok, _, err := h.Verify(longest, encoded); !ok || err != nil {
		t.Errorf("Verify(%d bytes, its hash) = %v, %v; want true, nil", len(longest), ok, err)
	}
	tooLong := longest + "x"
	ok, rehash, err := h.Verify(tooLong, encoded)
	if ok || rehash || !errors.Is(err, password.ErrPasswordTooLong) {
		t.Errorf("Verify(%d bytes, _) = %v, %v, %v; want false, false, ErrPasswordTooLong", len(tooLong), ok, rehash, err)
	}
	if ok, _, err := h.Verify(tooLong, password.NoPassword); ok || !errors.Is(err, password.ErrPasswordTooLong) {
		t.Errorf("Verify(%d bytes, %q) = %v, %v; want false, ErrPasswordTooLong", len(tooLong), password.NoPassword, ok, err)
	}
}

// TestMaxPasswordBytesHoldsEveryPolicyPassword: the byte cap on what is
// read and verified never cuts off a password the policy accepts, even one
// typed decomposed (Hangul jamo: 9 bytes become one 3-byte syllable).
func TestMaxPasswordBytesHoldsEveryPolicyPassword(t *testing.T) {
	for _, plain := range []string{
		strings.Repeat("\u1100\u1161\u11a8", password.MaxLength),         // 256 decomposed Hangul syllables
		strings.Repeat("\U0001F434", password.MaxLength),                 // 256 four-byte code points
		strings.Repeat("\u03a9\u0313\u0342\u0345", 64) + "abc",           // Greek, four code points to one
		strings.Repeat("e\u0301", password.MaxLength),                    // é decomposed
		strings.Repeat("\u1112\u1161\u11ab", password.MaxLength-1) + "x", // just under
	} {
		err := (password.Policy{MinLength: password.MinLengthFloor}).Check(plain, "")
		if err == nil && len(plain) > password.MaxPasswordBytes {
			t.Errorf("Policy accepts a %d-byte password, above MaxPasswordBytes %d", len(plain), password.MaxPasswordBytes)
		}
	}
	if password.MaxPasswordBytes < 9*password.MaxLength {
		t.Errorf("MaxPasswordBytes = %d; want at least %d (9 bytes for each of MaxLength code points)", password.MaxPasswordBytes, 9*password.MaxLength)
	}
}
