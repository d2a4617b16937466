package password_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

func mustHash(t *testing.T, h *password.Hasher, plain string) string {
	t.Helper()
	encoded, err := h.Hash(plain)
	if err != nil {
		t.Fatalf("Hash(%q) error: %v", plain, err)
	}
	return encoded
}

func TestHashFormat(t *testing.T) {
	p := passwordtest.Params
	h := password.NewHasher(p)
	encoded := mustHash(t, h, "correct horse battery staple")
	if want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", p.Memory, p.Time, p.Threads); !strings.HasPrefix(encoded, want) {
		t.Fatalf("Hash() = %q; want prefix %q", encoded, want)
	}
	if parts := strings.Split(encoded, "$"); len(parts) != 6 || strings.Contains(parts[4]+parts[5], "=") {
		t.Errorf("Hash() = %q; want six fields, unpadded base64", encoded)
	}
	phc, err := password.ParsePHC(encoded)
	if err != nil {
		t.Fatalf("ParsePHC(Hash()) error: %v", err)
	}
	if phc.Params != p {
		t.Errorf("ParsePHC(Hash()).Params = %+v; want %+v", phc.Params, p)
	}
	if got := phc.String(); got != encoded {
		t.Errorf("ParsePHC(%q).String() = %q; want the same string", encoded, got)
	}
	if again := mustHash(t, h, "correct horse battery staple"); again == encoded {
		t.Errorf("Hash twice gave the same string %q; want fresh salts", again)
	}
}

// TestHashDefaultParams checks the production format once: one DefaultParams
// hash and one verification (about 50 ms each).
func TestHashDefaultParams(t *testing.T) {
	h := password.NewHasher(password.DefaultParams)
	if got := h.Params(); got != password.DefaultParams {
		t.Fatalf("Params() = %+v; want %+v", got, password.DefaultParams)
	}
	encoded := mustHash(t, h, "correct horse battery staple")
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(encoded, want) {
		t.Fatalf("Hash() = %q; want prefix %q", encoded, want)
	}
	// 16-byte salt and 32-byte key: 22 and 43 base64 characters.
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("Hash() = %q; want 22-character salt and 43-character key", encoded)
	}
	ok, rehash, err := h.Verify("correct horse battery staple", encoded)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashInvalidParams(t *testing.T) {
	tests := []password.Params{
		{},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 7, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 1<<21 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 65, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 65, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 7, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 65},
	}
	for _, p := range tests {
		h := password.NewHasher(p)
		if got, err := h.Hash("correct horse battery staple"); !errors.Is(err, password.ErrInvalidParams) {
			t.Errorf("NewHasher(%+v).Hash() = %q, %v; want ErrInvalidParams", p, got, err)
		}
		h.DummyVerify("correct horse battery staple") // must not panic
	}
}

func TestVerify(t *testing.T) {
	h := passwordtest.Hasher()
	const plain = "correct horse battery staple"
	encoded := mustHash(t, h, plain)
	other := passwordtest.Params
	other.Time = 2
	stale := mustHash(t, password.NewHasher(other), plain)
	longKey := passwordtest.Params
	longKey.KeyLen = 64
	staleKey := mustHash(t, password.NewHasher(longKey), plain)
	// Hash does not apply the policy; odd bytes still round-trip.
	invalid := mustHash(t, h, "\xff\xfe\x00")

	tests := []struct {
		name       string
		plain      string
		encoded    string
		ok, rehash bool
	}{
		{"right", plain, encoded, true, false},
		{"wrong", "correct horse battery stapler", encoded, false, false},
		{"empty", "", encoded, false, false},
		{"case", strings.ToUpper(plain), encoded, false, false},
		{"stale params", plain, stale, true, true},
		{"stale params, wrong", "Tr0ub4dor&3", stale, false, false},
		{"stale key length", plain, staleKey, true, true},
		{"invalid UTF-8", "\xff\xfe\x00", invalid, true, false},
		{"invalid UTF-8, wrong", "\xff\xfe", invalid, false, false},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify(tt.plain, tt.encoded)
		if ok != tt.ok || rehash != tt.rehash || err != nil {
			t.Errorf("%s: Verify(%q, %q) = %v, %v, %v; want %v, %v, nil", tt.name, tt.plain, tt.encoded, ok, rehash, err, tt.ok, tt.rehash)
		}
	}
}

func TestVerifyNFC(t *testing.T) {
	h := passwordtest.Hasher()
	const composed = "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"       // é as one code point
	const decomposed = "cafe\u0301 cre\u0300me bru\u0302le\u0301e" // e + combining accent
	if composed == decomposed {
		t.Fatal("test strings are equal; want different encodings")
	}
	for _, tt := range []struct{ hashed, typed string }{
		{composed, decomposed},
		{decomposed, composed},
		{composed, composed},
	} {
		encoded := mustHash(t, h, tt.hashed)
		ok, rehash, err := h.Verify(tt.typed, encoded)
		if !ok || rehash || err != nil {
			t.Errorf("Verify(%q, Hash(%q)) = %v, %v, %v; want true, false, nil", tt.typed, tt.hashed, ok, rehash, err)
		}
	}
}

