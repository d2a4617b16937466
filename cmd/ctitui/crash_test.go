//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// The crash tests kill (SIGKILL) a real ctitui process, the test binary that
// TestMain puts on PATH as "ctitui", at many points of a long operation, and
// then check what the kill left behind: SQLite's integrity check passes,
// every change is either wholly present or wholly absent, and the next
// ctitui to open the file succeeds and finishes the job. Kill points are
// delays spread over the operation's measured duration, which land in
// different places on every run, and events (a backup or journal file
// starting to grow) that put a kill inside a given step however busy the
// machine is. The assertions hold wherever a kill lands; the t.Logf lines
// tally where the kills did land. Unix only: SIGKILL.

// crashRun is the outcome of one ctitui process.
type crashRun struct {
	killed         bool // ended by our SIGKILL, not by itself
	exit           int  // exit status when not killed
	stdout, stderr string
	elapsed        time.Duration
}

// crashPoint is where to kill a process: after a delay from its start or,
// with when, after a delay from the moment when(watched path) first holds,
// such as a journal or backup file appearing. Time points spread kills over
// the whole operation; event points land kills inside a given step however
// loaded the machine is.
type crashPoint struct {
	label string
	after time.Duration
	when  func(path string) bool
}

// crashTimePoints spreads n kill delays evenly from 0 to a quarter past
// total, the operation's measured duration: runs vary, and the last kills
// should still find some runs at their very end.
func crashTimePoints(n int, total time.Duration) []crashPoint {
	out := make([]crashPoint, n)
	for i := range n {
		var d time.Duration
		if n > 1 {
			d = total * 5 / 4 * time.Duration(i) / time.Duration(n-1)
		}
		out[i] = crashPoint{label: "at " + d.Round(time.Millisecond).String(), after: d}
	}
	return out
}

// crashFileGrows holds once the file path+suffix exists and is not empty.
func crashFileGrows(suffix string) func(path string) bool {
	return func(path string) bool {
		info, err := os.Stat(path + suffix)
		return err == nil && info.Size() > 0
	}
}

// crashBackupGrows holds once a backup path.<label>-*.bak is being written.
func crashBackupGrows(label string) func(path string) bool {
	return func(path string) bool {
		names, _ := filepath.Glob(path + "." + label + "-*.bak")
		for _, n := range names {
			if info, err := os.Stat(n); err == nil && info.Size() > 0 {
				return true
			}
		}
		return false
	}
}

// crashKill runs ctitui with args and kills it (SIGKILL) at p; watched is
// the path p.when looks at.
func crashKill(t *testing.T, p crashPoint, watched, stdin string, args ...string) crashRun {
	t.Helper()
	return crashExec(t, &p, watched, stdin, args...)
}

// crashStart runs ctitui with args and, when delay >= 0, kills it with
// SIGKILL after delay.
func crashStart(t *testing.T, delay time.Duration, stdin string, args ...string) crashRun {
	t.Helper()
	if delay < 0 {
		return crashExec(t, nil, "", stdin, args...)
	}
	return crashExec(t, &crashPoint{after: delay}, "", stdin, args...)
}

func crashExec(t *testing.T, p *crashPoint, watched, stdin string, args ...string) crashRun {
	t.Helper()
	cmd := exec.Command("ctitui", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		// Errorf, not Fatalf: this may run on a goroutine of the test.
		t.Errorf("start ctitui %q: %v", args, err)
		return crashRun{exit: -1}
	}
	done := make(chan struct{})
	var killer sync.WaitGroup
	if p != nil {
		killer.Go(func() {
			if p.when != nil {
				tick := time.NewTicker(200 * time.Microsecond)
				defer tick.Stop()
				for !p.when(watched) {
					select {
					case <-done:
						return
					case <-tick.C:
					}
				}
			}
			timer := time.NewTimer(p.after)
			defer timer.Stop()
			select {
			case <-done:
			case <-timer.C:
				_ = cmd.Process.Kill()
			}
		})
	}
	err := cmd.Wait()
	close(done)
	killer.Wait()
	r := crashRun{elapsed: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Errorf("ctitui %q: %v", args, err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		r.killed = true
	}
	r.exit = cmd.ProcessState.ExitCode()
	return r
}

// crashMustRun runs ctitui to completion and fails the test unless it exits 0.
func crashMustRun(t *testing.T, stdin string, args ...string) crashRun {
	t.Helper()
	r := crashStart(t, -1, stdin, args...)
	if r.exit != 0 {
		t.Fatalf("ctitui %q exited %d; stderr: %s", args, r.exit, r.stderr)
	}
	return r
}

// crashDelays spreads n delays evenly from 0 to total.
func crashDelays(n int, total time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range n {
		if n > 1 {
			out[i] = total * time.Duration(i) / time.Duration(n-1)
		}
	}
	return out
}

// crashCompanions are the files SQLite keeps beside a database.
var crashCompanions = []string{"-journal", "-wal", "-shm"}

// crashCopyFile copies src to dst, private.
func crashCopyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// crashCopyState copies a database as a killed process left it, with
// whichever of its journal, WAL and shared-memory files exist, so that it
// can be inspected (and recovered) without touching the original. It
// reports which companions it found.
func crashCopyState(t *testing.T, src, dst string) []string {
	t.Helper()
	crashCopyFile(t, src, dst)
	var found []string
	for _, c := range crashCompanions {
		if info, err := os.Stat(src + c); err == nil {
			found = append(found, fmt.Sprintf("%s(%d bytes)", c, info.Size()))
			crashCopyFile(t, src+c, dst+c)
		}
	}
	return found
}

// crashOpenRaw opens path read-write the way any SQLite program would. The
// first statement rolls back a hot journal that a killed writer left.
func crashOpenRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1)
	return sqldb
}

