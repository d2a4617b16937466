// Package engine opens a ctitui database with the engine its location
// names. It is the one package that imports every engine: the engines import
// package db for the types they share, so db itself cannot choose between
// them without an import cycle, and a plain switch here says in one place
// which locations exist, where registration at init time would hide it.
package engine

import (
	"context"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// Open opens the ctitui database at location for reading and writing,
// creating it when the engine can and migrating it (see db.Store for what
// every engine's open guarantees). A postgres:// or postgresql:// URL is a
// PostgreSQL database; any other location is a SQLite file's path.
func Open(ctx context.Context, location string, opts db.Options) (db.Store, error) {
	if postgres.IsURL(location) {
		s, err := postgres.Open(ctx, location, postgresOptions(opts))
		if err != nil {
			return nil, err // not s: see below
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, location, opts)
	if err != nil {
		// Not s: a nil *sqlite.Store in a db.Store is not a nil db.Store.
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens the ctitui database at location only to read it: it
// creates, migrates and changes nothing (db.ErrNoDatabase when there is
// none, db.ErrSchemaTooOld when it needs migrating).
func OpenReadOnly(ctx context.Context, location string, opts db.Options) (db.Store, error) {
	if postgres.IsURL(location) {
		s, err := postgres.OpenReadOnly(ctx, location, postgresOptions(opts))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.OpenReadOnly(ctx, location, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// postgresOptions are the PostgreSQL engine's options for opts. Now and
// Actor have no use there yet: an adoption's audit entry takes the OS user
// and the clock, as it does when postgres.Open is called directly.
func postgresOptions(opts db.Options) postgres.Options {
	return postgres.Options{DropUnknownObjects: opts.DropUnknownObjects, Notify: opts.Notify}
}
