package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	osuser "os/user"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/pgtest"
	"github.com/ctitui/ctitui/internal/user"
)

// testFailureFloor keeps failed verifies in scripts quick while still
// going through the wait; the real floor is tested in internal/user and
// measured by scripts/timing.sh.
const testFailureFloor = 5 * time.Millisecond

// TestMain lets the test binary run as the ctitui command inside scripts:
// testscript puts a "ctitui" on PATH that re-executes this binary, which then
// calls runProcess exactly as main does, signal handling included.
//
// The ctitui that tests start hashes with passwordtest.Params, in a fraction
// of a millisecond: the scripts start it hundreds of times, and at the real
// parameters hashing was most of their time. The real parameters are tested
// in internal/password and by TestDefaultHashParams below.
func TestMain(m *testing.M) {
	testscript.Main(withTestServer{m}, map[string]func(){
		"ctitui": func() {
			os.Exit(runProcess(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, passwordtest.Params, user.WithFailureFloor(testFailureFloor)))
		},
	})
}

// withTestServer runs the tests through pgtest.Run, which stops the
// throwaway PostgreSQL server a test started.
type withTestServer struct{ m *testing.M }

func (w withTestServer) Run() int { return pgtest.Run(w.m) }

// TestScripts runs the end-to-end scripts in testdata/script against the real
// command and a temporary SQLite database in each script's $WORK.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("sqlite", setupScript))
}

// TestScriptsPostgres runs the same scripts with $CTITUI_DB the URL of a
// fresh PostgreSQL database of each script's own (internal/pgtest), and
// skips when no PostgreSQL is available. A script or line that only holds
// for one engine (files, their modes, links and backups beside them) says
// so with the condition [sqlite] or [postgres], or skips on the other with
// its reason.
func TestScriptsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the scripts against PostgreSQL are not short")
	}
	pgtest.NewDatabase(t) // skips now, once, when there is no server
	all := os.Getenv(envAllPostgresScripts) != ""
	testscript.Run(t, scriptParams("postgres", func(env *testscript.Env) error {
		tb, ok := env.T().(testing.TB)
		if !ok {
			return errors.New("testscript gave a T that is no testing.TB")
		}
		if name := path.Base(tb.Name()); !all && !postgresScripts[name] {
			tb.Skip("not in the PostgreSQL subset (postgresScripts); set " + envAllPostgresScripts + "=1 to run every script")
		}
		if err := setupScript(env); err != nil {
			return err
		}
		location, err := canonicalURL(pgtest.NewDatabase(tb))
		if err != nil {
			return err
		}
		env.Setenv("CTITUI_DB", location)
		return nil
	}))
}

// envAllPostgresScripts, set to anything, makes TestScriptsPostgres run every
// script, not only postgresScripts (.ci/run sets it).
const envAllPostgresScripts = "CTITUI_TEST_POSTGRES_ALL_SCRIPTS"

// postgresScripts are the scripts TestScriptsPostgres runs by default: those
// whose commands read and write through the engine (every command that
// stores, lists, searches, locks out, imports, exports, verifies or
// migrates). Left out unless envAllPostgresScripts is set, to keep `go test
// ./...` near three minutes on two cores (the whole second run doubles the
// scripts' time): hostile, transfer_safety, export_output, formats,
// interactive and last_admin, which test the command line's own checks,
// prompts, output files and formats above the engine (internal/user's
// conformance suite covers the service on both engines), and man, usage and
// version, which open no database. Scripts that only hold for SQLite files
// skip themselves with [postgres] skip.
var postgresScripts = map[string]bool{
	"add": true, "audit": true, "blocked": true, "completion": true, "export": true, "import": true,
	"list": true, "lockout": true, "manage": true, "migrate": true, "settings_bounds": true, "verify": true,
}

// canonicalURL is the test database's URL as ctitui shows it
// (db.Store.Location): user, database and, for a Unix socket, its directory
// unescaped, so that scripts find $CTITUI_DB in ctitui's messages as they do
// a file path. pgx makes no TLS on a Unix socket, which pgtest's sslmode
// only said again.
func canonicalURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	host := u.Query().Get("host")
	if u.Host != "" || !strings.HasPrefix(host, "/") || strings.ContainsAny(host, "&#%+ ") {
		return raw, nil
	}
	return "postgres://" + u.User.Username() + "@" + u.Path + "?host=" + host, nil
}

// scriptParams runs the scripts with engine ("sqlite" or "postgres") as the
// condition that holds.
func scriptParams(engine string, setup func(*testscript.Env) error) testscript.Params {
	return testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setup,
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "sqlite", "postgres":
				return cond == engine, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":  cmdExitcode,
			"jsonarray": cmdJSONArray,
			"extract":   cmdExtract,
			"filemode":  cmdFilemode,
		},
	}
}

