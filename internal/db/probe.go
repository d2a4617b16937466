package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// fileKind says what Open found in a file before touching it.
type fileKind int

const (
	emptyFile   fileKind = iota // no tables: a new database
	managedFile                 // has goose's version table
	legacyFile                  // has a users table but no version table
)

// fileState is what a read-only look at a file found.
type fileState struct {
	kind    fileKind
	applied []int64 // versions recorded in goose's table (managedFile)
	tables  []string
}

// needsWork reports whether opening the file will write schema changes.
func (st fileState) needsWork() bool {
	if st.kind != managedFile {
		return true
	}
	for _, v := range knownVersions() {
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
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return fileState{}, fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	var st fileState
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
		}
		st.tables = append(st.tables, name)
	}
	if err := rows.Close(); err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
	}
	if err := rows.Err(); err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", path, translate(err))
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
			ErrNotCtitui, path, strings.Join(userTables(st.tables), ", "))
	}

	vrows, err := db.QueryContext(ctx, `SELECT version_id FROM `+gooseTable+` WHERE is_applied ORDER BY version_id`)
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
	if len(st.applied) > 0 {
		if current, latest := slices.Max(st.applied), LatestVersion(); current > latest {
			return fileState{}, fmt.Errorf("%w: %s is at schema version %d, this ctitui knows up to %d; use a newer ctitui",
				ErrSchemaTooNew, path, current, latest)
		}
	}
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
