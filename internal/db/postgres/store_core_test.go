package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// TestOpenReportsTheSchema: a new database is migrated to the latest
// version, Open says which versions it applied, Migrations lists every one
// as applied, and a second Open applies nothing.
func TestOpenReportsTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	s := openStore(t, dbURL, postgres.Options{})
	if got, want := s.SchemaVersion(), postgres.LatestVersion(); got != want || s.LatestVersion() != want {
		t.Errorf("SchemaVersion() = %d, LatestVersion() = %d; want both %d", got, s.LatestVersion(), want)
	}
	if got, want := s.AppliedAtOpen(), postgres.MigrationVersions(); !slices.Equal(got, want) {
		t.Errorf("AppliedAtOpen() = %v; want %v", got, want)
	}
	st, err := s.Migrations(ctx)
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	if len(st) != len(postgres.MigrationVersions()) {
		t.Fatalf("Migrations lists %d; want %d", len(st), len(postgres.MigrationVersions()))
	}
	for i, m := range st {
		if m.Version != postgres.MigrationVersions()[i] || !m.Applied || m.AppliedAt.IsZero() || !strings.HasSuffix(m.Name, ".sql") ||
			time.Since(m.AppliedAt) > time.Hour || time.Until(m.AppliedAt) > time.Hour {
			t.Errorf("Migrations()[%d] = %+v; want version %d applied now, named by its file", i, m, postgres.MigrationVersions()[i])
		}
	}
	again := openStore(t, dbURL, postgres.Options{})
	if got := again.AppliedAtOpen(); len(got) != 0 {
		t.Errorf("second Open: AppliedAtOpen() = %v; want none", got)
	}
	// A version migrated away shows as not applied.
	conn := rawConn(t, dbURL)
	if _, err := conn.Exec(ctx, `DELETE FROM ctitui.goose_db_version WHERE version_id = 11`); err != nil {
		t.Fatal(err)
	}
	st, err = again.Migrations(ctx)
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	if last := st[len(st)-1]; last.Applied {
		t.Errorf("Migrations() last = %+v; want not applied after its record was removed", last)
	}
}

// TestOpenReadOnly: a read-only open never creates or migrates anything,
// refuses a database that needs it, and cannot write.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	migrated := newDatabase(t)
	openStore(t, migrated, postgres.Options{}).Close()
	older := newDatabase(t)
	openStore(t, older, postgres.Options{}).Close()
	if _, err := rawConn(t, older).Exec(ctx, `DELETE FROM ctitui.goose_db_version WHERE version_id = 11`); err != nil {
		t.Fatal(err)
	}
	newer := newDatabase(t)
	openStore(t, newer, postgres.Options{}).Close()
	if _, err := rawConn(t, newer).Exec(ctx, `INSERT INTO ctitui.goose_db_version (version_id, is_applied) VALUES (99, true)`); err != nil {
		t.Fatal(err)
	}
	empty := newDatabase(t)
	tests := []struct {
		name, url string
		want      error
	}{
		{"an empty database", empty, db.ErrSchemaTooOld},
		{"a database a version behind", older, db.ErrSchemaTooOld},
		{"a database newer than ctitui", newer, db.ErrSchemaTooNew},
		{"a URL with a password", strings.Replace(migrated, "postgres://", "postgres://u:secret@", 1), postgres.ErrPasswordInURL},
	}
	for _, tt := range tests {
		s, err := postgres.OpenReadOnly(ctx, tt.url, postgres.Options{})
		if !errors.Is(err, tt.want) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: OpenReadOnly error %v; want %v", tt.name, err, tt.want)
		}
	}
	var schemas int
	if err := rawConn(t, empty).QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ctitui%'`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas != 0 {
		t.Errorf("OpenReadOnly of an empty database left %d ctitui schemas; want none", schemas)
	}

	s, err := postgres.OpenReadOnly(ctx, migrated, postgres.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer s.Close()
	if got, want := s.SchemaVersion(), postgres.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
	if _, err := s.EnabledAdmins(ctx); err != nil {
		t.Errorf("a read: %v", err)
	}
	if rep, err := s.VerifyAuditChain(ctx); err != nil || !rep.OK() {
		t.Errorf("VerifyAuditChain = %v, %v; want a whole chain", rep, err)
	}
	svc := user.NewService(s, serviceOptions(&clock{now: time.Now()})...)
	if _, err := svc.Register(ctx, "ro@example.org", goodPassword, nil); !errors.Is(err, db.ErrReadOnly) {
		t.Errorf("Register on a read-only store: %v; want ErrReadOnly", err)
	}
	var users int
	if err := rawConn(t, migrated).QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 0 {
		t.Errorf("users after a refused write: %d (%v); want 0", users, err)
	}
	if _, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: "x", Reason: "r"}); err == nil {
		t.Error("RestartAuditChain on a read-only store: no error")
	}
}

