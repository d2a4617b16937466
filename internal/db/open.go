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
	// DropUnknownObjects is a person's consent to remove the triggers and
	// views of the file that ctitui did not create, after a backup that
	// keeps them, instead of refusing the file.
	DropUnknownObjects bool
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Notify == nil {
		o.Notify = func(string) {}
	}
	return o
}

// Store is an open ctitui database. It implements user.Store.
type Store struct {
	db       *sql.DB
	path     string
	version  int64
	applied  []int64
	readOnly bool
	dropped  []string // foreign triggers and views Open removed
	tidy     func()   // run after Close (see OpenReadOnly)

	stmts     *stmtCache // the hot lookups, prepared once
	writeMu   sync.Mutex // see WithTx
	watchMu   sync.Mutex
	watchConn *sql.Conn // see DataVersion
}

// Open opens the ctitui database at path, creating it (and its directory,
// 0700; the file, 0600) when missing, and brings it to the current schema:
// pending migrations are applied and a database made before migrations is
// adopted. A file that is not a SQLite database, belongs to another program,
// has a schema newer than this binary knows, or holds triggers or views
// that ctitui did not create (unless opts.DropUnknownObjects) is refused and
// left untouched.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
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
	foreign, err := state.foreignCode(ctx)
	if err != nil {
		return nil, err
	}
	if state.needsWork() || len(foreign) > 0 {
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
		if foreign, err = state.foreignCode(ctx); err != nil {
			return nil, err
		}
	}
	if len(foreign) > 0 && !opts.DropUnknownObjects {
		remedy := "'ctitui doctor' reports them and 'ctitui doctor --fix' removes them, after a backup"
		if state.kind == legacyFile {
			remedy = fmt.Sprintf("to adopt the file without them: ctitui --db %s migrate up --drop-unknown-objects (the original is kept in a backup)", shellQuote(path))
		}
		return nil, &UnknownSchemaError{Path: path, Objects: foreign, Remedy: remedy}
	}

	var dropped []string
	var applied []int64 // by adoption, on the copy it swapped in
	switch {
	case state.kind == legacyFile:
		// Adoption swaps in a file that is migrated, sealed and audited.
		adopted, err := adopt(ctx, path, state, foreign, opts)
		if err != nil {
			return nil, err
		}
		opts.Notify(adopted.String())
		if state, err = probe(ctx, path); err != nil {
			return nil, err
		}
		applied = adopted.applied
	case len(foreign) > 0:
		name, err := dropForeignCode(ctx, path, state, foreign, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range foreign {
			dropped = append(dropped, o.String())
		}
		opts.Notify(fmt.Sprintf("dropped %s from %s; backup of the original: %s", describeCode(foreign), path, name))
		state.code = nil
	case state.kind == managedFile && state.needsWork() && state.hasData:
		// Migrations change an existing database: keep a copy first.
		name, err := backupBeforeMigrating(ctx, path, opts.Now())
		if err != nil {
			return nil, err
		}
		opts.Notify(fmt.Sprintf("migrating %s to schema version %d; backup of the original: %s", path, LatestVersion(), name))
	}
	db, err := sql.Open("sqlite", readWriteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{db: db, path: path, stmts: newStmtCache(db), dropped: dropped, applied: applied}
	if state.needsWork() {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	} else {
		// The probe saw every embedded migration applied (and refused a
		// newer schema), so goose would find nothing to do: skipping it is
		// a millisecond off every command's start.
		s.version = state.version()
	}
	if err := s.sealAuditLog(ctx, user.FormatTime(opts.Now())); err != nil {
		db.Close()
		return nil, fmt.Errorf("seal audit log: %w", err)
	}
	if err := s.refreshEmailKeys(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dropForeignCode removes foreign, the triggers and views of the ctitui
// database at path that its migrations do not create, with the person's
// consent: after a backup that keeps them, in one transaction that also
// makes again any of ctitui's own that is missing (one of them may have been
// replaced by a foreign body) and records the drop in the audit log. It
// returns the backup's name.
func dropForeignCode(ctx context.Context, path string, state fileState, foreign []codeObject, opts Options) (string, error) {
	want, err := referenceCode(ctx, state.version())
	if err != nil {
		return "", err
	}
	db, err := sql.Open("sqlite", readWriteDSN(path))
	if err != nil {
		return "", fmt.Errorf("open database: %w", err)
	}
	s := &Store{db: db, path: path, stmts: newStmtCache(db)}
	defer s.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("open database: %w", translate(err))
	}
	name, err := autoBackup(ctx, conn, path, "pre-repair", opts.Now())
	conn.Close()
	if err != nil {
		return "", err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := dropCode(ctx, tx, foreign); err != nil {
			return err
		}
		if err := restoreCode(ctx, tx, want); err != nil {
			return err
		}
		details := "dropped " + describeCode(foreign) + ", which ctitui did not create; backup " + name
		return auditEarly(ctx, tx, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionRepair, Details: details})
	})
	if err != nil {
		return "", fmt.Errorf("drop unknown triggers and views: %w (backup of the original: %s)", err, name)
	}
	return name, nil
}

