package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/ctitui/ctitui/internal/db"
)

// migrationRecord is goose's newest record of one version.
type migrationRecord struct {
	applied bool
	at      time.Time
}

// migrationRecords reads goose's version table: the newest record of each
// version (a version migrated down and up again has several). It is empty
// when the table does not exist.
func migrationRecords(ctx context.Context, q queryer) (map[int64]migrationRecord, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, gooseTable).Scan(&exists); err != nil {
		return nil, translate(err)
	}
	recs := map[int64]migrationRecord{}
	if !exists {
		return recs, nil
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT ON (version_id) version_id, is_applied, tstamp
		FROM `+gooseTable+` ORDER BY version_id, id DESC`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		var r migrationRecord
		// tstamp is a naive timestamp that goose fills with now() in the
		// session's time zone, which ctitui's sessions set to UTC.
		if err := rows.Scan(&v, &r.applied, &r.at); err != nil {
			return nil, translate(err)
		}
		r.at = time.Date(r.at.Year(), r.at.Month(), r.at.Day(), r.at.Hour(), r.at.Minute(), r.at.Second(), r.at.Nanosecond(), time.UTC)
		recs[v] = r
	}
	return recs, translate(rows.Err())
}

// appliedVersions lists the versions goose records as applied, ascending.
func appliedVersions(ctx context.Context, q queryer) ([]int64, error) {
	recs, err := migrationRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	var vs []int64
	for v, r := range recs {
		if r.applied {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs, nil
}

// Migrations reports every migration this binary knows and whether the
// database has it, oldest first, from goose's table in schema ctitui. The
// versions an adoption built by hand (1 and 2) are recorded as applied at
// the adoption.
func (s *Store) Migrations(ctx context.Context) ([]db.MigrationStatus, error) {
	recs, err := migrationRecords(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	entries, err := fs.ReadDir(migrationsFS(), ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []db.MigrationStatus
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			continue
		}
		st := db.MigrationStatus{Version: v, Name: e.Name()} // as the SQLite engine names them
		if r, ok := recs[v]; ok && r.applied {
			st.Applied, st.AppliedAt = true, r.at
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b db.MigrationStatus) int { return int(a.Version - b.Version) })
	return out, nil
}
