package postgres

// Adopting a database made by the dashboard's create_all(): the service
// ctitui replaces kept its users in public.users (a uuid or text id, email,
// hashed_password, is_active, created_at, no updated_at), with roles,
// user_roles and tables of its own whose foreign keys point at users. It
// keeps running beside ctitui on the same tables, so adoption changes them
// in place (a rebuild cannot keep the dashboard's foreign keys, and a uuid
// id cannot become text while they point at it), in one transaction:
//
//  1. wait at most lockTimeout for an ACCESS EXCLUSIVE lock on the three
//     tables (the strongest lock the change needs, taken first: a weaker
//     lock raised later deadlocks with a dashboard transaction that read
//     users and then inserts into it);
//  2. inspect them and refuse, with one line and nothing changed, what
//     cannot be judged (a column that may keep accounts from logging in
//     other than is_active, an id type ctitui cannot write, a trigger of
//     the dashboard's own, ...);
//  3. copy them into schema ctitui_backup (the safety copy, in the same
//     transaction as the change);
//  4. add the columns ctitui's migrations 00001 and 00002 define that are
//     missing, with the types the dashboard already uses (uuid ids stay
//     uuid; timestamps take created_at's type), and fill them: updated_at
//     from created_at, disabled_at from is_active (an account that is not
//     active stays disabled: adoption never enables one), email_normalized
//     computed in Go exactly as ctitui computes it;
//  5. add the triggers that keep rows the dashboard writes complete and in
//     step (adopt_sql.go);
//  6. record versions 0 to 2 in goose's version table, so that the
//     ordinary migrate applies 3 and later on top; the search path
//     "ctitui, public" makes their unqualified users find public.users.
//
// Every row, every foreign key and every table of the dashboard stays.

import (
	"context"
	"errors"
	"fmt"
	"os"
	osuser "os/user"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctitui/ctitui/internal/user"
)

// ErrCannotAdopt reports a dashboard database that ctitui will not adopt as
// it is: the message says why and what to do. Nothing was changed.
var ErrCannotAdopt = errors.New("cannot adopt the dashboard's database")

const (
	// gooseVersionTable is goose's version table (migrate.go).
	gooseVersionTable = gooseTable
	// adoptionBaseline is the last migration whose schema adoption builds
	// by hand (users, roles, user_roles): migrations.AdoptionBaseline.
	adoptionBaseline = 2
	// backupSchema holds the safety copies adoption takes.
	backupSchema = "ctitui_backup"
	// adoptLockKey serialises adoption with migrations and with other
	// ctitui processes adopting the same database: migrate.go's key, taken
	// for the adoption's transaction.
	adoptLockKey = migrationLockKey
)

// DefaultAdoptLockTimeout is how long adoption waits for the dashboard's
// locks on its tables before giving up with nothing changed.
const DefaultAdoptLockTimeout = 2 * time.Second

// AdoptReport says what adoption did, for the person running ctitui.
type AdoptReport struct {
	Users    int      // users kept
	Disabled int      // users that were not active, kept disabled
	Nulls    int      // of those, users whose is_active was NULL (now false)
	Added    []string // columns added, as table.column
	Roles    []string // ctitui's roles added to the roles table
	Cascade  string   // the user_roles foreign key made ON DELETE CASCADE, if one was
	Backup   []string // the safety copies, schema-qualified
}

func (r *AdoptReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "adopted the dashboard's database: %d users kept", r.Users)
	if r.Disabled > 0 {
		fmt.Fprintf(&b, ", %d inactive users kept disabled", r.Disabled)
		if r.Nulls > 0 {
			fmt.Fprintf(&b, " (%d with is_active NULL, now false)", r.Nulls)
		}
	}
	if len(r.Added) > 0 {
		fmt.Fprintf(&b, ", added %s", strings.Join(r.Added, ", "))
	}
	if len(r.Roles) > 0 {
		fmt.Fprintf(&b, ", added roles %s", strings.Join(r.Roles, ", "))
	}
	if r.Cascade != "" {
		fmt.Fprintf(&b, ", %s now deletes a user's role links with the user", r.Cascade)
	}
	fmt.Fprintf(&b, "; safety copies: %s", strings.Join(r.Backup, ", "))
	return b.String()
}

