package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// repairFunc is a repair made inside doctor's repair transaction.
type repairFunc func(ctx context.Context, tx pgx.Tx) error

// finding is the outcome of one check, with the repair that clears it.
type finding struct {
	Check    string
	Severity user.Severity
	Message  string
	Repair   string // what --fix would do; empty when there is no safe repair
	fix      repairFunc
}

func reported(findings []finding) []user.Finding {
	out := make([]user.Finding, len(findings))
	for i, f := range findings {
		out[i] = user.Finding{Check: f.Check, Severity: f.Severity, Message: f.Message, Repair: f.Repair}
	}
	return out
}

func okFinding(check, msg string) []finding { return []finding{{Check: check, Message: msg}} }

// fullOnly names the checks a quick look leaves out: each reads every user
// row and judges it in Go or with a function call per row.
var fullOnly = []string{"emails", "role names"}

// Doctor checks the database: its schema against a reference that the
// embedded migrations build in a transaction that is rolled back (columns,
// types, nullability, defaults, collations, indexes and whether they are
// valid, constraints, triggers and whether they are enabled, ctitui's
// functions), with a dashboard's adopted tables judged by what ctitui
// needs of them; triggers and rules ctitui did not create; grants that let
// other roles read users or audit_log; a connection to another host that
// may go unencrypted; the seeded roles; the derived columns (normalised
// email and look-alike key, computed in Go; role names); the lockout
// settings; and the audit chain with its head. user.Service.Checkup judges
// the accounts.
//
// With opts.Fix it makes the safe repairs (indexes, triggers and functions
// as the migrations define them, a disabled trigger of ctitui's enabled,
// the derived columns recomputed, the roles re-seeded) in one transaction
// that holds the writer lock, after a copy of users in schema
// ctitui_backup taken in the same transaction, audited; then it checks
// again. What is not safe (a foreign trigger, a grant, a changed column)
// it only reports.
func (s *Store) Doctor(ctx context.Context, opts db.DoctorOptions) (db.DoctorReport, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Full = opts.Full || opts.Fix
	var skipped []string
	if !opts.Full {
		skipped = slices.Clone(fullOnly)
	}
	findings, err := s.diagnose(ctx, opts)
	if err != nil || !opts.Fix {
		return db.DoctorReport{Findings: reported(findings), Full: opts.Full, Skipped: skipped}, err
	}
	var repairs []finding
	for _, f := range findings {
		if f.fix != nil {
			repairs = append(repairs, f)
		}
	}
	if len(repairs) == 0 {
		return db.DoctorReport{Findings: reported(findings), Full: true}, nil
	}
	rep := db.DoctorReport{Full: true}
	var failed []finding
	err = s.writeTx(ctx, func(t *storeTx) error {
		backup, err := safetyCopy(ctx, t.tx, opts.Now)
		if err != nil {
			return err
		}
		// Repairs run with ctitui's search path, whatever the pool's
		// sessions were left with: the definitions name tables unqualified.
		if _, err := t.tx.Exec(ctx, `SET LOCAL search_path = ctitui, public`); err != nil {
			return translate(err)
		}
		var done []string
		for _, f := range repairs {
			// Each repair in a savepoint: one that the data refuses (a
			// unique index over duplicates) is left out, and said, and the
			// others are made.
			sp, err := t.tx.Begin(ctx)
			if err != nil {
				return translate(err)
			}
			if err := f.fix(ctx, sp); err != nil {
				err = translate(err)
				if errors.Is(err, db.ErrLocked) || ctx.Err() != nil {
					return fmt.Errorf("%s: %w", f.Repair, err)
				}
				if rerr := sp.Rollback(ctx); rerr != nil {
					return translate(rerr)
				}
				failed = append(failed, finding{Check: f.Check, Severity: user.SeverityProblem,
					Message: fmt.Sprintf("could not %s: %v", f.Repair, err)})
				continue
			}
			if err := sp.Commit(ctx); err != nil {
				return translate(err)
			}
			done = append(done, f.Repair)
		}
		if len(done) == 0 {
			return errNothingRepaired
		}
		if err := t.chain.append(ctx, user.AuditEntry{At: opts.Now.UTC(), Actor: opts.Actor, Action: user.ActionRepair,
			Details: strings.Join(done, "; ") + "; backup " + backup}); err != nil {
			return err
		}
		if err := t.chain.flush(ctx); err != nil {
			return err
		}
		rep.Backup, rep.Repairs = backup, done
		return nil
	})
	if err != nil && !errors.Is(err, errNothingRepaired) {
		return db.DoctorReport{Findings: reported(findings), Full: true}, fmt.Errorf("doctor: nothing was repaired: %w", err)
	}
	after, err := s.diagnose(ctx, opts)
	if err != nil {
		return rep, err
	}
	rep.Findings = reported(append(failed, after...))
	for i := range rep.Findings {
		for _, r := range repairs {
			if rep.Findings[i].Check == r.Check && rep.Findings[i].Severity == user.SeverityOK {
				rep.Findings[i].Fixed = true
			}
		}
	}
	return rep, nil
}