// auditEarly records e in a file that may not be at the latest schema yet:
// chained when the file has the chain's head, else as a plain row that the
// chain seals later (a log too old to have the columns cannot take it).
func auditEarly(ctx context.Context, tx *sql.Tx, e user.AuditEntry) error {
	if _, found, err := readChainHead(ctx, tx); err != nil || found {
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, e)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, user_id, user_email, details) VALUES (?, ?, ?, NULL, '', ?)`,
		user.FormatTime(e.At), e.Actor, string(e.Action), e.Details)
	return translate(err)
}

// ErrNoDatabase reports a database file that does not exist where a
// command that only reads expected one.
var ErrNoDatabase = errors.New("no database")

// ErrSchemaTooOld reports a database whose pending migrations a read-only
// open may not apply.
var ErrSchemaTooOld = errors.New("database schema is older than this ctitui")

// OpenReadOnly opens the ctitui database at path for reading and never
// changes it: no file is created (a missing one is ErrNoDatabase), nothing
// is migrated, adopted or sealed, and the connections are read-only. A file
// whose schema needs migrating is ErrSchemaTooOld, one made before
// migrations ErrCannotAdopt. Its triggers and views, whoever made them,
// cannot run: nothing is written. When the file or its directory cannot be
// written (read-only media, an evidence copy), it is read as immutable, so
// that not even -wal and -shm files appear beside it.
func OpenReadOnly(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w at %s (check --db or $CTITUI_DB; commands that write create one)", ErrNoDatabase, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotAccessible, err)
	case info.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotAccessible, path)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotAccessible, path)
	}
	clean := closedCleanly(path)
	state, err := probeOnce(ctx, path)
	if errors.Is(err, errHotJournal) {
		return nil, fmt.Errorf("%w: %s has an unfinished write (a -journal beside it); a command that writes rolls it back", ErrReadOnly, path)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case state.kind == emptyFile:
		return nil, fmt.Errorf("%w: %s holds no tables yet", ErrNotCtitui, path)
	case state.kind == legacyFile:
		return nil, fmt.Errorf("%w: %s was made before migrations; 'ctitui --db %s migrate up' adopts it, after a backup", ErrCannotAdopt, path, shellQuote(path))
	case state.needsWork():
		return nil, fmt.Errorf("%w: %s is at schema version %d, this ctitui reads %d; 'ctitui --db %s migrate up' migrates it, after a backup",
			ErrSchemaTooOld, path, state.version(), LatestVersion(), shellQuote(path))
	}
	if foreign, err := state.foreignCode(ctx); err == nil && len(foreign) > 0 {
		opts.Notify(fmt.Sprintf("warning: %s has %s, which ctitui did not create; 'ctitui doctor' says more", path, describeCode(foreign)))
	}
	dsn := readOnlyDSN(path) + "&_pragma=query_only(1)"
	immutable := clean && !writable(path)
	if immutable {
		dsn += "&immutable=1"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{db: db, path: path, stmts: newStmtCache(db), version: state.version(), readOnly: true}
	if err := s.checkSealed(ctx); err != nil {
		db.Close()
		if clean && !immutable {
			tidyCompanions(path) // as Close would: a refusal leaves no -wal or -shm behind
		}
		return nil, err
	}
	if clean && !immutable {
		// A read-only connection to a WAL database makes -wal and -shm
		// files it cannot remove; the last ordinary connection to close
		// removes them, under SQLite's own locks, and writes nothing.
		s.tidy = func() { tidyCompanions(path) }
	}
	return s, nil
}

// checkSealed refuses a file whose audit rows were never sealed into the
// chain: an upgrade to the chain was interrupted before its last step, which
// the next read-write open takes. Read as they are, every row would look
// tampered with.
func (s *Store) checkSealed(ctx context.Context) error {
	var pending bool
	err := s.db.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM settings WHERE key = ?)
		AND NOT EXISTS (SELECT 1 FROM audit_log WHERE hash IS NOT NULL OR prev_hash IS NOT NULL)
		AND EXISTS (SELECT 1 FROM audit_log)`, chainSealedKey).Scan(&pending)
	if err != nil {
		return fmt.Errorf("read %s: %w", s.path, translate(err))
	}
	if pending {
		return fmt.Errorf("%w: the audit log of %s is not sealed into its hash chain yet (an upgrade was interrupted); 'ctitui --db %s migrate up' finishes it",
			ErrSchemaTooOld, s.path, shellQuote(s.path))
	}
	return nil
}

