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
	"slices"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// backupStamp is the UTC time in backup names: it sorts as text.
const backupStamp = "20060102T150405.000Z"

// keepAutoBackups is how many automatic backups of each kind ctitui keeps
// beside a database; older ones are deleted.
const keepAutoBackups = 5

// DefaultBackupPath is where `ctitui backup` writes when given no file:
// "<db>.<UTC time>.bak".
func DefaultBackupPath(dbPath string, now time.Time) string {
	return fmt.Sprintf("%s.%s.bak", dbPath, now.UTC().Format(backupStamp))
}

// vacuumInto writes a consistent copy of the database on q to dst, private
// from its first byte. VACUUM INTO reads one snapshot, so writers may go on
// meanwhile; the copy is a single file, without a WAL.
func vacuumInto(ctx context.Context, q queryer, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; choose another name", dst)
	}
	// The copy is written under a temporary name and given its own only
	// when complete, checked and on disk: a copy cut short by a crash must
	// never pass for a backup. VACUUM INTO accepts an existing empty
	// file; creating it first makes it 0600 whatever the umask.
	f, tmp, err := createPartial(dst)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) //nolint:errcheck // see createPartial
	if err := f.Close(); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return translate(err)
	}
	if err := checkCopy(ctx, tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	// Link, unlike rename, refuses to replace a file that appeared meanwhile.
	if err := publish(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; choose another name", dst)
		}
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// syncFile flushes path to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // opened only to sync, and Sync's error is returned
	return f.Sync()
}

// checkCopy opens a written copy read-only and runs SQLite's integrity check
// on it, so that a backup is known good before anyone relies on it.
func checkCopy(ctx context.Context, path string) error {
	sqldb, err := sql.Open("sqlite", fileURI(path)+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer sqldb.Close() //nolint:errcheck // only read: a failed close loses nothing
	var result string
	if err := sqldb.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return translate(err)
	}
	if result != "ok" {
		return fmt.Errorf("%w: integrity check of %s: %s", db.ErrCorrupt, path, result)
	}
	return nil
}

// Backup writes a consistent, checked copy of the database to dst (mode
// 0600), or to DefaultBackupPath when dst is empty, and returns its name.
// It works while other connections and processes write.
func (s *Store) Backup(ctx context.Context, dst string, now time.Time) (string, error) {
	if dst == "" {
		dst = DefaultBackupPath(s.path, now)
	}
	if err := vacuumInto(ctx, s.db, dst); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return dst, nil
}

// autoBackupName is the name of the automatic backup of path with label
// taken at now: "<path>.<label>-<UTC time>.bak".
func autoBackupName(path, label string, now time.Time) string {
	return fmt.Sprintf("%s.%s-%s.bak", path, label, now.UTC().Format(backupStamp))
}

// autoBackup writes autoBackupName before ctitui changes an existing
// database by itself, and prunes older backups of that label.
func autoBackup(ctx context.Context, conn *sql.Conn, path, label string, now time.Time) (string, error) {
	name := autoBackupName(path, label, now)
	if err := vacuumInto(ctx, conn, name); err != nil {
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	pruneBackups(path, label, now)
	return name, nil
}

// safetyBackup writes a safety backup of the store's file (see the function
// safetyBackup) through one connection of its pool.
func (s *Store) safetyBackup(ctx context.Context, label string, now time.Time) (string, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", translate(err)
	}
	defer conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
	return safetyBackup(ctx, conn, s.path, label, now)
}

// safetyBackup is autoBackup for a step that repairs or replaces a database
// that may be damaged or hostile: when SQLite cannot make a copy of it that
// passes its own integrity check (a damaged file, or a schema built to
// fail, such as a search index defined otherwise), the database's pages as
// they are, damage included, are the backup. When neither works (a full
// disk), the first error says why.
func safetyBackup(ctx context.Context, conn *sql.Conn, path, label string, now time.Time) (string, error) {
	name, err := autoBackup(ctx, conn, path, label, now)
	if err == nil || ctx.Err() != nil {
		return name, err
	}
	name = autoBackupName(path, label, now)
	if copyErr := copyPages(ctx, conn, name); copyErr != nil {
		return "", err
	}
	pruneBackups(path, label, now)
	return name, nil
}

// createPartial creates dst's working name, dst + ".partial", private
// (0600) and new, for a copy that is linked to dst only when complete. A
// partial file left by a copy that was killed is removed first; if it
// cannot go, O_EXCL says so. The caller removes tmp when done: a partial
// file that cannot be removed stays under its .partial name, which nothing
// takes for a backup.
func createPartial(dst string) (f *os.File, tmp string, err error) {
	tmp = dst + ".partial"
	os.Remove(tmp) //nolint:errcheck // O_EXCL below reports one that stays
	f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	return f, tmp, err
}

