package db_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestAuditChainEndSaysWhatHappened: each way the end of the log can
// disagree with the head record and the id counter is reported as what it
// is, at the smallest cut that shows it: one entry, not several.
func TestAuditChainEndSaysWhatHappened(t *testing.T) {
	tests := []struct {
		name    string
		entries int // written by ctitui first
		tamper  func(t *testing.T, raw *sql.DB)
		rows    int
		want    string // in EndProblem
	}{
		{
			name:    "the only entry deleted",
			entries: 1,
			tamper:  exec(`DELETE FROM audit_log`),
			rows:    0,
			want:    "the log is empty but its head record names entry #1: every entry was removed",
		},
		{
			name:    "the newest entry deleted and the head rewritten to the one before",
			entries: 6,
			tamper: exec(`DELETE FROM audit_log WHERE id = 6`,
				`UPDATE audit_head SET last_id = 5, last_hash = (SELECT hash FROM audit_log WHERE id = 5)`),
			rows: 5,
			want: "the log ends at entry #5 but ids were given up to #6",
		},
		{
			name:    "an entry chained properly but written outside ctitui",
			entries: 6,
			tamper: func(t *testing.T, raw *sql.DB) {
				var prev string
				if err := raw.QueryRow(`SELECT hash FROM audit_log WHERE id = 6`).Scan(&prev); err != nil {
					t.Fatal(err)
				}
				const at, actor, action, details = "2030-01-01T00:00:00.000Z", "intruder", "register", "roles=admin"
				h := chainHash(prev, 7, at, actor, action, sql.NullString{}, "mallory@example.org", details)
				if _, err := raw.Exec(`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (7, ?, ?, ?, NULL, 'mallory@example.org', ?, ?, ?)`,
					at, actor, action, details, prev, h); err != nil {
					t.Fatal(err)
				}
			},
			rows: 7,
			want: "entries after #6, the newest its head record names, were written outside ctitui",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
			if tt.entries == 1 {
				if _, err := chainService(s).Register(context.Background(), "alice@example.org", "correct horse battery staple", nil); err != nil {
					t.Fatal(err)
				}
			} else {
				writeChain(t, chainService(s))
			}
			if got := len(auditEntries(t, s)); got != tt.entries {
				t.Fatalf("%d audit entries before tampering; want %d", got, tt.entries)
			}
			tt.tamper(t, openRawSQLite(t, s.Path(), false))
			rep := verifyChain(t, s)
			if rep.OK() || rep.Rows != tt.rows || !strings.Contains(rep.EndProblem, tt.want) {
				t.Errorf("report = %+v; want %d rows and the end problem %q", rep, tt.rows, tt.want)
			}
		})
	}
}
