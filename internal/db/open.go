// Package db opens ctitui's SQLite file and stores users in it. Opening brings
// any database, including one made before migrations existed, to the current
// schema before anything else reads it. All SQL lives in this package.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 5 * time.Second

// migrateLockTimeout bounds the wait for another process that is migrating
// the same file.
const migrateLockTimeout = 60 * time.Second

// Options tune Open.
type Options struct {
	// Notify receives one-line messages meant for a person, such as what
	// adopting a legacy database did and where its backup is. Nil discards them.
	Notify func(msg string)
	// Now stamps backups and audit entries written while opening. Nil means time.Now.
	Now func() time.Time
	// Actor is recorded in audit entries written while opening.
	Actor string
}

// Store is an open ctitui database. It implements user.Store.
type Store struct {
	db      *sql.DB
	path    string
	version int64
	applied []int64

	stmts     *stmtCache // the hot lookups, prepared once
	writeMu   sync.Mutex // see WithTx
	watchMu   sync.Mutex
	watchConn *sql.Conn // see DataVersion
}

// Open opens the ctitui database at path, creating it (and its directory,
// 0700; the file, 0600) when missing, and brings it to the current schema:
// pending migrations are applied and a database made before migrations is
// adopted. A file that is not a SQLite database, belongs to another program,
// or has a schema newer than this binary knows is refused and left untouched.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Notify == nil {
		opts.Notify = func(string) {}
	}
	created, err := prepareFile(path)
	if err != nil {
		return nil, err
	}
	if created {
		// A mistyped --db would otherwise pass for an empty database.
		opts.Notify("created a new database at " + path)
	}
	state, err := probe(ctx, path)
	if err != nil {
		return nil, err
	}
	if state.needsWork() {
		// Another ctitui may be migrating the same file right now. Take the
		// migration lock and look again: it may have done the work for us.
		unlock, err := lockMigrations(ctx, path)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if state, err = probe(ctx, path); err != nil {
			return nil, err
		}
	}

	if state.kind == managedFile && state.needsWork() && state.hasData {
		// Migrations change an existing database: keep a copy first.
		name, err := backupBeforeMigrating(ctx, path, opts.Now())
		if err != nil {
			return nil, err
		}
		opts.Notify(fmt.Sprintf("migrating %s to schema version %d; backup of the original: %s", path, LatestVersion(), name))
	}
	var adopted *adoptReport
	if state.kind == legacyFile {
		if adopted, err = adopt(ctx, path, state, opts); err != nil {
			return nil, err
		}
		// Say so at once: if a later step fails, the person still learns
		// what changed and where the original is.
		opts.Notify(adopted.String())
	}
	db, err := sql.Open("sqlite", readWriteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{db: db, path: path, stmts: newStmtCache(db)}
	if state.needsWork() {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	} else {
		// The probe saw every embedded migration applied (and refused a
		// newer schema), so goose would find nothing to do: skipping it is
		// a millisecond off every command's start.
		s.version = slices.Max(state.applied)
	}
	if err := s.sealAuditLog(ctx, user.FormatTime(opts.Now())); err != nil {
		db.Close()
		return nil, fmt.Errorf("seal audit log: %w", err)
	}
	if adopted != nil {
		if err := s.recordAdoption(ctx, adopted, opts); err != nil {
			db.Close()
			return nil, fmt.Errorf("record adoption (backup of the original: %s): %w", adopted.backup, err)
		}
	}
	if err := s.refreshEmailKeys(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.watchMu.Lock()
	if s.watchConn != nil {
		s.watchConn.Close()
		s.watchConn = nil
	}
	s.watchMu.Unlock()
	s.stmts.close()
	return s.db.Close()
}

// Path is the file the Store was opened on.
func (s *Store) Path() string { return s.path }

// SchemaVersion is the schema version of the file after Open.
func (s *Store) SchemaVersion() int64 { return s.version }

// AppliedAtOpen lists the migration versions that Open applied, oldest first.
func (s *Store) AppliedAtOpen() []int64 { return slices.Clone(s.applied) }

// prepareFile refuses paths that cannot be a database ctitui may write, and
// creates a missing file (and its directories) with private permissions.
func prepareFile(path string) (created bool, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("create database directory: %w", err)
		}
		// Create the file ourselves: SQLite would create it world-readable.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return prepareFile(path) // another process created it first
		}
		if err != nil {
			return false, fmt.Errorf("create database: %w", err)
		}
		return true, f.Close()
	case err != nil:
		return false, fmt.Errorf("%w: %v", ErrNotAccessible, err)
	case info.IsDir():
		return false, fmt.Errorf("%w: %s is a directory", ErrNotAccessible, path)
	case !info.Mode().IsRegular():
		return false, fmt.Errorf("%w: %s is not a regular file", ErrNotAccessible, path)
	}
	return false, checkAccess(path, info)
}

