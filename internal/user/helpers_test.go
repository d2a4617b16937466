package user_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver rawDB and shellDB open the file with

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// The helpers the tests of this package share: a Service over a real SQLite
// file in a temp dir, and plain connections to that file for what another
// tool might do to it.

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
// another process would open it), else on a new database in a temp dir.
// Every test of this package opens its stores here, so that this one
// function decides which engine they run on.
func openStore(tb testing.TB, location string) *sqlite.Store {
	tb.Helper()
	if location == "" {
		location = filepath.Join(tb.TempDir(), "ctitui.db")
	}
	store, err := sqlite.Open(context.Background(), location, db.Options{})
	if err != nil {
		tb.Fatalf("open store %s: %v", location, err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// newService opens a new database (openStore) and returns a Service over
// it with serviceOptions, then opts; the Store is closed at the end of the
// test.
func newService(t *testing.T, opts ...user.Option) (*user.Service, *sqlite.Store, *clock) {
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

// rawDB opens the database file at path read-only through database/sql,
// beside the Store, so that tests can see exactly what is on disk. It is
// closed at the end of the test.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// shellDB opens the database file at path as the sqlite3 shell or another
// tool would, writable and without ctitui's code. It is closed at the end
// of the test.
func shellDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// dbSnapshot renders every row of every table of the store's file (including
// sqlite_sequence, goose's table and the search index's shadow tables), so
// that two snapshots are equal exactly when nothing was written in between.
func dbSnapshot(t *testing.T, store *sqlite.Store) string {
	t.Helper()
	raw := rawDB(t, store.Path())
	tables := make([]string, 0, 16)
	rows, err := raw.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close() // for t.Fatal; closed below before the next query
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM "` + table + `"`)
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
func setHash(t testing.TB, store *sqlite.Store, email, hash string) {
	t.Helper()
	if _, err := shellDB(t, store.Path()).Exec(`UPDATE users SET hashed_password = ? WHERE email = ?`, hash, email); err != nil {
		t.Fatal(err)
	}
}

// setLockout writes failed_logins and locked_until of the user with email
// straight into the file, as another tool, an import or an adopted database
// may have left them.
func setLockout(t testing.TB, store *sqlite.Store, email string, failed int, lockedUntil time.Time) {
	t.Helper()
	var until any
	if !lockedUntil.IsZero() {
		until = user.FormatTime(lockedUntil)
	}
	res, err := shellDB(t, store.Path()).Exec(`UPDATE users SET failed_logins = ?, locked_until = ? WHERE email = ?`, failed, until, email)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("setLockout(%q): %d rows", email, n)
	}
}
