package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// finding is the outcome of one check, with the repair that clears it.
type finding struct {
	Check    string
	Severity user.Severity
	Message  string
	Repair   string // names what --fix would do; empty when there is no safe repair

	fix func(ctx context.Context, tx *sql.Tx) error // a repair inside the repair transaction
	fs  func() error                                // a repair of the file system
}

// reported turns findings into what the report shows.
func reported(findings []finding) []user.Finding {
	out := make([]user.Finding, len(findings))
	for i, f := range findings {
		out[i] = user.Finding{Check: f.Check, Severity: f.Severity, Message: f.Message, Repair: f.Repair}
	}
	return out
}

// fullOnly names the checks that a quick run leaves out, in the order
// doctor runs them: each judges every user row in Go or with costly SQL
// (the emails recomputed, each row's role names, each row's counts and
// times), seconds at a million users. What they look for, ctitui's reads also refuse or fail
// closed on (readLockout): a full run is for finding it, not for safety.
var fullOnly = []string{"emails", "role names", "user values"}

// fullIntegrity names, among the checks a quick look leaves out, the part
// of the integrity check that only --full makes: every index's entries
// compared with its table's rows, the search index's own check, unused
// pages.
const fullIntegrity = "integrity in full (index entries against their rows)"

// Doctor checks the storage: SQLite's integrity and foreign keys; the
// schema against what the embedded migrations create, exactly, foreign
// triggers and views included, and its version; the columns derived from
// each email (the normalised form, which no two users may share, and the
// look-alike key) and look-alike pairs; the search index; the users' rowid
// order; the permissions of the database, its -wal, -shm and lock files,
// its directory and its backups, and symbolic links planted among them;
// the seeded roles; and the audit chain. (user.Service.Checkup judges the
// accounts.) With Fix it writes a backup, then makes only safe repairs
// (permissions, missing indexes, triggers and columns, the derived
// columns, the search index, the rowid order, the roles), audited, and
// checks again. Foreign triggers and views it only reports: Open removes
// them, after a backup, when db.Options.DropUnknownObjects asks it to.
//
// Without opts.Full (or Fix) the look is quick: SQLite's quick_check of
// each table instead of integrity_check, the search index counted instead
// of compared, recorded look-alike keys trusted, and the normalised emails
// and each row's counts and times not judged (db.DoctorReport.Skipped names
// what was left out).
func (s *Store) Doctor(ctx context.Context, opts db.DoctorOptions) (db.DoctorReport, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	// A repair must see what it repairs: a quick look cannot tell a stale
	// derived column or search index from a good one.
	opts.Full = opts.Full || opts.Fix
	var skipped []string
	if !opts.Full {
		// The integrity check runs, but SQLite's quick check does not
		// compare an index's entries with its rows (a stale index can
		// answer a query with rows the table no longer holds): say so.
		skipped = append([]string{fullIntegrity}, fullOnly...)
	}
	findings, err := s.diagnose(ctx, opts)
	if err != nil || !opts.Fix {
		return db.DoctorReport{Findings: reported(findings), Full: opts.Full, Skipped: skipped}, err
	}
	rep := db.DoctorReport{Full: true}
	var repairs []finding
	for _, f := range findings {
		if f.fix != nil || f.fs != nil {
			repairs = append(repairs, f)
		}
	}
	if len(repairs) == 0 {
		return db.DoctorReport{Findings: reported(findings), Full: true}, nil
	}
	rep.Backup, err = s.safetyBackup(ctx, "pre-repair", opts.Now)
	if err != nil {
		return rep, fmt.Errorf("doctor: %w", err)
	}
	for _, f := range repairs {
		if f.fs != nil {
			if err := f.fs(); err != nil {
				return rep, fmt.Errorf("doctor: %s: %w", f.Repair, err)
			}
			rep.Repairs = append(rep.Repairs, f.Repair)
		}
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		done := slices.Clone(rep.Repairs) // the file-system ones, made above
		for _, f := range repairs {
			if f.fix == nil {
				continue
			}
			if err := f.fix(ctx, tx); err != nil {
				return fmt.Errorf("%s: %w", f.Repair, translate(err))
			}
			done = append(done, f.Repair)
		}
		rep.Repairs = done
		return appendAudit(ctx, tx, user.AuditEntry{At: opts.Now.UTC(), Actor: opts.Actor, Action: user.ActionRepair,
			Details: strings.Join(done, "; ") + "; backup " + rep.Backup})
	})
	if err != nil {
		return rep, fmt.Errorf("doctor: %w", err)
	}
	after, err := s.diagnose(ctx, opts)
	if err != nil {
		return rep, err
	}
	rep.Findings = reported(after)
	for i := range rep.Findings {
		for _, r := range repairs {
			if rep.Findings[i].Check == r.Check && rep.Findings[i].Severity == user.SeverityOK {
				rep.Findings[i].Fixed = true
			}
		}
	}
	return rep, nil
}

