package main

import (
	"os"
	"strconv"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// TestGeneratedUsersAreValid checks that the benchmark's users are users
// ctitui accepts: valid addresses, none a look-alike of another (an import
// of them all would refuse it). BENCHDB_CHECK_N checks more than the
// default 20,000, as many as a benchmark file holds.
func TestGeneratedUsersAreValid(t *testing.T) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("BENCHDB_CHECK_N")); err == nil {
		n = v
	}
	g := newGenerator(1, n)
	bySkeleton := make(map[string]string, n)
	for range n {
		u := g.next()
		if _, err := user.ValidateEmail(u.email); err != nil {
			t.Fatalf("user %d: %v", u.seq, err)
		}
		if other, dup := bySkeleton[u.skeleton]; dup {
			t.Fatalf("user %d: %q looks like %q", u.seq, u.email, other)
		}
		bySkeleton[u.skeleton] = u.email
	}
}
