package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pressly/goose/v3/database"

	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// A legacy database was made by the service ctitui replaces, before it had
// migrations: a users table with at least id, email, hashed_password and
// created_at, perhaps roles and user_roles, perhaps columns of its own, and no
// goose version table. adopt brings such a file to the schema of
// migrations.AdoptionBaseline inside one transaction, after writing a backup;
// goose then applies the later migrations as on any other file.

// adoptReport says what adoption did, for the person running ctitui.
type adoptReport struct {
	backup       string
	users        int
	defaultRoles int
	retimed      int
	disabled     int
	added        []string
	kept         []string
	dropped      []codeObject // the file's own triggers and views, removed with consent
	notKept      []string     // constraints of the legacy tables left out
	applied      []int64      // the migrations applied after the baseline
}

// keep records what adoption keeps of table's own columns and rules.
func (r *adoptReport) keep(table string, shape legacyShape) {
	for _, c := range shape.kept {
		r.kept = append(r.kept, table+"."+c.name)
	}
	r.notKept = append(r.notKept, shape.notKept...)
}

func (r *adoptReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "adopted a database made before migrations: %s kept", plural(r.users, "user", "users"))
	if len(r.added) > 0 {
		fmt.Fprintf(&b, ", added %s", strings.Join(r.added, ", "))
	}
	if r.retimed > 0 {
		fmt.Fprintf(&b, ", %d timestamps rewritten as UTC", r.retimed)
	}
	if r.defaultRoles > 0 {
		fmt.Fprintf(&b, ", %s given the %s role", plural(r.defaultRoles, "user", "users"), user.DefaultRole)
	}
	if r.disabled > 0 {
		fmt.Fprintf(&b, ", %s marked disabled", plural(r.disabled, "inactive user", "inactive users"))
	}
	if len(r.kept) > 0 {
		fmt.Fprintf(&b, ", kept extra columns %s", strings.Join(r.kept, ", "))
	}
	if len(r.notKept) > 0 {
		fmt.Fprintf(&b, "; did not keep %s", strings.Join(r.notKept, ", "))
	}
	if len(r.dropped) > 0 {
		fmt.Fprintf(&b, "; dropped %s", describeCode(r.dropped))
	}
	fmt.Fprintf(&b, "; backup of the original: %s", r.backup)
	return b.String()
}

// column is one column of an existing table, as PRAGMA table_xinfo reports
// it: generated columns included, a virtual table's hidden ones not.
type column struct {
	name, typ string
	notNull   bool
	dflt      *string
	hidden    int // 2 or 3 for a generated column
}

// keptColumn is a column of a legacy table that adoption keeps beside
// ctitui's own.
type keptColumn struct {
	name      string
	def       string // its definition, whole tokens of the original
	generated bool   // computed by SQLite: not copied, it computes itself
}

// legacyShape is what adoption keeps of a legacy table besides ctitui's own
// columns, and what it leaves out, for the report.
type legacyShape struct {
	kept        []keptColumn
	constraints []string // table constraints over kept columns only
	notKept     []string
}

