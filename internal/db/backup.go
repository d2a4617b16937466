package db

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
	// never pass for a backup.
	tmp := dst + ".partial"
	os.Remove(tmp) // left by a backup that was killed
	// VACUUM INTO accepts an existing empty file; creating it first makes
	// it 0600 whatever the umask.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	defer os.Remove(tmp)
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
	if err := os.Link(tmp, dst); err != nil {
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
	defer f.Close()
	return f.Sync()
}

// checkCopy opens a written copy read-only and runs SQLite's integrity check
// on it, so that a backup is known good before anyone relies on it.
func checkCopy(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return translate(err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check of %s: %s", path, result)
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

// autoBackup writes "<path>.<label>-<UTC time>.bak" before ctitui changes an
// existing database by itself, and keeps only the newest keepAutoBackups of
// that label.
func autoBackup(ctx context.Context, conn *sql.Conn, path, label string, now time.Time) (string, error) {
	name := fmt.Sprintf("%s.%s-%s.bak", path, label, now.UTC().Format(backupStamp))
	if err := vacuumInto(ctx, conn, name); err != nil {
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	pruneBackups(path, label)
	return name, nil
}

// pruneBackups deletes all but the newest keepAutoBackups automatic backups
// with label. Their names sort by time. A failure to delete is harmless.
func pruneBackups(path, label string) {
	pattern := escapeGlob(path) + "." + label + "-*.bak"
	names, err := filepath.Glob(pattern)
	if err != nil || len(names) <= keepAutoBackups {
		return
	}
	slices.Sort(names)
	for _, old := range names[:len(names)-keepAutoBackups] {
		os.Remove(old)
	}
}

// escapeGlob makes path match itself literally in filepath.Glob.
func escapeGlob(path string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(path)
}

// backupBeforeMigrating writes the automatic backup taken before pending
// migrations change a database that holds data.
func backupBeforeMigrating(ctx context.Context, path string, now time.Time) (string, error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return "", fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("open database: %w", translate(err))
	}
	defer conn.Close()
	return autoBackup(ctx, conn, path, "pre-migrate", now)
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	From   string // the file restored
	Backup string // the copy of the database it replaced; "" if there was none
	// Migrated lists the migrations applied to the restored file.
	Migrated []int64
}

// Restore replaces the database at path with a copy of src, a backup of a
// ctitui database. It refuses a src that is not a SQLite database, belongs to
// another program, fails its integrity check or has a newer schema; writes a
// backup of the current file first; swaps the files atomically (copy beside,
// fsync, rename); and opens the result, which migrates it if it is older. It
// refuses to run while another process has the database open. The returned
// Store is open on the restored file.
func Restore(ctx context.Context, path, src string, opts Options) (*Store, RestoreReport, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rep := RestoreReport{From: src}
	if same, _ := sameFile(path, src); same {
		return nil, rep, fmt.Errorf("restore: %s is the database itself", src)
	}
	if err := checkRestoreSource(ctx, src); err != nil {
		return nil, rep, err
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
		state, err := probe(ctx, path)
		switch {
		case errors.Is(err, ErrNotDatabase), errors.Is(err, ErrCorrupt):
			// Restoring over a damaged file is what restore is for. SQLite
			// cannot lock it, so look for the companions a user would have.
			if !closedCleanly(path) {
				return fmt.Errorf("restore: %w: %s has -wal, -shm or -journal files beside it; close every ctitui using it and try again", ErrLocked, path)
			}
			if rep.Backup, err = copyBytesBeside(path, "pre-restore", opts.Now()); err != nil {
				return err
			}
			return replaceWithCopy(ctx, path, src)
		case err != nil:
			return err
		}
		// Hold the current file exclusively from before its backup until the
		// new one is in place: no write can fall between the two.
		held, err := holdExclusively(ctx, path)
		if err != nil {
			return err
		}
		defer held.Close()
		if state.hasData {
			conn, err := held.Conn(ctx)
			if err != nil {
				return fmt.Errorf("restore: %w", translate(err))
			}
			rep.Backup, err = autoBackup(ctx, conn, path, "pre-restore", opts.Now())
			conn.Close()
			if errors.Is(err, ErrCorrupt) {
				// SQLite cannot copy what it cannot read; the bytes, held
				// still and out of WAL mode, are the faithful backup.
				rep.Backup, err = copyBytesBeside(path, "pre-restore", opts.Now())
			}
			if err != nil {
				return err
			}
		}
		return replaceWithCopy(ctx, path, src)
	}()
	if err != nil {
		return nil, rep, err
	}
	s, err := Open(ctx, path, opts)
	if err != nil {
		return nil, rep, fmt.Errorf("open restored database: %w", err)
	}
	rep.Migrated = s.AppliedAtOpen()
	details := "restored from " + src
	if rep.Backup != "" {
		details += "; the database it replaced is kept in " + rep.Backup
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		return appendAudit(ctx, tx, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionRestore, Details: details})
	})
	if err != nil {
		s.Close()
		return nil, rep, err
	}
	return s, rep, nil
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

// checkRestoreSource refuses a file that could not become this database.
func checkRestoreSource(ctx context.Context, src string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("restore: %s is not a regular file", src)
	}
	state, err := probe(ctx, src)
	if err != nil {
		return fmt.Errorf("restore from %s: %w", src, err)
	}
	if state.kind == emptyFile {
		return fmt.Errorf("restore from %s: %w: it holds no tables", src, ErrNotCtitui)
	}
	dsn := readOnlyDSN(src)
	if closedCleanly(src) {
		dsn += "&immutable=1" // leaves no -wal and -shm beside the source
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return fmt.Errorf("restore from %s: %w", src, translate(err))
	}
	if result != "ok" {
		return fmt.Errorf("restore from %s: %w: integrity check says %s", src, ErrCorrupt, result)
	}
	return nil
}

