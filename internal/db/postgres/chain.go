package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// The audit log is the SQLite engine's hash chain (see internal/db's
// chain.go): every row stores prev_hash, the hash of the row before it,
// and hash, db.AuditEntryHash of the row, computed in Go from the values
// as stored (times in UTC to the millisecond), so that the same verifier
// checks the log of either engine. audit_head records the newest entry,
// so that removing the newest entries shows.
//
// Only one transaction appends at a time: every write transaction takes
// the writer lock first (see writerLockKey), which is what keeps the chain
// from forking. Locking the newest row instead does not: a waiter re-reads
// the old head, which still qualifies (measured: 373 forks in 1,600
// appends).

// errNoChainHead reports a log whose head record is gone. Appending after
// whatever entry happens to be last would hide that the newest entries were
// cut off, so ctitui writes no audit entry, and therefore no change, until a
// person has looked.
var errNoChainHead = errors.New("the audit chain's head record (table audit_head) is missing, so the newest entries may have been removed; ctitui makes no change until someone looks: run 'ctitui doctor'")

// errChainIDs reports a log whose head record or newest entry has an id
// ctitui never writes and cannot go on from: below 0, where the log would
// run backwards, or the largest a bigint holds.
var errChainIDs = errors.New("the audit log's ids were set outside ctitui, and no entry can follow them; ctitui makes no change until someone looks: run 'ctitui doctor'")

// chainWriter appends audit rows within one write transaction. It reads the
// head of the chain once and then keeps it: no other ctitui writes while the
// transaction holds the writer lock. It writes each row with its id and
// hash in one INSERT, and the head record once, at flush.
type chainWriter struct {
	tx     pgx.Tx
	loaded bool
	head   string
	headID int64
	next   int64
	dirty  bool
}

// load reads where the chain goes on: after the entry the head record
// names, which is the newest row unless someone removed rows since.
// Chaining from the head rather than from the newest row keeps such a cut
// visible for good. (The SQLite engine also compares the head with the id
// counter of AUTOINCREMENT, which remembers ids given to rows since
// removed; a PostgreSQL sequence is no such witness: it moves on at every
// rolled-back insert too, and the ids here are ctitui's own.)
func (w *chainWriter) load(ctx context.Context) error {
	var maxID int64
	err := w.tx.QueryRow(ctx, `SELECT h.last_id, h.last_hash, (SELECT COALESCE(max(id), 0) FROM audit_log)
		FROM audit_head h WHERE h.id = 1`).Scan(&w.headID, &w.head, &maxID)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pe) && pe.Code == "42P01": // no row, or no table
		return errNoChainHead
	case err != nil:
		return translate(err)
	}
	if w.headID < 0 || maxID < 0 || max(w.headID, maxID) == math.MaxInt64 {
		return fmt.Errorf("%w (the head names entry #%d, the newest is #%d)", errChainIDs, w.headID, maxID)
	}
	w.next, w.loaded = max(maxID, w.headID)+1, true
	return nil
}

// append adds e at the head of the chain.
func (w *chainWriter) append(ctx context.Context, e user.AuditEntry) error {
	if !w.loaded {
		if err := w.load(ctx); err != nil {
			return fmt.Errorf("write audit entry: %w", err)
		}
	}
	// The hash covers the time as stored: to the millisecond, in UTC.
	e.At = e.At.UTC().Truncate(1e6)
	var userID any
	if e.UserID != "" {
		userID = e.UserID
	}
	h := db.AuditEntryHash(w.head, w.next, e)
	_, err := w.tx.Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		w.next, e.At, e.Actor, string(e.Action), userID, e.UserEmail, e.Details, w.head, h)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
	w.head, w.headID, w.next, w.dirty = h, w.next, w.next+1, true
	return nil
}

// flush records the newest entry in the head record, in the transaction
// that appended it.
func (w *chainWriter) flush(ctx context.Context) error {
	if !w.dirty {
		return nil
	}
	tag, err := w.tx.Exec(ctx, `UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1`, w.headID, w.head)
	if err != nil {
		return fmt.Errorf("write audit head: %w", translate(err))
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("write audit head: %w", errNoChainHead)
	}
	w.dirty = false
	return nil
}
