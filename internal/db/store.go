package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/user"
)

var _ user.Store = (*Store)(nil)

// userSelectColumns reads a user u with its roles; %s is the password hash column,
// or an empty string where the caller has no use for it. The roles come from
// a correlated subquery so that a listing stays one streaming statement.
const userSelectColumns = `SELECT u.id, u.email, %s, u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
	u.failed_logins, u.locked_until,
	COALESCE((SELECT group_concat(r.name, ',') FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), '')`

var (
	userWithHashColumns    = fmt.Sprintf(userSelectColumns, "u.hashed_password")
	userWithoutHashColumns = fmt.Sprintf(userSelectColumns, "''")
	userWithHash           = userWithHashColumns + " FROM users u"
)

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (user.User, error) {
	var (
		u                   user.User
		created, updated    string
		disabled, lastLogin *string
		failed, lockedUntil any
		roles               string
	)
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &created, &updated, &disabled, &lastLogin,
		&failed, &lockedUntil, &roles); err != nil {
		return user.User{}, translate(err)
	}
	u.FailedLogins, u.LockedUntil = readLockout(failed, lockedUntil)
	for _, f := range []struct {
		name string
		raw  *string
		dst  *time.Time
	}{{"created_at", &created, &u.CreatedAt}, {"updated_at", &updated, &u.UpdatedAt}, {"disabled_at", disabled, &u.DisabledAt}, {"last_login_at", lastLogin, &u.LastLoginAt}} {
		t, err := parseNullTime(f.raw)
		if err != nil {
			return user.User{}, fmt.Errorf("user %s: %s %w", u.ID, f.name, err)
		}
		*f.dst = t
	}
	if roles != "" {
		for name := range strings.SplitSeq(roles, ",") {
			u.Roles = append(u.Roles, user.Role(name))
		}
		user.SortRoles(u.Roles)
	}
	return u, nil
}

var (
	userByEmailQuery = userWithHash + ` WHERE u.email_normalized = ?`
	userByIDQuery    = userWithHash + ` WHERE u.id = ?`
)

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

func userByID(ctx context.Context, q queryer, id string) (user.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, userByIDQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return user.User{}, user.ErrNotFound
	}
	return u, err
}

func (t *storeTx) UserByID(ctx context.Context, id string) (user.User, error) {
	return userByID(ctx, t.stmts, id)
}

// sortColumn is the column a listing is ordered by.
func sortColumn(k user.SortKey) string {
	switch k {
	case user.ByUpdated:
		return "u.updated_at"
	case user.ByEmail:
		return "u.email_normalized"
	default:
		return "u.created_at"
	}
}

// searchIndexLimit decides how a search runs when users are not in rowid
// order (see canListSearch for when they are). A term the trigram index matches
// at most this many times is looked up there and the few rows sorted; a term
// that matches more is common enough that walking the listing's own index
// and testing each email usually fills a page after a few thousand rows.
const searchIndexLimit = 2000

// searchLike is the condition every email search ends with: LIKE has the
// last word, so the trigram index only narrows the rows and can never add a
// wrong one.
const searchLike = `u.email_normalized LIKE ? ESCAPE '\'`

// searchMatch quotes term as an FTS5 phrase: with the trigram tokenizer it
// matches the rows whose email contains term.
func searchMatch(term string) string {
	return `"` + strings.ReplaceAll(term, `"`, `""`) + `"`
}

// searchPattern is the LIKE pattern that finds term anywhere in an email.
func searchPattern(term string) string {
	return "%" + escapeLike(term) + "%"
}

