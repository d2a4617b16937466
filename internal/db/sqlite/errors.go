package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotDatabase reports a file that is not a SQLite database. The other
// errors that Open and the Store return for problems with the file itself
// are package db's, shared by every engine (db.ErrLocked, ...).
var ErrNotDatabase = errors.New("not a SQLite database")

// translate turns a driver error into one of the sentinels above or of the
// user package, so that no caller sees a SQLite result code. Errors it does
// not recognise pass through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	code := se.Code()
	// An ON DELETE RESTRICT runs as a trigger, and fails with that code.
	if code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY || code == sqlite3.SQLITE_CONSTRAINT_TRIGGER && strings.Contains(se.Error(), "FOREIGN KEY constraint failed") {
		// ctitui's writes keep its own keys whole (a user's roles go with
		// the user), so a foreign key that refuses one is another table's.
		return fmt.Errorf("%w: a table ctitui did not create refers to it ('ctitui doctor' names the table); disable the account instead, or remove those records", user.ErrReferenced)
	}
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w (gave up after waiting %v)", db.ErrLocked, busyTimeout)
	case sqlite3.SQLITE_READONLY:
		return db.ErrReadOnly
	case sqlite3.SQLITE_NOTADB:
		return ErrNotDatabase
	case sqlite3.SQLITE_CORRUPT:
		return db.ErrCorrupt
	case sqlite3.SQLITE_FULL:
		return db.ErrDiskFull
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return fmt.Errorf("%w: %s", db.ErrNotAccessible, cleanMessage(se))
	case sqlite3.SQLITE_INTERRUPT:
		return context.Canceled
	}
	return fmt.Errorf("sqlite: %s", cleanMessage(se))
}

// cleanMessage returns the driver's message without its numeric code suffix,
// e.g. "UNIQUE constraint failed: users.email_normalized".
func cleanMessage(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY conflict.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isHotJournal reports whether err is a read-only connection's refusal to
// roll back a journal left by an interrupted write.
func isHotJournal(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_READONLY_ROLLBACK
}

// isCorruptIndex reports whether err is FTS5's answer to an integrity-check
// that found the index and its table disagree.
func isCorruptIndex(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CORRUPT_VTAB
}
