//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
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

// TestBuiltFileIsACtituiFile: benchdb writes in bulk, around ctitui's
// code, what ctitui would write: a file whose audit chain and head record
// verify, whose users are in the rowid order ctitui keeps, and which the
// store's doctor finds healthy. It uses ctitui's own chain hash and rowid
// rule (db.AuditEntryHash, sqlite.NextRowid); this catches the rest drifting.
func TestBuiltFileIsACtituiFile(t *testing.T) {
	ctx := context.Background()
	for _, fts := range []string{"rebuild", "trigger"} {
		t.Run(fts, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bench.db")
			c := config{n: 500, out: out, audit: true, seed: 1, fts: fts, batch: 64, quiet: true, verify: true}
			if err := build(ctx, c, io.Discard); err != nil {
				t.Fatalf("build: %v", err)
			}
			s, err := sqlite.Open(ctx, out, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if rep, err := s.VerifyAuditChain(ctx); err != nil || !rep.OK() || rep.Rows != c.n {
				t.Errorf("VerifyAuditChain = %v, %v; want ok over %d entries", rep, err, c.n)
			}
			if ok, err := s.UsersInOrder(ctx); err != nil || !ok {
				t.Errorf("UsersInOrder = %v, %v; want true", ok, err)
			}
			rep, err := s.Doctor(ctx, db.DoctorOptions{Full: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Severity == user.SeverityProblem {
					t.Errorf("doctor: %s: %s", f.Check, f.Message)
				}
			}
		})
	}
}
