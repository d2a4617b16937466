package user_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// auditBreaks are the ways an attacker with write access to the file can
// make the audit log refuse every append, as chainWriter.load does for a
// log that shows signs of a cut.
//
// PostgreSQL's audit_log has no id counter (ctitui writes each id itself):
// its break is SQLite's only (sqlite).
var auditBreaks = []struct {
	name   string
	stmt   string
	sqlite bool
}{
	{"head record deleted", `DELETE FROM audit_head`, false},
	{"id counter past the head", `UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = 'audit_log'`, true},
	{"head at the largest id", `UPDATE audit_head SET last_id = 9223372036854775807`, false},
}

// TestLockoutHoldsWhenTheAuditLogRefuses: the lock (and the block at
// MaxConsecutiveFailures) is applied even when its audit entry cannot be
// written, and each failure, the locking one included, is plain
// ErrInvalidCredentials, as it is for an unknown email. Before, the lock
// step's transaction rolled back with its entry: the count stayed one below
// the threshold for good, the right password still worked, and the fifth
// attempt's "write audit entry" error told a known account from an unknown
// one.
func TestLockoutHoldsWhenTheAuditLogRefuses(t *testing.T) {
	for _, brk := range auditBreaks {
		t.Run(brk.name, func(t *testing.T) {
			if brk.sqlite {
				sqliteOnly(t, "PostgreSQL's audit_log has no id counter")
			}
			ctx := context.Background()
			svc, store, c := newService(t)
			mustRegister(t, svc, "alice@example.org")
			mustRegister(t, svc, "bob@example.org")
			checkupRaw(t, store, brk.stmt)
			before := countRows(t, store).audit

			for i := 1; i <= 7; i++ {
				c.Advance(time.Second)
				failVerify(t, svc, "alice@example.org", wrongPassword)
				failVerify(t, svc, "nobody@example.org", wrongPassword)
				u := mustGet(t, svc, "alice@example.org")
				// From the fifth on the account is locked: attempts no
				// longer count.
				if want := min(i, 5); u.FailedLogins != want {
					t.Fatalf("after %d failures: FailedLogins %d; want %d", i, u.FailedLogins, want)
				}
				if i >= 5 && !u.Locked(c.now) {
					t.Fatalf("after %d failures: not locked; want locked until %v", i, u.LockedUntil)
				}
			}
			if _, err := svc.Verify(ctx, "alice@example.org", goodPassword); err != user.ErrInvalidCredentials {
				t.Errorf("Verify with the right password while locked = %v; want ErrInvalidCredentials", err)
			}
			lock := mustGet(t, svc, "alice@example.org").LockedUntil
			if want := c.now.Add(15*time.Minute - 2*time.Second); !lock.Equal(want) {
				t.Errorf("LockedUntil = %v; want %v (15 minutes after the fifth failure)", lock, want)
			}

			// The block that only an admin lifts holds too.
			setLockout(t, store, "bob@example.org", user.MaxConsecutiveFailures-1, time.Time{})
			failVerify(t, svc, "bob@example.org", wrongPassword)
			if u := mustGet(t, svc, "bob@example.org"); u.FailedLogins != user.MaxConsecutiveFailures || !u.NeedsAdminUnlock() {
				t.Errorf("after failure %d: FailedLogins %d, NeedsAdminUnlock %v; want %d, true",
					user.MaxConsecutiveFailures, u.FailedLogins, u.NeedsAdminUnlock(), user.MaxConsecutiveFailures)
			}
			c.Advance(365 * 24 * time.Hour)
			failVerify(t, svc, "bob@example.org", goodPassword)

			// Nothing was appended to the broken log.
			if after := countRows(t, store).audit; after != before {
				t.Errorf("audit rows %d -> %d; want none added to a log that refuses appends", before, after)
			}
		})
	}
}

// TestLoginWithOutdatedHashWhenTheAuditLogRefuses: a right password whose
// hash is due for an upgrade logs in even when the upgrade's audit entry
// cannot be written (the hash is upgraded at a later login instead), as a
// right password with a current hash does. Before, the login failed with
// "write audit entry", which told the right password from a wrong one
// without either being counted.
func TestLoginWithOutdatedHashWhenTheAuditLogRefuses(t *testing.T) {
	for _, brk := range auditBreaks {
		t.Run(brk.name, func(t *testing.T) {
			if brk.sqlite {
				sqliteOnly(t, "PostgreSQL's audit_log has no id counter")
			}
			ctx := context.Background()
			svc, store, c := newService(t)
			mustRegister(t, svc, "alice@example.org")
			old := bcryptHash(t, goodPassword)
			setHash(t, store, "alice@example.org", old)
			failVerify(t, svc, "alice@example.org", wrongPassword)
			checkupRaw(t, store, brk.stmt)
			c.Advance(time.Minute)

			u, err := svc.Verify(ctx, "alice@example.org", goodPassword)
			if err != nil {
				t.Fatalf("Verify with the right password = %v; want a login", err)
			}
			stored := mustGet(t, svc, "alice@example.org")
			if stored.FailedLogins != 0 || !stored.LastLoginAt.Equal(c.now) || u.Email != "alice@example.org" {
				t.Errorf("after the login: FailedLogins %d, LastLoginAt %v; want 0, %v", stored.FailedLogins, stored.LastLoginAt, c.now)
			}
			if stored.PasswordHash != old {
				t.Errorf("the hash was upgraded without its audit entry")
			}
		})
	}
}

// writesFailAfterError is a real sqlite.Store whose transactions' UpdateUser
// fails, as on a full disk, once a transaction has failed.
type writesFailAfterError struct {
	testStore
	failed bool
}

var errDiskGone = errors.New("disk gone")

func (w *writesFailAfterError) WithTx(ctx context.Context, fn func(user.Tx) error) error {
	fail := w.failed
	err := w.testStore.WithTx(ctx, func(tx user.Tx) error { return fn(failingUpdates{tx, fail}) })
	w.failed = w.failed || err != nil
	return err
}

type failingUpdates struct {
	user.Tx
	fail bool
}

func (f failingUpdates) UpdateUser(ctx context.Context, u user.User) error {
	if f.fail {
		return errDiskGone
	}
	return f.Tx.UpdateUser(ctx, u)
}

// TestLockoutFallbackThatFailsIsAnError: when the lock cannot be written
// even without its audit entry, Verify says so rather than pass the
// uncounted failure off as an ordinary one.
func TestLockoutFallbackThatFailsIsAnError(t *testing.T) {
	plain, store, _ := newService(t)
	mustRegister(t, plain, "alice@example.org")
	setLockout(t, store, "alice@example.org", 4, time.Time{})
	checkupRaw(t, store, auditBreaks[0].stmt)
	svc := user.NewService(&writesFailAfterError{testStore: store},
		user.WithHasher(passwordtest.Hasher()), user.WithActor("tester"), user.WithFailureFloor(0))
	_, err := svc.Verify(context.Background(), "alice@example.org", wrongPassword)
	if !errors.Is(err, errDiskGone) || errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify when neither the lock nor its entry can be written = %v; want the write's error", err)
	}
	if u := mustGet(t, plain, "alice@example.org"); u.FailedLogins != 4 {
		t.Errorf("FailedLogins = %d; want 4, unchanged", u.FailedLogins)
	}
}
