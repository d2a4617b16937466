package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	// A child started by the tests below runs one helper and exits.
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(child(m, mode))
	}
	Main(m)
}

// envChild makes the test binary a child that runs one mode of child.
const envChild = "PGTEST_CHILD"

// child runs the test binary as the tests below need it, with
// -test.run=TestChildNewDatabase: "skip" takes a database and is expected to
// skip; "stop" and "panic" take one and print its socket directory, then end
// normally or by a panic.
func child(m *testing.M, mode string) int {
	switch mode {
	case "skip", "stop", "panic":
		return Run(m)
	}
	fmt.Fprintf(os.Stderr, "unknown %s=%q\n", envChild, mode)
	return 2
}

// TestChildNewDatabase is the child's test; it does nothing in a normal run.
func TestChildNewDatabase(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("runs only in a child started by the tests of this file")
	}
	u := NewDatabase(t)
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("SOCKETDIR=%s\n", parsed.Query().Get("host"))
	if mode == "panic" {
		panic("on purpose: the server must stop without Run's help")
	}
}

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

func TestNewDatabaseIsFreshAndOwnedByAPlainRole(t *testing.T) {
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two NewDatabase calls gave the same URL %s", a)
	}
	ca, cb := connect(t, a), connect(t, b)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the second database sees a table made in the first: got %d tables, want 0", n)
	}
	var dbA, dbB, owner string
	if err := ca.QueryRow(ctx, `SELECT current_database(), pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`).Scan(&dbA, &owner); err != nil {
		t.Fatal(err)
	}
	if err := cb.QueryRow(ctx, `SELECT current_database()`).Scan(&dbB); err != nil {
		t.Fatal(err)
	}
	if dbA == dbB {
		t.Errorf("both URLs name database %s", dbA)
	}
	if os.Getenv(EnvURL) != "" {
		return // the databases belong to the role of that URL, whatever it is
	}
	var user string
	var super, createDB, createRole bool
	if err := ca.QueryRow(ctx, `SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &createDB, &createRole); err != nil {
		t.Fatal(err)
	}
	if user != OwnerRole || owner != OwnerRole {
		t.Errorf("connected as %s to a database owned by %s; want %s for both", user, owner, OwnerRole)
	}
	if super || createDB || createRole {
		t.Errorf("role %s: superuser %v, createdb %v, createrole %v; want none", user, super, createDB, createRole)
	}
	// What ctitui's migrations need from a database owner: a schema of its
	// own and pg_trgm, a trusted extension.
	for _, stmt := range []string{`CREATE SCHEMA ctitui`, `CREATE EXTENSION pg_trgm SCHEMA ctitui`} {
		if _, err := ca.Exec(ctx, stmt); err != nil {
			t.Errorf("%s as %s: %v", stmt, user, err)
		}
	}
}

func TestNewDatabaseIsDroppedAtCleanup(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, NewDatabase(t)) // first: it skips when there is no server
	var name string
	t.Run("user", func(t *testing.T) {
		u := NewDatabase(t)
		// A connection left open: the drop must not wait for it or fail.
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		_ = c // deliberately not closed
		if err := c.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if name == "" {
		t.Fatal("the subtest did not run")
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

// runChild runs this test binary as a child in mode, without
// $CTITUI_TEST_POSTGRES, with extra environment, and returns its output.
func runChild(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildNewDatabase$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EnvURL+"=") && !strings.HasPrefix(kv, envChild+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, envChild+"="+mode)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestSkipsWithoutPostgreSQL(t *testing.T) {
	out, err := runChild(t, "skip", EnvBin+"="+t.TempDir())
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	for _, want := range []string{"--- SKIP: TestChildNewDatabase", "no PostgreSQL to test against", EnvURL} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// socketDirOf reads the directory a child printed.
func socketDirOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if dir, ok := strings.CutPrefix(line, "SOCKETDIR="); ok && dir != "" {
			return dir
		}
	}
	t.Fatalf("child printed no SOCKETDIR:\n%s", out)
	return ""
}

func TestServerStopsWithTheTestBinary(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Skip("an external server ($" + EnvURL + ") is not started or stopped by pgtest")
	}
	if _, err := FindBinaries(); err != nil {
		t.Skipf("no PostgreSQL binaries: %v", err)
	}
	t.Run("after the tests", func(t *testing.T) {
		out, err := runChild(t, "stop")
		if err != nil {
			t.Fatalf("child failed: %v\n%s", err, out)
		}
		dir := socketDirOf(t, out)
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the server's directory %s is still there after Run: stat gave %v", dir, err)
		}
	})
	t.Run("after a panic", func(t *testing.T) {
		out, err := runChild(t, "panic")
		if err == nil {
			t.Fatalf("the child that panics succeeded:\n%s", out)
		}
		dir := socketDirOf(t, out)
		t.Cleanup(func() { os.RemoveAll(dir) })
		// The kernel signals the server when the child dies; it then takes
		// a moment to exit. Wait for its socket to refuse connections.
		admin := (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres",
			RawQuery: url.Values{"host": {dir}, "sslmode": {"disable"}, "connect_timeout": {"5"}}.Encode()}).String()
		deadline := time.Now().Add(setupTimeout)
		for {
			c, err := pgx.Connect(context.Background(), admin)
			if err != nil {
				break
			}
			c.Close(context.Background())
			if time.Now().After(deadline) {
				t.Fatalf("the server in %s still accepts connections after its test binary panicked", dir)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			// An immediate shutdown leaves no pid file once the server is gone.
			waitGone(t, filepath.Join(dir, "data", "postmaster.pid"), deadline)
		}
	})
}

// waitGone waits for the server to remove path as it exits.
func waitGone(t *testing.T, path string, deadline time.Time) {
	t.Helper()
	for {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still there: the server did not exit after its test binary panicked", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFindBinaries(t *testing.T) {
	withBoth := t.TempDir()
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(withBoth, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	withoutServer := t.TempDir()
	if err := os.WriteFile(filepath.Join(withoutServer, "initdb"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExecutable := t.TempDir()
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(notExecutable, name), []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, dir string
		wantErr   bool
	}{
		{"both programs", withBoth, false},
		{"no postgres", withoutServer, true},
		{"not executable", notExecutable, true},
		{"empty", t.TempDir(), true},
		{"missing", filepath.Join(t.TempDir(), "nope"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvBin, tt.dir)
			got, err := FindBinaries()
			if tt.wantErr {
				if err == nil {
					t.Errorf("FindBinaries() = %q, nil; want an error", got)
				}
				return
			}
			if err != nil || got != tt.dir {
				t.Errorf("FindBinaries() = %q, %v; want %q, nil", got, err, tt.dir)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"16", "9.6", 1},
		{"9.6", "10", -1},
		{"15", "15", 0},
		{"15", "x", 1},
		{"9.6", "9.5", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