// Known-answer vectors produced by other argon2id implementations. A stored
// hash written by them must verify here.
var argon2idVectors = []struct {
	source, plain, encoded string
	keyHex                 string // raw tag, when the source publishes it
}{
	{
		// Reference implementation's test suite, P-H-C/phc-winner-argon2
		// src/test.c: hashtest(version, 2, 16, 1, "password", "somesalt", ...),
		// also printed by the Debian argon2 CLI (0~20171227):
		// echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32
		source:  "phc-winner-argon2 src/test.c, m=65536",
		plain:   "password",
		encoded: "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		keyHex:  "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7",
	},
	{
		// phc-winner-argon2 src/test.c: hashtest(version, 2, 8, 1, ...).
		source:  "phc-winner-argon2 src/test.c, m=256",
		plain:   "password",
		encoded: "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
	},
	{
		// phc-winner-argon2 src/test.c: hashtest(version, 2, 8, 2, ...),
		// two lanes.
		source:  "phc-winner-argon2 src/test.c, p=2",
		plain:   "password",
		encoded: "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
	},
	{
		// Debian argon2 CLI (reference implementation) with a UTF-8
		// password in NFC and a 16-byte salt, by hand:
		// printf 'caf\xc3\xa9 au lait' | argon2 saltysaltysalt16 -id -t 1 -k 64 -p 1 -l 32 -e
		source:  "argon2 CLI, UTF-8 password",
		plain:   "caf\u00e9 au lait",
		encoded: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM",
	},
	{
		// The same hash, typed decomposed: NFC makes it verify.
		source:  "argon2 CLI, UTF-8 password typed decomposed",
		plain:   "cafe\u0301 au lait",
		encoded: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM",
	},
}

