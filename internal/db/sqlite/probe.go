package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/ctitui/ctitui/internal/db"
)

// fileKind says what Open found in a file before touching it.
type fileKind int

const (
	emptyFile   fileKind = iota // no tables: a new database
	managedFile                 // has goose's version table, which records migrations
	legacyFile                  // has a users table, and no version table or one that records only version 0
)

// fileState is what a read-only look at a file found.
type fileState struct {
	path    string
	kind    fileKind
	applied []int64 // versions recorded in goose's table (managedFile)
	tables  []string
	schema  []schemaRow   // the file's tables, indexes, triggers and views
	hasData bool          // some user or audit row exists
	want    []schemaRow   // what the migrations up to its version create (managedFile)
	writes  []foreignItem // ctitui's writes SQLite refuses to prepare (managedFile; brokenWrites)
}

// version is the newest schema version the file records (managedFile).
func (st fileState) version() int64 {
	if len(st.applied) == 0 {
		return 0
	}
	return slices.Max(st.applied)
}

// foreign returns what the file's schema holds that its migrations (those
// up to its version) do not create and that would run with ctitui's writes
// or refuse them (findForeign), and the tables SQLite would refuse ctitui's
// writes to (brokenWrites); in a file ctitui did not make, all its
// triggers and views (adoption judges its tables).
func (st fileState) foreign() []foreignItem {
	if st.kind != managedFile {
		var out []foreignItem
		for _, o := range code(st.schema) {
			out = append(out, foreignItem{Kind: o.Type, Name: o.Name, Table: o.Table, SQL: o.SQL})
		}
		return out
	}
	return append(findForeign(st.schema, st.want), st.writes...)
}

// needsWork reports whether opening the file will write schema changes.
func (st fileState) needsWork() bool {
	if st.kind != managedFile {
		return true
	}
	for _, v := range MigrationVersions() {
		if !slices.Contains(st.applied, v) {
			return true
		}
	}
	return false
}

// gooseTable is the name goose gives its version table.
const gooseTable = "goose_db_version"

// probe inspects path through a read-only connection and decides what Open
// must do with it. It refuses, without changing a byte, files that are not
// SQLite databases, databases of other programs, and schemas newer than this
// binary knows.
func probe(ctx context.Context, path string) (fileState, error) {
	st, err := probeOnce(ctx, path)
	if errors.Is(err, errHotJournal) {
		// A writer was killed mid-transaction and left its rollback
		// journal. A read-only connection may not roll it back; a
		// read-write one does so on its first read, restoring the file to
		// its last commit, and then the file can be looked at.
		if err := rollBackHotJournal(ctx, path); err != nil {
			return fileState{}, err
		}
		return probeOnce(ctx, path)
	}
	return st, err
}

// errHotJournal reports a file with a journal left by an interrupted write.
var errHotJournal = errors.New("database has a hot journal")

func rollBackHotJournal(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()))
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	// The rollback happens at the first read, checked below; closing has
	// nothing left to write.
	defer db.Close() //nolint:errcheck // see above
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return fmt.Errorf("roll back the interrupted write in %s: %w", path, translate(err))
	}
	return nil
}

func probeOnce(ctx context.Context, path string) (fileState, error) {
	if closedCleanly(path) {
		st, err := probeWith(ctx, path, readOnlyDSN(path)+"&immutable=1")
		// A failure is the file's own unless another process opened it
		// meanwhile and wrote while we read without locks: then look again
		// the ordinary way.
		if err == nil || closedCleanly(path) {
			return st, err
		}
	}
	return probeWith(ctx, path, readOnlyDSN(path))
}

// closedCleanly reports whether no process has path open and every change
// is in the file itself: no -wal, -shm or -journal beside it. Such a file
// can be read as immutable, which, unlike an ordinary read-only open of a WAL
// database, creates no -wal and -shm files that a refusal would leave behind.
// It looks only at the companions: opening and closing the database file
// itself would drop the POSIX locks SQLite holds on it in this process.
func closedCleanly(path string) bool {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Lstat(path + suffix); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

func probeWith(ctx context.Context, path, dsn string) (fileState, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fileState{}, fmt.Errorf("open database: %w", err)
	}
	defer db.Close() //nolint:errcheck // only read: a failed close loses nothing
	return probeDB(ctx, db, path)
}

// probeDB is probe's look at path through sqldb, which only reads.
func probeDB(ctx context.Context, sqldb *sql.DB, path string) (fileState, error) {
	st := fileState{path: path}
	rows, err := sqldb.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if isHotJournal(err) {
		return fileState{}, errHotJournal
	}
	if err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
	}
	if st.tables, err = scanStrings(rows); err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, err)
	}
	if st.schema, err = readSchemaRows(ctx, sqldb); err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, err)
	}

	switch {
	case slices.Contains(st.tables, gooseTable):
		st.kind = managedFile
	case slices.Contains(st.tables, "users"):
		st.kind = legacyFile
		return st, nil
	case len(userTables(st.tables)) == 0:
		st.kind = emptyFile
		return st, nil
	default:
		return fileState{}, fmt.Errorf("%w: %s has tables (%s) but no users table",
			db.ErrNotCtitui, path, strings.Join(userTables(st.tables), ", "))
	}

	vrows, err := sqldb.QueryContext(ctx, `SELECT version_id FROM `+gooseTable+` WHERE is_applied ORDER BY version_id`)
	if err != nil {
		return fileState{}, fmt.Errorf("read schema version: %w", translate(err))
	}
	defer vrows.Close()
	for vrows.Next() {
		var v int64
		if err := vrows.Scan(&v); err != nil {
			return fileState{}, fmt.Errorf("read schema version: %w", translate(err))
		}
		st.applied = append(st.applied, v)
	}
	if err := vrows.Err(); err != nil {
		return fileState{}, fmt.Errorf("read schema version: %w", translate(err))
	}
	if slices.Contains(st.tables, "users") {
		// The goose CLI makes its table, with the row of version 0, at its
		// first look at a file ("goose status"): with nothing else
		// recorded, the users table is no migration's but a legacy one,
		// and the file is adopted (which makes goose's table again).
		var recorded bool
		if err := sqldb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+gooseTable+` WHERE version_id IS NOT 0)`).Scan(&recorded); err != nil {
			return fileState{}, fmt.Errorf("read schema version: %w", translate(err))
		}
		if !recorded {
			st.kind, st.applied = legacyFile, nil
			return st, nil
		}
		query := `SELECT EXISTS (SELECT 1 FROM users)`
		if slices.Contains(st.tables, "audit_log") {
			query = `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM audit_log)`
		}
		if err := sqldb.QueryRowContext(ctx, query).Scan(&st.hasData); err != nil {
			return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
		}
	}
	if len(st.applied) > 0 {
		if current, latest := slices.Max(st.applied), LatestVersion(); current > latest {
			return fileState{}, fmt.Errorf("%w: %s is at schema version %d, this ctitui knows up to %d; use a newer ctitui",
				db.ErrSchemaTooNew, path, current, latest)
		}
	}
	if st.want, err = referenceSchema(ctx, st.version()); err != nil {
		return fileState{}, err
	}
	st.writes = brokenWrites(ctx, sqldb, st.schema, st.want)
	return st, nil
}

// userTables drops SQLite's internal tables from names.
func userTables(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "sqlite_") {
			out = append(out, n)
		}
	}
	return out
}
