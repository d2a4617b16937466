package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// auditRow is an audit_log row as stored, the input of its hash. The
// hashing is package db's, so that every engine writes and verifies the
// same chain.
type auditRow = db.AuditRow

// appendAudit adds e at the head of the chain. It must run inside a write
// transaction, so that no other row can slip in between reading the head
// and writing after it.
func appendAudit(ctx context.Context, tx *sql.Tx, e user.AuditEntry) error {
	w := chainWriter{tx: tx, stmts: newStmtCache(tx)}
	if err := w.append(ctx, e); err != nil {
		return err
	}
	return w.flush(ctx)
}

// errNoChainHead reports a sealed log whose head record is gone. Appending
// after whatever entry happens to be last would hide that the newest
// entries were cut off, so ctitui writes no audit entry, and therefore no
// change, until a person has looked.
var errNoChainHead = errors.New("the audit chain's head record (table audit_head) is missing, so the newest entries may have been removed; ctitui makes no change until someone looks: run 'ctitui doctor'")

// errChainCut reports a log whose newest entries were removed along with the
// traces the head record keeps of them.
var errChainCut = errors.New("the newest audit entries were removed; ctitui makes no change until someone looks: run 'ctitui doctor'")

// errChainIDs reports a log whose head record or newest entry has an id
// ctitui never writes and cannot go on from: below 0, where the log would
// run backwards, or the largest SQLite allows, after which the next id
// would wrap to the smallest and list as the oldest entry.
var errChainIDs = errors.New("the audit log's ids were set outside ctitui, and no entry can follow them; ctitui makes no change until someone looks: run 'ctitui doctor'")

// idsCannotGoOn reports whether no entry can follow a log whose head
// record names headID and whose newest entry is newestID (0 when empty).
func idsCannotGoOn(headID, newestID int64) bool {
	return headID < 0 || newestID < 0 || max(headID, newestID) == math.MaxInt64
}

// chainWriter appends audit rows within one write transaction. It reads the
// head of the chain once and then keeps it: nothing else can write while the
// transaction holds the lock. Knowing the next id, it writes each row with
// its hash in a single INSERT, and the head record once, at flush.
type chainWriter struct {
	tx     *sql.Tx
	stmts  *stmtCache
	loaded bool
	head   string
	headID int64
	next   int64
	dirty  bool
}

// load reads where the chain goes on: after the entry the head record
// names, which is the newest row unless someone removed rows since. Chaining
// from the head rather than from the newest row keeps such a cut visible
// for good: the next entry does not follow the row left last.
func (w *chainWriter) load(ctx context.Context) error {
	head, found, err := readChainHead(ctx, w.tx)
	if err != nil {
		return err
	}
	if !found {
		return errNoChainHead
	}
	var maxID int64
	if err := w.tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM audit_log`).Scan(&maxID); err != nil {
		return translate(err)
	}
	if idsCannotGoOn(head.id, maxID) {
		return fmt.Errorf("%w (the head names entry #%d, the newest is #%d)", errChainIDs, head.id, maxID)
	}
	// AUTOINCREMENT never reuses an id, even of a deleted last row: its
	// counter lives in sqlite_sequence.
	seq, err := readSequence(ctx, w.tx, "audit_log")
	if err != nil {
		return err
	}
	switch {
	case seq.Int64 > max(maxID, head.id):
		// Ids were given past the head, yet no row holds them: the newest
		// entries were removed and the head rewritten to match. An entry
		// after them would erase the only trace.
		return fmt.Errorf("%w (ids were given up to #%d but the head names #%d)", errChainCut, seq.Int64, head.id)
	case !seq.Valid && head.id > 0 && maxID >= head.id:
		// The counter goes only with the table, or by hand; with the rows
		// that the head names still there, it was the only trace.
		return fmt.Errorf("%w (the head names entry #%d but the log's id counter is gone)", errChainCut, head.id)
	}
	w.head, w.headID, w.next, w.loaded = head.hash, head.id, max(maxID, head.id)+1, true
	return nil
}

func (w *chainWriter) append(ctx context.Context, e user.AuditEntry) error {
	if !w.loaded {
		if err := w.load(ctx); err != nil {
			return fmt.Errorf("write audit entry: %w", err)
		}
	}
	row := db.EntryRow(w.next, w.head, e)
	h := row.ContentHash(w.head)
	_, err := w.stmts.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.ID, row.At, row.Actor, row.Action, row.UserID, row.UserEmail, row.Details, row.PrevHash, h)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
	w.head, w.headID, w.next, w.dirty = h, row.ID, w.next+1, true
	return nil
}

// flush records the newest entry in the head record, in the transaction
// that appended it.
func (w *chainWriter) flush(ctx context.Context) error {
	if !w.dirty {
		return nil
	}
	res, err := w.tx.ExecContext(ctx, `UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1`, w.headID, w.head)
	if err != nil {
		return fmt.Errorf("write audit head: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("write audit head: %w", errNoChainHead)
	}
	w.dirty = false
	return nil
}

// chainHead is the head record: the newest entry ctitui appended.
type chainHead struct {
	id   int64
	hash string
}

// readChainHead reads the head record; found is false when it, or its
// table, is missing.
func readChainHead(ctx context.Context, q queryer) (head chainHead, found bool, err error) {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audit_head')`).Scan(&exists); err != nil {
		return head, false, translate(err)
	}
	if !exists {
		return head, false, nil
	}
	err = q.QueryRowContext(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&head.id, &head.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return head, false, nil
	}
	if err != nil {
		return head, false, fmt.Errorf("read audit head: %w", translate(err))
	}
	return head, true, nil
}

