package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/pgtest"
	"github.com/ctitui/ctitui/internal/user"
)

// The helpers the tests of this package share: a Service over a Store on a
// fresh database of a real PostgreSQL server, and plain connections to that
// database for what another program might do to it.

const goodPassword = "correct horse battery staple"

// newDatabase returns the URL of a new, empty database of the test server
// (see internal/pgtest), owned by a role that is no superuser.
func newDatabase(t *testing.T) string {
	t.Helper()
	return pgtest.NewDatabase(t)
}

// pgtestDatabase is newDatabase for benchmarks.
func pgtestDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.NewDatabase(tb)
}

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time                    { return c.now }
func (c *clock) Advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// serviceOptions are the options of every test's Service: cheap hashing,
// the clock c, the actor tester and no failure floor, as internal/user's
// tests use.
func serviceOptions(c *clock) []user.Option {
	return []user.Option{user.WithHasher(passwordtest.Hasher()), user.WithClock(c.Now), user.WithActor("tester"), user.WithFailureFloor(0)}
}

// openStore opens a Store on the database at dbURL, closed at the end of
// the test.
func openStore(t *testing.T, dbURL string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dbURL, opts)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newService opens a Store on a new database and returns a Service over
// it, the Store and the database's URL.
func newService(t *testing.T, opts ...user.Option) (*user.Service, *postgres.Store, string, *clock) {
	t.Helper()
	dbURL := newDatabase(t)
	// A writer-lock wait as long as a loaded test machine needs: the tests of
	// the timeout itself open their stores with their own.
	store := openStore(t, dbURL, postgres.Options{MaxConns: 16, LockTimeout: 2 * time.Minute})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)}
	return user.NewService(store, append(serviceOptions(c), opts...)...), store, dbURL, c
}

// rawConn connects to the database at dbURL as another program would,
// with ctitui's search path, closed at the end of the test.
func rawConn(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	return rawConnTB(t, dbURL)
}

// rawConnTB is rawConn for benchmarks.
func rawConnTB(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = "ctitui, public"
	cfg.RuntimeParams["application_name"] = "ctitui-test-raw"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustRegister(t *testing.T, svc *user.Service, email string, roles ...user.Role) user.User {
	t.Helper()
	u, err := svc.Register(context.Background(), email, goodPassword, roles)
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	return u
}
