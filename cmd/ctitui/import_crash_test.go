//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
)

// TestCrashDuringImport kills (SIGKILL) `ctitui user import` at many points
// of its run, the test binary that TestMain puts on PATH as "ctitui": a big
// file of stored hashes, which imports fast, and a small file of plaintext
// passwords, which spends its time hashing before a short write
// transaction. Wherever the kill lands, the file passes SQLite's integrity check
// and holds either none of the file's users or all of them, each with its
// role and its audit entry; and the next ctitui opens it and lists them.
func TestCrashDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("kills ctitui some twenty times; 20 to 30 s")
	}
	dir := t.TempDir()
	template := filepath.Join(dir, "empty.db")
	store, err := sqlite.Open(context.Background(), template, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("stored hashes", func(t *testing.T) {
		// One cheap hash for every row: the import checks and stores it as
		// it is, so the run is all parsing and writing.
		hash, err := passwordtest.Hasher().Hash("a stored passphrase")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("email,roles,hashed_password\n")
		const n = 3000
		for i := range n {
			fmt.Fprintf(&b, "user%04d@example.org,%s,%q\n", i, []string{"admin", "analyst", "viewer", "\"admin,viewer\""}[i%4], hash)
		}
		importCrashRun(t, dir, template, "hashes", b.String(), n, 12)
	})

	t.Run("plaintext passwords", func(t *testing.T) {
		// Each row costs an argon2id hash with the binary's parameters,
		// spread over all cores before the transaction: about 200
		// rows, fewer (at least 16) where hashing is so slow that they
		// would take more than a couple of seconds.
		n := importCrashPlainRows(t, 200, 2*time.Second)
		var b strings.Builder
		b.WriteString("email,password\n")
		for i := range n {
			fmt.Fprintf(&b, "plain%03d@example.org,Tangerine Walrus Dances Slowly %d\n", i, i)
		}
		importCrashRun(t, dir, template, "plain", b.String(), n, 4)
	})
}

