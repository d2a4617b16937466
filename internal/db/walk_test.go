package db_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// entry is the n-th test entry, about no user.
func entry(n int) user.AuditEntry {
	return user.AuditEntry{At: time.Date(2026, 1, 2, 3, 4, n, 0, time.UTC), Actor: "ana", Action: user.ActionRegister,
		UserEmail: fmt.Sprintf("u%d@example.org", n)}
}

// sealed appends to rows the row ctitui writes for e after them.
func sealed(rows []db.AuditRow, id int64, e user.AuditEntry) []db.AuditRow {
	prev := ""
	if len(rows) > 0 {
		prev = rows[len(rows)-1].Hash.String
	}
	return appendRow(rows, id, prev, e)
}

// restarted appends to rows a restart entry sealed over them.
func restarted(rows []db.AuditRow, id int64) []db.AuditRow {
	seal := db.NewSegmentSeal()
	for _, r := range rows {
		seal.Add(r, r.ContentHash(r.PrevHash.String))
	}
	return appendRow(rows, id, seal.Sum(), user.AuditEntry{At: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Actor: "bo",
		Action: user.ActionRestartChain, Details: "reason: INC-1"})
}

func appendRow(rows []db.AuditRow, id int64, prev string, e user.AuditEntry) []db.AuditRow {
	r := db.EntryRow(id, prev, e)
	r.Hash = sql.NullString{String: r.ContentHash(prev), Valid: true}
	return append(rows, r)
}

func walk(rows []db.AuditRow, watch int64) *db.ChainWalk {
	w := db.NewChainWalk(watch)
	for _, r := range rows {
		w.Add(r)
	}
	return w
}

func TestChainWalk(t *testing.T) {
	whole := sealed(sealed(sealed(nil, 1, entry(1)), 2, entry(2)), 3, entry(3))
	changed := append([]db.AuditRow(nil), whole...)
	changed[1].Details = "changed"
	unsealed := append([]db.AuditRow(nil), whole...)
	unsealed[2].Hash, unsealed[2].PrevHash = sql.NullString{}, sql.NullString{}
	tests := []struct {
		name     string
		rows     []db.AuditRow
		brokenAt int64
		broken   int
		problem  string // in Problem
		restarts int
	}{
		{"empty", nil, 0, 0, "", 0},
		{"whole", whole, 0, 0, "", 0},
		{"a row changed", changed, 2, 1, "content was changed", 0},
		{"a row deleted", []db.AuditRow{whole[0], whole[2]}, 3, 1, "does not follow", 0},
		{"a row never sealed", unsealed, 3, 1, "not sealed", 0},
		{"a break restarted", sealed(restarted(changed, 4), 5, entry(5)), 0, 0, "", 1},
		{"a restart over rows changed since", func() []db.AuditRow {
			rows := sealed(restarted(changed, 4), 5, entry(5))
			rows[0].Actor = "mallory"
			return rows
		}(), 1, 3, "content was changed", 0}, // rows 1 and 2, and the restart
	}
	for _, tt := range tests {
		got := walk(tt.rows, 0).Report()
		if got.Rows != len(tt.rows) || got.BrokenAt != tt.brokenAt || got.Broken != tt.broken ||
			!strings.Contains(got.Problem, tt.problem) || len(got.Restarts) != tt.restarts {
			t.Errorf("%s: walk = %+v; want %d rows, broken at #%d (%d broken, %q), %d restarts",
				tt.name, got, len(tt.rows), tt.brokenAt, tt.broken, tt.problem, tt.restarts)
		}
		if len(tt.rows) > 0 && (got.HeadID != tt.rows[len(tt.rows)-1].ID || got.HeadHash != tt.rows[len(tt.rows)-1].Hash.String) {
			t.Errorf("%s: head %d:%s; want the last row's", tt.name, got.HeadID, got.HeadHash)
		}
	}
}

func TestChainWalkSealAndAnchor(t *testing.T) {
	whole := sealed(sealed(sealed(nil, 1, entry(1)), 2, entry(2)), 3, entry(3))
	changed := append([]db.AuditRow(nil), whole...)
	changed[1].Details = "changed"
	// The seal of a walk is what a restart after the rows carries.
	if got, want := walk(changed, 0).Seal(), restarted(changed, 4)[3].PrevHash.String; got != want {
		t.Errorf("Seal() = %s; want %s, a restart's prev_hash", got, want)
	}
	afterRestart := sealed(restarted(changed, 4), 5, entry(5))
	tests := []struct {
		name   string
		rows   []db.AuditRow
		anchor int64  // the anchored entry, watched
		hash   string // the anchored hash
		want   string // "" for no error, else in the error
	}{
		{"whole", whole, 3, whole[2].Hash.String, ""},
		{"missing", whole[:2], 3, whole[2].Hash.String, "no longer exists"},
		{"another hash", whole, 2, strings.Repeat("0", 64), "no longer has the anchored hash"},
		{"after a changed row", changed, 3, whole[2].Hash.String, "no longer verify up to it"},
		{"after a restart of the break", afterRestart, 5, afterRestart[4].Hash.String, ""},
	}
	for _, tt := range tests {
		err := db.CheckAnchor(tt.anchor, tt.hash, walk(tt.rows, tt.anchor).Watched())
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: CheckAnchor = %v; want %q", tt.name, err, tt.want)
		}
	}
}

func TestParseAnchor(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		anchor string
		id     int64
		ok     bool
	}{
		{"7:" + hash, 7, true},
		{"7", 0, false},
		{"0:" + hash, 0, false},
		{"-1:" + hash, 0, false},
		{"7:" + strings.ToUpper(hash), 0, false},
		{"7:" + hash[:63], 0, false},
		{"x:" + hash, 0, false},
	}
	for _, tt := range tests {
		id, got, err := db.ParseAnchor(tt.anchor)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, db.ErrBadAnchor)) || id != tt.id || (tt.ok && got != hash) {
			t.Errorf("ParseAnchor(%q) = %d, %q, %v; want %d, ok %v", tt.anchor, id, got, err, tt.id, tt.ok)
		}
	}
}