// pgColumn is a column of a table as the catalog describes it.
type pgColumn struct {
	name     string
	typ      string // format_type: "uuid", "character varying(255)", ...
	base     string // the type's name without modifiers: uuid, varchar, timestamp, ...
	category string // pg_type.typcategory: S string, D date/time, N numeric, B boolean, U user-defined
	notNull  bool
	hasDef   bool // a default, identity or generation
	length   int  // varchar's length, -1 when unlimited
}

// pgTable is a table adoption looks at.
type pgTable struct {
	name    string // qualified and quoted: public.users
	oid     uint32
	columns []pgColumn
}

func (t *pgTable) column(name string) *pgColumn {
	for i := range t.columns {
		if t.columns[i].name == name {
			return &t.columns[i]
		}
	}
	return nil
}

// adoptPlan is what inspecting the dashboard's tables found.
type adoptPlan struct {
	users, roles, links *pgTable // roles and links are nil when the dashboard has none
	timeType            string   // the type of users.created_at, given to the columns added
	idType              string   // users.id's type
	linksFK             string   // the user_roles -> users foreign key, "" if none
	linksFKCascades     bool
	linksRoleFK         bool // user_roles.role_id has a foreign key to roles
	linksKey            bool // user_roles has a primary key or unique index on (user_id, role_id)
	rolesNameUnique     bool
	icu                 bool // the ICU collation und-x-icu exists, for lower()
}

// needsAdoption reports whether the database q reads is one the dashboard
// made: a users table in schema public, and no goose version table of
// ctitui's.
func needsAdoption(ctx context.Context, q queryer) (bool, error) {
	var dashboard bool
	err := q.QueryRow(ctx, `SELECT to_regclass('public.users') IS NOT NULL AND to_regclass($1) IS NULL`,
		gooseVersionTable).Scan(&dashboard)
	return dashboard, translate(err)
}

// adopt adopts the database pool connects to if the dashboard made it (see
// needsAdoption), and returns nil with nothing done otherwise. It waits at
// most lockTimeout for each lock. If it fails, nothing changed.
func adopt(ctx context.Context, pool *pgxpool.Pool, lockTimeout time.Duration) (*AdoptReport, error) {
	if yes, err := needsAdoption(ctx, pool); err != nil || !yes {
		return nil, err
	}
	if lockTimeout <= 0 {
		lockTimeout = DefaultAdoptLockTimeout
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("adopt database: %w", translate(err))
	}
	defer conn.Release()
	report, err := adoptOn(ctx, conn.Conn(), lockTimeout, time.Now().UTC())
	if err == nil {
		return report, nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" || errors.Is(err, ErrLocked) {
		// Who holds the lock, asked after the rollback (the transaction
		// is aborted), while the holder most likely still holds it.
		return nil, fmt.Errorf("%w: gave up after waiting %v for another program's lock on the users tables%s; nothing changed: try again when it is idle",
			ErrCannotAdopt, lockTimeout, lockHolders(ctx, conn.Conn()))
	}
	if errors.Is(err, ErrCannotAdopt) {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %w; nothing changed", ErrCannotAdopt, translate(err))
}

// lockHolders names the sessions that hold locks on public.users, roles or
// user_roles: " (held by pid 123 (application dashboard, idle in
// transaction, its transaction begun 2026-01-02T12:00:01Z))", or "" if
// none is found.
func lockHolders(ctx context.Context, conn *pgx.Conn) string {
	rows, err := conn.Query(ctx, `SELECT DISTINCT a.pid, a.application_name, a.state, a.xact_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation'
		  AND l.relation IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname IN ('users', 'roles', 'user_roles'))
		ORDER BY a.pid`)
	if err != nil {
		return ""
	}
	var held []string
	var (
		pid        int32
		app, state *string
		since      *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&pid, &app, &state, &since}, func() error {
		var about []string
		if app != nil && *app != "" {
			about = append(about, "application "+*app)
		}
		if state != nil && *state != "" {
			about = append(about, *state)
		}
		if since != nil {
			about = append(about, "its transaction begun "+since.UTC().Format(time.RFC3339))
		}
		held = append(held, fmt.Sprintf("pid %d (%s)", pid, strings.Join(about, ", ")))
		return nil
	})
	if err != nil || len(held) == 0 {
		return ""
	}
	return " (held by " + strings.Join(held, "; ") + ")"
}

