package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/ctitui/ctitui/internal/user"
)

// The audit log is a hash chain: every row stores prev_hash, the hash of the
// row before it ("" for the first), and hash, the SHA-256 of chainVersion,
// prev_hash and the row's stored columns, each written as its length, a
// colon, its bytes and a newline (NULL as length -1), so that no two rows
// encode alike. Changing a row changes its hash; deleting or inserting one
// breaks the next row's prev_hash. Anyone who can write the file can also
// recompute the chain, so it proves that no tool edited the log unnoticed,
// not that nobody did: note the head hash `ctitui audit verify` prints to
// anchor it outside the file.
const chainVersion = "ctitui-audit-chain-v1"

// auditRow is an audit_log row as stored, the input of its hash.
type auditRow struct {
	id                                    int64
	at, actor, action, userEmail, details string
	userID                                sql.NullString
	prevHash, hash                        sql.NullString
}

func (r auditRow) computeHash(prev string) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field(chainVersion)
	field(prev)
	field(strconv.FormatInt(r.id, 10))
	field(r.at)
	field(r.actor)
	field(r.action)
	nullField(h, r.userID)
	field(r.userEmail)
	field(r.details)
	return hex.EncodeToString(h.Sum(nil))
}

func nullField(h hash.Hash, s sql.NullString) {
	if !s.Valid {
		fmt.Fprint(h, "-1:\n")
		return
	}
	fmt.Fprintf(h, "%d:%s\n", len(s.String), s.String)
}

// appendAudit adds e at the head of the chain. It must run inside a write
// transaction, so that no other row can slip in between reading the head
// and writing after it.
func appendAudit(ctx context.Context, tx *sql.Tx, e user.AuditEntry) error {
	w := chainWriter{tx: tx, stmts: newStmtCache(tx)}
	return w.append(ctx, e)
}

// chainWriter appends audit rows within one write transaction. It reads the
// head of the chain once and then keeps it: nothing else can write while the
// transaction holds the lock. Knowing the next id, it writes each row with
// its hash in a single INSERT.
type chainWriter struct {
	tx     *sql.Tx
	stmts  *stmtCache
	loaded bool
	head   string
	next   int64
}

func (w *chainWriter) load(ctx context.Context) error {
	var head sql.NullString
	var maxID int64
	err := w.tx.QueryRowContext(ctx, `SELECT hash, id FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&head, &maxID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return translate(err)
	}
	// AUTOINCREMENT never reuses an id, even of a deleted last row: its
	// counter lives in sqlite_sequence.
	var seq int64
	err = w.tx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'`).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return translate(err)
	}
	w.head, w.next, w.loaded = head.String, max(maxID, seq)+1, true
	return nil
}

func (w *chainWriter) append(ctx context.Context, e user.AuditEntry) error {
	if !w.loaded {
		if err := w.load(ctx); err != nil {
			return fmt.Errorf("write audit entry: %w", err)
		}
	}
	row := auditRow{
		id: w.next, at: user.FormatTime(e.At), actor: e.Actor, action: string(e.Action),
		userEmail: e.UserEmail, details: e.Details,
		userID:   sql.NullString{String: e.UserID, Valid: e.UserID != ""},
		prevHash: sql.NullString{String: w.head, Valid: true},
	}
	h := row.computeHash(w.head)
	_, err := w.stmts.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.id, row.at, row.actor, row.action, row.userID, row.userEmail, row.details, row.prevHash, h)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
	w.head, w.next = h, w.next+1
	return nil
}

// chainSealedKey is the settings row that records that the rows written
// before the chain existed have been sealed into it.
const chainSealedKey = "audit_chain_sealed_at"

