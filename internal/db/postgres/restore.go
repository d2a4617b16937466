package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// Restore puts a ctitui SQLite file into a PostgreSQL database: a backup of
// either engine, or a workstation's database moving to a server. The file
// may be hostile. The SQLite engine checks it and refuses what its own
// restore refuses, then makes a private copy at the latest schema
// (sqlite.CopyForRestore); only that copy is read, and only as data.
//
// The change is one transaction that holds the writer lock from its first
// statement: a safety copy of ctitui's tables in schema ctitui_backup, the
// users, roles, links, settings and audit log replaced by the file's (the
// audit log's ids and hashes verbatim, so the chain verifies as it did in
// the file), a restore entry appended to it. Any failure, the last step's
// included, leaves the database as it was.
//
// Users are replaced in place, not deleted and inserted again: other
// programs' tables may point at them (an adopted dashboard's), and their
// rows must not go with a cascade. A restore that would remove a user some
// other table points at is refused.

// RestoreReport says what Restore did.
type RestoreReport struct {
	From string // the file restored
	// Backup lists the tables of the safety copy, in schema ctitui_backup.
	Backup []string
	// Migrated lists the migrations applied to the copy of the file.
	Migrated []int64
	// Dropped lists the file's triggers and views left out
	// (DropUnknownObjects).
	Dropped []string
	Users   int64 // users restored
	Entries int64 // audit entries restored, before the restore's own
}

// beforeRestoreCommit runs just before a restore commits; tests make it
// fail to check that nothing is left of the restore.
var beforeRestoreCommit = func(context.Context, pgx.Tx) error { return nil }

// restoredTables are ctitui's tables a restore replaces, in the order of
// the safety copy.
var restoredTables = []string{"users", "roles", "user_roles", "settings", "audit_log", "audit_head"}

// Restore replaces ctitui's data in the PostgreSQL database connString
// names with the ctitui SQLite file src (see above) and returns the store,
// open on it. A file whose audit chain does not verify is refused: restore
// it to a SQLite file first, where doctor and audit restart-chain can look
// at it.
func Restore(ctx context.Context, connString, src string, opts db.Options) (*Store, RestoreReport, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := opts.Now().UTC()
	opts.Now = func() time.Time { return now }
	rep := RestoreReport{From: src}
	dir, err := os.MkdirTemp("", "ctitui-restore-")
	if err != nil {
		return nil, rep, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a private temporary copy; the restore's outcome is what matters
	copyPath := filepath.Join(dir, "source.db")
	srep, err := sqlite.CopyForRestore(ctx, src, copyPath, opts)
	if err != nil {
		return nil, rep, fmt.Errorf("%w (the database was not changed)", err)
	}
	rep.Migrated, rep.Dropped = srep.Migrated, srep.Dropped
	if err := checkSourceChain(ctx, src, copyPath); err != nil {
		return nil, rep, err
	}
	s, err := Open(ctx, connString, Options{})
	if err != nil {
		return nil, rep, err
	}
	in, err := sql.Open("sqlite", sqlite.ReadOnlyDSN(copyPath))
	if err != nil {
		s.Close() //nolint:errcheck // err is the failure to report
		return nil, rep, err
	}
	defer in.Close() //nolint:errcheck // only read: a failed close loses nothing
	err = s.writeTx(ctx, func(t *storeTx) error { return restoreInto(ctx, t, in, now, opts.Actor, &rep) })
	if err != nil {
		s.Close() //nolint:errcheck // err is the failure to report
		return nil, rep, fmt.Errorf("restore from %s: %w (the database was not changed)", src, err)
	}
	return s, rep, nil
}

// checkSourceChain refuses a file whose audit chain does not verify: its
// entries go over verbatim, and a restore must not make a broken log look
// like the server's own.
func checkSourceChain(ctx context.Context, src, copyPath string) error {
	f, err := sqlite.OpenReadOnly(ctx, copyPath, db.Options{})
	if err != nil {
		return fmt.Errorf("restore from %s: %w (the database was not changed)", src, err)
	}
	defer f.Close() //nolint:errcheck // only read
	chain, err := f.VerifyAuditChain(ctx)
	if err != nil {
		return fmt.Errorf("restore from %s: verify its audit chain: %w (the database was not changed)", src, err)
	}
	if !chain.OK() {
		return fmt.Errorf("restore from %s: its audit log does not verify (%s); the database was not changed: look at it with ctitui --db FILE audit verify", src, oneLine(chain.String()))
	}
	return nil
}

// oneLine joins the lines of s.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// stagingTables are the temporary tables a restore reads the file into
// (dropped at commit), with the query that reads each from the file. Times
// stay text until they are written, so that they can be compared with what
// PostgreSQL reads them as.
var stagingTables = []struct {
	name, columns, read string
}{
	{"restore_users", `id text, email text, email_normalized text, hashed_password text, created_at text, updated_at text,
		disabled_at text, last_login_at text, failed_logins bigint, locked_until text, email_skeleton text`,
		`SELECT id, email, email_normalized, hashed_password, created_at, updated_at, disabled_at, last_login_at,
		failed_logins, locked_until, email_skeleton FROM users`},
	{"restore_roles", `id bigint, name text, description text`, `SELECT id, name, description FROM roles`},
	{"restore_links", `user_id text, role_id bigint`, `SELECT user_id, role_id FROM user_roles`},
	{"restore_settings", `key text, value text, updated_at text`, `SELECT key, value, updated_at FROM settings`},
	{"restore_audit", `id bigint, at text, actor text, action text, user_id text, user_email text, details text, prev_hash text, hash text`,
		`SELECT id, at, actor, action, user_id, user_email, details, prev_hash, hash FROM audit_log`},
	{"restore_head", `id bigint, last_id bigint, last_hash text`, `SELECT id, last_id, last_hash FROM audit_head`},
}

// restoreInto is Restore's transaction.
func restoreInto(ctx context.Context, t *storeTx, in *sql.DB, now time.Time, actor string, rep *RestoreReport) error {
	tx := t.tx
	counts := map[string]int64{}
	for _, st := range stagingTables {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+st.name+` (`+st.columns+`) ON COMMIT DROP`); err != nil {
			return translate(err)
		}
		n, err := stage(ctx, tx, in, st.name, st.read)
		if err != nil {
			return fmt.Errorf("read %s: %w", st.name, err)
		}
		counts[st.name] = n
	}
	rep.Users, rep.Entries = counts["restore_users"], counts["restore_audit"]
	if err := checkStagedTimes(ctx, tx); err != nil {
		return err
	}
	if err := checkReferences(ctx, tx); err != nil {
		return err
	}
	// The safety copy, in this transaction: it exists if and only if the
	// restore happened.
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+backupSchema); err != nil {
		return translate(err)
	}
	stamp := strings.ToLower(now.UTC().Format("20060102t150405.000z"))
	stamp = strings.ReplaceAll(stamp, ".", "")
	for _, name := range restoredTables {
		copyName := pgx.Identifier{backupSchema, name + "_pre_restore_" + stamp}
		if _, err := tx.Exec(ctx, `CREATE TABLE `+copyName.Sanitize()+` AS TABLE `+name); err != nil {
			return fmt.Errorf("safety copy of %s: %w", name, translate(err))
		}
		rep.Backup = append(rep.Backup, backupSchema+"."+name+"_pre_restore_"+stamp)
	}
	if err := replaceRows(ctx, tx); err != nil {
		return err
	}
	if err := checkRestoredCounts(ctx, tx, counts); err != nil {
		return err
	}
	details := fmt.Sprintf("restored from %s (%d users, %d audit entries); the data it replaced is kept in %s",
		rep.From, rep.Users, rep.Entries, strings.Join(rep.Backup, ", "))
	if err := t.chain.append(ctx, user.AuditEntry{At: now, Actor: actor, Action: user.ActionRestore, Details: details}); err != nil {
		return err
	}
	if err := t.chain.flush(ctx); err != nil {
		return err
	}
	return beforeRestoreCommit(ctx, tx)
}