// adoptOn runs the adoption on conn in one transaction, at the time now.
func adoptOn(ctx context.Context, conn *pgx.Conn, lockTimeout time.Duration, now time.Time) (report *AdoptReport, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx) //nolint:errcheck // the error that made us roll back is the story
		}
	}()
	// SET LOCAL takes no parameters; the value is a number ctitui made.
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", lockTimeout.Milliseconds())); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, adoptLockKey); err != nil {
		return nil, err
	}
	// Another ctitui may have adopted it while this one waited.
	if yes, err := needsAdoption(ctx, tx); err != nil || !yes {
		if err == nil {
			err = tx.Commit(ctx)
		}
		return nil, err
	}
	present := []string{"public.users"}
	for _, t := range []string{"public.roles", "public.user_roles"} {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, t).Scan(&ok); err != nil {
			return nil, err
		}
		if ok {
			present = append(present, t)
		}
	}
	// users first, as the dashboard's transactions take them (a user,
	// then its links), so that waiting never closes a cycle.
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(present, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, err
	}
	plan, err := inspect(ctx, tx, present)
	if err != nil {
		return nil, fmt.Errorf("%w: %w; nothing changed", ErrCannotAdopt, err)
	}
	users, err := plan.readUsers(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w; nothing changed", ErrCannotAdopt, err)
	}
	if err := plan.checkLinks(ctx, tx); err != nil {
		return nil, fmt.Errorf("%w: %w; nothing changed", ErrCannotAdopt, err)
	}
	report = &AdoptReport{Users: len(users.ids)}
	if report.Backup, err = plan.snapshot(ctx, tx, now); err != nil {
		return nil, fmt.Errorf("safety copy: %w", translate(err))
	}
	if err := plan.apply(ctx, tx, users, report); err != nil {
		return nil, err
	}
	if err := recordBaseline(ctx, tx); err != nil {
		return nil, fmt.Errorf("record the baseline versions: %w", translate(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return report, nil
}

// accessStems begin the words by which other services name a column that
// may keep an account from logging in (account_status, is_locked,
// can_login, valid_until, revoked_at, ...): the SQLite engine's list
// (internal/db adopt.go). Adoption refuses a users table with such a
// column rather than guess what its values meant: an account another
// column blocked, adopted as active, would be let in by ctitui.
var accessStems = []string{
	"activ", "deactiv", "enabl", "disabl", "status", "state", "lock", "block", "ban",
	"suspend", "revok", "archiv", "delet", "remov", "expir", "valid", "login", "access",
	"verif", "confirm", "approv",
}

// readAccessColumns are the columns of that kind that adoption reads itself.
var readAccessColumns = []string{"is_active", "disabled_at", "last_login_at"}

// isAccessColumn reports whether name may hold whether an account can log
// in, and adoption does not read it (see accessStems).
func isAccessColumn(name string) bool {
	if slices.Contains(readAccessColumns, name) {
		return false
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r < 'a' || r > 'z' })
	for _, w := range words {
		for _, stem := range accessStems {
			if strings.HasPrefix(w, stem) || strings.HasPrefix(strings.TrimPrefix(w, "is"), stem) ||
				strings.HasPrefix(strings.TrimPrefix(w, "can"), stem) {
				return true
			}
		}
	}
	return false
}

// ctituiAddsLater are users columns that migrations after the baseline add:
// a dashboard column of that name would make them fail, or be read as
// something it is not.
var ctituiAddsLater = []string{"email_normalized", "failed_logins", "locked_until", "email_skeleton", "role_names"}

// readTable reads a table's columns from the catalog.
func readTable(ctx context.Context, tx pgx.Tx, name string) (*pgTable, error) {
	t := &pgTable{name: name}
	var kind string
	var rls bool
	if err := tx.QueryRow(ctx, `SELECT c.oid, c.relkind, c.relrowsecurity FROM pg_class c WHERE c.oid = to_regclass($1)`, name).
		Scan(&t.oid, &kind, &rls); err != nil {
		return nil, err
	}
	if kind != "r" {
		return nil, fmt.Errorf("%s is not a plain table (a view, a partitioned or foreign table), which ctitui cannot judge", name)
	}
	if rls {
		return nil, fmt.Errorf("%s has row-level security, which would hide rows from ctitui", name)
	}
	var owned bool
	var me string
	if err := tx.QueryRow(ctx, `SELECT pg_has_role(current_user, relowner, 'USAGE'), current_user FROM pg_class WHERE oid = $1`, t.oid).Scan(&owned, &me); err != nil {
		return nil, err
	}
	if !owned {
		return nil, fmt.Errorf("%s is not owned by the role ctitui connects as (%s), so ctitui cannot add its columns: connect as its owner", name, me)
	}
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typcategory, a.attnotnull,
			a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
			CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod >= 4 THEN a.atttypmod - 4 ELSE -1 END
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, t.oid)
	if err != nil {
		return nil, err
	}
	var c pgColumn
	_, err = pgx.ForEachRow(rows, []any{&c.name, &c.typ, &c.base, &c.category, &c.notNull, &c.hasDef, &c.length}, func() error {
		t.columns = append(t.columns, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The dashboard's own triggers and rules would run on ctitui's
	// writes: foreign code, which ctitui does not judge.
	var trigger, rule *string
	if err := tx.QueryRow(ctx, `SELECT (SELECT min(tgname) FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal),
			(SELECT min(rulename) FROM pg_rewrite WHERE ev_class = $1 AND rulename <> '_RETURN')`, t.oid).Scan(&trigger, &rule); err != nil {
		return nil, err
	}
	if trigger != nil {
		return nil, fmt.Errorf("%s has a trigger of its own (%s), which would run on ctitui's writes and which ctitui cannot judge; drop it (DROP TRIGGER %s ON %s) or keep the dashboard's database as it is",
			name, *trigger, pgx.Identifier{*trigger}.Sanitize(), name)
	}
	if rule != nil {
		return nil, fmt.Errorf("%s has a rule (%s), which would rewrite ctitui's writes and which ctitui cannot judge", name, *rule)
	}
	return t, nil
}

// inspect reads the dashboard's tables and refuses what adoption cannot
// judge. present lists the tables that exist, users first.
func inspect(ctx context.Context, tx pgx.Tx, present []string) (*adoptPlan, error) {
	var encoding string
	if err := tx.QueryRow(ctx, `SELECT getdatabaseencoding()`).Scan(&encoding); err != nil {
		return nil, err
	}
	if encoding != "UTF8" {
		return nil, fmt.Errorf("the database's encoding is %s, and ctitui keeps Unicode email addresses: only UTF8 databases are adopted", encoding)
	}
	var ctituiSchema bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = to_regnamespace('ctitui'))
		OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = to_regnamespace('ctitui'))`).Scan(&ctituiSchema); err != nil {
		return nil, err
	}
	if ctituiSchema {
		return nil, errors.New("schema ctitui already holds objects but no goose version table, which ctitui cannot judge")
	}
	p := &adoptPlan{}
	var err error
	if p.users, err = readTable(ctx, tx, present[0]); err != nil {
		return nil, err
	}
	for _, t := range present[1:] {
		tab, err := readTable(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		if t == "public.roles" {
			p.roles = tab
		} else {
			p.links = tab
		}
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&p.icu); err != nil {
		return nil, err
	}
	if err := p.checkUsers(ctx, tx); err != nil {
		return nil, err
	}
	if err := p.checkRoles(ctx, tx); err != nil {
		return nil, err
	}
	return p, nil
}

func isTime(c *pgColumn) bool   { return c.base == "timestamp" || c.base == "timestamptz" }
func isString(c *pgColumn) bool { return c.base == "text" || c.base == "varchar" }

// checkUsers refuses a users table whose columns ctitui cannot judge.
func (p *adoptPlan) checkUsers(ctx context.Context, tx pgx.Tx) error {
	u := p.users
	for _, need := range []string{"id", "email", "hashed_password", "created_at"} {
		if u.column(need) == nil {
			return fmt.Errorf("users has no %s column", need)
		}
	}
	id := u.column("id")
	switch {
	case id.base == "uuid", id.base == "text", id.base == "varchar" && (id.length < 0 || id.length >= 36):
	default:
		return fmt.Errorf("users.id is %s, and ctitui writes ids as UUID strings: only uuid, text and varchar of 36 or more are adopted", id.typ)
	}
	p.idType = id.typ
	for _, name := range []string{"email", "hashed_password"} {
		if c := u.column(name); !isString(c) {
			return fmt.Errorf("users.%s is %s, and ctitui reads and writes text there: only text and varchar are adopted", name, c.typ)
		}
	}
	created := u.column("created_at")
	if !isTime(created) {
		return fmt.Errorf("users.created_at is %s, and ctitui keeps times there: only timestamp and timestamptz are adopted", created.typ)
	}
	p.timeType = created.typ
	for _, name := range []string{"updated_at", "disabled_at", "last_login_at"} {
		if c := u.column(name); c != nil && !isTime(c) {
			return fmt.Errorf("users.%s is %s, and ctitui keeps times there: rename it and try again", name, c.typ)
		}
	}
	if c := u.column("is_active"); c != nil && c.base != "bool" {
		return fmt.Errorf("users.is_active is %s, not boolean, so ctitui cannot judge which accounts may log in", c.typ)
	}
	for _, c := range u.columns {
		if slices.Contains(ctituiAddsLater, c.name) {
			return fmt.Errorf("users already has a column named %s, which ctitui adds; rename it (ALTER TABLE users RENAME COLUMN %s TO %s) and try again",
				c.name, pgx.Identifier{c.name}.Sanitize(), pgx.Identifier{c.name + "_old"}.Sanitize())
		}
		if isAccessColumn(c.name) {
			return fmt.Errorf("users has a column named %s, which may keep accounts from logging in, and ctitui reads only is_active and disabled_at: "+
				"set disabled_at (or is_active false) for the accounts it blocks, then rename it (ALTER TABLE users RENAME COLUMN %s TO %s) and try again",
				c.name, pgx.Identifier{c.name}.Sanitize(), pgx.Identifier{c.name + "_old"}.Sanitize())
		}
		known := slices.Contains([]string{"id", "email", "hashed_password", "created_at", "updated_at", "disabled_at", "last_login_at", "is_active"}, c.name)
		if !known && c.notNull && !c.hasDef {
			return fmt.Errorf("users.%s must have a value and has no default, so ctitui could not add users; give it a default (ALTER TABLE users ALTER COLUMN %s SET DEFAULT ...) and try again",
				c.name, pgx.Identifier{c.name}.Sanitize())
		}
	}
	var pk []string
	if err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(a.attname::text ORDER BY a.attnum), '{}') FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = $1 AND i.indisprimary`, u.oid).Scan(&pk); err != nil {
		return err
	}
	if !slices.Equal(pk, []string{"id"}) {
		return fmt.Errorf("users' primary key is (%s), not (id), which ctitui cannot judge", strings.Join(pk, ", "))
	}
	// Index names ctitui's migrations give: one of the dashboard's own of
	// that name would make them fail.
	var clash *string
	if err := tx.QueryRow(ctx, `SELECT min(relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`,
		[]string{"users_email_normalized_key", "users_created_at_idx", "users_updated_at_idx", "users_id_text_key", "user_roles_role_id_idx", "users_email_search_idx", "users_email_skeleton_idx"}).Scan(&clash); err != nil {
		return err
	}
	if clash != nil && *clash != "user_roles_role_id_idx" {
		return fmt.Errorf("schema public already has a relation named %s, which ctitui creates; rename it and try again", *clash)
	}
	return nil
}

