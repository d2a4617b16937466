package password_test

import (
	"os"
	"runtime/debug"
	"syscall"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

// minorFaults returns the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return ru.Minflt
}

// TestHashMemoryFaults counts the page faults of argon2id with
// DefaultParams, which stand for the time the kernel spends mapping its
// memory: about two per page of the block array when argon2 gets fresh
// memory (it reads each block before writing it), one per page when the
// memory is faulted in by writing first, and next to none when a hash
// reuses the memory of the one before. Not parallel: the count is the
// whole process's.
func TestHashMemoryFaults(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector faults in shadow pages of its own: page counts say nothing under -race")
	}
	h := password.NewHasher(password.DefaultParams)
	pages := int64(password.DefaultParams.Memory) << 10 / int64(os.Getpagesize())
	hash := func() int64 {
		t.Helper()
		before := minorFaults(t)
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			t.Fatalf("Hash: %v", err)
		}
		return minorFaults(t) - before
	}

	// As in a new process: no free memory left in the heap.
	debug.FreeOSMemory()
	if got, limit := hash(), pages*3/2; got > limit {
		t.Errorf("cold Hash: %d page faults; want at most %d (%d pages of argon2 memory, faulted once each)", got, limit, pages)
	}
	hash()
	// Reused memory faults next to nothing (about 30 at idle); the bound
	// leaves room for what the rest of the process faults meanwhile (817
	// seen under load), far below a fresh block array's pages.
	if got, limit := hash(), pages/2; got > limit {
		t.Errorf("Hash after a Hash: %d page faults; want at most %d (the previous hash's memory reused)", got, limit)
	}
	// What a failed verify leaves behind (user.Service.Verify frees the
	// heap's memory): the next hash is cold again, and faults once a page.
	debug.FreeOSMemory()
	if got, limit := hash(), pages*3/2; got > limit {
		t.Errorf("Hash after FreeOSMemory: %d page faults; want at most %d", got, limit)
	}
}