func (s *Store) diagnose(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	var out []finding
	for _, check := range []struct {
		name string
		run  func(context.Context, db.DoctorOptions) ([]finding, error)
	}{
		{"integrity", s.checkIntegrity}, {"foreign keys", s.checkForeignKeys}, {"schema", s.checkSchema}, {"emails", s.checkEmails},
		{"look-alikes", s.checkLookAlikes}, {"search index", s.checkSearchIndex}, {"users order", s.checkUsersOrder},
		{"permissions", s.checkPermissions}, {"roles", s.checkRoles}, {"role names", s.checkRoleNames}, {"user values", s.checkUserValues}, {"settings", s.checkSettings},
		{"audit chain", s.checkChain},
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
		case errors.Is(err, db.ErrCorrupt) || errors.Is(err, ErrNotDatabase):
			// A damaged file is what doctor is for: say which checks its
			// damage stopped, and go on with the rest.
			found = []finding{{Check: "integrity", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("a check could not read the database (%v): restore a backup with 'ctitui restore'", err)}}
		case err != nil:
			// So can a file built to break a check (a search index
			// defined otherwise fails every statement that reads it).
			found = []finding{{Check: check.name, Severity: user.SeverityProblem, Message: fmt.Sprintf("the check could not run: %v", err)}}
		}
		out = append(out, found...)
	}
	return out, nil
}

func okFinding(check, msg string) []finding { return []finding{{Check: check, Message: msg}} }

// maxIntegrityErrors bounds the messages SQLite's checks return.
const maxIntegrityErrors = 20

func (s *Store) checkIntegrity(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	if !opts.Full {
		return s.quickIntegrity(ctx)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`PRAGMA integrity_check(%d)`, maxIntegrityErrors))
	if err != nil {
		return nil, translate(err)
	}
	msgs, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return okFinding("integrity", "SQLite integrity check: ok"), nil
	}
	return []finding{{Check: "integrity", Severity: user.SeverityProblem,
		Message: "SQLite integrity check: " + strings.Join(msgs, "; ") + " (restore a backup with 'ctitui restore')"}}, nil
}

// quickIntegrity runs SQLite's quick_check on each ordinary table of the
// file, and with it each of its indexes: every b-tree page and cell, and
// every row's NOT NULL and CHECK constraints. One quick_check of the whole
// file would also run FTS5's own integrity check of the search index, which
// quick_check does not make quick (three quarters of its time at 200,000
// users), and count the pages no b-tree uses; doctor --full runs both.
func (s *Store) quickIntegrity(ctx context.Context) ([]finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL %' ORDER BY rootpage`)
	if err != nil {
		return nil, translate(err)
	}
	tables, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	var msgs []string
	for _, t := range tables {
		// A PRAGMA takes no parameters: the name, whatever the file
		// calls its table, goes in as an SQL string literal.
		// (It takes a table or a limit, not both: maxIntegrityErrors
		// bounds the messages kept.)
		got, err := s.quickCheck(ctx, t)
		if errors.Is(err, db.ErrCorrupt) {
			// Damage SQLite stops at rather than describes: name the
			// table, and look at the others.
			got = []string{fmt.Sprintf("table %s: %v", t, err)}
		} else if err != nil {
			return nil, err
		}
		if len(got) != 1 || got[0] != "ok" {
			msgs = append(msgs, got...)
		}
		if len(msgs) >= maxIntegrityErrors {
			msgs = msgs[:maxIntegrityErrors]
			break
		}
	}
	if len(msgs) == 0 {
		return okFinding("integrity", "SQLite quick check of every table and index: ok (doctor --full also checks the search index's contents and unused pages)"), nil
	}
	return []finding{{Check: "integrity", Severity: user.SeverityProblem,
		Message: "SQLite quick check: " + strings.Join(msgs, "; ") + " (restore a backup with 'ctitui restore')"}}, nil
}

