package user_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// malformedLockouts are failed_logins and locked_until values ctitui never
// writes, as another tool or an attacker with the file may leave them.
//
// On PostgreSQL the column types refuse all but the negative counts (pg).
var malformedLockouts = []struct {
	name, set string
	pg        bool
}{
	{"a million free guesses", `failed_logins = -1000000`, true},
	{"count of -1", `failed_logins = -1`, true},
	{"smallest count", `failed_logins = -9223372036854775808`, false},
	{"fractional count", `failed_logins = 1.5`, false},
	{"text count", `failed_logins = 'abc'`, false},
	{"blob count", `failed_logins = X'00'`, false},
	{"lock time not a time", `locked_until = 'garbage'`, false},
	{"lock time a blob", `locked_until = X'00'`, false},
	{"lock time a number", `locked_until = 1700000000`, false},
	{"lock time in another form", `locked_until = '2999-01-01 00:00:00'`, false},
	{"lock time on no day", `locked_until = '2999-02-30T00:00:00.000Z'`, false},
}

// TestMalformedLockoutFailsClosed: an account whose lockout values ctitui
// never writes is locked until an admin unlocks it. Before, a negative
// count gave that many free guesses (the right password, or the 1,000,000th
// guess, got in) and other values stopped every listing, export and the
// account's verify with an error that differed from a failed login's; and
// unlock, which could not read the row, could not clear it.
func TestMalformedLockoutFailsClosed(t *testing.T) {
	for _, tt := range malformedLockouts {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.pg {
				sqliteOnly(t, "PostgreSQL's column types refuse this value")
			}
			ctx := context.Background()
			svc, store, c := newService(t)
			alice := mustRegister(t, svc, "alice@example.org")
			mustRegister(t, svc, "bob@example.org")
			set := fmt.Sprintf(`UPDATE users SET %s WHERE email = 'alice@example.org'`, tt.set)
			checkupRaw(t, store, set)
			raw := func() string {
				t.Helper()
				var v string
				query := `SELECT typeof(failed_logins) || ':' || quote(failed_logins) || ' ' || typeof(locked_until) || ':' || quote(locked_until) FROM users WHERE email = 'alice@example.org'`
				if testEngine() == enginePostgres {
					query = `SELECT 'integer:' || failed_logins || ' ' || COALESCE('timestamptz:' || locked_until, 'null:NULL') FROM users WHERE email = 'alice@example.org'`
				}
				if err := shellDB(t, store).QueryRow(query).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			tampered := raw()

			u := mustGet(t, svc, "alice@example.org")
			if !u.NeedsAdminUnlock() || !u.Locked(c.now) || u.Status(c.now) != "blocked" {
				t.Errorf("%s: NeedsAdminUnlock %v, Locked %v, Status %q; want true, true, blocked", tampered, u.NeedsAdminUnlock(), u.Locked(c.now), u.Status(c.now))
			}
			// Every attempt fails as any failure does, counts nothing and
			// leaves the evidence as it was.
			failVerify(t, svc, "alice@example.org", goodPassword)
			failVerify(t, svc, "alice@example.org", wrongPassword)
			if got := raw(); got != tampered {
				t.Errorf("after failed verifies the row holds %s; want %s untouched", got, tampered)
			}
			// Listings work, and the filters agree with Status.
			for _, f := range []struct {
				status user.Status
				want   string
			}{{user.Blocked, "alice@example.org"}, {user.Locked, "alice@example.org"}, {user.Active, "bob@example.org"}, {user.AnyStatus, "alice@example.org bob@example.org"}} {
				page, err := svc.Page(ctx, user.ListOptions{Filter: user.Filter{Status: f.status}, Sort: user.ByEmail})
				n, cerr := svc.Count(ctx, user.Filter{Status: f.status})
				if got := strings.Join(emails(page), " "); err != nil || cerr != nil || got != f.want || n != len(page) {
					t.Errorf("status %d: listed %q (%v), counted %d (%v); want %q", f.status, got, err, n, cerr, f.want)
				}
			}

			// An admin's unlock writes clean values over the row, audited,
			// and the right password works again.
			c.Advance(time.Minute)
			u, changed, err := svc.Unlock(ctx, "alice@example.org")
			if err != nil || !changed || u.FailedLogins != 0 || !u.LockedUntil.IsZero() {
				t.Fatalf("Unlock = FailedLogins %d, LockedUntil %v, changed %v, %v; want cleared", u.FailedLogins, u.LockedUntil, changed, err)
			}
			if got := raw(); got != "integer:0 null:NULL" {
				t.Errorf("after Unlock the row holds %s; want integer:0 null:NULL", got)
			}
			if e := auditOf(t, svc, alice.ID)[0]; e.Action != user.ActionUnlock || !strings.Contains(e.Details, "ctitui never writes") {
				t.Errorf("unlock entry = %s %q; want an unlock that says the values were not ctitui's", e.Action, e.Details)
			}
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != nil {
				t.Errorf("Verify after Unlock: %v", err)
			}
		})
	}
}

