package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ctitui/ctitui/internal/user"
)

// queryer is what *pgxpool.Pool, *pgxpool.Conn and pgx.Tx have in common:
// the readers below run on the Store or inside a transaction alike.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// rolesOf is the roles of user u from user_roles, the source of truth,
// joined by commas. Only plain role names are read (lower-case letters,
// digits, - and _), as the SQLite engine reads them: a name another tool
// put in the roles table could hold the comma the names are joined with,
// or be a variant an import folds into a role (" ADMIN").
const rolesOf = `COALESCE((SELECT string_agg(r.name, ',') FROM user_roles ur JOIN roles r ON r.id = ur.role_id
	WHERE ur.user_id = u.id AND r.name COLLATE "C" ~ '^[a-z0-9_-]+$'), '')`

// userColumns reads a user u; %s is the password hash column, or an empty string where
// the caller has no use for it, and %s the roles: rolesOf for every read
// that decides anything (a login, a role change, the last-admin rule, an
// export another database imports), u.role_names for listings shown to
// people, which the schema keeps equal to it (migration 11) and which
// costs no join.
const userColumns = `SELECT u.id, u.email, %s, u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
	u.failed_logins, u.locked_until, %s`

var (
	userWithHashColumns    = fmt.Sprintf(userColumns, "u.hashed_password", rolesOf)
	userWithoutHashColumns = fmt.Sprintf(userColumns, "''", rolesOf)
	listWithHashColumns    = fmt.Sprintf(userColumns, "u.hashed_password", "u.role_names")
	listWithoutHashColumns = fmt.Sprintf(userColumns, "''", "u.role_names")

	userByEmailQuery = userWithHashColumns + ` FROM users u WHERE u.email_normalized = $1`
	userByIDQuery    = userWithHashColumns + ` FROM users u WHERE u.id::text = $1`
)

// blankDisabledAt is the time a user is taken as disabled at when its
// disabled_at holds a time that is no instant (infinity, written by
// another program): disabled, as every reader asking "disabled_at IS NOT
// NULL" sees it, as the SQLite engine does for a blank.
var blankDisabledAt = time.Unix(0, 0).UTC()

// userScanner reads rows of userColumns into users. A listing keeps one
// for all its rows: the destinations Scan fills are made once.
type userScanner struct {
	id, email, hash     string
	created, updated    pgtype.Timestamptz
	disabled, lastLogin pgtype.Timestamptz
	failed              int64
	lockedUntil         pgtype.Timestamptz
	roles               string
	dest                []any
}

func newUserScanner() *userScanner {
	s := &userScanner{}
	s.dest = []any{&s.id, &s.email, &s.hash, &s.created, &s.updated, &s.disabled, &s.lastLogin,
		&s.failed, &s.lockedUntil, &s.roles}
	return s
}

// scan reads one row. A time that is no instant (infinity) in a column
// that must hold one is an error naming the user and the column, never a
// zero time.
func (s *userScanner) scan(row pgx.Row) (user.User, error) {
	if err := row.Scan(s.dest...); err != nil {
		return user.User{}, translate(err)
	}
	u := user.User{ID: s.id, Email: s.email, PasswordHash: s.hash, Roles: splitRoles(s.roles)}
	var err error
	if u.CreatedAt, err = readTime(s.created, true); err != nil {
		return user.User{}, fmt.Errorf("user %s: created_at %w", u.ID, err)
	}
	if u.UpdatedAt, err = readTime(s.updated, true); err != nil {
		return user.User{}, fmt.Errorf("user %s: updated_at %w", u.ID, err)
	}
	if u.LastLoginAt, err = readTime(s.lastLogin, false); err != nil {
		return user.User{}, fmt.Errorf("user %s: last_login_at %w", u.ID, err)
	}
	if s.disabled.Valid {
		if u.DisabledAt, err = readTime(s.disabled, false); err != nil {
			u.DisabledAt = blankDisabledAt
		}
	}
	u.FailedLogins, u.LockedUntil = readLockout(s.failed, s.lockedUntil)
	return u, nil
}

// errNotInstant reports infinity in a column that holds instants.
var errNotInstant = errors.New("is not a time (infinity)")

