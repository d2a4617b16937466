package db_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestDoctorFindsEachDriftAtItsEdge: each of doctor's checks, given the
// smallest drift it must report (one row, one permission bit, one
// millisecond, one entry), reports it with the right severity and words,
// and says nothing of what is just inside its rule. The file is changed
// behind an open Store, as another process or the sqlite3 shell would.
func TestDoctorFindsEachDriftAtItsEdge(t *testing.T) {
	type want struct {
		check    string
		severity user.Severity
		parts    []string
	}
	tests := []struct {
		name   string
		breaks func(t *testing.T, s *db.Store, path string)
		want   []want
		absent []want // findings that must not be there
	}{
		{
			name: "a newer schema version written meanwhile",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, 1)`, db.LatestVersion()+1))
			},
			want: []want{{"schema", user.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", db.LatestVersion()+1, db.LatestVersion())}}},
		},
		{
			name: "the newest migration's row removed meanwhile",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
			},
			want: []want{{"schema", user.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", db.LatestVersion()-1, db.LatestVersion())}}},
		},
		{
			name: "a trigger whose name starts like goose's table",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `CREATE TRIGGER goose_db_version_audit AFTER INSERT ON users BEGIN SELECT 1; END`)
			},
			want: []want{{"schema", user.SeverityProblem, []string{"trigger goose_db_version_audit on users: ctitui did not create it"}}},
		},
		{
			name: "one email_normalized edited",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET email_normalized = 'someone@else.org' WHERE email = 'bo@example.org'`)
			},
			want: []want{{"emails", user.SeverityProblem, []string{"1 users have an email_normalized that does not match their email"}}},
		},
		{
			name: "an email edited into another user's",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET email = 'ANA@example.org', email_normalized = 'x@example.org' WHERE email = 'bo@example.org'`)
			},
			want:   []want{{"emails", user.SeverityProblem, []string{`"ANA@example.org" is the same address as another user's once normalised`}}},
			absent: []want{{"emails", user.SeverityProblem, []string{"users have an email_normalized that does not match"}}},
		},
		{
			name: "the database readable by its group",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				if err := os.Chmod(path, 0o640); err != nil {
					t.Fatal(err)
				}
			},
			want: []want{{"permissions", user.SeverityProblem, []string{"is readable or writable by others (mode 0640)"}}},
		},

		{
			name: "the newest audit entry removed",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`)
			},
			want: []want{{"audit chain", user.SeverityProblem, []string{"the newest entries were removed"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := docDB(t)
			s := openStore(t, path, db.Options{})
			if rep, err := s.Doctor(context.Background(), docOptions(false)); err != nil || !rep.Healthy() {
				_, all := docFindings(rep, "")
				t.Fatalf("doctor before the drift: %v%s; want healthy", err, all)
			}
			tt.breaks(t, s, path)
			rep, err := s.Doctor(context.Background(), docOptions(false))
			if err != nil {
				t.Fatalf("Doctor = %v", err)
			}
			_, all := docFindings(rep, "")
			for _, w := range tt.want {
				if !hasFinding(rep, w.check, w.severity, w.parts...) {
					t.Errorf("no %s finding of %s saying %q; findings:%s", w.severity, w.check, w.parts, all)
				}
			}
			for _, w := range tt.absent {
				if hasFinding(rep, w.check, w.severity, w.parts...) {
					t.Errorf("a %s finding of %s says %q; want none; findings:%s", w.severity, w.check, w.parts, all)
				}
			}
		})
	}
}

// hasFinding reports whether rep holds a finding of check with severity
// whose message contains every one of parts.
func hasFinding(rep db.DoctorReport, check string, severity user.Severity, parts ...string) bool {
	found, _ := docFindings(rep, check)
	return slices.ContainsFunc(found, func(f user.Finding) bool {
		if f.Severity != severity {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(f.Message, p) {
				return false
			}
		}
		return true
	})
}