// stage streams the rows that read returns from the file into the
// temporary table name and returns how many there were.
func stage(ctx context.Context, tx pgx.Tx, in *sql.DB, name, read string) (int64, error) {
	rows, err := in.QueryContext(ctx, read)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	src := &sqlRowsSource{rows: rows, vals: make([]any, len(cols))}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{name}, cols, src)
	if err != nil {
		return n, translate(err)
	}
	return n, rows.Err()
}

// sqlRowsSource is a pgx.CopyFromSource over rows of the file.
type sqlRowsSource struct {
	rows *sql.Rows
	vals []any
	err  error
}

func (s *sqlRowsSource) Next() bool { return s.err == nil && s.rows.Next() }

func (s *sqlRowsSource) Values() ([]any, error) {
	ptrs := make([]any, len(s.vals))
	for i := range s.vals {
		ptrs[i] = &s.vals[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		s.err = err
		return nil, err
	}
	return s.vals, nil
}

func (s *sqlRowsSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// canonicalTime is how PostgreSQL writes a time as the chain hashes it.
const canonicalTime = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

// checkStagedTimes refuses a file whose audit times PostgreSQL would read
// as another text than the file's: the chain hashes the text, and the
// restored entries would no longer verify.
func checkStagedTimes(ctx context.Context, tx pgx.Tx) error {
	var id int64
	var at string
	err := tx.QueryRow(ctx, `SELECT id, at FROM restore_audit
		WHERE to_char(at::timestamptz AT TIME ZONE 'UTC', `+canonicalTime+`) IS DISTINCT FROM at ORDER BY id LIMIT 1`).Scan(&id, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("read the file's audit times: %w", translate(err))
	}
	return fmt.Errorf("audit entry #%d's time %q is not in the form ctitui writes", id, at)
}

// checkReferences refuses a restore that would remove a user another
// table points at: its rows would go with it (ON DELETE CASCADE) or stop
// the restore halfway. ctitui's own links are replaced with the file's.
func checkReferences(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT c.conrelid::regclass::text, a.attname
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND c.conrelid <> 'user_roles'::regclass
		  AND cardinality(c.conkey) = 1
		ORDER BY 1, 2`)
	if err != nil {
		return translate(err)
	}
	type ref struct{ Table, Column string }
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ref])
	if err != nil {
		return translate(err)
	}
	for _, r := range refs {
		col := pgx.Identifier{r.Column}.Sanitize()
		// r.Table is regclass's text: already quoted where it must be.
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+r.Table+` t WHERE t.`+col+` IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM restore_users s WHERE s.id = t.`+col+`::text)`).Scan(&n); err != nil {
			return translate(err)
		}
		if n > 0 {
			return fmt.Errorf("%d rows of table %s point at users the file does not hold, and would be deleted with them", n, r.Table)
		}
	}
	return nil
}

// replaceRows replaces ctitui's rows with the staged ones. Users another
// table points at stay the same rows, updated in place.
func replaceRows(ctx context.Context, tx pgx.Tx) error {
	var idType, roleIDType string
	if err := tx.QueryRow(ctx, `SELECT
		(SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id'),
		(SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'roles'::regclass AND attname = 'id')`).Scan(&idType, &roleIDType); err != nil {
		return translate(err)
	}
	ts := func(col string) string { return col + `::timestamptz` }
	steps := []struct{ what, sql string }{
		{"remove the links", `DELETE FROM user_roles`},
		{"remove the roles", `DELETE FROM roles`},
		{"write the roles", `INSERT INTO roles (id, name, description) SELECT id::` + roleIDType + `, name, description FROM restore_roles`},
		{"remove the users the file does not hold", `DELETE FROM users u WHERE NOT EXISTS (SELECT 1 FROM restore_users s WHERE s.id = u.id::text)`},
		// Two users may trade addresses: clear them first, as a unique
		// index is checked row by row.
		{"clear the kept users' addresses", `UPDATE users u SET email = 'restoring:' || u.id::text, email_normalized = 'restoring:' || u.id::text`},
		{"write the kept users", `UPDATE users u SET email = s.email, email_normalized = s.email_normalized,
			hashed_password = s.hashed_password, created_at = ` + ts("s.created_at") + `, updated_at = ` + ts("s.updated_at") + `,
			disabled_at = ` + ts("s.disabled_at") + `, last_login_at = ` + ts("s.last_login_at") + `,
			failed_logins = s.failed_logins, locked_until = ` + ts("s.locked_until") + `, email_skeleton = s.email_skeleton
			FROM restore_users s WHERE s.id = u.id::text`},
		{"write the new users", `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at,
			disabled_at, last_login_at, failed_logins, locked_until, email_skeleton)
			SELECT s.id::` + idType + `, s.email, s.email_normalized, s.hashed_password, ` + ts("s.created_at") + `, ` + ts("s.updated_at") + `,
			` + ts("s.disabled_at") + `, ` + ts("s.last_login_at") + `, s.failed_logins, ` + ts("s.locked_until") + `, s.email_skeleton
			FROM restore_users s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id::text = s.id)`},
		{"write the links", `INSERT INTO user_roles (user_id, role_id) SELECT user_id::` + idType + `, role_id::` + roleIDType + ` FROM restore_links`},
		{"write the settings", `DELETE FROM settings`},
		{"write the settings", `INSERT INTO settings (key, value, updated_at) SELECT key, value, ` + ts("updated_at") + ` FROM restore_settings`},
		{"write the audit log", `DELETE FROM audit_log`},
		{"write the audit log", `INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash)
			SELECT id, ` + ts("at") + `, actor, action, user_id, user_email, details, prev_hash, hash FROM restore_audit`},
		{"write the audit head", `DELETE FROM audit_head`},
		{"write the audit head", `INSERT INTO audit_head (id, last_id, last_hash) SELECT id, last_id, last_hash FROM restore_head`},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql); err != nil {
			return fmt.Errorf("%s: %w", st.what, translate(err))
		}
	}
	if roleIDType != "bigint" && roleIDType != "integer" {
		return nil
	}
	// New roles take ids after the file's.
	if _, err := tx.Exec(ctx, `SELECT setval(seq, GREATEST((SELECT max(id) FROM roles), 1))
		FROM (SELECT pg_get_serial_sequence('roles', 'id') AS seq) AS s WHERE seq IS NOT NULL`); err != nil {
		return fmt.Errorf("move the roles' ids on: %w", translate(err))
	}
	return nil
}

// checkRestoredCounts checks that each table holds as many rows as the file.
func checkRestoredCounts(ctx context.Context, tx pgx.Tx, staged map[string]int64) error {
	for _, c := range []struct{ table, staging string }{
		{"users", "restore_users"}, {"roles", "restore_roles"}, {"user_roles", "restore_links"},
		{"settings", "restore_settings"}, {"audit_log", "restore_audit"}, {"audit_head", "restore_head"},
	} {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
			return translate(err)
		}
		if n != staged[c.staging] {
			return fmt.Errorf("%s holds %d rows after the restore, the file %d", c.table, n, staged[c.staging])
		}
	}
	return nil
}
