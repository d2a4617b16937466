package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/user"
)

// writerLockKey is the transaction-level advisory lock every ctitui write
// transaction takes first (pg_advisory_xact_lock), so that one writer runs
// at a time, as SQLite's BEGIN IMMEDIATE makes it there: the audit chain
// cannot fork, a check and the write that depends on it (the last admin,
// a look-alike address, a lockout count) see no other ctitui's change in
// between, and two ctitui writers never deadlock. It is the bytes of
// "ctitui/w" as a bigint, distinct from the lock that serialises
// migrations (migrate.go). Advisory locks are per database; a connection
// pooler in transaction mode keeps them (they end with the transaction).
const writerLockKey int64 = 0x63746974_75692f77

// WithTx implements user.Store. fn's writes, the audit entries it appends
// and the head of the audit chain commit together.
func (s *Store) WithTx(ctx context.Context, fn func(user.Tx) error) error {
	return s.writeTx(ctx, func(t *storeTx) error {
		if err := fn(t); err != nil {
			return err
		}
		return t.chain.flush(ctx)
	})
}

// WithBulkTx implements user.Store. It is WithTx: the GIN index that serves
// searches already defers its work (its pending list, fastupdate), where
// the SQLite engine had to hold its search index back by hand.
func (s *Store) WithBulkTx(ctx context.Context, fn func(user.Tx) error) error {
	return s.WithTx(ctx, fn)
}

// writeTx runs fn in one write transaction that holds the writer lock
// (writerLockKey) from its first statement. Every wait for a lock, that
// one or a row another program holds, ends after s.lockTimeout with
// ErrLocked. Nothing is retried.
func (s *Store) writeTx(ctx context.Context, fn func(*storeTx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", translate(err))
	}
	// Rollback after Commit is a no-op; its error is never the story.
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // see above
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($2) FROM (SELECT set_config('lock_timeout', $1, true)) AS timeout`,
		fmt.Sprintf("%dms", s.lockTimeout/time.Millisecond), writerLockKey); err != nil {
		return fmt.Errorf("wait for other writers: %w", translate(err))
	}
	if err := fn(&storeTx{tx: tx, chain: chainWriter{tx: tx}}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// storeTx implements user.Tx over one transaction that holds the writer
// lock. It keeps the role ids and the head of the audit chain for the
// length of the transaction.
type storeTx struct {
	tx      pgx.Tx
	roleIDs map[user.Role]int64
	chain   chainWriter
	// skeletonsFilled is set once the users without a recorded skeleton
	// have been given one (see checkLookAlike).
	skeletonsFilled bool
}

var _ user.Tx = (*storeTx)(nil)

// The reads of one user inside a write transaction lock its row (FOR
// UPDATE): the writer lock keeps other ctitui processes out, but not other
// programs on the same database, and a read-modify-write such as counting
// a failed login must not lose their change or have them lose its.
var (
	userByEmailForUpdate = userByEmailQuery + ` FOR UPDATE OF u`
	userByIDForUpdate    = userByIDQuery + ` FOR UPDATE OF u`
)

// UserByEmail implements user.Tx.
func (t *storeTx) UserByEmail(ctx context.Context, normalized string) (user.User, error) {
	return userBy(ctx, t.tx, userByEmailForUpdate, normalized)
}

// UserByID implements user.Tx.
func (t *storeTx) UserByID(ctx context.Context, id string) (user.User, error) {
	return userBy(ctx, t.tx, userByIDForUpdate, id)
}

// EnabledAdminsBesides implements user.Tx.
func (t *storeTx) EnabledAdminsBesides(ctx context.Context, id string) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, enabledAdminsBesidesQuery, storableOr(id)).Scan(&n)
	return n, translate(err)
}

// InsertUser implements user.Tx. The user goes in before its roles (the
// link's foreign key is checked at once: deferred, it cost seconds at the
// commit of a large import); it keeps the updated_at it was given, as the
// triggers that stamp a change of roles leave a row the transaction wrote
// itself (migrations 4 and 11).
func (t *storeTx) InsertUser(ctx context.Context, u user.User) error {
	normalized, skeleton := user.NormalizeEmail(u.Email), user.EmailSkeleton(u.Email)
	if err := t.checkLookAlike(ctx, u.Email, normalized, skeleton); err != nil {
		return err
	}
	roleIDs, err := t.roleIDsOf(ctx, u.Roles)
	if err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING: a duplicate leaves the transaction usable,
	// as it is on SQLite, rather than aborted.
	tag, err := t.tx.Exec(ctx, `INSERT INTO users
		(id, email, email_normalized, email_skeleton, hashed_password, created_at, updated_at, disabled_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		u.ID, u.Email, normalized, skeleton, u.PasswordHash,
		dbTime(u.CreatedAt), dbTime(u.UpdatedAt), dbTime(u.DisabledAt), dbTime(u.LastLoginAt))
	if err != nil {
		return fmt.Errorf("insert user: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return &user.ExistsError{Email: u.Email}
	}
	if len(roleIDs) == 0 {
		return nil
	}
	return t.linkRoles(ctx, u.ID, roleIDs)
}

// roleIDsOf returns the ids of roles in the roles table, or
// user.ErrInvalidRole naming one it lacks.
func (t *storeTx) roleIDsOf(ctx context.Context, roles []user.Role) ([]int64, error) {
	if t.roleIDs == nil {
		rows, err := t.tx.Query(ctx, `SELECT name, id FROM roles`)
		if err != nil {
			return nil, fmt.Errorf("set roles: %w", translate(err))
		}
		ids := map[user.Role]int64{}
		var name string
		var id int64
		_, err = pgx.ForEachRow(rows, []any{&name, &id}, func() error {
			ids[user.Role(name)] = id
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("set roles: %w", translate(err))
		}
		t.roleIDs = ids
	}
	out := make([]int64, 0, len(roles))
	for _, r := range roles {
		id, known := t.roleIDs[r]
		if !known {
			return nil, fmt.Errorf("%w: %q is not in this database's roles table", user.ErrInvalidRole, r)
		}
		out = append(out, id)
	}
	return out, nil
}

// linkRoles links the user with id to the roles with roleIDs, keeping the
// links that exist.
func (t *storeTx) linkRoles(ctx context.Context, id string, roleIDs []int64) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, id, roleIDs); err != nil {
		return fmt.Errorf("set roles: %w", translate(err))
	}
	return nil
}

