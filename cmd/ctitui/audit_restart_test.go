package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// TestVerifyEscapesTheRestartsActor: audit verify names the newest
// restart's actor and time, which come from the file; a terminal must get
// them escaped, as every other text from the database.
func TestVerifyEscapesTheRestartsActor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	s, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := user.NewService(s, user.WithHasher(passwordtest.Hasher()))
	if _, err := svc.Register(ctx, "alice@example.org", "correct horse battery staple", []user.Role{user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `DELETE FROM audit_head`); err != nil {
		t.Fatal(err)
	}
	const hostile = "evil\x1b[31mRED\nfake: audit chain ok\r"
	if _, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: hostile, Reason: "incident"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for _, args := range [][]string{{"audit", "verify"}, {"doctor"}} {
		var stdout, stderr bytes.Buffer
		if code := runIn(t, path, strings.NewReader(""), &stdout, &stderr, args...); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		out := stdout.String()
		if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\nfake: audit chain ok") {
			t.Errorf("%v printed the actor unescaped: %q", args, out)
		}
		if !strings.Contains(out, "restarted at entry #") {
			t.Errorf("%v = %q; want the restart named", args, out)
		}
	}
}
