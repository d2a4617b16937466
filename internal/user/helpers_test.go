package user_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the driver shellDB opens a SQLite file with

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/pgtest"
	"github.com/ctitui/ctitui/internal/user"
)

// The helpers the tests of this package share: a Service over a real
// database of the engine the run tests (engines_test.go), and plain
// connections to that database for what another tool might do to it.

const goodPassword = "correct horse battery staple"

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time                    { return c.now }
func (c *clock) Advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// serviceOptions are the options of every test's Service: cheap hashing, the
// clock c, the actor tester, and no failure floor (its tests set one, in
// floor_test.go).
func serviceOptions(c *clock) []user.Option {
	return []user.Option{user.WithHasher(passwordtest.Hasher()), user.WithClock(c.Now), user.WithActor("tester"), user.WithFailureFloor(0)}
}

// openStore opens a store for a test and closes it when the test ends: on
// location when one is given (a second store on the same database, as
// another process would open it), else on a new database (a file in a temp
// dir, or a database of pgtest's server). Every test of this package opens
// its stores here, so that this one function decides which engine they run
// on: testEngine's.
func openStore(tb testing.TB, location string) testStore {
	tb.Helper()
	if location == "" {
		switch testEngine() {
		case enginePostgres:
			if t, ok := tb.(*testing.T); ok {
				parallelOnce(t)
			}
			location = pgtest.NewDatabase(tb)
		default:
			location = filepath.Join(tb.TempDir(), "ctitui.db")
		}
	}
	// engine.Open picks the engine from the location, as ctitui does.
	store, err := engine.Open(context.Background(), location, db.Options{})
	if err != nil {
		tb.Fatalf("open store %s: %v", location, err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// parallelOnce runs t in parallel with the other tests that open a
// PostgreSQL database (once: a test may open several). Each such test
// spends most of its time waiting for the server (a new database and its
// migrations take a second or two on a loaded machine), which parallel
// tests overlap; the SQLite run stays sequential, as the tests were
// written. The tests share no state but the server.
func parallelOnce(t *testing.T) {
	if _, loaded := parallelTests.LoadOrStore(t, true); !loaded {
		t.Parallel()
	}
}

var parallelTests sync.Map // *testing.T that parallelOnce made parallel

// newService opens a new database (openStore) and returns a Service over
// it with serviceOptions, then opts; the Store is closed at the end of the
// test.
func newService(t *testing.T, opts ...user.Option) (*user.Service, testStore, *clock) {
	t.Helper()
	store := openStore(t, "")
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)}
	return user.NewService(store, append(serviceOptions(c), opts...)...), store, c
}

func mustRegister(t *testing.T, svc *user.Service, email string, roles ...user.Role) user.User {
	t.Helper()
	u, err := svc.Register(context.Background(), email, goodPassword, roles)
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	return u
}

// shellDB opens the store's database as the sqlite3 shell, psql or another
// tool would, writable and without ctitui's code, so that tests can see
// exactly what is stored and change it behind ctitui's back. Write its
// statements with ? placeholders and pass them through rebind. It is closed
// at the end of the test.
func shellDB(t testing.TB, store testStore) *sql.DB {
	t.Helper()
	shells.Lock()
	defer shells.Unlock()
	if raw, ok := shells.m[store]; ok {
		return raw
	}
	var raw *sql.DB
	if testEngine() == enginePostgres {
		cfg, err := pgx.ParseConfig(store.Location())
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["search_path"] = "ctitui, public"
		cfg.RuntimeParams["timezone"] = "UTC"
		raw = stdlib.OpenDB(*cfg)
	} else {
		var err error
		raw, err = sql.Open("sqlite", "file:"+store.Location()+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
	}
	// One connection is what a shell holds; a server's connection slots
	// are few (100 by default) and the tests run in parallel.
	raw.SetMaxOpenConns(1)
	shells.m[store] = raw
	t.Cleanup(func() {
		shells.Lock()
		delete(shells.m, store)
		shells.Unlock()
		raw.Close()
	})
	return raw
}

// shells are the open shellDB connections, one for each store, so that a
// test that looks many times opens one.
var shells = struct {
	sync.Mutex
	m map[testStore]*sql.DB
}{m: map[testStore]*sql.DB{}}

// rebind turns the ? placeholders of query into PostgreSQL's $1, $2, ...
// when the tests run on PostgreSQL. The queries it gets hold no ? of their
// own.
func rebind(query string) string {
	if testEngine() != enginePostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dbSnapshot renders every row of every table of the store's database, so
// that two snapshots are equal exactly when nothing was written in between.
// On SQLite that includes sqlite_sequence, goose's table and the search
// index's shadow tables; on PostgreSQL every table of the database's own
// schemas (ctitui's and public, where goose keeps its table), but not the
// sequences, which PostgreSQL advances even for a transaction that rolls
// back.
func dbSnapshot(t *testing.T, store testStore) string {
	t.Helper()
	raw := shellDB(t, store)
	listTables := `SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`
	if testEngine() == enginePostgres {
		listTables = `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
			WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`
	}
	tables := make([]string, 0, 16)
	rows, err := raw.Query(listTables)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close() // for t.Fatal; closed below before the next query
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if testEngine() != enginePostgres {
			name = `"` + name + `"`
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("dbSnapshot found only the tables %q", tables)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		defer rows.Close() // for t.Fatal; closed below before the next table
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(&b, "%s(%d rows): %s\n", table, len(lines), strings.Join(lines, " "))
	}
	return b.String()
}

// setHash writes a stored hash straight into the file, as an import, an
// adopted database or another tool may have left it.
func setHash(t testing.TB, store testStore, email, hash string) {
	t.Helper()
	if _, err := shellDB(t, store).Exec(rebind(`UPDATE users SET hashed_password = ? WHERE email = ?`), hash, email); err != nil {
		t.Fatal(err)
	}
}

// setLockout writes failed_logins and locked_until of the user with email
// straight into the file, as another tool, an import or an adopted database
// may have left them.
func setLockout(t testing.TB, store testStore, email string, failed int, lockedUntil time.Time) {
	t.Helper()
	var until any
	if !lockedUntil.IsZero() {
		// The text ctitui stores on SQLite; PostgreSQL reads it into its
		// timestamptz column.
		until = user.FormatTime(lockedUntil)
	}
	res, err := shellDB(t, store).Exec(rebind(`UPDATE users SET failed_logins = ?, locked_until = ? WHERE email = ?`), failed, until, email)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("setLockout(%q): %d rows", email, n)
	}
}
