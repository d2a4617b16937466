package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the driver the earlier service's files are read and written with

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// writeSQLite runs stmts, in order and on one connection, on the SQLite file
// at path, creating it when missing, and closes it. The connection is a
// plain one, as the earlier Python service, the sqlite3 shell or another
// tool would have: none of Open's checks, the file's own journal mode
// (rollback for a new file), foreign keys off; only a busy timeout, as
// Python's has, for a file a Store holds open.
func writeSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(0)"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("sql.Open(%q) = %v", dsn, err)
	}
	defer sqldb.Close()
	sqldb.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := sqldb.Exec(s); err != nil {
			t.Fatalf("exec %q on %s: %v", s, path, err)
		}
	}
	if err := sqldb.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}

// openRawSQLite opens path through database/sql without any of Open's
// checks, read-only when ro, and closes it at the end of the test.
func openRawSQLite(t *testing.T, path string, ro bool) *sql.DB {
	t.Helper()
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
	if ro {
		dsn = "file:" + path + "?mode=ro"
	}
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("sql.Open(%q) = %v", dsn, err)
	}
	t.Cleanup(func() { sqldb.Close() })
	return sqldb
}

// queryStrings runs query on q and returns its single column as strings.
func queryStrings(t *testing.T, q interface {
	Query(string, ...any) (*sql.Rows, error)
}, query string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(query, args...)
	if err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("scan %q: %v", query, err)
		}
		if s.Valid {
			out = append(out, s.String)
		} else {
			out = append(out, "<NULL>")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	return out
}

// queryInt runs query on q and returns its single integer result.
func queryInt(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	return n
}

// fileSHA256 returns the hex SHA-256 of the file at path.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// backupsOf lists the pre-adoption backups written beside path.
func backupsOf(t *testing.T, path string) []string {
	t.Helper()
	matches, err := filepath.Glob(path + ".pre-adopt-*.bak")
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	return matches
}

// bakFilesIn lists every *.bak file in dir.
func bakFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.bak"))
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	return matches
}

// newService is a user service over s as the tests need it: cheap hashing
// (passwordtest), the actor "tester", and no failure floor (its tests are in
// internal/user).
func newService(s *sqlite.Store) *user.Service {
	return user.NewService(s, user.WithHasher(passwordtest.Hasher()), user.WithActor("tester"), user.WithFailureFloor(0))
}

// openStore opens path with sqlite.Open and closes the Store at the end of the test.
func openStore(t *testing.T, path string, opts db.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("sqlite.Open(%q) = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// allUsers lists every user of s by email, through the Store's own listing.
func allUsers(t *testing.T, s *sqlite.Store) map[string]user.User {
	t.Helper()
	out := make(map[string]user.User)
	err := s.ListUsers(context.Background(), user.ListOptions{Sort: user.ByEmail}, func(u user.User) error {
		if _, dup := out[u.Email]; dup {
			t.Errorf("ListUsers returned %s twice", u.Email)
		}
		out[u.Email] = u
		return nil
	})
	if err != nil {
		t.Fatalf("ListUsers = %v", err)
	}
	return out
}

// auditEntries lists every audit entry of s, newest first.
func auditEntries(t *testing.T, s *sqlite.Store) []user.AuditEntry {
	t.Helper()
	var out []user.AuditEntry
	err := s.ListAudit(context.Background(), user.AuditFilter{}, func(e user.AuditEntry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatalf("ListAudit = %v", err)
	}
	return out
}

// assertMode checks the permission bits of the file or directory at path.
func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Errorf("stat %s: %v", path, err)
		return
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v; want %v", path, got, want)
	}
}