func crashInt(t *testing.T, q *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// crashIntegrity runs SQLite's integrity and foreign-key checks on q and
// returns "ok" or what they found.
func crashIntegrity(t *testing.T, q *sql.DB) string {
	t.Helper()
	var res string
	if err := q.QueryRow(`PRAGMA integrity_check(5)`).Scan(&res); err != nil {
		return "integrity_check: " + err.Error()
	}
	if res != "ok" {
		return res
	}
	var fk int
	if err := q.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil {
		return "foreign_key_check: " + err.Error()
	}
	if fk > 0 {
		return fmt.Sprintf("%d rows fail the foreign-key check", fk)
	}
	return "ok"
}

func crashHasTable(t *testing.T, q *sql.DB, name string) bool {
	t.Helper()
	return crashInt(t, q, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name) > 0
}

// crashVersions lists the applied goose versions of q, or nil without a
// version table.
func crashVersions(t *testing.T, q *sql.DB) []int64 {
	t.Helper()
	if !crashHasTable(t, q, "goose_db_version") {
		return nil
	}
	rows, err := q.Query(`SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// crashContiguous reports whether versions are exactly the first k+1 of
// embeddedVersions (0, 1, ..., k when no version number is missing).
func crashContiguous(versions []int64) bool {
	all := embeddedVersions()
	return len(versions) > 0 && len(versions) <= len(all) && slices.Equal(versions, all[:len(versions)])
}

// crashBackupState says whether the file at path, which is named like a
// backup, is a complete, usable copy holding wantUsers users: "good", or
// what is wrong with it.
func crashBackupState(t *testing.T, path string, wantUsers int64) string {
	t.Helper()
	for _, c := range crashCompanions {
		if _, err := os.Stat(path + c); err == nil {
			return "partial: a " + c + " file lies beside it (the write was interrupted)"
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		return err.Error()
	}
	if info.Mode().Perm() != 0o600 {
		return fmt.Sprintf("mode %#o", info.Mode().Perm())
	}
	sqldb, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return err.Error()
	}
	defer sqldb.Close()
	// quick_check: ctitui ran the full integrity check before it said the
	// backup was written; here only completeness is in question.
	var res string
	if err := sqldb.QueryRow(`PRAGMA quick_check(1)`).Scan(&res); err != nil {
		return "partial: " + err.Error()
	}
	if res != "ok" {
		return "partial: quick check: " + res
	}
	var n int64
	if err := sqldb.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
		return "partial: " + err.Error()
	}
	if n != wantUsers {
		return fmt.Sprintf("partial: %d users, want %d", n, wantUsers)
	}
	return "good"
}

// crashCheckBackups looks at every *.bak file in dir. A complete backup is
// fine; an interrupted one must at least not be taken for a good backup by
// ctitui restore. It returns how many partial backups it found.
func crashCheckBackups(t *testing.T, dir string, wantUsers int64) (partial int) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.bak"))
	for _, name := range names {
		state := crashBackupState(t, name, wantUsers)
		if state == "good" {
			continue
		}
		partial++
		t.Logf("left behind: %s: %s", filepath.Base(name), state)
		crashRestoreRefuses(t, name, wantUsers)
	}
	return partial
}

// crashRestoreRefuses checks that ctitui restore will not take the
// interrupted backup at name for a good one. As it lies, beside the journal
// that would roll it back, restore must refuse it. Moved on its own, as a
// person copying backups to another disk would, restore must refuse it
// unless what it holds is complete (the kill may have come after the last
// page was written, before the copy was committed).
func crashRestoreRefuses(t *testing.T, name string, wantUsers int64) {
	t.Helper()
	scratch := t.TempDir()
	alone := filepath.Join(scratch, "moved.bak")
	crashCopyFile(t, name, alone)
	aloneState := crashBackupState(t, alone, wantUsers)
	for _, src := range []string{name, alone} {
		target := filepath.Join(scratch, "target.db")
		r := crashStart(t, -1, "", "--db", target, "restore", src, "--yes")
		switch {
		case r.exit == 1:
		case r.exit == 0 && src == alone && aloneState == "good":
			t.Logf("moved without its journal, %s is a complete copy, and restore took it", filepath.Base(name))
		default:
			t.Errorf("ctitui restore %s (a backup interrupted by a kill; on its own: %s) exited %d; want 1 (refused). stdout: %s stderr: %s",
				src, aloneState, r.exit, r.stdout, r.stderr)
		}
		for _, leftover := range append([]string{target}, crashGlob(t, target+"*")...) {
			os.Remove(leftover)
		}
	}
}

func crashGlob(t *testing.T, pattern string) []string {
	t.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// crashLegacyDB writes a database as the earlier Python service made it,
// before ctitui had migrations: text UUID ids, naive timestamps, an
// is_active flag, roles and user_roles; half the users have a role.
func crashLegacyDB(t *testing.T, path string, n int) {
	t.Helper()
	sqldb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	for _, stmt := range []string{
		`CREATE TABLE users (
			id TEXT PRIMARY KEY,
			email TEXT NOT NULL UNIQUE,
			hashed_password TEXT NOT NULL,
			created_at TEXT NOT NULL DEFAULT '2024-10-01 12:00:00',
			is_active BOOLEAN NOT NULL DEFAULT 1)`,
		`CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`,
		`CREATE TABLE user_roles (
			user_id TEXT NOT NULL REFERENCES users (id),
			role_id INTEGER NOT NULL REFERENCES roles (id),
			PRIMARY KEY (user_id, role_id))`,
		`INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'analyst'), (3, 'viewer')`,
	} {
		if _, err := sqldb.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	tx, err := sqldb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	hash := "$2b$12$" + strings.Repeat("N9qo8uLOickgx2ZMRZoMye", 3)[:53]
	for i := range n {
		id := fmt.Sprintf("%08x-7e57-4c0d-9a11-%012x", i, i)
		if _, err := tx.Exec(`INSERT INTO users (id, email, hashed_password, created_at) VALUES (?, ?, ?, '2024-10-01 12:00:00')`,
			id, fmt.Sprintf("legacy%06d@example.org", i), hash); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := tx.Exec(`INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)`, id, 1+i%3); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// crashFill adds n users named prefix%06d@example.org, each an analyst, in
// one transaction through raw SQL on a database at the current schema or at
// any version from 2 on: user_roles rows first (their foreign key to users is
// deferred), then the users, so that the timestamp triggers find nothing to
// touch. With audit, each user also gets a register entry (columns of
// migration 3, without the chain of migration 7).
func crashFill(t *testing.T, path, prefix string, n int, audit bool) {
	t.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	tx, err := sqldb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	const at = "2025-01-02T03:04:05.000Z"
	hash := crashHash()
	for i := range n {
		id := fmt.Sprintf("%s-%08d-0000-4000-8000-000000000000", prefix, i)
		email := fmt.Sprintf("%s%06d@example.org", prefix, i)
		if _, err := tx.Exec(`INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE name = 'analyst'`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, email, email, hash, at, at); err != nil {
			t.Fatal(err)
		}
		if audit {
			if _, err := tx.Exec(`INSERT INTO audit_log (at, actor, action, user_id, user_email, details) VALUES (?, 'tester', 'register', ?, ?, 'roles=analyst')`,
				at, id, email); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// crashPassword is the password of every user crashFill adds.
const crashPassword = "correct horse battery staple"

// crashHash is crashPassword hashed with the parameters the binary uses, so
// that doctor finds nothing to say about the hashes.
var crashHash = sync.OnceValue(func() string {
	h, err := password.NewHasher(password.DefaultParams).Hash(crashPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// crashCurrentDB makes a database at the current schema holding n users
// named prefix..., closed cleanly (no -wal beside it).
func crashCurrentDB(t *testing.T, path, prefix string, n int) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	crashFill(t, path, prefix, n, false)
	for _, c := range crashCompanions {
		if _, err := os.Stat(path + c); err == nil {
			t.Fatalf("%s%s left after close", path, c)
		}
	}
}

// crashTally counts outcomes by name and renders them for the log.
type crashTally map[string]int

func (c crashTally) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
	}
	return strings.Join(parts, ", ")
}

// TestCrashDuringAdoption kills ctitui while it adopts a large database of
// the earlier service (pre-adoption backup, the rebuild of users, roles and
// user_roles in one transaction, then goose's migrations 3 to latest, each
// in its own transaction). Afterwards the file is either exactly the
// original (bytes equal once any hot journal is rolled back) or adopted with
// every user and role, at a contiguous prefix of the migrations; integrity
// holds; and the next ctitui opens it, finishes the migrations and lists
// every user.
func TestCrashDuringAdoption(t *testing.T) {
	t.Parallel()
	users, spread := 12000, 7
	if !fullProofs() {
		users, spread = 2000, 3
	}
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.db")
	crashLegacyDB(t, legacy, users)
	original := fileSHA256(t, legacy)
	latest := sqlite.LatestVersion()

	// The whole adoption, uninterrupted, sets the time scale.
	refDir := filepath.Join(dir, "ref")
	if err := os.Mkdir(refDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(refDir, "ctitui.db")
	crashCopyFile(t, legacy, ref)
	full := crashMustRun(t, "", "--db", ref, "migrate", "up")
	t.Logf("adopting %d legacy users takes %v uninterrupted", users, full.elapsed.Round(time.Millisecond))

	// Adoption converts a copy beside the file and swaps it in when done.
	points := append(crashTimePoints(spread, full.elapsed),
		crashPoint{"as the pre-adopt backup is written", 0, crashBackupGrows("pre-adopt")},
		crashPoint{"as the copy to adopt is written", 0, crashFileGrows(".adopting")},
		crashPoint{"as the adopting transaction writes its journal", 0, crashFileGrows(".adopting-journal")},
		crashPoint{"20ms into the adopting transaction", 20 * time.Millisecond, crashFileGrows(".adopting-journal")},
		crashPoint{"as the migrations of the copy start", 0, crashFileGrows(".adopting-wal")},
		crashPoint{"30ms into the migrations of the copy", 30 * time.Millisecond, crashFileGrows(".adopting-wal")},
	)
	tally := crashTally{}
	var partialBackups int
	for i, point := range points {
		kdir := filepath.Join(dir, fmt.Sprintf("kill%02d", i))
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(kdir, "ctitui.db")
		crashCopyFile(t, legacy, path)
		run := crashKill(t, point, path, "", "--db", path, "migrate", "up")
		where := fmt.Sprintf("kill %d %s", i, point.label)
		var state string

		// Inspect a copy, so that the next ctitui meets the file exactly as
		// the kill left it.
		inspect := filepath.Join(kdir, "inspect.db")
		companions := crashCopyState(t, path, inspect)
		raw := crashOpenRaw(t, inspect)
		versions := crashVersions(t, raw) // rolls back a hot journal first
		if versions != nil {
			if got := crashIntegrity(t, raw); got != "ok" {
				t.Errorf("%s: integrity: %s", where, got)
			}
		}
		switch {
		case versions == nil:
			// Byte equality with the original implies its integrity.
			raw.Close()
			for _, c := range crashCompanions {
				os.Remove(inspect + c)
			}
			if fileSHA256(t, inspect) != original {
				t.Errorf("%s: no version table, but the file (companions %v) is not the original byte for byte", where, companions)
			}
			state = "untouched"
			if len(companions) > 0 {
				state = "untouched once its journal is rolled back"
			}
		case !crashContiguous(versions) || versions[len(versions)-1] < 2:
			t.Errorf("%s: goose versions %v; want 0..k, k >= 2 (the adoption baseline)", where, versions)
			raw.Close()
		default:
			if n := crashInt(t, raw, `SELECT count(*) FROM users`); n != int64(users) {
				t.Errorf("%s: adopted file holds %d users; want %d", where, n, users)
			}
			if n := crashInt(t, raw, `SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)`); n != 0 {
				t.Errorf("%s: %d adopted users have no role", where, n)
			}
			// All or nothing: an adopted file is migrated and audited.
			k := versions[len(versions)-1]
			if k != latest {
				t.Errorf("%s: the file is adopted but at schema version %d; want untouched or at %d", where, k, latest)
			}
			if crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE action = 'adopt-database'`) == 0 {
				t.Errorf("%s: the file is adopted without its adopt-database audit entry", where)
			}
			state = "adopted and migrated"
			raw.Close()
		}
		if !run.killed {
			state = "finished before the kill"
		}
		tally[state]++

		partialBackups += crashCheckBackups(t, kdir, int64(users))

		// The next migrate up succeeds, completes the adoption, and the
		// list shows everyone.
		if up := crashStart(t, -1, "", "--db", path, "migrate", "up"); up.exit != 0 {
			t.Errorf("%s (left %v): the next `ctitui migrate up` exited %d: %s", where, companions, up.exit, strings.TrimSpace(up.stderr))
			continue
		}
		next := crashStart(t, -1, "", "--db", path, "user", "list", "--format", "csv")
		if next.exit != 0 {
			t.Errorf("%s (left %v): the next `ctitui user list` exited %d: %s", where, companions, next.exit, strings.TrimSpace(next.stderr))
			continue
		}
		if got := strings.Count(next.stdout, "\n") - 1; got != users {
			t.Errorf("%s: the next `ctitui user list` shows %d users; want %d", where, got, users)
		}
		raw = crashOpenRaw(t, path)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("%s: after the next open, integrity: %s", where, got)
		}
		if v := crashVersions(t, raw); !crashContiguous(v) || v[len(v)-1] != latest {
			t.Errorf("%s: after the next open, goose versions %v; want 0..%d once each", where, v, latest)
		}
		if n := crashInt(t, raw, `SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)`); n != 0 {
			t.Errorf("%s: after the next open, %d users have no role", where, n)
		}
		raw.Close()
	}
	t.Logf("adoption of %d users: %d kills: %s", users, len(points), tally)
	if partialBackups > 0 {
		t.Logf("adoption: %d kills left an interrupted pre-adopt backup under its final .bak name (restore refuses it)", partialBackups)
	}
}

