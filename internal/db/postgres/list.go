package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ctitui/ctitui/internal/user"
)

// Listings order ids and emails by their bytes (COLLATE "C"), as the SQLite
// engine's BINARY collation and Go's string comparison do: cursors, pages
// and the order a person sees are the same on both engines, whatever
// collation the database was made with.

// args numbers the arguments of a statement as they are added.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// ListUsers implements user.Store. It pages by keyset (the sort column and
// id), never OFFSET, so a window deep in a million rows costs what the
// first does.
func (s *Store) ListUsers(ctx context.Context, opts user.ListOptions, fn func(user.User) error) error {
	roleID, ok, err := s.roleID(ctx, opts.Role)
	if err != nil || !ok {
		return err // no such role: nobody has it
	}
	query, a, ok := listQuery(opts, roleID)
	if !ok {
		return nil // a search for text no email can hold
	}
	rows, err := s.pool.Query(ctx, query, a...)
	if err != nil {
		return fmt.Errorf("list users: %w", translate(err))
	}
	defer rows.Close()
	scan := newUserScanner()
	for rows.Next() {
		u, err := scan.scan(rows)
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

// listQuery builds the SQL of a listing and its arguments, given the id of
// the role it filters on (see roleID); ok is false when the search can
// match nothing.
func listQuery(opts user.ListOptions, roleID int64) (query string, a args, ok bool) {
	conds, ok := filterConditions(opts.Filter, roleID, &a)
	if !ok {
		return "", nil, false
	}
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
	if opts.After != nil {
		cond, ok := keysetCondition(opts, cmp, &a)
		if !ok {
			return "", nil, false // see cursorTime
		}
		conds = append(conds, cond)
	}
	columns := listWithoutHashColumns
	switch {
	case opts.LinkedRoles && opts.WithHashes:
		columns = userWithHashColumns
	case opts.LinkedRoles:
		columns = userWithoutHashColumns
	case opts.WithHashes:
		columns = listWithHashColumns
	}
	query = columns + " FROM users u"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += fmt.Sprintf(` ORDER BY %s %s, u.id::text COLLATE "C" %s`, col, dir, dir)
	if opts.Limit > 0 {
		query += " LIMIT " + a.add(opts.Limit)
	}
	return query, a, true
}

// keysetCondition is the condition that keeps the rows past opts.After in
// walking order (cmp is < or >): the row-value comparison (key, id) cmp
// (cursor key, cursor id), spelt out with a bound on the sort column alone
// in front, which an index on the column can seek to (PostgreSQL does not
// seek on a row value whose halves have different collations). A time
// cursor names a millisecond: a row stored with a finer time (written by
// another program) is kept or left by its millisecond, as its own cursor
// (user.CursorOf) places it. The order within such a millisecond is still
// by the finer time, so a page boundary between two such rows of one
// millisecond can repeat or skip one of them; ctitui and the schema's
// triggers store milliseconds only.
func keysetCondition(opts user.ListOptions, cmp string, a *args) (string, bool) {
	idCmp := cmp
	if opts.Inclusive {
		idCmp += "="
	}
	col := sortColumn(opts.Sort)
	id := a.add(storableOr(opts.After.ID))
	if opts.Sort == user.ByEmail {
		k := a.add(storableOr(opts.After.Key))
		return fmt.Sprintf(`%[1]s %[2]s= %[3]s AND (%[1]s %[2]s %[3]s OR u.id::text COLLATE "C" %[4]s %[5]s)`, col, cmp, k, idCmp, id), true
	}
	from, ok := cursorTime(opts.After.Key)
	if !ok {
		return "", false
	}
	// The millisecond [from, until).
	until := from
	if from.InfinityModifier == pgtype.Finite {
		until.Time = from.Time.Add(time.Millisecond)
	}
	f, u := a.add(from), a.add(until)
	if cmp == "<" {
		return fmt.Sprintf(`%[1]s < %[2]s AND (%[1]s < %[3]s OR u.id::text COLLATE "C" %[4]s %[5]s)`, col, u, f, idCmp, id), true
	}
	return fmt.Sprintf(`%[1]s >= %[2]s AND (%[1]s >= %[3]s OR u.id::text COLLATE "C" %[4]s %[5]s)`, col, f, u, idCmp, id), true
}

// cursorTime reads a cursor's key, a time as user.FormatTime writes it.
// The SQLite engine compares keys as text, so a key that is no such time
// is placed where it sorts as text among the times: before all of them
// (the empty key) or after all of them (any key above the largest time).
// ok is false for a key that falls among them, which no listing makes;
// the listing is then empty.
func cursorTime(key string) (pgtype.Timestamptz, bool) {
	if t, err := time.Parse(user.TimeLayout, key); err == nil {
		return pgtype.Timestamptz{Time: t, Valid: true}, true
	}
	switch {
	case key < "0000-01-01T00:00:00.000Z":
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
	case key > "9999-12-31T23:59:59.999Z":
		return pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}, true
	}
	return pgtype.Timestamptz{}, false
}

// storableOr is s, or for a cursor that PostgreSQL text cannot hold (see
// storable), the same text with each byte it cannot hold replaced by the
// Unicode replacement character: a position near the one asked for.
// Listings make cursors from stored values only (user.CursorOf), which
// are always storable.
func storableOr(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// CountUsers implements user.Store.
func (s *Store) CountUsers(ctx context.Context, f user.Filter) (int, error) {
	roleID, ok, err := s.roleID(ctx, f.Role)
	if err != nil || !ok {
		return 0, err // no such role: nobody has it
	}
	var a args
	conds, ok := filterConditions(f, roleID, &a)
	if !ok {
		return 0, nil
	}
	query := `SELECT count(*) FROM users u`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	var n int
	if err := s.pool.QueryRow(ctx, query, a...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", translate(err))
	}
	return n, nil
}

// sortColumn is the column a listing is ordered by.
func sortColumn(k user.SortKey) string {
	switch k {
	case user.ByUpdated:
		return "u.updated_at"
	case user.ByEmail:
		return `u.email_normalized COLLATE "C"`
	default:
		return "u.created_at"
	}
}

// roleID returns the id of the role named r, which a filter on r compares
// user_roles.role_id with: given as a value rather than looked up inside
// the listing's statement, it lets the planner weigh how many users hold
// the role (a listing of the few admins among a million users starts from
// the role's links instead of walking every user). ok is false when the
// roles table has no such role; with r empty, ok is true.
func (s *Store) roleID(ctx context.Context, r user.Role) (id int64, ok bool, err error) {
	if r == "" {
		return 0, true, nil
	}
	if !storable(string(r)) {
		return 0, false, nil
	}
	err = s.pool.QueryRow(ctx, `SELECT id FROM roles WHERE name = $1`, string(r)).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("list users: %w", translate(err))
	}
	return id, true, nil
}

// filterConditions renders f as SQL conditions on u, adding their
// arguments to a; roleID is the id of f.Role. ok is false when f's search
// can match nothing.
//
// The search keeps the users whose normalised email contains the normalised
// term, as the SQLite engine's does (LIKE there, which ignores the case of
// ASCII letters; ILIKE here, which the stored, already folded emails make
// the same). The trigram GIN index on email_normalized serves it where it
// helps: the planner weighs it against walking the listing's own index.
func filterConditions(f user.Filter, roleID int64, a *args) (conds []string, ok bool) {
	if f.Role != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role_id = `+a.add(roleID)+`)`)
	}
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	// Locked as user.User.Locked judges it: a timed lock not yet run out,
	// or as many consecutive failures as lock until an admin unlocks, or
	// lockout values ctitui never writes (see readLockout).
	blocked := func() string {
		return `(u.failed_logins >= ` + a.add(user.MaxConsecutiveFailures) + ` OR ` + badLockoutSQL + `)`
	}
	switch f.Status {
	case user.Active:
		conds = append(conds, `u.disabled_at IS NULL AND (u.locked_until IS NULL OR u.locked_until <= `+a.add(now)+`) AND NOT `+blocked())
	case user.Disabled:
		conds = append(conds, `u.disabled_at IS NOT NULL`)
	case user.Locked:
		conds = append(conds, `u.disabled_at IS NULL AND (u.locked_until > `+a.add(now)+` OR `+blocked()+`)`)
	case user.Blocked:
		conds = append(conds, `u.disabled_at IS NULL AND `+blocked())
	}
	if term := user.NormalizeEmail(f.Search); term != "" {
		if !storable(term) {
			return nil, false
		}
		conds = append(conds, `u.email_normalized ILIKE `+a.add(likePattern(term))+` ESCAPE '\'`)
	}
	return conds, true
}