// readLegacyShape reads which of table's columns and constraints adoption
// keeps beside ours, the columns ctitui defines itself. Kept columns keep
// their whole definition (type, default, COLLATE, CHECK, REFERENCES, a
// generation rule) but for a PRIMARY KEY, which the id is, a UNIQUE, which
// uniqueConstraints keeps as an index, and a NOT NULL without a default,
// with which ctitui could not add users. A CHECK that reads a column of
// ctitui's is not kept: ctitui checks what it writes, and a foreign rule on
// its columns could refuse its writes, a failed login's count among them.
// Constraints on ctitui's own columns go with their old definitions. All
// that is not kept is named in notKept.
func readLegacyShape(ctx context.Context, q queryer, table string, ours []string, cols []column) (legacyShape, error) {
	var shape legacyShape
	var stmt string
	if err := q.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&stmt); err != nil {
		return shape, translate(err)
	}
	def, err := parseCreateTable(stmt)
	if err != nil {
		return shape, fmt.Errorf("cannot read the definition of table %s: %w", table, err)
	}
	if len(def.columns) != len(cols) || slices.ContainsFunc(def.columns, func(c columnDef) bool { return !hasColumn(cols, c.name) }) {
		return shape, fmt.Errorf("cannot read the definition of table %s: it does not name the columns SQLite reports", table)
	}
	isOurs := func(name string) bool {
		return slices.ContainsFunc(ours, func(o string) bool { return strings.EqualFold(o, name) })
	}
	readsOurs := func(toks []sqlToken) bool { return slices.ContainsFunc(names(toks), isOurs) }
	for _, c := range def.columns {
		typ, clauses := c.clauses()
		where := table + "." + c.name
		if isOurs(c.name) {
			for _, cl := range clauses {
				switch cl.kind {
				case "COLLATE", "CHECK", "GENERATED", "REFERENCES":
					shape.notKept = append(shape.notKept, where+" "+joinTokens(cl.toks))
				}
			}
			continue
		}
		hasDefault := slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "DEFAULT" })
		generated := slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "GENERATED" })
		toks := append([]sqlToken{c.toks[0]}, typ...)
		for _, cl := range clauses {
			switch {
			case cl.kind == "PRIMARY":
				shape.notKept = append(shape.notKept, where+" "+joinTokens(cl.toks)+" (the id is the key)")
			case cl.kind == "UNIQUE" || cl.kind == "NULL":
			case cl.kind == "NOT" && !hasDefault && !generated:
				shape.notKept = append(shape.notKept, where+" "+joinTokens(cl.toks)+" (it has no default for users ctitui adds)")
			case cl.kind == "CHECK" && readsOurs(cl.toks):
				shape.notKept = append(shape.notKept, where+" "+joinTokens(cl.toks)+" (it reads columns ctitui writes)")
			default:
				toks = append(toks, cl.toks...)
			}
		}
		shape.kept = append(shape.kept, keptColumn{name: c.name, def: joinTokens(toks), generated: generated})
	}
	for _, tc := range def.constraints {
		body := tc
		if body[0].is("CONSTRAINT") && len(body) > 2 {
			body = body[2:]
		}
		switch {
		case body[0].is("CHECK") && readsOurs(body):
			shape.notKept = append(shape.notKept, table+" "+joinTokens(tc)+" (it reads columns ctitui writes)")
		case body[0].is("CHECK"):
			shape.constraints = append(shape.constraints, joinTokens(tc))
		case body[0].is("FOREIGN"):
			if open := slices.IndexFunc(body, func(t sqlToken) bool { return t.punct == '(' }); open >= 0 {
				if _, end, err := splitList(body, open); err == nil && !readsOurs(body[open:end+1]) {
					shape.constraints = append(shape.constraints, joinTokens(tc))
					continue
				}
			}
			shape.notKept = append(shape.notKept, table+" "+joinTokens(tc)+" (it constrains columns ctitui writes)")
		}
		// PRIMARY KEY and UNIQUE: the id is the key, and uniqueConstraints
		// keeps the unique ones that cover other columns as indexes.
	}
	return shape, nil
}

