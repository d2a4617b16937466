// Package pgtest gives tests a real PostgreSQL: a throwaway server started
// from the PostgreSQL binaries installed on the machine, once per test
// binary and only when a test asks for a database, or an existing server
// named by $CTITUI_TEST_POSTGRES.
//
// A package that uses it runs its tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test takes a fresh database of its own with NewDatabase.
//
// The throwaway server listens on a Unix socket in a temporary directory
// only (listen_addresses is empty), so that parallel test binaries never
// collide on a port, and runs with fsync off: its data is thrown away. The
// databases it hands out are owned by ctitui_owner, a role that is not a
// superuser and cannot create databases or roles, because ctitui must work
// with no more than that.
//
// Environment:
//
//   - CTITUI_TEST_POSTGRES: the URL of an existing server whose role may
//     create databases. Test databases are created (and dropped) there, owned
//     by that role, and no server is started.
//   - CTITUI_TEST_POSTGRES_BIN: the directory that holds initdb and postgres,
//     instead of looking for them. A directory without them makes the tests
//     that need PostgreSQL skip, as on a machine without it.
//
// Without either and with no binaries found (/usr/lib/postgresql/*/bin,
// newest version first, then $PATH), the tests that need PostgreSQL skip
// with a message that says how to run them.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the package reads.
const (
	EnvURL = "CTITUI_TEST_POSTGRES"
	EnvBin = "CTITUI_TEST_POSTGRES_BIN"
)

// OwnerRole is the role that owns the databases of the throwaway server: a
// plain login role, neither superuser nor allowed to create databases or
// roles.
const OwnerRole = "ctitui_owner"

// debianBinGlob is where Debian's postgresql-NN packages install the server.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// setupTimeout bounds starting the server and each database's creation:
// far more than they take (about 2 s and 0.2 s on a loaded 2-core
// machine), so that a wedged server fails the test instead of hanging it.
const setupTimeout = 2 * time.Minute

// state is the one server of this test binary.
var state struct {
	mu      sync.Mutex
	started bool   // a start was attempted (it may have failed)
	err     error  // why there is no server
	skip    string // why tests that need PostgreSQL skip, when they do
	admin   string // URL of a role that may create databases
	owner   string // role given the databases ("" keeps the admin role)
	dir     string // the throwaway server's directory
	proc    *os.Process
	exited  chan struct{} // closed when proc has exited
}

// Main runs the package's tests and then stops the server, if a test
// started one, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run runs the package's tests and then stops the server, if a test started
// one. It returns the exit code for os.Exit; the server is stopped even when
// a test panics.
func Run(m *testing.M) (code int) {
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}

