package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// newCtituiDB makes a current ctitui database at path holding n users and
// closes it, so that its file is complete: no -wal left behind.
func newCtituiDB(t *testing.T, path string, n int) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open(%q) = %v", path, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	stmts := []string{"BEGIN"}
	for i := range n {
		email := fmt.Sprintf("user%04d@example.org", i)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('id-%04d', '%s', '%s', '$argon2id$v=19$m=19456,t=2,p=1$%s', '2024-10-01T12:00:00.000Z', '2024-10-01T12:00:00.000Z')`,
			i, email, email, strings.Repeat("A", 86)))
	}
	stmts = append(stmts, "COMMIT")
	writeSQLite(t, path, stmts...)
	assertNoWAL(t, path)
}

// assertNoWAL fails the test when path has a -wal file: its bytes would not
// be the whole database.
func assertNoWAL(t *testing.T, path string) {
	t.Helper()
	if info, err := os.Stat(path + "-wal"); err == nil && info.Size() > 0 {
		t.Fatalf("%s-wal holds %d bytes after close; want the database checkpointed", path, info.Size())
	}
}

func TestOpenRefusesBadFilesUntouched(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  []error // any of them
		msg   []string
	}{
		{
			name: "random bytes",
			setup: func(t *testing.T, path string) {
				b := make([]byte, 8192)
				r := rand.New(rand.NewPCG(1, 2))
				for i := range b {
					b[i] = byte(r.UintN(256))
				}
				writeFile(t, path, b, 0o600)
			},
			want: []error{sqlite.ErrNotDatabase},
		},
		{
			name: "text file",
			setup: func(t *testing.T, path string) {
				writeFile(t, path, []byte(strings.Repeat("users:\n  - email: ana@example.org\n", 40)), 0o600)
			},
			want: []error{sqlite.ErrNotDatabase},
		},
		{
			name: "short text file",
			setup: func(t *testing.T, path string) {
				writeFile(t, path, []byte("hello\n"), 0o600)
			},
			want: []error{sqlite.ErrNotDatabase},
		},
		{
			name: "truncated database",
			setup: func(t *testing.T, path string) {
				newCtituiDB(t, path, 300)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) < 8*4096 {
					t.Fatalf("database is %d bytes; want several pages to cut", len(b))
				}
				writeFile(t, path, b[:len(b)/2], 0o600)
			},
			want: []error{db.ErrCorrupt, sqlite.ErrNotDatabase},
		},
		{
			name: "schema newer than this binary",
			setup: func(t *testing.T, path string) {
				newCtituiDB(t, path, 2)
				writeSQLite(t, path, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`)
				assertNoWAL(t, path)
			},
			want: []error{db.ErrSchemaTooNew},
			msg:  []string{"99", strconv.FormatInt(sqlite.LatestVersion(), 10)},
		},
		{
			// The realistic case: the very next release opened it.
			name: "schema of the next release",
			setup: func(t *testing.T, path string) {
				newCtituiDB(t, path, 2)
				writeSQLite(t, path, fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, 1)`, sqlite.LatestVersion()+1))
				assertNoWAL(t, path)
			},
			want: []error{db.ErrSchemaTooNew},
			msg:  []string{strconv.FormatInt(sqlite.LatestVersion()+1, 10)},
		},
		{
			name: "database of another program",
			setup: func(t *testing.T, path string) {
				writeSQLite(t, path,
					`CREATE TABLE foo (id INTEGER PRIMARY KEY, bar TEXT)`,
					`INSERT INTO foo (bar) VALUES ('baz'), ('qux')`)
			},
			want: []error{db.ErrNotCtitui},
			msg:  []string{"foo"},
		},
		{
			// Root passes access(2) here; the missing owner write bit still
			// says the file is meant to stay as it is.
			name: "read-only file",
			setup: func(t *testing.T, path string) {
				newCtituiDB(t, path, 2)
				chmod(t, path, 0o444)
			},
			want: []error{db.ErrReadOnly},
		},
		{
			name: "read-only legacy file",
			setup: func(t *testing.T, path string) {
				writeSQLite(t, path,
					`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, hashed_password TEXT NOT NULL, created_at TIMESTAMP)`,
					`INSERT INTO users VALUES ('u1', 'ana@example.org', 'h', '2024-10-01 12:00:00')`)
				chmod(t, path, 0o444)
			},
			want: []error{db.ErrReadOnly},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cti.db")
			tt.setup(t, path)
			before := fileSHA256(t, path)

			s, err := sqlite.Open(context.Background(), path, db.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open = nil error; want %v", tt.want)
			}
			if !isAnyOf(err, tt.want) {
				t.Errorf("Open = %v; want %v", err, tt.want)
			}
			// Without the path, whose random digits could match anything.
			msg := strings.ReplaceAll(err.Error(), path, "<path>")
			for _, m := range tt.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("Open error %q does not contain %q", msg, m)
				}
			}
			if after := fileSHA256(t, path); after != before {
				t.Errorf("file sha256 after refusal = %s; want %s (unchanged)", after, before)
			}
			if got := bakFilesIn(t, dir); len(got) != 0 {
				t.Errorf("backups left after refusal: %v; want none", got)
			}
			// A refused file gets no companions either: the probe reads a
			// cleanly closed file as immutable.
			for _, companion := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Stat(path + companion); err == nil {
					t.Errorf("%s%s exists after refusal; want no files left beside it", filepath.Base(path), companion)
				}
			}
		})
	}
}

// isAnyOf reports whether err matches any of targets.
func isAnyOf(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func TestOpenRefusesDirectory(t *testing.T) {
	parent := t.TempDir()
	path := filepath.Join(parent, "cti.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err == nil {
		s.Close()
		t.Fatalf("Open(directory) = nil error; want %v", db.ErrNotAccessible)
	}
	if !errors.Is(err, db.ErrNotAccessible) {
		t.Errorf("Open(directory) = %v; want %v", err, db.ErrNotAccessible)
	}
	if entries, _ := os.ReadDir(path); len(entries) != 0 {
		t.Errorf("directory holds %v after Open; want nothing created inside", entries)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("parent holds %v after Open; want only the directory", entries)
	}
}

func TestOpenZeroByteFileIsNewDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cti.db")
	writeFile(t, path, nil, 0o600)
	s := openStore(t, path, db.Options{})
	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
	if got, want := s.AppliedAtOpen(), versionsBetween(1, sqlite.LatestVersion()); !slices.Equal(got, want) {
		t.Errorf("AppliedAtOpen() = %v; want all migrations, %v", got, want)
	}
	if got := backupsOf(t, path); len(got) != 0 {
		t.Errorf("backups = %v; want none for a new database", got)
	}
	assertMode(t, path, 0o600)
}

func TestOpenCreatesMissingDirectoriesPrivately(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "a", "b", "cti.db")
	var told notes
	s := openStore(t, path, db.Options{Notify: told.notify})
	if got, want := s.SchemaVersion(), sqlite.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
	assertMode(t, filepath.Join(base, "a"), 0o700)
	assertMode(t, filepath.Join(base, "a", "b"), 0o700)
	assertMode(t, path, 0o600)
	// SQLite gives its companions the database's permissions; the lock too
	// must not be world-readable.
	for _, companion := range []string{"-wal", "-shm", ".lock"} {
		if _, err := os.Stat(path + companion); err == nil {
			assertMode(t, path+companion, 0o600)
		}
	}
	// A new file is announced, so that a mistyped path does not pass for
	// an empty database.
	if got, want := told.all(), []string{"created a new database at " + path}; !slices.Equal(got, want) {
		t.Errorf("Notify got %q for a new database; want %q", got, want)
	}
}

func TestOpenRefusesReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: root bypasses directory permissions, so a read-only directory cannot be tested")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cti.db")
	newCtituiDB(t, path, 2)
	before := fileSHA256(t, path)
	chmod(t, dir, 0o500)

	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err == nil {
		s.Close()
		t.Fatalf("Open in a read-only directory = nil error; want %v", db.ErrReadOnly)
	}
	if !errors.Is(err, db.ErrReadOnly) {
		t.Errorf("Open in a read-only directory = %v; want %v", err, db.ErrReadOnly)
	}
	if after := fileSHA256(t, path); after != before {
		t.Errorf("file sha256 after refusal = %s; want %s (unchanged)", after, before)
	}
}

func TestOpenRefusesUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: root reads a mode-000 file, so an unreadable file cannot be tested")
	}
	path := filepath.Join(t.TempDir(), "cti.db")
	newCtituiDB(t, path, 2)
	before := fileSHA256(t, path)
	chmod(t, path, 0)

	s, err := sqlite.Open(context.Background(), path, db.Options{})
	if err == nil {
		s.Close()
		t.Fatalf("Open(mode 000) = nil error; want %v", db.ErrNotAccessible)
	}
	if !errors.Is(err, db.ErrNotAccessible) {
		t.Errorf("Open(mode 000) = %v; want %v", err, db.ErrNotAccessible)
	}
	chmod(t, path, 0o600)
	if after := fileSHA256(t, path); after != before {
		t.Errorf("file sha256 after refusal = %s; want %s (unchanged)", after, before)
	}
}

// writeFile writes b to path with perm, failing the test on error.
func writeFile(t *testing.T, path string, b []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, perm); err != nil {
		t.Fatal(err)
	}
}

// chmod changes path's mode and restores a writable one when the test ends,
// so that t.TempDir can clean up.
func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		restore := os.FileMode(0o600)
		if info, err := os.Stat(path); err == nil && info.IsDir() {
			restore = 0o700
		}
		os.Chmod(path, restore)
	})
}