// TestCrashDuringMigration kills ctitui while it brings a database at
// schema version 5, holding users and audit entries, to the latest version:
// the automatic pre-migrate backup, migrations 6 and 7, and the sealing of
// the old audit rows into the hash chain. Afterwards the file is at a
// contiguous prefix of the migrations with all its rows, the chain is
// sealed entirely or not at all, and the next ctitui finishes the job with
// an audit chain that verifies.
func TestCrashDuringMigration(t *testing.T) {
	t.Parallel()
	users, spread := 4000, 5
	if !fullProofs() {
		users, spread = 1000, 2
	}
	ctx := context.Background()
	dir := t.TempDir()
	v5 := filepath.Join(dir, "v5.db")
	sqldb, err := sql.Open("sqlite", "file:"+v5+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sqlite.NewMigrationProvider(sqldb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatalf("UpTo(5) = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	crashFill(t, v5, "v5user", users, true)
	latest := sqlite.LatestVersion()

	refDir := filepath.Join(dir, "ref")
	if err := os.Mkdir(refDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(refDir, "ctitui.db")
	crashCopyFile(t, v5, ref)
	full := crashMustRun(t, "", "--db", ref, "migrate", "up")
	t.Logf("migrating %d users and %d audit entries from version 5 takes %v uninterrupted", users, users, full.elapsed.Round(time.Millisecond))

	points := append(crashTimePoints(spread, full.elapsed),
		crashPoint{"as the pre-migrate backup is written", 0, crashBackupGrows("pre-migrate")},
		crashPoint{"as the migrations start", 0, crashFileGrows("-wal")},
		crashPoint{"20ms into the migrations", 20 * time.Millisecond, crashFileGrows("-wal")},
	)
	tally := crashTally{}
	var partialBackups int
	for i, point := range points {
		kdir := filepath.Join(dir, fmt.Sprintf("kill%02d", i))
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(kdir, "ctitui.db")
		crashCopyFile(t, v5, path)
		run := crashKill(t, point, path, "", "--db", path, "migrate", "up")
		where := fmt.Sprintf("kill %d %s", i, point.label)

		inspect := filepath.Join(kdir, "inspect.db")
		companions := crashCopyState(t, path, inspect)
		raw := crashOpenRaw(t, inspect)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("%s: integrity: %s", where, got)
		}
		versions := crashVersions(t, raw)
		k := int64(-1)
		if crashContiguous(versions) {
			k = versions[len(versions)-1]
		}
		if k < 5 {
			t.Errorf("%s: goose versions %v; want 0..k with k >= 5", where, versions)
		}
		if n := crashInt(t, raw, `SELECT count(*) FROM users`); n != int64(users) {
			t.Errorf("%s: %d users; want %d", where, n, users)
		}
		if n := crashInt(t, raw, `SELECT count(*) FROM audit_log`); n != int64(users) {
			t.Errorf("%s: %d audit entries; want %d", where, n, users)
		}
		state := fmt.Sprintf("at schema version %d", k)
		if k >= 7 {
			sealed := crashInt(t, raw, `SELECT count(*) FROM settings WHERE key = 'audit_chain_sealed_at'`) > 0
			hashed := crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE hash IS NOT NULL`)
			switch {
			case sealed && hashed == int64(users):
				state += ", audit chain sealed"
			case !sealed && hashed == 0:
				state += ", audit chain not yet sealed"
			default:
				t.Errorf("%s: sealed=%v but %d of %d audit rows hashed: half a sealing", where, sealed, hashed, users)
			}
		}
		if !run.killed {
			state = "finished before the kill"
		}
		tally[state]++
		raw.Close()

		partialBackups += crashCheckBackups(t, kdir, int64(users))

		// A read-only look refuses the half-migrated file; the next
		// `migrate up` finishes the migrations, and `audit verify` finds
		// the whole chain.
		if look := crashStart(t, -1, "", "--db", path, "audit", "verify"); run.killed && look.exit != 1 && !strings.Contains(look.stdout, "audit chain: ok") {
			t.Errorf("%s: `audit verify` on the interrupted file exited %d: %s%s; want ok or a refusal", where, look.exit, look.stdout, look.stderr)
		}
		if up := crashStart(t, -1, "", "--db", path, "migrate", "up"); up.exit != 0 {
			t.Errorf("%s (left %v): the next `ctitui migrate up` exited %d: %s", where, companions, up.exit, strings.TrimSpace(up.stderr))
			continue
		}
		next := crashStart(t, -1, "", "--db", path, "audit", "verify")
		if next.exit != 0 || !strings.Contains(next.stdout, fmt.Sprintf("audit chain: ok, %d entries", users)) {
			t.Errorf("%s (left %v): the next ctitui, `audit verify`, exited %d: %s%s", where, companions, next.exit, next.stdout, strings.TrimSpace(next.stderr))
			continue
		}
		raw = crashOpenRaw(t, path)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("%s: after the next open, integrity: %s", where, got)
		}
		if v := crashVersions(t, raw); !crashContiguous(v) || v[len(v)-1] != latest {
			t.Errorf("%s: after the next open, goose versions %v; want 0..%d once each", where, v, latest)
		}
		if n := crashInt(t, raw, `SELECT count(*) FROM users`); n != int64(users) {
			t.Errorf("%s: after the next open, %d users; want %d", where, n, users)
		}
		raw.Close()
	}
	t.Logf("migration 5 -> %d of %d users: %d kills: %s", latest, users, len(points), tally)
	if partialBackups > 0 {
		t.Logf("migration: %d kills left an interrupted pre-migrate backup under its final .bak name (restore refuses it)", partialBackups)
	}
}

// TestCrashDuringBackup kills `ctitui backup FILE` at several points while
// it copies a database of many users. The source stays byte for byte as it
// was and opens cleanly; a backup that was reported written is complete;
// whatever a killed backup leaves is never taken for a good backup by
// ctitui restore.
func TestCrashDuringBackup(t *testing.T) {
	t.Parallel()
	users, spread := 12000, 6
	if !fullProofs() {
		users, spread = 2000, 3
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "ctitui.db")
	crashCurrentDB(t, src, "user", users)
	original := fileSHA256(t, src)

	full := crashMustRun(t, "", "--db", src, "backup", filepath.Join(dir, "full.bak"))
	if !strings.Contains(full.stdout, "backup written and checked") {
		t.Fatalf("backup said %q", full.stdout)
	}
	if got := crashBackupState(t, filepath.Join(dir, "full.bak"), int64(users)); got != "good" {
		t.Fatalf("uninterrupted backup: %s", got)
	}
	t.Logf("backing up %d users takes %v uninterrupted", users, full.elapsed.Round(time.Millisecond))

	tally := crashTally{}
	var partial int
	points := append(crashTimePoints(spread, full.elapsed),
		crashPoint{"as the copy starts", 0, crashFileGrows("")},
		crashPoint{"10ms into the copy", 10 * time.Millisecond, crashFileGrows("")},
		crashPoint{"as the copy is committed", 0, func(dst string) bool {
			_, err := os.Stat(dst + "-journal")
			return err != nil && crashFileGrows("")(dst)
		}},
	)
	for i, point := range points {
		kdir := filepath.Join(dir, fmt.Sprintf("kill%02d", i))
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(kdir, "copy.bak")
		run := crashKill(t, point, dst, "", "--db", src, "backup", dst)
		where := fmt.Sprintf("kill %d %s", i, point.label)
		if got := fileSHA256(t, src); got != original {
			t.Errorf("%s: the source database changed", where)
		}
		reported := strings.Contains(run.stdout, "backup written and checked")
		_, statErr := os.Stat(dst)
		switch {
		case !run.killed && run.exit != 0:
			t.Errorf("%s: backup exited %d: %s", where, run.exit, run.stderr)
		case reported:
			if got := crashBackupState(t, dst, int64(users)); got != "good" {
				t.Errorf("%s: backup reported written and checked, but it is %s", where, got)
			}
			tally["backup written and reported"]++
		case errors.Is(statErr, fs.ErrNotExist):
			tally["no file left"]++
		default:
			if got := crashBackupState(t, dst, int64(users)); got == "good" {
				tally["complete backup left, not yet reported"]++
			} else {
				tally["interrupted backup left under the final name"]++
				partial++
				t.Logf("%s left %s: %s", where, filepath.Base(dst), got)
				crashRestoreRefuses(t, dst, int64(users))
			}
		}
	}
	// The source opens, and doctor finds it healthy.
	if r := crashStart(t, -1, "", "--db", src, "doctor"); r.exit != 0 {
		t.Errorf("doctor on the source after %d killed backups exited %d:\n%s%s", len(points), r.exit, r.stdout, r.stderr)
	}
	t.Logf("backup of %d users: %d kills: %s", users, len(points), tally)
	if partial > 0 {
		t.Logf("backup: BUG: %d kills left an interrupted backup under the name the user asked for (restore refuses it, a person may not)", partial)
	}
}

// TestCrashDuringRestore kills `ctitui restore FILE --yes`, which replaces
// the whole database, at several points. Afterwards the database is either
// the old one or the restored one, never a mix, integrity holds, and the
// next ctitui opens it.
func TestCrashDuringRestore(t *testing.T) {
	t.Parallel()
	users, spread := 4000, 4
	if !fullProofs() {
		users, spread = 1000, 2
	}
	dir := t.TempDir()
	oldDB := filepath.Join(dir, "old.db")
	crashCurrentDB(t, oldDB, "old", users)
	newDB := filepath.Join(dir, "new.db")
	crashCurrentDB(t, newDB, "new", users)

	refDir := filepath.Join(dir, "ref")
	if err := os.Mkdir(refDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(refDir, "ctitui.db")
	crashCopyFile(t, oldDB, ref)
	crashCopyFile(t, newDB, filepath.Join(refDir, "new.db"))
	full := crashMustRun(t, "", "--db", ref, "restore", filepath.Join(refDir, "new.db"), "--yes")
	t.Logf("restoring %d users over %d takes %v uninterrupted", users, users, full.elapsed.Round(time.Millisecond))

	tally := crashTally{}
	var partial, unaudited, leftovers int
	points := append(crashTimePoints(spread, full.elapsed),
		crashPoint{"as the pre-restore backup is written", 0, crashBackupGrows("pre-restore")},
		crashPoint{"as the copy to move in is written", 0, crashFileGrows(".restoring")},
		crashPoint{"10ms into the copy to move in", 10 * time.Millisecond, crashFileGrows(".restoring")},
		crashPoint{"as the restored file is opened", 0, crashFileGrows("-wal")},
	)
	for i, point := range points {
		kdir := filepath.Join(dir, fmt.Sprintf("kill%02d", i))
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(kdir, "ctitui.db")
		crashCopyFile(t, oldDB, path)
		from := filepath.Join(kdir, "new.db")
		crashCopyFile(t, newDB, from)
		run := crashKill(t, point, path, "", "--db", path, "restore", from, "--yes")
		where := fmt.Sprintf("kill %d %s", i, point.label)
		if !run.killed && run.exit != 0 {
			t.Errorf("%s: restore exited %d: %s", where, run.exit, run.stderr)
		}

		inspect := filepath.Join(kdir, "inspect.db")
		companions := crashCopyState(t, path, inspect)
		raw := crashOpenRaw(t, inspect)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("%s: integrity: %s", where, got)
		}
		olds := crashInt(t, raw, `SELECT count(*) FROM users WHERE email LIKE 'old%'`)
		news := crashInt(t, raw, `SELECT count(*) FROM users WHERE email LIKE 'new%'`)
		restored := false
		var state string
		switch {
		case olds == int64(users) && news == 0:
			state = "old database"
		case olds == 0 && news == int64(users):
			restored = true
			state = "restored"
			if crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE action = 'restore-database'`) == 0 {
				unaudited++
				state = "restored, audit entry not yet written"
			}
		default:
			state = "a mix"
			t.Errorf("%s: a mix: %d old users and %d restored ones; want %d of one kind", where, olds, news, users)
		}
		if !run.killed {
			state = "finished before the kill"
		}
		tally[state]++
		raw.Close()
		if _, err := os.Stat(path + ".restoring"); err == nil {
			leftovers++
		}
		partial += crashCheckBackups(t, kdir, int64(users))

		// The next ctitui, here `user list`, opens it and sees the same
		// users.
		next := crashStart(t, -1, "", "--db", path, "user", "list", "--format", "csv")
		if next.exit != 0 {
			t.Errorf("%s (left %v): the next `ctitui user list` exited %d: %s", where, companions, next.exit, strings.TrimSpace(next.stderr))
			continue
		}
		prefix := "\nold"
		if restored {
			prefix = "\nnew"
		}
		if got := strings.Count(next.stdout, prefix); got != users {
			t.Errorf("%s: the next `ctitui user list` shows %d of the %d users it should", where, got, users)
		}
	}
	t.Logf("restore of %d users: %d kills: %s", users, len(points), tally)
	if leftovers > 0 {
		t.Logf("restore: %d kills left a <db>.restoring file (the next restore removes it)", leftovers)
	}
	if partial > 0 {
		t.Logf("restore: %d kills left an interrupted pre-restore backup under its final .bak name (restore refuses it)", partial)
	}
	if unaudited > 0 {
		t.Logf("restore: %d kills left the restored file without its restore-database audit entry", unaudited)
	}
}

// TestCrashDuringDoctorFix kills `ctitui doctor --fix` while it repairs a
// database missing an index and a role, with a world-readable file: each
// kill leaves the repairs of the database and their audit entry all
// present or all absent, and the next `doctor --fix` finishes the job.
func TestCrashDuringDoctorFix(t *testing.T) {
	t.Parallel()
	users, spread := 5000, 4
	if !fullProofs() {
		users, spread = 1000, 2
	}
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.db")
	crashCurrentDB(t, broken, "user", users)
	raw := crashOpenRaw(t, broken)
	for _, stmt := range []string{`DROP INDEX users_created_at_idx`, `DELETE FROM roles WHERE name = 'viewer'`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	refDir := filepath.Join(dir, "ref")
	if err := os.Mkdir(refDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(refDir, "ctitui.db")
	crashCopyFile(t, broken, ref)
	if err := os.Chmod(ref, 0o644); err != nil {
		t.Fatal(err)
	}
	full := crashMustRun(t, "", "--db", ref, "doctor", "--fix")
	t.Logf("doctor --fix on %d users takes %v uninterrupted", users, full.elapsed.Round(time.Millisecond))

	tally := crashTally{}
	var partial int
	points := append(crashTimePoints(spread, full.elapsed),
		crashPoint{"as the pre-repair backup is written", 0, crashBackupGrows("pre-repair")},
		crashPoint{"as the repairs start", 0, func(path string) bool {
			info, err := os.Stat(path)
			return err == nil && info.Mode().Perm() == 0o600
		}},
		crashPoint{"5ms into the repairs", 5 * time.Millisecond, func(path string) bool {
			info, err := os.Stat(path)
			return err == nil && info.Mode().Perm() == 0o600
		}},
	)
	for i, point := range points {
		kdir := filepath.Join(dir, fmt.Sprintf("kill%02d", i))
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(kdir, "ctitui.db")
		crashCopyFile(t, broken, path)
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		run := crashKill(t, point, path, "", "--db", path, "doctor", "--fix")
		where := fmt.Sprintf("kill %d %s", i, point.label)
		if !run.killed && run.exit != 0 {
			t.Errorf("%s: doctor --fix exited %d: %s%s", where, run.exit, run.stdout, run.stderr)
		}
		inspect := filepath.Join(kdir, "inspect.db")
		crashCopyState(t, path, inspect)
		raw := crashOpenRaw(t, inspect)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("%s: integrity: %s", where, got)
		}
		index := crashInt(t, raw, `SELECT count(*) FROM sqlite_schema WHERE name = 'users_created_at_idx'`)
		role := crashInt(t, raw, `SELECT count(*) FROM roles WHERE name = 'viewer'`)
		audited := crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE action = 'repair-database'`)
		raw.Close()
		if index != role || role != audited {
			t.Errorf("%s: half a repair: index %d, viewer role %d, repair audit entries %d; want all 0 or all 1", where, index, role, audited)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		state := fmt.Sprintf("repairs committed=%v, mode %#o", audited == 1, info.Mode().Perm())
		if !run.killed {
			state = "finished before the kill"
		}
		tally[state]++
		partial += crashCheckBackups(t, kdir, int64(users))

		// doctor --fix checks again after repairing: exit 0 means healthy.
		if r := crashStart(t, -1, "", "--db", path, "doctor", "--fix"); r.exit != 0 {
			t.Errorf("%s: the next `doctor --fix` exited %d:\n%s%s", where, r.exit, r.stdout, r.stderr)
		}
	}
	t.Logf("doctor --fix on %d users: %d kills: %s", users, len(points), tally)
	if partial > 0 {
		t.Logf("doctor --fix: %d kills left an interrupted pre-repair backup under its final .bak name (restore refuses it)", partial)
	}
}

// TestCrashDuringConcurrentWrites kills many concurrent single-user writes
// (set-role and disable/enable, each a transaction with its audit entry)
// at spread-out points. After every round, each user's state is exactly what
// its audit entries say: a change is never present without its entry, nor
// an entry without its change; and the file opens, whole, with a chain
// that verifies.
func TestCrashDuringConcurrentWrites(t *testing.T) {
	t.Parallel()
	procs, rounds := 12, 3
	if !fullProofs() {
		procs, rounds = 6, 2
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	store, err := sqlite.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := user.NewService(store, user.WithActor("tester"),
		user.WithHasher(passwordtest.Hasher()))
	emails := make([]string, procs)
	for i := range procs {
		emails[i] = fmt.Sprintf("w%02d@example.org", i)
		if _, err := svc.Register(ctx, emails[i], "correct horse battery staple", nil); err != nil {
			t.Fatal(err)
		}
	}
	// An admin no process touches: without one, the even users' demotions
	// would meet the refusal to demote the last enabled admin.
	if _, err := svc.Register(ctx, "keeper@example.org", "correct horse battery staple", []user.Role{user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	// args for process i in round r: even users toggle between analyst
	// and admin, odd ones between disabled and enabled.
	args := func(i, r int) []string {
		if i%2 == 0 {
			role := "admin"
			if r%2 == 1 {
				role = "analyst"
			}
			return []string{"--db", path, "user", "set-role", emails[i], "--role", role}
		}
		verb := "disable"
		if r%2 == 1 {
			verb = "enable"
		}
		return []string{"--db", path, "user", verb, emails[i]}
	}
	one := crashMustRun(t, "", args(0, 0)...)
	crashMustRun(t, "", args(0, 1)...)
	span := 3 * one.elapsed
	t.Logf("one set-role takes %v; kills spread over %v", one.elapsed.Round(time.Millisecond), span.Round(time.Millisecond))

	killed, finished := 0, 0
	for r := range rounds {
		var wg sync.WaitGroup
		runs := make([]crashRun, procs)
		for i, delay := range crashDelays(procs, span) {
			wg.Go(func() { runs[i] = crashStart(t, delay, "", args(i, r)...) })
		}
		wg.Wait()
		for i, run := range runs {
			switch {
			case run.killed:
				killed++
			case run.exit != 0:
				t.Errorf("round %d: ctitui %q exited %d: %s", r, args(i, r), run.exit, run.stderr)
			default:
				finished++
			}
		}

		raw := crashOpenRaw(t, path)
		if got := crashIntegrity(t, raw); got != "ok" {
			t.Errorf("round %d: integrity: %s", r, got)
		}
		for i, email := range emails {
			if i%2 == 0 {
				// Every set-roles entry is a real toggle (an unchanged set
				// writes none), so their parity is the current role.
				entries := crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE action = 'set-roles' AND user_email = ?`, email)
				admin := crashInt(t, raw, `SELECT count(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles ro ON ro.id = ur.role_id
					WHERE u.email = ? AND ro.name = 'admin'`, email)
				if i == 0 {
					entries -= 2 // the two timing runs
				}
				if admin != entries%2 {
					t.Errorf("round %d: %s is admin=%d after %d set-roles entries: a change without its audit entry, or the reverse", r, email, admin, entries)
				}
				continue
			}
			entries := crashInt(t, raw, `SELECT count(*) FROM audit_log WHERE action IN ('disable', 'enable') AND user_email = ?`, email)
			disabled := crashInt(t, raw, `SELECT count(*) FROM users WHERE email = ? AND disabled_at IS NOT NULL`, email)
			if disabled != entries%2 {
				t.Errorf("round %d: %s is disabled=%d after %d disable/enable entries", r, email, disabled, entries)
			}
		}
		raw.Close()
	}
	if r := crashStart(t, -1, "", "--db", path, "audit", "verify"); r.exit != 0 {
		t.Errorf("audit verify after the kills exited %d: %s", r.exit, r.stderr)
	}
	if r := crashStart(t, -1, "", "--db", path, "user", "list", "--format", "csv"); r.exit != 0 || strings.Count(r.stdout, "\n") != procs+2 { // the header, the users and keeper
		t.Errorf("user list after the kills exited %d with %q", r.exit, r.stdout)
	}
	t.Logf("concurrent writes: %d processes in %d rounds: %d killed mid-way, %d finished first", procs*rounds, rounds, killed, finished)
}

