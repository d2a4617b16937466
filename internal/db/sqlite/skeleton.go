package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// skeletonVersion is the migration that adds users.email_skeleton.
const skeletonVersion = 10

// lookingLikeOrUnrecordedQuery reads, in one statement over the index on
// email_skeleton, the users whose recorded skeleton is the first argument
// and whose normalised email is not the second, and the users without a
// recorded skeleton.
const lookingLikeOrUnrecordedQuery = `SELECT id, email, email_normalized, email_skeleton FROM users
	WHERE (email_skeleton = ? AND email_normalized <> ?) OR email_skeleton IS NULL`

// UserLookingLike implements user.Store. Users whose skeleton is not
// recorded (rows another tool wrote) are compared in Go: this read must not
// write, and a write transaction that adds a user records them first anyway
// (see storeTx.checkLookAlike).
func (s *Store) UserLookingLike(ctx context.Context, skeleton, normalized string) (user.User, error) {
	rows, err := s.stmts.QueryContext(ctx, lookingLikeOrUnrecordedQuery, skeleton, normalized)
	if err != nil {
		return user.User{}, fmt.Errorf("look for look-alikes: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id, email, norm string
		var recorded sql.NullString
		if err := rows.Scan(&id, &email, &norm, &recorded); err != nil {
			return user.User{}, fmt.Errorf("look for look-alikes: %w", translate(err))
		}
		if recorded.Valid || (norm != normalized && user.EmailSkeleton(email) == skeleton) {
			rows.Close()
			return s.UserByID(ctx, id)
		}
	}
	if err := rows.Err(); err != nil {
		return user.User{}, fmt.Errorf("look for look-alikes: %w", translate(err))
	}
	return user.User{}, user.ErrNotFound
}

// checkLookAlike refuses to add email (normalised to normalized, with
// skeleton) when another user's address looks like it. It runs inside the
// write transaction that inserts the user, which holds the write lock from
// its start, so no look-alike can be added between the check and the insert.
// The first check of a transaction records the skeletons that rows written
// by other tools lack, so that the lookup needs only the index.
func (t *storeTx) checkLookAlike(ctx context.Context, email, normalized, skeleton string) error {
	if !t.skeletonsFilled {
		if _, err := fillSkeletons(ctx, t.tx); err != nil {
			return err
		}
		t.skeletonsFilled = true
	}
	// Only the address is needed, and most lookups find nothing: a bare
	// index probe, not the full user with its roles.
	var existing string
	err := t.stmts.QueryRowContext(ctx, `SELECT email FROM users WHERE email_skeleton = ? AND email_normalized <> ? LIMIT 1`, skeleton, normalized).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("look for look-alikes: %w", translate(err))
	}
	return &user.LookAlikeError{Email: email, Existing: existing}
}

// fillSkeletons records the skeleton of every user that has none, and
// returns how many it filled. It reads in rowid order, a batch at a time,
// and writes each batch with one statement.
func fillSkeletons(ctx context.Context, tx *sql.Tx) (int, error) {
	const batch = 500
	filled := 0
	var after int64 = math.MinInt64
	args := make([]any, 0, 2*batch)
	for {
		var err error
		// The batch is read in full, and its rows closed, before the update.
		if args, after, err = nextSkeletons(ctx, tx, after, batch, args[:0]); err != nil {
			return filled, fmt.Errorf("record look-alike skeletons: %w", err)
		}
		n := len(args) / 2
		if n == 0 {
			return filled, nil
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		// Only "?" placeholders are added to the SQL.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_skeleton = v.column2 FROM (VALUES `+values+`) AS v WHERE users.rowid = v.column1`, args...); err != nil { //nolint:gosec // G202: see above
			return filled, fmt.Errorf("record look-alike skeletons: %w", translate(err))
		}
		filled += n
	}
}