// errNothingRepaired ends a repair transaction in which every repair
// failed: it is rolled back, safety copy and all.
var errNothingRepaired = errors.New("no repair could be made")

// safetyCopy copies users (the only table whose rows a repair changes) into
// schema ctitui_backup, in the repair's transaction, as adoption does, and
// returns the copy's name.
func safetyCopy(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+backupSchema); err != nil {
		return "", fmt.Errorf("safety copy: %w", translate(err))
	}
	// Lower case, so that it needs no quotes in psql.
	base := "users_pre_repair_" + now.UTC().Format("20060102_150405")
	for n := 1; ; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{backupSchema, name}.Sanitize()).Scan(&taken); err != nil {
			return "", translate(err)
		}
		if taken {
			continue
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE `+pgx.Identifier{backupSchema, name}.Sanitize()+` AS TABLE users`); err != nil {
			return "", fmt.Errorf("safety copy: %w", translate(err))
		}
		return backupSchema + "." + name, nil
	}
}

func (s *Store) diagnose(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	var out []finding
	for _, check := range []struct {
		name string
		run  func(context.Context, db.DoctorOptions) ([]finding, error)
	}{
		{"schema", s.checkSchema}, {"grants", s.checkGrants}, {"connection", s.checkConnection},
		{"roles", s.checkRoles}, {"emails", s.checkEmails}, {"look-alikes", s.checkSkeletons},
		{"role names", s.checkRoleNames}, {"settings", s.checkSettings}, {"audit chain", s.checkChain},
	} {
		if !opts.Full && slices.Contains(fullOnly, check.name) {
			continue
		}
		if opts.Progress != nil {
			opts.Progress(check.name)
		}
		found, err := check.run(ctx, opts)
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, db.ErrLocked):
			return nil, fmt.Errorf("doctor: %w", err)
		case err != nil:
			// A database built to break a check must not hide the others.
			found = []finding{{Check: check.name, Severity: user.SeverityProblem, Message: fmt.Sprintf("the check could not run: %v", err)}}
		}
		out = append(out, found...)
	}
	return out, nil
}

func (s *Store) checkSchema(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	have, want, err := s.readSchemas(ctx)
	if err != nil {
		return nil, err
	}
	out := compareSchemas(have, want)
	version, err := databaseVersion(ctx, s.pool)
	if err != nil {
		return nil, translate(err)
	}
	if version != LatestVersion() {
		out = append(out, finding{Check: "schema", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("schema version %d, this ctitui migrates to %d", version, LatestVersion())})
	}
	if !slices.ContainsFunc(out, func(f finding) bool { return f.Severity == user.SeverityProblem }) {
		msg := fmt.Sprintf("schema version %d matches the embedded migrations", version)
		if u := have.tables["users"]; u != nil && u.schema != schemaName {
			msg += " (the dashboard's adopted tables have what ctitui needs)"
		}
		out = append([]finding{{Check: "schema", Message: msg}}, out...)
	}
	return out, nil
}

// checkGrants finds roles other than the tables' owners and superusers that
// may read users (password hashes), audit_log, or the safety copies in
// schema ctitui_backup: by a grant to them or to PUBLIC, on a table or a
// column, or by membership in the owner's role or in pg_read_all_data.
func (s *Store) checkGrants(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rows, err := s.pool.Query(ctx, `
		WITH t AS (
			SELECT c.oid, c.relname::text AS name, c.relowner FROM pg_class c
			WHERE c.oid IN (to_regclass('users'), to_regclass('audit_log'))
			   OR c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND c.relkind IN ('r', 'p', 'v', 'm')),
		granted AS (
			SELECT t.name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END AS who
			FROM t, LATERAL (
				SELECT (aclexplode(c.relacl)).* FROM pg_class c WHERE c.oid = t.oid
				UNION ALL
				SELECT (aclexplode(at.attacl)).* FROM pg_attribute at WHERE at.attrelid = t.oid AND at.attacl IS NOT NULL) a
			WHERE a.privilege_type = 'SELECT' AND a.grantee <> t.relowner
			  AND NOT COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.grantee), false)),
		members AS (
			SELECT t.name, r.rolname::text || ' (a member of ' ||
				CASE WHEN pg_has_role(r.oid, t.relowner, 'USAGE') THEN pg_get_userbyid(t.relowner)::text ELSE 'pg_read_all_data' END || ')' AS who
			FROM t, pg_roles r
			WHERE NOT r.rolsuper AND r.oid <> t.relowner AND r.rolname <> 'pg_read_all_data'
			  AND (pg_has_role(r.oid, t.relowner, 'USAGE')
			    OR to_regrole('pg_read_all_data') IS NOT NULL AND pg_has_role(r.oid, to_regrole('pg_read_all_data'), 'USAGE')))
		SELECT DISTINCT name, who FROM (SELECT * FROM granted UNION ALL SELECT * FROM members) g ORDER BY 1, 2`, backupSchema)
	if err != nil {
		return nil, translate(err)
	}
	var table, grantee string
	var found []string
	if _, err := pgx.ForEachRow(rows, []any{&table, &grantee}, func() error {
		found = append(found, fmt.Sprintf("%s to %s", table, grantee))
		return nil
	}); err != nil {
		return nil, translate(err)
	}
	if len(found) == 0 {
		return okFinding("grants", "only the tables' owner (and superusers) may read users, audit_log and the safety copies"), nil
	}
	return []finding{{Check: "grants", Severity: user.SeverityProblem,
		Message: "other roles may read password hashes or the audit log: SELECT on " + strings.Join(found, ", ") +
			"; take it back (REVOKE SELECT ON TABLE users FROM PUBLIC, or from the role; REVOKE the membership) unless a person decided it"}}, nil
}

// checkConnection finds a connection to another machine that may go
// without encryption: sslmode disable, allow or prefer (the default), where
// anyone on the path reads the password and the hashes.
func (s *Store) checkConnection(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	var out []finding
	// A session in replica mode fires no ordinary trigger: every rule the
	// triggers keep would be off for ctitui's writes (a role's or the
	// database's setting, ALTER ROLE ... SET session_replication_role).
	var replication string
	if err := s.pool.QueryRow(ctx, `SELECT current_setting('session_replication_role')`).Scan(&replication); err != nil {
		return nil, translate(err)
	}
	if replication != "origin" {
		out = append(out, finding{Check: "connection", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("ctitui's sessions run with session_replication_role = %s, so the triggers that keep users' columns in step do not fire: reset it (ALTER ROLE ... RESET session_replication_role, ALTER DATABASE ... RESET session_replication_role)", replication)})
	}
	enc := connectionFindings(s.pool.Config().ConnConfig)
	if len(out) > 0 && enc[0].Severity == user.SeverityOK {
		return out, nil
	}
	return append(out, enc...), nil
}

// connectionFindings judges the encryption of the connections cfg makes.
func connectionFindings(cfg *pgx.ConnConfig) []finding {
	var out []finding
	var plain []string
	check := func(host string, tls bool) {
		if !tls && !localHost(host) && !slices.Contains(plain, host) {
			plain = append(plain, host)
		}
	}
	check(cfg.Host, cfg.TLSConfig != nil)
	for _, fb := range cfg.Fallbacks {
		check(fb.Host, fb.TLSConfig != nil)
	}
	if len(plain) > 0 {
		out = append(out, finding{Check: "connection", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("the connection to %s may go unencrypted (sslmode disable, allow or prefer): passwords and hashes cross the network in clear; use sslmode=verify-full (with the server's CA in sslrootcert)",
				strings.Join(plain, ", "))})
	}
	if len(out) == 0 {
		return okFinding("connection", "the connection is encrypted, or stays on this machine")
	}
	return out
}

// localHost reports whether host is a Unix socket or this machine.
func localHost(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Store) checkRoles(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	var missing []string
	for _, r := range ctituiRoles {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1::text)`, r.name).Scan(&exists); err != nil {
			return nil, translate(err)
		}
		if !exists {
			missing = append(missing, r.name)
		}
	}
	if len(missing) == 0 {
		return okFinding("roles", "admin, analyst and viewer exist"), nil
	}
	return []finding{{Check: "roles", Severity: user.SeverityProblem, Message: "roles missing: " + strings.Join(missing, ", "),
		Repair: "re-seed the roles", fix: func(ctx context.Context, tx pgx.Tx) error {
			for _, r := range ctituiRoles {
				if _, err := tx.Exec(ctx, `INSERT INTO roles (name, description) SELECT $1::text, $2::text
					WHERE NOT EXISTS (SELECT 1 FROM roles WHERE name = $1::text)`, r.name, r.description); err != nil {
					return err
				}
			}
			return nil
		}}}, nil
}

