package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

const maxRestartReason = 1000

// validRestartReason reports whether reason can be recorded: one line of
// printable text, trimmed, at most maxRestartReason characters (the SQLite
// engine's rule).
func validRestartReason(reason string) bool {
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxRestartReason {
		return false
	}
	return !strings.ContainsFunc(reason, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' })
}

// evidenceTables are the tables a restart copies as evidence: every table
// of ctitui's, as the SQLite engine copies the whole file.
var evidenceTables = []string{"users", "roles", "user_roles", "settings", "audit_log", "audit_head"}

// RestartAuditChain implements db.Store as the SQLite engine does, in one
// write transaction (the writer lock, then the audit tables locked against
// other programs' writes): it walks the chain, refuses a whole one
// (db.ErrChainWhole), copies ctitui's tables as found into schema
// ctitui_backup (as adoption keeps its safety copies: RestartResult.Backup
// names them, "ctitui_backup.TABLE_pre_restart_STAMP"), writes the restart
// entry after every id the log and its head record name, points the head
// record at it (recreating the head table or the seal record if they were
// removed), and walks again, committing only if the chain is whole. The
// evidence and the restart commit together, or neither does.
func (s *Store) RestartAuditChain(ctx context.Context, opts db.RestartOptions) (db.RestartResult, error) {
	var res db.RestartResult
	reason := strings.TrimSpace(opts.Reason)
	if !validRestartReason(reason) {
		return res, fmt.Errorf("restart audit chain: %w", db.ErrRestartReason)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	err := s.writeTx(ctx, func(t *storeTx) error {
		// Other programs do not take the writer lock: the log must not move
		// between the copy, the walk and the restart that seals it.
		if _, err := t.tx.Exec(ctx, `LOCK TABLE audit_log IN EXCLUSIVE MODE`); err != nil {
			return translate(err)
		}
		if _, found, err := readChainHead(ctx, t.tx); err != nil {
			return err
		} else if found {
			if _, err := t.tx.Exec(ctx, `LOCK TABLE audit_head IN EXCLUSIVE MODE`); err != nil {
				return translate(err)
			}
		}
		rep, err := verifyAuditChain(ctx, t.tx, 0)
		if err != nil {
			return err
		}
		if rep.OK() {
			return db.ErrChainWhole
		}
		if err := restartable(ctx, t.tx); err != nil {
			return err
		}
		if res.Backup, err = keepEvidence(ctx, t.tx, opts.Now); err != nil {
			return fmt.Errorf("keep the evidence: %w", err)
		}
		res.Found = rep.ChainReport
		return writeRestart(ctx, t.tx, rep, user.AuditEntry{At: opts.Now.UTC().Truncate(time.Millisecond), Actor: opts.Actor, Action: user.ActionRestartChain},
			reason, &res)
	})
	if err != nil {
		return db.RestartResult{}, fmt.Errorf("restart audit chain: %w", err)
	}
	return res, nil
}

// restartable refuses a log whose ids cannot go on: no entry can follow
// it, a restart included.
func restartable(ctx context.Context, tx pgx.Tx) error {
	head, _, err := readChainHead(ctx, tx)
	if err != nil {
		return err
	}
	var maxID, minID int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(id), 0), COALESCE(min(id), 0) FROM audit_log`).Scan(&maxID, &minID); err != nil {
		return translate(err)
	}
	if newest := max(head.id, maxID); newest >= math.MaxInt64-1 || head.id < 0 || minID < 0 {
		return fmt.Errorf("%w: ids reach the largest a bigint holds, or run below 0; keep this database as evidence and restore a backup", errChainIDs)
	}
	return nil
}

// keepEvidence copies ctitui's tables as they are into schema
// ctitui_backup, in the restart's transaction, and says where.
func keepEvidence(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+backupSchema); err != nil {
		return "", translate(err)
	}
	suffix := "_pre_restart_" + strings.ToLower(now.UTC().Format("20060102t150405.000z"))
	suffix = strings.ReplaceAll(suffix, ".", "")
	var kept []string
	for _, table := range evidenceTables {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
			return "", translate(err)
		}
		if !exists {
			continue // a removed head table: the restart entry records it
		}
		name := pgx.Identifier{backupSchema, table + suffix}
		if _, err := tx.Exec(ctx, `CREATE TABLE `+name.Sanitize()+` AS TABLE `+pgx.Identifier{table}.Sanitize()); err != nil {
			return "", translate(err)
		}
		kept = append(kept, backupSchema+"."+table+suffix)
	}
	return "tables " + strings.Join(kept, ", ") + " in the database", nil
}

// writeRestart appends the restart entry after the log rep walked, points
// the head record at it, and checks that the chain is whole.
func writeRestart(ctx context.Context, tx pgx.Tx, rep walked, e user.AuditEntry, reason string, res *db.RestartResult) error {
	head, headFound, err := readChainHead(ctx, tx)
	if err != nil {
		return err
	}
	headText := "missing"
	if headFound {
		headText = fmt.Sprintf("#%d:%s", head.id, head.hash)
	}
	// After every id the log and its head name, so that none is reused and
	// a cut stays visible as a gap before the restart.
	id := max(rep.HeadID, head.id) + 1
	// The reason is quoted, so that it cannot pass for the fields after it.
	e.Details = fmt.Sprintf("reason: %q; found: %s; head record: %s; the entries before this one (%d) are sealed as found and a new chain segment starts here",
		reason, rep.String(), headText, rep.Rows)
	row := db.EntryRow(id, rep.seal, e)
	h := row.ContentHash(rep.seal)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		row.ID, e.At, row.Actor, row.Action, row.UserID, row.UserEmail, row.Details, row.PrevHash, h); err != nil {
		return fmt.Errorf("write the restart entry: %w", translate(err))
	}
	// What the chain's end is checked against, put back if removed: the
	// head table as migration 9 creates it, and the seal record.
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS audit_head (
		id        integer PRIMARY KEY CHECK (id = 1),
		last_id   bigint NOT NULL,
		last_hash text NOT NULL
	)`); err != nil {
		return fmt.Errorf("create audit_head: %w", translate(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		chainSealedKey, user.FormatTime(e.At), e.At); err != nil {
		return fmt.Errorf("write the seal record: %w", translate(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash`, id, h); err != nil {
		return fmt.Errorf("write audit head: %w", translate(err))
	}
	after, err := verifyAuditChain(ctx, tx, 0)
	if err != nil {
		return err
	}
	if !after.OK() {
		return fmt.Errorf("the chain is still broken after the restart, nothing was written: %s", after)
	}
	res.ID, res.Hash = id, h
	return nil
}
