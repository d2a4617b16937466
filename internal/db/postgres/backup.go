package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db/sqlite"
)

// A backup of a PostgreSQL database is a ctitui SQLite file: one format for
// backups on both engines, which `ctitui --db FILE` opens, audit verify
// checks and restore puts back into either engine. It is read from one
// snapshot (a REPEATABLE READ, READ ONLY transaction): writers go on, and
// the copy holds every table as of one moment, the audit chain's head with
// the entries it names.

// backupStamp is the UTC time in backup names, as the SQLite engine writes it.
const backupStamp = "20060102T150405.000Z"

// DefaultBackupPath is where Backup writes when given no file: a PostgreSQL
// database has no folder of its own to write beside, and the server's data
// directory is not the user's (nor, usually, on the user's machine), so the
// copy goes to the current directory, named after the database:
// "<database>.<UTC time>.bak", as a person running `ctitui backup` in a
// directory expects to find it there.
func DefaultBackupPath(database string, now time.Time) string {
	if database == "" {
		database = "ctitui"
	}
	return fmt.Sprintf("%s.%s.bak", filepath.Base(database), now.UTC().Format(backupStamp))
}

// pgTime renders a timestamp column as the SQLite engine stores times
// (user.TimeLayout, UTC, milliseconds), whichever its type (a dashboard's
// naive timestamp is UTC, the session's time zone); a time that is no
// instant (infinity, written by another program) is the Unix epoch, as the
// store reads it (blankDisabledAt).
func pgTime(col string) string {
	return fmt.Sprintf(`CASE WHEN %[1]s IS NULL THEN NULL WHEN isfinite(%[1]s::timestamptz)
		THEN to_char(%[1]s::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
		ELSE '1970-01-01T00:00:00.000Z' END`, col)
}

// copyTable is one table of the copy: the query that reads it from the
// snapshot, the statement that writes a row of it, and its name for counts.
type copyTable struct {
	name   string
	read   string
	write  string
	counts string // counts the rows in the copy
}

// copyTables are the tables a backup copies, in the order they are written:
// roles before the links that point at them; the links before the users,
// whose role names the copy's triggers compute from them (the link's user
// key is deferred); and the links not after the users, whose updated_at the
// copy's link triggers would stamp.
var copyTables = []copyTable{
	{"settings",
		`SELECT key, value, ` + pgTime("updated_at") + ` FROM settings ORDER BY key`,
		`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`,
		`SELECT count(*) FROM settings`},
	{"roles",
		`SELECT id, name, COALESCE(description, '') FROM roles ORDER BY id`, // a dashboard's may be NULL
		`INSERT INTO roles (id, name, description) VALUES (?, ?, ?)`,
		`SELECT count(*) FROM roles`},
	{"user_roles",
		`SELECT user_id::text, role_id FROM user_roles ORDER BY 1, 2`,
		`INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)`,
		`SELECT count(*) FROM user_roles`},
	{"users",
		`SELECT id::text, email, email_normalized, hashed_password, ` + pgTime("created_at") + `, ` + pgTime("updated_at") + `, ` +
			pgTime("disabled_at") + `, ` + pgTime("last_login_at") + `, failed_logins, ` + pgTime("locked_until") +
			`, email_skeleton, role_names FROM users ORDER BY created_at, id::text`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, disabled_at, last_login_at,
			failed_logins, locked_until, email_skeleton, role_names) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`SELECT count(*) FROM users`},
	{"audit_log",
		`SELECT id, ` + pgTime("at") + `, actor, action, user_id::text, user_email, details, prev_hash, hash FROM audit_log ORDER BY id`,
		`INSERT INTO audit_log (id, at, actor, action, user_id, user_email, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`SELECT count(*) FROM audit_log`},
	{"audit_head",
		`SELECT id, last_id, last_hash FROM audit_head ORDER BY id`,
		`INSERT INTO audit_head (id, last_id, last_hash) VALUES (?, ?, ?)`,
		`SELECT count(*) FROM audit_head`},
}

// Backup implements db.Store: it writes the database, as one snapshot, to a
// new ctitui SQLite file at dst (or DefaultBackupPath in the current
// directory when dst is ""), private, built under a temporary name by the
// SQLite engine at its latest schema, checked (integrity, references, and
// each table's row count equal to the snapshot's) and only then given its
// name, never over an existing file. Users, roles, settings and the audit
// log are copied as stored: ids, hashes and the chain's head, so that audit
// verify on the copy says what it says here. It returns the file's name.
func (s *Store) Backup(ctx context.Context, dst string, now time.Time) (string, error) {
	if dst == "" {
		dst = DefaultBackupPath(s.pool.Config().ConnConfig.Database, now)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return "", fmt.Errorf("backup: %w", translate(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only: nothing to undo
	err = sqlite.WriteNew(ctx, dst, now, func(ctx context.Context, out *sql.Tx) error {
		return copySnapshot(ctx, tx, out)
	})
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return dst, nil
}

// copySnapshot writes the tables of the snapshot tx reads into out, a new
// ctitui SQLite database, row by row as they stream, replacing the rows its
// migrations made, and checks that out holds as many rows of each table as
// the snapshot.
func copySnapshot(ctx context.Context, tx pgx.Tx, out *sql.Tx) error {
	// The new file's own rows (the default roles and settings, an empty
	// chain head) give way to the database's.
	for _, t := range []string{"user_roles", "users", "roles", "settings", "audit_log", "audit_head"} {
		if _, err := out.ExecContext(ctx, `DELETE FROM `+t); err != nil { //nolint:gosec // t is one of the constant names above
			return fmt.Errorf("empty %s of the copy: %w", t, err)
		}
	}
	for _, t := range copyTables {
		n, err := copyRows(ctx, tx, out, t)
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
		var got int64
		if err := out.QueryRowContext(ctx, t.counts).Scan(&got); err != nil {
			return fmt.Errorf("count %s of the copy: %w", t.name, err)
		}
		if got != n {
			return fmt.Errorf("the copy holds %d rows of %s, the database %d", got, t.name, n)
		}
		backupCopied(t.name)
	}
	return nil
}

// backupCopied runs after each table is copied; tests write between two
// tables to check that the copy still reads one snapshot.
var backupCopied = func(table string) {}

// copyRows streams the rows of t from the snapshot into out and returns how
// many it read.
func copyRows(ctx context.Context, tx pgx.Tx, out *sql.Tx, t copyTable) (int64, error) {
	stmt, err := out.PrepareContext(ctx, t.write)
	if err != nil {
		return 0, err
	}
	defer stmt.Close() //nolint:errcheck // the transaction's outcome is what matters
	rows, err := tx.Query(ctx, t.read)
	if err != nil {
		return 0, translate(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return n, translate(err)
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, translate(err)
	}
	return n, nil
}