// TestCheckupDoesNotStopAtUnreadableRows: a user row ctitui cannot read (a
// disabled_at that is not a time, on an admin the checkup lists) is the
// storage check's finding; the checkup reports what it could not check
// instead of stopping doctor with one error line.
func TestCheckupDoesNotStopAtUnreadableRows(t *testing.T) {
	sqliteOnly(t, "a timestamptz column holds nothing but times")
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "root@example.org", user.RoleAdmin)
	// keeper stays enabled: the last enabled admin cannot be disabled.
	mustRegister(t, svc, "keeper@example.org", user.RoleAdmin)
	if _, _, err := svc.SetDisabled(ctx, "root@example.org", true); err != nil {
		t.Fatal(err)
	}
	checkupRaw(t, store, `UPDATE users SET disabled_at = 'garbage' WHERE email = 'root@example.org'`)
	findings, err := svc.Checkup(ctx)
	if err != nil {
		t.Fatalf("Checkup = %v; want findings", err)
	}
	if !hasFinding(findings, "accounts", user.SeverityProblem, "could not", "garbage") || user.Healthy(findings) {
		t.Errorf("findings:%s\nwant an accounts problem saying what could not be checked", dumpFindings(findings))
	}
	if !hasFinding(findings, "password hashes", user.SeverityOK) {
		t.Errorf("findings:%s\nwant the hash check to run all the same", dumpFindings(findings))
	}
}

// TestPageWithAnyLimit: Page returns what there is whatever limit it is
// given; it used to allocate room for the whole limit first, and panicked
// on a limit near math.MaxInt.
func TestPageWithAnyLimit(t *testing.T) {
	svc, _, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")
	for _, limit := range []int{math.MaxInt, math.MaxInt / 2, 1 << 40, -1, 0} {
		page, err := svc.Page(context.Background(), user.ListOptions{Limit: limit})
		if err != nil || len(page) != 1 {
			t.Errorf("Page(limit %d) = %d users, %v; want 1", limit, len(page), err)
		}
	}
}

// TestBlankDisabledAtFailsClosed: a disabled_at that is not NULL but holds
// no time (an empty string or blob, as a CSV import into the sqlite3 shell
// leaves it) counts as disabled, as every SQL reader asking "disabled_at IS
// NOT NULL" (the platform itself among them) sees it: the right password
// is refused, the filters agree, and the value is left as it was.
func TestBlankDisabledAtFailsClosed(t *testing.T) {
	sqliteOnly(t, "a timestamptz column holds nothing but times or NULL")
	for _, set := range []string{`disabled_at = ''`, `disabled_at = '  '`, `disabled_at = X''`} {
		t.Run(set, func(t *testing.T) {
			ctx := context.Background()
			svc, store, c := newService(t)
			mustRegister(t, svc, "alice@example.org")
			checkupRaw(t, store, `UPDATE users SET `+set+` WHERE email = 'alice@example.org'`)
			if u := mustGet(t, svc, "alice@example.org"); !u.Disabled() || u.Status(c.now) != "disabled" {
				t.Errorf("Disabled %v, Status %q; want true, disabled", u.Disabled(), u.Status(c.now))
			}
			failVerify(t, svc, "alice@example.org", goodPassword)
			if n, err := svc.Count(ctx, user.Filter{Status: user.Disabled}); err != nil || n != 1 {
				t.Errorf("Count(disabled) = %d, %v; want 1", n, err)
			}
			var v string
			if err := shellDB(t, store).QueryRow(`SELECT quote(disabled_at) FROM users`).Scan(&v); err != nil || v == "NULL" {
				t.Errorf("disabled_at after the refused login = %s, %v; want it left as it was", v, err)
			}
		})
	}
}
