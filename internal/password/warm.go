package password

import (
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// heapFreeMetric is the Go heap's memory that is free and still backed by
// physical memory (not yet returned to the operating system).
const heapFreeMetric = "/memory/classes/heap/free:bytes"

var (
	// warmMu serialises prepareMemory: two callers faulting in memory at
	// once would each allocate their own.
	warmMu sync.Mutex
	// hashing counts the argon2id computations under way.
	hashing atomic.Int32
	// hashed is set once an argon2id computation has run in this process:
	// before that there are no blocks to collect.
	hashed atomic.Bool
	// pageSize is the stride at which prepareMemory touches memory.
	pageSize = os.Getpagesize()
)

// withArgon2Memory runs derive, an argon2id computation over n bytes of
// memory, after making sure the Go heap holds n free bytes already backed by
// physical memory, for argon2's block array to land on.
//
// Why: argon2.IDKey allocates its blocks afresh on every call. In a new
// process (every 'ctitui user verify') that memory comes straight from the
// operating system and is faulted in page by page, twice per page because
// argon2 reads each fresh block before it writes it: with DefaultParams
// about 9,900 faults, which made a cold hash cost about 1.8x a warm one.
// Touching the pages first by writing costs one fault each; dropping them
// and collecting lets argon2's allocation reuse them. In a process that
// hashes one password after another (user verify --batch) the previous
// hash's blocks are garbage but not yet collected when the next one
// allocates, so without the collection here the second hash faulted in
// fresh memory as well.
//
// When another computation is under way (an import hashing on every core),
// the heap is warm already and a forced collection per hash would only
// cost, so derive runs as it is.
//
// Measured in a new process hashing once with DefaultParams (medians of 30,
// load average about 1): as it was 55.5 ms; pages touched first 41.1 ms;
// MADV_POPULATE_WRITE instead of touching 42.8 ms (no better, and Linux
// only); MADV_HUGEPAGE on the region 48.5 ms, with huge pages and populate
// 37.8 ms, but runs up to 104 ms and 63 ms when the kernel compacts memory
// for a huge page, and only where transparent huge pages are "madvise" or
// "always". No GODEBUG setting helps: since Go 1.21.1 the runtime asks for
// no huge pages on the heap, and disablethp/madvdontneed only give memory
// back differently. A copy of x/crypto's argon2 with a buffer kept across
// calls would save the zeroing of the reused memory and the collection
// (a few ms) at the price of carrying a fork of crypto code.
func withArgon2Memory[T any](n uint64, derive func() T) T {
	if hashing.Add(1) == 1 {
		prepareMemory(n)
	}
	defer hashing.Add(-1)
	defer hashed.Store(true)
	return derive()
}

// prepareMemory leaves at least n bytes of free, resident memory in the Go
// heap, unless it holds them already.
func prepareMemory(n uint64) {
	warmMu.Lock()
	defer warmMu.Unlock()
	if heapFree() >= n {
		return
	}
	// The last hash's blocks are garbage: collecting them is cheaper than
	// faulting in as much again. In a new process there are none, and a
	// collection there cost more than a millisecond of CPU for nothing.
	if hashed.Load() {
		runtime.GC()
		if heapFree() >= n {
			return
		}
	}
	touch(n)
	runtime.GC()
}

// touch allocates n bytes and writes one byte per page, so that the kernel
// maps each page once, for writing. The memory is garbage on return.
//
//go:noinline
func touch(n uint64) {
	b := make([]byte, n)
	for i := 0; i < len(b); i += pageSize {
		b[i] = 1
	}
}

// heapFree returns the Go heap's free and resident bytes.
func heapFree() uint64 {
	s := []metrics.Sample{{Name: heapFreeMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
