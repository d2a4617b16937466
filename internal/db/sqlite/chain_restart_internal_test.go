package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestWriteRestartChecksTheChainItLeaves: a restart that would leave the
// chain broken (here: one handed a seal that is not the log's) is rolled
// back rather than recorded as a success.
func TestWriteRestartChecksTheChainItLeaves(t *testing.T) {
	ctx := context.Background()
	s, write := restartStore(t)
	write(`DELETE FROM audit_head`)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rep, err := verifyAuditChain(ctx, tx, 0)
		if err != nil {
			return err
		}
		rep.seal = strings.Repeat("0", 64)
		var res db.RestartResult
		return writeRestart(ctx, tx, rep, user.AuditEntry{At: time.Now(), Actor: "tester", Action: user.ActionRestartChain}, "test", &res)
	})
	if err == nil || !strings.Contains(err.Error(), "still broken") {
		t.Errorf("writeRestart with a wrong seal = %v; want a refusal saying the chain is still broken", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = ?`, user.ActionRestartChain).Scan(&n); err != nil || n != 0 {
		t.Errorf("restart entries = %d (%v); want none written", n, err)
	}
}

// TestRestartSealsWhatItKept: an entry written between the evidence copy
// and the restart's transaction would be sealed without being in the copy,
// so the restart gives up and says to run it again.
func TestRestartSealsWhatItKept(t *testing.T) {
	ctx := context.Background()
	s, write := restartStore(t)
	write(`DELETE FROM audit_head`)
	testHookAfterRestartBackup = func() {
		write(`INSERT INTO audit_log (at, actor, action, user_email, details) VALUES ('2026-01-01T00:00:00.000Z', 'mallory', 'register', 'm@example.org', '')`)
	}
	defer func() { testHookAfterRestartBackup = nil }()
	_, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: "tester", Reason: "incident"})
	if !errors.Is(err, errLogMoved) {
		t.Errorf("RestartAuditChain with an entry written meanwhile = %v; want %v", err, errLogMoved)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = ?`, user.ActionRestartChain).Scan(&n); err != nil || n != 0 {
		t.Errorf("restart entries = %d (%v); want none written", n, err)
	}
}

// TestRestartSealsWhatItKeptEvenWhenTheReportIsTheSame: an entry changed
// again meanwhile, in a way verify reports just as before, still stops the
// restart: it compares the entries, not the report.
func TestRestartSealsWhatItKeptEvenWhenTheReportIsTheSame(t *testing.T) {
	ctx := context.Background()
	s, write := restartStore(t)
	for _, email := range []string{"a@example.org", "b@example.org"} {
		if err := s.writeTx(ctx, func(tx *sql.Tx) error {
			return appendAudit(ctx, tx, user.AuditEntry{At: time.Now(), Actor: "tester", Action: user.ActionRegister, UserEmail: email})
		}); err != nil {
			t.Fatal(err)
		}
	}
	write(`UPDATE audit_log SET details = 'forged' WHERE id = 1`)
	testHookAfterRestartBackup = func() { write(`UPDATE audit_log SET details = 'forged again' WHERE id = 1`) }
	defer func() { testHookAfterRestartBackup = nil }()
	_, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: "tester", Reason: "incident"})
	if !errors.Is(err, errLogMoved) {
		t.Errorf("RestartAuditChain with an entry changed meanwhile = %v; want %v", err, errLogMoved)
	}
}

// restartStore opens a new store, and write runs one statement in a write
// transaction of it.
func restartStore(t *testing.T) (s *Store, write func(q string)) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ctitui.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, func(q string) {
		t.Helper()
		if err := s.writeTx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
			t.Fatal(err)
		}
	}
}
