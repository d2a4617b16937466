package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// adoptedEmailFold is the normalised email of rows ctitui did not write.
// For an address of plain ASCII without an "xn--" label it is exactly
// user.NormalizeEmail: spaces trimmed, ASCII letters lowered (lower under
// the C collation lowers nothing else, whatever the database's locale;
// under a Turkish locale lower('I') would be 'ı'). Otherwise it is the
// nearest PostgreSQL comes: Unicode lower() (ICU's root locale where the
// server has it), ß and ẞ folded to ss as Go's case folding does (lower()
// keeps ß: 'straße' vs 'strasse'), NFC; punycode domains are not decoded
// and other full case foldings (ligatures, final sigma) are not applied.
// %s is the collation for lower() on that path.
const adoptedEmailFold = `CREATE FUNCTION ctitui.adopted_email_fold(email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $fold$
SELECT CASE
    WHEN t ~ '^[\x01-\x7f]*$' AND strpos(lower(t COLLATE "C"), 'xn--') = 0 THEN lower(t COLLATE "C") COLLATE "default"
    ELSE normalize(replace(replace(lower(normalize(t, NFC) COLLATE %s), 'ß', 'ss'), 'ẞ', 'ss'), NFC) COLLATE "default"
END
FROM (SELECT btrim(email, E' \t\n\v\f\r') AS t) s
$fold$`

// adoptedUsersSync keeps every row of the adopted users table complete and
// its two ways of saying "disabled" in step, whoever writes it: the
// dashboard's ORM knows is_active and not email_normalized, updated_at or
// disabled_at; ctitui knows disabled_at and not is_active.
//
//   - a new row gets email_normalized (adopted_email_fold), created_at (now)
//     and updated_at (created_at) when its writer gave none;
//   - a new row is disabled if either column says so, and then both do;
//   - is_active changed alone (the dashboard) sets or clears disabled_at;
//     disabled_at changed alone (ctitui) sets is_active; both changed and
//     disagreeing, disabled wins;
//   - created_at never changes;
//   - updated_at moves when any column other than the bookkeeping ones
//     (last_login_at, the lockout counters, the derived skeleton and role
//     names) changes and the writer did not set updated_at itself;
//   - an email changed by a writer that left email_normalized as it was
//     (the dashboard) gets its normalised form again.
//
// The %[n]s are: 1 the type of updated_at, 2 now() in it, 3 the type of
// disabled_at, 4 now() in it, 5 the is_active handling on insert, 6 on
// update, 7 retimeNestedUpdate or nothing.
const adoptedUsersSync = `CREATE FUNCTION ctitui.adopted_users_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $sync$
DECLARE
    updated_now %[1]s := %[2]s;
    disabled_now %[3]s := %[4]s;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.email_normalized IS NULL THEN
            NEW.email_normalized := ctitui.adopted_email_fold(NEW.email);
        END IF;
        IF NEW.created_at IS NULL THEN
            NEW.created_at := updated_now;
        END IF;
        IF NEW.updated_at IS NULL THEN
            NEW.updated_at := NEW.created_at;
        END IF;
%[5]s
        RETURN NEW;
    END IF;
    IF NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'users.created_at cannot change' USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, COLUMN = 'created_at';
    END IF;
    IF NEW.email_normalized IS NOT DISTINCT FROM OLD.email_normalized
       AND ctitui.adopted_email_fold(NEW.email) IS DISTINCT FROM ctitui.adopted_email_fold(OLD.email) THEN
        NEW.email_normalized := ctitui.adopted_email_fold(NEW.email);
    END IF;
%[6]s
%[7]s
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
       AND (to_jsonb(NEW) - ARRAY['updated_at', 'last_login_at', 'failed_logins', 'locked_until', 'email_skeleton', 'role_names'])
           IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['updated_at', 'last_login_at', 'failed_logins', 'locked_until', 'email_skeleton', 'role_names']) THEN
        NEW.updated_at := greatest(updated_now, NEW.created_at);
    END IF;
    RETURN NEW;
END
$sync$`

