package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Store is an open ctitui database, made by Open or OpenReadOnly (open.go,
// with Close and what Open reports). It implements user.Store: its reads of
// one user are in this file, its listings in list.go, its write
// transactions in tx.go and the lockout policy in settings.go.
type Store struct {
	db       *sql.DB
	path     string
	version  int64
	applied  []int64
	readOnly bool
	dropped  []string // foreign triggers and views Open removed
	tidy     func()   // run after Close (see OpenReadOnly)

	stmts     *stmtCache // the hot lookups, prepared once
	writeMu   sync.Mutex // see writeTx
	watchMu   sync.Mutex
	watchConn *sql.Conn // see DataVersion
}

var (
	_ user.Store = (*Store)(nil)
	_ db.Store   = (*Store)(nil)
)

// queryer is what *sql.DB, *sql.Tx and stmtCache have in common: the
// readers below run on the Store or inside a transaction alike.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// userSelectColumns reads a user u with its roles; %s is the password hash column,
// or an empty string where the caller has no use for it. The roles come from
// user_roles, the source of truth, through a correlated subquery so that a
// listing stays one streaming statement: every read that decides anything
// (a login, a role change, the last-admin rule, an export another database
// imports) reads them so. Listings shown to people read users.role_names
// instead (listColumns), which the schema keeps equal to this. Only plain
// role names are read (lower-case letters, digits, - and _): a name another
// tool put in the roles table (a NUL ends text for SQLite's GLOB, hence
// the length test) could hold the comma the names are joined
// with ("viewer,admin" would split into admin), or be a case or space
// variant that an import folds into a role (" ADMIN"). Links to other names
// grant nothing in ctitui, and doctor names them (unknownRoles).
const userSelectColumns = `SELECT u.id, u.email, %s, u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
	u.failed_logins, u.locked_until,
	COALESCE((SELECT group_concat(r.name, ',') FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name)), '')`

// listColumns is userSelectColumns with the roles read from users.role_names
// (migration 11), what a listing for people shows: at 200,000 users the
// correlated subquery was more than half of a full listing's time.
const listColumns = `SELECT u.id, u.email, %s, u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
	u.failed_logins, u.locked_until, u.role_names`

// blankDisabledAt is the time a user whose disabled_at holds no time was
// disabled at, as far as ctitui can tell: the start of Unix time, which no
// real disabling has, and doctor reports the value ctitui could not read.
var blankDisabledAt = time.Unix(0, 0).UTC()

var (
	userWithHashColumns    = fmt.Sprintf(userSelectColumns, "u.hashed_password")
	userWithoutHashColumns = fmt.Sprintf(userSelectColumns, "''")
	userWithHash           = userWithHashColumns + " FROM users u"
	listWithHashColumns    = fmt.Sprintf(listColumns, "u.hashed_password")
	listWithoutHashColumns = fmt.Sprintf(listColumns, "''")
)

// userScanner reads rows of userSelectColumns or listColumns into users. A
// listing keeps one for all its rows: the destinations Scan fills are made
// once, not for every row.
type userScanner struct {
	id, email, hash     string
	created, updated    string
	disabled, lastLogin sql.NullString
	failed, lockedUntil any
	roles               string
	dest                []any
}

func newUserScanner() *userScanner {
	s := &userScanner{}
	s.dest = []any{&s.id, &s.email, &s.hash, &s.created, &s.updated, &s.disabled, &s.lastLogin,
		&s.failed, &s.lockedUntil, &s.roles}
	return s
}

// scanUser reads a row of userSelectColumns. A time it cannot parse is an
// error naming the user and the column, never a zero time.
func scanUser(row scanner) (user.User, error) {
	return newUserScanner().scan(row)
}

// scan reads one row (see scanUser).
func (s *userScanner) scan(row scanner) (user.User, error) {
	s.disabled, s.lastLogin, s.failed, s.lockedUntil = sql.NullString{}, sql.NullString{}, nil, nil
	if err := row.Scan(s.dest...); err != nil {
		return user.User{}, translate(err)
	}
	u := user.User{ID: s.id, Email: s.email, PasswordHash: s.hash}
	u.FailedLogins, u.LockedUntil = readLockout(s.failed, s.lockedUntil)
	var err error
	if u.CreatedAt, err = parseNullTime(&s.created); err != nil {
		return user.User{}, fmt.Errorf("user %s: created_at %w", u.ID, err)
	}
	if u.UpdatedAt, err = parseNullTime(&s.updated); err != nil {
		return user.User{}, fmt.Errorf("user %s: updated_at %w", u.ID, err)
	}
	if u.DisabledAt, err = parseNullString(s.disabled); err != nil {
		return user.User{}, fmt.Errorf("user %s: disabled_at %w", u.ID, err)
	}
	if u.LastLoginAt, err = parseNullString(s.lastLogin); err != nil {
		return user.User{}, fmt.Errorf("user %s: last_login_at %w", u.ID, err)
	}
	if s.disabled.Valid && u.DisabledAt.IsZero() {
		// Not NULL, yet no time (a blank, as the sqlite3 shell's CSV import
		// leaves an empty cell): disabled, as every reader asking "disabled_at
		// IS NOT NULL" (the status filters, the platform itself) sees it.
		u.DisabledAt = blankDisabledAt
	}
	u.Roles = splitRoles(s.roles)
	return u, nil
}

// splitRoles reads roles joined by commas, sorted as user.SortRoles sorts
// them (which role_names and the group_concat of user_roles need not be).
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

// parseNullString reads a timestamp that may be NULL or blank.
func parseNullString(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseNullTime(&s.String)
}

var (
	userByEmailQuery = userWithHash + ` WHERE u.email_normalized = ?`
	userByIDQuery    = userWithHash + ` WHERE u.id = ?`
)

// userByEmail reads the user whose normalised email is normalized, or
// user.ErrNotFound.
func userByEmail(ctx context.Context, q queryer, normalized string) (user.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, userByEmailQuery, normalized))
	if errors.Is(err, sql.ErrNoRows) {
		return user.User{}, user.ErrNotFound
	}
	return u, err
}

// UserByEmail implements user.Store.
func (s *Store) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	return userByEmail(ctx, s.stmts, normalized)
}

// UserByID implements user.Store.
func (s *Store) UserByID(ctx context.Context, id string) (user.User, error) {
	return userByID(ctx, s.stmts, id)
}

// userByID reads the user with id, or user.ErrNotFound.
func userByID(ctx context.Context, q queryer, id string) (user.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, userByIDQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return user.User{}, user.ErrNotFound
	}
	return u, err
}

// EachPasswordHash implements user.Store. It reads the table in rowid
// order: in email order SQLite walks that index and fetches every row from
// it, 0.63 s against 0.13 s at 200,000 users.
func (s *Store) EachPasswordHash(ctx context.Context, fn func(email, hash string) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT email, hashed_password FROM users ORDER BY rowid`)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var email, hash string
		if err := rows.Scan(&email, &hash); err != nil {
			return translate(err)
		}
		if err := fn(email, hash); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}

// DataVersion returns a number that changes whenever another connection, in
// this process or another, commits to the file (SQLite's PRAGMA
// data_version). The terminal UI polls it to notice changes made elsewhere.
// It needs one connection of its own: the value is only comparable between
// calls on the same connection.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchConn == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("watch database: %w", translate(err))
		}
		s.watchConn = conn
	}
	var v int64
	if err := s.watchConn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("watch database: %w", translate(err))
	}
	return v, nil
}