// checkKept compares the kept columns of the rebuilt table with the legacy
// one: the same type, default and generation, NOT NULL no stricter. It
// guards the reading of the definitions above against any difference from
// SQLite's own.
func checkKept(ctx context.Context, q queryer, legacy, rebuilt string, shape legacyShape) error {
	old, err := tableColumns(ctx, q, legacy)
	if err != nil {
		return err
	}
	now, err := tableColumns(ctx, q, rebuilt)
	if err != nil {
		return err
	}
	for _, k := range shape.kept {
		i := slices.IndexFunc(old, func(c column) bool { return c.name == k.name })
		j := slices.IndexFunc(now, func(c column) bool { return c.name == k.name })
		if i < 0 || j < 0 {
			return fmt.Errorf("could not keep column %s.%s", legacy, k.name)
		}
		o, n := old[i], now[j]
		sameDefault := (o.dflt == nil) == (n.dflt == nil) && (o.dflt == nil || *o.dflt == *n.dflt)
		if o.typ != n.typ || !sameDefault || o.hidden != n.hidden || (n.notNull && !o.notNull) {
			return fmt.Errorf("could not keep column %s.%s as it was", legacy, k.name)
		}
	}
	return nil
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// legacyUser is one row of the legacy users table, with the values ctitui
// computes from it.
type legacyUser struct {
	id, email                          string
	created, updated, disabled, lastIn time.Time
	retimed                            int
}

// adoptPlan is what inspecting a legacy file found, checked before any write.
type adoptPlan struct {
	users     []column
	roles     []column // nil when the file has no roles table
	userRoles []column // nil when the file has no user_roles table
	roleRef   string   // user_roles column naming the role: role_id, role or role_name
	// What each legacy table keeps besides ctitui's columns.
	usersShape, rolesShape, linksShape legacyShape
	rows                               []legacyUser
	saved                              []string // the file's own indexes on the rebuilt tables
}

// adoptedTables are rebuilt by adoption; other tables of the file stay as they are.
var adoptedTables = []string{"users", "roles", "user_roles"}

// adopt brings the legacy database at path to the latest schema, all or
// nothing: it holds the file (no other program may have it open), writes a
// backup, and builds the adopted database from a copy of that backup (its
// foreign code dropped, the legacy tables rebuilt, every migration applied,
// the adoption audited and the result checked) before swapping it in. If any
// step fails the file is left as it was, and the backup is removed with the
// copy. foreign lists the file's triggers and views: the caller has the
// person's consent to drop them.
func adopt(ctx context.Context, path string, state fileState, foreign []codeObject, opts Options) (*adoptReport, error) {
	held, err := holdExclusively(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCannotAdopt, path, err)
	}
	defer held.release(ctx)
	conn, err := held.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("adopt database: %w", err)
	}
	defer conn.Close()

	plan, err := inspectLegacy(ctx, conn, state)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCannotAdopt, path, err)
	}
	report := &adoptReport{users: len(plan.rows), dropped: foreign}
	if len(plan.rows) >= 10_000 {
		// Large files take seconds; say what is happening meanwhile.
		opts.Notify(fmt.Sprintf("adopting %s, a database made before migrations with %d users: writing a backup, then converting it; this takes a moment", path, len(plan.rows)))
	}
	if report.backup, err = autoBackup(ctx, conn, path, "pre-adopt", opts.Now()); err != nil {
		return nil, err
	}
	conn.Close()
	fail := func(err error) (*adoptReport, error) {
		os.Remove(report.backup) // the file itself is as it was
		return nil, fmt.Errorf("%w: %s: %w (file left unchanged)", ErrCannotAdopt, path, err)
	}
	r := replacement{
		now:  user.FormatTime(opts.Now()),
		opts: opts,
		prepare: func(ctx context.Context, tx *sql.Tx) error {
			if err := dropCode(ctx, tx, foreign); err != nil {
				return err
			}
			return translate(plan.apply(ctx, tx, report))
		},
		// After apply has filled in the report, so that the entry says all.
		audit: func() []user.AuditEntry {
			return []user.AuditEntry{{At: opts.Now().UTC(), Actor: opts.Actor, Action: user.ActionAdopt, Details: report.String()}}
		},
	}
	tmp := path + ".adopting"
	if report.applied, err = r.build(ctx, nil, report.backup, tmp); err != nil {
		return fail(err)
	}
	if err := held.swapIn(tmp); err != nil {
		removeWithCompanions(tmp)
		return fail(err)
	}
	return report, nil
}