// UpdateUser implements user.Tx. It writes the user first, then removes
// the roles u no longer has and adds the new ones: the triggers that stamp
// a change of roles leave a row the transaction wrote itself, so the user
// keeps the updated_at u gives it (as on SQLite, where the explicit
// updated_at is written last to override the triggers').
func (t *storeTx) UpdateUser(ctx context.Context, u user.User) error {
	roleIDs, err := t.roleIDsOf(ctx, u.Roles)
	if err != nil {
		return err
	}
	tag, err := t.tx.Exec(ctx, `UPDATE users SET email = $1, email_normalized = $2, email_skeleton = $3, hashed_password = $4,
		updated_at = $5, disabled_at = $6, last_login_at = $7, failed_logins = $8, locked_until = $9 WHERE id = $10`,
		u.Email, user.NormalizeEmail(u.Email), user.EmailSkeleton(u.Email), u.PasswordHash,
		dbTime(u.UpdatedAt), dbTime(u.DisabledAt), dbTime(u.LastLoginAt), u.FailedLogins, dbTime(u.LockedUntil), u.ID)
	if isUniqueViolation(err) {
		return &user.ExistsError{Email: u.Email}
	}
	if err != nil {
		return fmt.Errorf("update user: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return user.ErrNotFound
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = $1 AND role_id <> ALL($2::bigint[])`, u.ID, roleIDs); err != nil {
		return fmt.Errorf("set roles: %w", translate(err))
	}
	if len(roleIDs) > 0 {
		return t.linkRoles(ctx, u.ID, roleIDs)
	}
	return nil
}

// DeleteUser implements user.Tx; the user's roles go with it (ON DELETE
// CASCADE).
func (t *storeTx) DeleteUser(ctx context.Context, id string) error {
	if !storable(id) {
		return user.ErrNotFound
	}
	tag, err := t.tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return user.ErrNotFound
	}
	return nil
}

// AppendAudit implements user.Tx, chaining e to the entry before it.
func (t *storeTx) AppendAudit(ctx context.Context, e user.AuditEntry) error {
	return t.chain.append(ctx, e)
}

// checkLookAlike refuses to add email (normalised to normalized, with
// skeleton) when another user's address looks like it. It runs inside the
// write transaction that inserts the user, under the writer lock, so no
// look-alike can be added between the check and the insert. The first
// check of a transaction records the skeletons that rows written by other
// programs lack, so that the lookup needs only the index.
func (t *storeTx) checkLookAlike(ctx context.Context, email, normalized, skeleton string) error {
	if !t.skeletonsFilled {
		if err := fillSkeletons(ctx, t.tx); err != nil {
			return err
		}
		t.skeletonsFilled = true
	}
	var existing string
	err := t.tx.QueryRow(ctx, `SELECT email FROM users WHERE email_skeleton = $1 AND email_normalized <> $2 LIMIT 1`,
		skeleton, normalized).Scan(&existing)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("look for look-alikes: %w", translate(err))
	}
	return &user.LookAlikeError{Email: email, Existing: existing}
}

// fillSkeletons records the skeleton of every user that has none, a batch
// at a time in id order, each batch written with one statement.
func fillSkeletons(ctx context.Context, tx pgx.Tx) error {
	const batch = 500
	after := ""
	for {
		rows, err := tx.Query(ctx, `SELECT id, email FROM users WHERE email_skeleton IS NULL AND id::text COLLATE "C" > $1
			ORDER BY id::text COLLATE "C" LIMIT $2`, after, batch)
		if err != nil {
			return fmt.Errorf("record look-alike skeletons: %w", translate(err))
		}
		var ids, skeletons []string
		var id, email string
		_, err = pgx.ForEachRow(rows, []any{&id, &email}, func() error {
			ids, skeletons = append(ids, id), append(skeletons, user.EmailSkeleton(email))
			return nil
		})
		if err != nil {
			return fmt.Errorf("record look-alike skeletons: %w", translate(err))
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET email_skeleton = v.skeleton
			FROM unnest($1::text[], $2::text[]) AS v(id, skeleton) WHERE users.id::text = v.id`, ids, skeletons); err != nil {
			return fmt.Errorf("record look-alike skeletons: %w", translate(err))
		}
		after = ids[len(ids)-1]
	}
}
