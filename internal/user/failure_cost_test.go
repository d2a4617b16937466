package user_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// allocated returns how many bytes of heap f allocated, by every goroutine:
// a lower bound on what f itself allocated cannot be wrong by noise.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestEveryFailedVerifySpendsAHashAndAWrite: whatever failed (an unknown
// email, a disabled or locked account, a hash that cannot or must not be
// computed, a password that is too long), a failed Verify costs a hash with
// the Service's parameters and a write transaction, as a wrong password
// does, so that its cost does not tell which failure it was. The failure
// floor is off: it would hide a missing hash. An argon2id hash with m KiB
// of memory allocates m KiB, which is what is measured; the floor's own
// tests measure time.
func TestEveryFailedVerifySpendsAHashAndAWrite(t *testing.T) {
	ctx := context.Background()
	params := password.Params{Memory: 4 << 10, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	const hashBytes = 4 << 20
	svc, h, plain, _ := newHookedService(t, user.WithHasher(password.NewHasher(params)))
	// These compute the stored hash itself, which is cheaper than the
	// Service's: a bcrypt of cost 4, an argon2id of 8 KiB. The floor
	// evens them out.
	ownHash := map[string]bool{"bcrypt, wrong password": true, "argon2id m=8,t=1, wrong password": true}
	for _, tc := range failureCases(t, plain, h.testStore) {
		t.Run(tc.name, func(t *testing.T) {
			txs := h.txs.Load()
			var err error
			n := allocated(func() { _, err = svc.Verify(ctx, tc.email, tc.plain) })
			if !errors.Is(err, user.ErrInvalidCredentials) {
				t.Fatalf("Verify(%q) = %v; want %v", tc.email, err, user.ErrInvalidCredentials)
			}
			if got := h.txs.Load() - txs; got < 1 {
				t.Errorf("Verify(%q) ran %d write transactions; want at least 1", tc.email, got)
			}
			if !ownHash[tc.name] && n < hashBytes {
				t.Errorf("Verify(%q) allocated %d bytes; want at least %d, one hash with the Service's parameters", tc.email, n, hashBytes)
			}
			if _, _, err := plain.Unlock(ctx, tc.email); err != nil && !errors.Is(err, user.ErrNotFound) {
				t.Fatal(err)
			}
		})
	}
}
