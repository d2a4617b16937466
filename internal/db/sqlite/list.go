package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/user"
)

// ListUsers implements user.Store. It pages by keyset (the sort column and
// id), never OFFSET, so a window deep in a million rows costs what the first does.
func (s *Store) ListUsers(ctx context.Context, opts user.ListOptions, fn func(user.User) error) error {
	query, args, err := s.listQuery(ctx, opts)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
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

// listQuery builds the SQL of a listing and its arguments: opts' filter,
// the keyset condition from opts.After, and the email search in the plan
// that suits it, canListSearch's walk of the search index in rowid order
// or searchCondition's. Choosing the plan reads the database.
func (s *Store) listQuery(ctx context.Context, opts user.ListOptions) (string, []any, error) {
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
	term := user.NormalizeEmail(opts.Filter.Search)
	byRowid := false
	if opts.Sort == user.ByCreated && term == "" {
		var err error
		if byRowid, err = usersInOrder(ctx, s.stmts); err != nil {
			return "", nil, err
		}
	}
	switch {
	case byRowid:
		// While users_order holds, rowid order is (created_at, id) order:
		// the table itself is walked, with no index to consult for each row.
		order = "u.rowid " + dir
		if opts.After != nil {
			bound, boundArgs := rowidBound("u", descending, opts.Inclusive, opts.After)
			conds = append(conds, bound)
			args = append(args, boundArgs...)
		}
	case opts.After != nil:
		conds = append(conds, fmt.Sprintf("(%s, u.id) %s (?, ?)", col, cmp))
		args = append(args, opts.After.Key, opts.After.ID)
	}
	if term != "" {
		ordered, err := s.canListSearch(ctx, opts.Sort, term)
		if err != nil {
			return "", nil, err
		}
		if ordered {
			from, order = "FROM users_email_search s CROSS JOIN users u", "s.rowid "+dir
			conds = append(conds, `s.users_email_search MATCH ?`, `u.rowid = s.rowid`, searchLike)
			args = append(args, searchMatch(term), searchPattern(term))
			if opts.After != nil {
				bound, boundArgs := rowidBound("s", descending, opts.Inclusive, opts.After)
				conds = append(conds, bound)
				args = append(args, boundArgs...)
			}
		} else {
			cond, searchArgs, err := s.searchCondition(ctx, term)
			if err != nil {
				return "", nil, err
			}
			conds = append(conds, cond)
			args = append(args, searchArgs...)
		}
	}
	// People are shown role_names; an export, which another database
	// imports as roles to grant, reads user_roles (see userSelectColumns).
	columns := listWithoutHashColumns
	switch {
	case opts.LinkedRoles && opts.WithHashes:
		columns = userWithHashColumns
	case opts.LinkedRoles:
		columns = userWithoutHashColumns
	case opts.WithHashes:
		columns = listWithHashColumns
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
	return query, args, nil
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

// rowidBound turns a listing's keyset cursor into a bound on the rowids of
// table t (users, or the search index, whose rowids are users'), which can
// be sought to: the first row past the cursor in the listing's order is the
// rowid to stop at. A search keeps the row-value condition on (created_at,
// id) too; this only lets the index start there instead of at its end.
func rowidBound(t string, descending, inclusive bool, after *user.Cursor) (string, []any) {
	args := []any{after.Key, after.ID}
	switch {
	case descending && !inclusive:
		return t + `.rowid < COALESCE((SELECT rowid FROM users WHERE (created_at, id) >= (?, ?) ORDER BY created_at, id LIMIT 1), 9223372036854775807)`, args
	case descending:
		return t + `.rowid < COALESCE((SELECT rowid FROM users WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 1), 9223372036854775807)`, args
	case !inclusive:
		return t + `.rowid > COALESCE((SELECT rowid FROM users WHERE (created_at, id) <= (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1), -9223372036854775808)`, args
	default:
		return t + `.rowid > COALESCE((SELECT rowid FROM users WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1), -9223372036854775808)`, args
	}
}

// auditEmailCandidates keeps the audit entries whose email may normalise to
// a given address, and drops none that NormalizeEmail would keep: an ASCII
// email without punycode normalises to itself trimmed and lower-cased, which
// SQL compares (NOCASE folds ASCII letters, as strings.ToLower does on ASCII),
// and every other email (a character that is not ASCII, such as a KELVIN
// SIGN, a full-width domain or a byte that is not UTF-8, where the text's
// length in characters differs from its length in bytes; a NUL byte, which
// ends the first; punycode) is left for Go to normalise.
const auditEmailCandidates = `(trim(user_email, char(32, 9, 10, 11, 12, 13)) = ? COLLATE NOCASE
	OR length(user_email) <> length(CAST(user_email AS BLOB))
	OR user_email LIKE '%xn--%')`

// deletedWithEmail finds the users deleted with an email normalised as
// normalized, by their delete entries, and the entries that record that
// email without naming any user (written by other tools). It returns each as
// a JSON array of ids, one argument for json_each however many a file
// holds. The log is read once, by SQLite, and Go normalises only the emails
// of those entries that SQL cannot rule out: every user has entries, but
// only deleted ones have a delete entry.
func (s *Store) deletedWithEmail(ctx context.Context, normalized string) (users, entries string, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(user_id, ''), user_email FROM audit_log
		WHERE (action = ? OR COALESCE(user_id, '') = '') AND `+auditEmailCandidates, string(user.ActionDelete), normalized)
	if err != nil {
		return "", "", fmt.Errorf("list audit: %w", translate(err))
	}
	defer rows.Close()
	ids, seen, rowids := []string{}, map[string]bool{}, []int64{}
	for rows.Next() {
		var (
			rowid     int64
			id, email string
		)
		if err := rows.Scan(&rowid, &id, &email); err != nil {
			return "", "", fmt.Errorf("list audit: %w", translate(err))
		}
		switch {
		case user.NormalizeEmail(email) != normalized:
		case id == "":
			rowids = append(rowids, rowid)
		case !seen[id]:
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("list audit: %w", translate(err))
	}
	u, err := json.Marshal(ids)
	if err != nil {
		return "", "", fmt.Errorf("list audit: %w", err)
	}
	e, err := json.Marshal(rowids)
	if err != nil {
		return "", "", fmt.Errorf("list audit: %w", err)
	}
	return string(u), string(e), nil
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
	if f.Email != "" {
		normalized := user.NormalizeEmail(f.Email)
		deleted, entries, err := s.deletedWithEmail(ctx, normalized)
		if err != nil {
			return err
		}
		conds = append(conds, `(user_id IN (SELECT id FROM users WHERE email_normalized = ?)
			OR user_id IN (SELECT value FROM json_each(?))
			OR id IN (SELECT value FROM json_each(?)))`)
		args = append(args, normalized, deleted, entries)
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
		query += " WHERE " + strings.Join(conds, " AND ") //nolint:gosec // constant conditions; the values travel as arguments
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
