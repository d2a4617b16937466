package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
	"github.com/ctitui/ctitui/migrations"
)

// A legacy database was made by the service ctitui replaces, before it had
// migrations: a users table with at least id, email, hashed_password and
// created_at, perhaps roles and user_roles, perhaps columns of its own, and no
// goose version table, or one that records only version 0 (the goose CLI
// makes it at its first look). adopt inspects such a file, writes a backup,
// and on a copy of it rebuilds those tables at the schema of
// migrations.AdoptionBaseline (apply); goose then applies the later
// migrations as on any other file, and the finished copy is swapped in
// (replace.go).

// adoptReport says what adoption did, for the person running ctitui.
type adoptReport struct {
	backup       string
	users        int
	defaultRoles int
	retimed      int
	disabled     int // users disabled because is_active said so (legacyUser.inactive)
	costly       int // users whose hashes are beyond the cost limits: they cannot log in
	added        []string
	kept         []string
	dropped      []foreignItem // the file's own triggers and views, removed with consent
	notKept      []string      // constraints of the legacy tables left out
	applied      []int64       // the migrations applied after the baseline
}

// keep records what adoption keeps of table's own columns and rules.
func (r *adoptReport) keep(table string, shape legacyShape) {
	for _, c := range shape.kept {
		r.kept = append(r.kept, table+"."+c.name)
	}
	for _, n := range shape.notKept {
		if !n.quiet {
			r.notKept = append(r.notKept, n.item+" ("+n.why+")")
		}
	}
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
		fmt.Fprintf(&b, ", %s (is_active false) marked disabled", plural(r.disabled, "inactive user", "inactive users"))
	}
	if r.costly > 0 {
		fmt.Fprintf(&b, ", %s password hashes beyond ctitui's cost limits, which ctitui never computes: they cannot log in until 'ctitui user passwd' sets a new password",
			plural(r.costly, "user has", "users have"))
	}
	if len(r.kept) > 0 {
		fmt.Fprintf(&b, ", kept extra columns %s", strings.Join(r.kept, ", "))
	}
	if len(r.notKept) > 0 {
		fmt.Fprintf(&b, "; did not keep %s", strings.Join(r.notKept, ", "))
	}
	if len(r.dropped) > 0 {
		fmt.Fprintf(&b, "; dropped %s", describeForeign(r.dropped))
	}
	fmt.Fprintf(&b, "; backup of the original: %s", r.backup)
	return b.String()
}

// legacyUser is one row of the legacy users table, with the values ctitui
// computes from it.
type legacyUser struct {
	id, email                          string
	created, updated, disabled, lastIn time.Time
	retimed                            int
	inactive                           bool // disabled because is_active says so, without a disabled_at
}

// activeFlag is a legacy is_active value: its SQLite type (typeof); its
// text (CAST AS TEXT; of a blob, its hex; NULL for NULL), of which only the
// first flagShown+1 characters are read; and, for a REAL, the number itself.
type activeFlag struct {
	typ  string
	text *string
	real *float64
}

// flagShown is how much of an is_active value an error shows: characters
// of a text, hex digits of a blob.
const flagShown = 40

// activeFlagColumns selects is_active as an activeFlag's three fields.
var activeFlagColumns = fmt.Sprintf(`typeof(is_active),
	CASE typeof(is_active) WHEN 'blob' THEN hex(substr(is_active, 1, %d)) ELSE CAST(substr(is_active, 1, %d) AS TEXT) END,
	CASE typeof(is_active) WHEN 'real' THEN is_active END`, flagShown/2+1, flagShown+1)

