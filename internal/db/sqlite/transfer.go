package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// A ctitui SQLite file is also how a database moves between engines: the
// PostgreSQL engine's backup writes one (WriteNew) and its restore reads one
// (CopyForRestore). Both go through this engine, so that the file's schema is
// exactly what its migrations create and a source is refused exactly as
// Restore refuses it.

// WriteNew writes a new ctitui database to dst under the rules of Backup:
// dst must not exist; the file is private (0600) from its first byte,
// built under a temporary name, created at the latest schema by the
// migrations, filled by fill in one write transaction, checked (integrity,
// references, schema) and synced, and only then given its name, which it
// never takes over a file that appeared meanwhile. On failure nothing is left
// at dst. fill finds the schema's own rows (the default roles and settings,
// an empty chain head) and may replace them.
func WriteNew(ctx context.Context, dst string, now time.Time, fill func(ctx context.Context, tx *sql.Tx) error) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; choose another name", dst)
	}
	f, tmp, err := createPartial(dst)
	if err != nil {
		return err
	}
	defer removeWithCompanions(tmp)
	if err := f.Close(); err != nil {
		return err
	}
	s, err := Open(ctx, tmp, db.Options{Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	defer s.Close() //nolint:errcheck // for the early returns, whose error is the one to report; closed and checked below
	if err := s.writeTx(ctx, func(tx *sql.Tx) error { return fill(ctx, tx) }); err != nil {
		return err
	}
	if err := s.checkReplacement(ctx); err != nil {
		return err
	}
	// Closing the last connection folds the WAL into the file.
	if err := s.Close(); err != nil {
		return err
	}
	if !closedCleanly(tmp) {
		return fmt.Errorf("write %s: its WAL was not folded back into it", tmp)
	}
	if err := checkCopy(ctx, tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := publish(tmp, dst); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s already exists; choose another name", dst)
		}
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// CopyForRestore checks src as Restore checks it, refusing what Restore
// refuses (not a SQLite database, another program's, damaged, a newer
// schema, triggers or views ctitui did not create unless
// opts.DropUnknownObjects), and writes to dst, which must not exist, a
// private copy of it at the latest schema: migrated, adopted if it was made
// before migrations, its foreign objects left out, checked. src is never
// changed and nothing of it runs. The report's Backup is empty: no database
// was replaced.
func CopyForRestore(ctx context.Context, src, dst string, opts db.Options) (RestoreReport, error) {
	opts = withDefaults(opts)
	now := opts.Now()
	opts.Now = func() time.Time { return now }
	rep := RestoreReport{From: src}
	srcState, err := checkRestoreSource(ctx, src)
	if err != nil {
		return rep, err
	}
	foreign := srcState.foreign()
	if err := checkRepairable(foreign); err != nil {
		return rep, fmt.Errorf("restore from %s: %w", src, err)
	}
	if len(foreign) > 0 && !opts.DropUnknownObjects {
		return rep, &UnknownSchemaError{Path: src, Items: foreign,
			Remedy: "restore with --drop-unknown-objects to leave them out (" + src + " itself is not changed)"}
	}
	for _, o := range removable(foreign) {
		rep.Dropped = append(rep.Dropped, o.String())
	}
	var adopted *adoptReport
	r := replacement{opts: opts}
	if srcState.kind == legacyFile {
		if adopted, r.prepare, err = adoptSource(ctx, src, srcState, foreign); err != nil {
			return rep, err
		}
	} else {
		want, err := referenceSchema(ctx, srcState.version())
		if err != nil {
			return rep, err
		}
		r.prepare = func(ctx context.Context, tx *sql.Tx) error { return removeForeign(ctx, tx, foreign, want) }
	}
	r.audit = func() []user.AuditEntry {
		if adopted == nil {
			return nil
		}
		adopted.backup = src
		return []user.AuditEntry{{At: now.UTC(), Actor: opts.Actor, Action: user.ActionAdopt, Details: adopted.String()}}
	}
	srcDB, err := sql.Open("sqlite", sourceDSN(src))
	if err != nil {
		return rep, err
	}
	defer srcDB.Close() //nolint:errcheck // only read (sourceDSN): a failed close loses nothing
	if _, err := os.Lstat(dst); err == nil {
		return rep, fmt.Errorf("%s already exists", dst)
	}
	if rep.Migrated, err = r.build(ctx, srcDB, "", dst); err != nil {
		return rep, fmt.Errorf("restore from %s: %w", src, err)
	}
	return rep, nil
}

// ReadOnlyDSN is the data source name under which this engine reads a file
// it must not change, for a reader of a file that CopyForRestore wrote.
func ReadOnlyDSN(path string) string { return readOnlyDSN(path) }