// namesShown is how many users a finding names before "…".
const namesShown = 5

func someNames(names []string, total int) string {
	list := strings.Join(names, ", ")
	if total > len(names) {
		list += ", …"
	}
	return list
}

// checkEmails finds users whose email_normalized is not what ctitui
// computes from their email in Go: rows another program wrote (the
// dashboard folds with PostgreSQL's lower(), which keeps ß where Go's
// folding gives ss). Such a user cannot be found by its address, and a
// look-alike of it can be registered.
func (s *Store) checkEmails(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, email, email_normalized FROM users`)
	if err != nil {
		return nil, translate(err)
	}
	type stale struct{ id, email, want string }
	var found []stale
	taken := map[string]bool{}
	var id, email, normalized string
	if _, err := pgx.ForEachRow(rows, []any{&id, &email, &normalized}, func() error {
		taken[normalized] = true
		if want := user.NormalizeEmail(email); want != normalized {
			found = append(found, stale{id, email, want})
		}
		return nil
	}); err != nil {
		return nil, translate(err)
	}
	if len(found) == 0 {
		return okFinding("emails", "every normalised email is what ctitui computes from its address"), nil
	}
	var out []finding
	var fixable []stale
	for _, f := range found {
		if taken[f.want] {
			out = append(out, finding{Check: "emails", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("user %s: %q is the same address as another user's once normalised; change one of them", shellWord(f.id), f.email)})
			continue
		}
		fixable = append(fixable, f)
	}
	if len(fixable) > 0 {
		var names []string
		for _, f := range fixable[:min(len(fixable), namesShown)] {
			names = append(names, fmt.Sprintf("%q (ctitui normalises it to %q)", f.email, f.want))
		}
		out = append(out, finding{Check: "emails", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%d users' normalised email is not what ctitui computes from their address (written by another program?): %s; they cannot log in or be found by it",
				len(fixable), someNames(names, len(fixable))),
			Repair: "recompute the normalised emails",
			fix: func(ctx context.Context, tx pgx.Tx) error {
				ids, emails, wants := make([]string, len(fixable)), make([]string, len(fixable)), make([]string, len(fixable))
				for i, f := range fixable {
					ids[i], emails[i], wants[i] = f.id, f.email, f.want
				}
				// Only rows still as they were read: another writer may have
				// changed one since.
				_, err := tx.Exec(ctx, `UPDATE users u SET email_normalized = v.n
					FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, email, n) WHERE u.id::text = v.id AND u.email = v.email`, ids, emails, wants)
				return err
			}})
	}
	return out, nil
}

// checkSkeletons finds look-alike keys that are not what ctitui computes
// (a full run: every row's key computed in Go) and, in a quick look too,
// rows that have none yet, which ctitui records at its next registration.
func (s *Store) checkSkeletons(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	var out []finding
	var missing int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE email_skeleton IS NULL`).Scan(&missing); err != nil {
		return nil, translate(err)
	}
	var wrongIDs, wrongEmails []string
	if opts.Full {
		rows, err := s.pool.Query(ctx, `SELECT id::text, email, email_skeleton FROM users WHERE email_skeleton IS NOT NULL`)
		if err != nil {
			return nil, translate(err)
		}
		var id, email, skeleton string
		if _, err := pgx.ForEachRow(rows, []any{&id, &email, &skeleton}, func() error {
			if user.EmailSkeleton(email) != skeleton {
				wrongIDs, wrongEmails = append(wrongIDs, id), append(wrongEmails, email)
			}
			return nil
		}); err != nil {
			return nil, translate(err)
		}
	}
	fill := func(ctx context.Context, tx pgx.Tx) error {
		if len(wrongIDs) > 0 {
			skeletons := make([]string, len(wrongIDs))
			for i, e := range wrongEmails {
				skeletons[i] = user.EmailSkeleton(e)
			}
			if _, err := tx.Exec(ctx, `UPDATE users u SET email_skeleton = v.k
				FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, email, k) WHERE u.id::text = v.id AND u.email = v.email`,
				wrongIDs, wrongEmails, skeletons); err != nil {
				return err
			}
		}
		return fillSkeletons(ctx, tx)
	}
	if len(wrongIDs) > 0 {
		shown := make([]string, 0, namesShown)
		for _, e := range wrongEmails[:min(len(wrongEmails), namesShown)] {
			shown = append(shown, fmt.Sprintf("%q", e))
		}
		out = append(out, finding{Check: "look-alikes", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%d users' look-alike key is not what ctitui computes from their address (written by another program?): %s; a look-alike of them can be registered",
				len(wrongIDs), someNames(shown, len(wrongIDs))),
			Repair: "recompute the look-alike keys", fix: fill})
	}
	if missing > 0 {
		f := finding{Check: "look-alikes", Severity: user.SeverityInfo,
			Message: fmt.Sprintf("%d users written by another program have no look-alike key yet; ctitui records them before its next registration", missing)}
		if len(wrongIDs) == 0 {
			f.Repair, f.fix = "record the missing look-alike keys", fill
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		msg := "every user has a look-alike key"
		if opts.Full {
			msg = "every user's look-alike key is what ctitui computes from the address"
		}
		return okFinding("look-alikes", msg), nil
	}
	return out, nil
}

