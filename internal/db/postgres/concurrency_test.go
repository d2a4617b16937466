package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// Failed logins on one account at once are each counted: the writer lock
// serialises them, and none reads a count another is about to write.
func TestConcurrentFailedLoginsAllCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, store, _, _ := newService(t)
	u := mustRegister(t, svc, "target@example.org")
	// No timed lock within 50 failures: every attempt must count.
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 1000, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	const attempts = 50
	var wg sync.WaitGroup
	errs := make(chan error, attempts)
	for range attempts {
		wg.Go(func() {
			if _, err := svc.Verify(ctx, u.Email, "wrong password"); !errors.Is(err, user.ErrInvalidCredentials) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Verify(wrong) = %v; want ErrInvalidCredentials", err)
	}
	got, err := store.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailedLogins != attempts {
		t.Errorf("after %d concurrent failed logins, FailedLogins = %d; want %d", attempts, got.FailedLogins, attempts)
	}
}

// Writers at once leave one unbroken audit chain: every entry's prev_hash
// is the hash before it, every hash is db.AuditEntryHash of the entry as
// stored (the SQLite engine's hash, so both engines verify alike), and
// the head record names the newest entry.
func TestConcurrentWritesKeepTheChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, dbURL, _ := newService(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				email := fmt.Sprintf("writer%d.user%d@example.org", w, i)
				var err error
				if i%5 == 4 {
					// Some changes of users written just before.
					_, err = svc.SetRoles(ctx, fmt.Sprintf("writer%d.user%d@example.org", w, i-1), []user.Role{user.RoleViewer})
				} else {
					_, err = svc.Register(ctx, email, goodPassword, nil)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d, write %d: %w", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries := verifyChain(t, rawConn(t, dbURL))
	if entries != writers*each {
		t.Errorf("the log holds %d entries; want %d", entries, writers*each)
	}
}

// verifyChain recomputes every hash of the audit log from the stored
// values and checks the links and the head record; it returns the number
// of entries.
func verifyChain(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT id, at, actor, action, COALESCE(user_id, ''), user_email, details, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	prev, n, lastID := "", 0, int64(0)
	for rows.Next() {
		var (
			e              user.AuditEntry
			prevHash, hash string
		)
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.UserID, &e.UserEmail, &e.Details, &prevHash, &hash); err != nil {
			t.Fatal(err)
		}
		n++
		if e.ID != lastID+1 {
			t.Errorf("entry #%d follows #%d; want no gap", e.ID, lastID)
		}
		if prevHash != prev {
			t.Errorf("entry #%d: prev_hash %.12s; want %.12s, the hash before it (the chain forked)", e.ID, prevHash, prev)
		}
		if want := db.AuditEntryHash(prevHash, e.ID, e); hash != want {
			t.Errorf("entry #%d: hash %.12s; want %.12s", e.ID, hash, want)
		}
		prev, lastID = hash, e.ID
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var headID int64
	var headHash string
	if err := conn.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&headID, &headHash); err != nil {
		t.Fatal(err)
	}
	if headID != lastID || headHash != prev {
		t.Errorf("head record %d:%.12s; want %d:%.12s, the newest entry", headID, headHash, lastID, prev)
	}
	return n
}

// A read inside a write transaction locks the user's row, so that another
// program's change to it, committed while ctitui waited, is neither lost
// nor overwritten: here a failed login counted while a dashboard holds
// the row with its own count.
func TestTxReadsWaitForOtherProgramsRowLocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, dbURL, _ := newService(t)
	u := mustRegister(t, svc, "dana@example.org")
	if err := svc.SetLockout(ctx, user.LockoutPolicy{Threshold: 1000, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	other := rawConn(t, dbURL)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) // a no-op after the commit
	if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 10 WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := svc.Verify(ctx, u.Email, "wrong password")
		done <- err
	}()
	// Commit once ctitui waits for the row: waiting on a lock, not on time.
	watch := rawConn(t, dbURL)
	for waiting := false; !waiting; time.Sleep(5 * time.Millisecond) {
		err := watch.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE application_name = 'ctitui' AND wait_event_type = 'Lock' AND datname = current_database())`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("Verify returned (%v) while another program held the row", err)
		default:
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, user.ErrInvalidCredentials) {
		t.Fatalf("Verify(wrong) = %v; want ErrInvalidCredentials", err)
	}
	got, err := svc.Get(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailedLogins != 11 {
		t.Errorf("FailedLogins = %d; want 11: the other program's 10 and ctitui's one", got.FailedLogins)
	}
}

// A write waits for the writer lock another ctitui holds, and gives up
// after the lock timeout with ErrLocked, having written nothing.
func TestWriteGivesUpOnTheWriterLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	store := openStore(t, dbURL, postgres.Options{LockTimeout: 100 * time.Millisecond})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	svc := user.NewService(store, serviceOptions(c)...)
	holder := rawConn(t, dbURL)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, postgres.WriterLockKey); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Register(ctx, "erin@example.org", goodPassword, nil)
	if !errors.Is(err, db.ErrLocked) {
		t.Fatalf("Register while another writer holds the lock = %v; want db.ErrLocked", err)
	}
	if n, err := store.CountUsers(ctx, user.Filter{}); n != 0 || err != nil {
		t.Errorf("CountUsers = %d, %v; want 0", n, err)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, postgres.WriterLockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, "erin@example.org", goodPassword, nil); err != nil {
		t.Errorf("Register after the lock is released = %v", err)
	}
}

// A write cancelled while it waits for the writer lock ends with the
// context's error, and leaves nothing behind: the next write goes through.
func TestWriteCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	store := openStore(t, dbURL, postgres.Options{LockTimeout: time.Hour})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	svc := user.NewService(store, serviceOptions(c)...)
	holder := rawConn(t, dbURL)
	if _, err := holder.Exec(context.Background(), `SELECT pg_advisory_lock($1)`, postgres.WriterLockKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := svc.Register(ctx, "fay@example.org", goodPassword, nil)
		done <- err
	}()
	watch := rawConn(t, dbURL)
	for waiting := false; !waiting; time.Sleep(5 * time.Millisecond) {
		err := watch.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE application_name = 'ctitui' AND wait_event_type = 'Lock' AND datname = current_database())`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Register cancelled while waiting = %v; want context.Canceled", err)
	}
	if _, err := holder.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, postgres.WriterLockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(context.Background(), "fay@example.org", goodPassword, nil); err != nil {
		t.Errorf("Register after the cancelled one = %v", err)
	}
}

