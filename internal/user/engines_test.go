package user_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/pgtest"
)

// The tests of this package are a conformance suite of the storage engines:
// each run of the test binary runs every test against one engine, the one
// $CTITUI_USER_TEST_ENGINE names (SQLite when unset), and the SQLite run's
// TestPostgreSQL runs the binary again on PostgreSQL and fails with that
// run's failures. So `go test ./internal/user` tests both engines, a
// failure on PostgreSQL is reported under TestPostgreSQL with the name of
// the test that failed there, and one test can be run on PostgreSQL alone
// with
//
//	CTITUI_USER_TEST_ENGINE=postgres go test -run TestLockout ./internal/user
//
// A test of something that exists on SQLite alone says so with sqliteOnly.

// engineEnv names the engine a run of the test binary tests.
const engineEnv = "CTITUI_USER_TEST_ENGINE"

// The values of engineEnv.
const (
	engineSQLite   = "sqlite"
	enginePostgres = "postgres"
)

// testEngine is the engine of this run: engineEnv's, SQLite when unset.
var testEngine = sync.OnceValue(func() string {
	switch e := os.Getenv(engineEnv); e {
	case "", engineSQLite:
		return engineSQLite
	case enginePostgres:
		return enginePostgres
	default:
		panic(fmt.Sprintf("%s=%q: want %s or %s", engineEnv, e, engineSQLite, enginePostgres))
	}
})

// testStore is a store of either engine, as engine.Open returns it.
type testStore = db.Store

// sqliteOnly skips t on every engine but SQLite: what it tests exists on
// SQLite alone, for the reason why.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if testEngine() != engineSQLite {
		t.Skipf("SQLite only: %s", why)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// childFlags are the test flags the PostgreSQL run takes over from this
// one: those that choose and repeat tests. Not -test.v (the failures are
// what TestPostgreSQL reports) nor the output files (coverage, profiles,
// go test's log), which the run would overwrite.
var childFlags = []string{"test.run", "test.skip", "test.short", "test.count", "test.failfast", "test.parallel", "test.timeout", "test.cpu", "test.shuffle"}

// failLine is the line of go test's output that names a failed test.
var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// TestPostgreSQL runs this package's tests again, on PostgreSQL (a new run
// of this test binary, with engineEnv set), and fails with each test that
// fails there. It skips, as pgtest does, when there is no PostgreSQL to test
// against. It runs in parallel with the SQLite run's other tests.
func TestPostgreSQL(t *testing.T) {
	if testEngine() != engineSQLite {
		t.Skip("this is the PostgreSQL run")
	}
	if os.Getenv(pgtest.EnvURL) == "" {
		if _, err := pgtest.FindBinaries(); err != nil {
			t.Skipf("no PostgreSQL to test against (%v): the tests ran on SQLite only; install the server (Debian: apt-get install postgresql) or set %s", err, pgtest.EnvURL)
		}
	}
	t.Parallel()
	args := []string{}
	for _, name := range childFlags {
		if f := flag.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			args = append(args, "-"+name+"="+f.Value.String())
		}
	}
	if f := flag.Lookup("test.parallel"); f == nil || f.Value.String() == f.DefValue {
		// See parallelOnce: more than GOMAXPROCS, for tests that wait
		// on the server; few enough for its 100 connection slots.
		args = append(args, "-test.parallel=6")
	}
	cmd := exec.CommandContext(context.Background(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), engineEnv+"="+enginePostgres)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	failed := failLine.FindAllStringSubmatch(out.String(), -1)
	switch {
	case err == nil && len(failed) == 0:
		t.Logf("every test passed on PostgreSQL (%s)", strings.TrimSpace(lastLine(out.String())))
	case len(failed) == 0:
		t.Errorf("the PostgreSQL run failed (%v) and named no failed test:\n%s", err, out.String())
	default:
		names := make([]string, len(failed))
		for i, m := range failed {
			names[i] = m[1]
		}
		t.Errorf("on PostgreSQL, %d tests failed: %s\n\nthe PostgreSQL run's output:\n%s", len(names), strings.Join(names, ", "), out.String())
	}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