// quickCheck runs PRAGMA quick_check on table and its indexes.
func (s *Store) quickCheck(ctx context.Context, table string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `PRAGMA quick_check(`+quoteLiteral(table)+`)`)
	if err != nil {
		return nil, translate(err)
	}
	return scanStrings(rows)
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (s *Store) checkForeignKeys(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&n); err != nil {
		return nil, translate(err)
	}
	if n == 0 {
		return okFinding("foreign keys", "every row's references exist"), nil
	}
	return []finding{{Check: "foreign keys", Severity: user.SeverityProblem,
		Message: fmt.Sprintf("%d rows refer to rows that do not exist (PRAGMA foreign_key_check lists them)", n)}}, nil
}

// checkSchema compares the file's schema with the embedded migrations'
// (compareSchema), and reports other tables' foreign keys into ctitui's
// and a schema version other than the latest.
func (s *Store) checkSchema(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	want := latestSchema()
	have, err := readSchemaRows(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := compareSchema(have, want)
	// What compareSchema cannot see: a table of the file's own that makes
	// SQLite refuse ctitui's writes (brokenWrites).
	for _, f := range brokenWrites(ctx, s.db, have, want) {
		out = append(out, finding{Check: "schema", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%s: look at what the message names (sqlite3 %s .schema) and fix or drop it; ctitui does not change the tables it did not create", f, shellQuote(s.path))})
	}
	pointing, err := s.foreignKeysInto(ctx, have, want)
	if err != nil {
		return nil, err
	}
	for _, msg := range pointing {
		out = append(out, finding{Check: "schema", Severity: user.SeverityInfo, Message: msg})
	}
	var version int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM `+gooseTable).Scan(&version); err != nil {
		return nil, translate(err)
	}
	if version != LatestVersion() {
		out = append(out, finding{Check: "schema", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("schema version %d, this ctitui migrates to %d", version, LatestVersion())})
	}
	if !slices.ContainsFunc(out, func(f finding) bool { return f.Severity == user.SeverityProblem }) {
		out = append([]finding{{Check: "schema", Message: fmt.Sprintf("schema version %d matches the embedded migrations", version)}}, out...)
	}
	return out, nil
}

// compareSchema compares have, the file's schema, with want, what the
// embedded migrations create. What ctitui did not create and would run
// with its writes is a problem, removed at open (db.Options.DropUnknownObjects);
// a missing object or column is a problem, which a repair recreates where
// SQLite can (never a missing table); tables, indexes and columns ctitui
// does not use are data, reported and never touched.
func compareSchema(have, want []schemaRow) []finding {
	var out []finding
	problem := func(msg, repair string, fix func(context.Context, *sql.Tx) error) {
		out = append(out, finding{Check: "schema", Severity: user.SeverityProblem, Message: msg, Repair: repair, fix: fix})
	}
	info := func(msg string) {
		out = append(out, finding{Check: "schema", Severity: user.SeverityInfo, Message: msg})
	}
	exec := func(stmt string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, stmt)
			return err
		}
	}
	// What would run with ctitui's writes, or refuse them. --fix removes it
	// as it opens the file (db.Options.DropUnknownObjects): a table's rules go
	// only with a rebuild of the table, which needs foreign keys off.
	foreign := findForeign(have, want)
	for _, f := range foreign {
		if f.Kind == "table" {
			problem(fmt.Sprintf("%s: fix or drop it with the sqlite3 shell; ctitui does not change the tables it did not create", f), "", nil)
			continue
		}
		problem(fmt.Sprintf("%s: ctitui did not create it, and it would run with ctitui's writes or refuse them", f), "remove it", nil)
	}
	find := func(typ, name string) (schemaRow, bool) {
		i := slices.IndexFunc(have, func(h schemaRow) bool { return h.Type == typ && h.Name == name })
		if i < 0 {
			return schemaRow{}, false
		}
		return have[i], true
	}
	var extraCols []string
	for _, w := range want {
		h, found := find(w.Type, w.Name)
		switch {
		case !found && w.Type == "table":
			problem(fmt.Sprintf("table %s is missing", w.Name), "", nil)
		case !found && !slices.ContainsFunc(foreign, func(f foreignItem) bool { return f.Kind == w.Type && f.Name == w.Name }):
			problem(fmt.Sprintf("%s %s is missing", w.Type, w.Name), "create "+w.Type+" "+w.Name, exec(w.SQL))
		case found && w.Type == "table":
			hd, herr := parseCreateTable(h.SQL)
			wd, werr := parseCreateTable(w.SQL)
			if herr != nil || werr != nil {
				continue // reported as foreign
			}
			for _, c := range wd.columns {
				if containsName(hd.columnNames(), c.name) {
					continue
				}
				msg := fmt.Sprintf("column %s.%s is missing", w.Name, c.name)
				_, clauses := c.clauses()
				if slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "NOT" }) && !slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "DEFAULT" }) {
					problem(msg, "", nil) // SQLite cannot add a NOT NULL column without a default
					continue
				}
				problem(msg, fmt.Sprintf("add column %s.%s", w.Name, c.name),
					exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", quoteIdent(w.Name), joinTokens(c.toks))))
			}
			for _, c := range hd.columns {
				if !containsName(wd.columnNames(), c.name) {
					extraCols = append(extraCols, w.Name+"."+c.name)
				}
			}
		}
	}
	if len(extraCols) > 0 {
		info("columns ctitui does not use (kept from before adoption?): " + strings.Join(extraCols, ", "))
	}
	// Other tables and indexes are data: reported, never touched.
	var extra []string
	for _, h := range have {
		if h.Type != "table" && h.Type != "index" {
			continue
		}
		if slices.ContainsFunc(want, func(w schemaRow) bool { return w.Type == h.Type && w.Name == h.Name }) {
			continue
		}
		if !slices.ContainsFunc(foreign, func(f foreignItem) bool { return f.Kind == h.Type && f.Name == h.Name }) {
			extra = append(extra, h.Type+" "+h.Name)
		}
	}
	if len(extra) > 0 {
		info("objects ctitui did not create (kept from before adoption?): " + strings.Join(extra, ", "))
	}
	return out
}

// foreignKeysInto describes the tables ctitui did not create whose foreign
// keys point into ctitui's tables: such a key changes none of ctitui's
// writes, but refuses to let go of the rows it names.
func (s *Store) foreignKeysInto(ctx context.Context, have, want []schemaRow) ([]string, error) {
	var out []string
	for _, h := range have {
		if h.Type != "table" || slices.ContainsFunc(want, func(w schemaRow) bool { return w.Type == "table" && w.Name == h.Name }) {
			continue
		}
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?) ORDER BY 1`, h.Name)
		if err != nil {
			return nil, translate(err)
		}
		targets, err := scanStrings(rows)
		if err != nil {
			return nil, err
		}
		for _, target := range targets {
			if slices.ContainsFunc(want, func(w schemaRow) bool { return w.Type == "table" && sameName(w.Name, target) }) {
				out = append(out, fmt.Sprintf("table %s points at %s with a foreign key: ctitui cannot delete the rows of %s that it names (disable such users instead)", h.Name, target, target))
			}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkEmails finds users whose email_normalized is not what ctitui would
// compute from their email: the sign of an edit in another tool, such as
// the sqlite3 shell. Such a user cannot be found by its address.
func (s *Store) checkEmails(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email, email_normalized FROM users`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	type stale struct{ id, email, want string }
	var found []stale
	taken := map[string]bool{}
	for rows.Next() {
		var id, email, normalized string
		if err := rows.Scan(&id, &email, &normalized); err != nil {
			return nil, translate(err)
		}
		taken[normalized] = true
		if want := user.NormalizeEmail(email); want != normalized {
			found = append(found, stale{id, email, want})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(found) == 0 {
		return okFinding("emails", "every normalised email matches its address"), nil
	}
	var out []finding
	var fixable []stale
	for _, f := range found {
		if taken[f.want] {
			out = append(out, finding{Check: "emails", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("user %s: %q is the same address as another user's once normalised; change one of them", shellQuote(f.id), f.email)})
			continue
		}
		taken[f.want] = true
		fixable = append(fixable, f)
	}
	if len(fixable) > 0 {
		out = append(out, finding{Check: "emails", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%d users have an email_normalized that does not match their email (edited outside ctitui?); they cannot be found by address", len(fixable)),
			Repair:  fmt.Sprintf("recompute email_normalized for %d users", len(fixable)),
			fix: func(ctx context.Context, tx *sql.Tx) error {
				for _, f := range fixable {
					if _, err := tx.ExecContext(ctx, `UPDATE users SET email_normalized = ? WHERE id = ?`, f.want, f.id); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	return out, nil
}

// searchIndexMismatch is the finding of a search index that does not match
// the users table.
func searchIndexMismatch(detail string) finding {
	return finding{Check: "search index", Severity: user.SeverityProblem,
		Message: "the email search index does not match the users table" + detail, Repair: "rebuild the email search index",
		fix: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO users_email_search (users_email_search) VALUES ('rebuild')`)
			return err
		}}
}

// checkSearchIndexRows is the search index check of a read-only look.
// FTS5 compares its index with the users table only through an INSERT
// command, which a read-only connection may not run, so this compares what
// it can read: that the index holds exactly the users' rows. A row indexed
// under an outdated email is found by the full check, run by doctor --fix.
func (s *Store) checkSearchIndexRows(ctx context.Context) ([]finding, error) {
	var missing, extra int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM users_email_search_docsize d WHERE d.id = u.rowid)),
		(SELECT count(*) FROM users_email_search_docsize d WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.rowid = d.id))`).Scan(&missing, &extra)
	if err != nil {
		return nil, fmt.Errorf("check search index: %w", translate(err))
	}
	if missing == 0 && extra == 0 {
		return okFinding("search index", "the email search index holds every user (a read-only look; doctor --fix also compares the emails)"), nil
	}
	return []finding{searchIndexMismatch(fmt.Sprintf(": %d users are not in it, %d of its entries have no user", missing, extra))}, nil
}

// checkSearchIndexCount is the search index check of a quick look: the
// index holds as many documents as there are users. Which users, and under
// which emails, a full run compares.
func (s *Store) checkSearchIndexCount(ctx context.Context) ([]finding, error) {
	var users, indexed int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users_email_search_docsize)`).Scan(&users, &indexed)
	if err != nil {
		return nil, fmt.Errorf("check search index: %w", translate(err))
	}
	if users == indexed {
		return okFinding("search index", "the email search index holds as many entries as there are users (doctor --full compares them)"), nil
	}
	return []finding{searchIndexMismatch(fmt.Sprintf(": %d users, %d entries", users, indexed))}, nil
}