// active reads f as a flag: ok is false for anything but the spellings of
// true and false that SQLite and its drivers write, in any letter case.
// NULL is false, the cautious reading of an account nobody marked active.
// A value with spaces, another number or another word is never guessed.
func (f activeFlag) active() (active, ok bool) {
	switch {
	case f.typ == "null":
		return false, true
	case f.typ == "real" && f.real != nil:
		// Exactly 1 or 0: 0.9999999999999999 is neither, though its text is "1.0".
		return *f.real == 1, *f.real == 1 || *f.real == 0
	case f.text == nil || (f.typ != "integer" && f.typ != "text"):
		return false, false
	}
	// ASCII letters only: Unicode case folding would read "yeſ" as "yes".
	b := []byte(*f.text)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	switch s := string(b); {
	case s == "1" || f.typ == "text" && (s == "true" || s == "t" || s == "yes" || s == "y" || s == "on"):
		return true, true
	case s == "0" || f.typ == "text" && (s == "false" || s == "f" || s == "no" || s == "n" || s == "off"):
		return false, true
	}
	return false, false
}

// String shows f in an error, so that the line says which value is meant:
// a text quoted, a blob in hex, a number as it is, and a long value cut
// short.
func (f activeFlag) String() string {
	text := ""
	if f.text != nil {
		text = *f.text
	}
	switch f.typ {
	case "text":
		if r := []rune(text); len(r) > flagShown {
			return strconv.Quote(string(r[:flagShown])) + "..."
		}
		return strconv.Quote(text)
	case "blob":
		if len(text) > flagShown {
			return "x'" + text[:flagShown] + "'..."
		}
		return "x'" + text + "'"
	case "real":
		if f.real != nil {
			return strconv.FormatFloat(*f.real, 'g', -1, 64)
		}
	case "null":
		return "NULL"
	}
	return text
}

// adoptPlan is what inspecting a legacy file found, checked before any write.
type adoptPlan struct {
	users     []column
	roles     []column // nil when the file has no roles table
	userRoles []column // nil when the file has no user_roles table
	roleRef   string   // user_roles column naming the role: role_id, role or role_name
	costly    int      // users whose hashes are beyond password's cost limits
	// What each legacy table keeps besides ctitui's columns.
	usersShape, rolesShape, linksShape legacyShape
	rows                               []legacyUser
	saved                              []string // the file's own indexes on the rebuilt tables
}

// accessStems begin the words by which other services name a column that
// may keep an account from logging in (account_status, is_locked,
// can_login, valid_until, revoked_at, ...). Adoption refuses a users table
// with such a column rather than guess what its values meant: an account
// another column blocked, adopted as active, would be let in again. A name
// list cannot know every schema, so the words are matched by their start;
// a column refused wrongly (address_state) only needs renaming.
var accessStems = []string{
	"activ", "deactiv", "enabl", "disabl", "status", "state", "lock", "block", "ban",
	"suspend", "revok", "archiv", "delet", "remov", "expir", "valid", "login", "access",
}

// readAccessColumns are the columns of that kind that adoption reads itself.
var readAccessColumns = []string{"is_active", "disabled_at", "last_login_at"}

