package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// runProcesses starts n ctitui processes at once (the test binary itself,
// which testscript.Main puts on PATH as "ctitui") and waits for them all.
// args(i) gives process i's arguments.
func runProcesses(t *testing.T, n int, args func(i int) []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]string, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command("ctitui", args(i)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			<-start
			errs[i] = cmd.Run()
			outs[i] = stderr.String()
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("process %d (%q): %v; stderr: %s", i, args(i), errs[i], outs[i])
		}
		if strings.Contains(outs[i], "locked") {
			t.Errorf("process %d reported a lock: %s", i, outs[i])
		}
	}
}

// gooseRows counts the rows of goose's version table per version.
func gooseRows(t *testing.T, path string) map[int64]int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT version_id, count(*) FROM goose_db_version GROUP BY version_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int{}
	for rows.Next() {
		var v int64
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		got[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func checkMigratedOnce(t *testing.T, path string) {
	t.Helper()
	got := gooseRows(t, path)
	for _, v := range embeddedVersions() {
		if got[v] != 1 {
			t.Errorf("goose_db_version has %d rows for version %d; want 1 (all: %v)", got[v], v, got)
		}
	}
}

func TestConcurrentAddsOnNewFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 processes")
	}
	path := filepath.Join(t.TempDir(), "new", "ctitui.db")
	const procs, each = 8, 2
	runProcesses(t, procs, func(i int) []string {
		return []string{"--db", path, "user", "add", "--email", fmt.Sprintf("p%d@example.org", i), "--generate-password"}
	})
	// A second wave on the now-migrated file, adding several users each.
	runProcesses(t, procs, func(i int) []string {
		return []string{"--db", path, "user", "add", "--email", fmt.Sprintf("q%d@example.org", i), "--role", "viewer", "--generate-password"}
	})
	checkMigratedOnce(t, path)

	store, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := user.NewService(store)
	n, err := svc.Count(context.Background(), user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != procs*each {
		t.Errorf("Count = %d; want %d", n, procs*each)
	}
}

func TestConcurrentOpenOfLegacyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 8 processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "legacy.db")
	legacy, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`INSERT INTO users (id, email, hashed_password, created_at) VALUES ('u1', 'old@example.org', '$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0', '2024-10-01 12:00:00')`,
	} {
		if _, err := legacy.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	legacy.Close()

	runProcesses(t, 8, func(int) []string { return []string{"--db", path, "migrate", "up"} })
	checkMigratedOnce(t, path)
	backups, _ := filepath.Glob(path + ".pre-adopt-*.bak")
	if len(backups) != 1 {
		t.Errorf("backups = %q; want exactly one", backups)
	}
}