// copyPages writes the database that q reads to dst, page by page as SQLite
// holds it (what its WAL adds included), without interpreting them: a
// faithful copy of a database too damaged for VACUUM INTO. It reads through
// SQLite, in one read transaction, rather than opening the file: closing a
// descriptor of the database would drop the locks SQLite holds on it in
// this process.
func copyPages(ctx context.Context, q queryer, dst string) error {
	f, tmp, err := createPartial(dst)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) //nolint:errcheck // see createPartial
	err = func() (err error) {
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		rows, err := q.QueryContext(ctx, `SELECT data FROM sqlite_dbpage ORDER BY pgno`)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var page []byte
			if err := rows.Scan(&page); err != nil {
				return translate(err)
			}
			if _, err := f.Write(page); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return translate(err)
		}
		return f.Sync()
	}()
	if err != nil {
		return err
	}
	// Link, unlike rename, refuses to replace a file that appeared meanwhile.
	if err := publish(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// pruneBackups deletes the older automatic backups of path with label,
// keeping the newest keepAutoBackups. It goes by the time in their names,
// and only among names it can read as written at or before now: a name that
// claims a later time (a clock set wrong, or a planted file) could
// otherwise outrank every real backup, the one just written (stamped now,
// so the newest counted) among them. It counts, and deletes, only regular
// files that are SQLite databases. A failure to delete is harmless.
func pruneBackups(path, label string, now time.Time) {
	names := filesBeside(path, "."+label+"-", ".bak")
	prefix := path + "." + label + "-"
	type backup struct {
		name string
		at   time.Time
	}
	var real []backup
	for _, name := range names {
		at, err := time.Parse(backupStamp, strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".bak"))
		if err != nil || at.After(now) {
			continue
		}
		if info, err := os.Lstat(name); err != nil || !info.Mode().IsRegular() || !isSQLiteFile(name) {
			continue
		}
		real = append(real, backup{name, at})
	}
	if len(real) <= keepAutoBackups {
		return
	}
	slices.SortFunc(real, func(a, b backup) int { return a.at.Compare(b.at) })
	for _, old := range real[:len(real)-keepAutoBackups] {
		os.Remove(old.name) //nolint:errcheck // harmless, as the doc comment says
	}
}

// isSQLiteFile reports whether the file at name starts as a SQLite database
// does: a file named like a backup that is not one (planted, say) is not
// counted among the backups.
func isSQLiteFile(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close() //nolint:errcheck // only read: a failed close loses nothing
	var magic [16]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "SQLite format 3\x00"
}

// filesBeside lists the files in path's directory whose names are path's
// own followed by infix, anything, and suffix ("ctitui.db" ".pre-migrate-"
// "*" ".bak"), as paths that start with path. It reads the directory rather than globbing: on
// Windows filepath.Glob has no escape character, so a path holding a '['
// (C:\Users\ana\[case 42]\ctitui.db) could not be matched literally.
func filesBeside(path, infix, suffix string) []string {
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil
	}
	prefix := base + infix
	var names []string
	for _, e := range entries {
		name := e.Name()
		if len(name) >= len(prefix)+len(suffix) && strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix) {
			// dir ends in a separator, or is empty: each name starts
			// with path itself, as callers that trim it expect.
			names = append(names, dir+name)
		}
	}
	return names
}

// backupBeforeMigrating writes the automatic backup taken before pending
// migrations change a database that holds data.
func backupBeforeMigrating(ctx context.Context, path string, now time.Time) (string, error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return "", fmt.Errorf("open database: %w", err)
	}
	defer db.Close() //nolint:errcheck // only read: a failed close loses nothing
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("open database: %w", translate(err))
	}
	defer conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
	return safetyBackup(ctx, conn, path, "pre-migrate", now)
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	From   string // the file restored
	Backup string // the copy of the database it replaced; "" if there was none
	// Migrated lists the migrations applied to the restored file.
	Migrated []int64
	// Dropped lists the source's triggers and views left out of the restored
	// database (with DropUnknownObjects).
	Dropped []string
}