func (s *Store) checkSearchIndex(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	var stmt string
	err := s.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'users_email_search'`).Scan(&stmt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // reported by the schema check
	}
	if err != nil {
		return nil, translate(err)
	}
	i := slices.IndexFunc(latestSchema(), func(o schemaRow) bool { return o.Type == "table" && o.Name == "users_email_search" })
	if virtualDefinition(stmt) != virtualDefinition(latestSchema()[i].SQL) {
		return nil, nil // defined otherwise: foreign, reported by the schema check, and not to be run
	}
	switch {
	case !opts.Full:
		return s.checkSearchIndexCount(ctx)
	case s.readOnly:
		return s.checkSearchIndexRows(ctx)
	}
	// The check is an INSERT that writes nothing; run it with the other
	// writers of this process.
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users_email_search (users_email_search, rank) VALUES ('integrity-check', 1)`)
		return err
	})
	if err == nil {
		return okFinding("search index", "the email search index matches the users table"), nil
	}
	if !isCorruptIndex(err) {
		return nil, fmt.Errorf("check search index: %w", translate(err))
	}
	return []finding{searchIndexMismatch("")}, nil
}

// usersOutOfOrderQuery finds a user whose rowid comes before the next
// one's while its (created_at, id) sorts after it.
const usersOutOfOrderQuery = `SELECT EXISTS (
	SELECT 1 FROM users u
	WHERE (u.created_at, u.id) > (SELECT n.created_at, n.id FROM users n WHERE n.rowid > u.rowid ORDER BY n.rowid LIMIT 1))`