// chainSealedKey is the settings row that records that the rows written
// before the chain existed were sealed into it, by migration 7.
const chainSealedKey = "audit_chain_sealed_at"

const auditRowsQuery = `SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`

func scanAuditRow(rows *sql.Rows) (auditRow, error) {
	var r auditRow
	err := rows.Scan(&r.ID, &r.At, &r.Actor, &r.Action, &r.UserID, &r.UserEmail, &r.Details, &r.PrevHash, &r.Hash)
	return r, translate(err)
}

// walked is what walking the audit chain found: the report, and what the
// walk keeps for this engine's own use.
type walked struct {
	db.ChainReport
	seal string // the segment seal of every row walked (see db.SegmentSeal)
	// watched is what the walk saw of the entry verifyAuditChain was asked
	// to watch (see CheckAuditAnchor).
	watched db.WatchedEntry
}

// VerifyAuditChain walks the audit log oldest first and reports the first
// row that breaks the chain. It streams the rows: memory does not grow with
// the length of the log.
func (s *Store) VerifyAuditChain(ctx context.Context) (db.ChainReport, error) {
	rep, err := verifyAuditChain(ctx, s.db, 0)
	if err != nil {
		return db.ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
	}
	return rep.ChainReport, nil
}

// verifyAuditChain walks the chain; with watch > 0 it also notes what it
// saw of that entry in rep.watched.
func verifyAuditChain(ctx context.Context, q queryer, watch int64) (walked, error) {
	rows, err := q.QueryContext(ctx, auditRowsQuery)
	if err != nil {
		return walked{}, translate(err)
	}
	defer rows.Close()
	walk := db.NewChainWalk(watch)
	for rows.Next() {
		r, err := scanAuditRow(rows)
		if err != nil {
			return walked{}, err
		}
		walk.Add(r)
	}
	if err := rows.Err(); err != nil {
		return walked{}, translate(err)
	}
	rows.Close()
	rep := walked{ChainReport: walk.Report(), seal: walk.Seal(), watched: walk.Watched()}
	if rep.EndProblem, err = checkChainEnd(ctx, q, rep, walk.AnyChained()); err != nil {
		return walked{}, err
	}
	return rep, nil
}

// checkChainEnd compares the end of the log with what the database
// recorded of it: the seal record, the head record and the id counter.
func checkChainEnd(ctx context.Context, q queryer, rep walked, anyChained bool) (string, error) {
	var sealed bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?)`, chainSealedKey).Scan(&sealed); err != nil {
		return "", translate(err)
	}
	if !sealed {
		// Migration 7 seals the log and records it in one transaction.
		if anyChained {
			return "its entries are chained but the record that the log was sealed is gone (removed outside ctitui?)", nil
		}
		return "the record that the log was sealed is gone, and no entry is sealed: its hashes were removed outside ctitui", nil
	}
	head, found, err := readChainHead(ctx, q)
	if err != nil {
		return "", err
	}
	seq, err := readSequence(ctx, q, "audit_log")
	var bad *badCounterError
	if errors.As(err, &bad) {
		return bad.Error() + "; ctitui writes no entry after it", nil
	}
	if err != nil {
		return "", err
	}
	switch {
	case !found:
		return "the head record of the chain (table audit_head) is missing (removed outside ctitui?)", nil
	case idsCannotGoOn(head.id, rep.HeadID):
		return fmt.Sprintf("its head record names entry #%d and its newest entry is #%d: ids ctitui never writes, which no entry can follow (set outside ctitui?)", head.id, rep.HeadID), nil
	case rep.Rows == 0 && head.id > 0:
		return fmt.Sprintf("the log is empty but its head record names entry #%d: every entry was removed", head.id), nil
	case rep.HeadID < head.id:
		return fmt.Sprintf("the log ends at entry #%d but its head record names entry #%d: the newest entries were removed", rep.HeadID, head.id), nil
	case rep.HeadID > head.id:
		return fmt.Sprintf("entries after #%d, the newest its head record names, were written outside ctitui", head.id), nil
	case rep.HeadHash != head.hash:
		return fmt.Sprintf("entry #%d is not the one its head record names: it was replaced", head.id), nil
	case seq.Int64 > rep.HeadID:
		return fmt.Sprintf("the log ends at entry #%d but ids were given up to #%d: the newest entries were removed, and the head record rewritten", rep.HeadID, seq.Int64), nil
	case !seq.Valid && head.id > 0:
		return fmt.Sprintf("the log's id counter is gone though its head record names entry #%d: the newest entries may have been removed, and the head record rewritten", head.id), nil
	}
	return "", nil
}

// CheckAuditAnchor checks an anchor noted from an earlier verify, "ID:HASH":
// the entry must still exist with that hash, which a rewrite of the chain
// from that entry on would change, and every entry before it must still
// verify up to it, which a changed entry sealed under a later restart would
// not.
func (s *Store) CheckAuditAnchor(ctx context.Context, anchor string) error {
	id, want, err := db.ParseAnchor(anchor)
	if err != nil {
		return err
	}
	rep, err := verifyAuditChain(ctx, s.db, id)
	if err != nil {
		return fmt.Errorf("audit chain: check anchor #%d: %w", id, err)
	}
	return db.CheckAnchor(id, want, rep.watched)
}