// checkRoles refuses roles and user_roles tables ctitui cannot use, and
// finds their keys.
func (p *adoptPlan) checkRoles(ctx context.Context, tx pgx.Tx) error {
	if p.links != nil && p.roles == nil {
		return errors.New("user_roles exists but roles does not, which ctitui cannot judge")
	}
	if p.roles != nil {
		r := p.roles
		id, name := r.column("id"), r.column("name")
		if id == nil || name == nil {
			return errors.New("roles has no id or no name column")
		}
		if id.base != "int2" && id.base != "int4" && id.base != "int8" {
			return fmt.Errorf("roles.id is %s, and ctitui refers to roles by integer ids", id.typ)
		}
		if !id.hasDef {
			return errors.New("roles.id has no default (serial or identity), so ctitui could not add its roles")
		}
		if !isString(name) {
			return fmt.Errorf("roles.name is %s, not text", name.typ)
		}
		for _, c := range r.columns {
			if c.name != "id" && c.name != "name" && c.name != "description" && c.notNull && !c.hasDef {
				return fmt.Errorf("roles.%s must have a value and has no default, so ctitui could not add its roles", c.name)
			}
		}
		if d := r.column("description"); d != nil && !isString(d) {
			return fmt.Errorf("roles.description is %s, not text", d.typ)
		}
		var err error
		if p.rolesNameUnique, err = uniqueOn(ctx, tx, r.oid, []string{"name"}); err != nil {
			return err
		}
	}
	if p.links == nil {
		return nil
	}
	l := p.links
	uid, rid := l.column("user_id"), l.column("role_id")
	if uid == nil || rid == nil {
		return errors.New("user_roles has no user_id or no role_id column")
	}
	if uid.typ != p.idType && !(isString(uid) && isString(p.users.column("id"))) {
		return fmt.Errorf("user_roles.user_id is %s but users.id is %s, which ctitui cannot judge", uid.typ, p.idType)
	}
	if rid.base != "int2" && rid.base != "int4" && rid.base != "int8" {
		return fmt.Errorf("user_roles.role_id is %s, not an integer", rid.typ)
	}
	for _, c := range l.columns {
		if c.name != "user_id" && c.name != "role_id" && c.notNull && !c.hasDef {
			return fmt.Errorf("user_roles.%s must have a value and has no default, so ctitui could not link roles", c.name)
		}
	}
	var err error
	if p.linksKey, err = uniqueOn(ctx, tx, l.oid, []string{"user_id", "role_id"}); err != nil {
		return err
	}
	var fk *string
	var action *string
	if err := tx.QueryRow(ctx, `SELECT min(conname), min(confdeltype::text) FROM pg_constraint
		WHERE contype = 'f' AND conrelid = $1 AND confrelid = $2
		  AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = $1 AND attname = 'user_id')]::int2[]`,
		l.oid, p.users.oid).Scan(&fk, &action); err != nil {
		return err
	}
	if fk != nil {
		p.linksFK, p.linksFKCascades = *fk, *action == "c"
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conrelid = $1 AND confrelid = $2)`,
		l.oid, p.roles.oid).Scan(&p.linksRoleFK); err != nil {
		return err
	}
	return nil
}

// uniqueOn reports whether the table with oid has a unique index (or
// primary key) on exactly cols, in any order, without a predicate.
func uniqueOn(ctx context.Context, tx pgx.Tx, oid uint32, cols []string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL
		AND i.indexprs IS NULL AND i.indnatts = cardinality($2::text[])
		AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum = ANY(i.indkey))
		    = (SELECT array_agg(c ORDER BY c) FROM unnest($2::text[]) c))`, oid, cols).Scan(&ok)
	return ok, err
}

