// Package db opens ctitui's SQLite file and stores users in it. Opening brings
// any database, including one made before migrations existed, to the current
// schema before anything else reads it. All SQL lives in this package.
package sqlite

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
	"strings"
	"time"

	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 5 * time.Second

// migrateLockTimeout bounds the wait for another process that is migrating
// the same file.
const migrateLockTimeout = 60 * time.Second

// withDefaults fills in what o leaves to the defaults that db.Options
// documents.
func withDefaults(o db.Options) db.Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Notify == nil {
		o.Notify = func(string) {}
	}
	return o
}

// Open opens the ctitui database at path, creating it (and its directory,
// 0700; the file, 0600) when missing, and brings it to the current schema:
// pending migrations are applied and a database made before migrations is
// adopted. A file that is not a SQLite database, belongs to another program,
// has a schema newer than this binary knows, or holds triggers or views
// that ctitui did not create (unless opts.DropUnknownObjects) is refused and
// left untouched.
func Open(ctx context.Context, path string, opts db.Options) (*Store, error) {
	opts = withDefaults(opts)
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
	foreign := state.foreign()
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
		foreign = state.foreign()
	}
	if err := checkRepairable(foreign); err != nil {
		return nil, err
	}
	if len(foreign) > 0 && !opts.DropUnknownObjects {
		remedy := "'ctitui doctor' reports them and 'ctitui doctor --fix' removes them, after a backup"
		if state.kind == legacyFile {
			remedy = fmt.Sprintf("to adopt the file without them: ctitui --db %s migrate up --drop-unknown-objects (the original is kept in a backup)", shellQuote(path))
		}
		return nil, &UnknownSchemaError{Path: path, Items: foreign, Remedy: remedy}
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
		for _, o := range removable(foreign) {
			dropped = append(dropped, o.String())
		}
		opts.Notify(fmt.Sprintf("removed %s from %s; backup of the original: %s", describeForeign(removable(foreign)), path, name))
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
		if err := s.migrate(ctx, opts.Now()); err != nil {
			db.Close() //nolint:errcheck // err is the failure to report
			return nil, err
		}
	} else {
		// The probe saw every embedded migration applied (and refused a
		// newer schema), so goose would find nothing to do: skipping it is
		// a millisecond off every command's start.
		s.version = state.version()
	}
	if err := s.refreshEmailKeys(ctx, opts); err != nil {
		db.Close() //nolint:errcheck // err is the failure to report
		return nil, err
	}
	return s, nil
}

