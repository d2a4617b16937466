package password_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

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