// A log whose head record is gone, or whose ids cannot go on, takes no
// entry, and so no change: the newest entries may have been cut, and
// appending would hide it. A log whose newest entries were removed goes on
// after the head, so the cut stays visible.
func TestAuditChainEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name, tamper string
		wantErr      string // "" for a write that goes through
	}{
		{"head removed", `DELETE FROM audit_head`, "head record"},
		{"head table dropped", `DROP TABLE audit_head`, "head record"},
		{"last id", `UPDATE audit_head SET last_id = 9223372036854775807`, "ids were set outside ctitui"},
		{"negative id", `UPDATE audit_head SET last_id = -1`, "ids were set outside ctitui"},
		{"newest entries removed", `DELETE FROM audit_log WHERE id > 1`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, store, dbURL, _ := newService(t)
			mustRegister(t, svc, "first@example.org")
			mustRegister(t, svc, "second@example.org")
			raw := rawConn(t, dbURL)
			if _, err := raw.Exec(ctx, tt.tamper); err != nil {
				t.Fatal(err)
			}
			_, err := svc.Register(ctx, "third@example.org", goodPassword, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Register after %q = %v; want an error containing %q", tt.tamper, err, tt.wantErr)
				}
				if _, err := svc.Get(ctx, "third@example.org"); !errors.Is(err, user.ErrNotFound) {
					t.Errorf("Get(third) = %v; want ErrNotFound: no change without its entry", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Register after %q = %v", tt.tamper, err)
			}
			var ids []int64
			if err := store.ListAudit(ctx, user.AuditFilter{OldestFirst: true}, func(e user.AuditEntry) error { ids = append(ids, e.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			if want := []int64{1, 3}; !slices.Equal(ids, want) {
				t.Errorf("entries %v; want %v: the next goes after the head (#2), not after the newest left", ids, want)
			}
		})
	}
}