// dropForeignCode removes foreign, what the schema of the ctitui database
// at path holds that its migrations do not create, with the person's
// consent: after a backup that keeps it, in one transaction that also makes
// again what of ctitui's own is missing (removeForeign) and records the
// removal in the audit log. It returns the backup's name.
func dropForeignCode(ctx context.Context, path string, state fileState, foreign []foreignItem, opts db.Options) (string, error) {
	want, err := referenceSchema(ctx, state.version())
	if err != nil {
		return "", err
	}
	conn, closeConn, err := openForRebuild(ctx, path)
	if err != nil {
		return "", err
	}
	defer closeConn()
	name, err := safetyBackup(ctx, conn, path, "pre-repair", opts.Now())
	if err != nil {
		return "", err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return "", translate(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	err = removeForeign(ctx, tx, foreign, want)
	if err == nil {
		err = checkForeignKeys(ctx, tx)
	}
	if err == nil {
		details := "removed " + describeForeign(removable(foreign)) + ", which ctitui did not create; backup " + name
		err = auditEarly(ctx, tx, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionRepair, Details: details})
	}
	if err == nil {
		err = translate(tx.Commit())
	}
	if err != nil {
		return "", fmt.Errorf("remove what ctitui did not create: %w (backup of the original: %s)", err, name)
	}
	return name, nil
}

// openForRebuild opens path on one connection fit to rebuild tables:
// foreign keys off, or dropping a table would delete the rows that point at
// it, and legacy_alter_table on, or renaming the rebuilt table would
// re-check (and could trip over) every view and trigger of the file.
func openForRebuild(ctx context.Context, path string) (*sql.Conn, func(), error) {
	db, err := sql.Open("sqlite", fileURI(path)+fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)&_pragma=foreign_keys(0)&_pragma=legacy_alter_table(1)&_txlock=immediate", busyTimeout.Milliseconds())+hardening)
	if err != nil {
		return nil, nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close() //nolint:errcheck // err is the failure to report
		return nil, nil, translate(err)
	}
	// The callers close it after their transaction committed or rolled
	// back: nothing is left to write.
	return conn, func() {
		conn.Close() //nolint:errcheck // see above
		db.Close()   //nolint:errcheck // see above
	}, nil
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

// OpenReadOnly opens the ctitui database at path for reading and never
// changes it: no file is created (a missing one is db.ErrNoDatabase), nothing
// is migrated, adopted or sealed, and the connections are read-only. A file
// whose schema needs migrating is db.ErrSchemaTooOld, one made before
// migrations db.ErrCannotAdopt. Its triggers and views, whoever made them,
// cannot run: nothing is written. When the file or its directory cannot be
// written (read-only media, an evidence copy), it is read as immutable, so
// that not even -wal and -shm files appear beside it.
func OpenReadOnly(ctx context.Context, path string, opts db.Options) (*Store, error) {
	return openReadOnly(ctx, path, withDefaults(opts), false)
}

// openReadOnly is OpenReadOnly; private says path is a private copy, which
// may be read as it is.
func openReadOnly(ctx context.Context, path string, opts db.Options, private bool) (*Store, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w at %s (check --db or $CTITUI_DB; commands that write create one)", db.ErrNoDatabase, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", db.ErrNotAccessible, err)
	case info.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", db.ErrNotAccessible, path)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is not a regular file", db.ErrNotAccessible, path)
	}
	if err := refuseCompanionLinks(path); err != nil {
		return nil, err
	}
	if !private && walWithoutShm(path) && !inUse(path) {
		return openPrivateCopy(ctx, path, opts)
	}
	clean := closedCleanly(path)
	state, err := probeOnce(ctx, path)
	if errors.Is(err, errHotJournal) {
		return nil, fmt.Errorf("%w: %s has an unfinished write (a -journal beside it); a command that writes rolls it back", db.ErrReadOnly, path)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case state.kind == emptyFile:
		return nil, fmt.Errorf("%w: %s holds no tables yet", db.ErrNotCtitui, path)
	case state.kind == legacyFile:
		return nil, fmt.Errorf("%w: %s was made before migrations; 'ctitui --db %s migrate up' adopts it, after a backup", db.ErrCannotAdopt, path, shellQuote(path))
	case state.needsWork():
		return nil, fmt.Errorf("%w: %s is at schema version %d, this ctitui reads %d; 'ctitui --db %s migrate up' migrates it, after a backup",
			db.ErrSchemaTooOld, path, state.version(), LatestVersion(), shellQuote(path))
	}
	if foreign := state.foreign(); len(foreign) > 0 {
		opts.Notify(fmt.Sprintf("warning: %s; 'ctitui doctor' says more", foreignWarning(path, foreign)))
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
	if clean && !immutable {
		// A read-only connection to a WAL database makes -wal and -shm
		// files it cannot remove; the last ordinary connection to close
		// removes them, under SQLite's own locks, and writes nothing.
		s.tidy = func() { tidyCompanions(path) }
	}
	return s, nil
}

// walWithoutShm reports whether path has a -wal but no -shm beside it: a
// copy taken of a database in use, as evidence is often collected (or a
// database a process holds in exclusive locking mode, which inUse tells
// apart). SQLite needs a -shm to read the -wal, and would make one beside
// the file.
func walWithoutShm(path string) bool {
	_, wal := os.Lstat(path + "-wal")
	_, shm := os.Lstat(path + "-shm")
	return wal == nil && errors.Is(shm, fs.ErrNotExist)
}

