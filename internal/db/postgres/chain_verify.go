package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// chainSealedKey is the settings row that records that migration 7 sealed
// the rows written before the chain existed.
const chainSealedKey = "audit_chain_sealed_at"

const auditRowsQuery = `SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`

// walked is what walking the audit chain found: the report, the segment
// seal of every row walked and what the walk saw of a watched entry.
type walked struct {
	db.ChainReport
	seal    string
	watched db.WatchedEntry
}

// VerifyAuditChain implements db.Store: it walks the audit log oldest
// first with db.ChainWalk, streaming the rows, and then checks the log's
// end against the head record and the seal record, all in one snapshot
// (a read-only REPEATABLE READ transaction), so that an entry another
// process appends meanwhile cannot pass for a cut.
func (s *Store) VerifyAuditChain(ctx context.Context) (db.ChainReport, error) {
	var rep walked
	err := s.snapshot(ctx, func(tx pgx.Tx) (err error) {
		rep, err = verifyAuditChain(ctx, tx, 0)
		return err
	})
	if err != nil {
		return db.ChainReport{}, fmt.Errorf("verify audit chain: %w", err)
	}
	return rep.ChainReport, nil
}

// CheckAuditAnchor implements db.Store (see db.CheckAnchor).
func (s *Store) CheckAuditAnchor(ctx context.Context, anchor string) error {
	id, want, err := db.ParseAnchor(anchor)
	if err != nil {
		return err
	}
	var rep walked
	err = s.snapshot(ctx, func(tx pgx.Tx) (err error) {
		rep, err = verifyAuditChain(ctx, tx, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit chain: check anchor #%d: %w", id, err)
	}
	return db.CheckAnchor(id, want, rep.watched)
}

// snapshot runs fn in a read-only transaction that sees one snapshot.
func (s *Store) snapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep
	if err := fn(tx); err != nil {
		return err
	}
	return translate(tx.Commit(ctx))
}

// verifyAuditChain walks the chain that q reads; with watch > 0 it also
// notes what it saw of that entry.
func verifyAuditChain(ctx context.Context, q queryer, watch int64) (walked, error) {
	rows, err := q.Query(ctx, auditRowsQuery)
	if err != nil {
		return walked{}, translate(err)
	}
	defer rows.Close()
	walk := db.NewChainWalk(watch)
	var (
		r  db.AuditRow
		at time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.Action, &r.UserID, &r.UserEmail, &r.Details, &r.PrevHash, &r.Hash); err != nil {
			return walked{}, translate(err)
		}
		// The hash covers the time as ctitui writes it: UTC, milliseconds.
		r.At = user.FormatTime(at.UTC())
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

// chainHead is the head record: the newest entry ctitui appended.
type chainHead struct {
	id   int64
	hash string
}

// readChainHead reads the head record; found is false when it, or its
// table, is missing.
func readChainHead(ctx context.Context, q queryer) (head chainHead, found bool, err error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('audit_head') IS NOT NULL`).Scan(&exists); err != nil {
		return head, false, translate(err)
	}
	if !exists {
		return head, false, nil
	}
	err = q.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&head.id, &head.hash)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return head, false, nil
	case errors.As(err, &pe) && pe.Code == "42P01":
		return head, false, nil
	case err != nil:
		return head, false, fmt.Errorf("read audit head: %w", translate(err))
	}
	return head, true, nil
}

// checkChainEnd compares the end of the log with what the database
// recorded of it: the seal record and the head record. These are the
// SQLite engine's checks but the id counter's: a PostgreSQL sequence is no
// witness of removed rows (the ids are ctitui's own, see chain.go), so a
// cut whose head record was rewritten to match is caught only by an anchor
// noted outside the database (CheckAuditAnchor).
func checkChainEnd(ctx context.Context, q queryer, rep walked, anyChained bool) (string, error) {
	var sealed bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = $1)`, chainSealedKey).Scan(&sealed); err != nil {
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
	switch {
	case !found:
		return "the head record of the chain (table audit_head) is missing (removed outside ctitui?)", nil
	case head.id < 0 || rep.HeadID < 0 || max(head.id, rep.HeadID) == math.MaxInt64:
		return fmt.Sprintf("its head record names entry #%d and its newest entry is #%d: ids ctitui never writes, which no entry can follow (set outside ctitui?)", head.id, rep.HeadID), nil
	case rep.Rows == 0 && head.id > 0:
		return fmt.Sprintf("the log is empty but its head record names entry #%d: every entry was removed", head.id), nil
	case rep.HeadID < head.id:
		return fmt.Sprintf("the log ends at entry #%d but its head record names entry #%d: the newest entries were removed", rep.HeadID, head.id), nil
	case rep.HeadID > head.id:
		return fmt.Sprintf("entries after #%d, the newest its head record names, were written outside ctitui", head.id), nil
	case rep.HeadHash != head.hash:
		return fmt.Sprintf("entry #%d is not the one its head record names: it was replaced", head.id), nil
	}
	return "", nil
}