// readWriteDSN is the DSN of every read-write connection. The pragmas travel
// in the DSN so that each pooled connection gets them; _txlock=immediate makes
// transactions take the write lock at BEGIN, so concurrent writers wait on the
// busy timeout instead of failing with SQLITE_BUSY when they upgrade.
func readWriteDSN(path string) string {
	return fileURI(path) + fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate",
		busyTimeout.Milliseconds())
}

// readOnlyDSN opens path without changing it: no journal-mode switch, which
// would rewrite the header of a file we may yet refuse.
func readOnlyDSN(path string) string {
	return fileURI(path) + fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())
}

func fileURI(path string) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
}

// lockMigrations takes an exclusive lock on path's companion lock file so that
// only one process migrates or adopts the file at a time. goose has no SQLite
// locker, and SQLite's own locks cannot span goose's separate transactions.
// The lock lives in a separate file because closing any descriptor of the
// database file itself would drop SQLite's POSIX locks held by this process.
func lockMigrations(ctx context.Context, path string) (unlock func(), err error) {
	lock := flock.New(path+".lock", flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, migrateLockTimeout)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil || !ok {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: another ctitui has been migrating it for over %v", ErrLocked, migrateLockTimeout)
		}
		return nil, fmt.Errorf("lock database for migration: %w", err)
	}
	return func() { _ = lock.Unlock() }, nil
}

// migrationsFS is the embedded SQLite migrations, rooted where goose wants them.
func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations.FS, "sqlite")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}

// knownVersions lists the versions of the embedded migrations, ascending.
func knownVersions() []int64 {
	entries, err := fs.ReadDir(migrationsFS(), ".")
	if err != nil {
		panic(err) // embedded FS cannot fail to list
	}
	var versions []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err == nil {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	return versions
}

// LatestVersion is the schema version this binary migrates databases to.
func LatestVersion() int64 {
	v := knownVersions()
	return v[len(v)-1]
}

// newProvider returns a goose provider over db with a silent logger: goose's
// default logger prints to the terminal and would corrupt the TUI.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectSQLite3, db, migrationsFS(), goose.WithLogger(goose.NopLogger()))
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := newProvider(s.db)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	// Not p.Close(): it would close s.db.
	results, err := p.Up(ctx)
	if err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil {
			return fmt.Errorf("migrate database: migration %s failed: %w", partial.Failed.Source.Path, translate(partial.Err))
		}
		return fmt.Errorf("migrate database: %w", translate(err))
	}
	for _, r := range results {
		s.applied = append(s.applied, r.Source.Version)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", translate(err))
	}
	s.version = current
	return nil
}

// MigrationStatus is one embedded migration and whether the file has it.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Migrations reports every embedded migration's state in this file.
func (s *Store) Migrations(ctx context.Context) ([]MigrationStatus, error) {
	p, err := newProvider(s.db)
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	out := make([]MigrationStatus, 0, len(status))
	for _, st := range status {
		out = append(out, MigrationStatus{
			Version:   st.Source.Version,
			Name:      filepath.Base(st.Source.Path),
			Applied:   st.State == goose.StateApplied,
			AppliedAt: st.AppliedAt,
		})
	}
	return out, nil
}