// tableColumns lists table's columns as PRAGMA table_xinfo reports them.
func tableColumns(ctx context.Context, q queryer, table string) ([]column, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid`, table)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.dflt, &c.hidden); err != nil {
			return nil, translate(err)
		}
		cols = append(cols, c)
	}
	return cols, translate(rows.Err())
}

func hasColumn(cols []column, name string) bool {
	return slices.ContainsFunc(cols, func(c column) bool { return strings.EqualFold(c.name, name) })
}

// extras returns the columns of cols that ctitui's schema does not have.
func extras(cols []column, ours ...string) []column {
	var out []column
	for _, c := range cols {
		if !slices.ContainsFunc(ours, func(o string) bool { return strings.EqualFold(o, c.name) }) {
			out = append(out, c)
		}
	}
	return out
}

var (
	userColumns     = []string{"id", "email", "email_normalized", "hashed_password", "created_at", "updated_at", "disabled_at", "last_login_at"}
	roleColumns     = []string{"id", "name", "description"}
	userRoleColumns = []string{"user_id", "role_id"}
)

// inspectLegacy reads the legacy file and checks everything adoption needs,
// so that a file it cannot adopt is refused before a single write.
func inspectLegacy(ctx context.Context, conn *sql.Conn, state fileState) (*adoptPlan, error) {
	ours, err := migrationTables(ctx)
	if err != nil {
		return nil, err
	}
	ours = append(ours, "ctitui_adopt_users", "ctitui_adopt_roles", "ctitui_adopt_user_roles") // apply's scratch names
	for _, t := range state.tables {
		if slices.Contains(ours, t) && !slices.Contains(adoptedTables, t) {
			return nil, fmt.Errorf("it already has a table named %s, which ctitui would create; rename it (sqlite3 %s 'ALTER TABLE %s RENAME TO %s_old') and try again",
				t, shellQuote(state.path), quoteIdent(t), t)
		}
	}
	plan := &adoptPlan{}
	if plan.users, err = tableColumns(ctx, conn, "users"); err != nil {
		return nil, err
	}
	for _, need := range []string{"id", "email", "hashed_password", "created_at"} {
		if !hasColumn(plan.users, need) {
			return nil, fmt.Errorf("users table has no %s column", need)
		}
	}
	if hasColumn(plan.users, "email_normalized") {
		return nil, errors.New("users table already has an email_normalized column but no migration history")
	}
	if slices.Contains(state.tables, "roles") {
		if plan.roles, err = tableColumns(ctx, conn, "roles"); err != nil {
			return nil, err
		}
		if !hasColumn(plan.roles, "name") {
			return nil, errors.New("roles table has no name column")
		}
		if err := checkRoles(ctx, conn, plan.roles); err != nil {
			return nil, err
		}
	}
	if slices.Contains(state.tables, "user_roles") {
		if plan.userRoles, err = tableColumns(ctx, conn, "user_roles"); err != nil {
			return nil, err
		}
		if err := plan.checkUserRoles(ctx, conn); err != nil {
			return nil, err
		}
	}
	if err := plan.readUsers(ctx, conn); err != nil {
		return nil, err
	}
	if plan.usersShape, err = readLegacyShape(ctx, conn, "users", userColumns, plan.users); err != nil {
		return nil, err
	}
	if plan.roles != nil {
		if plan.rolesShape, err = readLegacyShape(ctx, conn, "roles", roleColumns, plan.roles); err != nil {
			return nil, err
		}
	}
	if plan.userRoles != nil {
		if plan.linksShape, err = readLegacyShape(ctx, conn, "user_roles", append([]string{plan.roleRef}, userRoleColumns...), plan.userRoles); err != nil {
			return nil, err
		}
	}
	for _, table := range adoptedTables {
		if !slices.Contains(state.tables, table) {
			continue
		}
		unique, err := uniqueConstraints(ctx, conn, table)
		if err != nil {
			return nil, err
		}
		plan.saved = append(plan.saved, unique...)
	}
	// The file's own indexes on the rebuilt tables are made again on the new
	// ones, unless ctitui makes one of that name. Its triggers are not:
	// they are foreign code, dropped with consent or refused.
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'roles', 'user_roles')
		ORDER BY name`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			return nil, translate(err)
		}
		if !slices.Contains(ours, name) {
			plan.saved = append(plan.saved, stmt)
		}
	}
	return plan, translate(rows.Err())
}

