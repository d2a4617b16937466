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
	var prev sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
	row := auditRow{
		at: user.FormatTime(e.At), actor: e.Actor, action: string(e.Action),
		userEmail: e.UserEmail, details: e.Details,
		userID:   sql.NullString{String: e.UserID, Valid: e.UserID != ""},
		prevHash: sql.NullString{String: prev.String, Valid: true},
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO audit_log (at, actor, action, user_id, user_email, details, prev_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		row.at, row.actor, row.action, row.userID, row.userEmail, row.details, row.prevHash).Scan(&row.id)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET hash = ? WHERE id = ?`, row.computeHash(prev.String), row.id); err != nil {
		return fmt.Errorf("write audit entry: %w", translate(err))
	}
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
		rows, err := readAuditRows(ctx, tx)
		if err != nil {
			return err
		}
		prev := ""
		for _, r := range rows {
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

func readAuditRows(ctx context.Context, q queryer) ([]auditRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.id, &r.at, &r.actor, &r.action, &r.userID, &r.userEmail, &r.details, &r.prevHash, &r.hash); err != nil {
			return nil, translate(err)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
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
// row that breaks the chain.
func (s *Store) VerifyAuditChain(ctx context.Context) (ChainReport, error) {
	rows, err := readAuditRows(ctx, s.db)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
	}
	var rep ChainReport
	prev := ""
	for _, r := range rows {
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
	return rep, nil
}

// AuditHash returns the stored hash of the audit entry with id, so that a
// head noted earlier can be checked against the chain as it is now.
func (s *Store) AuditHash(ctx context.Context, id int64) (string, error) {
	var h sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE id = ?`, id).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("audit entry #%d does not exist", id)
	}
	if err != nil {
		return "", fmt.Errorf("read audit entry #%d: %w", id, translate(err))
	}
	return h.String, nil
}