// searchCondition renders the email search for term as a condition on u,
// for counts and for listings that cannot use canListSearch's plan.
func (s *Store) searchCondition(ctx context.Context, term string) (cond string, args []any, err error) {
	like := searchPattern(term)
	if utf8.RuneCountInString(term) < 3 {
		return searchLike, []any{like}, nil // trigrams need three characters
	}
	match := searchMatch(term)
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM users_email_search WHERE users_email_search MATCH ? LIMIT ?)`,
		match, searchIndexLimit+1).Scan(&n)
	if err != nil {
		return "", nil, fmt.Errorf("search: %w", translate(err))
	}
	if n > searchIndexLimit {
		return searchLike, []any{like}, nil
	}
	return `u.rowid IN (SELECT rowid FROM users_email_search WHERE users_email_search MATCH ?) AND ` + searchLike, []any{match, like}, nil
}

// filterConditions renders f's role and status as SQL conditions on u, with
// their arguments; the search is left to the caller, whose plan depends on it.
func filterConditions(f user.Filter) (conds []string, args []any) {
	if f.Role != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.name = ?)`)
		args = append(args, string(f.Role))
	}
	now := user.FormatTime(f.Now)
	if f.Now.IsZero() {
		now = user.FormatTime(time.Now())
	}
	// Locked as user.User.Locked judges it: a timed lock not yet run
	// out, or as many consecutive failures as lock until an admin unlocks,
	// or lockout values ctitui never writes (see readLockout).
	blocked := `(u.failed_logins >= ? OR ` + badLockoutSQL + `)`
	switch f.Status {
	case user.Active:
		conds = append(conds, `u.disabled_at IS NULL AND (u.locked_until IS NULL OR u.locked_until <= ?) AND NOT `+blocked)
		args = append(args, now, user.MaxConsecutiveFailures)
	case user.Disabled:
		conds = append(conds, `u.disabled_at IS NOT NULL`)
	case user.Locked:
		conds = append(conds, `u.disabled_at IS NULL AND (u.locked_until > ? OR `+blocked+`)`)
		args = append(args, now, user.MaxConsecutiveFailures)
	case user.Blocked:
		conds = append(conds, `u.disabled_at IS NULL AND `+blocked)
		args = append(args, user.MaxConsecutiveFailures)
	}
	return conds, args
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListUsers implements user.Store. It pages by keyset (the sort column and
// id), never OFFSET, so a window deep in a million rows costs what the first does.
func (s *Store) ListUsers(ctx context.Context, opts user.ListOptions, fn func(user.User) error) error {
	conds, args := filterConditions(opts.Filter)
	col := sortColumn(opts.Sort)
	// Times list newest first, emails alphabetically; Reverse walks back.
	descending := opts.Sort != user.ByEmail
	if opts.Reverse {
		descending = !descending
	}
	dir, cmp := "ASC", ">"
	if descending {
		dir, cmp = "DESC", "<"
	}
	if opts.Inclusive {
		cmp += "="
	}
	from, order := "FROM users u", fmt.Sprintf("%s %s, u.id %s", col, dir, dir)
	if opts.After != nil {
		conds = append(conds, fmt.Sprintf("(%s, u.id) %s (?, ?)", col, cmp))
		args = append(args, opts.After.Key, opts.After.ID)
	}
	if term := user.NormalizeEmail(opts.Filter.Search); term != "" {
		ordered, err := s.canListSearch(ctx, opts.Sort, term)
		if err != nil {
			return err
		}
		if ordered {
			from, order = "FROM users_email_search s CROSS JOIN users u", "s.rowid "+dir
			conds = append(conds, `s.users_email_search MATCH ?`, `u.rowid = s.rowid`, searchLike)
			args = append(args, searchMatch(term), searchPattern(term))
			if opts.After != nil {
				bound, boundArgs := rowidBound(descending, opts.Inclusive, opts.After)
				conds = append(conds, bound)
				args = append(args, boundArgs...)
			}
		} else {
			cond, searchArgs, err := s.searchCondition(ctx, term)
			if err != nil {
				return err
			}
			conds = append(conds, cond)
			args = append(args, searchArgs...)
		}
	}
	columns := userWithoutHashColumns
	if opts.WithHashes {
		columns = userWithHashColumns
	}
	query := columns + " " + from
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY " + order
	if opts.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list users: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list users: %w", translate(err))
	}
	return nil
}

// canListSearch reports whether a listing sorted by key and searching for
// term can walk the trigram index's matches in rowid order and stop after a
// page: the index hands out matches in rowid order, and while users are in
// order (users_order) that is the listing's order by created_at. The cost is
// then one page of rows however many emails match and wherever they are,
// where the other plans either fetch and sort every match or walk the
// listing's index testing each email.
func (s *Store) canListSearch(ctx context.Context, key user.SortKey, term string) (bool, error) {
	if key != user.ByCreated || utf8.RuneCountInString(term) < 3 {
		return false, nil
	}
	return usersInOrder(ctx, s.stmts)
}

// rowidBound turns a listing's keyset cursor into a bound on the search
// index's rowids, which the index can seek to: the first row past the
// cursor in the listing's order is the rowid to stop at. (The row-value
// condition on (created_at, id) stays too; this only lets the index start
// there instead of at its end.)
func rowidBound(descending, inclusive bool, after *user.Cursor) (string, []any) {
	args := []any{after.Key, after.ID}
	switch {
	case descending && !inclusive:
		return `s.rowid < COALESCE((SELECT rowid FROM users WHERE (created_at, id) >= (?, ?) ORDER BY created_at, id LIMIT 1), 9223372036854775807)`, args
	case descending:
		return `s.rowid < COALESCE((SELECT rowid FROM users WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 1), 9223372036854775807)`, args
	case !inclusive:
		return `s.rowid > COALESCE((SELECT rowid FROM users WHERE (created_at, id) <= (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1), -9223372036854775808)`, args
	default:
		return `s.rowid > COALESCE((SELECT rowid FROM users WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1), -9223372036854775808)`, args
	}
}