// importCrashRun imports content (a CSV file of n users) into copies of
// template: whole, to time it, then killed at points spread over that time
// and at a point keyed to the write-ahead log growing, which happens as the
// transaction commits.
func importCrashRun(t *testing.T, dir, template, name, content string, n, points int) {
	// The last email of the file, which search must find once imported.
	lines := strings.Split(strings.TrimSpace(content), "\n")
	probe, _, _ := strings.Cut(lines[len(lines)-1], ",")
	file := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := func(label string) string {
		kdir := filepath.Join(dir, name+"-"+label)
		if err := os.Mkdir(kdir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(kdir, "ctitui.db")
		crashCopyFile(t, template, path)
		return path
	}

	// Uninterrupted runs set the time scale (the longer of two when they
	// are short, as short runs vary most), and the peak size of the
	// write-ahead log, which the commit fills.
	var (
		full    importCrashResult
		walPeak int64
	)
	for i := 0; i < 2 && full.elapsed < 2*time.Second; i++ {
		ref := fresh(fmt.Sprintf("ref%d", i))
		run := importCrashExec(t, ref, 0, func(path string) bool {
			walPeak = max(walPeak, importCrashSize(path+"-wal"))
			return false
		}, "--db", ref, "user", "import", file)
		if run.exit != 0 || !strings.Contains(run.stdout, fmt.Sprintf("imported %d users", n)) {
			t.Fatalf("uninterrupted import: exit %d, %q %q", run.exit, run.stdout, run.stderr)
		}
		if run.elapsed > full.elapsed {
			full = run
		}
	}
	t.Logf("%s: importing %d users takes %v uninterrupted; the WAL peaks at %d KiB", name, n, full.elapsed.Round(time.Millisecond), walPeak>>10)

	type point struct {
		label string
		after time.Duration
		when  func(path string) bool
	}
	var kills []point
	for i := range points {
		// From start-up to a quarter past the measured time: runs vary,
		// and the last kills should still find some runs at their end.
		d := full.elapsed * 5 / 4 * time.Duration(i) / time.Duration(max(points-1, 1))
		kills = append(kills, point{label: "at " + d.Round(time.Millisecond).String(), after: d})
	}
	// The commit writes the transaction's pages to the WAL: kill as it
	// grows, before the commit frame is written.
	walGrows := func(min int64) func(string) bool {
		return func(path string) bool { return importCrashSize(path+"-wal") > min }
	}
	kills = append(kills, point{"as the WAL passes half its peak", 0, walGrows(walPeak / 2)})

	tally := map[string]int{}
	for i, p := range kills {
		path := fresh(fmt.Sprintf("kill%02d", i))
		where := fmt.Sprintf("%s kill %d %s", name, i, p.label)
		run := importCrashExec(t, path, p.after, p.when, "--db", path, "user", "import", file)
		if !run.killed && run.exit != 0 {
			t.Errorf("%s: import exited %d: %s", where, run.exit, run.stderr)
		}

		// Inspect a copy, so that the next ctitui meets the file exactly
		// as the kill left it.
		inspect := filepath.Join(filepath.Dir(path), "inspect.db")
		left := crashCopyState(t, path, inspect)
		raw := crashOpenRaw(t, inspect)
		var check string
		if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Errorf("%s: integrity_check = %q, %v", where, check, err)
		}
		// The import drops the search index's insert trigger for its
		// transaction and indexes the new users at its end: the trigger is
		// back, and the index agrees with the users table, however the
		// transaction ended.
		if _, err := raw.Exec(`INSERT INTO users_email_search (users_email_search, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Errorf("%s: the search index disagrees with the users: %v", where, err)
		}
		var users, roleless, audited, trigger int
		err := raw.QueryRow(`SELECT (SELECT count(*) FROM users),
			(SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)),
			(SELECT count(*) FROM audit_log WHERE action = 'import'),
			(SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'users_email_search_insert')`).
			Scan(&users, &roleless, &audited, &trigger)
		raw.Close()
		if trigger != 1 {
			t.Errorf("%s: the search index's insert trigger is missing", where)
		}
		if err != nil {
			t.Errorf("%s: count: %v", where, err)
			continue
		}
		outcome := "none imported"
		switch {
		case users == n && roleless == 0 && audited == n:
			outcome = "all imported"
		case users == 0 && audited == 0:
		default:
			t.Errorf("%s (left %v): %d users (%d without a role) and %d import audit entries; want 0 or all %d of each",
				where, left, users, roleless, audited, n)
			outcome = "partial"
		}
		switch {
		case !run.killed:
			tally["finished before the kill"]++
		case outcome == "all imported":
			tally["killed after the commit"]++
		case importCrashSize(path+"-wal") > 64<<10:
			tally["killed, "+outcome+", uncommitted pages in the WAL"]++
		default:
			tally["killed, "+outcome]++
		}

		// The next ctitui opens the file as the kill left it and lists
		// exactly those users.
		next := importCrashExec(t, path, -1, nil, "--db", path, "user", "list", "--format", "csv")
		if next.exit != 0 {
			t.Errorf("%s (left %v): the next `ctitui user list` exited %d: %s", where, left, next.exit, next.stderr)
		} else if got := strings.Count(next.stdout, "\n") - 1; got != users {
			t.Errorf("%s: the next `ctitui user list` shows %d users; want %d", where, got, users)
		}
		if users > 0 {
			// Search finds an imported user: the deferred indexing
			// committed with the users.
			r := importCrashExec(t, path, -1, nil, "--db", path, "user", "list", "--search", probe, "--format", "csv")
			if r.exit != 0 || strings.Count(r.stdout, "\n") != 2 {
				t.Errorf("%s: user list --search %s = exit %d, %q; want the one user", where, probe, r.exit, r.stdout)
			}
		}
		if users > 0 && i%4 == 0 {
			if r := importCrashExec(t, path, -1, nil, "--db", path, "audit", "verify"); r.exit != 0 {
				t.Errorf("%s: audit verify exited %d: %s%s", where, r.exit, r.stdout, r.stderr)
			}
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tally)) {
		parts = append(parts, fmt.Sprintf("%d %s", tally[k], k))
	}
	t.Logf("%s: %d kills: %s", name, len(kills), strings.Join(parts, ", "))
}

// importCrashPlainRows returns how many plaintext rows an import hashes
// in about budget on this machine, at most want: it times one round of
// hashes with the binary's parameters on every core.
func importCrashPlainRows(t *testing.T, want int, budget time.Duration) int {
	t.Helper()
	h := password.NewHasher(password.DefaultParams)
	procs := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			if _, err := h.Hash("calibration"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	round := time.Since(start)
	n := min(want, max(16, int(budget/round)*procs))
	t.Logf("%d argon2id hashes on %d cores take %v: importing %d plaintext rows", procs, procs, round.Round(time.Millisecond), n)
	return n
}

// importCrashResult is the outcome of one ctitui process.
type importCrashResult struct {
	killed         bool // ended by our SIGKILL
	exit           int
	stdout, stderr string
	elapsed        time.Duration
}

// importCrashExec runs ctitui with args. With after >= 0 it kills it
// (SIGKILL) after that delay from its start or, with when, from the moment
// when(path) first holds; a when that never holds only watches.
func importCrashExec(t *testing.T, path string, after time.Duration, when func(string) bool, args ...string) importCrashResult {
	t.Helper()
	cmd := exec.Command("ctitui", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ctitui %q: %v", args, err)
	}
	done := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		if after < 0 && when == nil {
			return
		}
		if when != nil {
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			for !when(path) {
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}
		timer := time.NewTimer(max(after, 0))
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			_ = cmd.Process.Kill()
		}
	}()
	err := cmd.Wait()
	close(done)
	<-killerDone
	r := importCrashResult{elapsed: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
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

func importCrashSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}
