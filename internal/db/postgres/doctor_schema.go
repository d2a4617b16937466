package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ctitui/ctitui/internal/user"
)

// referenceSchema is the schema doctor builds the reference in, inside a
// transaction that is rolled back: nothing of it is ever committed.
const referenceSchema = "ctitui_doctor_ref"

// ctituiTables are the tables ctitui's migrations create (goose's version
// table aside). In a database adopted from the dashboard, users, roles and
// user_roles may be the dashboard's, in schema public.
var ctituiTables = []string{"users", "roles", "user_roles", "audit_log", "settings", "audit_head"}

// adoptedTriggers and adoptedFunctions are what adoption (adopt_sql.go)
// adds to a dashboard's users table, beyond the migrations: their text
// depends on the dashboard's column types, so doctor checks that they are
// there and enabled, not their text.
var (
	adoptedTriggers  = []string{"ctitui_adopted_sync", "ctitui_adopted_delete_guard"}
	adoptedFunctions = []string{"adopted_email_fold", "adopted_users_sync", "adopted_users_delete_guard"}
)

type pgCol struct {
	typ, def, collation, identity string
	notNull                       bool
}

type pgIndex struct {
	def          string
	valid, ready bool
	constraint   bool // the index of a primary key or unique constraint
}

type pgTrigger struct {
	def      string
	enabled  string // pg_trigger.tgenabled: O fires, D disabled, R replica only, A always
	internal bool   // a foreign key's own trigger
}

type snapTable struct {
	schema      string
	oid         uint32
	columns     map[string]pgCol
	colOrder    []string
	indexes     map[string]pgIndex
	constraints map[string]string
	triggers    map[string]pgTrigger
	rules       []string
	policies    []string
	rowSecurity bool   // row level security enabled or forced
	shadows     string // the same table in a schema after it in ctitui's search path
}

// snapshot is the part of a database's catalog that doctor compares.
type snapshot struct {
	tables    map[string]*snapTable
	functions map[string]string // ctitui's functions: name -> definition
}

// schemaPrefix matches the schema names that qualify the definitions the
// catalog prints: the reference's, ctitui's and public. Stripped, a
// definition reads the same wherever its table lives, and runs, with
// ctitui's search path, against the table the session finds.
var schemaPrefix = regexp.MustCompile(`\b(` + referenceSchema + `|ctitui|public)\.`)

func unqualified(def string) string { return schemaPrefix.ReplaceAllString(def, "") }

