package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Adoption and restore change a whole database at once. They build the new
// file beside the live one, from a private copy, and swap it in only when it
// is complete and checked: the live file either becomes the finished result
// or stays exactly as it was. Nothing of the source runs meanwhile: its
// foreign triggers and views are dropped from the copy (or the source is
// refused) before the first write.

// companions are the files SQLite keeps beside a database.
var companions = []string{"-wal", "-shm", "-journal"}

// removeWithCompanions deletes path and the files SQLite keeps beside it.
func removeWithCompanions(path string) {
	for _, suffix := range append([]string{""}, companions...) {
		os.Remove(path + suffix) //nolint:errcheck // most of them do not exist
	}
}

// heldFile is a database held exclusively by this process: no other
// connection can read or write it until release.
type heldFile struct {
	db      *sql.DB
	path    string
	wasWAL  bool // the file was in WAL mode before it was held
	swapped bool // a new file replaced it: its old journal mode is moot
}

// holdExclusively takes the database at path out of WAL mode and holds an
// exclusive lock on it until release. Leaving WAL mode needs every other
// connection gone, so it fails, changing nothing, while another process has
// the file open.
func holdExclusively(ctx context.Context, path string) (*heldFile, error) {
	sqldb, err := sql.Open("sqlite", fileURI(path)+"?mode=rw&_pragma=busy_timeout(1000)"+hardening)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqldb.SetMaxOpenConns(1)
	h := &heldFile{db: sqldb, path: path}
	fail := func(err error) (*heldFile, error) {
		h.release(ctx)
		return nil, fmt.Errorf("%w; close every program using %s and try again", err, path)
	}
	var mode string
	if err := sqldb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fail(translate(err))
	}
	h.wasWAL = mode == "wal"
	if err := sqldb.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil || mode != "delete" {
		return fail(fmt.Errorf("%w: another process has it open", db.ErrLocked))
	}
	if _, err := sqldb.ExecContext(ctx, `PRAGMA locking_mode = EXCLUSIVE`); err != nil {
		return fail(translate(err))
	}
	// A write transaction takes the exclusive lock; locking_mode keeps it.
	// It changes no page, so the file's bytes stay as they were.
	if _, err := sqldb.ExecContext(ctx, `BEGIN EXCLUSIVE; COMMIT`); err != nil {
		return fail(translate(err))
	}
	return h, nil
}

// conn returns the held connection.
func (h *heldFile) conn(ctx context.Context) (*sql.Conn, error) {
	c, err := h.db.Conn(ctx)
	return c, translate(err)
}

// release lets go of the file and, when it was not replaced, puts it back in
// WAL mode if that is how it was found.
func (h *heldFile) release(ctx context.Context) {
	// It runs deferred, after the file was replaced or left as it was, with
	// nobody to tell: putting WAL mode back is a courtesy to the next open.
	h.db.Close() //nolint:errcheck // see above
	if !h.wasWAL || h.swapped {
		return
	}
	db, err := sql.Open("sqlite", fileURI(h.path)+"?mode=rw&_pragma=busy_timeout(5000)"+hardening)
	if err != nil {
		return
	}
	defer db.Close()                                                        //nolint:errcheck // see above
	db.ExecContext(context.WithoutCancel(ctx), `PRAGMA journal_mode = WAL`) //nolint:errcheck // see above
}

// releaseBeforeSwap says to close the held file before renaming over it.
// Windows renames over no file that is open, by this process or any other
// (SQLite opens files without FILE_SHARE_DELETE), so there swapIn lets go
// first. Elsewhere the hold lasts through the rename: no other process can
// write to the old file between its backup and the swap, and one that
// opened it meanwhile finds it moved (SQLITE_READONLY_DBMOVED) rather than
// writing where nobody will read.
var releaseBeforeSwap = runtime.GOOS == "windows"

// swapIn renames the finished file tmp over h's file and makes the rename
// durable. h must still be held: no other process can be using the old
// file. Where the file must be closed first (releaseBeforeSwap), a process
// that opens it in the moment between the close and the rename, and keeps
// it open, makes the rename fail, leaving the database as it was; one that
// also wrote and closed it in that moment would lose its write.
func (h *heldFile) swapIn(tmp string) error {
	if releaseBeforeSwap {
		// Closing the last connection of a file in rollback-journal mode
		// writes nothing: the old file stays exactly as backed up.
		if err := h.db.Close(); err != nil {
			return fmt.Errorf("replace %s: close it: %w", h.path, err)
		}
	}
	if err := swapFile(tmp, h.path); err != nil {
		return err
	}
	h.swapped = true
	return nil
}

