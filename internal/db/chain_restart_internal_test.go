package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// TestWriteRestartChecksTheChainItLeaves: a restart that would leave the
// chain broken (here: one handed a seal that is not the log's) is rolled
// back rather than recorded as a success.
func TestWriteRestartChecksTheChainItLeaves(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ctitui.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_head`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		rep, err := verifyAuditChain(ctx, tx)
		if err != nil {
			return err
		}
		rep.seal = strings.Repeat("0", 64)
		var res RestartResult
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