// checkRoleNames compares users.role_names, which listings show, with the
// roles the links give (role_names_of, as the triggers compute it).
func (s *Store) checkRoleNames(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rows, err := s.pool.Query(ctx, `SELECT email, role_names, role_names_of(id) FROM users WHERE role_names IS DISTINCT FROM role_names_of(id) ORDER BY email COLLATE "C"`)
	if err != nil {
		return nil, translate(err)
	}
	var email, have, want string
	var names []string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&email, &have, &want}, func() error {
		if n++; n <= namesShown {
			names = append(names, fmt.Sprintf("%q shows %q, has %q", email, have, want))
		}
		return nil
	}); err != nil {
		return nil, translate(err)
	}
	if n == 0 {
		return okFinding("role names", "every user's role names match their roles"), nil
	}
	return []finding{{Check: "role names", Severity: user.SeverityProblem,
		Message: fmt.Sprintf("%d users' role names, which listings show, are not their roles (written while a trigger was off?): %s", n, someNames(names, n)),
		Repair:  "recompute the role names",
		fix: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE users SET role_names = role_names_of(id) WHERE role_names IS DISTINCT FROM role_names_of(id)`)
			return err
		}}}, nil
}

// checkSettings compares the stored lockout settings with the policy
// ctitui applies: lockoutPolicy falls back to the default for settings it
// cannot use, so that a broken one never unlocks everyone, but the default
// may be a weaker lockout than the one the admin set.
func (s *Store) checkSettings(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	applied, err := lockoutPolicy(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM settings WHERE key IN ($1, $2)`, lockoutThresholdKey, lockoutMinutesKey)
	if err != nil {
		return nil, translate(err)
	}
	stored := map[string]string{}
	var key, value string
	if _, err := pgx.ForEachRow(rows, []any{&key, &value}, func() error { stored[key] = value; return nil }); err != nil {
		return nil, translate(err)
	}
	minutes := int(applied.Duration / time.Minute)
	var unused []string
	for _, w := range []struct {
		key   string
		value int
	}{{lockoutThresholdKey, applied.Threshold}, {lockoutMinutesKey, minutes}} {
		v, found := stored[w.key]
		n, err := strconv.Atoi(v)
		switch {
		case !found:
			unused = append(unused, w.key+" is missing")
		case err != nil || n != w.value:
			unused = append(unused, fmt.Sprintf("%s is %q", w.key, v))
		}
	}
	if len(unused) == 0 {
		return okFinding("settings", fmt.Sprintf("lockout: %d failed logins / %d minutes, as stored", applied.Threshold, minutes)), nil
	}
	return []finding{{Check: "settings", Severity: user.SeverityProblem,
		Message: fmt.Sprintf("lockout settings ctitui cannot use (set outside ctitui?): %s; it applies %d failed logins / %d minutes instead, which may be a weaker lockout than was set. 'ctitui settings --lockout-threshold N --lockout-minutes M' stores others",
			strings.Join(unused, ", "), applied.Threshold, minutes),
		Repair: fmt.Sprintf("store the lockout settings ctitui applies (%d failed logins / %d minutes)", applied.Threshold, minutes),
		fix: func(ctx context.Context, tx pgx.Tx) error {
			return (&storeTx{tx: tx}).SetLockoutPolicy(ctx, applied, opts.Now)
		}}}, nil
}

// checkChain verifies the audit chain as 'ctitui audit verify' does
// (VerifyAuditChain: every entry, and the log's end against its head and
// seal records).
func (s *Store) checkChain(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rep, err := s.VerifyAuditChain(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case rep.OK() && len(rep.Restarts) > 0:
		return []finding{{Check: "audit chain", Severity: user.SeverityInfo, Message: rep.String()}}, nil
	case rep.OK():
		return okFinding("audit chain", rep.String()), nil
	}
	return []finding{{Check: "audit chain", Severity: user.SeverityProblem, Message: rep.String()}}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