// adoptedUsers is what adoption computed from the rows of users.
type adoptedUsers struct {
	ids, normalized []string
}

// readUsers reads every user, computes its normalised email in Go, as
// ctitui computes it, and refuses rows ctitui could not keep as they are.
func (p *adoptPlan) readUsers(ctx context.Context, tx pgx.Tx) (*adoptedUsers, error) {
	rows, err := tx.Query(ctx, `SELECT id::text, email, hashed_password IS NULL, created_at IS NULL, NOT COALESCE(isfinite(created_at), true)
		FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	out := &adoptedUsers{}
	byNorm := map[string]string{}
	var (
		id                      string
		email                   *string
		noHash, noTime, infinte bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &email, &noHash, &noTime, &infinte}, func() error {
		switch {
		case email == nil || strings.TrimSpace(*email) == "":
			return fmt.Errorf("user %s has no email", id)
		case noHash:
			return fmt.Errorf("user %s (%s) has no hashed_password", id, *email)
		case noTime:
			return fmt.Errorf("user %s (%s) has no created_at", id, *email)
		case infinte:
			return fmt.Errorf("user %s (%s) has a created_at that is no time (infinity)", id, *email)
		}
		n := user.NormalizeEmail(*email)
		if other, dup := byNorm[n]; dup {
			return fmt.Errorf("users %q and %q have the same email once normalised, and ctitui keeps one account per address; merge or rename one and try again", other, *email)
		}
		byNorm[n] = *email
		out.ids, out.normalized = append(out.ids, id), append(out.normalized, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkLinks refuses roles and links that ctitui's keys would refuse.
func (p *adoptPlan) checkLinks(ctx context.Context, tx pgx.Tx) error {
	if p.roles != nil {
		var dupe *string
		var nameless int
		if err := tx.QueryRow(ctx, `SELECT (SELECT name FROM roles GROUP BY name HAVING count(*) > 1 ORDER BY name LIMIT 1),
				(SELECT count(*) FROM roles WHERE name IS NULL)`).Scan(&dupe, &nameless); err != nil {
			return err
		}
		if dupe != nil {
			return fmt.Errorf("roles names %q more than once", *dupe)
		}
		if nameless > 0 {
			return fmt.Errorf("roles has %d roles without a name", nameless)
		}
	}
	if p.links == nil {
		return nil
	}
	var orphans, nulls int
	if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM user_roles ur WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ur.user_id)
			   OR NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = ur.role_id)),
			(SELECT count(*) FROM user_roles WHERE user_id IS NULL OR role_id IS NULL)`).Scan(&orphans, &nulls); err != nil {
		return err
	}
	if nulls > 0 {
		return fmt.Errorf("user_roles has %d rows without a user or a role", nulls)
	}
	if orphans > 0 {
		return fmt.Errorf("user_roles has %d rows for users or roles that do not exist", orphans)
	}
	if !p.linksKey {
		var dupes int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM user_roles GROUP BY user_id, role_id HAVING count(*) > 1) d`).Scan(&dupes); err != nil {
			return err
		}
		if dupes > 0 {
			return fmt.Errorf("user_roles links %d users to the same role more than once", dupes)
		}
	}
	return nil
}

// snapshot copies the dashboard's tables into schema ctitui_backup, in the
// transaction that changes them, and returns the copies' names.
func (p *adoptPlan) snapshot(ctx context.Context, tx pgx.Tx, now time.Time) ([]string, error) {
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+backupSchema); err != nil {
		return nil, err
	}
	stamp := strings.ToLower(now.UTC().Format("20060102t150405z"))
	var names []string
	for _, t := range []*pgTable{p.users, p.roles, p.links} {
		if t == nil {
			continue
		}
		base := strings.TrimPrefix(t.name, "public.")
		copyName := pgx.Identifier{backupSchema, base + "_pre_adopt_" + stamp}
		if _, err := tx.Exec(ctx, "CREATE TABLE "+copyName.Sanitize()+" AS TABLE "+t.name); err != nil {
			return nil, err
		}
		names = append(names, backupSchema+"."+base+"_pre_adopt_"+stamp)
	}
	return names, nil
}

// recordBaseline creates goose's version table as goose would, recording
// versions 0 (goose's first row) to adoptionBaseline as applied.
func recordBaseline(ctx context.Context, tx pgx.Tx) error {
	// The table goose's Postgres dialect creates (goose v3.30.0,
	// internal/dialects/postgres.go); TestAdoptGooseReadsBaseline checks
	// that goose reads it.
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS ctitui`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE `+gooseVersionTable+` (
		id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
		version_id bigint NOT NULL,
		is_applied boolean NOT NULL,
		tstamp timestamp NOT NULL DEFAULT now()
	)`); err != nil {
		return err
	}
	for v := int64(0); v <= adoptionBaseline; v++ {
		if _, err := tx.Exec(ctx, `INSERT INTO `+gooseVersionTable+` (version_id, is_applied) VALUES ($1, true)`, v); err != nil {
			return err
		}
	}
	return nil
}

// adoptThenMigrate adopts the database of s if the dashboard made it (see
// adopt), then migrates it, or any other database, as migrate does, and
// then records the adoption in the audit log (which migration 3 creates,
// so it cannot be written in the adoption's own transaction).
func (s *Store) adoptThenMigrate(ctx context.Context) error {
	report, err := adopt(ctx, s.pool, DefaultAdoptLockTimeout)
	if err != nil {
		return err
	}
	if err := migrate(ctx, s.pool); err != nil {
		return err
	}
	if report == nil {
		return nil
	}
	entry := user.AuditEntry{At: time.Now().UTC().Truncate(time.Millisecond), Actor: osActor(), Action: user.ActionAdopt, Details: report.String()}
	if err := s.WithTx(ctx, func(tx user.Tx) error { return tx.AppendAudit(ctx, entry) }); err != nil {
		return fmt.Errorf("record the adoption in the audit log (the database was adopted and migrated): %w", err)
	}
	return nil
}

// osActor is the name of the OS user running ctitui, as the audit log
// records actors; Open has no actor of its own to give.
func osActor() string {
	if u, err := osuser.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "unknown"
}