// holdExclusively takes the current database out of WAL mode and holds an
// exclusive lock on it through the returned single-connection pool, until
// it is closed. Leaving WAL mode needs every other connection gone, so it
// fails, changing nothing, while another process has the file open.
func holdExclusively(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=rw&_pragma=busy_timeout(1000)")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	db.SetMaxOpenConns(1)
	fail := func(err error) (*sql.DB, error) {
		db.Close()
		return nil, fmt.Errorf("restore: %w; close every ctitui using %s and try again", err, path)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
		return fail(fmt.Errorf("%w: another process has it open", ErrLocked))
	}
	if mode != "delete" {
		return fail(fmt.Errorf("%w: another process has it open", ErrLocked))
	}
	if _, err := db.ExecContext(ctx, `PRAGMA locking_mode = EXCLUSIVE`); err != nil {
		return fail(translate(err))
	}
	// A write takes the exclusive lock; locking_mode keeps it.
	if _, err := db.ExecContext(ctx, `BEGIN EXCLUSIVE; COMMIT`); err != nil {
		return fail(translate(err))
	}
	return db, nil
}

// replaceWithCopy writes a copy of src beside path and renames it over path.
func replaceWithCopy(ctx context.Context, path, src string) error {
	tmp := path + ".restoring"
	os.Remove(tmp) // left by a restore that was killed
	db, err := sql.Open("sqlite", readOnlyDSN(src))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := vacuumInto(ctx, db, tmp); err != nil {
		return fmt.Errorf("restore: copy %s: %w", src, err)
	}
	for _, companion := range []string{"-wal", "-shm", "-journal"} {
		// None should exist after holdExclusively; a stale one must not be
		// replayed into the restored file.
		if err := os.Remove(path + companion); err != nil && !errors.Is(err, fs.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some platforms cannot sync a directory; the rename stands regardless.
	_ = d.Sync()
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
	defer in.Close()
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write backup: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(name)
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(name)
		return "", fmt.Errorf("write backup %s: %w", name, err)
	}
	return name, out.Close()
}