// setupScript gives every script its own database and home directory, and
// $ACTOR, the name audit entries should record: the OS user running the test.
func setupScript(env *testscript.Env) error {
	work := env.Getenv("WORK")
	env.Setenv("CTITUI_DB", filepath.Join(work, "ctitui.db"))
	env.Setenv("HOME", filepath.Join(work, "home"))
	env.Setenv("XDG_DATA_HOME", "")
	// Where the OS cannot name the user, ctitui records the uid and what
	// $USER claims (see user.CurrentOSUser).
	var actor string
	claimed := "ctitui-tester"
	if u, err := osuser.Current(); err == nil && u.Username != "" {
		actor, claimed = u.Username, u.Username
	} else {
		actor = "uid " + strconv.Itoa(os.Getuid()) + " ($USER says " + claimed + ")"
	}
	env.Setenv("USER", claimed)
	env.Setenv("ACTOR", actor)
	// $SCHEMA is the schema version this binary migrates to, so that scripts
	// need no change when a migration is added.
	env.Setenv("SCHEMA", strconv.FormatInt(sqlite.LatestVersion(), 10))
	// $MIGRATIONS counts the embedded migrations and $MIGRATION_LIST lists
	// their versions as `migrate up` prints them ("1, 2 and 3"): migrations
	// are written on separate branches, and one may land before another.
	versions := embeddedVersions()[1:]
	env.Setenv("MIGRATIONS", strconv.Itoa(len(versions)))
	words := strings.Split(strings.Trim(fmt.Sprint(versions), "[]"), " ")
	env.Setenv("MIGRATION_LIST", strings.Join(words[:len(words)-1], ", ")+" and "+words[len(words)-1])
	return nil
}

// embeddedVersions lists 0 (goose's own first row) and the versions of the
// embedded migrations, ascending: what goose_db_version holds once a file is
// fully migrated.
func embeddedVersions() []int64 {
	return append([]int64{0}, sqlite.MigrationVersions()...)
}

// cmdExitcode implements "exitcode N program [args...]": it runs program like
// exec, keeping its stdout and stderr for the stdout, stderr and cmp commands,
// and fails unless the program exits with status N.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d; want %d", args[1], got, want)
	}
}

// cmdJSONArray implements "jsonarray N [key...]": the last stdout must be one
// JSON array of N objects, each of which has every key given.
func cmdJSONArray(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! jsonarray")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: jsonarray N [key...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("jsonarray: bad length %q", args[0])
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &items); err != nil {
		ts.Fatalf("stdout is not a JSON array of objects: %v", err)
	}
	if items == nil {
		ts.Fatalf("stdout is JSON null, want an array")
	}
	if len(items) != want {
		ts.Fatalf("JSON array has %d elements; want %d", len(items), want)
	}
	for i, item := range items {
		for _, key := range args[1:] {
			if _, ok := item[key]; !ok {
				ts.Fatalf("element %d has no key %q", i, key)
			}
		}
	}
}

// cmdExtract implements "extract REGEXP FILE [VAR]": it writes the first
// submatch of REGEXP in the last stdout, and a newline, to FILE, and sets the
// environment variable VAR to it if given. Scripts use it to feed a generated
// password back on stdin and to look for it elsewhere.
func cmdExtract(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: extract REGEXP FILE [VAR]")
	}
	re, err := regexp.Compile(`(?m)` + args[0])
	if err != nil {
		ts.Fatalf("extract: %v", err)
	}
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("extract: no match for %q with a submatch in stdout", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(m[1]+"\n"), 0o600))
	if len(args) == 3 {
		ts.Setenv(args[2], m[1])
	}
}

// cmdFilemode implements "filemode OCTAL FILE": FILE's permission bits must be
// OCTAL, e.g. 0600.
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: filemode OCTAL FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("filemode: bad mode %q", args[0])
	}
	info, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := info.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o; want %#o", args[1], got, want)
	}
}

// TestDefaultHashParams: the binary, through run, hashes with the OWASP
// parameters, whatever the tests use.
func TestDefaultHashParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "params.db")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--db", path, "user", "add", "--email", "p@example.org", "--generate-password"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run = %d; stderr %s", code, stderr.String())
	}
	store, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByEmail(context.Background(), "p@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(u.PasswordHash, want) {
		t.Errorf("stored hash %q; want it to start %q", u.PasswordHash, want)
	}
}

// fileSHA256 returns the hex SHA-256 of the file at path: two sums are equal
// exactly when the file's bytes are.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	sum, err := fileSum(path)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// fileSum is fileSHA256 for a caller that reports the error itself.
func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