// migrationTables lists the names of the tables and indexes that the
// migrations create.
func migrationTables(ctx context.Context) ([]string, error) {
	ref, err := referenceDB(ctx, LatestVersion())
	if err != nil {
		return nil, err
	}
	defer ref.Close()
	rows, err := ref.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') AND substr(name, 1, 7) <> 'sqlite_'`)
	if err != nil {
		return nil, translate(err)
	}
	return scanStrings(rows)
}

// uniqueConstraints returns CREATE UNIQUE INDEX statements for the UNIQUE
// constraints that table declares on columns ctitui's schema does not have.
// Rebuilding the table would drop them: SQLite keeps them as automatic
// indexes, which have no SQL of their own to save.
func uniqueConstraints(ctx context.Context, conn *sql.Conn, table string) ([]string, error) {
	ours := map[string][]string{"users": userColumns, "roles": roleColumns, "user_roles": append(userRoleColumns, "role", "role_name")}[table]
	rows, err := conn.QueryContext(ctx, `SELECT il.name, group_concat(ii.name, char(0))
		FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii
		WHERE il.origin = 'u' GROUP BY il.name ORDER BY il.name`, table)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var stmts []string
	for rows.Next() {
		var index, cols string
		if err := rows.Scan(&index, &cols); err != nil {
			return nil, translate(err)
		}
		names := strings.Split(cols, "\x00")
		if len(extras(columnsNamed(names), ours...)) == 0 {
			continue // ctitui's own constraints cover it
		}
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = quoteIdent(n)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s (%s)",
			quoteIdent(table+"_"+strings.Join(names, "_")+"_key"), table, strings.Join(quoted, ", ")))
	}
	return stmts, translate(rows.Err())
}

func columnsNamed(names []string) []column {
	cols := make([]column, len(names))
	for i, n := range names {
		cols[i] = column{name: n}
	}
	return cols
}

func checkRoles(ctx context.Context, conn *sql.Conn, cols []column) error {
	var dupe sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT name FROM roles GROUP BY name HAVING count(*) > 1 LIMIT 1`).Scan(&dupe)
	if err == nil {
		return fmt.Errorf("roles table names %q more than once", dupe.String)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return translate(err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM roles WHERE name IS NULL OR trim(name) = ''`).Scan(&n); err != nil {
		return translate(err)
	}
	if n > 0 {
		return fmt.Errorf("roles table has %d roles without a name", n)
	}
	if hasColumn(cols, "id") {
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM roles WHERE typeof(id) <> 'integer'`).Scan(&n); err != nil {
			return translate(err)
		}
		if n > 0 {
			return fmt.Errorf("roles table has %d ids that are not integers", n)
		}
	}
	return nil
}

func (p *adoptPlan) checkUserRoles(ctx context.Context, conn *sql.Conn) error {
	if !hasColumn(p.userRoles, "user_id") {
		return errors.New("user_roles table has no user_id column")
	}
	for _, ref := range []string{"role_id", "role", "role_name"} {
		if hasColumn(p.userRoles, ref) {
			p.roleRef = ref
			break
		}
	}
	if p.roleRef == "" {
		return errors.New("user_roles table has no role_id, role or role_name column")
	}
	if p.roleRef == "role_id" && p.roles == nil {
		return errors.New("user_roles refers to role ids but there is no roles table")
	}
	var n int
	if p.roleRef != "role_id" {
		ref := quoteIdent(p.roleRef)
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM user_roles WHERE `+ref+` IS NULL OR trim(`+ref+`) = ''`).Scan(&n); err != nil {
			return translate(err)
		}
		if n > 0 {
			return fmt.Errorf("user_roles has %d rows without a role name", n)
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM user_roles ur WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ur.user_id)`).Scan(&n); err != nil {
		return translate(err)
	}
	if n > 0 {
		return fmt.Errorf("user_roles has %d rows for users that do not exist", n)
	}
	if p.roles != nil {
		match := "r.id = ur.role_id"
		if p.roleRef != "role_id" {
			match = "r.name = ur." + p.roleRef
		}
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM user_roles ur WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE `+match+`)`).Scan(&n); err != nil {
			return translate(err)
		}
		if n > 0 {
			return fmt.Errorf("user_roles has %d rows for roles that do not exist", n)
		}
	}
	return nil
}