// Restore replaces the database at path with a copy of src, a backup of a
// ctitui database (or a database made before migrations, which it adopts).
// It refuses a src that is not a SQLite database, belongs to another
// program, fails its integrity check, has a newer schema or holds triggers
// or views ctitui did not create (unless opts.DropUnknownObjects, which
// leaves them out). It builds the new database beside path from a copy of
// src, migrated, audited and checked, so that src itself is never changed
// and nothing of it runs; then, holding path exclusively, it backs up the
// current file and swaps the new one in. If any step fails the database is
// left as it was. It refuses to run while another process has the database
// open. The returned Store is open on the restored file.
func Restore(ctx context.Context, path, src string, opts db.Options) (*Store, RestoreReport, error) {
	opts = withDefaults(opts)
	// One time for the whole restore: the backup is named before it is
	// written (see restoreLocked).
	now := opts.Now()
	opts.Now = func() time.Time { return now }
	rep := RestoreReport{From: src}
	if same, _ := sameFile(path, src); same {
		return nil, rep, fmt.Errorf("restore: %s is the database itself", src)
	}
	srcState, err := checkRestoreSource(ctx, src)
	if err != nil {
		return nil, rep, err
	}
	foreign := srcState.foreign()
	if err := checkRepairable(foreign); err != nil {
		return nil, rep, fmt.Errorf("restore from %s: %w", src, err)
	}
	if len(foreign) > 0 && !opts.DropUnknownObjects {
		return nil, rep, &UnknownSchemaError{Path: src, Items: foreign,
			Remedy: "restore with --drop-unknown-objects to leave them out (" + src + " itself is not changed)"}
	}
	for _, o := range removable(foreign) {
		rep.Dropped = append(rep.Dropped, o.String())
	}
	if _, err := prepareFile(path); err != nil {
		return nil, rep, err
	}
	unlock, err := lockMigrations(ctx, path)
	if err != nil {
		return nil, rep, err
	}
	err = func() error {
		defer unlock()
		return restoreLocked(ctx, path, src, srcState, foreign, opts, &rep)
	}()
	if err != nil {
		return nil, rep, err
	}
	s, err := Open(ctx, path, opts)
	if err != nil {
		return nil, rep, fmt.Errorf("open restored database: %w", err)
	}
	return s, rep, nil
}

// restoreLocked is Restore once the migration lock on path is held.
func restoreLocked(ctx context.Context, path, src string, srcState fileState, foreign []foreignItem, opts db.Options, rep *RestoreReport) error {
	_, probeErr := probe(ctx, path)
	damaged := errors.Is(probeErr, ErrNotDatabase) || errors.Is(probeErr, db.ErrCorrupt)
	if probeErr != nil && !damaged {
		return probeErr
	}
	// Before holding it: holding an empty file gives it a header.
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var held *heldFile
	if damaged {
		// Restoring over a damaged file is what restore is for. SQLite
		// cannot lock it, so look for the companions a user would have.
		if !closedCleanly(path) {
			return fmt.Errorf("restore: %w: %s has -wal, -shm or -journal files beside it; close every ctitui using it and try again", db.ErrLocked, path)
		}
	} else {
		// Hold the current file exclusively from before its backup until
		// the new one is in place: no write can fall between the two.
		var err error
		if held, err = holdExclusively(ctx, path); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer held.release(ctx)
	}
	details := "restored from " + src
	if info.Size() > 0 {
		// Named before it is written, so that the restored file's own audit
		// log can say where the database it replaced is kept.
		rep.Backup = autoBackupName(path, "pre-restore", opts.Now())
		details += "; the database it replaced is kept in " + rep.Backup
	}
	if len(foreign) > 0 {
		details += "; left out " + describeForeign(removable(foreign)) + " of the source"
	}

	var adopted *adoptReport
	r := replacement{opts: opts}
	if srcState.kind == legacyFile {
		if adopted, r.prepare, err = adoptSource(ctx, src, srcState, foreign); err != nil {
			return err
		}
	} else {
		want, err := referenceSchema(ctx, srcState.version())
		if err != nil {
			return err
		}
		r.prepare = func(ctx context.Context, tx *sql.Tx) error { return removeForeign(ctx, tx, foreign, want) }
	}
	r.audit = func() []user.AuditEntry {
		var entries []user.AuditEntry
		if adopted != nil {
			adopted.backup = src
			entries = append(entries, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionAdopt, Details: adopted.String()})
		}
		return append(entries, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionRestore, Details: details})
	}
	srcDB, err := sql.Open("sqlite", sourceDSN(src))
	if err != nil {
		return err
	}
	defer srcDB.Close() //nolint:errcheck // only read (sourceDSN): a failed close loses nothing
	tmp := path + ".restoring"
	if rep.Migrated, err = r.build(ctx, srcDB, "", tmp); err != nil {
		return fmt.Errorf("restore from %s: %w (the database was not changed)", src, err)
	}
	fail := func(err error) error {
		removeWithCompanions(tmp)
		return fmt.Errorf("restore: %w (the database was not changed)", err)
	}
	if rep.Backup != "" {
		var name string
		if held != nil {
			conn, err := held.conn(ctx)
			if err != nil {
				return fail(err)
			}
			name, err = safetyBackup(ctx, conn, path, "pre-restore", opts.Now())
			conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
			if err != nil {
				return fail(err)
			}
		} else if name, err = copyBytesBeside(path, "pre-restore", opts.Now()); err != nil {
			return fail(err)
		}
		if name != rep.Backup {
			// Not the backup the report names: a stray copy, best removed.
			os.Remove(name) //nolint:errcheck // see above
			return fail(fmt.Errorf("backup written as %s, not %s", name, rep.Backup))
		}
	}
	if held != nil {
		err = held.swapIn(tmp)
	} else {
		err = swapFile(tmp, path)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// adoptSource inspects src, a database made before migrations handed to
// restore, and returns the preparation that adopts its copy.
func adoptSource(ctx context.Context, src string, srcState fileState, foreign []foreignItem) (*adoptReport, func(context.Context, *sql.Tx) error, error) {
	sqldb, err := sql.Open("sqlite", sourceDSN(src))
	if err != nil {
		return nil, nil, err
	}
	defer sqldb.Close() //nolint:errcheck // only read: a failed close loses nothing
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("restore from %s: %w", src, translate(err))
	}
	defer conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
	plan, err := inspectLegacy(ctx, conn, srcState)
	if err != nil {
		return nil, nil, fmt.Errorf("restore from %s: %w: %w", src, db.ErrCannotAdopt, err)
	}
	report := &adoptReport{users: len(plan.rows), dropped: foreign}
	return report, func(ctx context.Context, tx *sql.Tx) error {
		if err := removeForeign(ctx, tx, foreign, nil); err != nil {
			return err
		}
		return translate(plan.apply(ctx, tx, report))
	}, nil
}