func TestVerifyKnownAnswers(t *testing.T) {
	h := password.NewHasher(password.DefaultParams)
	for _, v := range argon2idVectors {
		ok, rehash, err := h.Verify(v.plain, v.encoded)
		// The vectors' parameters differ from DefaultParams: a match
		// must ask for a rehash.
		if !ok || !rehash || err != nil {
			t.Errorf("%s: Verify(%q, %q) = %v, %v, %v; want true, true, nil", v.source, v.plain, v.encoded, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(v.plain+"x", v.encoded)
		if ok || rehash || err != nil {
			t.Errorf("%s: Verify(%q, %q) = %v, %v, %v; want false, false, nil", v.source, v.plain+"x", v.encoded, ok, rehash, err)
		}
		if v.keyHex == "" {
			continue
		}
		phc, err := password.ParsePHC(v.encoded)
		if err != nil {
			t.Fatalf("%s: ParsePHC(%q) error: %v", v.source, v.encoded, err)
		}
		if got := hex.EncodeToString(phc.Key); got != v.keyHex {
			t.Errorf("%s: ParsePHC(%q).Key = %s; want %s", v.source, v.encoded, got, v.keyHex)
		}
		if got := string(phc.Salt); got != "somesalt" {
			t.Errorf("%s: ParsePHC(%q).Salt = %q; want %q", v.source, v.encoded, got, "somesalt")
		}
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h := passwordtest.Hasher()
	const plain = "correct horse battery staple"
	b, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	b2b := string(b)
	if !strings.HasPrefix(b2b, "$2a$") && !strings.HasPrefix(b2b, "$2b$") {
		t.Fatalf("bcrypt.GenerateFromPassword = %q; want $2a$ or $2b$", b2b)
	}
	// Python's bcrypt writes $2b$, PHP's $2y$; the algorithm is the same.
	asB := "$2b$" + b2b[4:]
	asY := "$2y$" + b2b[4:]
	asA := "$2a$" + b2b[4:]
	tooLong := strings.Repeat("a", 73)
	b72, err := bcrypt.GenerateFromPassword([]byte(tooLong[:72]), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, plain, encoded string
		ok                   bool
	}{
		{"$2a$", plain, asA, true},
		{"$2b$", plain, asB, true},
		{"$2y$", plain, asY, true},
		{"$2b$ wrong", plain + "!", asB, false},
		{"$2y$ wrong", "", asY, false},
		{"72 bytes", tooLong[:72], string(b72), true},
		// Vectors from pyca/bcrypt's test suite (tests/test_bcrypt.py),
		// the library passlib uses.
		{"pyca $2b$", "Kk4DQuMMfZL9o", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", true},
		{"pyca $2b$ wrong", "Kk4DQuMMfZL9O", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false},
		{"pyca $2a$", "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", true},
		{"pyca $2y$", "\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", true},
		{"pyca $2y$ two", "\xff\xff\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", true},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify(tt.plain, tt.encoded)
		// A bcrypt match always needs a rehash to argon2id.
		if ok != tt.ok || rehash != tt.ok || err != nil {
			t.Errorf("%s: Verify(%q, %q) = %v, %v, %v; want %v, %v, nil", tt.name, tt.plain, tt.encoded, ok, rehash, err, tt.ok, tt.ok)
		}
	}

	// bcrypt ignores bytes after the 72nd; Verify refuses instead of
	// letting tooLong match the hash of its first 72 bytes.
	if ok, rehash, err := h.Verify(tooLong, string(b72)); ok || rehash || !errors.Is(err, password.ErrBcryptTooLong) {
		t.Errorf("Verify(73 bytes, %q) = %v, %v, %v; want false, false, ErrBcryptTooLong", b72, ok, rehash, err)
	}
}

// TestVerifyBcryptRaw checks that bcrypt compares raw bytes, as Python did:
// a decomposed password does not match the hash of the composed one.
func TestVerifyBcryptRaw(t *testing.T) {
	h := passwordtest.Hasher()
	b, err := bcrypt.GenerateFromPassword([]byte("caf\u00e9 au lait"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify("cafe\u0301 au lait", string(b)); ok || err != nil {
		t.Errorf("Verify(decomposed, bcrypt(composed)) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyErrors(t *testing.T) {
	h := passwordtest.Hasher()
	good := mustHash(t, h, "correct horse battery staple")
	tests := []struct {
		name, encoded string
		want          error
	}{
		{"empty", "", password.ErrUnsupportedHash},
		{"plain text", "correct horse battery staple", password.ErrUnsupportedHash},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), password.ErrUnsupportedHash},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", password.ErrUnsupportedHash},
		{"md5-crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", password.ErrUnsupportedHash},
		{"$2x$", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", password.ErrUnsupportedHash},
		{"truncated argon2id", good[:len(good)-10], password.ErrMalformedHash},
		{"argon2id huge memory", "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", password.ErrHashTooCostly},
		{"truncated bcrypt", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD", password.ErrMalformedHash},
		{"bcrypt bad cost", "$2b$xx$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrMalformedHash},
		{"bcrypt cost 31", "$2b$31$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrHashTooCostly},
		{"bcrypt cost 15", "$2b$15$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrHashTooCostly},
		{"bcrypt one character short", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE", password.ErrMalformedHash},
		{"bcrypt one character long", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEmm", password.ErrMalformedHash},
		{"bcrypt cost 3", "$2b$03$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrMalformedHash},
		{"bcrypt bad salt", "$2b$04$!!!!!!!!!!!!!!!!!!!!!!026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrMalformedHash},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify("correct horse battery staple", tt.encoded)
		if ok || rehash || !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify(_, %q) = %v, %v, %v; want false, false, %v", tt.name, tt.encoded, ok, rehash, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "correct horse") {
			t.Errorf("%s: Verify error %q contains the password", tt.name, err)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	h := passwordtest.Hasher()
	// It has no result to check; it must run the same work as Verify
	// and not panic on any input.
	for _, plain := range []string{"", "correct horse battery staple", "\xff\xfe", strings.Repeat("é", 1000)} {
		h.DummyVerify(plain)
	}
}

// allocated returns how many bytes of heap f allocated: argon2id with m KiB
// of memory allocates m KiB, so this sees a hash being computed without
// timing one.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestVerifyFailuresCostOneHash: a Verify that fails without computing the
// stored hash (no password set, a password too long, a hash refused) spends
// one hash with the Hasher's parameters, and no more however long the
// password: an attacker chooses its length.
func TestVerifyFailuresCostOneHash(t *testing.T) {
	const memory = 4 << 10 // KiB
	h := password.NewHasher(password.Params{Memory: memory, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	stored, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("a", 64<<20)
	tests := []struct {
		name, plain, encoded string
		wantErr              bool
	}{
		{"no password set", "correct horse battery staple", password.NoPassword, false},
		{"no password set, a huge password", huge, password.NoPassword, true},
		{"a password over MaxPasswordBytes", strings.Repeat("a", password.MaxPasswordBytes+1), stored, true},
		{"a huge password", huge, stored, true},
		{"a hash beyond the cost limits", "correct horse battery staple", "$argon2id$v=19$m=1048576,t=4,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM", true},
	}
	const hashBytes = memory << 10
	for _, tt := range tests {
		var ok, rehash bool
		var err error
		n := allocated(func() { ok, rehash, err = h.Verify(tt.plain, tt.encoded) })
		if ok || rehash || (err != nil) != tt.wantErr {
			t.Errorf("%s: Verify = %v, %v, %v; want false, false, error %v", tt.name, ok, rehash, err, tt.wantErr)
		}
		if n < hashBytes {
			t.Errorf("%s: Verify allocated %d bytes; want at least %d, one hash", tt.name, n, hashBytes)
		}
		// One hash and its bookkeeping, not a copy of the password.
		if n > 2*hashBytes {
			t.Errorf("%s: Verify allocated %d bytes; want at most %d, one hash", tt.name, n, 2*hashBytes)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	encoded, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify("correct horse battery staple", encoded); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDummyVerifyDefault(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	for b.Loop() {
		h.DummyVerify("correct horse battery staple")
	}
}
