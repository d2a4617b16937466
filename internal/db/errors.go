package db

import "errors"

// Errors that opening a database and the Store return for problems with the
// database itself, whichever the engine. Engines translate their drivers'
// errors into these (and into package user's), so that commands choose an
// exit code or a message with errors.Is, never by an engine's error code.
var (
	ErrSchemaTooNew  = errors.New("database schema is newer than this ctitui")
	ErrNotCtitui     = errors.New("not a ctitui database")
	ErrCannotAdopt   = errors.New("cannot adopt database made before migrations")
	ErrLocked        = errors.New("database is locked by another process")
	ErrReadOnly      = errors.New("database is read-only")
	ErrCorrupt       = errors.New("database file is corrupt")
	ErrDiskFull      = errors.New("disk is full")
	ErrNotAccessible = errors.New("database is not accessible")
)

// ErrNoDatabase reports a database file that does not exist where a
// command that only reads expected one.
var ErrNoDatabase = errors.New("no database")

// ErrSchemaTooOld reports a database whose pending migrations a read-only
// open may not apply.
var ErrSchemaTooOld = errors.New("database schema is older than this ctitui")

// ErrUnknownSchema reports schema that ctitui did not create: triggers,
// views or table rules that would run on its writes.
var ErrUnknownSchema = errors.New("database has triggers, views or table rules that ctitui did not create")

// ErrBadAnchor reports an anchor that is not of the form ID:HASH.
var ErrBadAnchor = errors.New("invalid audit anchor")

// ErrChainWhole reports a restart asked of a chain that is not broken.
var ErrChainWhole = errors.New("the audit chain is whole: there is nothing to restart")

// ErrRestartReason reports a restart reason that is missing or not one
// line of text.
var ErrRestartReason = errors.New("the reason must be one line of text, 1 to 1000 characters (an incident or ticket number, say)")