// EachPasswordHash implements user.Store.
func (s *Store) EachPasswordHash(ctx context.Context, fn func(email, hash string) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT email, hashed_password FROM users ORDER BY email_normalized`)
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

// CountUsers implements user.Store.
func (s *Store) CountUsers(ctx context.Context, f user.Filter) (int, error) {
	conds, args := filterConditions(f)
	if term := user.NormalizeEmail(f.Search); term != "" {
		cond, searchArgs, err := s.searchCondition(ctx, term)
		if err != nil {
			return 0, err
		}
		conds = append(conds, cond)
		args = append(args, searchArgs...)
	}
	query := `SELECT count(*) FROM users u`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	var n int
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", translate(err))
	}
	return n, nil
}

// ListAudit implements user.Store.
func (s *Store) ListAudit(ctx context.Context, f user.AuditFilter, fn func(user.AuditEntry) error) error {
	var (
		conds []string
		args  []any
	)
	if f.UserID != "" {
		conds = append(conds, `user_id = ?`)
		args = append(args, f.UserID)
	}
	if f.BeforeID > 0 {
		conds = append(conds, `id < ?`)
		args = append(args, f.BeforeID)
	}
	if f.AfterID > 0 {
		conds = append(conds, `id > ?`)
		args = append(args, f.AfterID)
	}
	if f.Search != "" {
		pattern := "%" + escapeLike(f.Search) + "%"
		conds = append(conds, `(action LIKE ? ESCAPE '\' OR actor LIKE ? ESCAPE '\' OR user_email LIKE ? ESCAPE '\' OR details LIKE ? ESCAPE '\')`)
		args = append(args, pattern, pattern, pattern, pattern)
	}
	query := `SELECT id, at, actor, action, COALESCE(user_id, ''), user_email, details FROM audit_log`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if f.OldestFirst {
		query += " ORDER BY id"
	} else {
		query += " ORDER BY id DESC"
	}
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list audit: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e  user.AuditEntry
			at string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.UserID, &e.UserEmail, &e.Details); err != nil {
			return fmt.Errorf("list audit: %w", translate(err))
		}
		if e.At, err = parseTime(at); err != nil {
			return fmt.Errorf("audit entry %d: %w", e.ID, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list audit: %w", translate(err))
	}
	return nil
}

// WithTx implements user.Store.
func (s *Store) WithTx(ctx context.Context, fn func(user.Tx) error) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		t := newStoreTx(tx)
		if err := fn(t); err != nil {
			return err
		}
		return t.chain.flush(ctx)
	})
}

// WithBulkTx implements user.Store. Indexing each new email for search
// inside the transaction costs more than inserting the user: FTS5 writes its
// pending terms out at every statement's savepoint. So the insert trigger is
// dropped for the transaction, a temporary trigger notes each new rowid
// instead (new users take rowids anywhere in the table, to keep it in
// created_at order), and the new rows are indexed in one statement at the
// end; other connections never see the difference, as the whole
// transaction, trigger included, commits or rolls back as one.
func (s *Store) WithBulkTx(ctx context.Context, fn func(user.Tx) error) error {
	return s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		var triggerSQL string
		t := newStoreTx(tx)
		err = tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'users_email_search_insert'`).Scan(&triggerSQL)
		if errors.Is(err, sql.ErrNoRows) {
			// No search index to defer.
			if err := fn(t); err != nil {
				return err
			}
			return t.chain.flush(ctx)
		}
		if err != nil {
			return translate(err)
		}
		for _, stmt := range []string{
			`DROP TRIGGER users_email_search_insert`,
			`CREATE TEMP TABLE bulk_new_users (rowid INTEGER PRIMARY KEY)`,
			`CREATE TEMP TRIGGER bulk_note_new_user AFTER INSERT ON main.users
			BEGIN
				INSERT INTO bulk_new_users (rowid) VALUES (NEW.rowid);
			END`,
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return translate(err)
			}
		}
		// Temporary objects outlive a transaction on their connection: these
		// are dropped inside it, so its commit removes them and a rollback
		// takes back their creation too. The clean-ups below write, and can
		// fail like any write (a full disk, after which SQLite has rolled
		// the transaction back itself): on the way to a commit their error
		// is the transaction's, or the commit would run outside any
		// transaction and report only that.
		defer func() {
			_, cleanErr := tx.ExecContext(context.WithoutCancel(ctx), `DROP TRIGGER IF EXISTS temp.bulk_note_new_user; DROP TABLE IF EXISTS temp.bulk_new_users`)
			if err == nil && cleanErr != nil {
				err = fmt.Errorf("finish bulk write: %w", translate(cleanErr))
			}
		}()
		// A bigger page cache keeps the growing transaction out of the WAL
		// until commit; the connection goes back to the pool with its usual
		// size, so readers such as the TUI stay small.
		var cacheSize int64
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cacheSize); err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
			return translate(err)
		}
		defer func() {
			_, cleanErr := tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, cacheSize))
			if err == nil && cleanErr != nil {
				err = fmt.Errorf("finish bulk write: %w", translate(cleanErr))
			}
		}()
		if err := fn(t); err != nil {
			return err
		}
		if err := t.chain.flush(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users_email_search (rowid, email_normalized)
			SELECT u.rowid, u.email_normalized FROM bulk_new_users n JOIN users u ON u.rowid = n.rowid ORDER BY n.rowid`); err != nil {
			return fmt.Errorf("index new users for search: %w", translate(err))
		}
		if _, err := tx.ExecContext(ctx, triggerSQL); err != nil {
			return translate(err)
		}
		return nil
	})
}

