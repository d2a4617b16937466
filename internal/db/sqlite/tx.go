package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ctitui/ctitui/internal/user"
)

// WithTx implements user.Store. fn's writes, the audit entries it appends
// and the head of the audit chain commit together.
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

// newStoreTx wraps tx. Statements are prepared, and the audit chain's head
// read, when first needed.
func newStoreTx(tx *sql.Tx) *storeTx {
	stmts := newStmtCache(tx)
	return &storeTx{tx: tx, stmts: stmts, chain: chainWriter{tx: tx, stmts: stmts}}
}

var _ user.Tx = (*storeTx)(nil)

// enabledAdminsBesidesQuery counts the enabled admins other than the user
// with id ? ("" excludes none: ids are never empty). It reads user_roles,
// never role_names (see migration 11), and walks user_roles_role_id_idx:
// as fast as there are admins, however many users there are.
const enabledAdminsBesidesQuery = `SELECT count(*) FROM users u
	JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
	WHERE r.name = 'admin' AND u.disabled_at IS NULL AND u.id <> ?`

// EnabledAdminsBesides implements user.Tx.
func (t *storeTx) EnabledAdminsBesides(ctx context.Context, id string) (int, error) {
	var n int
	err := t.stmts.QueryRowContext(ctx, enabledAdminsBesidesQuery, id).Scan(&n)
	return n, translate(err)
}

// EnabledAdmins implements user.Store.
func (s *Store) EnabledAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, enabledAdminsBesidesQuery, "").Scan(&n)
	return n, translate(err)
}

// UserByID implements user.Tx.
func (t *storeTx) UserByID(ctx context.Context, id string) (user.User, error) {
	return userByID(ctx, t.stmts, id)
}

// UserByEmail implements user.Tx.
func (t *storeTx) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	return userByEmail(ctx, t.stmts, normalized)
}

// InsertUser implements user.Tx. The new row takes a rowid in created_at
// order (see rowidFor), which fast searches rely on.
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

// readRoleIDs maps each role name in the roles table to its id.
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

// UpdateUser implements user.Tx. It removes the roles u no longer has
// before adding the new ones.
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
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ? AND role_id NOT IN (SELECT id FROM roles WHERE name IN (`+placeholders+`))`, names...); err != nil { //nolint:gosec // only placeholders are joined in
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

// DeleteUser implements user.Tx; the user's roles go with it (ON DELETE
// CASCADE).
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

// AppendAudit implements user.Tx, chaining e to the entry before it.
func (t *storeTx) AppendAudit(ctx context.Context, e user.AuditEntry) error {
	return t.chain.append(ctx, e)
}
