package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// hasFinding reports whether rep holds a finding of check with severity
// whose message contains every one of parts.
func hasFinding(rep db.DoctorReport, check string, severity db.Severity, parts ...string) bool {
	found, _ := docFindings(rep, check)
	return slices.ContainsFunc(found, func(f db.Finding) bool {
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

// TestDoctorReportsCostlyHashes: stored hashes beyond the cost limits (put
// there by an older ctitui's import, an adopted database or by hand) are a
// problem: Verify refuses them, so those users cannot log in until an admin
// sets a new password. Doctor counts them, names them and says the fix;
// malformed hashes are told apart from costly ones.
func TestDoctorReportsCostlyHashes(t *testing.T) {
	path := docDB(t)
	const bcrypt15 = "$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	const argon1GiB = "$argon2id$v=19$m=1048576,t=4,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM"
	docRaw(t, path,
		`UPDATE users SET hashed_password = '`+bcrypt15+`' WHERE email = 'bo@example.org'`,
		`UPDATE users SET hashed_password = '`+argon1GiB+`' WHERE email = 'cy@example.org'`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES
			('u-bad', 'bad@example.org', 'bad@example.org', '$2b$12$tooshort', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
			('u-ok14', 'ok14@example.org', 'ok14@example.org', '$2b$14$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
	)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	_, all := docFindings(rep, "")
	if rep.Healthy() {
		t.Fatalf("costly hashes are not a problem:%s", all)
	}
	if !hasFinding(rep, "password hashes", db.SeverityProblem,
		"2 users have password hashes beyond ctitui's cost limits", "bo@example.org", "cy@example.org",
		"bcrypt cost up to 14", "'ctitui user passwd EMAIL'") {
		t.Errorf("want a problem counting and naming the 2 costly hashes, with the limits and the fix:%s", all)
	}
	if !hasFinding(rep, "password hashes", db.SeverityProblem, "1 users have a password hash ctitui cannot read") {
		t.Errorf("want the malformed bcrypt hash reported as unreadable, apart:%s", all)
	}
	// The cost-14 bcrypt hash is within the limits: outdated, not a problem.
	if !hasFinding(rep, "password hashes", db.SeverityInfo, "1 of 5 users have outdated hashes (1 bcrypt, 0 older argon2id)") {
		t.Errorf("want the cost-14 bcrypt hash reported as outdated only:%s", all)
	}
}

// TestDoctorListsAccountsLockedUntilUnlock: accounts that MaxConsecutive-
// Failures locked for good are listed apart from timed locks, with the
// command that opens them. They are information, not a problem: anyone can
// lock an account by guessing, and doctor judges the database.
func TestDoctorListsAccountsLockedUntilUnlock(t *testing.T) {
	path := docDB(t)
	docRaw(t, path,
		`UPDATE users SET failed_logins = 100 WHERE email = 'bo@example.org'`,
		`UPDATE users SET failed_logins = 140, locked_until = '2025-03-04T05:06:08.000Z' WHERE email = 'ana@example.org'`,
		`UPDATE users SET failed_logins = 5, locked_until = '2025-03-04T06:00:00.000Z' WHERE email = 'cy@example.org'`,
	)
	s := openStore(t, path, db.Options{})
	rep, err := s.Doctor(context.Background(), docOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	_, all := docFindings(rep, "")
	if !rep.Healthy() {
		t.Errorf("locked accounts made the database unhealthy:%s", all)
	}
	if !hasFinding(rep, "accounts", db.SeverityInfo,
		"2 users are locked until an admin unlocks them", "100 consecutive failed logins", "ana@example.org, bo@example.org", "'ctitui user unlock EMAIL'") {
		t.Errorf("want an info finding listing ana and bo as locked until an admin unlocks them:%s", all)
	}
	if !hasFinding(rep, "accounts", db.SeverityInfo, "1 users are locked by failed logins for a time") {
		t.Errorf("want cy counted among the timed locks, apart:%s", all)
	}
	// Doctor counts as the filters do.
	for _, tt := range []struct {
		status user.Status
		want   int
	}{{user.Locked, 3}, {user.Active, 0}} {
		if n, err := s.CountUsers(context.Background(), user.Filter{Status: tt.status, Now: docNow}); err != nil || n != tt.want {
			t.Errorf("CountUsers(status %d) = %d, %v; want %d", tt.status, n, err, tt.want)
		}
	}
}
