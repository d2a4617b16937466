package db_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// The expected hashes below were computed outside Go, by a separate
// implementation of the encoding the chain documents (SHA-256 over the
// version string, prev_hash and each column as "length:bytes\n", NULL as
// "-1:\n"). Every engine's chain depends on them: a change here breaks
// every ctitui database already written.
const (
	firstHash  = "99d6cba5c9abfa76f57db7ee03c1754ead65ab9e934b30f6165feb905beb1d3e"
	secondHash = "cc5ef7f35c8f7352028153b5e484f1874cbfece99399e3807ba1f1110efc3ef8"
)

var (
	first = user.AuditEntry{At: time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.UTC), Actor: "ana",
		Action: user.ActionRegister, UserID: "0b1c", UserEmail: "bo@example.org", Details: "roles: admin"}
	// No user (a NULL user_id), a time in another zone, text beyond ASCII
	// (lengths are in bytes).
	second = user.AuditEntry{At: time.Date(2026, 1, 2, 4, 4, 6, 0, time.FixedZone("CET", 3600)), Actor: "ana",
		Action: "set-lockout", Details: "threshold 5 → 10"}
)

func TestAuditEntryHash(t *testing.T) {
	tests := []struct {
		name  string
		prev  string
		id    int64
		entry user.AuditEntry
		want  string
	}{
		{"first entry, about a user", "", 1, first, firstHash},
		{"second entry, about no user", firstHash, 2, second, secondHash},
	}
	for _, tt := range tests {
		if got := db.AuditEntryHash(tt.prev, tt.id, tt.entry); got != tt.want {
			t.Errorf("%s: AuditEntryHash(%q, %d, ...) = %s; want %s", tt.name, tt.prev, tt.id, got, tt.want)
		}
		// The row an engine stores hashes the same as the entry it came from.
		row := db.EntryRow(tt.id, tt.prev, tt.entry)
		if got := row.ContentHash(tt.prev); got != tt.want {
			t.Errorf("%s: EntryRow(...).ContentHash(%q) = %s; want %s", tt.name, tt.prev, got, tt.want)
		}
	}
}

func TestEntryRow(t *testing.T) {
	got := db.EntryRow(2, firstHash, second)
	want := db.AuditRow{ID: 2, At: "2026-01-02T03:04:06.000Z", Actor: "ana", Action: "set-lockout",
		Details: "threshold 5 → 10", PrevHash: sql.NullString{String: firstHash, Valid: true}}
	if got != want {
		t.Errorf("EntryRow(2, ...) = %+v; want %+v", got, want)
	}
	if got := db.EntryRow(1, "", first); got.UserID != (sql.NullString{String: "0b1c", Valid: true}) || got.PrevHash != (sql.NullString{Valid: true}) {
		t.Errorf("EntryRow(1, \"\", ...) has user_id %+v, prev_hash %+v; want \"0b1c\" and \"\" (not NULL)", got.UserID, got.PrevHash)
	}
}

func TestSegmentSeal(t *testing.T) {
	chained := func(id int64, prev, hash string) db.AuditRow {
		return db.AuditRow{ID: id, PrevHash: sql.NullString{String: prev, Valid: true}, Hash: sql.NullString{String: hash, Valid: true}}
	}
	tests := []struct {
		name string
		rows []db.AuditRow
		// contents are the rows' content hashes, given as verify has them.
		contents []string
		want     string
	}{
		{"no rows", nil, nil, "a28420a8096142fbbd4a9caa3fffe28e8be532b52a5b3dfa8deac60489aafbe2"},
		{"two chained rows", []db.AuditRow{chained(1, "", firstHash), chained(2, firstHash, secondHash)},
			[]string{firstHash, secondHash}, "d2ca82f29fe61b3ee9d839eee9f58be0997b7d61d92b2256658afb3687ec5489"},
		{"a row written outside ctitui (NULL hashes)", []db.AuditRow{{ID: 3}}, []string{"x"},
			"1d485cf5a8ebec9cd9fe74f23bcdb21809f0fe69ff87e1e1af917d3f68b87b36"},
	}
	for _, tt := range tests {
		s := db.NewSegmentSeal()
		for i, r := range tt.rows {
			s.Add(r, tt.contents[i])
		}
		if got := s.Sum(); got != tt.want {
			t.Errorf("%s: seal = %s; want %s", tt.name, got, tt.want)
		}
	}
}

// TestChainReportInPeoplesWords: one entry is "1 entry", not "1 entries".
func TestChainReportInPeoplesWords(t *testing.T) {
	for _, tt := range []struct {
		rep  db.ChainReport
		want string
	}{
		{db.ChainReport{Rows: 1, HeadID: 1, HeadHash: "h"}, "audit chain: ok, 1 entry, head 1:h"},
		{db.ChainReport{Rows: 2, HeadID: 2, HeadHash: "h"}, "audit chain: ok, 2 entries, head 2:h"},
		{db.ChainReport{Rows: 1, HeadID: 1, BrokenAt: 1, Problem: "p", Broken: 1}, "audit chain: broken at entry #1: p (1 of 1 entry fails a check)"},
	} {
		if got := tt.rep.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
}