// NewDatabase creates a database for t alone and returns its URL
// (postgres://...). It is empty, owned by a role that is not a superuser,
// and dropped when t ends: close every connection to it in a cleanup
// registered after this call (cleanups run last registered first), or the
// drop ends them. It skips t when no PostgreSQL is available.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, owner, skip, err := server()
	if skip != "" {
		t.Skip(skip)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "ctitui_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to the test server: %v", err)
	}
	defer conn.Close(ctx) //nolint:errcheck // a failed close of a short-lived admin connection changes nothing
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if owner != "" {
		create += " OWNER " + pgx.Identifier{owner}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatalf("pgtest: %s: %v", create, err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(admin, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	u, err := databaseURL(admin, name, owner)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// dropDatabase drops the database name, ending the connections left to it.
func dropDatabase(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer conn.Close(ctx) //nolint:errcheck // see NewDatabase
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// databaseURL is admin's URL naming the database name and, when owner is
// set, the user owner instead of admin's.
func databaseURL(admin, name, owner string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	if owner != "" {
		u.User = url.User(owner)
	}
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// server returns the admin URL and the owner role of the test databases,
// starting the throwaway server on first use, or why tests skip.
func server() (admin, owner, skip string, err error) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if !state.started {
		state.started = true
		state.err = start()
	}
	return state.admin, state.owner, state.skip, state.err
}

// start sets state up: the external server when $CTITUI_TEST_POSTGRES is
// set, else a throwaway server.
func start() error {
	if u := os.Getenv(EnvURL); u != "" {
		state.admin = u
		return nil
	}
	if reason := cannotStart(); reason != "" {
		state.skip = fmt.Sprintf("no PostgreSQL to test against: %s; set %s to the URL of a server whose role may create databases", reason, EnvURL)
		return errors.New(state.skip)
	}
	bin, err := FindBinaries()
	if err != nil {
		state.skip = fmt.Sprintf("no PostgreSQL to test against (%v): install the server (Debian: apt-get install postgresql) or set %s to the URL of a server whose role may create databases", err, EnvURL)
		return err
	}
	if err := startServer(bin); err != nil {
		return fmt.Errorf("start a test PostgreSQL from %s: %w", bin, err)
	}
	return nil
}

// FindBinaries returns the directory holding PostgreSQL's initdb and
// postgres: $CTITUI_TEST_POSTGRES_BIN when set, else the newest Debian
// install, else the directory of initdb on $PATH.
func FindBinaries() (string, error) {
	if dir, ok := os.LookupEnv(EnvBin); ok {
		if !hasServerBinaries(dir) {
			return "", fmt.Errorf("%s=%q holds no initdb and postgres", EnvBin, dir)
		}
		return dir, nil
	}
	dirs, err := filepath.Glob(debianBinGlob)
	if err != nil {
		return "", err
	}
	// Newest first: 16 after 9.6, so compare the version as numbers.
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		// A symlink on $PATH (some images link /usr/local/bin/initdb into
		// the install) resolves to the install, which holds postgres.
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			initdb = real
		}
		if dir := filepath.Dir(initdb); hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no initdb and postgres in %s or on $PATH", debianBinGlob)
}

// compareVersions orders PostgreSQL major versions ("9.6", "15") as numbers;
// what does not parse sorts first.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	return slices.Compare(pa, pb)
}

func versionParts(v string) []int {
	var parts []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return []int{-1}
		}
		parts = append(parts, n)
	}
	return parts
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// startServer runs initdb and starts a server from the binaries in bin, in a
// new temporary directory that also holds its socket.
//
// The server is this process's child, not pg_ctl's daemon, so that it dies
// with the test binary (see serverProcAttr) even when a test panics or
// times out, which skips Run's stop.
func startServer(bin string) (err error) {
	dir, err := socketDir()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir) //nolint:errcheck // best effort after a failed start
		}
	}()
	if err := prepareDir(dir); err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// The locale: C.UTF-8 so that lower() and upper() know all of Unicode,
	// as on a production server; plain C where the system lacks it.
	initdb := filepath.Join(bin, "initdb")
	initErr := run(ctx, dir, initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
	if initErr != nil {
		os.RemoveAll(data) //nolint:errcheck // initdb wants no data directory for its second try
		if err := run(ctx, dir, initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
			return errors.Join(initErr, err)
		}
	}
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer log.Close() //nolint:errcheck // the child holds its own descriptor
	// Not the setup context: the server outlives the setup; stop ends it.
	cmd := exec.CommandContext(context.Background(), filepath.Join(bin, "postgres"), "-D", data, "-k", dir, //nolint:gosec // the PostgreSQL install found by FindBinaries, on purpose
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "shared_buffers=16MB")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.SysProcAttr = serverProcAttr()
	// The kernel sends the server its parent-death signal when the thread
	// that started it ends (go.dev/issue/27505), not the process: start it
	// from a thread locked to a goroutine that lives as long as the server.
	started, exited := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait() //nolint:errcheck // the exit is reported through exited; stop says why it stopped
		close(exited)
	}()
	if err := <-started; err != nil {
		return err
	}
	state.dir, state.proc, state.exited = dir, cmd.Process, exited
	q := url.Values{"host": {dir}, "sslmode": {"disable"}}
	state.admin = (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres", RawQuery: q.Encode()}).String()
	conn, err := waitReady(ctx, state.admin, exited)
	if err != nil {
		out, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return errors.Join(fmt.Errorf("%w\nserver log:\n%s", err, out), stopLocked())
	}
	defer conn.Close(ctx) //nolint:errcheck // see NewDatabase
	if _, err := conn.Exec(ctx, "CREATE ROLE "+OwnerRole+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"); err != nil {
		return errors.Join(err, stopLocked())
	}
	state.owner = OwnerRole
	return nil
}

// waitReady connects to the new server as soon as it accepts connections.
func waitReady(ctx context.Context, admin string, exited <-chan struct{}) (*pgx.Conn, error) {
	for {
		conn, err := pgx.Connect(ctx, admin)
		if err == nil {
			return conn, nil
		}
		select {
		case <-exited:
			return nil, errors.New("the server exited")
		case <-ctx.Done():
			return nil, fmt.Errorf("the server did not accept connections: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// socketDir makes the server's temporary directory. A Unix socket's path
// has at most 107 bytes, so a long $TMPDIR gives way to /tmp.
func socketDir() (string, error) {
	dir, err := os.MkdirTemp("", "ctitui-pg-")
	if err == nil && len(dir)+len("/.s.PGSQL.5432") < 100 {
		return dir, nil
	}
	if err == nil {
		os.Remove(dir) //nolint:errcheck // empty; the one in /tmp is used
	}
	return os.MkdirTemp("/tmp", "ctitui-pg-")
}

// run runs a PostgreSQL program in dir, as the server's user, and returns
// its output in the error when it fails.
func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // PostgreSQL's programs from the install FindBinaries found
	cmd.Dir = dir
	cmd.SysProcAttr = procAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// stop stops the throwaway server, if one runs, and removes its directory.
func stop() error {
	state.mu.Lock()
	defer state.mu.Unlock()
	return stopLocked()
}

// stopLocked is stop with state.mu held.
func stopLocked() error {
	if state.proc == nil {
		return nil
	}
	// Immediate shutdown: the data is thrown away, nothing needs flushing.
	var err error
	if sigErr := state.proc.Signal(stopSignal); sigErr != nil && !errors.Is(sigErr, os.ErrProcessDone) {
		err = fmt.Errorf("stop the test PostgreSQL: %w", sigErr)
	}
	select {
	case <-state.exited:
	case <-time.After(setupTimeout):
		state.proc.Kill() //nolint:errcheck // last resort; the error below says what happened
		<-state.exited
		err = errors.Join(err, errors.New("the test PostgreSQL did not stop on its signal and was killed"))
	}
	if rmErr := os.RemoveAll(state.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove the test PostgreSQL's directory: %w", rmErr))
	}
	state.dir, state.proc, state.admin, state.owner = "", nil, "", ""
	state.err = errors.New("the test PostgreSQL was stopped")
	return err
}
