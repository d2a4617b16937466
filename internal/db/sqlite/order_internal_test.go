package sqlite

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// doctor --fix renumbers with the statements migration 8 runs, read from
// its marked block: the block must be there and hold the renumbering.
func TestRenumberUsersSQLIsMigration8s(t *testing.T) {
	got, err := renumberUsersSQL()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE TEMP TABLE users_renumber", "UPDATE users SET rowid", "'rebuild'", "UPDATE users_order SET in_order", "DROP TABLE temp.users_renumber;"} {
		if !strings.Contains(got, want) {
			t.Errorf("renumber block lacks %q:\n%s", want, got)
		}
	}
}

func TestRowidBetween(t *testing.T) {
	ptr := func(v int64) *int64 { return &v }
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	preferred := at.UnixMilli() * rowidStep
	outside := time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) // no preferred rowid
	tests := []struct {
		name          string
		before, after *int64
		at            time.Time
		want          int64
		wantOK        bool
	}{
		{"empty table", nil, nil, at, preferred, true},
		{"newest user", ptr(preferred - 5*rowidStep), nil, at, preferred, true},
		{"preferred fits between", ptr(1), ptr(preferred + 1), at, preferred, true},
		{"oldest user", nil, ptr(preferred + 1), at, preferred, true},
		{"clock behind the newest", ptr(preferred + 10), nil, at, preferred + 10 + rowidStep, true},
		{"preferred taken, room between", ptr(preferred), ptr(preferred + 1024), at, preferred + 512, true},
		{"older than the oldest, preferred taken", nil, ptr(preferred), at, preferred - rowidStep, true},
		{"no room", ptr(preferred), ptr(preferred + 1), at, 0, false},
		{"preferred outside the neighbours", ptr(10), ptr(20), time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), 15, true},
		{"before 1970 preferred", nil, nil, time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() * rowidStep, true},
		{"after 9999 uses the neighbours", ptr(10), nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 10 + rowidStep, true},
		{"outside the years, empty table", nil, nil, outside, 1, true},
		{"at the top of int64", ptr(math.MaxInt64 - 1), nil, outside, math.MaxInt64, true},
		{"nothing above int64", ptr(math.MaxInt64), nil, outside, 0, false},
		{"at the bottom of int64", nil, ptr(math.MinInt64 + 1), outside, math.MinInt64, true},
		{"nothing below int64", nil, ptr(math.MinInt64), outside, 0, false},
		{"across the whole range", ptr(math.MinInt64), ptr(math.MaxInt64), outside, -1, true},
	}
	for _, tt := range tests {
		got, ok := rowidBetween(tt.before, tt.after, tt.at)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: rowidBetween = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// The fast search plan is chosen only where it is right: sorted by created,
// a term of three or more characters, users in rowid order.
func TestCanListSearch(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir()+"/plan.db", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(label string, key user.SortKey, term string, want bool) {
		t.Helper()
		got, err := s.canListSearch(ctx, key, term)
		if err != nil || got != want {
			t.Errorf("%s: canListSearch(%v, %q) = %v, %v; want %v", label, key, term, got, err, want)
		}
	}
	check("in order", user.ByCreated, "exa", true)
	check("two characters", user.ByCreated, "ex", false)
	check("sorted by email", user.ByEmail, "example", false)
	check("sorted by updated", user.ByUpdated, "example", false)
	if _, err := s.db.ExecContext(ctx, `UPDATE users_order SET in_order = 0`); err != nil {
		t.Fatal(err)
	}
	check("order lost", user.ByCreated, "example", false)
}
