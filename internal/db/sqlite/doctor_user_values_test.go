package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestDoctorReportsUserValuesCtituiNeverWrites: a value in a user row that
// ctitui never writes (a count that is negative or no whole number, a time
// not in its form) is a problem doctor names, with the user, the column and
// the fix, and never a reason to stop. Before, such rows left doctor
// healthy (exit 0) while listings, exports and the user's logins failed, or
// a negative count gave free guesses; and failed_logins='abc' or X'00'
// stopped doctor with one line and no report.
func TestDoctorReportsUserValuesCtituiNeverWrites(t *testing.T) {
	const (
		lockout = "users have a failed-login count or lock time that ctitui never writes"
		unlock  = "'ctitui user unlock EMAIL'"
		times   = "users have times that are not in ctitui's form"
	)
	tests := []struct {
		name  string
		stmts []string
		parts []string
	}{
		{"a million free guesses", []string{`UPDATE users SET failed_logins = -1000000 WHERE email = 'bo@example.org'`}, []string{"1 " + lockout, `"bo@example.org" (id `, unlock}},
		{"fractional count", []string{`UPDATE users SET failed_logins = 1.5 WHERE email = 'bo@example.org'`}, []string{"1 " + lockout, `"bo@example.org"`}},
		{"text count", []string{`UPDATE users SET failed_logins = 'abc' WHERE email = 'bo@example.org'`}, []string{"1 " + lockout, `"bo@example.org"`}},
		{"blob count", []string{`UPDATE users SET failed_logins = X'00' WHERE email = 'bo@example.org'`}, []string{"1 " + lockout, `"bo@example.org"`}},
		{"lock time not a time", []string{`UPDATE users SET locked_until = 'garbage' WHERE email = 'bo@example.org'`}, []string{"1 " + lockout, `"bo@example.org"`, unlock}},
		{"lock time in another form", []string{`UPDATE users SET locked_until = '2999-01-01 00:00:00' WHERE email = 'bo@example.org'`}, []string{"1 " + lockout}},
		{"disabled_at not a time", []string{`UPDATE users SET disabled_at = 'garbage' WHERE email = 'bo@example.org'`}, []string{"1 " + times, `"bo@example.org" (id `, ": disabled_at)", "sqlite3 ", "UPDATE users SET disabled_at = strftime("}},
		{"last_login_at a blob", []string{`UPDATE users SET last_login_at = X'00' WHERE email = 'bo@example.org'`}, []string{"1 " + times, ": last_login_at)"}},
		{"updated_at in another form", []string{`UPDATE users SET updated_at = '2024-10-01 12:00:00' WHERE email = 'bo@example.org'`}, []string{"1 " + times, ": updated_at)"}},
		{"updated_at a number", []string{`UPDATE users SET updated_at = 1700000000 WHERE email = 'bo@example.org'`}, []string{"1 " + times, ": updated_at)"}},
		{"updated_at on no day", []string{`UPDATE users SET updated_at = '2025-02-29T00:00:00.000Z' WHERE email = 'bo@example.org'`}, []string{"1 " + times, ": updated_at)"}},
		{"created_at not a time", []string{`DROP TRIGGER users_created_at_immutable`, `UPDATE users SET created_at = 'x' WHERE email = 'bo@example.org'`}, []string{"1 " + times, ": created_at)", "users_created_at_immutable"}},
		{"two times of one user", []string{`UPDATE users SET disabled_at = 'a', last_login_at = 'b' WHERE email = 'cy@example.org'`}, []string{"1 " + times, `"cy@example.org" (id `, ": disabled_at, last_login_at)"}},
		{"both kinds", []string{`UPDATE users SET failed_logins = -1, disabled_at = 'a' WHERE email = 'bo@example.org'`}, []string{"1 " + lockout}},
		{"every user", []string{`UPDATE users SET failed_logins = -1`}, []string{"3 " + lockout, `"ana@example.org"`, `"bo@example.org"`, `"cy@example.org"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := docDB(t)
			writeSQLite(t, path, tt.stmts...)
			s := openStore(t, path, db.Options{})
			rep, err := s.Doctor(context.Background(), docOptions(false))
			if err != nil {
				t.Fatalf("Doctor = %v; want a report", err)
			}
			if _, all := docFindings(rep, ""); !hasFinding(rep, "user values", user.SeverityProblem, tt.parts...) || rep.Healthy() {
				t.Errorf("no user values problem saying %q; findings:%s", tt.parts, all)
			}
		})
	}
}

// TestDoctorUserValuesListsFive: the finding counts every user and names
// the first five, as other findings do, then an ellipsis from the sixth.
func TestDoctorUserValuesListsFive(t *testing.T) {
	path := docDB(t)
	s := openStore(t, path, db.Options{})
	svc := newService(s)
	for i := range 5 {
		if _, err := svc.Register(context.Background(), fmt.Sprintf("u%d@example.org", i), "correct horse battery staple", nil); err != nil {
			t.Fatal(err)
		}
	}
	writeSQLite(t, path, `UPDATE users SET locked_until = 'x'`, `UPDATE users SET last_login_at = 'y' WHERE email NOT IN ('ana@example.org', 'bo@example.org')`)
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	found, all := docFindings(rep, "user values")
	if len(found) != 2 {
		t.Fatalf("user values findings:%s; want two", all)
	}
	for _, f := range found {
		if strings.Count(f.Message, `(id `) != 5 || !strings.Contains(f.Message, ", …") {
			t.Errorf("finding %q; want five users named, then …", f.Message)
		}
	}
	if !strings.Contains(found[0].Message, "8 users") || !strings.Contains(found[1].Message, "6 users") {
		t.Errorf("findings:%s; want 8 and 6 users counted", all)
	}
}

// TestDoctorUserValuesClean: a database ctitui wrote, locks and logins
// included, has nothing to report.
func TestDoctorUserValuesClean(t *testing.T) {
	path := docDB(t)
	s := openStore(t, path, db.Options{})
	svc := newService(s)
	ctx := context.Background()
	for range 5 {
		if _, err := svc.Verify(ctx, "bo@example.org", "wrong password, wrong"); err != user.ErrInvalidCredentials {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.SetDisabled(ctx, "cy@example.org", true); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Doctor(ctx, docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, all := docFindings(rep, ""); !hasFinding(rep, "user values", user.SeverityOK) || !rep.Healthy() {
		t.Errorf("findings:%s; want user values ok and healthy", all)
	}
}

// TestDoctorReportsLockoutSettingsCtituiIgnores: a lockout setting ctitui
// cannot use falls back to the default, which may be weaker than what the
// admin set; doctor says so, and --fix stores the values ctitui applies.
// Before, such settings were ignored in silence.
func TestDoctorReportsLockoutSettingsCtituiIgnores(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string
		parts []string
	}{
		{"threshold 0", []string{`UPDATE settings SET value = '0' WHERE key = 'lockout_threshold'`}, []string{`lockout_threshold is "0"`, "applies 5 failed logins / 15 minutes"}},
		{"threshold -1", []string{`UPDATE settings SET value = '-1' WHERE key = 'lockout_threshold'`}, []string{`lockout_threshold is "-1"`}},
		{"threshold abc", []string{`UPDATE settings SET value = 'abc' WHERE key = 'lockout_threshold'`}, []string{`lockout_threshold is "abc"`}},
		{"threshold 1001", []string{`UPDATE settings SET value = '1001' WHERE key = 'lockout_threshold'`}, []string{`lockout_threshold is "1001"`}},
		{"minutes 0", []string{`UPDATE settings SET value = '0' WHERE key = 'lockout_minutes'`}, []string{`lockout_minutes is "0"`}},
		{"minutes 43201", []string{`UPDATE settings SET value = '43201' WHERE key = 'lockout_minutes'`}, []string{`lockout_minutes is "43201"`}},
		{"minutes empty", []string{`UPDATE settings SET value = '' WHERE key = 'lockout_minutes'`}, []string{`lockout_minutes is ""`}},
		{"threshold removed", []string{`DELETE FROM settings WHERE key = 'lockout_threshold'`}, []string{"lockout_threshold is missing"}},
		{"a good threshold beside a bad duration", []string{
			`UPDATE settings SET value = '3' WHERE key = 'lockout_threshold'`,
			`UPDATE settings SET value = '0' WHERE key = 'lockout_minutes'`,
		}, []string{`lockout_threshold is "3"`, `lockout_minutes is "0"`, "applies 5 failed logins / 15 minutes"}},
		{"a bad threshold beside a good duration", []string{
			`UPDATE settings SET value = 'x' WHERE key = 'lockout_threshold'`,
			`UPDATE settings SET value = '20' WHERE key = 'lockout_minutes'`,
		}, []string{`lockout_threshold is "x"`, "applies 5 failed logins / 20 minutes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := docDB(t)
			writeSQLite(t, path, tt.stmts...)
			s := openStore(t, path, db.Options{})
			applied, err := s.LockoutPolicy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Doctor(ctx, docOptions(false))
			if err != nil {
				t.Fatal(err)
			}
			if _, all := docFindings(rep, ""); !hasFinding(rep, "settings", user.SeverityProblem, tt.parts...) || rep.Healthy() {
				t.Fatalf("no settings problem saying %q; findings:%s", tt.parts, all)
			}
			rep, err = s.Doctor(ctx, docOptions(true))
			if err != nil {
				t.Fatal(err)
			}
			if f := findingOf(rep, "settings"); f.Severity != user.SeverityOK || !f.Fixed {
				_, all := docFindings(rep, "")
				t.Errorf("after --fix:%s; want the settings fixed", all)
			}
			if after, err := s.LockoutPolicy(ctx); err != nil || after != applied {
				t.Errorf("policy after --fix = %+v, %v; want %+v, the one applied before", after, err, applied)
			}
			if e := auditEntries(t, s)[0]; e.Action != user.ActionRepair || !strings.Contains(e.Details, "store the lockout settings ctitui applies") {
				t.Errorf("newest audit entry = %s %q; want the repair", e.Action, e.Details)
			}
		})
	}
}

// TestDoctorLockoutSettingsSetByCtitui: settings ctitui stored, the
// defaults or others, are fine as they are.
func TestDoctorLockoutSettingsSetByCtitui(t *testing.T) {
	ctx := context.Background()
	path := docDB(t)
	s := openStore(t, path, db.Options{})
	for _, p := range []*user.LockoutPolicy{nil, {Threshold: 3, Duration: 20 * 60e9}, {Threshold: 1000, Duration: 43200 * 60e9}} {
		if p != nil {
			if err := newService(s).SetLockout(ctx, *p); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := s.Doctor(ctx, docOptions(false))
		if err != nil {
			t.Fatal(err)
		}
		if f := findingOf(rep, "settings"); f.Severity != user.SeverityOK {
			t.Errorf("policy %+v: settings finding %+v; want ok", p, f)
		}
	}
}
