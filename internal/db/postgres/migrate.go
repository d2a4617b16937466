package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/migrations"
)

// schemaName is the schema that holds ctitui's tables (and goose's).
const schemaName = "ctitui"

// gooseTable is goose's record of the applied migrations, named with its
// schema so that goose finds it whatever the session's search_path.
const gooseTable = schemaName + ".goose_db_version"

// migrationLockKey is the session-level advisory lock (pg_advisory_lock)
// that serialises ctitui's migrations of one database: the bytes of
// "ctitui/m" as a bigint, beside the writers' "ctitui/w" (writerLockKey).
// A DBA looking for a stuck migration finds it in pg_locks as locktype
// advisory, classid 1668573556 and objid 1969827693 (the key's two halves).
//
// ctitui takes it itself rather than through goose's session locker, which
// polls every 5 s: eight processes migrating one new database took 11 s
// that way, 0.3 s with a blocking lock. The server releases it if the
// process dies. A connection pooler in transaction mode (PgBouncer) breaks
// session locks: migrate through a direct connection.
const migrationLockKey int64 = 0x63746974_75692f6d

// migrationLockTimeout is how long migrate waits for another ctitui's
// migration of the same database before it gives up. Migrating a new
// database takes well under a second; a million users' search index, about
// 15 s.
var migrationLockTimeout = 2 * time.Minute

// errMigrationLocked reports that another session held the migration lock
// for longer than migrationLockTimeout.
var errMigrationLocked = errors.New("another ctitui is migrating this database")

// migrationsFS is the embedded PostgreSQL migrations, rooted where goose
// wants them.
func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrations.FS, "postgres")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}

// MigrationVersions lists the versions of the PostgreSQL migrations,
// ascending: the same versions as the SQLite engine's.
func MigrationVersions() []int64 {
	entries, err := fs.ReadDir(migrationsFS(), ".")
	if err != nil {
		panic(err) // an embedded FS cannot fail to list
	}
	var versions []int64
	for _, e := range entries {
		if v, err := goose.NumericComponent(e.Name()); err == nil {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	return versions
}

// LatestVersion is the schema version this build migrates databases to.
func LatestVersion() int64 {
	v := MigrationVersions()
	return v[len(v)-1]
}

// newProvider returns a goose provider of the PostgreSQL migrations over
// sqlDB, with a silent logger: goose's default one prints to the terminal
// and would corrupt the TUI. It takes no lock of its own: migrate holds
// ctitui's.
func newProvider(sqlDB *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, sqlDB, migrationsFS(),
		goose.WithLogger(goose.NopLogger()), goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(gooseTable))
}

// migrate brings the database of pool to LatestVersion. It needs two of the
// pool's connections at once: one holds the migration lock, goose runs on
// another. Every session of pool must have search_path = ctitui, public, as
// Open sets it.
//
// Under the lock it refuses, changing nothing, a database whose schema is
// newer than this binary (db.ErrSchemaTooNew); creates schema ctitui when
// missing, which needs CREATE on the database (else a DBA runs CREATE SCHEMA
// ctitui AUTHORIZATION <ctitui's role>); and applies the pending
// migrations, each in its own transaction. Migration 5 installs pg_trgm,
// which a database owner may do (it is a trusted extension), or a DBA does
// beforehand (00005_users_email_search.sql).
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	if n := pool.Config().MaxConns; n < 2 {
		// Goose would wait for a connection while the lock holds the only
		// one, until ctx ends.
		return fmt.Errorf("migrate database: needs a pool of at least 2 connections, this one has %d", n)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if err := lockMigrations(ctx, conn.Conn()); err != nil {
		conn.Release()
		return err
	}
	defer func() {
		// Not ctx: a cancelled migration must still let go of the lock.
		var unlocked bool
		uerr := conn.QueryRow(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey).Scan(&unlocked)
		if uerr != nil || !unlocked {
			// A session that may still hold the lock must not go back to
			// the pool: closing it is what surely releases the lock.
			c := conn.Hijack()
			c.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the lock goes with the session either way
			if uerr != nil && err == nil {
				err = fmt.Errorf("migrate database: release the migration lock: %w", uerr)
			}
			return
		}
		conn.Release()
	}()
	current, err := databaseVersion(ctx, conn.Conn())
	if err != nil {
		return fmt.Errorf("migrate database: read its schema version: %w", err)
	}
	if latest := LatestVersion(); current > latest {
		return fmt.Errorf("%w: the database is at schema version %d, this ctitui knows up to %d; use a newer ctitui",
			db.ErrSchemaTooNew, current, latest)
	}
	if err := ensureSchema(ctx, conn.Conn()); err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close() //nolint:errcheck // closes nothing but the adapter: the pool stays open
	p, err := newProvider(sqlDB)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil {
			return fmt.Errorf("migrate database: migration %s failed: %w", filepath.Base(partial.Failed.Source.Path), partial.Err)
		}
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// lockMigrations takes the migration lock on conn's session, waiting at most
// migrationLockTimeout. lock_timeout is set for the one transaction that
// takes the lock: the session's own setting is left as it was, while the
// lock, a session lock, outlives the transaction.
func lockMigrations(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	timeout := fmt.Sprintf("%dms", max(migrationLockTimeout.Milliseconds(), 1))
	_, err = tx.Exec(ctx, `SELECT pg_advisory_lock($2) FROM (SELECT set_config('lock_timeout', $1, true)) AS timeout`, timeout, migrationLockKey)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		return fmt.Errorf("migrate database: %w: gave up after waiting %v for its migration lock (advisory lock %d in pg_locks)",
			errMigrationLocked, migrationLockTimeout, migrationLockKey)
	}
	if err != nil {
		return fmt.Errorf("migrate database: take the migration lock: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate database: take the migration lock: %w", err)
	}
	return nil
}

// querier is what databaseVersion reads through: a connection, a pool or a
// transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// databaseVersion is the newest migration goose recorded in the database, 0
// when goose's table does not exist.
func databaseVersion(ctx context.Context, q querier) (int64, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, gooseTable).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int64
	err := q.QueryRow(ctx, `SELECT COALESCE(max(version_id), 0) FROM `+gooseTable).Scan(&v)
	return v, err
}

// ensureSchema creates schema ctitui when it does not exist and checks that
// the session finds ctitui's tables there first. It asks before creating:
// CREATE SCHEMA IF NOT EXISTS checks the privilege to create before it
// looks, and would fail for a role that a DBA gave a schema but not CREATE
// on the database.
func ensureSchema(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schemaName).Scan(&exists); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schemaName); err != nil {
			return fmt.Errorf("migrate database: create schema %s (ctitui's role needs CREATE on the database, or a DBA runs CREATE SCHEMA %s AUTHORIZATION <role>): %w",
				schemaName, schemaName, err)
		}
	}
	// The migrations name tables unqualified: with another search_path
	// they would create them elsewhere, typically in public.
	var current sql.NullString
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if current.String != schemaName {
		return fmt.Errorf("migrate database: the session's first schema is %q, not %s: sessions must set search_path = %s, public",
			current.String, schemaName, schemaName)
	}
	return nil
}