// readUsers reads every legacy user, computing the normalised email and UTC
// timestamps, and refuses rows ctitui could not keep as they are.
func (p *adoptPlan) readUsers(ctx context.Context, conn *sql.Conn) error {
	optional := func(name string) string {
		if hasColumn(p.users, name) {
			return "CAST(" + name + " AS TEXT)"
		}
		return "NULL"
	}
	isActive := "1"
	if hasColumn(p.users, "is_active") && !hasColumn(p.users, "disabled_at") {
		// The earlier service marked accounts inactive with a flag; ctitui
		// calls that disabled.
		isActive = "CASE WHEN is_active IS NULL OR lower(CAST(is_active AS TEXT)) IN ('0', 'false', 'f', 'no', 'n') THEN 0 ELSE 1 END"
	}
	rows, err := conn.QueryContext(ctx, `SELECT CAST(id AS TEXT), email, hashed_password IS NULL, CAST(created_at AS TEXT), `+
		optional("updated_at")+`, `+optional("disabled_at")+`, `+optional("last_login_at")+`, `+isActive+` FROM users`)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	byEmail := make(map[string]string)
	ids := make(map[string]bool)
	for rows.Next() {
		var (
			id, email, created, updated, disabled, lastIn *string
			noHash, active                                bool
		)
		if err := rows.Scan(&id, &email, &noHash, &created, &updated, &disabled, &lastIn, &active); err != nil {
			return translate(err)
		}
		if id == nil || *id == "" {
			return errors.New("a user has no id")
		}
		if ids[*id] {
			return fmt.Errorf("two users have the id %s", *id)
		}
		ids[*id] = true
		if email == nil || strings.TrimSpace(*email) == "" {
			return fmt.Errorf("user %s has no email", *id)
		}
		if noHash {
			return fmt.Errorf("user %s (%s) has no hashed_password", *id, *email)
		}
		norm := user.NormalizeEmail(*email)
		if other, dup := byEmail[norm]; dup {
			return fmt.Errorf("users %q and %q have the same email once case is ignored", other, *email)
		}
		byEmail[norm] = *email
		lu := legacyUser{id: *id, email: *email}
		if created == nil {
			return fmt.Errorf("user %s (%s) has no created_at", *id, *email)
		}
		for _, f := range []struct {
			name string
			raw  *string
			dst  *time.Time
		}{{"created_at", created, &lu.created}, {"updated_at", updated, &lu.updated}, {"disabled_at", disabled, &lu.disabled}, {"last_login_at", lastIn, &lu.lastIn}} {
			t, err := parseNullTime(f.raw)
			if err != nil {
				return fmt.Errorf("user %s (%s): %s %w", *id, *email, f.name, err)
			}
			*f.dst = t
			if f.raw != nil && !t.IsZero() && *f.raw != user.FormatTime(t) {
				lu.retimed++
			}
		}
		if lu.updated.IsZero() || lu.updated.Before(lu.created) {
			lu.updated = lu.created
		}
		if !active && lu.disabled.IsZero() {
			lu.disabled = lu.updated
		}
		p.rows = append(p.rows, lu)
	}
	return translate(rows.Err())
}