// tidyCompanions removes the -wal and -shm files that a read-only open left
// beside path, by opening and closing it as SQLite's last connection would.
func tidyCompanions(path string) {
	if closedCleanly(path) {
		return
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=rw&_pragma=busy_timeout(100)"+hardening)
	if err != nil {
		return
	}
	defer db.Close()
	var mode string
	_ = db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
}

// ReadOnly reports whether the Store was opened by OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// DroppedAtOpen lists the foreign triggers and views that Open removed with
// the person's consent.
func (s *Store) DroppedAtOpen() []string { return slices.Clone(s.dropped) }

// Close closes the database.
func (s *Store) Close() error {
	s.watchMu.Lock()
	if s.watchConn != nil {
		s.watchConn.Close()
		s.watchConn = nil
	}
	s.watchMu.Unlock()
	s.stmts.close()
	err := s.db.Close()
	if s.tidy != nil {
		s.tidy()
	}
	return err
}

// Checkpoint copies the write-ahead log into the database file, so that
// closing the Store afterwards has nothing left to copy and sync, whether or
// not anything was written. user.Service calls it before a failed verify
// waits out its floor: the close that follows the wait must not tell a
// failure that counted (a real account) from one that wrote nothing. It is
// PASSIVE: it never waits for readers in other processes (then it copies
// what it can, and closing is not the last close anyway).
func (s *Store) Checkpoint(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", translate(err))
	}
	return nil
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
		busyTimeout.Milliseconds()) + hardening
}

// readOnlyDSN opens path without changing it: no journal-mode switch, which
// would rewrite the header of a file we may yet refuse.
func readOnlyDSN(path string) string {
	return fileURI(path) + fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) + hardening
}

// hardening ends every DSN. A database file may come from anyone, and its
// schema runs on our reads and writes: trusted_schema=OFF lets its triggers,
// views, defaults and CHECK constraints use only innocuous functions and
// virtual tables (not pragma_table_info, say); _defensive forbids what only
// an attack needs (writable_schema, writes to the search index's shadow
// tables, journal_mode=OFF); cell_size_check catches corrupt b-tree cells
// before SQLite uses them.
const hardening = "&_defensive=1&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)"

func fileURI(path string) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
}

// lockMigrations takes an exclusive lock on path's companion lock file so that
// only one process migrates or adopts the file at a time. goose has no SQLite
// locker, and SQLite's own locks cannot span goose's separate transactions.
// The lock lives in a separate file because closing any descriptor of the
// database file itself would drop SQLite's POSIX locks held by this process.
//
// The lock file is opened without following a symbolic link: a link planted
// in its place would make ctitui, perhaps run as root, create or lock a
// file wherever it points.
func lockMigrations(ctx context.Context, path string) (unlock func(), err error) {
	name := path + ".lock"
	if info, err := os.Lstat(name); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("lock database for migration: %s is not a regular file (a link?); ctitui does not follow links it did not make: remove it", name)
	}
	lock := flock.New(name, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDWR|noFollow))
	ctx, cancel := context.WithTimeout(ctx, migrateLockTimeout)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil || !ok {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: another ctitui has been migrating it for over %v", ErrLocked, migrateLockTimeout)
		}
		return nil, fmt.Errorf("lock database for migration (%s): %w", name, err)
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