func (s *Store) checkUsersOrder(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'users_order')`).Scan(&exists); err != nil {
		return nil, translate(err)
	}
	if !exists {
		return nil, nil // reported by the schema check
	}
	recorded, err := usersInOrder(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var outOfOrder bool
	if err := s.db.QueryRowContext(ctx, usersOutOfOrderQuery).Scan(&outOfOrder); err != nil {
		return nil, fmt.Errorf("check users' order: %w", translate(err))
	}
	renumber := func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users_order SET in_order = 0`); err != nil {
			return err
		}
		inOrder, err := renumberUsers(ctx, tx)
		if err == nil && !inOrder {
			err = errors.New("the users' rowids could not be renumbered")
		}
		return err
	}
	switch {
	case !outOfOrder && recorded:
		return okFinding("users order", "users' rowids follow their created_at order, which searches rely on"), nil
	case outOfOrder && recorded:
		return []finding{{Check: "users order", Severity: user.SeverityProblem,
			Message: "users' rowids no longer follow their created_at order, but the file says they do (users_order edited outside ctitui?): search results can come out of order",
			Repair:  "renumber the users into created_at order and rebuild the email search index", fix: renumber}}, nil
	case !outOfOrder:
		return []finding{{Check: "users order", Severity: user.SeverityInfo,
			Message: "users' rowids follow their created_at order, but the file says they may not: searches that match many users are slower",
			Repair:  "record that the users are in order",
			fix: func(ctx context.Context, tx *sql.Tx) error {
				// Checked again inside the repair: another writer may have
				// added a user out of order since.
				_, err := tx.ExecContext(ctx, `UPDATE users_order SET in_order = NOT (`+usersOutOfOrderQuery+`)`)
				return err
			}}}, nil
	default:
		return []finding{{Check: "users order", Severity: user.SeverityInfo,
			Message: "users were written out of created_at order (by another tool, or an import with no room left between older users): searches that match many users are slower",
			Repair:  "renumber the users into created_at order and rebuild the email search index", fix: renumber}}, nil
	}
}

