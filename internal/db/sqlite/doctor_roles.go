package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// roleNamesOf is the SQL expression of the role names user_roles gives the
// user whose id is %s, as users.role_names holds them (migration 11): most
// privileged first, joined by commas, empty for none. Only plain names
// count (see userSelectColumns). The migration's triggers
// repeat it word for word (a test holds them to that).
const roleNamesOf = `COALESCE((SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = %s AND r.name <> '' AND r.name NOT GLOB '*[^a-z0-9_-]*' AND length(CAST(r.name AS BLOB)) = length(r.name) ORDER BY CASE r.name WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'viewer' THEN 2 ELSE 3 END, r.name)), '')`

// wrongRoleNames is the condition on users u whose role_names differs from
// what user_roles says.
var wrongRoleNames = `u.role_names IS NOT ` + fmt.Sprintf(roleNamesOf, "u.id")

// wrongRoleNamesShown bounds the users a finding names.
const wrongRoleNamesShown = 5

// rowQueryer is what *sql.DB, *sql.Tx and *sql.Conn offer for one row.
type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CountWrongRoleNames counts the users whose role_names (migration 11)
// differs from their roles in user_roles. Tools that write ctitui files in
// bulk (cmd/benchdb) check their work with it.
func CountWrongRoleNames(ctx context.Context, q rowQueryer) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM users u WHERE `+wrongRoleNames).Scan(&n); err != nil {
		return 0, fmt.Errorf("compare role names: %w", translate(err))
	}
	return n, nil
}

// checkRoleNames compares each user's role_names, which listings show, with
// the user's roles in user_roles, which the schema's triggers keep it equal
// to. They differ only in a file written with those triggers missing or
// switched off (or by hand, with writable_schema): the listings then show
// roles the user does not have, or miss ones it has. Nothing that decides
// reads the column (see userSelectColumns), so it is a problem of what
// people are shown, which --fix recomputes from user_roles.
func (s *Store) checkRoleNames(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	cols, err := tableColumns(ctx, s.db, "users")
	if err != nil {
		return nil, err
	}
	if !hasColumn(cols, "role_names") {
		return nil, nil // reported by the schema check
	}
	n, err := CountWrongRoleNames(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return okFinding("role names", "every user's role_names matches user_roles"), nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT u.id FROM users u WHERE `+wrongRoleNames+` ORDER BY u.id LIMIT ?`, wrongRoleNamesShown) //nolint:gosec // G202: wrongRoleNames is built from constants only
	if err != nil {
		return nil, translate(err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		ids[i] = shellQuote(id)
	}
	named := strings.Join(ids, ", ")
	if n > len(ids) {
		named += ", ..."
	}
	return []finding{{Check: "role names", Severity: user.SeverityProblem,
		Message: fmt.Sprintf("%s role_names that differ from their roles in user_roles (%s; written with the schema's triggers off?): listings show them with the wrong roles, while logins and role changes go by user_roles",
			plural(n, "user has", "users have"), named),
		Repair: "recompute role_names of " + plural(n, "user", "users") + " from user_roles",
		fix: func(ctx context.Context, tx *sql.Tx) error {
			_, err := refreshRoleNames(ctx, tx)
			return err
		}}}, nil
}

// refreshRoleNames sets role_names from user_roles wherever they differ and
// returns how many users it changed. Restore and adoption run it on the
// file they build, whose column came from elsewhere.
func refreshRoleNames(ctx context.Context, q queryer) (int64, error) {
	res, err := q.ExecContext(ctx, `UPDATE users AS u SET role_names = `+fmt.Sprintf(roleNamesOf, "u.id")+` WHERE `+wrongRoleNames)
	if err != nil {
		return 0, fmt.Errorf("recompute role names: %w", translate(err))
	}
	return res.RowsAffected()
}

// refreshRoleNames sets role_names from user_roles wherever they differ, in
// one transaction.
func (s *Store) refreshRoleNames(ctx context.Context) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := refreshRoleNames(ctx, tx)
		return err
	})
}
