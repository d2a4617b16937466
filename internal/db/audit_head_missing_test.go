package db_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestOpenWithoutTheAuditHeadTable: a file that lost the table of the
// chain's head record, and the record that its log was sealed, still opens,
// unchanged, so that doctor can say what is missing: Open does not try to
// seal the log into a table that is not there. Writes stay refused until
// someone has looked.
func TestOpenWithoutTheAuditHeadTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s := openStore(t, path, db.Options{})
	s.Close()
	exec(`DROP TABLE audit_head`, `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`)(t, openRawSQLite(t, path, false))
	before := fileSHA256(t, path)

	s, err := db.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("Open of a file without audit_head = %v; want it opened for doctor", err)
	}
	defer s.Close()
	rep, err := s.Doctor(ctx, db.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, "schema"); f.Severity != user.SeverityProblem || !strings.Contains(f.Message, "table audit_head is missing") {
		t.Errorf("doctor's schema finding = %+v; want the missing audit_head reported", f)
	}
	if _, err := chainService(s).Register(ctx, "alice@example.org", "correct horse battery staple", nil); err == nil || !strings.Contains(err.Error(), "audit_head") {
		t.Errorf("Register without audit_head = %v; want a refusal naming audit_head", err)
	}
	s.Close()
	if after := fileSHA256(t, path); after != before {
		t.Errorf("the file changed: Open, doctor and a refused write must leave it as it was")
	}
}