// readTime reads a timestamptz in UTC: NULL is the zero time (an error when
// required), infinity is errNotInstant.
func readTime(t pgtype.Timestamptz, required bool) (time.Time, error) {
	switch {
	case !t.Valid && required:
		return time.Time{}, errors.New("is missing")
	case !t.Valid:
		return time.Time{}, nil
	case t.InfinityModifier != pgtype.Finite:
		return time.Time{}, errNotInstant
	}
	return t.Time.UTC(), nil
}

// readLockout reads failed_logins and locked_until as the SQLite engine
// does, failing closed: a count below zero stays as it is, and a lock time
// that is no instant (infinity) reads as -1, both of which
// user.User.NeedsAdminUnlock takes as locked until an admin unlocks it.
func readLockout(failed int64, lockedUntil pgtype.Timestamptz) (int, time.Time) {
	if int64(int(failed)) != failed {
		return -1, time.Time{}
	}
	until, err := readTime(lockedUntil, false)
	if err != nil {
		return -1, time.Time{}
	}
	return int(failed), until
}

// badLockoutSQL holds for a user u whose lockout values are ones ctitui
// never writes, which readLockout reads as locked until an admin unlocks:
// the SQL twin of readLockout, for the status filters. It is never NULL,
// which NOT would keep NULL and drop the row.
const badLockoutSQL = `(u.failed_logins < 0 OR NOT COALESCE(isfinite(u.locked_until), true))`

// splitRoles reads roles joined by commas, sorted as user.SortRoles sorts
// them.
func splitRoles(joined string) []user.Role {
	if joined == "" {
		return nil
	}
	roles := make([]user.Role, 0, strings.Count(joined, ",")+1)
	for name := range strings.SplitSeq(joined, ",") {
		roles = append(roles, user.Role(name))
	}
	return user.SortRoles(roles)
}

// dbTime is t as ctitui stores it: UTC, truncated to the millisecond (the
// SQLite engine's precision, and what the audit chain hashes), NULL when
// zero.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Millisecond)
}

// userBy reads one user with query, or user.ErrNotFound.
func userBy(ctx context.Context, q queryer, query, arg string) (user.User, error) {
	if !storable(arg) {
		return user.User{}, user.ErrNotFound
	}
	u, err := newUserScanner().scan(q.QueryRow(ctx, query, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return user.User{}, user.ErrNotFound
	}
	return u, err
}

// UserByEmail implements user.Store.
func (s *Store) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	return userBy(ctx, s.pool, userByEmailQuery, normalized)
}

// UserByID implements user.Store.
func (s *Store) UserByID(ctx context.Context, id string) (user.User, error) {
	return userBy(ctx, s.pool, userByIDQuery, id)
}

// UserLookingLike implements user.Store. Users whose skeleton is not
// recorded (rows another program wrote) are compared in Go: this read must
// not write, and a write transaction that adds a user records them first
// anyway (see storeTx.checkLookAlike).
func (s *Store) UserLookingLike(ctx context.Context, skeleton, normalized string) (user.User, error) {
	if !storable(skeleton) || !storable(normalized) {
		return user.User{}, user.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT id, email, email_normalized, email_skeleton FROM users
		WHERE (email_skeleton = $1 AND email_normalized <> $2) OR email_skeleton IS NULL`, skeleton, normalized)
	if err != nil {
		return user.User{}, fmt.Errorf("look for look-alikes: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id, email, norm string
		var recorded pgtype.Text
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

// EachPasswordHash implements user.Store, in the table's physical order:
// no index is read.
func (s *Store) EachPasswordHash(ctx context.Context, fn func(email, hash string) error) error {
	rows, err := s.pool.Query(ctx, `SELECT email, hashed_password FROM users`)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	var email, hash string
	for rows.Next() {
		if err := rows.Scan(&email, &hash); err != nil {
			return translate(err)
		}
		if err := fn(email, hash); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}

// enabledAdminsBesidesQuery counts the enabled admins other than the user
// with id $1 ("" excludes none: ids are never empty), from user_roles.
const enabledAdminsBesidesQuery = `SELECT count(*) FROM users u
	JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
	WHERE r.name = 'admin' AND u.disabled_at IS NULL AND u.id <> $1`

// EnabledAdmins implements user.Store.
func (s *Store) EnabledAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, enabledAdminsBesidesQuery, "").Scan(&n)
	return n, translate(err)
}