// TestDataVersionFollowsCommits: DataVersion changes after a commit by
// another connection, and after the Store's own writes; a rollback moves
// nothing. It logs how long a commit took to show.
func TestDataVersionFollowsCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, s, dbURL, _ := newService(t)
	conn := rawConn(t, dbURL)
	// waitChange returns how long DataVersion took to move from v.
	waitChange := func(what string, v int64) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			got, err := s.DataVersion(ctx)
			if err != nil {
				t.Fatalf("DataVersion: %v", err)
			}
			if got != v {
				return time.Since(start)
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("%s: DataVersion still %d after 20 s", what, v)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	v0, _ := s.DataVersion(ctx)
	if _, err := conn.Exec(ctx, `UPDATE settings SET value = '6' WHERE key = 'lockout_threshold'`); err != nil {
		t.Fatal(err)
	}
	t.Logf("another connection's commit showed in DataVersion after %v", waitChange("another connection's commit", v0))

	v1, _ := s.DataVersion(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE settings SET value = '7' WHERE key = 'lockout_threshold'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// The rolled-back change sends nothing: a commit after it is the only
	// notification, so the version moves by exactly one.
	if _, err := conn.Exec(ctx, `UPDATE users SET email = email WHERE false`); err != nil {
		t.Fatal(err)
	}
	waitChange("a commit after a rollback", v1)
	time.Sleep(100 * time.Millisecond)
	if v2, _ := s.DataVersion(ctx); v2 != v1+1 {
		t.Errorf("DataVersion moved from %d to %d after a rollback and one commit; want %d", v1, v2, v1+1)
	}

	v3, _ := s.DataVersion(ctx)
	mustRegister(t, svc, "dv@example.org")
	waitChange("the Store's own write", v3)
}

// auditStore is a Store with a few audit entries, and a raw connection to
// its database.
func auditStore(t *testing.T) (*postgres.Store, *user.Service, string) {
	t.Helper()
	svc, s, dbURL, _ := newService(t)
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		mustRegister(t, svc, e)
	}
	return s, svc, dbURL
}

// TestVerifyAuditChain: a whole chain verifies; every tampering, in the
// middle or at the end of the log, is reported.
func TestVerifyAuditChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, sql      string
		brokenAt       int64  // 0: no break in the rows
		endProblemHas  string // "": no end problem
		wantRowsAtMost int
	}{
		{"nothing changed", ``, 0, "", 3},
		{"a row's content changed", `UPDATE audit_log SET details = 'x' WHERE id = 2`, 2, "", 3},
		{"a middle row removed", `DELETE FROM audit_log WHERE id = 2`, 3, "", 2},
		{"the newest entry removed", `DELETE FROM audit_log WHERE id = 3`, 0, "newest entries were removed", 2},
		{"every entry removed", `DELETE FROM audit_log`, 0, "every entry was removed", 0},
		{"the head record removed", `DELETE FROM audit_head`, 0, "head record of the chain", 3},
		{"the head table dropped", `DROP TABLE audit_head`, 0, "head record of the chain", 3},
		{"the seal record removed", `DELETE FROM settings WHERE key = 'audit_chain_sealed_at'`, 0, "record that the log was sealed is gone", 3},
		{"an entry written after the head", `INSERT INTO audit_log (id, at, actor, action, prev_hash, hash) SELECT 4, now(), 'x', 'y', hash, 'z' FROM audit_log WHERE id = 3`, 4, "written outside ctitui", 4},
		{"the newest entry replaced", `UPDATE audit_head SET last_hash = 'other'`, 0, "it was replaced", 3},
		{"negative ids", `UPDATE audit_head SET last_id = -1`, 0, "ids ctitui never writes", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, dbURL := auditStore(t)
			if tt.sql != "" {
				if _, err := rawConn(t, dbURL).Exec(ctx, tt.sql); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := s.VerifyAuditChain(ctx)
			if err != nil {
				t.Fatalf("VerifyAuditChain: %v", err)
			}
			if rep.BrokenAt != tt.brokenAt {
				t.Errorf("BrokenAt = %d; want %d (%s)", rep.BrokenAt, tt.brokenAt, rep)
			}
			if tt.endProblemHas == "" && rep.EndProblem != "" || !strings.Contains(rep.EndProblem, tt.endProblemHas) {
				t.Errorf("EndProblem = %q; want one saying %q", rep.EndProblem, tt.endProblemHas)
			}
			if rep.Rows > tt.wantRowsAtMost {
				t.Errorf("Rows = %d; want at most %d", rep.Rows, tt.wantRowsAtMost)
			}
			if tt.sql == "" && (!rep.OK() || rep.Rows != 3 || rep.HeadID != 3) {
				t.Errorf("untouched log: %v; want whole, 3 entries, head 3", rep)
			}
		})
	}
}