// nextSkeletons reads up to batch users without a skeleton, in rowid order
// after the rowid after, and appends the rowid and skeleton of each to args.
// It returns args and the last rowid read.
func nextSkeletons(ctx context.Context, tx *sql.Tx, after int64, batch int, args []any) ([]any, int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, email FROM users WHERE email_skeleton IS NULL AND rowid > ? ORDER BY rowid LIMIT ?`, after, batch)
	if err != nil {
		return args, after, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var rowid int64
		var email string
		if err := rows.Scan(&rowid, &email); err != nil {
			return args, after, translate(err)
		}
		args = append(args, rowid, user.EmailSkeleton(email))
		after = rowid
	}
	return args, after, translate(rows.Err())
}

// fillAllSkeletons is fillSkeletons for a table where no user has one yet:
// the index on email_skeleton is dropped meanwhile and built again after,
// from its own SQL in the schema, which is three times faster at a million
// users than moving each entry of it.
func fillAllSkeletons(ctx context.Context, tx *sql.Tx) error {
	var indexSQL string
	err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'users_email_skeleton_idx'`).Scan(&indexSQL)
	if errors.Is(err, sql.ErrNoRows) {
		_, err := fillSkeletons(ctx, tx) // doctor reports the missing index
		return err
	}
	if err != nil {
		return fmt.Errorf("record look-alike skeletons: %w", translate(err))
	}
	if _, err := tx.ExecContext(ctx, `DROP INDEX users_email_skeleton_idx`); err != nil {
		return fmt.Errorf("record look-alike skeletons: %w", translate(err))
	}
	if _, err := fillSkeletons(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, indexSQL); err != nil {
		return fmt.Errorf("record look-alike skeletons: index them: %w", translate(err))
	}
	return nil
}

// renormalized is a user whose stored normalised email is not what
// user.NormalizeEmail computes today.
type renormalized struct {
	rowid      int64
	id, email  string
	stored     string
	normalized string
}

// staleNormalized lists the users whose email_normalized differs from what
// user.NormalizeEmail makes of their email, reading in rowid order.
func staleNormalized(ctx context.Context, q queryer) ([]renormalized, error) {
	rows, err := q.QueryContext(ctx, `SELECT rowid, id, email, email_normalized FROM users ORDER BY rowid`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []renormalized
	for rows.Next() {
		var r renormalized
		if err := rows.Scan(&r.rowid, &r.id, &r.email, &r.stored); err != nil {
			return nil, translate(err)
		}
		if r.normalized = user.NormalizeEmail(r.email); r.normalized != r.stored {
			out = append(out, r)
		}
	}
	return out, translate(rows.Err())
}

// renormalize writes the normalised email of each of stale, never merging two
// users: a user whose new form another user already holds keeps its old one
// and is returned. Rows are retried while any succeeds, so that two users
// whose forms move past each other both get theirs.
func renormalize(ctx context.Context, tx *sql.Tx, stale []renormalized) (collided []renormalized, err error) {
	pending := stale
	for {
		var next []renormalized
		for _, r := range pending {
			_, err := tx.ExecContext(ctx, `UPDATE users SET email_normalized = ? WHERE rowid = ?`, r.normalized, r.rowid)
			if isUniqueViolation(err) {
				next = append(next, r)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("recompute normalised emails: %w", translate(err))
			}
		}
		if len(next) == len(pending) {
			return next, nil
		}
		pending = next
	}
}

// refreshEmailKeys brings the derived email columns of an existing database
// up to this ctitui once, when Open has just applied the migration that adds
// email_skeleton: it records every user's skeleton and recomputes the
// normalised emails that NormalizeEmail now maps differently (punycode and
// fullwidth domains, the ideographic full stops), so that those users are
// still found by their address. It does both in one transaction and never
// merges two users: one whose new form is another user's keeps its old form,
// and the person is told to resolve it ('ctitui doctor' reports it too).
func (s *Store) refreshEmailKeys(ctx context.Context, opts db.Options) error {
	if !slices.Contains(s.applied, skeletonVersion) {
		return nil
	}
	var collided []renormalized
	var changed int
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		stale, err := staleNormalized(ctx, tx)
		if err != nil {
			return fmt.Errorf("recompute normalised emails: %w", err)
		}
		if collided, err = renormalize(ctx, tx, stale); err != nil {
			return err
		}
		changed = len(stale) - len(collided)
		if err := fillAllSkeletons(ctx, tx); err != nil {
			return err
		}
		if changed == 0 && len(collided) == 0 {
			return nil
		}
		details := fmt.Sprintf("recomputed the normalised email of %s (IDNA: punycode and Unicode domains are one)", plural(changed, "user", "users"))
		if len(collided) > 0 {
			details += fmt.Sprintf("; %s kept their old one, as their new one is another user's", plural(len(collided), "user", "users"))
		}
		return appendAudit(ctx, tx, user.AuditEntry{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionRepair, Details: details})
	})
	if err != nil {
		return fmt.Errorf("update email keys: %w", err)
	}
	for _, r := range collided[:min(len(collided), 5)] {
		opts.Notify(fmt.Sprintf("user %s: %q is now the same address as another user's and keeps its old normalised form; rename or delete one of them ('ctitui doctor' lists them)", shellQuote(r.id), r.email))
	}
	if len(collided) > 5 {
		opts.Notify(fmt.Sprintf("... and %d more such users", len(collided)-5))
	}
	return nil
}
