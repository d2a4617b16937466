package user_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// checkupRaw runs stmts on the store's file as another tool would.
func checkupRaw(t *testing.T, store testStore, stmts ...string) {
	t.Helper()
	raw := shellDB(t, store)
	for _, stmt := range stmts {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// hasFinding reports whether findings hold one of check with severity
// whose message contains every one of parts.
func hasFinding(findings []user.Finding, check string, severity user.Severity, parts ...string) bool {
	return slices.ContainsFunc(findings, func(f user.Finding) bool {
		if f.Check != check || f.Severity != severity {
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

func dumpFindings(findings []user.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("\n  " + f.Check + " " + f.Severity.String() + ": " + f.Message)
	}
	return b.String()
}

// TestCheckupReportsCostlyHashes: stored hashes beyond the cost limits (put
// there by an older ctitui's import, an adopted database or by hand) are a
// problem: Verify refuses them, so those users cannot log in until an admin
// sets a new password. The checkup counts them, names them and says the
// fix; malformed hashes are told apart from costly ones.
func TestCheckupReportsCostlyHashes(t *testing.T) {
	svc, store, _ := newService(t)
	for _, email := range []string{"ana@example.org", "bo@example.org", "cy@example.org"} {
		mustRegister(t, svc, email)
	}
	const bcrypt15 = "$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	const argon1GiB = "$argon2id$v=19$m=1048576,t=4,p=1$c2FsdHlzYWx0eXNhbHQxNg$kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM"
	checkupRaw(t, store,
		`UPDATE users SET hashed_password = '`+bcrypt15+`' WHERE email = 'bo@example.org'`,
		`UPDATE users SET hashed_password = '`+argon1GiB+`' WHERE email = 'cy@example.org'`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES
			('u-bad', 'bad@example.org', 'bad@example.org', '$2b$12$tooshort', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
			('u-ok14', 'ok14@example.org', 'ok14@example.org', '$2b$14$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
	)
	got, err := svc.Checkup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all := dumpFindings(got)
	if user.Healthy(got) {
		t.Fatalf("costly hashes are not a problem:%s", all)
	}
	if !hasFinding(got, "password hashes", user.SeverityProblem,
		"2 users have password hashes beyond ctitui's cost limits", "bo@example.org", "cy@example.org",
		"bcrypt cost up to 14", "'ctitui user passwd EMAIL'") {
		t.Errorf("want a problem counting and naming the 2 costly hashes, with the limits and the fix:%s", all)
	}
	if !hasFinding(got, "password hashes", user.SeverityProblem, "1 users have a password hash ctitui cannot read") {
		t.Errorf("want the malformed bcrypt hash reported as unreadable, apart:%s", all)
	}
	// The cost-14 bcrypt hash is within the limits: outdated, not a problem.
	if !hasFinding(got, "password hashes", user.SeverityInfo, "1 of 5 users have outdated hashes (1 bcrypt, 0 older argon2id)") {
		t.Errorf("want the cost-14 bcrypt hash reported as outdated only:%s", all)
	}
}

// TestCheckupListsAccountsLockedUntilUnlock: accounts that MaxConsecutive-
// Failures locked for good are listed apart from timed locks, with the
// command that opens them. They are information, not a problem: anyone can
// lock an account by guessing.
func TestCheckupListsAccountsLockedUntilUnlock(t *testing.T) {
	svc, store, c := newService(t)
	mustRegister(t, svc, "ana@example.org", user.RoleAdmin)
	mustRegister(t, svc, "bo@example.org")
	mustRegister(t, svc, "cy@example.org")
	until := user.FormatTime(c.now.Add(10 * time.Minute))
	checkupRaw(t, store,
		`UPDATE users SET failed_logins = 100 WHERE email = 'bo@example.org'`,
		`UPDATE users SET failed_logins = 140, locked_until = '`+until+`' WHERE email = 'ana@example.org'`,
		`UPDATE users SET failed_logins = 5, locked_until = '`+until+`' WHERE email = 'cy@example.org'`,
	)
	got, err := svc.Checkup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all := dumpFindings(got)
	if !user.Healthy(got) {
		t.Errorf("locked accounts made the checkup unhealthy:%s", all)
	}
	if !hasFinding(got, "accounts", user.SeverityInfo,
		"2 users are locked until an admin unlocks them", "100 consecutive failed logins", "ana@example.org, bo@example.org", "'ctitui user unlock EMAIL'") {
		t.Errorf("want an info finding listing ana and bo as locked until an admin unlocks them:%s", all)
	}
	if !hasFinding(got, "accounts", user.SeverityInfo, "1 users are locked by failed logins for a time") {
		t.Errorf("want cy counted among the timed locks, apart:%s", all)
	}
	// The checkup counts as the filters do.
	for _, tt := range []struct {
		status user.Status
		want   int
	}{{user.Locked, 3}, {user.Blocked, 2}, {user.Active, 0}} {
		if n, err := svc.Count(context.Background(), user.Filter{Status: tt.status}); err != nil || n != tt.want {
			t.Errorf("Count(status %d) = %d, %v; want %d", tt.status, n, err, tt.want)
		}
	}
	// A disabled admin is named. Another admin stays enabled: the last
	// enabled one cannot be disabled.
	mustRegister(t, svc, "dee@example.org", user.RoleAdmin)
	if _, _, err := svc.SetDisabled(context.Background(), "ana@example.org", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Checkup(context.Background()); !hasFinding(got, "accounts", user.SeverityInfo, "disabled admins: ana@example.org") {
		t.Errorf("want ana named as a disabled admin:%s", dumpFindings(got))
	}
}

// TestCheckupAccountsAtTheirEdges: a lock that ends the moment the checkup
// looks is over, one that ends a millisecond later is counted; five
// disabled admins are all named, a sixth turns the list's end into "…".
func TestCheckupAccountsAtTheirEdges(t *testing.T) {
	tests := []struct {
		name   string
		breaks func(t *testing.T, svc *user.Service, st testStore, now time.Time)
		want   string
		absent string
	}{
		{
			name: "a lock that ends the moment the checkup looks",
			breaks: func(t *testing.T, _ *user.Service, st testStore, now time.Time) {
				checkupRaw(t, st, `UPDATE users SET failed_logins = 5, locked_until = '`+user.FormatTime(now)+`' WHERE email = 'bo@example.org'`)
			},
			want:   "no disabled admins, no locked users",
			absent: "locked by failed logins",
		},
		{
			name: "a lock that ends a millisecond after the checkup looks",
			breaks: func(t *testing.T, _ *user.Service, st testStore, now time.Time) {
				checkupRaw(t, st, `UPDATE users SET failed_logins = 5, locked_until = '`+user.FormatTime(now.Add(time.Millisecond))+`' WHERE email = 'bo@example.org'`)
			},
			want: "1 users are locked by failed logins for a time",
		},
		{
			name:   "five disabled admins",
			breaks: disabledAdmins(5),
			want:   "disabled admins: admin0@example.org, admin1@example.org, admin2@example.org, admin3@example.org, admin4@example.org",
			absent: "…",
		},
		{
			name:   "six disabled admins",
			breaks: disabledAdmins(6),
			want:   "disabled admins: admin0@example.org, admin1@example.org, admin2@example.org, admin3@example.org, admin4@example.org, …",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, c := newService(t)
			// bo is an enabled admin: without one the checkup says so, and
			// the last one cannot be disabled.
			mustRegister(t, svc, "bo@example.org", user.RoleAdmin)
			tt.breaks(t, svc, store, c.now)
			got, err := svc.Checkup(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !hasFinding(got, "accounts", user.SeverityInfo, tt.want) && !hasFinding(got, "accounts", user.SeverityOK, tt.want) {
				t.Errorf("no accounts finding saying %q:%s", tt.want, dumpFindings(got))
			}
			if tt.absent != "" && (hasFinding(got, "accounts", user.SeverityInfo, tt.absent) || hasFinding(got, "accounts", user.SeverityOK, tt.absent)) {
				t.Errorf("an accounts finding says %q; want none:%s", tt.absent, dumpFindings(got))
			}
		})
	}
}

// disabledAdmins registers n admins admin0@example.org... and disables them.
func disabledAdmins(n int) func(t *testing.T, svc *user.Service, st testStore, now time.Time) {
	return func(t *testing.T, svc *user.Service, _ testStore, _ time.Time) {
		for i := range n {
			email := fmt.Sprintf("admin%d@example.org", i)
			mustRegister(t, svc, email, user.RoleAdmin)
			if _, _, err := svc.SetDisabled(context.Background(), email, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCheckupWarnsWithoutAnEnabledAdmin: users without an enabled admin
// among them cannot be managed on the platform. ctitui refuses to remove
// the last enabled admin, but a database can get there otherwise (only
// analysts added, an import, an adopted file, the sqlite3 shell): the
// checkup says so, with both ways out. An empty database and one with an
// enabled admin, locked or not, say nothing of it.
func TestCheckupWarnsWithoutAnEnabledAdmin(t *testing.T) {
	const warning = "no enabled admin"
	tests := []struct {
		name  string
		setup func(t *testing.T, svc *user.Service, st testStore)
		warns bool
	}{
		{"no users", func(*testing.T, *user.Service, testStore) {}, false},
		{"only analysts and viewers", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "ana@example.org")
			mustRegister(t, svc, "vi@example.org", user.RoleViewer)
		}, true},
		{"the only admin disabled outside ctitui", func(t *testing.T, svc *user.Service, st testStore) {
			mustRegister(t, svc, "root@example.org", user.RoleAdmin, user.RoleAnalyst)
			mustRegister(t, svc, "ana@example.org")
			checkupRaw(t, st, `UPDATE users SET disabled_at = '2026-01-02T03:04:05.678Z' WHERE email = 'root@example.org'`)
		}, true},
		{"the only admin's role removed outside ctitui", func(t *testing.T, svc *user.Service, st testStore) {
			mustRegister(t, svc, "root@example.org", user.RoleAdmin, user.RoleAnalyst)
			checkupRaw(t, st, `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`)
		}, true},
		{"an enabled admin", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "root@example.org", user.RoleAdmin)
			mustRegister(t, svc, "ana@example.org")
		}, false},
		{"an enabled admin beside a disabled one", func(t *testing.T, svc *user.Service, _ testStore) {
			mustRegister(t, svc, "root@example.org", user.RoleAdmin)
			mustRegister(t, svc, "old@example.org", user.RoleAdmin)
			if _, _, err := svc.SetDisabled(context.Background(), "old@example.org", true); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"the only admin locked until unlocked", func(t *testing.T, svc *user.Service, st testStore) {
			// A lock is not a removal: the CLI unlocks, and anyone can
			// lock an account by guessing.
			mustRegister(t, svc, "root@example.org", user.RoleAdmin)
			checkupRaw(t, st, `UPDATE users SET failed_logins = 100 WHERE email = 'root@example.org'`)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, _ := newService(t)
			tt.setup(t, svc, store)
			// A quick look (doctor's default) says it as the full one does.
			for _, look := range []struct {
				name string
				run  func(context.Context) ([]user.Finding, error)
			}{{"Checkup", svc.Checkup}, {"QuickCheckup", svc.QuickCheckup}} {
				got, err := look.run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				warned := hasFinding(got, "accounts", user.SeverityInfo, warning,
					"'ctitui user set-role EMAIL --role admin'", "'ctitui user enable EMAIL'")
				if warned != tt.warns {
					t.Errorf("%s warns of no enabled admin: %v; want %v:%s", look.name, warned, tt.warns, dumpFindings(got))
				}
				// Said once, and only as information: the exit status of a
				// health check judges the database, and a first user added
				// without the admin role is a database ctitui made.
				n := 0
				for _, f := range got {
					if strings.Contains(f.Message, warning) {
						n++
					}
				}
				if want := map[bool]int{true: 1, false: 0}[tt.warns]; n != want || !user.Healthy(got) {
					t.Errorf("%s: findings saying %q: %d, healthy %v; want %d, healthy:%s", look.name, warning, n, user.Healthy(got), want, dumpFindings(got))
				}
				if look.name == "QuickCheckup" && !tt.warns && tt.name != "no users" && !hasFinding(got, "accounts", user.SeverityOK, "an enabled admin exists") {
					t.Errorf("QuickCheckup:%s; want it to say an enabled admin exists", dumpFindings(got))
				}
			}
		})
	}
}