// likePattern is the LIKE pattern that finds s anywhere in a text.
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// auditEmailCandidates keeps the audit entries whose email may normalise to
// a given address ($n), and drops none that NormalizeEmail would keep: an
// ASCII email without punycode normalises to itself trimmed and lower-cased,
// which SQL compares, and every other email (one with a character that is
// not ASCII, or punycode) is left for Go to normalise.
const auditEmailCandidates = `(lower(btrim(user_email, E' \t\n\v\f\r') COLLATE "C") = %s
	OR user_email COLLATE "C" ~ '[^\x01-\x7f]'
	OR user_email ILIKE '%%xn--%%')`

// deletedWithEmail finds the users deleted with an email normalised as
// normalized, by their delete entries, and the entries that record that
// email without naming any user (written by other tools). The log is read
// once, and Go normalises only the emails SQL cannot rule out.
func (s *Store) deletedWithEmail(ctx context.Context, normalized string) (users []string, entries []int64, err error) {
	var a args
	query := `SELECT id, COALESCE(user_id, ''), user_email FROM audit_log
		WHERE (action = ` + a.add(string(user.ActionDelete)) + ` OR COALESCE(user_id, '') = '') AND ` + fmt.Sprintf(auditEmailCandidates, a.add(normalized))
	rows, err := s.pool.Query(ctx, query, a...)
	if err != nil {
		return nil, nil, fmt.Errorf("list audit: %w", translate(err))
	}
	defer rows.Close()
	users, entries = []string{}, []int64{}
	seen := map[string]bool{}
	for rows.Next() {
		var (
			entry     int64
			id, email string
		)
		if err := rows.Scan(&entry, &id, &email); err != nil {
			return nil, nil, fmt.Errorf("list audit: %w", translate(err))
		}
		switch {
		case user.NormalizeEmail(email) != normalized:
		case id == "":
			entries = append(entries, entry)
		case !seen[id]:
			seen[id] = true
			users = append(users, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list audit: %w", translate(err))
	}
	return users, entries, nil
}

// ListAudit implements user.Store.
func (s *Store) ListAudit(ctx context.Context, f user.AuditFilter, fn func(user.AuditEntry) error) error {
	var (
		conds []string
		a     args
	)
	if f.UserID != "" {
		if !storable(f.UserID) {
			return nil
		}
		conds = append(conds, `user_id = `+a.add(f.UserID))
	}
	if f.Email != "" {
		normalized := user.NormalizeEmail(f.Email)
		if !storable(normalized) {
			return nil
		}
		deleted, entries, err := s.deletedWithEmail(ctx, normalized)
		if err != nil {
			return err
		}
		conds = append(conds, fmt.Sprintf(`(user_id IN (SELECT id FROM users WHERE email_normalized = %s)
			OR user_id = ANY(%s::text[]) OR id = ANY(%s::bigint[]))`, a.add(normalized), a.add(deleted), a.add(entries)))
	}
	if f.BeforeID > 0 {
		conds = append(conds, `id < `+a.add(f.BeforeID))
	}
	if f.AfterID > 0 {
		conds = append(conds, `id > `+a.add(f.AfterID))
	}
	if f.Search != "" {
		if !storable(f.Search) {
			return nil
		}
		p := a.add(likePattern(f.Search))
		conds = append(conds, fmt.Sprintf(`(action ILIKE %[1]s ESCAPE '\' OR actor ILIKE %[1]s ESCAPE '\' OR user_email ILIKE %[1]s ESCAPE '\' OR details ILIKE %[1]s ESCAPE '\')`, p))
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
		query += " LIMIT " + a.add(f.Limit)
	}
	rows, err := s.pool.Query(ctx, query, a...)
	if err != nil {
		return fmt.Errorf("list audit: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e  user.AuditEntry
			at pgtype.Timestamptz
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.UserID, &e.UserEmail, &e.Details); err != nil {
			return fmt.Errorf("list audit: %w", translate(err))
		}
		if e.At, err = readTime(at, true); err != nil {
			return fmt.Errorf("audit entry %d: at %w", e.ID, err)
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