// syncActiveOnInsert and syncActiveOnUpdate are adoptedUsersSync's
// is_active handling, for a users table that has the column.
const (
	syncActiveOnInsert = `        IF NEW.disabled_at IS NULL AND NEW.is_active IS NOT NULL AND NOT NEW.is_active THEN
            NEW.disabled_at := NEW.updated_at;
        END IF;
        NEW.is_active := NEW.disabled_at IS NULL;`
	syncActiveOnUpdate = `    IF NEW.is_active IS DISTINCT FROM OLD.is_active AND NEW.disabled_at IS NOT DISTINCT FROM OLD.disabled_at THEN
        IF NEW.is_active THEN
            NEW.disabled_at := NULL;
        ELSE
            NEW.disabled_at := COALESCE(NEW.disabled_at, disabled_now);
        END IF;
    ELSIF NEW.is_active IS DISTINCT FROM OLD.is_active AND (NEW.disabled_at IS NOT NULL OR NEW.is_active IS NOT TRUE) THEN
        NEW.disabled_at := COALESCE(NEW.disabled_at, disabled_now);
    END IF;
    NEW.is_active := NEW.disabled_at IS NULL;`
)

// adoptedUsersDeleteGuard refuses a delete by ctitui of a user whom rows of
// the dashboard's own tables reference through a foreign key that would
// cascade, or set them NULL or to a default: ctitui's delete must lose
// nothing of the dashboard's, and says so as a foreign key violation (the
// store reads it as user.ErrReferenced: disable the account instead). A
// foreign key without an action (NO ACTION, RESTRICT) refuses such a
// delete by itself. user_roles is the link ctitui manages and deletes
// with the user; ctitui's own schema holds no key to users. The
// dashboard's deletes (its sessions are not named ctitui) behave as its
// schema says, as before adoption. The keys are read at each delete, so
// that ones the dashboard adds later are covered.
const adoptedUsersDeleteGuard = `CREATE FUNCTION ctitui.adopted_users_delete_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $guard$
DECLARE
    fk record;
    cond text;
    found boolean;
BEGIN
    IF current_setting('application_name', true) IS DISTINCT FROM 'ctitui' THEN
        RETURN OLD;
    END IF;
    FOR fk IN
        SELECT c.conrelid, c.conrelid::regclass::text AS tbl, c.conkey, c.confkey
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.confrelid = TG_RELID AND c.confdeltype IN ('c', 'n', 'd')
          AND c.conrelid <> to_regclass('public.user_roles')
          AND c.connamespace <> to_regnamespace('ctitui')
        ORDER BY c.conname
    LOOP
        SELECT string_agg(format('%I IS NOT DISTINCT FROM ($1).%I', ca.attname, ra.attname), ' AND ')
        INTO cond
        FROM unnest(fk.conkey, fk.confkey) AS k(c, r)
        JOIN pg_attribute ca ON ca.attrelid = fk.conrelid AND ca.attnum = k.c
        JOIN pg_attribute ra ON ra.attrelid = TG_RELID AND ra.attnum = k.r;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %s)', fk.tbl, cond) INTO found USING OLD;
        IF found THEN
            RAISE EXCEPTION 'user % is referenced by rows of %, which deleting it would change', OLD.id, fk.tbl
                USING ERRCODE = 'foreign_key_violation', TABLE = fk.tbl,
                      HINT = 'disable the account instead';
        END IF;
    END LOOP;
    RETURN OLD;
END
$guard$`

// retimeNestedUpdate is adoptedUsersSync's handling of an updated_at that
// is a timestamp without time zone, set by one of ctitui's own triggers
// (migrations 4 and 11 stamp a user whose roles change with
// clock_timestamp()): assigned to such a column, that time becomes the
// wall clock of the writer's session time zone, which is the dashboard's
// when the dashboard changes roles. It is taken again as UTC.
const retimeNestedUpdate = `    IF pg_trigger_depth() > 1 AND NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := greatest(updated_now, NEW.created_at);
    END IF;`

// nowIn is now() as a value of a timestamp column of type typ, to the
// millisecond as ctitui writes times: the UTC wall clock for a timestamp
// without time zone, whatever the writer's session time zone.
func nowIn(typ string) string {
	if strings.HasPrefix(typ, "timestamp with time zone") {
		return "date_trunc('milliseconds', now())"
	}
	return "date_trunc('milliseconds', now() AT TIME ZONE 'UTC')"
}