// openPrivateCopy opens, read-only, a private copy of path and its -wal,
// so that reading them leaves nothing beside the original; Close removes
// the copy.
func openPrivateCopy(ctx context.Context, path string, opts db.Options) (*Store, error) {
	dir, err := os.MkdirTemp("", "ctitui-look-")
	if err != nil {
		return nil, fmt.Errorf("copy %s to read it: %w", path, err)
	}
	copyPath := filepath.Join(dir, filepath.Base(path))
	// The copy lives in a private temporary directory: removing it is
	// tidying up, and one left behind is the system's to clean.
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(path+suffix, copyPath+suffix); err != nil {
			os.RemoveAll(dir) //nolint:errcheck // see above
			return nil, fmt.Errorf("copy %s to read it: %w", path+suffix, err)
		}
	}
	s, err := openReadOnly(ctx, copyPath, opts, true)
	if err != nil {
		os.RemoveAll(dir) //nolint:errcheck // see above
		return nil, err
	}
	s.path = path // what the person named: doctor looks at the files beside it
	s.tidy = func() {
		os.RemoveAll(dir) //nolint:errcheck // see above
	}
	return s, nil
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
	// Tidying up is best effort: companions left behind are harmless, as
	// SQLite uses or removes them at the next open.
	defer db.Close() //nolint:errcheck // see above
	var mode string
	// Close, which runs this, has no context; busy_timeout bounds the wait.
	db.QueryRowContext(context.Background(), `PRAGMA journal_mode`).Scan(&mode) //nolint:errcheck // see above
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
		s.watchConn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
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

// Location implements db.Store: where the data lives is the file, Path.
func (s *Store) Location() string { return s.path }

// SchemaVersion is the schema version of the file after Open.
func (s *Store) SchemaVersion() int64 { return s.version }

// AppliedAtOpen lists the migration versions that Open applied, oldest first.
func (s *Store) AppliedAtOpen() []int64 { return slices.Clone(s.applied) }

// refuseCompanionLinks refuses a database whose -wal, -shm or -journal is a
// symbolic link: SQLite opens them by name, and a link planted there would
// send its writes, or read its pages, wherever it points.
func refuseCompanionLinks(path string) error {
	for _, suffix := range companions {
		if info, err := os.Lstat(path + suffix); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symbolic link, which ctitui never makes; remove it", db.ErrNotAccessible, path+suffix)
		}
	}
	return nil
}

// prepareFile refuses paths that cannot be a database ctitui may write, and
// creates a missing file (and its directories) with private permissions.
func prepareFile(path string) (created bool, err error) {
	if err := refuseCompanionLinks(path); err != nil {
		return false, err
	}
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
			// Another process created it first, or path is a link to
			// nowhere, which O_EXCL will not create through (and which
			// looking again would find missing forever).
			if target, lerr := os.Readlink(path); lerr == nil {
				if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
					return false, fmt.Errorf("create database: %s is a link to %s, which does not exist; create that file or remove the link", path, target)
				}
			}
			return prepareFile(path)
		}
		if err != nil {
			return false, fmt.Errorf("create database: %w", err)
		}
		return true, f.Close()
	case err != nil:
		return false, fmt.Errorf("%w: %w", db.ErrNotAccessible, err)
	case info.IsDir():
		return false, fmt.Errorf("%w: %s is a directory", db.ErrNotAccessible, path)
	case !info.Mode().IsRegular():
		return false, fmt.Errorf("%w: %s is not a regular file", db.ErrNotAccessible, path)
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
	// Foreign keys on, as for writing, so that brokenWrites sees what a
	// write would: SQLite looks up foreign keys only when they are enforced.
	return fileURI(path) + fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeout.Milliseconds()) + hardening
}

// hardening ends every DSN. A database file may come from anyone, and its
// schema runs on our reads and writes: trusted_schema=OFF lets its triggers,
// views, defaults and CHECK constraints use only innocuous functions and
// virtual tables (not pragma_table_info, say); _defensive forbids what only
// an attack needs (writable_schema, writes to the search index's shadow
// tables, journal_mode=OFF); cell_size_check catches corrupt b-tree cells
// before SQLite uses them.
const hardening = "&_defensive=1&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)"

// fileURI is the SQLite URI of the file at path.
func fileURI(path string) string {
	p := (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
	if strings.HasPrefix(p, "//") {
		// "file://x/..." names host x, which SQLite refuses: an empty
		// authority keeps both slashes, for a Windows share
		// (\\server\share\ctitui.db) as for any such path.
		return "file://" + p
	}
	return "file:" + p
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
			return nil, fmt.Errorf("%w: another ctitui has been migrating it for over %v", db.ErrLocked, migrateLockTimeout)
		}
		return nil, fmt.Errorf("lock database for migration (%s): %w", name, err)
	}
	return func() { _ = lock.Unlock() }, nil
}