// sealAuditLog chains the rows written before migration 7, once: afterwards
// an unsealed row is evidence of a write from outside ctitui, and is
// reported, never sealed.
func (s *Store) sealAuditLog(ctx context.Context, now string) error {
	// Look before taking the write lock: after the first time, this is one
	// read at every open.
	// A file missing a table the migrations created still opens, so that
	// doctor can report the drift.
	var tables int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('settings', 'audit_log')`).Scan(&tables); err != nil {
		return translate(err)
	}
	if tables < 2 {
		return nil
	}
	var sealed bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?)`, chainSealedKey).Scan(&sealed); err != nil {
		return translate(err)
	}
	if sealed {
		return nil
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var sealed int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = ?`, chainSealedKey).Scan(&sealed); err != nil {
			return translate(err)
		}
		if sealed > 0 {
			return nil
		}
		// Read all before writing: the rows predate the chain, and an
		// update while a query on the same table is open would re-read them.
		var pending []auditRow
		rows, err := tx.QueryContext(ctx, auditRowsQuery)
		if err != nil {
			return translate(err)
		}
		for rows.Next() {
			r, err := scanAuditRow(rows)
			if err != nil {
				rows.Close()
				return err
			}
			pending = append(pending, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return translate(err)
		}
		prev := ""
		for _, r := range pending {
			h := r.computeHash(prev)
			if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?`, prev, h, r.id); err != nil {
				return translate(err)
			}
			prev = h
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`, chainSealedKey, now, now)
		return translate(err)
	})
}

const auditRowsQuery = `SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`

func scanAuditRow(rows *sql.Rows) (auditRow, error) {
	var r auditRow
	err := rows.Scan(&r.id, &r.at, &r.actor, &r.action, &r.userID, &r.userEmail, &r.details, &r.prevHash, &r.hash)
	return r, translate(err)
}

// ChainReport is the result of walking the audit chain.
type ChainReport struct {
	Rows     int    // rows checked
	HeadID   int64  // id of the newest row
	HeadHash string // its hash: note it down to anchor the chain
	// BrokenAt is the id of the first row that was changed, deleted
	// around, inserted or never sealed; 0 when the chain is whole.
	BrokenAt int64
	Problem  string // what is wrong at BrokenAt
	Broken   int    // how many rows fail a check
}

// OK reports whether the chain is whole.
func (r ChainReport) OK() bool { return r.BrokenAt == 0 }

func (r ChainReport) String() string {
	if r.OK() {
		if r.Rows == 0 {
			return "audit chain: empty"
		}
		return fmt.Sprintf("audit chain: ok, %d entries, head %d:%s", r.Rows, r.HeadID, r.HeadHash)
	}
	return fmt.Sprintf("audit chain: broken at entry #%d: %s (%d of %d entries fail)", r.BrokenAt, r.Problem, r.Broken, r.Rows)
}

// VerifyAuditChain walks the audit log oldest first and reports the first
// row that breaks the chain. It streams the rows: memory does not grow with
// the length of the log.
func (s *Store) VerifyAuditChain(ctx context.Context) (ChainReport, error) {
	rows, err := s.db.QueryContext(ctx, auditRowsQuery)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify audit chain: %w", translate(err))
	}
	defer rows.Close()
	var rep ChainReport
	prev := ""
	for rows.Next() {
		r, err := scanAuditRow(rows)
		if err != nil {
			return ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
		}
		rep.Rows++
		rep.HeadID, rep.HeadHash = r.id, r.hash.String
		var problem string
		switch {
		case !r.hash.Valid || !r.prevHash.Valid:
			problem = "it is not sealed into the chain (written outside ctitui?)"
		case r.prevHash.String != prev:
			problem = "it does not follow the entry before it (an entry was deleted or inserted here)"
		case r.computeHash(prev) != r.hash.String:
			problem = "its content was changed after it was written"
		}
		if problem != "" {
			rep.Broken++
			if rep.BrokenAt == 0 {
				rep.BrokenAt, rep.Problem = r.id, problem
			}
		}
		// Walk on from what this row claims, so one bad row is reported
		// once rather than breaking every row after it.
		prev = r.hash.String
	}
	if err := rows.Err(); err != nil {
		return ChainReport{}, fmt.Errorf("verify audit chain: %w", translate(err))
	}
	return rep, nil
}

// CheckAuditAnchor checks an anchor noted from an earlier verify, "ID:HASH":
// the entry must still exist with that hash, which a rewrite of the chain
// from that entry on would change.
func (s *Store) CheckAuditAnchor(ctx context.Context, anchor string) error {
	idText, want, found := strings.Cut(anchor, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !found || err != nil || want == "" {
		return fmt.Errorf("%w: %q, want ID:HASH as 'ctitui audit verify' prints it", ErrBadAnchor, anchor)
	}
	var got sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE id = ?`, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit chain: anchored entry #%d no longer exists: the log was rewritten", id)
	}
	if err != nil {
		return fmt.Errorf("audit chain: read entry #%d: %w", id, translate(err))
	}
	if got.String != want {
		return fmt.Errorf("audit chain: entry #%d no longer has the anchored hash: the log was rewritten", id)
	}
	return nil
}

// ErrBadAnchor reports an anchor that is not of the form ID:HASH.
var ErrBadAnchor = errors.New("invalid audit anchor")