// apply changes the dashboard's tables to the shape of migrations 00001
// and 00002, keeping every row, and fills in report.
func (p *adoptPlan) apply(ctx context.Context, tx pgx.Tx, users *adoptedUsers, report *AdoptReport) error {
	exec := func(what, sql string, args ...any) error {
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", what, translate(err))
		}
		return nil
	}
	if err := exec("create schema ctitui", `CREATE SCHEMA IF NOT EXISTS ctitui`); err != nil {
		return err
	}
	u := p.users
	hasActive := u.column("is_active") != nil
	if hasActive {
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE is_active IS NOT TRUE OR `+
			map[bool]string{true: "disabled_at IS NOT NULL", false: "false"}[u.column("disabled_at") != nil]+`),
			count(*) FILTER (WHERE is_active IS NULL) FROM users`).Scan(&report.Disabled, &report.Nulls); err != nil {
			return fmt.Errorf("count inactive users: %w", err)
		}
	}
	// 1. The missing columns, with the dashboard's types.
	types := map[string]string{"email_normalized": "text"}
	var adds []string
	for _, name := range []string{"email_normalized", "updated_at", "disabled_at", "last_login_at"} {
		if c := u.column(name); c != nil {
			types[name] = c.typ
			continue
		}
		if types[name] == "" {
			types[name] = p.timeType
		}
		adds = append(adds, "ADD COLUMN "+name+" "+types[name])
		report.Added = append(report.Added, "users."+name)
	}
	if err := exec("add columns", `ALTER TABLE public.users `+strings.Join(adds, ", ")); err != nil {
		return err
	}
	// 2. Fill them. An account that is not active (false or NULL) is
	// disabled as of its last recorded change: the dashboard kept no
	// time for it. One that is disabled stays disabled.
	disabled := "u.disabled_at"
	active := ""
	if hasActive {
		disabled = "CASE WHEN u.disabled_at IS NULL AND u.is_active IS NOT TRUE THEN greatest(COALESCE(u.updated_at, u.created_at), u.created_at) ELSE u.disabled_at END"
		active = ", is_active = (u.disabled_at IS NULL AND u.is_active IS TRUE)"
	}
	if err := exec("fill columns", `UPDATE public.users u SET email_normalized = v.n,
			updated_at = greatest(COALESCE(u.updated_at, u.created_at), u.created_at),
			disabled_at = `+disabled+active+`
		FROM unnest($1::text[], $2::text[]) AS v(id, n) WHERE u.id::text = v.id`, users.ids, users.normalized); err != nil {
		return err
	}
	// 3. The constraints of ctitui's shape. SET NOT NULL is safe from a
	// concurrent insert without a value: the table is locked.
	var notNull []string
	for _, name := range []string{"email", "email_normalized", "hashed_password", "created_at", "updated_at"} {
		if c := u.column(name); c == nil || !c.notNull {
			notNull = append(notNull, "ALTER COLUMN "+name+" SET NOT NULL")
		}
	}
	if err := exec("set NOT NULL", `ALTER TABLE public.users `+strings.Join(notNull, ", ")); err != nil {
		return err
	}
	for _, stmt := range []string{
		`CREATE UNIQUE INDEX users_email_normalized_key ON public.users (email_normalized)`,
		`CREATE INDEX users_created_at_idx ON public.users (created_at, id)`,
		`CREATE INDEX users_updated_at_idx ON public.users (updated_at, id)`,
	} {
		if err := exec("index users", stmt); err != nil {
			return err
		}
	}
	// ctitui names users by their ids as text (id::text = $1, which the
	// primary key serves for a text or varchar id): a uuid id needs an
	// index on its text for that.
	if p.users.column("id").base == "uuid" {
		if err := exec("index users", `CREATE UNIQUE INDEX users_id_text_key ON public.users ((id::text))`); err != nil {
			return err
		}
	}
	// 4. roles and user_roles.
	if err := p.applyRoles(ctx, tx, report); err != nil {
		return err
	}
	// 5. The triggers for rows the dashboard writes, and ctitui's deletes.
	collation := `"default"`
	if p.icu {
		collation = `"und-x-icu"`
	}
	onInsert, onUpdate, retime := "", "", ""
	if !strings.HasPrefix(types["updated_at"], "timestamp with time zone") {
		retime = retimeNestedUpdate
	}
	if hasActive {
		onInsert, onUpdate = syncActiveOnInsert, syncActiveOnUpdate
	}
	for _, stmt := range []string{
		fmt.Sprintf(adoptedEmailFold, collation),
		fmt.Sprintf(adoptedUsersSync, types["updated_at"], nowIn(types["updated_at"]), types["disabled_at"], nowIn(types["disabled_at"]), onInsert, onUpdate, retime),
		`CREATE TRIGGER ctitui_adopted_sync BEFORE INSERT OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION ctitui.adopted_users_sync()`,
		adoptedUsersDeleteGuard,
		`CREATE TRIGGER ctitui_adopted_delete_guard BEFORE DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION ctitui.adopted_users_delete_guard()`,
	} {
		if err := exec("create triggers", stmt); err != nil {
			return err
		}
	}
	return nil
}

// ctituiRoles are the roles migration 00002 seeds.
var ctituiRoles = []struct{ name, description string }{
	{"admin", "Manages user accounts and platform settings"},
	{"analyst", "Creates and edits threat intelligence"},
	{"viewer", "Reads threat intelligence"},
}

// applyRoles brings roles and user_roles to migration 00002's shape: the
// dashboard's tables where it has them (their id types kept), ctitui's own
// in schema ctitui where it has none.
func (p *adoptPlan) applyRoles(ctx context.Context, tx pgx.Tx, report *AdoptReport) error {
	exec := func(what, sql string, args ...any) error {
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", what, translate(err))
		}
		return nil
	}
	roles, links := "public.roles", "public.user_roles"
	if p.roles == nil {
		roles, links = "ctitui.roles", "ctitui.user_roles"
		if err := exec("create roles", `CREATE TABLE ctitui.roles (
			id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			name text NOT NULL UNIQUE,
			description text NOT NULL DEFAULT '')`); err != nil {
			return err
		}
	} else {
		if p.roles.column("description") == nil {
			if err := exec("add roles.description", `ALTER TABLE public.roles ADD COLUMN description text NOT NULL DEFAULT ''`); err != nil {
				return err
			}
			report.Added = append(report.Added, "roles.description")
		}
		if !p.rolesNameUnique {
			if err := exec("index roles", `CREATE UNIQUE INDEX roles_name_key ON public.roles (name)`); err != nil {
				return err
			}
		}
	}
	for _, r := range ctituiRoles {
		tag, err := tx.Exec(ctx, `INSERT INTO `+roles+` (name, description) SELECT $1::text, $2::text WHERE NOT EXISTS (SELECT 1 FROM `+roles+` WHERE name = $1::text)`, r.name, r.description)
		if err != nil {
			return fmt.Errorf("add role %s: %w", r.name, err)
		}
		if tag.RowsAffected() > 0 {
			report.Roles = append(report.Roles, r.name)
		}
	}
	if p.links == nil {
		roleIDType := "bigint"
		if p.roles != nil {
			roleIDType = p.roles.column("id").typ
		}
		return exec("create user_roles", fmt.Sprintf(`CREATE TABLE ctitui.user_roles (
			user_id %s NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
			role_id %s NOT NULL REFERENCES %s (id) ON DELETE RESTRICT,
			PRIMARY KEY (user_id, role_id));
			CREATE INDEX user_roles_role_id_idx ON ctitui.user_roles (role_id, user_id)`, p.idType, roleIDType, roles))
	}
	if !p.linksKey {
		if err := exec("key user_roles", `ALTER TABLE public.user_roles ADD CONSTRAINT user_roles_pkey PRIMARY KEY (user_id, role_id)`); err != nil {
			return err
		}
	}
	// ctitui deletes a user with its role links, as its own schema does
	// (ON DELETE CASCADE); the dashboard's ORM removes the links itself
	// before the user, so the cascade changes nothing for it.
	switch {
	case p.linksFK == "":
		if err := exec("key user_roles", `ALTER TABLE public.user_roles ADD CONSTRAINT user_roles_user_id_fkey
			FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE`); err != nil {
			return err
		}
	case !p.linksFKCascades:
		fk := pgx.Identifier{p.linksFK}.Sanitize()
		// The rows are valid (checked under the lock, and the key held):
		// NOT VALID then VALIDATE would only scan them again.
		if err := exec("make user_roles cascade", `ALTER TABLE public.user_roles DROP CONSTRAINT `+fk+`,
			ADD CONSTRAINT `+fk+` FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE`); err != nil {
			return err
		}
		report.Cascade = "user_roles." + p.linksFK
	}
	if !p.linksRoleFK {
		if err := exec("key user_roles", `ALTER TABLE public.user_roles ADD CONSTRAINT user_roles_role_id_fkey
			FOREIGN KEY (role_id) REFERENCES `+roles+` (id) ON DELETE RESTRICT`); err != nil {
			return err
		}
	}
	return exec("index user_roles", `CREATE INDEX IF NOT EXISTS user_roles_role_id_idx ON `+links+` (role_id, user_id)`)
}