func (s *Store) checkRoles(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM roles`)
	if err != nil {
		return nil, translate(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, r := range user.Roles {
		if !slices.Contains(names, string(r)) {
			missing = append(missing, string(r))
		}
	}
	unknown, err := unknownRoles(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var out []finding
	if unknown != "" {
		out = append(out, finding{Check: "roles", Severity: user.SeverityProblem, Message: unknown})
	}
	if len(missing) == 0 {
		if len(out) > 0 {
			return out, nil
		}
		return okFinding("roles", "admin, analyst and viewer exist"), nil
	}
	return append(out, finding{Check: "roles", Severity: user.SeverityProblem, Message: "roles missing: " + strings.Join(missing, ", "),
		Repair: "re-seed the roles", fix: func(ctx context.Context, tx *sql.Tx) error {
			for _, r := range missing {
				if _, err := tx.ExecContext(ctx, `INSERT INTO roles (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, r); err != nil {
					return err
				}
			}
			return nil
		}}), nil
}

// unknownRolesShown bounds the unknown roles a finding names.
const unknownRolesShown = 5

// unknownRoles describes the roles another tool added to the roles table
// under names that are not plain (see userSelectColumns), with how many
// users each is linked to; "" when there are none. ctitui does not read
// them, so they grant nothing in ctitui; the platform may still read them,
// so they are a problem for a person to look at, not a repair. (Plain
// names of other programs' roles, which a legacy file may hold, are shown
// as they are.)
func unknownRoles(ctx context.Context, q queryer) (string, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.name, (SELECT count(*) FROM user_roles ur WHERE ur.role_id = r.id)
		FROM roles r WHERE r.name = '' OR r.name GLOB '*[^a-z0-9_-]*' OR length(CAST(r.name AS BLOB)) <> length(r.name) ORDER BY r.name`)
	if err != nil {
		return "", translate(err)
	}
	defer rows.Close()
	var names []string
	total := 0
	for rows.Next() {
		var name string
		var links int
		if err := rows.Scan(&name, &links); err != nil {
			return "", translate(err)
		}
		total++
		if total <= unknownRolesShown {
			// Quoted as is: the output escapes what a terminal must not see.
			names = append(names, fmt.Sprintf(`"%s" (%s)`, name, plural(links, "user", "users")))
		}
	}
	if err := rows.Err(); err != nil {
		return "", translate(err)
	}
	if total == 0 {
		return "", nil
	}
	if total > unknownRolesShown {
		names = append(names, fmt.Sprintf("and %d more", total-unknownRolesShown))
	}
	return "roles whose names are not plain lower-case words, which ctitui ignores: " + strings.Join(names, ", ") +
		" (a comma would split where roles are joined, a case or space variant could pass for admin); they grant nothing in ctitui, " +
		"which neither shows nor exports them, but the platform may read them: rename or remove them with sqlite3", nil
}

// userTimeColumns are the times of a user row other than locked_until,
// which goes with the lockout; nullable ones may be NULL.
var userTimeColumns = []struct {
	name     string
	nullable bool
}{{"created_at", false}, {"updated_at", false}, {"disabled_at", true}, {"last_login_at", true}}

// checkUserValues finds values in user rows that ctitui never writes: a
// failed-login count that is negative or no whole number, a lock time or
// another time not in user.TimeLayout. They are the mark of another tool,
// a hand in the sqlite3 shell, or someone after a weaker lockout (a count
// of -1000000 is a million guesses). ctitui reads such a lockout as locked
// until an admin unlocks it (readLockout); a time it cannot read stops
// every listing and export that meets the row, and the user's logins. One
// scan of the table in rowid order (ordered by email, SQLite walked that
// index and fetched every row from it: twice the time), judged in SQL (see
// rowcheck.go).
func (s *Store) checkUserValues(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	cols := []string{"id", "email", "email_normalized", "failed_logins", "locked_until"}
	for _, c := range userTimeColumns {
		cols = append(cols, c.name)
	}
	if ok, err := s.hasColumns(ctx, "users", cols...); err != nil || !ok {
		return nil, err // a missing column is the schema check's
	}
	var bad []string
	for _, c := range userTimeColumns {
		if c.nullable {
			bad = append(bad, badNullTimeSQL("u."+c.name))
		} else {
			bad = append(bad, badTimeSQL("u."+c.name))
		}
	}
	// Only ctitui's own SQL is joined: its column names and conditions.
	query := `SELECT u.id, u.email, ` + badLockoutSQL + `, ` + strings.Join(bad, ", ") + //nolint:gosec // G202: see above
		` FROM users u WHERE ` + badLockoutSQL + ` OR ` + strings.Join(bad, " OR ") + ` ORDER BY u.rowid`
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var lockouts, times int
	var lockoutNames, timeNames []string
	for rows.Next() {
		var id, email sql.NullString
		var lockout bool
		flags := make([]bool, len(userTimeColumns))
		dest := []any{&id, &email, &lockout}
		for i := range flags {
			dest = append(dest, &flags[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, translate(err)
		}
		// The id as a shell word: the fixes below are commands to paste,
		// and an id is whatever a row's writer chose.
		name := fmt.Sprintf("%q (id %s", email.String, shellQuote(id.String))
		if lockout {
			if lockouts++; lockouts <= namesShown {
				lockoutNames = append(lockoutNames, name+")")
			}
		}
		var cols []string
		for i, c := range userTimeColumns {
			if flags[i] {
				cols = append(cols, c.name)
			}
		}
		if len(cols) > 0 {
			if times++; times <= namesShown {
				timeNames = append(timeNames, name+": "+strings.Join(cols, ", ")+")")
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	const check = "user values"
	var out []finding
	if lockouts > 0 {
		out = append(out, finding{Check: check, Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%d users have a failed-login count or lock time that ctitui never writes (set outside ctitui?): %s. ctitui keeps them locked until an admin unlocks them: check who changed them, then 'ctitui user unlock EMAIL' writes clean values",
				lockouts, someNames(lockoutNames, lockouts))})
	}
	if times > 0 {
		out = append(out, finding{Check: check, Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%d users have times that are not in ctitui's form %s (set outside ctitui?): %s. A time ctitui cannot read stops listings, exports and that user's logins. Set each with the sqlite3 shell, as in "+
				`sqlite3 %s "UPDATE users SET disabled_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') WHERE id = 'ID'"`+
				" (which keeps a disabled user disabled); last_login_at may be NULL; created_at cannot change while the trigger users_created_at_immutable exists: drop it first, and 'ctitui doctor --fix' makes it again",
				times, user.TimeLayout, someNames(timeNames, times), shellQuote(s.path))})
	}
	if len(out) == 0 {
		return okFinding(check, "every user's counts and times are as ctitui writes them"), nil
	}
	return out, nil
}

// hasColumns reports whether table exists with every one of cols.
func (s *Store) hasColumns(ctx context.Context, table string, cols ...string) (bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return false, translate(err)
	}
	have, err := scanStrings(rows)
	if err != nil {
		return false, err
	}
	for _, c := range cols {
		if !containsName(have, c) {
			return false, nil
		}
	}
	return true, nil
}

// namesShown is how many users a finding names before "…".
const namesShown = 5

// someNames joins names, the first of total, with an ellipsis when there
// are more.
func someNames(names []string, total int) string {
	list := strings.Join(names, ", ")
	if total > len(names) {
		list += ", …"
	}
	return list
}

// checkSettings compares the stored lockout settings with the policy
// ctitui applies. lockoutPolicy falls back to the default for a setting
// that is missing or that it cannot use (and for both when together they
// make no valid policy), so that a broken setting never unlocks everyone;
// but the default may be a weaker lockout than the one the admin set, and
// that must not pass in silence.
func (s *Store) checkSettings(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	if ok, err := s.hasColumns(ctx, "settings", "key", "value", "updated_at"); err != nil || !ok {
		return nil, err // a missing table or column is the schema check's
	}
	applied, err := lockoutPolicy(ctx, s.db)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?)`, lockoutThresholdKey, lockoutMinutesKey)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	stored := map[string]sql.NullString{}
	for rows.Next() {
		var key string
		var value sql.NullString
		if err := rows.Scan(&key, &value); err != nil {
			return nil, translate(err)
		}
		stored[key] = value
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	minutes := int(applied.Duration / time.Minute)
	want := []struct {
		key   string
		value int
	}{{lockoutThresholdKey, applied.Threshold}, {lockoutMinutesKey, minutes}}
	var unused []string
	for _, w := range want {
		v, found := stored[w.key]
		n, err := strconv.Atoi(v.String)
		switch {
		case !found:
			unused = append(unused, w.key+" is missing")
		case !v.Valid || err != nil || n != w.value:
			unused = append(unused, fmt.Sprintf("%s is %q", w.key, v.String))
		}
	}
	const check = "settings"
	if len(unused) == 0 {
		return okFinding(check, fmt.Sprintf("lockout: %d failed logins / %d minutes, as stored", applied.Threshold, minutes)), nil
	}
	return []finding{{Check: check, Severity: user.SeverityProblem,
		Message: fmt.Sprintf("lockout settings ctitui cannot use (set outside ctitui?): %s; it applies %d failed logins / %d minutes instead, which may be a weaker lockout than was set. 'ctitui settings --lockout-threshold N --lockout-minutes M' stores others",
			strings.Join(unused, ", "), applied.Threshold, minutes),
		Repair: fmt.Sprintf("store the lockout settings ctitui applies (%d failed logins / %d minutes)", applied.Threshold, minutes),
		fix: func(ctx context.Context, tx *sql.Tx) error {
			for _, w := range want {
				if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
					w.key, strconv.Itoa(w.value), user.FormatTime(opts.Now)); err != nil {
					return err
				}
			}
			return nil
		}}}, nil
}

func (s *Store) checkChain(ctx context.Context, _ db.DoctorOptions) ([]finding, error) {
	rep, err := s.VerifyAuditChain(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case rep.OK() && len(rep.Restarts) > 0:
		// Whole, but someone restarted it after a break: that stays worth
		// knowing for as long as the log exists.
		return []finding{{Check: "audit chain", Severity: user.SeverityInfo, Message: rep.String()}}, nil
	case rep.OK():
		return okFinding("audit chain", rep.String()), nil
	}
	return []finding{{Check: "audit chain", Severity: user.SeverityProblem, Message: rep.String()}}, nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, translate(err)
		}
		out = append(out, s)
	}
	return out, translate(rows.Err())
}