// sourceDSN reads a restore source without changing it: immutable when no
// process has it open, so that not even -wal and -shm files appear beside it.
func sourceDSN(src string) string {
	if closedCleanly(src) {
		return readOnlyDSN(src) + "&immutable=1"
	}
	return readOnlyDSN(src)
}

func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// checkRestoreSource refuses a file that could not become this database,
// and returns what probing it found.
func checkRestoreSource(ctx context.Context, src string) (fileState, error) {
	info, err := os.Stat(src)
	if err != nil {
		return fileState{}, fmt.Errorf("restore: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fileState{}, fmt.Errorf("restore: %s is not a regular file", src)
	}
	state, err := probe(ctx, src)
	if err != nil {
		return fileState{}, fmt.Errorf("restore from %s: %w", src, err)
	}
	if state.kind == emptyFile {
		return fileState{}, fmt.Errorf("restore from %s: %w: it holds no tables", src, db.ErrNotCtitui)
	}
	sqldb, err := sql.Open("sqlite", sourceDSN(src))
	if err != nil {
		return fileState{}, err
	}
	defer sqldb.Close() //nolint:errcheck // only read: a failed close loses nothing
	var result string
	if err := sqldb.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return fileState{}, fmt.Errorf("restore from %s: %w", src, translate(err))
	}
	if result != "ok" {
		return fileState{}, fmt.Errorf("restore from %s: %w: integrity check says %s", src, db.ErrCorrupt, result)
	}
	return state, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close() //nolint:errcheck // opened only to sync
	// Some platforms cannot sync a directory; the rename stands regardless.
	d.Sync() //nolint:errcheck // see above
	return nil
}

// copyBytesBeside keeps the file at path, byte for byte, as a private
// "<path>.<label>-<UTC time>.bak": for a file SQLite cannot copy. A hard
// link is the copy when the file system allows one: it opens no descriptor
// on the database, which would drop the POSIX locks this process holds on
// it, and once the restored file is renamed over path the link alone keeps
// the old bytes.
func copyBytesBeside(path, label string, now time.Time) (string, error) {
	name := fmt.Sprintf("%s.%s-%s.bak", path, label, now.UTC().Format(backupStamp))
	if err := os.Link(path, name); err == nil {
		return name, os.Chmod(name, 0o600)
	}
	in, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("write backup: %w", err)
	}
	defer in.Close() //nolint:errcheck // only read: a failed close loses nothing
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write backup: %w", err)
	}
	// A copy that failed is closed and removed as well as can be; the
	// failure to report is the one that stopped it.
	if _, err := io.Copy(out, in); err != nil {
		out.Close()     //nolint:errcheck // see above
		os.Remove(name) //nolint:errcheck // see above
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()     //nolint:errcheck // see above
		os.Remove(name) //nolint:errcheck // see above
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	return name, out.Close()
}
