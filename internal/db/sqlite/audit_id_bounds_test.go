package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestAuditChainRefusesIdsItCannotGoOnFrom: a head record or a newest entry
// whose id is below 1 or the largest SQLite allows was set outside ctitui,
// and the next id would overflow or run below the log's start. Before,
// ctitui appended after a head of 9223372036854775807 with the id
// -9223372036854775808, which lists as the oldest entry and which verify
// then blamed on ctitui. Now it refuses, as for a cut log: nothing is
// written, and verify (so doctor) reports the ids.
func TestAuditChainRefusesIdsItCannotGoOnFrom(t *testing.T) {
	forge := func(id int64, moveHead bool) func(t *testing.T, raw *sql.DB) {
		// A properly chained entry with id after #6, and, with moveHead,
		// the head record moved to it: only the id is wrong.
		return func(t *testing.T, raw *sql.DB) {
			var prev string
			if err := raw.QueryRow(`SELECT hash FROM audit_log WHERE id = 6`).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			const at, actor, action, details = "2030-01-01T00:00:00.000Z", "intruder", "settings", "x"
			h := chainHash(prev, id, at, actor, action, sql.NullString{}, "", details)
			if _, err := raw.Exec(`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (?, ?, ?, ?, NULL, '', ?, ?, ?)`,
				id, at, actor, action, details, prev, h); err != nil {
				t.Fatal(err)
			}
			if !moveHead {
				return
			}
			if _, err := raw.Exec(`UPDATE audit_head SET last_id = ?, last_hash = ?`, id, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	// onlyNegative replaces the log by one chained entry with id -3, and
	// points the id counter and, with moveHead, the head record at it; else
	// the head is that of an empty log.
	onlyNegative := func(moveHead bool) func(t *testing.T, raw *sql.DB) {
		return func(t *testing.T, raw *sql.DB) {
			const at, actor, action, details = "2030-01-01T00:00:00.000Z", "intruder", "settings", "x"
			h := chainHash("", -3, at, actor, action, sql.NullString{}, "", details)
			exec(`DELETE FROM audit_log`)(t, raw)
			if _, err := raw.Exec(`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (-3, ?, ?, ?, NULL, '', ?, '', ?)`,
				at, actor, action, details, h); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE sqlite_sequence SET seq = -3 WHERE name = 'audit_log'`)(t, raw)
			headID := int64(-3)
			if !moveHead {
				headID, h = 0, ""
			}
			if _, err := raw.Exec(`UPDATE audit_head SET last_id = ?, last_hash = ?`, headID, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		tamper func(t *testing.T, raw *sql.DB)
	}{
		{"head at the largest id", exec(`UPDATE audit_head SET last_id = 9223372036854775807`)},
		{"head below 1", exec(`UPDATE audit_head SET last_id = -5`)},
		{"head at the smallest id", exec(`UPDATE audit_head SET last_id = -9223372036854775808`)},
		{"newest entry at the largest id, chained, head moved", forge(9223372036854775807, true)},
		{"newest entry at the largest id, chained", forge(9223372036854775807, false)},
		{"only entry below 0, chained, head moved", onlyNegative(true)},
		{"only entry below 0, chained, head of an empty log", onlyNegative(false)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			writeChain(t, newService(s))
			tt.tamper(t, openRawSQLite(t, s.Path(), false))
			rep := verifyChain(t, s)
			if rep.OK() || !strings.Contains(rep.String(), "no entry can follow") {
				t.Errorf("report = %v; want the ids reported as ones no entry can follow", rep)
			}
			before := auditEntries(t, s)
			_, err := newService(s).Register(ctx, "carol@example.org", "correct horse battery staple", nil)
			if err == nil || !strings.Contains(err.Error(), "ctitui makes no change until someone looks") {
				t.Errorf("Register = %v; want a refusal", err)
			}
			if after := auditEntries(t, s); len(after) != len(before) {
				t.Errorf("audit entries %d -> %d; want none written (newest now #%d)", len(before), len(after), after[0].ID)
			}
			if _, err := s.UserByEmail(ctx, "carol@example.org"); err == nil {
				t.Errorf("the user was added although its audit entry could not be written")
			}
			if again := verifyChain(t, s); again.String() != rep.String() {
				t.Errorf("after the refused write: %v; want the same report %v", again, rep)
			}
		})
	}
}