// The file operations of a swap. Tests replace them with ones that, as
// Windows does, refuse a file that this process still has open.
var (
	removeFile = os.Remove
	renameFile = os.Rename
)

// swapFile renames tmp over path, after removing companions that must not
// be replayed into the new file, and makes the rename durable.
func swapFile(tmp, path string) error {
	for _, suffix := range companions {
		if err := removeFile(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("replace %s: %w", path, err)
		}
	}
	if err := renameFile(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// replacement describes how to build the new file from a copy of a source.
type replacement struct {
	// prepare runs first, in one transaction on the copy with foreign keys
	// off: it drops the source's foreign code before anything writes, and
	// adoption rebuilds the legacy tables.
	prepare func(ctx context.Context, tx *sql.Tx) error
	// audit returns the entries to record in the copy's audit log once it
	// is migrated; it runs after prepare.
	audit func() []user.AuditEntry
	opts  db.Options // for what the migrations record, and what the email keys' update tells and audits
}

// build writes the new database to tmp: a copy of the database q reads (or,
// when from is set, a byte copy of that file, a checked backup), prepared,
// migrated to the latest schema, audited and checked. It returns the
// migrations it applied. On failure nothing of tmp is left.
func (r replacement) build(ctx context.Context, q queryer, from, tmp string) (applied []int64, err error) {
	removeWithCompanions(tmp) // left by a run that was killed
	defer func() {
		if err != nil {
			removeWithCompanions(tmp)
		}
	}()
	if from != "" {
		if err := copyFile(from, tmp); err != nil {
			return nil, err
		}
	} else if err := vacuumInto(ctx, q, tmp); err != nil {
		return nil, err
	}
	if err := r.prepareCopy(ctx, tmp); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", readWriteDSN(tmp))
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: tmp, stmts: newStmtCache(db)}
	defer s.Close() //nolint:errcheck // for the early returns, whose error is the one to report; closed and checked below
	if err := s.migrate(ctx, r.opts.Now()); err != nil {
		return nil, err
	}
	if err := s.refreshEmailKeys(ctx, r.opts); err != nil {
		return nil, err
	}
	if err := s.refreshRoleNames(ctx); err != nil { // the source's column is not to be trusted
		return nil, err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		w := chainWriter{tx: tx, stmts: newStmtCache(tx)}
		for _, e := range r.audit() {
			if err := w.append(ctx, e); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkReplacement(ctx); err != nil {
		return nil, err
	}
	// Closing the last connection checkpoints the WAL into the file and
	// removes it: the file is then whole on its own.
	if err := s.Close(); err != nil {
		return nil, err
	}
	if !closedCleanly(tmp) {
		return nil, fmt.Errorf("build %s: its WAL was not folded back into it", tmp)
	}
	return s.applied, syncFile(tmp)
}

func (r replacement) prepareCopy(ctx context.Context, tmp string) error {
	if r.prepare == nil {
		return nil
	}
	conn, closeConn, err := openForRebuild(ctx, tmp)
	if err != nil {
		return err
	}
	defer closeConn()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := r.prepare(ctx, tx); err != nil {
		return err
	}
	return translate(tx.Commit())
}

// checkReplacement checks a file built to replace a live database before it
// is swapped in: whole, its references resolved, at the latest schema, and
// running no code but ctitui's own.
func (s *Store) checkReplacement(ctx context.Context) error {
	var result string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return translate(err)
	}
	if result != "ok" {
		return fmt.Errorf("%w: integrity check says %s", db.ErrCorrupt, result)
	}
	var dangling int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&dangling); err != nil {
		return translate(err)
	}
	if dangling > 0 {
		return fmt.Errorf("%d rows refer to rows that do not exist", dangling)
	}
	if s.version != LatestVersion() {
		return fmt.Errorf("schema version %d after migrating; want %d", s.version, LatestVersion())
	}
	have, err := readSchemaRows(ctx, s.db)
	if err != nil {
		return err
	}
	if foreign := append(findForeign(have, latestSchema()), brokenWrites(ctx, s.db, have, latestSchema())...); len(foreign) > 0 {
		return fmt.Errorf("%w: %s", db.ErrUnknownSchema, describeForeign(foreign))
	}
	if missing := slices.DeleteFunc(code(latestSchema()), func(w schemaRow) bool { return slices.Contains(have, w) }); len(missing) > 0 {
		return fmt.Errorf("%s %s missing after migrating", missing[0].Type, missing[0].Name)
	}
	return nil
}

// copyFile copies src to a new private file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close() //nolint:errcheck // only read: a failed close loses nothing
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close() //nolint:errcheck // err is the failure to report
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close() //nolint:errcheck // err is the failure to report
		return err
	}
	return out.Close()
}