// TestCheckAuditAnchor: the head a verify printed anchors the log; a
// rewrite from the anchored entry on is caught, and a malformed anchor is
// ErrBadAnchor.
func TestCheckAuditAnchor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, svc, dbURL := auditStore(t)
	rep, err := s.VerifyAuditChain(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyAuditChain = %v, %v", rep, err)
	}
	anchor := fmt.Sprintf("%d:%s", rep.HeadID, rep.HeadHash)
	mustRegister(t, svc, "later@example.org")
	if err := s.CheckAuditAnchor(ctx, anchor); err != nil {
		t.Errorf("CheckAuditAnchor(%q) after more entries: %v; want nil", anchor, err)
	}
	if err := s.CheckAuditAnchor(ctx, "3:nothex"); !errors.Is(err, db.ErrBadAnchor) {
		t.Errorf("CheckAuditAnchor(malformed) = %v; want ErrBadAnchor", err)
	}
	// Rewriting the chain from entry 3 on, hashes recomputed as a forger
	// would: the anchored hash is gone.
	if _, err := rawConn(t, dbURL).Exec(ctx, `UPDATE audit_log SET hash = 'forged' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckAuditAnchor(ctx, anchor); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("CheckAuditAnchor after a rewrite = %v; want the log reported rewritten", err)
	}
}

// TestRestartAuditChain: a whole chain is not restarted; a broken one is,
// with the tables as found kept in ctitui_backup in the same transaction,
// and verifies whole afterwards with the restart named.
func TestRestartAuditChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, svc, dbURL := auditStore(t)
	conn := rawConn(t, dbURL)
	opts := db.RestartOptions{Actor: "auditor", Reason: "INC-42", Now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	if _, err := s.RestartAuditChain(ctx, opts); !errors.Is(err, db.ErrChainWhole) {
		t.Errorf("restart of a whole chain: %v; want ErrChainWhole", err)
	}
	if _, err := conn.Exec(ctx, `UPDATE audit_log SET details = 'tampered' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: "auditor", Reason: "two\nlines"}); !errors.Is(err, db.ErrRestartReason) {
		t.Errorf("restart with a two-line reason: %v; want ErrRestartReason", err)
	}
	var schemas int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'ctitui_backup'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("refused restarts left schema ctitui_backup (%d, %v)", schemas, err)
	}
	res, err := s.RestartAuditChain(ctx, opts)
	if err != nil {
		t.Fatalf("RestartAuditChain: %v", err)
	}
	if res.ID != 4 || res.Found.BrokenAt != 2 || !strings.Contains(res.Backup, "ctitui_backup.audit_log_pre_restart_20260304t050607000z") {
		t.Errorf("RestartAuditChain = %+v; want entry 4, found broken at 2, the log kept in ctitui_backup", res)
	}
	var kept string
	if err := conn.QueryRow(ctx, `SELECT details FROM ctitui_backup.audit_log_pre_restart_20260304t050607000z WHERE id = 2`).Scan(&kept); err != nil || kept != "tampered" {
		t.Errorf("the evidence's entry 2: %q, %v; want the tampered row as found", kept, err)
	}
	rep, err := s.VerifyAuditChain(ctx)
	if err != nil || !rep.OK() || len(rep.Restarts) != 1 || rep.Restarts[0].ID != 4 {
		t.Fatalf("VerifyAuditChain after the restart = %v, %v; want whole with the restart at 4", rep, err)
	}
	mustRegister(t, svc, "after@example.org")
	if rep, err := s.VerifyAuditChain(ctx); err != nil || !rep.OK() || rep.HeadID != 5 {
		t.Errorf("VerifyAuditChain after an entry after the restart = %v, %v; want whole, head 5", rep, err)
	}
	// Changing a sealed entry again breaks the chain at the restart.
	if _, err := conn.Exec(ctx, `UPDATE audit_log SET details = 'again' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAuditChain(ctx); err != nil || rep.OK() {
		t.Errorf("VerifyAuditChain after a sealed entry changed = %v, %v; want broken", rep, err)
	}
}

// TestRestartAuditChainWithoutHead: a log whose head table was dropped is
// restarted after the newest id, and the head table is put back.
func TestRestartAuditChainWithoutHead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, svc, dbURL := auditStore(t)
	if _, err := rawConn(t, dbURL).Exec(ctx, `DROP TABLE audit_head`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, "blocked@example.org", goodPassword, nil); err == nil {
		t.Error("Register without the head record: no error")
	}
	res, err := s.RestartAuditChain(ctx, db.RestartOptions{Actor: "auditor", Reason: "head dropped"})
	if err != nil {
		t.Fatalf("RestartAuditChain: %v", err)
	}
	if res.ID != 4 || strings.Contains(res.Backup, "audit_head") {
		t.Errorf("RestartAuditChain = %+v; want entry 4, and no copy of the missing head table", res)
	}
	if rep, err := s.VerifyAuditChain(ctx); err != nil || !rep.OK() {
		t.Errorf("VerifyAuditChain = %v, %v; want whole", rep, err)
	}
	mustRegister(t, svc, "again@example.org")
}

// TestVerifyWhileWriting: a verify while other connections append sees one
// snapshot of the log and its head record: never a cut, never entries
// after the head.
func TestVerifyWhileWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, svc, _ := auditStore(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := svc.Register(ctx, fmt.Sprintf("w%d@example.org", i), goodPassword, nil); err != nil {
				t.Errorf("Register: %v", err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for range 40 {
		rep, err := s.VerifyAuditChain(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("VerifyAuditChain while writing = %v, %v; want whole", rep, err)
		}
	}
}
