package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// migrationsFS is the embedded SQLite migrations, rooted where goose wants them.
func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations.FS, "sqlite")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}

// goMigration is a migration written in Go, beside the SQL files: one that
// needs what SQL cannot do.
type goMigration struct {
	version int64
	name    string // as migrate status shows it
	up      func(ctx context.Context, tx *sql.Tx, now string) error
	down    func(ctx context.Context, tx *sql.Tx) error
}

// goMigrations are the migrations written in Go.
var goMigrations = []goMigration{
	{version: 7, name: "00007_audit_chain.go", up: upAuditChain, down: downAuditChain},
}

// upAuditChain makes the audit log a hash chain (see chain.go): it adds
// each row's prev_hash and hash, seals the rows written before, and records
// that it did, all in the migration's transaction. SQLite has no SHA-256 of
// its own, hence Go. Sealing here, once, in the step that makes the
// columns, means that no later open ever hashes a log that lacks them: a log
// stripped of its hashes afterwards is evidence, not a log to seal.
func upAuditChain(ctx context.Context, tx *sql.Tx, now string) error {
	for _, stmt := range []string{
		`ALTER TABLE audit_log ADD COLUMN prev_hash TEXT`,
		`ALTER TABLE audit_log ADD COLUMN hash TEXT`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	// Read all before writing: an update while a query on the same table
	// is open would read the rows it changed again.
	rows, err := readAuditRows(ctx, tx)
	if err != nil {
		return err
	}
	prev := ""
	for _, r := range rows {
		h := r.ContentHash(prev)
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?`, prev, h, r.ID); err != nil {
			return err
		}
		prev = h
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`, chainSealedKey, now, now)
	return err
}

// readAuditRows reads every row of the audit log, in id order.
func readAuditRows(ctx context.Context, tx *sql.Tx) ([]auditRow, error) {
	q, err := tx.QueryContext(ctx, auditRowsQuery)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	var rows []auditRow
	for q.Next() {
		r, err := scanAuditRow(q)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, q.Err()
}

func downAuditChain(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range []string{
		`DELETE FROM settings WHERE key = '` + chainSealedKey + `'`,
		`ALTER TABLE audit_log DROP COLUMN hash`,
		`ALTER TABLE audit_log DROP COLUMN prev_hash`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// MigrationVersions lists the versions of ctitui's migrations, SQL and Go,
// ascending.
func MigrationVersions() []int64 {
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
	for _, m := range goMigrations {
		versions = append(versions, m.version)
	}
	slices.Sort(versions)
	return versions
}

// LatestVersion is the schema version this build migrates databases to.
func LatestVersion() int64 {
	v := MigrationVersions()
	return v[len(v)-1]
}

// LatestVersion implements db.Store: the package's LatestVersion, which a
// command reaches through the Store whichever the engine.
func (s *Store) LatestVersion() int64 { return LatestVersion() }

// newProvider returns a goose provider of ctitui's migrations over db, SQL
// and Go, with a silent logger: goose's default logger prints to the
// terminal and would corrupt the TUI. now stamps what a migration records
// (the audit log's seal).
func newProvider(db *sql.DB, now time.Time) (*goose.Provider, error) {
	stamp := user.FormatTime(now)
	var gos []*goose.Migration
	for _, m := range goMigrations {
		up, down := m.up, m.down
		gos = append(gos, goose.NewGoMigration(m.version,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return up(ctx, tx, stamp) }},
			&goose.GoFunc{RunTx: down}))
	}
	return goose.NewProvider(goose.DialectSQLite3, db, migrationsFS(),
		goose.WithLogger(goose.NopLogger()), goose.WithGoMigrations(gos...), goose.WithDisableGlobalRegistry(true))
}

// NewMigrationProvider returns a goose provider of every migration ctitui
// applies, over db, for tests and tools that step through them one at a
// time. Closing it closes db.
func NewMigrationProvider(db *sql.DB) (*goose.Provider, error) {
	return newProvider(db, time.Now())
}

// migrate applies the pending migrations; now stamps what they record.
func (s *Store) migrate(ctx context.Context, now time.Time) error {
	p, err := newProvider(s.db, now)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	// Not p.Close(): it would close s.db.
	results, err := p.Up(ctx)
	if err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil {
			return fmt.Errorf("migrate database: migration %s failed: %w", migrationName(partial.Failed.Source), translate(partial.Err))
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

// migrationName is the name migrate status shows for a migration: its file,
// or for one written in Go, the name goMigrations gives it.
func migrationName(src *goose.Source) string {
	if src.Path != "" {
		return filepath.Base(src.Path)
	}
	for _, m := range goMigrations {
		if m.version == src.Version {
			return m.name
		}
	}
	return fmt.Sprint(src.Version)
}

// Migrations reports every embedded migration's state in this file, as
// goose's Provider.Status does: applied when goose's table has a row of its
// version (whatever its is_applied), at the time of the newest such row.
// It reads the table itself: building goose's provider, which parses every
// migration, was a tenth of migrate status's time.
func (s *Store) Migrations(ctx context.Context) ([]db.MigrationStatus, error) {
	// g.tstamp, not max(tstamp): a column keeps its declared type,
	// TIMESTAMP, which the driver reads as a time.
	rows, err := s.db.QueryContext(ctx, `SELECT g.version_id, g.tstamp FROM `+gooseTable+` g
		WHERE g.id = (SELECT h.id FROM `+gooseTable+` h WHERE h.version_id = g.version_id ORDER BY h.tstamp DESC LIMIT 1)`)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	defer rows.Close()
	applied := map[int64]time.Time{}
	for rows.Next() {
		var v int64
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("migration status: %w", translate(err))
		}
		applied[v] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	var out []db.MigrationStatus
	for _, v := range MigrationVersions() {
		at, ok := applied[v]
		out = append(out, db.MigrationStatus{Version: v, Name: names[v], Applied: ok, AppliedAt: at})
	}
	return out, nil
}

// migrationNames maps each migration's version to the name migrate status
// shows (migrationName): its file's, or goMigrations'.
func migrationNames() (map[int64]string, error) {
	entries, err := fs.ReadDir(migrationsFS(), ".")
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	names := map[int64]string{}
	for _, e := range entries {
		if v, err := goose.NumericComponent(e.Name()); err == nil {
			names[v] = e.Name()
		}
	}
	for _, m := range goMigrations {
		names[m.version] = m.name
	}
	return names, nil
}