// apply rebuilds the legacy tables in ctitui's shape inside tx. SQLite cannot
// add constraints to an existing table, so each table is created anew under a
// temporary name, filled, and renamed over the old one (SQLite's documented
// twelve-step ALTER procedure, with foreign keys off on this connection).
func (p *adoptPlan) apply(ctx context.Context, tx *sql.Tx, report *adoptReport) error {
	exec := func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}

	// users
	for _, c := range []string{"updated_at", "disabled_at", "last_login_at"} {
		if !hasColumn(p.users, c) {
			report.added = append(report.added, "users."+c)
		}
	}
	report.added = append(report.added, "users.email_normalized")
	report.keep("users", p.usersShape)
	if err := exec(createTable("ctitui_adopt_users", `
		id               TEXT PRIMARY KEY NOT NULL,
		email            TEXT NOT NULL,
		email_normalized TEXT NOT NULL,
		hashed_password  TEXT NOT NULL,
		created_at       TEXT NOT NULL,
		updated_at       TEXT NOT NULL,
		disabled_at      TEXT,
		last_login_at    TEXT`, p.usersShape, false)); err != nil {
		return err
	}
	if err := checkKept(ctx, tx, "users", "ctitui_adopt_users", p.usersShape); err != nil {
		return err
	}
	keptNames := columnList(p.usersShape)
	if err := exec(`INSERT INTO ctitui_adopt_users (id, email, email_normalized, hashed_password, created_at, updated_at` + keptNames + `)
		SELECT id, email, '', hashed_password, '', ''` + keptNames + ` FROM users`); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE ctitui_adopt_users
		SET email_normalized = ?, created_at = ?, updated_at = ?, disabled_at = ?, last_login_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, u := range p.rows {
		if _, err := stmt.ExecContext(ctx, user.NormalizeEmail(u.email), user.FormatTime(u.created), user.FormatTime(u.updated),
			nullTime(u.disabled), nullTime(u.lastIn), u.id); err != nil {
			return err
		}
		report.retimed += u.retimed
		if !u.disabled.IsZero() && !hasColumn(p.users, "disabled_at") {
			report.disabled++
		}
	}
	// A row the old service wrote after inspectLegacy read the table would
	// have been copied with none of ctitui's values: refuse rather than keep
	// a user nobody can find.
	var copied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ctitui_adopt_users WHERE email_normalized <> ''`).Scan(&copied); err != nil {
		return err
	}
	if copied != len(p.rows) {
		return fmt.Errorf("the users table changed while it was being adopted (%d rows read, %d copied); try again", len(p.rows), copied)
	}
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ctitui_adopt_users`).Scan(&total); err != nil {
		return err
	}
	if total != copied {
		return fmt.Errorf("the users table changed while it was being adopted (%d rows read, %d copied); try again", len(p.rows), total)
	}
	if err := exec(`DROP TABLE users`); err != nil {
		return err
	}
	if err := exec(`ALTER TABLE ctitui_adopt_users RENAME TO users`); err != nil {
		return err
	}

	// roles
	roleBody := `
		id          INTEGER PRIMARY KEY,
		name        TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL DEFAULT ''`
	if p.roles == nil {
		report.added = append(report.added, "roles")
		if err := exec(createTable("roles", roleBody, legacyShape{}, false)); err != nil {
			return err
		}
	} else {
		report.keep("roles", p.rolesShape)
		if err := exec(createTable("ctitui_adopt_roles", roleBody, p.rolesShape, false)); err != nil {
			return err
		}
		if err := checkKept(ctx, tx, "roles", "ctitui_adopt_roles", p.rolesShape); err != nil {
			return err
		}
		id, desc := "NULL", "''"
		if hasColumn(p.roles, "id") {
			id = "id"
		}
		if hasColumn(p.roles, "description") {
			desc = "COALESCE(description, '')"
		}
		names := columnList(p.rolesShape)
		if err := exec(`INSERT INTO ctitui_adopt_roles (id, name, description` + names + `) SELECT ` + id + `, name, ` + desc + names + ` FROM roles`); err != nil {
			return err
		}
		if err := exec(`DROP TABLE roles`); err != nil {
			return err
		}
		if err := exec(`ALTER TABLE ctitui_adopt_roles RENAME TO roles`); err != nil {
			return err
		}
	}
	if err := exec(`INSERT INTO roles (name, description) VALUES
		('admin', 'Manages user accounts and platform settings'),
		('analyst', 'Creates and edits threat intelligence'),
		('viewer', 'Reads threat intelligence')
		ON CONFLICT (name) DO NOTHING`); err != nil {
		return err
	}

	// user_roles
	linkBody := `
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
		role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE RESTRICT`
	if p.userRoles == nil {
		report.added = append(report.added, "user_roles")
		if err := exec(createTable("user_roles", linkBody, legacyShape{}, true)); err != nil {
			return err
		}
	} else {
		report.keep("user_roles", p.linksShape)
		if err := exec(createTable("ctitui_adopt_user_roles", linkBody, p.linksShape, true)); err != nil {
			return err
		}
		if err := checkKept(ctx, tx, "user_roles", "ctitui_adopt_user_roles", p.linksShape); err != nil {
			return err
		}
		roleID := "role_id"
		if p.roleRef != "role_id" {
			// Roles named only in user_roles become rows of roles, so that no
			// user loses one; ctitui shows them but does not assign them.
			ref := quoteIdent(p.roleRef)
			if err := exec(`INSERT INTO roles (name) SELECT DISTINCT ` + ref + ` FROM user_roles ORDER BY 1 ON CONFLICT (name) DO NOTHING`); err != nil {
				return err
			}
			roleID = "(SELECT r.id FROM roles r WHERE r.name = ur." + ref + ")"
		}
		names := columnList(p.linksShape)
		// Only exact duplicate links are dropped; any other conflict fails.
		if err := exec(`INSERT INTO ctitui_adopt_user_roles (user_id, role_id` + names + `) SELECT user_id, ` + roleID + names +
			` FROM user_roles ur WHERE true ON CONFLICT (user_id, role_id) DO NOTHING`); err != nil {
			return err
		}
		if err := exec(`DROP TABLE user_roles`); err != nil {
			return err
		}
		if err := exec(`ALTER TABLE ctitui_adopt_user_roles RENAME TO user_roles`); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role_id)
		SELECT u.id, (SELECT id FROM roles WHERE name = ?) FROM users u
		WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)`, string(user.DefaultRole))
	if err != nil {
		return err
	}
	given, _ := res.RowsAffected()
	report.defaultRoles = int(given)

	// ctitui's indexes (those of migrations 1 and 2), then the file's own.
	for _, stmt := range []string{
		`CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized)`,
		`CREATE INDEX users_created_at_idx ON users (created_at, id)`,
		`CREATE INDEX users_updated_at_idx ON users (updated_at, id)`,
		`CREATE INDEX user_roles_role_id_idx ON user_roles (role_id, user_id)`,
	} {
		if err := exec(stmt); err != nil {
			return err
		}
	}
	for _, stmt := range p.saved {
		if err := exec(stmt); err != nil {
			return fmt.Errorf("recreate %q: %w", firstLine(stmt), err)
		}
	}

	// Record the baseline as goose would have, so later migrations apply normally.
	store, err := database.NewStore(database.DialectSQLite3, gooseTable)
	if err != nil {
		return err
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for v := int64(0); v <= migrations.AdoptionBaseline; v++ {
		if err := store.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	return checkForeignKeys(ctx, tx)
}

// createTable renders CREATE TABLE name with ctitui's columns (body)
// followed by what the legacy table keeps.
func createTable(name, body string, shape legacyShape, withoutRowID bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + name + " (" + body)
	for _, c := range shape.kept {
		b.WriteString(",\n\t\t" + c.def)
	}
	if withoutRowID {
		b.WriteString(",\n\t\tPRIMARY KEY (user_id, role_id)")
	}
	for _, c := range shape.constraints {
		b.WriteString(",\n\t\t" + c)
	}
	b.WriteString("\n\t)")
	if withoutRowID {
		b.WriteString(" WITHOUT ROWID")
	}
	return b.String()
}

// columnList renders ", a, b" for the kept columns that hold values (not
// generated ones), or "".
func columnList(shape legacyShape) string {
	var b strings.Builder
	for _, c := range shape.kept {
		if !c.generated {
			b.WriteString(", " + quoteIdent(c.name))
		}
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// checkForeignKeys fails when any row refers to a missing parent.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s refers to a missing row of %s", table, parent)
	}
	return rows.Err()
}

// plural renders n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
