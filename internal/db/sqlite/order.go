package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"
)

// Users' rowids follow the listing's order, (created_at, id), while
// users_order.in_order is 1 (migration 8 explains why). These are the pieces
// that keep it so: the rowid a new user gets, the check searches make before
// relying on it, and the renumbering doctor --fix runs when it was lost.

// rowidStep spaces the rowids of users created in different milliseconds,
// leaving room for users imported later between them. It is small on
// purpose: the search index stores each match's rowid as the difference from
// the previous one, and at 1M users a step of 2^20 made that index 2.7 times
// larger than consecutive rowids did (284 MB against 107 MB).
const rowidStep = 16

// minPreferredMillis and maxPreferredMillis bound the times that have a
// preferred rowid: the years 1 to 9999, what the stored layout can hold. A
// user created outside them still gets a rowid in order, from its neighbours.
const (
	minPreferredMillis = -62135596800000 // 0001-01-01T00:00:00.000Z
	maxPreferredMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
)

// renumberUsersSQL gives every user the rowid that puts the table back in
// order, when users_order.in_order is 0, and sets it to 1: rows get their
// preferred rowid (see rowidFor) where it keeps the order, and stay at least
// 16 apart. Moving a million rows rewrites the table, its indexes and the
// search index (minutes), so it runs only when the order was lost. The
// statements are the block marked "renumber users" in migration 8, read from
// the embedded file so that the migration and doctor --fix cannot drift apart.
func renumberUsersSQL() (string, error) {
	b, err := fs.ReadFile(migrationsFS(), "00008_users_rowid_order.sql")
	if err != nil {
		return "", err
	}
	const begin, end = "-- renumber users: begin\n", "-- renumber users: end\n"
	_, rest, ok1 := strings.Cut(string(b), begin)
	block, _, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		return "", errors.New("migration 8 has no renumber users block")
	}
	return block, nil
}

// usersInOrder reports whether users' rowids follow (created_at, id).
func usersInOrder(ctx context.Context, q queryer) (bool, error) {
	var inOrder bool
	err := q.QueryRowContext(ctx, `SELECT in_order FROM users_order`).Scan(&inOrder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read users_order: %w", translate(err))
	}
	return inOrder, nil
}

// UsersInOrder reports whether users' rowids follow (created_at, id), which
// fast searches rely on; when not, `doctor --fix` renumbers them.
func (s *Store) UsersInOrder(ctx context.Context) (bool, error) {
	return usersInOrder(ctx, s.db)
}

// RenumberUsers puts users' rowids back in created_at order when
// users_order says the order was lost, in one transaction, and reports
// whether the order holds afterwards. It rewrites every user, their indexes
// and the search index: an import calls it when the users it wrote lost the
// order and are at least as many as those already there, so that it costs
// about what the import's own writes did; for a large table, whose
// renumbering takes minutes, the person chooses when (`doctor --fix`).
func (s *Store) RenumberUsers(ctx context.Context) (bool, error) {
	var inOrder bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		inOrder, err = renumberUsers(ctx, tx)
		return err
	})
	return inOrder, err
}

// rowidFor picks the rowid for a new user that keeps the order: the one its
// created_at prefers when that lies between its neighbours' rowids, or one
// between them. It returns nil, for SQLite to pick, when the order is already
// lost or no rowid is free between the neighbours; the order trigger then
// records the loss.
func (t *storeTx) rowidFor(ctx context.Context, createdAt time.Time, created, id string) (any, error) {
	if t.inOrder == nil {
		inOrder, err := usersInOrder(ctx, t.stmts)
		if err != nil {
			return nil, err
		}
		t.inOrder = &inOrder
	}
	if !*t.inOrder {
		return nil, nil
	}
	before, err := neighbourRowid(ctx, t.stmts, `SELECT rowid FROM users WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1`, created, id)
	if err != nil {
		return nil, err
	}
	after, err := neighbourRowid(ctx, t.stmts, `SELECT rowid FROM users WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 1`, created, id)
	if err != nil {
		return nil, err
	}
	if rowid, ok := rowidBetween(before, after, createdAt); ok {
		return rowid, nil
	}
	*t.inOrder = false
	return nil, nil
}

// neighbourRowid runs a query for one rowid; no row is a nil result.
func neighbourRowid(ctx context.Context, q queryer, query, created, id string) (*int64, error) {
	var rowid int64
	err := q.QueryRowContext(ctx, query, created, id).Scan(&rowid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find a rowid in order: %w", translate(err))
	}
	return &rowid, nil
}

// NextRowid is the rowid ctitui gives a user created at createdAt when it
// is added after every other user, last being the largest rowid so far (nil
// when there is none): the one its created_at prefers if that is larger,
// else one above last. Tools that write a ctitui file in bulk, in created_at
// order (cmd/benchdb), give their users these rowids.
func NextRowid(last *int64, createdAt time.Time) (int64, bool) {
	return rowidBetween(last, nil, createdAt)
}

// rowidBetween picks a rowid strictly between before and after (either may
// be missing): the one createdAt prefers if it fits, else one that leaves
// room on both sides. ok is false when no integer lies between them.
func rowidBetween(before, after *int64, createdAt time.Time) (rowid int64, ok bool) {
	if ms := createdAt.UnixMilli(); ms >= minPreferredMillis && ms <= maxPreferredMillis {
		preferred := ms * rowidStep
		if (before == nil || *before < preferred) && (after == nil || preferred < *after) {
			return preferred, true
		}
	}
	switch {
	case before == nil && after == nil:
		return 1, true
	case after == nil:
		if *before <= math.MaxInt64-rowidStep {
			return *before + rowidStep, true
		}
		if *before < math.MaxInt64 {
			return *before + 1, true
		}
		return 0, false
	case before == nil:
		if *after >= math.MinInt64+rowidStep {
			return *after - rowidStep, true
		}
		if *after > math.MinInt64 {
			return *after - 1, true
		}
		return 0, false
	default:
		// As unsigned, the difference is exact even across the whole int64
		// range, and before plus half of it is below after.
		diff := uint64(*after) - uint64(*before)
		if diff < 2 {
			return 0, false
		}
		return *before + int64(diff/2), true
	}
}

// renumberUsers puts users' rowids back in order inside tx (see
// renumberUsersSQL) and reports whether the order holds afterwards.
func renumberUsers(ctx context.Context, tx *sql.Tx) (bool, error) {
	renumber, err := renumberUsersSQL()
	if err != nil {
		return false, fmt.Errorf("renumber users: %w", err)
	}
	if _, err := tx.ExecContext(ctx, renumber); err != nil {
		return false, fmt.Errorf("renumber users: %w", translate(err))
	}
	return usersInOrder(ctx, tx)
}