// TestLockedDatabase holds the database locked from another process (this
// test process, not the ctitui it starts) for longer than ctitui's 5 s busy
// timeout. A write gives up with one clear line and exit 1; a read goes on
// past an ordinary writer (WAL) but not past an exclusive-mode lock; and the
// file's content is the same after the lock is gone. The two cases run at
// once: each mostly waits. (testdata/script/locked.txtar holds the lock with
// the sqlite3 shell.)
func TestLockedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 5 s busy timeout")
	}
	t.Parallel()
	var wg sync.WaitGroup
	for _, tc := range []struct {
		name     string
		lock     []string
		readsRun bool
	}{
		{"writer transaction", []string{`BEGIN EXCLUSIVE`}, true},
		{"exclusive locking mode", []string{`PRAGMA locking_mode = EXCLUSIVE`, `BEGIN EXCLUSIVE`}, false},
	} {
		path := filepath.Join(t.TempDir(), "ctitui.db")
		crashCurrentDB(t, path, "user", 3)
		wg.Go(func() { crashLocked(t, tc.name, path, tc.lock, tc.readsRun) })
	}
	wg.Wait()
}

// crashLocked runs one case of TestLockedDatabase. It reports with Errorf
// only: it runs on a goroutine of the test.
func crashLocked(t *testing.T, name, path string, lock []string, readsRun bool) {
	ctx := context.Background()
	oneLine := regexp.MustCompile(`\Actitui: [^\n]*database is locked by another process[^\n]*\n\z`)
	before, err := crashDump(path)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	sum, err := fileSum(path)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}

	holder, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	defer holder.Close()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	for _, stmt := range lock {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Errorf("%s: %s: %v", name, stmt, err)
			return
		}
	}
	// Both wait out the busy timeout at the same time.
	var add, list crashRun
	var wg sync.WaitGroup
	wg.Go(func() {
		add = crashStart(t, -1, crashPassword+"\n", "--db", path, "user", "add", "--email", "new@example.org", "--password-stdin")
	})
	wg.Go(func() { list = crashStart(t, -1, "", "--db", path, "user", "list", "--format", "csv") })
	wg.Wait()
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Errorf("%s: ROLLBACK: %v", name, err)
	}
	conn.Close()
	holder.Close()

	if add.exit != 1 || !oneLine.MatchString(add.stderr) || add.stdout != "" {
		t.Errorf("%s: user add on a locked file: exit %d, stdout %q, stderr %q; want exit 1 and one line saying it is locked", name, add.exit, add.stdout, add.stderr)
	}
	if add.elapsed < 5*time.Second {
		t.Errorf("%s: user add gave up after %v; want the 5 s busy timeout first", name, add.elapsed)
	}
	switch {
	case readsRun && (list.exit != 0 || strings.Count(list.stdout, "\n") != 4):
		t.Errorf("%s: user list beside a writer: exit %d, %q %q; want the 3 users (WAL lets readers through)", name, list.exit, list.stdout, list.stderr)
	case !readsRun && (list.exit != 1 || !oneLine.MatchString(list.stderr) || list.stdout != ""):
		t.Errorf("%s: user list on an exclusively locked file: exit %d, stdout %q, stderr %q; want exit 1 and one line", name, list.exit, list.stdout, list.stderr)
	}
	if got, err := crashDump(path); err != nil || got != before {
		t.Errorf("%s: the content changed (%v):\nbefore: %s\nafter:  %s", name, err, before, got)
	}
	if got, err := fileSum(path); err != nil || got != sum {
		t.Errorf("%s: the file's bytes changed (%v)", name, err)
	}
	t.Logf("%s: user add gave up after %v, user list took %v", name, add.elapsed.Round(time.Millisecond), list.elapsed.Round(time.Millisecond))
}

// crashDump is the logical content of the users and audit tables.
func crashDump(path string) (string, error) {
	sqldb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer sqldb.Close()
	var users, audit string
	if err := sqldb.QueryRow(`SELECT count(*) || ':' || COALESCE(group_concat(id || email || hashed_password || updated_at, ','), '') FROM users`).Scan(&users); err != nil {
		return "", err
	}
	if err := sqldb.QueryRow(`SELECT count(*) || ':' || COALESCE(group_concat(id || action || COALESCE(hash, ''), ','), '') FROM audit_log`).Scan(&audit); err != nil {
		return "", err
	}
	return users + " / " + audit, nil
}

// fullProofs reports whether CTITUI_FULL_PROOFS is set. By default the crash
// tests kill smaller databases at fewer points, so that go test ./... stays
// within its two minutes on two cores; scripts/proofs.sh sets it and runs
// them at full size.
func fullProofs() bool { return os.Getenv("CTITUI_FULL_PROOFS") != "" }
