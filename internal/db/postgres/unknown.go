package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/db"
)

// What "unknown objects" are on PostgreSQL: triggers and rules on ctitui's
// tables (users, roles, user_roles, settings, audit_log, audit_head, found
// through the search path, so public.users of an adopted database counts)
// that ctitui did not create. They would run on ctitui's writes. Not
// unknown: the triggers PostgreSQL makes for foreign keys (internal ones,
// so a dashboard's tables that refer to users stay as they are), other
// tables and views of any schema (nothing of theirs runs on ctitui's
// writes), and ctitui's own triggers below, each on its table and calling
// its function in schema ctitui.
var knownTriggers = map[string]string{ // "table.trigger" -> function
	"users.users_timestamps":            "users_timestamps",
	"users.users_email_skeleton_stale":  "users_email_skeleton_stale",
	"users.users_role_names":            "users_role_names",
	"users.ctitui_adopted_sync":         "adopted_users_sync",
	"users.ctitui_adopted_delete_guard": "adopted_users_delete_guard",
	"user_roles.user_roles_changed":     "user_roles_changed",
	"roles.roles_names_changed":         "roles_names_changed",
	"users.ctitui_notify_change":        "ctitui_notify_change",
	"roles.ctitui_notify_change":        "ctitui_notify_change",
	"user_roles.ctitui_notify_change":   "ctitui_notify_change",
	"audit_log.ctitui_notify_change":    "ctitui_notify_change",
	"settings.ctitui_notify_change":     "ctitui_notify_change",
}

// unknownObject is a trigger or rule ctitui did not create.
type unknownObject struct {
	kind, name, table, definition string
}

func (o unknownObject) String() string { return o.kind + " " + o.name + " on " + o.table }

// unknownObjectsQuery lists the triggers and rules on ctitui's tables, with
// the schema of a trigger's function.
const unknownObjectsQuery = `WITH t(oid) AS (
	SELECT to_regclass(name) FROM unnest(ARRAY['users', 'roles', 'user_roles', 'settings', 'audit_log', 'audit_head']) AS name
)
SELECT 'trigger', tg.tgname, c.relname, c.oid::regclass::text, p.proname, p.pronamespace::regnamespace::text, pg_get_triggerdef(tg.oid)
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
WHERE NOT tg.tgisinternal AND tg.tgrelid IN (SELECT oid FROM t)
UNION ALL
SELECT 'rule', r.rulename, c.relname, c.oid::regclass::text, '', '', pg_get_ruledef(r.oid)
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
WHERE r.rulename <> '_RETURN' AND r.ev_class IN (SELECT oid FROM t)
ORDER BY 3, 2`

// unknownObjects lists what q finds of the triggers and rules on ctitui's
// tables that ctitui did not create.
func unknownObjects(ctx context.Context, q queryer) ([]unknownObject, error) {
	rows, err := q.Query(ctx, unknownObjectsQuery)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []unknownObject
	for rows.Next() {
		var o unknownObject
		var relname, fn, fnSchema string
		if err := rows.Scan(&o.kind, &o.name, &relname, &o.table, &fn, &fnSchema, &o.definition); err != nil {
			return nil, translate(err)
		}
		if want, ok := knownTriggers[relname+"."+o.name]; o.kind == "trigger" && ok && fn == want && fnSchema == schemaName {
			continue
		}
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

// checkUnknownObjects refuses a database whose tables carry unknown
// objects (db.ErrUnknownSchema), or, with opts.DropUnknownObjects, keeps
// their definitions in ctitui_backup.dropped_objects and drops them, in one
// write transaction, recording what it dropped in s.dropped.
func (s *Store) checkUnknownObjects(ctx context.Context, opts Options) error {
	found, err := unknownObjects(ctx, s.pool)
	if err != nil || len(found) == 0 {
		return err
	}
	names := make([]string, len(found))
	for i, o := range found {
		names[i] = o.String()
	}
	if !opts.DropUnknownObjects {
		return fmt.Errorf("%w: %s; they would run on ctitui's writes. Remove them, or let ctitui drop them (their definitions are kept in %s.dropped_objects)",
			db.ErrUnknownSchema, strings.Join(names, ", "), backupSchema)
	}
	var dropped []string
	err = s.writeTx(ctx, func(t *storeTx) error {
		// Read again under the writer lock: another ctitui may have dropped them.
		found, err := unknownObjects(ctx, t.tx)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+backupSchema); err != nil {
			return translate(err)
		}
		if _, err := t.tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+backupSchema+`.dropped_objects (
			dropped_at timestamptz NOT NULL DEFAULT now(), object text NOT NULL, definition text NOT NULL)`); err != nil {
			return translate(err)
		}
		dropped = nil
		for _, o := range found {
			if _, err := t.tx.Exec(ctx, `INSERT INTO `+backupSchema+`.dropped_objects (object, definition) VALUES ($1, $2)`, o.String(), o.definition); err != nil {
				return translate(err)
			}
			drop := "DROP TRIGGER "
			if o.kind == "rule" {
				drop = "DROP RULE "
			}
			// o.table is regclass's text: already quoted and qualified as needed.
			if _, err := t.tx.Exec(ctx, drop+pgx.Identifier{o.name}.Sanitize()+" ON "+o.table); err != nil {
				return fmt.Errorf("drop %s: %w", o, translate(err))
			}
			dropped = append(dropped, o.String())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop the unknown triggers and rules: %w", err)
	}
	s.dropped = append(s.dropped, dropped...)
	if opts.Notify != nil && len(dropped) > 0 {
		opts.Notify(fmt.Sprintf("dropped %s; their definitions are kept in %s.dropped_objects", strings.Join(dropped, ", "), backupSchema))
	}
	return nil
}