// writeTx runs fn in one write transaction. It begins IMMEDIATE (see
// readWriteDSN), so it holds the write lock from its first statement.
func (s *Store) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	// Writers in this process queue here rather than in SQLite's busy
	// handler, which sleeps in growing steps while it waits; other processes
	// still wait on the busy timeout.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", translate(err))
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// storeTx implements user.Tx over one SQL transaction. It keeps the
// statements it prepares, the role ids and the head of the audit chain for
// the length of the transaction: a bulk import runs the same few statements
// hundreds of thousands of times, and preparing them each time was a fifth
// of its cost.
type storeTx struct {
	tx      *sql.Tx
	stmts   *stmtCache
	roleIDs map[user.Role]int64
	chain   chainWriter
	inOrder *bool // users_order.in_order, read on the first insert
	// skeletonsFilled is set once the users without a recorded skeleton
	// have been given one (see checkLookAlike).
	skeletonsFilled bool
}

func newStoreTx(tx *sql.Tx) *storeTx {
	stmts := newStmtCache(tx)
	return &storeTx{tx: tx, stmts: stmts, chain: chainWriter{tx: tx, stmts: stmts}}
}

var _ user.Tx = (*storeTx)(nil)

func (t *storeTx) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	return userByEmail(ctx, t.stmts, normalized)
}

func (t *storeTx) InsertUser(ctx context.Context, u user.User) error {
	normalized, skeleton := user.NormalizeEmail(u.Email), user.EmailSkeleton(u.Email)
	if err := t.checkLookAlike(ctx, u.Email, normalized, skeleton); err != nil {
		return err
	}
	// Roles first: the user_roles foreign key is deferred, and writing them
	// before the user means the updated_at triggers find no user to touch,
	// so a new user keeps updated_at equal to created_at.
	if err := t.addRoles(ctx, u.ID, u.Roles); err != nil {
		return err
	}
	created := user.FormatTime(u.CreatedAt)
	rowid, err := t.rowidFor(ctx, u.CreatedAt, created, u.ID)
	if err != nil {
		return err
	}
	_, err = t.stmts.ExecContext(ctx, `INSERT INTO users
		(rowid, id, email, email_normalized, email_skeleton, hashed_password, created_at, updated_at, disabled_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rowid, u.ID, u.Email, normalized, skeleton, u.PasswordHash,
		created, user.FormatTime(u.UpdatedAt), nullTime(u.DisabledAt), nullTime(u.LastLoginAt))
	if isUniqueViolation(err) {
		return &user.ExistsError{Email: u.Email}
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", translate(err))
	}
	return nil
}

// addRoles links the user with id to roles, ignoring links that exist.
func (t *storeTx) addRoles(ctx context.Context, id string, roles []user.Role) error {
	if t.roleIDs == nil {
		ids, err := readRoleIDs(ctx, t.tx)
		if err != nil {
			return fmt.Errorf("set roles: %w", err)
		}
		t.roleIDs = ids
	}
	for _, r := range roles {
		roleID, known := t.roleIDs[r]
		if !known {
			return fmt.Errorf("%w: %q is not in this database's roles table", user.ErrInvalidRole, r)
		}
		if _, err := t.stmts.ExecContext(ctx, `INSERT OR IGNORE INTO user_roles (user_id, role_id) VALUES (?, ?)`, id, roleID); err != nil {
			return fmt.Errorf("set roles: %w", translate(err))
		}
	}
	return nil
}

func readRoleIDs(ctx context.Context, q queryer) (map[user.Role]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, id FROM roles`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	ids := map[user.Role]int64{}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			return nil, translate(err)
		}
		ids[user.Role(name)] = id
	}
	return ids, translate(rows.Err())
}

