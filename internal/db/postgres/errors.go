package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Errors the Store returns for problems of the server rather than of the
// data. Callers test them with errors.Is; no caller sees a SQLSTATE. The
// first four are package db's, which the commands match whichever engine
// keeps the database.
var (
	// ErrLocked reports a lock waited on for longer than the lock timeout:
	// another ctitui writing, or another program holding a row.
	ErrLocked = db.ErrLocked
	// ErrReadOnly reports a server or session that refuses writes (a hot
	// standby, default_transaction_read_only).
	ErrReadOnly = db.ErrReadOnly
	// ErrDiskFull reports a server out of disk space.
	ErrDiskFull = db.ErrDiskFull
	// ErrNotAccessible reports a refused login or a missing privilege.
	ErrNotAccessible = db.ErrNotAccessible
	// ErrUnavailable reports a server that cannot be reached or went away.
	ErrUnavailable = errors.New("database server is unavailable")
	// ErrConflict reports a transaction the server aborted to resolve a
	// conflict with another (a deadlock, a serialization failure). ctitui
	// does not retry on its own: run the command again.
	ErrConflict = errors.New("the database aborted the change because of a conflicting one; try again")
)

// translate turns a driver error into one of the sentinels above or of the
// user package, or an error that carries the server's message without its
// code, so that no caller sees a pgconn error. Errors that are not the
// driver's pass through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// pgconn wraps a cancelled wait; the context's error is the story.
		if errors.Is(err, context.DeadlineExceeded) {
			return context.DeadlineExceeded
		}
		return context.Canceled
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return err // callers compare it to say what was not found
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return translateCode(pe)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %s", ErrUnavailable, cleanConnectError(ce))
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isConnectionLoss(err) {
		return fmt.Errorf("%w: %s", ErrUnavailable, err.Error())
	}
	return err
}

// translateCode maps a server error by its SQLSTATE.
func translateCode(pe *pgconn.PgError) error {
	code := pe.Code
	switch {
	case code == "23503":
		// ctitui's writes keep its own keys whole (a user's roles go with
		// the user), so a foreign key that refuses one is another table's.
		return fmt.Errorf("%w: a table ctitui did not create (%s) refers to it; disable the account instead, or remove those records", user.ErrReferenced, pe.TableName)
	case code == "55P03":
		return fmt.Errorf("%w (gave up waiting: %s)", ErrLocked, pe.Message)
	case code == "40P01" || code == "40001":
		return ErrConflict
	case code == "25006":
		return ErrReadOnly
	case code == "53100":
		return ErrDiskFull
	case code == "57014" && strings.Contains(pe.Message, "user request"):
		return context.Canceled // pgx cancels the statement when ctx ends
	case strings.HasPrefix(code, "28") || code == "42501":
		return fmt.Errorf("%w: %s", ErrNotAccessible, pe.Message)
	case strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || strings.HasPrefix(code, "53"):
		return fmt.Errorf("%w: %s", ErrUnavailable, pe.Message)
	}
	msg := "postgres: " + pe.Message
	if pe.Detail != "" {
		msg += " (" + pe.Detail + ")"
	}
	return errors.New(msg)
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY conflict.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isConnectionLoss reports whether err is the connection going away.
func isConnectionLoss(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset")
}

// cleanConnectError is a ConnectError's message on one line: pgconn puts
// each address it tried on a line of its own.
func cleanConnectError(ce *pgconn.ConnectError) string {
	return strings.Join(strings.FieldsFunc(ce.Error(), func(r rune) bool { return r == '\n' || r == '\t' }), "; ")
}

// storable reports whether s can be sent as text: PostgreSQL text holds
// neither NUL nor bytes that are not UTF-8. A value that cannot be stored
// matches no stored value, so a lookup for one finds nothing rather than
// failing.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