// isAccessColumn reports whether name may hold whether an account can log
// in, and adoption does not read it (see accessStems).
func isAccessColumn(name string) bool {
	if containsName(readAccessColumns, name) {
		return false
	}
	words := strings.FieldsFunc(upperASCII(name), func(r rune) bool { return r < 'A' || r > 'Z' })
	for _, w := range words {
		for _, stem := range accessStems {
			if stem = upperASCII(stem); strings.HasPrefix(w, stem) || strings.HasPrefix(strings.TrimPrefix(w, "IS"), stem) {
				return true
			}
		}
	}
	return false
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
func adopt(ctx context.Context, path string, state fileState, foreign []foreignItem, opts db.Options) (*adoptReport, error) {
	held, err := holdExclusively(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", db.ErrCannotAdopt, path, err)
	}
	defer held.release(ctx)
	conn, err := held.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("adopt database: %w", err)
	}
	defer conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool

	plan, err := inspectLegacy(ctx, conn, state)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", db.ErrCannotAdopt, path, err)
	}
	report := &adoptReport{users: len(plan.rows), dropped: foreign, costly: plan.costly}
	if len(plan.rows) >= 10_000 {
		// Large files take seconds; say what is happening meanwhile.
		opts.Notify(fmt.Sprintf("adopting %s, a database made before migrations with %d users: writing a backup, then converting it; this takes a moment", path, len(plan.rows)))
	}
	if report.backup, err = safetyBackup(ctx, conn, path, "pre-adopt", opts.Now()); err != nil {
		return nil, err
	}
	conn.Close() //nolint:errcheck // a sql.Conn's Close only hands the connection back to the pool
	fail := func(err error) (*adoptReport, error) {
		// The file itself is as it was, so its backup goes; one that stays
		// behind is a spare copy, and automatic backups are pruned.
		os.Remove(report.backup) //nolint:errcheck // see above
		return nil, fmt.Errorf("%w: %s: %w (file left unchanged)", db.ErrCannotAdopt, path, err)
	}
	r := replacement{
		opts: opts,
		prepare: func(ctx context.Context, tx *sql.Tx) error {
			if err := removeForeign(ctx, tx, foreign, nil); err != nil {
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

// inspectLegacy reads the legacy file and checks everything adoption needs,
// so that a file it cannot adopt is refused before a single write.
func inspectLegacy(ctx context.Context, conn *sql.Conn, state fileState) (*adoptPlan, error) {
	latest := latestSchema()
	baseline, err := referenceSchema(ctx, migrations.AdoptionBaseline)
	if err != nil {
		return nil, err
	}
	var ours []string // the names ctitui's migrations give tables and indexes
	for _, o := range latest {
		if o.Type == "table" || o.Type == "index" {
			ours = append(ours, o.Name)
		}
	}
	ours = append(ours, "ctitui_adopt_users", "ctitui_adopt_roles", "ctitui_adopt_user_roles") // apply's scratch names
	for _, t := range state.tables {
		if slices.Contains(ours, t) && !slices.Contains(adoptedTables, t) {
			return nil, fmt.Errorf("it already has a table named %s, which ctitui would create; rename it (sqlite3 %s %s) and try again",
				t, shellQuote(state.path), shellQuote(fmt.Sprintf("ALTER TABLE %s RENAME TO %s", quoteIdent(t), quoteIdent(t+"_old"))))
		}
	}
	def := func(rows []schemaRow, table string) tableDef {
		i := slices.IndexFunc(rows, func(o schemaRow) bool { return o.Type == "table" && o.Name == table })
		d, err := parseCreateTable(rows[i].SQL)
		if err != nil {
			panic(fmt.Sprintf("the migrations' definition of %s cannot be read: %v", table, err)) // tested: TestLatestSchemaFile
		}
		return d
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
	// Columns by which an older service may have kept accounts from logging
	// in. ctitui reads is_active and disabled_at; adopting an account that
	// another column blocked, as an active one, would let it in again.
	for _, c := range plan.users {
		if isAccessColumn(c.name) {
			return nil, fmt.Errorf("users table has a column named %s, which may keep accounts from logging in, and ctitui reads only is_active and disabled_at: "+
				"set disabled_at for the accounts it blocks, then rename it to keep its values (sqlite3 %s %s), and try again",
				c.name, shellQuote(state.path), shellQuote(fmt.Sprintf("ALTER TABLE users RENAME COLUMN %s TO %s", quoteIdent(c.name), quoteIdent(c.name+"_old"))))
		}
	}
	// Columns the adoption baseline does not define but later migrations
	// add: one of the file's own would make those migrations fail.
	for _, c := range def(latest, "users").columnNames() {
		if hasColumn(plan.users, c) && !slices.Contains(def(baseline, "users").columnNames(), c) || sameName(c, "email_normalized") && hasColumn(plan.users, c) {
			return nil, fmt.Errorf("users table already has a column named %s, which ctitui adds; rename it (sqlite3 %s %s) and try again",
				c, shellQuote(state.path), shellQuote(fmt.Sprintf("ALTER TABLE users RENAME COLUMN %s TO %s", quoteIdent(c), quoteIdent(c+"_old"))))
		}
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
	keys := func(table string) [][]string { return uniqueKeys(table, def(latest, table), latest) }
	if plan.usersShape, err = readLegacyShape(ctx, conn, "users", def(baseline, "users"), nil, plan.users, keys("users")); err != nil {
		return nil, err
	}
	if plan.roles != nil {
		if plan.rolesShape, err = readLegacyShape(ctx, conn, "roles", def(baseline, "roles"), nil, plan.roles, keys("roles")); err != nil {
			return nil, err
		}
	}
	if plan.userRoles != nil {
		if plan.linksShape, err = readLegacyShape(ctx, conn, "user_roles", def(baseline, "user_roles"), []string{plan.roleRef}, plan.userRoles, keys("user_roles")); err != nil {
			return nil, err
		}
	}
	// The file's own indexes on the rebuilt tables are made again on the new
	// ones, unless ctitui makes one of that name or it is a unique index
	// over columns ctitui writes. Its triggers are not: they are foreign
	// code, dropped with consent or refused.
	rows, err := conn.QueryContext(ctx, `SELECT name, tbl_name, sql FROM sqlite_schema
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'roles', 'user_roles')
		ORDER BY name`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, table, stmt string
		if err := rows.Scan(&name, &table, &stmt); err != nil {
			return nil, translate(err)
		}
		if slices.Contains(ours, name) {
			continue
		}
		i := slices.IndexFunc(latest, func(o schemaRow) bool { return o.Type == "table" && o.Name == table })
		shape := map[string]*legacyShape{"users": &plan.usersShape, "roles": &plan.rolesShape, "user_roles": &plan.linksShape}[table]
		legacy, err := legacyDef(ctx, conn, table)
		if err != nil {
			return nil, err
		}
		if why := indexRule(stmt, legacy, latest[i], latest); why != "" {
			shape.notKept = append(shape.notKept, notKept{item: "index " + name, why: why})
			continue
		}
		plan.saved = append(plan.saved, stmt)
	}
	return plan, translate(rows.Err())
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
	// The earlier service marked accounts inactive with a flag, which
	// ctitui calls disabled, whether or not the table also has disabled_at.
	// Read as its type, the start of its text (of a blob, in hex: enough to
	// judge it and to show it in an error) and, for a REAL, its exact value
	// (its text is rounded); by expressions, since the driver would turn a
	// column declared DATE or TIMESTAMP into a time.
	flag := "'integer', '1', NULL" // no flag: active
	if hasColumn(p.users, "is_active") {
		flag = activeFlagColumns
	}
	// Only ctitui's own SQL is added: column names it chose, and flag.
	rows, err := conn.QueryContext(ctx, `SELECT CAST(id AS TEXT), email, CAST(hashed_password AS TEXT), CAST(created_at AS TEXT), `+ //nolint:gosec // G202: see above
		optional("updated_at")+`, `+optional("disabled_at")+`, `+optional("last_login_at")+`, `+flag+` FROM users`)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	byEmail := make(map[string]string)
	ids := make(map[string]bool)
	for rows.Next() {
		var (
			id, email, hash, created, updated, disabled, lastIn *string
			flag                                                activeFlag
		)
		if err := rows.Scan(&id, &email, &hash, &created, &updated, &disabled, &lastIn, &flag.typ, &flag.text, &flag.real); err != nil {
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
		if hash == nil {
			return fmt.Errorf("user %s (%s) has no hashed_password", *id, *email)
		}
		if errors.Is(password.CheckStored(*hash), password.ErrHashTooCostly) {
			p.costly++
		}
		norm := user.NormalizeEmail(*email)
		if other, dup := byEmail[norm]; dup {
			return fmt.Errorf("users %q and %q have the same email once normalised", other, *email)
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
		active, ok := flag.active()
		if !ok {
			return fmt.Errorf("user %q has is_active %s, which is neither true (1, true, t, yes, y, on) nor false (0, false, f, no, n, off, NULL); set it to 1 or 0 and try again",
				*id, flag)
		}
		if !active && lu.disabled.IsZero() {
			// Disabled as of the last change the file records: the
			// earlier service kept no time for it.
			lu.disabled = lu.updated
			lu.inactive = true
		}
		p.rows = append(p.rows, lu)
	}
	return translate(rows.Err())
}

// plural renders n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