func (t *storeTx) UpdateUser(ctx context.Context, u user.User) error {
	names := make([]any, 0, len(u.Roles)+1)
	names = append(names, u.ID)
	for _, r := range u.Roles {
		names = append(names, string(r))
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(u.Roles)), ", ")
	if placeholders == "" {
		placeholders = "NULL"
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ? AND role_id NOT IN (SELECT id FROM roles WHERE name IN (`+placeholders+`))`, names...); err != nil {
		return fmt.Errorf("set roles: %w", translate(err))
	}
	if err := t.addRoles(ctx, u.ID, u.Roles); err != nil {
		return err
	}
	// Written after the roles: the explicit updated_at overrides the one the
	// role triggers stamped.
	res, err := t.tx.ExecContext(ctx, `UPDATE users SET email = ?, email_normalized = ?, email_skeleton = ?, hashed_password = ?,
		updated_at = ?, disabled_at = ?, last_login_at = ?, failed_logins = ?, locked_until = ? WHERE id = ?`,
		u.Email, user.NormalizeEmail(u.Email), user.EmailSkeleton(u.Email), u.PasswordHash,
		user.FormatTime(u.UpdatedAt), nullTime(u.DisabledAt), nullTime(u.LastLoginAt),
		u.FailedLogins, nullTime(u.LockedUntil), u.ID)
	if isUniqueViolation(err) {
		return &user.ExistsError{Email: u.Email}
	}
	if err != nil {
		return fmt.Errorf("update user: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return user.ErrNotFound
	}
	return nil
}

func (t *storeTx) DeleteUser(ctx context.Context, id string) error {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return user.ErrNotFound
	}
	return nil
}

func (t *storeTx) AppendAudit(ctx context.Context, e user.AuditEntry) error {
	return t.chain.append(ctx, e)
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

// Settings rows of the lockout policy.
const (
	lockoutThresholdKey = "lockout_threshold"
	lockoutMinutesKey   = "lockout_minutes"
)

// LockoutPolicy implements user.Store.
func (s *Store) LockoutPolicy(ctx context.Context) (user.LockoutPolicy, error) {
	return lockoutPolicy(ctx, s.db)
}

func (t *storeTx) LockoutPolicy(ctx context.Context) (user.LockoutPolicy, error) {
	return lockoutPolicy(ctx, t.tx)
}

// lockoutPolicy reads the policy, falling back to the default for a setting
// that is missing or that another tool set to nonsense: a broken setting
// must not unlock every account.
func lockoutPolicy(ctx context.Context, q queryer) (user.LockoutPolicy, error) {
	p := user.DefaultLockout
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?)`, lockoutThresholdKey, lockoutMinutesKey)
	if err != nil {
		return p, fmt.Errorf("read settings: %w", translate(err))
	}
	defer rows.Close()
	read := p
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return p, fmt.Errorf("read settings: %w", translate(err))
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			continue
		}
		switch key {
		case lockoutThresholdKey:
			read.Threshold = n
		case lockoutMinutesKey:
			read.Duration = time.Duration(n) * time.Minute
		}
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("read settings: %w", translate(err))
	}
	if read.Validate() != nil {
		return p, nil
	}
	return read, nil
}

func (t *storeTx) SetLockoutPolicy(ctx context.Context, p user.LockoutPolicy, at time.Time) error {
	for key, value := range map[string]int{lockoutThresholdKey: p.Threshold, lockoutMinutesKey: int(p.Duration / time.Minute)} {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			key, strconv.Itoa(value), user.FormatTime(at))
		if err != nil {
			return fmt.Errorf("write settings: %w", translate(err))
		}
	}
	return nil
}

// stmtCache prepares each query once on its database or transaction and
// reuses it. It implements queryer. Statements prepared on a transaction
// close with it.
type stmtCache struct {
	mu     sync.Mutex
	direct preparer
	stmts  map[string]*sql.Stmt
}

// preparer is what *sql.DB and *sql.Tx offer to a stmtCache.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func newStmtCache(p preparer) *stmtCache {
	return &stmtCache{direct: p, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.direct.PrepareContext(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// A Row cannot be made to carry err: run the query unprepared, and
		// its Scan reports the same failure.
		return c.direct.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close releases the statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}
