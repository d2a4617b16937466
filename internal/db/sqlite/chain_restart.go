package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// errLogMoved reports a log that changed between the evidence copy and the
// restart.
var errLogMoved = errors.New("the audit log changed while the restart was being prepared")

// testHookAfterRestartBackup, when set by a test, runs between the
// evidence copy and the restart's transaction.
var testHookAfterRestartBackup func()

const maxRestartReason = 1000

// validRestartReason reports whether reason can be recorded: one line of
// printable text, trimmed, at most maxRestartReason characters.
func validRestartReason(reason string) bool {
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxRestartReason {
		return false
	}
	return !strings.ContainsFunc(reason, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' })
}

// RestartAuditChain records the break in a broken audit chain and begins
// a new segment after it (see db.SegmentSeal). It first keeps a copy of the
// file as it was found (a .pre-restart-chain-*.bak backup, the evidence),
// then, in one write transaction, walks the chain again, writes the
// restart entry after every id ever given, points the head record at it
// (recreating the head table or the seal record if they were removed), and
// walks the chain once more, committing only if it is whole. A whole
// chain is refused with db.ErrChainWhole; nothing is written then.
func (s *Store) RestartAuditChain(ctx context.Context, opts db.RestartOptions) (db.RestartResult, error) {
	var res db.RestartResult
	reason := strings.TrimSpace(opts.Reason)
	if !validRestartReason(reason) {
		return res, fmt.Errorf("restart audit chain: %w", db.ErrRestartReason)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	found, err := verifyAuditChain(ctx, s.db, 0)
	if err != nil {
		return res, fmt.Errorf("restart audit chain: verify audit chain: %w", err)
	}
	if found.OK() {
		return res, fmt.Errorf("restart audit chain: %w", db.ErrChainWhole)
	}
	if err := s.restartable(ctx, s.db); err != nil {
		return res, fmt.Errorf("restart audit chain: %w", err)
	}
	res.Backup, err = s.safetyBackup(ctx, "pre-restart-chain", opts.Now)
	if err != nil {
		return res, fmt.Errorf("restart audit chain: %w", err)
	}
	if testHookAfterRestartBackup != nil {
		testHookAfterRestartBackup()
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		// Walked again under the write lock: the copy above is what was
		// found, and the restart must seal exactly that.
		rep, err := verifyAuditChain(ctx, tx, 0)
		if err != nil {
			return err
		}
		if rep.seal != found.seal || rep.String() != found.String() {
			return fmt.Errorf("%w; nothing was written, run the restart again (%s is not the log it would seal)", errLogMoved, res.Backup)
		}
		if err := s.restartable(ctx, tx); err != nil {
			return err
		}
		res.Found = rep.ChainReport
		return writeRestart(ctx, tx, rep, user.AuditEntry{At: opts.Now.UTC(), Actor: opts.Actor, Action: user.ActionRestartChain},
			reason, &res)
	})
	if err != nil {
		return res, fmt.Errorf("restart audit chain: %w", err)
	}
	return res, nil
}

// restartable refuses a log whose ids cannot go on: no entry can follow
// it, a restart included.
func (s *Store) restartable(ctx context.Context, q queryer) error {
	head, _, err := readChainHead(ctx, q)
	if err != nil {
		return err
	}
	var maxID, minID int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), COALESCE(min(id), 0) FROM audit_log`).Scan(&maxID, &minID); err != nil {
		return translate(err)
	}
	seq, err := readSequence(ctx, q, "audit_log")
	var bad *badCounterError
	if err != nil && !errors.As(err, &bad) { // the restart sets a bad counter anew
		return err
	}
	// The restart takes the id after every one given, which must not be
	// the largest either: no entry could follow it.
	if newest := max(head.id, maxID, seq.Int64); newest >= math.MaxInt64-1 || head.id < 0 || minID < 0 || seq.Int64 < 0 {
		return fmt.Errorf("%w: ids reach the largest SQLite allows, or run below 0; keep this file as evidence and restore a backup", errChainIDs)
	}
	return nil
}

// writeRestart appends the restart entry after the log rep walked, points
// the head record at it, and checks that the chain is whole.
func writeRestart(ctx context.Context, tx *sql.Tx, rep walked, e user.AuditEntry, reason string, res *db.RestartResult) error {
	head, headFound, err := readChainHead(ctx, tx)
	if err != nil {
		return err
	}
	seq, err := readSequence(ctx, tx, "audit_log")
	var bad *badCounterError
	if err != nil && !errors.As(err, &bad) {
		return err
	}
	headText := "missing"
	if headFound {
		headText = fmt.Sprintf("#%d:%s", head.id, head.hash)
	}
	counterText := "missing"
	switch {
	case bad != nil:
		counterText = fmt.Sprintf("%q, not a number", bad.value)
	case seq.Valid:
		counterText = "#" + strconv.FormatInt(seq.Int64, 10)
	}
	// After every id ever given, so that none is reused and a cut stays
	// visible as a gap before the restart.
	id := max(rep.HeadID, head.id, seq.Int64) + 1
	// The reason is quoted, so that it cannot pass for the fields after it.
	e.Details = fmt.Sprintf("reason: %q; found: %s; head record: %s; id counter: %s; the entries before this one (%d) are sealed as found and a new chain segment starts here",
		reason, rep.String(), headText, counterText, rep.Rows)
	row := db.EntryRow(id, rep.seal, e)
	h := row.ContentHash(rep.seal)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.ID, row.At, row.Actor, row.Action, row.UserID, row.UserEmail, row.Details, row.PrevHash, h); err != nil {
		return fmt.Errorf("write the restart entry: %w", translate(err))
	}
	// SQLite's insert sets the counter to id: every one below it, one
	// that holds no number (read as 0) and a missing one.
	if err := restoreChainRecords(ctx, tx, e.At); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO audit_head (id, last_id, last_hash) VALUES (1, ?, ?)`, id, h); err != nil {
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

// restoreChainRecords puts back what the chain's end is checked against
// when it was removed: the head table (as migration 9 creates it) and the
// record that the log was sealed.
func restoreChainRecords(ctx context.Context, tx *sql.Tx, now time.Time) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audit_head')`).Scan(&exists); err != nil {
		return translate(err)
	}
	if !exists {
		ddl := ""
		for _, o := range latestSchema() {
			if o.Type == "table" && o.Name == "audit_head" {
				ddl = o.SQL
			}
		}
		if ddl == "" {
			return errors.New("the schema has no audit_head table") // embedded and tested
		}
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create audit_head: %w", translate(err))
		}
	}
	at := user.FormatTime(now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		chainSealedKey, at, at); err != nil {
		return fmt.Errorf("write the seal record: %w", translate(err))
	}
	return nil
}