// readSnapshot reads the catalog of the tables named in oids (name ->
// oid, 0 when missing) and the functions of schema fnSchema that no
// extension owns. The transaction's search_path must be pg_catalog, so
// that every name comes out qualified.
func readSnapshot(ctx context.Context, tx pgx.Tx, locs map[string]tableLoc, fnSchema string) (*snapshot, error) {
	snap := &snapshot{tables: map[string]*snapTable{}, functions: map[string]string{}}
	var oids []uint32
	byOID := map[uint32]*snapTable{}
	for name, loc := range locs {
		if loc.oid == 0 {
			continue
		}
		t := &snapTable{schema: loc.schema, oid: loc.oid, shadows: loc.shadows, columns: map[string]pgCol{}, indexes: map[string]pgIndex{},
			constraints: map[string]string{}, triggers: map[string]pgTrigger{}}
		snap.tables[name] = t
		byOID[loc.oid] = t
		oids = append(oids, loc.oid)
	}
	type query struct {
		sql  string
		scan func(pgx.CollectableRow) error
	}
	queries := []query{
		{`SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
				COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), COALESCE(co.collname::text, ''), a.attidentity::text
			FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			LEFT JOIN pg_collation co ON co.oid = a.attcollation
			WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name string
				var c pgCol
				if err := r.Scan(&oid, &name, &c.typ, &c.notNull, &c.def, &c.collation, &c.identity); err != nil {
					return err
				}
				byOID[oid].columns[name] = c
				byOID[oid].colOrder = append(byOID[oid].colOrder, name)
				return nil
			}},
		{`SELECT x.indrelid, i.relname::text, pg_get_indexdef(x.indexrelid), x.indisvalid, x.indisready,
				EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = ANY($1)`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name string
				var ix pgIndex
				if err := r.Scan(&oid, &name, &ix.def, &ix.valid, &ix.ready, &ix.constraint); err != nil {
					return err
				}
				ix.def = unqualified(ix.def)
				byOID[oid].indexes[name] = ix
				return nil
			}},
		{`SELECT conrelid, conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ANY($1)`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name, def string
				if err := r.Scan(&oid, &name, &def); err != nil {
					return err
				}
				byOID[oid].constraints[name] = unqualified(def)
				return nil
			}},
		{`SELECT tgrelid, tgname::text, pg_get_triggerdef(oid), tgenabled::text, tgisinternal FROM pg_trigger WHERE tgrelid = ANY($1)`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name string
				var tg pgTrigger
				if err := r.Scan(&oid, &name, &tg.def, &tg.enabled, &tg.internal); err != nil {
					return err
				}
				tg.def = unqualified(tg.def)
				byOID[oid].triggers[name] = tg
				return nil
			}},
		{`SELECT polrelid, polname::text FROM pg_policy WHERE polrelid = ANY($1)`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name string
				if err := r.Scan(&oid, &name); err != nil {
					return err
				}
				byOID[oid].policies = append(byOID[oid].policies, name)
				return nil
			}},
		{`SELECT oid, relrowsecurity OR relforcerowsecurity FROM pg_class WHERE oid = ANY($1)`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var rls bool
				if err := r.Scan(&oid, &rls); err != nil {
					return err
				}
				byOID[oid].rowSecurity = rls
				return nil
			}},
		{`SELECT ev_class, rulename::text FROM pg_rewrite WHERE ev_class = ANY($1) AND rulename <> '_RETURN'`,
			func(r pgx.CollectableRow) error {
				var oid uint32
				var name string
				if err := r.Scan(&oid, &name); err != nil {
					return err
				}
				byOID[oid].rules = append(byOID[oid].rules, name)
				return nil
			}},
	}
	for _, q := range queries {
		rows, err := tx.Query(ctx, q.sql, oids)
		if err != nil {
			return nil, err
		}
		if _, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) { return struct{}{}, q.scan(r) }); err != nil {
			return nil, err
		}
	}
	rows, err := tx.Query(ctx, `SELECT p.proname::text, pg_get_functiondef(p.oid) FROM pg_proc p
		WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND p.prokind = 'f'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`, fnSchema)
	if err != nil {
		return nil, err
	}
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		snap.functions[name] = unqualified(def)
		return nil
	}); err != nil {
		return nil, err
	}
	return snap, nil
}

// tableLoc is where a table is: its schema and oid (0 when it is missing).
type tableLoc struct {
	schema  string
	oid     uint32
	shadows string // a table of the same name in a later schema, which ctitui does not see
}

// locateTables finds ctitui's tables where ctitui's sessions find them:
// schema ctitui first, then public (an adopted dashboard's).
func locateTables(ctx context.Context, tx pgx.Tx, schemas ...string) (map[string]tableLoc, error) {
	out := map[string]tableLoc{}
	for _, name := range ctituiTables {
		for _, schema := range schemas {
			var oid *uint32
			if err := tx.QueryRow(ctx, `SELECT to_regclass($1)::oid`, pgx.Identifier{schema, name}.Sanitize()).Scan(&oid); err != nil {
				return nil, err
			}
			if oid == nil {
				continue
			}
			if loc, ok := out[name]; ok {
				loc.shadows = schema + "." + name
				out[name] = loc
				break
			}
			out[name] = tableLoc{schema: schema, oid: *oid}
		}
		if _, ok := out[name]; !ok {
			out[name] = tableLoc{}
		}
	}
	return out, nil
}

// upSection is the Up part of a goose SQL migration.
func upSection(src string) string {
	_, after, found := strings.Cut(src, "-- +goose Up")
	if !found {
		return ""
	}
	up, _, _ := strings.Cut(after, "-- +goose Down")
	return up
}

// readSchemas builds the reference (every embedded migration run into
// referenceSchema) and reads it and the database, in one transaction that
// is rolled back. Building it takes half a second on a loaded machine.
func (s *Store) readSchemas(ctx context.Context) (have, want *snapshot, err error) {
	// Read-write even on a read-only open (doctor without --fix opens so):
	// the reference is built in this transaction and always rolled back, so
	// nothing of the database changes either way.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadWrite})
	if err != nil {
		return nil, nil, translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the reference must never be kept: rollback is the point
	if _, err := tx.Exec(ctx, `CREATE SCHEMA `+referenceSchema); err != nil {
		return nil, nil, fmt.Errorf("build the reference schema (ctitui's role needs CREATE on the database; it is rolled back): %w", translate(err))
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+referenceSchema+`, public`); err != nil {
		return nil, nil, translate(err)
	}
	entries, err := fs.ReadDir(migrationsFS(), ".")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		src, err := fs.ReadFile(migrationsFS(), e.Name())
		if err != nil {
			return nil, nil, err
		}
		// The simple protocol runs the whole section, many statements and
		// dollar-quoted bodies, as the server splits it.
		if _, err := tx.Conn().PgConn().Exec(ctx, upSection(string(src))).ReadAll(); err != nil {
			return nil, nil, fmt.Errorf("build the reference schema: migration %s: %w", e.Name(), translate(err))
		}
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path = pg_catalog`); err != nil {
		return nil, nil, translate(err)
	}
	refLocs, err := locateTables(ctx, tx, referenceSchema)
	if err != nil {
		return nil, nil, translate(err)
	}
	if want, err = readSnapshot(ctx, tx, refLocs, referenceSchema); err != nil {
		return nil, nil, translate(err)
	}
	locs, err := locateTables(ctx, tx, schemaName, "public")
	if err != nil {
		return nil, nil, translate(err)
	}
	if have, err = readSnapshot(ctx, tx, locs, schemaName); err != nil {
		return nil, nil, translate(err)
	}
	return have, want, nil
}

// adoptedTypes are the types a column of the dashboard's may have where
// ctitui's migrations make the one named: adoption keeps them (adopt.go).
var adoptedTypes = map[string][]string{
	"text":                     {"text", "character varying"},
	"timestamp with time zone": {"timestamp with time zone", "timestamp without time zone"},
	"bigint":                   {"bigint", "integer"},
}

// unreadColumns are columns ctitui writes and never reads: a dashboard's
// may accept NULL there.
var unreadColumns = []string{"roles.description"}

// castsAndParens are what the catalog adds to a trigger's WHEN clause over
// a dashboard's varchar columns: casts to text, and parentheses.
var castsAndParens = regexp.MustCompile(`::(text|character varying|uuid|integer|bigint)|[()]`)

// sameTrigger reports whether two trigger definitions are the same, on an
// adopted table up to the casts its column types add.
func sameTrigger(want, have string, adopted bool) bool {
	if adopted {
		return castsAndParens.ReplaceAllString(want, "") == castsAndParens.ReplaceAllString(have, "")
	}
	return want == have
}

// uuidColumns are the columns that hold a user's id, which a dashboard's
// may keep as uuid.
var uuidColumns = []string{"users.id", "user_roles.user_id"}

func adoptedTypeOK(column, want, have string) bool {
	base, _, _ := strings.Cut(have, "(")
	return want == have || slices.Contains(adoptedTypes[want], base) ||
		want == "text" && have == "uuid" && slices.Contains(uuidColumns, column)
}

// compareSchemas judges have against want. A table outside schema ctitui
// is the dashboard's, adopted: there ctitui needs its columns (of a type
// adoption keeps, NOT NULL where ctitui's are), its indexes and triggers;
// the dashboard's own columns, indexes, keys and types are its business.
func compareSchemas(have, want *snapshot) []finding {
	var out []finding
	problem := func(msg, repair string, fix repairFunc) {
		out = append(out, finding{Check: "schema", Severity: user.SeverityProblem, Message: msg, Repair: repair, fix: fix})
	}
	info := func(msg string) {
		out = append(out, finding{Check: "schema", Severity: user.SeverityInfo, Message: msg})
	}
	exec := func(stmts ...string) repairFunc {
		return func(ctx context.Context, tx pgx.Tx) error {
			for _, stmt := range stmts {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, name := range ctituiTables {
		w, h := want.tables[name], have.tables[name]
		if w == nil {
			continue
		}
		if h == nil {
			problem(fmt.Sprintf("table %s is missing: restore a backup ('ctitui restore')", name), "", nil)
			continue
		}
		adopted := h.schema != schemaName
		qualified := pgx.Identifier{h.schema, name}.Sanitize()
		if h.shadows != "" {
			problem(fmt.Sprintf("there are two %s tables: ctitui reads and writes %s.%s, and %s, which another program may use, is not seen by ctitui; keep one", name, h.schema, name, h.shadows), "", nil)
		}
		if h.rowSecurity || len(h.policies) > 0 {
			problem(fmt.Sprintf("%s has row level security (policies: %s): it can hide rows from ctitui or from the table's other users; disable it (ALTER TABLE %s DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY) and drop the policies",
				name, strings.Join(h.policies, ", "), qualified), "", nil)
		}
		var extra []string
		for _, col := range w.colOrder {
			wc := w.columns[col]
			hc, ok := h.columns[col]
			switch {
			case !ok:
				problem(fmt.Sprintf("column %s.%s is missing", name, col), "", nil)
				continue
			case adopted && !adoptedTypeOK(name+"."+col, wc.typ, hc.typ), !adopted && wc.typ != hc.typ:
				problem(fmt.Sprintf("column %s.%s is %s, ctitui's migrations make it %s: ctitui may misread or fail to write it", name, col, hc.typ, wc.typ), "", nil)
			}
			if wc.notNull != hc.notNull && (!adopted || wc.notNull && !slices.Contains(unreadColumns, name+"."+col)) {
				if wc.notNull {
					problem(fmt.Sprintf("column %s.%s accepts NULL, which ctitui cannot read", name, col), "", nil)
				} else {
					problem(fmt.Sprintf("column %s.%s is NOT NULL, which refuses ctitui's writes of no value", name, col), "", nil)
				}
			}
			if adopted {
				continue
			}
			if wc.def != hc.def || wc.identity != hc.identity {
				problem(fmt.Sprintf("column %s.%s has default %q, ctitui's migrations give it %q", name, col, hc.def, wc.def), "", nil)
			}
			if wc.collation != hc.collation {
				problem(fmt.Sprintf("column %s.%s has collation %q, ctitui's migrations give it %q: listings and cursors would sort apart", name, col, hc.collation, wc.collation), "", nil)
			}
		}
		if !adopted {
			for _, col := range h.colOrder {
				if _, ok := w.columns[col]; !ok {
					extra = append(extra, name+"."+col)
				}
			}
		}
		if len(extra) > 0 {
			info("columns ctitui did not create: " + strings.Join(extra, ", "))
		}
		for _, ixName := range sortedKeys(w.indexes) {
			wi := w.indexes[ixName]
			if adopted && wi.constraint {
				continue // the dashboard's key, under its own name (checked at adoption)
			}
			hi, ok := h.indexes[ixName]
			ident := pgx.Identifier{h.schema, ixName}.Sanitize()
			switch {
			case !ok:
				problem(fmt.Sprintf("index %s on %s is missing: lookups and listings scan the whole table, or a rule it enforces is not enforced", ixName, name),
					"create index "+ixName, exec(wi.def))
			case hi.def != wi.def && !wi.constraint:
				problem(fmt.Sprintf("index %s on %s is not the one ctitui's migrations make (%s instead of %s)", ixName, name, hi.def, wi.def),
					"rebuild index "+ixName+" as ctitui's migrations define it", exec("DROP INDEX "+ident, wi.def))
			case hi.def != wi.def:
				problem(fmt.Sprintf("index %s on %s is not the one ctitui's migrations make (%s instead of %s)", ixName, name, hi.def, wi.def), "", nil)
			case !hi.valid || !hi.ready:
				if wi.constraint {
					problem(fmt.Sprintf("index %s on %s is invalid: queries do not use it", ixName, name), "reindex "+ixName, exec("REINDEX INDEX "+ident))
				} else {
					problem(fmt.Sprintf("index %s on %s is invalid (a CREATE INDEX CONCURRENTLY or REINDEX that failed?): queries do not use it", ixName, name),
						"rebuild index "+ixName+" as ctitui's migrations define it", exec("DROP INDEX "+ident, wi.def))
				}
			}
		}
		for _, ixName := range sortedKeys(h.indexes) {
			if _, ok := w.indexes[ixName]; ok {
				continue
			}
			hi := h.indexes[ixName]
			if !hi.valid || !hi.ready {
				problem(fmt.Sprintf("index %s on %s, which ctitui did not create, is invalid (a CREATE INDEX CONCURRENTLY that failed?): it slows every write and may still refuse some; drop it (DROP INDEX %s) or build it again (REINDEX INDEX %s)",
					ixName, name, pgx.Identifier{h.schema, ixName}.Sanitize(), pgx.Identifier{h.schema, ixName}.Sanitize()), "", nil)
			} else if !adopted {
				info(fmt.Sprintf("index %s on %s was not created by ctitui: %s", ixName, name, hi.def))
			}
		}
		if !adopted {
			for _, cName := range sortedKeys(w.constraints) {
				hd, ok := h.constraints[cName]
				switch {
				case !ok:
					problem(fmt.Sprintf("constraint %s on %s is missing: %s is not enforced", cName, name, w.constraints[cName]), "", nil)
				case hd != w.constraints[cName]:
					problem(fmt.Sprintf("constraint %s on %s is %s, ctitui's migrations make it %s", cName, name, hd, w.constraints[cName]), "", nil)
				}
			}
			for _, cName := range sortedKeys(h.constraints) {
				if _, ok := w.constraints[cName]; !ok {
					problem(fmt.Sprintf("constraint %s on %s was not created by ctitui (%s): it may refuse ctitui's writes", cName, name, h.constraints[cName]), "", nil)
				}
			}
		}
		for _, tgName := range sortedKeys(w.triggers) {
			wt := w.triggers[tgName]
			if wt.internal {
				continue
			}
			ht, ok := h.triggers[tgName]
			ident := pgx.Identifier{tgName}.Sanitize()
			switch {
			case !ok:
				problem(fmt.Sprintf("trigger %s on %s is missing: rows other programs write are no longer kept in step", tgName, name),
					"create trigger "+tgName, exec(wt.def))
			case !sameTrigger(wt.def, ht.def, adopted):
				problem(fmt.Sprintf("trigger %s on %s is not the one ctitui's migrations make (%s)", tgName, name, ht.def),
					"create trigger "+tgName+" again", exec("DROP TRIGGER "+ident+" ON "+qualified, wt.def))
			case ht.enabled != "O" && ht.enabled != "A":
				problem(fmt.Sprintf("trigger %s on %s is %s: %s", tgName, name, triggerState(ht.enabled), triggerPurpose(tgName)),
					"enable trigger "+tgName, exec("ALTER TABLE "+qualified+" ENABLE TRIGGER "+ident))
			}
		}
		for _, tgName := range sortedKeys(h.triggers) {
			ht := h.triggers[tgName]
			_, ours := w.triggers[tgName]
			adoptedOurs := adopted && name == "users" && slices.Contains(adoptedTriggers, tgName)
			switch {
			case ht.internal && ht.enabled == "D":
				problem(fmt.Sprintf("a foreign key's trigger on %s is disabled (ALTER TABLE %s DISABLE TRIGGER ALL?): rows may refer to rows that do not exist; a superuser runs ALTER TABLE %s ENABLE TRIGGER ALL", name, qualified, qualified), "", nil)
			case ht.internal || ours:
			case adoptedOurs && ht.enabled != "O" && ht.enabled != "A":
				problem(fmt.Sprintf("trigger %s on %s is "+triggerState(ht.enabled)+": rows the dashboard writes are no longer kept in step with ctitui's columns", tgName, name),
					"enable trigger "+tgName, exec("ALTER TABLE "+qualified+" ENABLE TRIGGER "+pgx.Identifier{tgName}.Sanitize()))
			case adoptedOurs:
			default:
				problem(fmt.Sprintf("trigger %s on %s was not created by ctitui: it runs with ctitui's writes and can change or refuse them (%s); look at it and drop it (DROP TRIGGER %s ON %s)",
					tgName, name, ht.def, pgx.Identifier{tgName}.Sanitize(), qualified), "", nil)
			}
		}
		for _, r := range h.rules {
			problem(fmt.Sprintf("rule %s on %s was not created by ctitui: it rewrites ctitui's reads or writes; look at it and drop it (DROP RULE %s ON %s)",
				r, name, pgx.Identifier{r}.Sanitize(), qualified), "", nil)
		}
	}
	adopted := have.tables["users"] != nil && have.tables["users"].schema != schemaName
	for _, fn := range sortedKeys(want.functions) {
		hd, ok := have.functions[fn]
		switch {
		case !ok:
			problem(fmt.Sprintf("function %s is missing: the triggers that call it fail every write", fn), "create function "+fn, exec(want.functions[fn]))
		case hd != want.functions[fn]:
			problem(fmt.Sprintf("function %s is not the one ctitui's migrations make: it runs with every write of the trigger that calls it", fn),
				"create function "+fn+" again", exec(want.functions[fn]))
		}
	}
	var unknown []string
	for _, fn := range sortedKeys(have.functions) {
		if _, ok := want.functions[fn]; !ok && !(adopted && slices.Contains(adoptedFunctions, fn)) {
			unknown = append(unknown, fn)
		}
	}
	if len(unknown) > 0 {
		info("functions in schema ctitui that ctitui did not create: " + strings.Join(unknown, ", "))
	}
	if adopted {
		for _, fn := range adoptedFunctions {
			if _, ok := have.functions[fn]; !ok {
				problem(fmt.Sprintf("function ctitui.%s, which adoption created, is missing: writes to users fail", fn), "", nil)
			}
		}
		for _, tg := range adoptedTriggers {
			if _, ok := have.tables["users"].triggers[tg]; !ok {
				problem(fmt.Sprintf("trigger %s on users, which adoption created, is missing: rows the dashboard writes are no longer kept in step", tg), "", nil)
			}
		}
	}
	return out
}

// triggerState says what pg_trigger.tgenabled's D or R means for ctitui's
// writes.
func triggerState(enabled string) string {
	if enabled == "R" {
		return "set to fire only for replication (ENABLE REPLICA TRIGGER), so not on ctitui's writes"
	}
	return "disabled"
}

// triggerPurpose says what a disabled trigger of ctitui's no longer does.
func triggerPurpose(name string) string {
	switch name {
	case "users_timestamps":
		return "created_at can be changed and updated_at no longer moves on edits"
	case "user_roles_changed", "roles_names_changed", "users_role_names":
		return "users' role names (what listings show) no longer follow their roles"
	case "users_email_skeleton_stale":
		return "an email changed by another program keeps its old look-alike key, and a look-alike can pass"
	}
	return "what it keeps is no longer kept"
}
