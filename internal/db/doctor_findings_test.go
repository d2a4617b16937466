package db_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/password"
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
		severity db.Severity
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
			want: []want{{"schema", db.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", db.LatestVersion()+1, db.LatestVersion())}}},
		},
		{
			name: "the newest migration's row removed meanwhile",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
			},
			want: []want{{"schema", db.SeverityProblem, []string{fmt.Sprintf("schema version %d, this ctitui migrates to %d", db.LatestVersion()-1, db.LatestVersion())}}},
		},
		{
			name: "a trigger whose name starts like goose's table",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `CREATE TRIGGER goose_db_version_audit AFTER INSERT ON users BEGIN SELECT 1; END`)
			},
			want: []want{{"schema", db.SeverityProblem, []string{"trigger goose_db_version_audit on users: ctitui did not create it"}}},
		},
		{
			name: "one email_normalized edited",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET email_normalized = 'someone@else.org' WHERE email = 'bo@example.org'`)
			},
			want: []want{{"emails", db.SeverityProblem, []string{"1 users have an email_normalized that does not match their email"}}},
		},
		{
			name: "an email edited into another user's",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET email = 'ANA@example.org', email_normalized = 'x@example.org' WHERE email = 'bo@example.org'`)
			},
			want:   []want{{"emails", db.SeverityProblem, []string{`"ANA@example.org" is the same address as another user's once case is ignored`}}},
			absent: []want{{"emails", db.SeverityProblem, []string{"users have an email_normalized that does not match"}}},
		},
		{
			name: "the database readable by its group",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				if err := os.Chmod(path, 0o640); err != nil {
					t.Fatal(err)
				}
			},
			want: []want{{"permissions", db.SeverityProblem, []string{"is readable or writable by others (mode 0640)"}}},
		},
		{
			name: "a lock that ends the moment doctor looks",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET failed_logins = 5, locked_until = '`+user.FormatTime(docNow)+`' WHERE email = 'bo@example.org'`)
			},
			want:   []want{{"accounts", db.SeverityOK, []string{"no disabled admins, no locked users"}}},
			absent: []want{{"accounts", db.SeverityInfo, []string{"locked by failed logins"}}},
		},
		{
			name: "a lock that ends a millisecond after doctor looks",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `UPDATE users SET failed_logins = 5, locked_until = '`+user.FormatTime(docNow.Add(time.Millisecond))+`' WHERE email = 'bo@example.org'`)
			},
			want: []want{{"accounts", db.SeverityInfo, []string{"1 users are locked by failed logins for a time"}}},
		},
		{
			name: "the newest audit entry removed",
			breaks: func(t *testing.T, _ *db.Store, path string) {
				docRaw(t, path, `DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`)
			},
			want: []want{{"audit chain", db.SeverityProblem, []string{"the newest entries were removed"}}},
		},
		{
			name:   "five disabled admins",
			breaks: disabledAdmins(5),
			want:   []want{{"accounts", db.SeverityInfo, []string{"disabled admins: admin0@example.org, admin1@example.org, admin2@example.org, admin3@example.org, admin4@example.org"}}},
			absent: []want{{"accounts", db.SeverityInfo, []string{"…"}}},
		},
		{
			name:   "six disabled admins",
			breaks: disabledAdmins(6),
			want:   []want{{"accounts", db.SeverityInfo, []string{"disabled admins: admin0@example.org, admin1@example.org, admin2@example.org, admin3@example.org, admin4@example.org, …"}}},
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

// disabledAdmins adds n disabled admins admin0@example.org... through the
// Service on s.
func disabledAdmins(n int) func(t *testing.T, s *db.Store, path string) {
	return func(t *testing.T, s *db.Store, _ string) {
		ctx := context.Background()
		svc := user.NewService(s, user.WithHasher(password.NewHasher(docParams)), user.WithActor("tester"))
		for i := range n {
			email := fmt.Sprintf("admin%d@example.org", i)
			if _, err := svc.Register(ctx, email, bkPassword, []user.Role{user.RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.SetDisabled(ctx, email, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}
