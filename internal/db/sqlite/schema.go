package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ctitui/ctitui/internal/db"
)

// A database file may come from anyone: a backup handed over, a legacy file,
// a restore source. Its schema runs with ctitui's writes: triggers fire on
// them, views run when read, and the rules of a table (a CHECK, a generated
// column, a UNIQUE constraint or index) are evaluated on every write and can
// refuse it; one that refuses to count a failed login switches lockout off
// for an account. So a database ctitui writes holds only the schema its
// migrations create: the same triggers and views, by exact name and body;
// ctitui's tables with ctitui's definitions of ctitui's columns and
// constraints; and, of what a legacy file kept (its own columns, indexes and
// rules), only what reads none of the columns ctitui writes. Anything else is
// foreign. These are the pieces that decide what is.

// schemaRow is one object of a schema, as sqlite_schema holds it.
type schemaRow struct {
	Type  string `json:"type"` // table, index, trigger or view
	Name  string `json:"name"`
	Table string `json:"table"` // the table an index or trigger is on; a table's or view's own name
	SQL   string `json:"sql"`   // as sqlite_schema stores it
}

// latestSchemaFile lists the objects of the latest schema, one JSON object
// a line. Building them in memory from the migrations takes milliseconds,
// too long for every open; TestLatestSchemaFile keeps this file equal to
// what the migrations create (go generate rewrites it).
//
//go:generate go test -run TestLatestSchemaFile -update .
//go:embed schema_reference.jsonl
var latestSchemaFile []byte

// latestSchema returns the objects of the latest schema.
var latestSchema = sync.OnceValue(func() []schemaRow {
	var out []schemaRow
	sc := bufio.NewScanner(bytes.NewReader(latestSchemaFile))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o schemaRow
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			panic(fmt.Sprintf("schema_reference.jsonl: %v", err)) // embedded and tested
		}
		out = append(out, o)
	}
	return out
})

// referenceSchema returns the objects that the migrations up to version
// create.
func referenceSchema(ctx context.Context, version int64) ([]schemaRow, error) {
	switch {
	case version == LatestVersion():
		return latestSchema(), nil
	case version <= 0: // goose's table, no migration applied yet
		return nil, nil
	}
	ref, err := referenceDB(ctx, version)
	if err != nil {
		return nil, err
	}
	defer ref.Close() //nolint:errcheck // an in-memory database: nothing to lose
	return readSchemaRows(ctx, ref)
}

// referenceDB builds, in a private in-memory database, the schema that the
// migrations up to version create. The caller closes it.
func referenceDB(ctx context.Context, version int64) (*sql.DB, error) {
	ref, err := sql.Open("sqlite", "file:ctitui-reference?mode=memory")
	if err != nil {
		return nil, err
	}
	ref.SetMaxOpenConns(1) // one connection: every one would get its own memory database
	p, err := newProvider(ref, time.Now())
	if err != nil {
		ref.Close() //nolint:errcheck // err is the failure to report
		return nil, err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		ref.Close() //nolint:errcheck // err is the failure to report
		return nil, fmt.Errorf("build reference schema: %w", err)
	}
	return ref, nil
}

// readSchemaRows lists the objects of the main schema of q, but for
// SQLite's own tables and the indexes it makes for constraints (which
// belong to their table's definition), and goose's version table.
func readSchemaRows(ctx context.Context, q queryer) ([]schemaRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM main.sqlite_schema
		WHERE NOT (type IN ('table', 'index') AND (sql IS NULL OR substr(name, 1, 7) = 'sqlite_')) AND name <> ?
		ORDER BY type, name`, gooseTable)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []schemaRow
	for rows.Next() {
		var o schemaRow
		if err := rows.Scan(&o.Type, &o.Name, &o.Table, &o.SQL); err != nil {
			return nil, translate(err)
		}
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

// code returns the triggers and views among rows.
func code(rows []schemaRow) []schemaRow {
	return slices.DeleteFunc(slices.Clone(rows), func(o schemaRow) bool { return o.Type != "trigger" && o.Type != "view" })
}

// foreignItem is something in a file's schema that ctitui's migrations do
// not create and that would run with ctitui's writes, or could refuse them.
type foreignItem struct {
	Kind  string // trigger, view, index, rule (of a table's definition) or writes (see brokenWrites)
	Name  string // the trigger, view or index; for a rule, its table
	Table string
	SQL   string // the object's SQL; for a rule, the item of the definition
	Why   string // for an index or rule: what makes it foreign
}

func (f foreignItem) String() string {
	switch f.Kind {
	case "writes":
		return fmt.Sprintf("ctitui's writes to table %s would fail (%s)", f.Table, f.Why)
	case "table":
		return fmt.Sprintf("table %q (%s)", f.Name, f.Why)
	case "trigger":
		return fmt.Sprintf("trigger %s on %s", f.Name, f.Table)
	case "view":
		return "view " + f.Name
	case "index":
		return fmt.Sprintf("index %s on %s (%s)", f.Name, f.Table, f.Why)
	}
	return fmt.Sprintf("%s in table %s (%s)", f.SQL, f.Table, f.Why)
}

// findForeign compares have, a file's schema, with want, the schema its
// migrations create, and returns what in have is foreign.
func findForeign(have, want []schemaRow) []foreignItem {
	ours := make(map[string]schemaRow) // ctitui's objects, by type and name
	var tables []string
	for _, w := range want {
		ours[w.Type+" "+w.Name] = w
		if w.Type == "table" {
			tables = append(tables, w.Name)
		}
	}
	var out []foreignItem
	for _, h := range have {
		w, known := ours[h.Type+" "+h.Name]
		switch h.Type {
		case "trigger", "view":
			if !known || h != w {
				out = append(out, foreignItem{Kind: h.Type, Name: h.Name, Table: h.Table, SQL: h.SQL})
			}
		case "index":
			// Indexes on other tables are data: ctitui never writes there.
			if !slices.Contains(tables, h.Table) {
				continue
			}
			why := ""
			if known && canonicalSQL(h.SQL) != canonicalSQL(w.SQL) {
				why = "ctitui defines it as " + w.SQL
			} else if !known {
				why = indexRule(h.SQL, tableDefIn(have, h.Table), ours["table "+h.Table], want)
			}
			if why != "" {
				out = append(out, foreignItem{Kind: "index", Name: h.Name, Table: h.Table, SQL: h.SQL, Why: why})
			}
		case "table":
			if known {
				out = append(out, tableRules(h, w, want)...)
			} else if why := referenceAction(h.SQL, tables); why != "" && !strings.HasPrefix(h.Name, "sqlite_") {
				out = append(out, foreignItem{Kind: "table", Name: h.Name, Table: h.Name, SQL: h.SQL, Why: why})
			}
		}
	}
	return out
}

// referenceAction says how a table of a file's own, defined by stmt, would
// have ctitui's writes change its rows: a foreign key into one of ctitui's
// tables (tables) with an ON DELETE or ON UPDATE action that cascades or
// sets a value; "" when none does. ctitui never changes a table it did not
// create, so such a table is refused (checkRepairable), not removed.
func referenceAction(stmt string, tables []string) string {
	toks := lexOrNil(stmt)
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].is("REFERENCES") || !containsName(tables, toks[i+1].name()) {
			continue
		}
		// The actions follow the parent's column list, before the next
		// item of the definition.
		depth := 0
		for j := i + 2; j < len(toks); j++ {
			switch {
			case toks[j].text == "(":
				depth++
			case toks[j].text == ")" && depth == 0, toks[j].text == "," && depth == 0:
				j = len(toks)
			case toks[j].text == ")":
				depth--
			case depth == 0 && toks[j].is("ON") && j+2 < len(toks) && (toks[j+2].is("CASCADE") || toks[j+2].is("SET")):
				action := joinTokens(toks[j : j+3])
				if toks[j+2].is("SET") && j+3 < len(toks) {
					action = joinTokens(toks[j : j+4])
				}
				return fmt.Sprintf("its foreign key into %s has %s: ctitui's writes would change its rows", toks[i+1].name(), action)
			}
		}
	}
	return ""
}

// tableDefIn reads the definition of table in schema; a table it cannot
// read (reported on its own) has an empty one.
func tableDefIn(schema []schemaRow, table string) tableDef {
	i := slices.IndexFunc(schema, func(o schemaRow) bool { return o.Type == "table" && o.Name == table })
	if i < 0 {
		return tableDef{}
	}
	d, _ := parseCreateTable(schema[i].SQL)
	return d
}

// indexRule says why stmt, an index of a file's own on one of ctitui's
// tables (have as the file defines it, want as the migrations do), could
// run code or refuse one of ctitui's writes; "" when it cannot. An index on
// an expression computes it, and a partial index its condition, with every
// write to the table; a unique one refuses a write that would repeat its
// key, unless the key holds one of ctitui's keys whole or only columns
// that the rows ctitui adds leave NULL.
func indexRule(stmt string, have tableDef, want schemaRow, schema []schemaRow) string {
	toks, err := lexSQL(stmt)
	if err != nil {
		return "it cannot be read: " + err.Error()
	}
	open := slices.IndexFunc(toks, func(t sqlToken) bool { return t.punct == '(' })
	if open < 0 {
		return "it cannot be read"
	}
	_, end, err := splitList(toks, open)
	if err != nil {
		return "it cannot be read: " + err.Error()
	}
	cols, plain := keyColumns(toks[open:])
	switch {
	case end+1 < len(toks):
		return "the condition of a partial index runs with ctitui's writes"
	case !plain:
		return "an index on an expression or a collation runs with ctitui's writes"
	case len(toks) < 2 || !toks[1].is("UNIQUE"):
		return ""
	}
	wd, err := parseCreateTable(want.SQL)
	if err != nil {
		return "it cannot be read"
	}
	var fillsNull []string
	if slices.Contains(tablesWithOwnColumns, want.Name) {
		fillsNull = shapeOf(want.Name, have, wd, nil).fillsNull
	}
	if implied(cols, uniqueKeys(want.Name, wd, schema)) ||
		!slices.ContainsFunc(cols, func(c string) bool { return !containsName(fillsNull, c) }) {
		return ""
	}
	return "a unique index over columns ctitui writes"
}

// tableRules returns the items of have, one of ctitui's tables as a file
// defines it, that want, its definition by the migrations, does not allow:
// a column of ctitui's defined otherwise, a constraint of ctitui's missing,
// other table options, and what else the table holds: in the tables that
// may keep a legacy file's own columns, the rules adoption would not keep
// (see shapeOf); in the others, everything.
func tableRules(have, want schemaRow, schema []schemaRow) []foreignItem {
	rule := func(item, why string) foreignItem {
		return foreignItem{Kind: "rule", Name: have.Name, Table: have.Name, SQL: item, Why: why}
	}
	if isVirtualTable(want.SQL) || isVirtualTable(have.SQL) {
		if virtualDefinition(have.SQL) != virtualDefinition(want.SQL) {
			return []foreignItem{rule("its definition", "ctitui defines it as "+want.SQL)}
		}
		return nil
	}
	hd, err := parseCreateTable(have.SQL)
	if err != nil {
		return []foreignItem{rule("its definition", "it cannot be read: "+err.Error())}
	}
	wd, err := parseCreateTable(want.SQL)
	if err != nil {
		panic(fmt.Sprintf("the migrations' definition of %s cannot be read: %v", want.Name, err)) // tested: FuzzParseCreateTable, TestLatestSchemaFile
	}
	var out []foreignItem
	for _, wc := range wd.columns {
		i := slices.IndexFunc(hd.columns, func(c columnDef) bool { return sameName(c.name, wc.name) })
		if i >= 0 && canonical(hd.columns[i].toks) != canonical(wc.toks) {
			out = append(out, rule(joinTokens(hd.columns[i].toks), "ctitui defines it as "+joinTokens(wc.toks)))
		}
	}
	haveCons := make([]string, len(hd.constraints))
	for i, c := range hd.constraints {
		haveCons[i] = canonical(c)
	}
	wantCons := make([]string, len(wd.constraints))
	for i, c := range wd.constraints {
		wantCons[i] = canonical(c)
		if !slices.Contains(haveCons, wantCons[i]) {
			out = append(out, rule(joinTokens(c), "ctitui's constraint is missing"))
		}
	}
	if canonical(hd.tail) != canonical(wd.tail) {
		out = append(out, rule("the options ("+joinTokens(hd.tail)+")", "ctitui's table is "+joinTokens(wd.tail)))
	}
	if slices.Contains(tablesWithOwnColumns, want.Name) {
		for _, n := range shapeOf(have.Name, hd, wd, uniqueKeys(want.Name, wd, schema)).notKept {
			out = append(out, rule(n.item, n.why))
		}
		return out
	}
	for _, c := range hd.columns {
		if !containsName(wd.columnNames(), c.name) {
			out = append(out, rule(joinTokens(c.toks), "ctitui's table has no such column"))
		}
	}
	for i, c := range hd.constraints {
		if !slices.Contains(wantCons, haveCons[i]) {
			out = append(out, rule(joinTokens(c), "ctitui's table has no such constraint"))
		}
	}
	return out
}

// isVirtualTable reports whether stmt is a CREATE VIRTUAL TABLE.
func isVirtualTable(stmt string) bool {
	toks, err := lexSQL(stmt)
	return err == nil && len(toks) > 1 && toks[1].is("VIRTUAL")
}

// virtualDefinition is the canonical form of a virtual table's definition
// after its name: the module and its arguments.
func virtualDefinition(stmt string) string {
	toks, err := lexSQL(stmt)
	if err != nil {
		return stmt
	}
	if i := slices.IndexFunc(toks, func(t sqlToken) bool { return t.is("USING") }); i >= 0 {
		return canonical(toks[i:])
	}
	return canonical(toks)
}

// uniqueKeys lists the sets of columns that ctitui's definition of table
// (def, and the unique indexes of schema on it) keeps unique. For users,
// email is among them: email_normalized is unique and computed from email.
func uniqueKeys(table string, def tableDef, schema []schemaRow) [][]string {
	var keys [][]string
	for _, c := range def.columns {
		if _, clauses := c.clauses(); slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "PRIMARY" || cl.kind == "UNIQUE" }) {
			keys = append(keys, []string{c.name})
		}
	}
	for _, c := range def.constraints {
		if body := constraintBody(c); len(body) > 0 && (body[0].is("PRIMARY") || body[0].is("UNIQUE")) {
			if cols, plain := keyColumns(body); plain {
				keys = append(keys, cols)
			}
		}
	}
	for _, o := range schema {
		if o.Type == "index" && o.Table == table {
			if toks, err := lexSQL(o.SQL); err == nil && len(toks) > 1 && toks[1].is("UNIQUE") {
				if cols, plain := keyColumns(toks); plain {
					keys = append(keys, cols)
				}
			}
		}
	}
	if table == "users" {
		keys = append(keys, []string{"email"})
	}
	return keys
}

// implied reports whether cols holds one of keys whole: rows unique on that
// key are unique on cols too, so a constraint on cols refuses nothing the
// key allows.
func implied(cols []string, keys [][]string) bool {
	return slices.ContainsFunc(keys, func(key []string) bool {
		return len(key) > 0 && !slices.ContainsFunc(key, func(k string) bool {
			return !containsName(cols, k)
		})
	})
}

// canonicalSQL is canonical for a whole statement; one that does not lex is
// its own text.
func canonicalSQL(stmt string) string {
	toks, err := lexSQL(stmt)
	if err != nil {
		return stmt
	}
	return canonical(toks)
}

// canonical writes toks in one form whatever the spacing, comments and case
// of keywords: two definitions are the same when their canonical forms are.
func canonical(toks []sqlToken) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
		if t.bare {
			parts[i] = t.value
		}
	}
	return strings.Join(parts, " ")
}

// UnknownSchemaError lists what is foreign in a file's schema, and says how
// to look at it and what removes it.
type UnknownSchemaError struct {
	Path   string
	Items  []foreignItem
	Remedy string // how to go on, e.g. "restore it with --drop-unknown-objects"
}

func (e *UnknownSchemaError) Error() string {
	// The suggested command is for pasting into a shell: every word of it
	// quoted, the object's name (the file's to choose) above all.
	msg := fmt.Sprintf("%v, which would run with its writes or refuse them: %s (inspect with: sqlite3 %s %s)",
		db.ErrUnknownSchema, describeForeign(e.Items), shellQuote(e.Path), shellQuote(".schema "+e.Items[0].Name))
	if e.Remedy != "" {
		msg += "; " + e.Remedy
	}
	return msg
}

// Is makes errors.Is(err, db.ErrUnknownSchema) true.
func (e *UnknownSchemaError) Is(target error) bool { return target == db.ErrUnknownSchema }

// removable drops from items the writes that SQLite refuses (brokenWrites):
// they are no object to remove, only a symptom that removing the others
// cures (checkRepairable), and have no place in a list of what was removed.
func removable(items []foreignItem) []foreignItem {
	return slices.DeleteFunc(slices.Clone(items), func(f foreignItem) bool { return f.Kind == "writes" || f.Kind == "table" })
}

// foreignWarning says in one line what a file holds that ctitui did not
// create, and which of ctitui's writes SQLite would refuse.
func foreignWarning(path string, items []foreignItem) string {
	var parts []string
	if r := removable(items); len(r) > 0 {
		parts = append(parts, fmt.Sprintf("%s has %s, which ctitui did not create", path, describeForeign(r)))
	}
	for _, f := range items {
		if f.Kind == "writes" {
			parts = append(parts, fmt.Sprintf("%s: %s", path, f))
		}
	}
	return strings.Join(parts, "; ")
}

// describeForeign renders items for a message or an audit entry.
func describeForeign(items []foreignItem) string {
	names := make([]string, len(items))
	for i, o := range items {
		names[i] = o.String()
	}
	return strings.Join(names, ", ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// removeForeign removes items from the schema inside tx, before anything
// else writes: a trigger dropped first never fires. A table with foreign
// rules is rebuilt to ctitui's definition, keeping its rows, their rowids and
// what of its own shapeOf keeps (rebuildTable); a search index defined
// otherwise is made again from the table it indexes. Then the objects of
// want (the schema of the file's version) that are missing are made again:
// one may have been dropped for carrying a foreign body under ctitui's
// name, and a rebuilt table's indexes and triggers went with it. tx must be
// on a connection with foreign keys off (rebuilding a table drops it) and
// legacy_alter_table on.
func removeForeign(ctx context.Context, tx *sql.Tx, items []foreignItem, want []schemaRow) error {
	var rebuild []string
	for _, f := range items {
		switch f.Kind {
		case "writes":
			// Repaired by the rebuild of its table (checkRepairable).
		case "rule":
			if table := virtualOwner(f.Table, want); !slices.Contains(rebuild, table) {
				rebuild = append(rebuild, table)
			}
		default:
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP %s IF EXISTS main.%s", strings.ToUpper(f.Kind), quoteIdent(f.Name))); err != nil {
				return fmt.Errorf("drop %s: %w", f, translate(err))
			}
		}
	}
	for _, table := range rebuild {
		i := slices.IndexFunc(want, func(w schemaRow) bool { return w.Type == "table" && w.Name == table })
		rebuildIt := rebuildTable
		if isVirtualTable(want[i].SQL) {
			rebuildIt = recreateSearchIndex
		}
		if err := rebuildIt(ctx, tx, want[i], want); err != nil {
			return fmt.Errorf("rebuild table %s: %w", table, err)
		}
	}
	return restoreMissing(ctx, tx, want)
}

// checkRepairable refuses items that removeForeign cannot repair: writes
// that SQLite refuses when no rule of ctitui's tables explains them, such
// as a table of the file's own whose foreign key names a column of ctitui's
// that is not a key. ctitui does not change the tables it did not create,
// and a rebuild of its own tables, the only repair it makes, cannot help.
// Called before anything is written, so that a refusal changes nothing.
// (When rules are there too, the rebuild may be the cure: the caller looks
// again once it is done.)
func checkRepairable(items []foreignItem) error {
	for _, f := range items {
		if f.Kind == "table" {
			return fmt.Errorf("%w: %s; ctitui does not change the tables it did not create: fix or drop what the message names with the sqlite3 shell",
				db.ErrUnknownSchema, f)
		}
	}
	if slices.ContainsFunc(items, func(f foreignItem) bool { return f.Kind == "rule" }) {
		return nil
	}
	for _, f := range items {
		if f.Kind == "writes" {
			return fmt.Errorf("%w: %s; ctitui does not change the tables it did not create: fix or drop what the message names with the sqlite3 shell",
				db.ErrUnknownSchema, f)
		}
	}
	return nil
}

// brokenWrites prepares, without running them, an insert, an update of
// every column and a delete on each of ctitui's tables in want, on q, and
// returns one item for each table where SQLite refuses one. SQLite looks up
// what a write depends on as it prepares it: the parent table of every
// foreign key on the table, and the key of the table that each foreign key
// pointing at it names. A parent that is missing, or a key that is not
// unique ("foreign key mismatch"), fails every such write, whatever the
// values, which is how a table of a file's own (REFERENCES users
// (failed_logins)) could stop lockout from counting. The rules compared by
// findForeign cannot see into other tables; this asks SQLite itself.
//
// A file that lacks one of ctitui's tables, or a table one of its columns,
// fails such writes too; that is reported as missing (doctor's schema
// check), not here, and the tables are not tried until it is made again.
func brokenWrites(ctx context.Context, q preparer, have, want []schemaRow) []foreignItem {
	if sameTables(have, want) {
		// Exactly the migrations' tables: their writes prepare (every
		// test writes through them), and the probe would cost each open
		// about a millisecond, half of all the rest of probe's look.
		return nil
	}
	var tables []schemaRow
	for _, w := range want {
		if w.Type != "table" {
			continue
		}
		if !slices.ContainsFunc(have, func(h schemaRow) bool { return h.Type == "table" && sameName(h.Name, w.Name) }) {
			return nil
		}
		if !isVirtualTable(w.SQL) && virtualOwner(w.Name, want) == w.Name {
			tables = append(tables, w) // ctitui writes its search index only through its triggers
		}
	}
	var out []foreignItem
	for _, w := range tables {
		def, err := parseCreateTable(w.SQL)
		if err != nil || len(def.columns) == 0 {
			continue // tested: TestLatestSchemaFile reads every definition
		}
		cols := def.columnNames()
		haveCols := tableDefIn(have, w.Name).columnNames()
		if slices.ContainsFunc(cols, func(c string) bool { return !containsName(haveCols, c) }) {
			continue
		}
		quoted := make([]string, len(cols))
		set := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = quoteIdent(c)
			set[i] = quoted[i] + " = ?"
		}
		table := "main." + quoteIdent(w.Name)
		for _, stmt := range []string{
			"INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")",
			"UPDATE " + table + " SET " + strings.Join(set, ", ") + " WHERE " + quoted[0] + " = ?",
			"DELETE FROM " + table + " WHERE " + quoted[0] + " = ?",
		} {
			if err := prepareOnly(ctx, q, stmt); err != nil {
				out = append(out, foreignItem{Kind: "writes", Name: w.Name, Table: w.Name, SQL: stmt, Why: sqliteMessage(err)})
				break
			}
		}
	}
	return out
}

// sameTables reports whether have's tables are exactly want's, as
// readSchemaRows reads them (name and definition), in any order.
func sameTables(have, want []schemaRow) bool {
	tables := func(rows []schemaRow) []schemaRow {
		return slices.DeleteFunc(slices.Clone(rows), func(r schemaRow) bool { return r.Type != "table" })
	}
	h, w := tables(have), tables(want)
	return len(h) == len(w) && !slices.ContainsFunc(h, func(a schemaRow) bool { return !slices.Contains(w, a) })
}

// prepareOnly prepares stmt on q and closes it unrun.
func prepareOnly(ctx context.Context, q preparer, stmt string) error {
	st, err := q.PrepareContext(ctx, stmt)
	if err != nil {
		return err
	}
	defer st.Close() //nolint:errcheck // closing a statement never run loses nothing
	return nil
}

// sqliteMessage is the message of a SQLite error without the driver's
// decoration ("SQL logic error: ... (1)").
func sqliteMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "SQL logic error: ")
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}

// virtualOwner returns the virtual table of want that table is one of the
// shadow tables of (users_email_search_data of users_email_search), or
// table itself.
func virtualOwner(table string, want []schemaRow) string {
	for _, w := range want {
		if w.Type == "table" && isVirtualTable(w.SQL) && strings.HasPrefix(table, w.Name+"_") {
			return w.Name
		}
	}
	return table
}

// recreateSearchIndex drops the virtual table want names, with its shadow
// tables, creates it as want defines it and fills it again from the table
// it indexes. ctitui's virtual tables are FTS5 indexes over the rows of a
// table of its own (content=), which 'rebuild' reads.
func recreateSearchIndex(ctx context.Context, tx *sql.Tx, want schemaRow, _ []schemaRow) error {
	name := quoteIdent(want.Name)
	for _, stmt := range []string{"DROP TABLE IF EXISTS main." + name, want.SQL, "INSERT INTO " + name + " (" + name + ") VALUES ('rebuild')"} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return translate(err)
		}
	}
	return nil
}

// restoreMissing makes again, inside tx, the indexes, triggers and views of
// want that the file lacks.
func restoreMissing(ctx context.Context, tx *sql.Tx, want []schemaRow) error {
	have, err := readSchemaRows(ctx, tx)
	if err != nil {
		return err
	}
	for _, w := range want {
		if w.Type == "table" || slices.ContainsFunc(have, func(h schemaRow) bool { return h.Type == w.Type && h.Name == w.Name }) {
			continue
		}
		if _, err := tx.ExecContext(ctx, w.SQL); err != nil {
			return fmt.Errorf("recreate %s %s: %w", w.Type, w.Name, translate(err))
		}
	}
	return nil
}

// rebuildTable replaces one of ctitui's tables by one defined as want says,
// plus, in a table that may hold a legacy file's own columns, the columns
// and constraints of its own that shapeOf keeps. The rows keep their rowids
// (the search index and the users' order rest on them), their values and,
// for the audit log, the id counter, whose trace of removed entries a
// rebuild must not erase. The table's own indexes that are not foreign are
// made again (ctitui's, by the caller).
func rebuildTable(ctx context.Context, tx *sql.Tx, want schemaRow, schema []schemaRow) error {
	var haveSQL string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?`, want.Name).Scan(&haveSQL); err != nil {
		return translate(err)
	}
	hd, err := parseCreateTable(haveSQL)
	if err != nil {
		return err
	}
	wd, err := parseCreateTable(want.SQL)
	if err != nil {
		return err
	}
	var shape legacyShape
	if slices.Contains(tablesWithOwnColumns, want.Name) {
		shape = shapeOf(want.Name, hd, wd, uniqueKeys(want.Name, wd, schema))
	}
	// The table's own indexes that stay: not ctitui's, not foreign, over
	// columns the new table has.
	have, err := readSchemaRows(ctx, tx)
	if err != nil {
		return err
	}
	var newDef tableDef
	newDef.columns = append(newDef.columns, wd.columns...)
	for _, k := range shape.kept {
		newDef.columns = append(newDef.columns, columnDef{name: k.name})
	}
	var keepIndexes []string
	for _, h := range have {
		if h.Type != "index" || h.Table != want.Name || slices.ContainsFunc(schema, func(w schemaRow) bool { return w.Type == "index" && w.Name == h.Name }) {
			continue
		}
		cols, _ := keyColumns(lexOrNil(h.SQL))
		if indexRule(h.SQL, hd, want, schema) == "" && !slices.ContainsFunc(cols, func(c string) bool { return !containsName(newDef.columnNames(), c) }) {
			keepIndexes = append(keepIndexes, h.SQL)
		}
	}
	items := make([]string, 0, len(wd.columns)+len(wd.constraints)+len(shape.kept))
	for _, c := range wd.columns {
		items = append(items, joinTokens(c.toks))
	}
	for _, c := range shape.kept {
		items = append(items, c.def)
	}
	for _, c := range wd.constraints {
		items = append(items, joinTokens(c))
	}
	items = append(items, shape.constraints...)
	const scratch = "ctitui_rebuild"
	if _, err := tx.ExecContext(ctx, "CREATE TABLE "+scratch+" (\n\t"+strings.Join(items, ",\n\t")+"\n) "+joinTokens(wd.tail)); err != nil {
		return translate(err)
	}
	// Every value that has a column to go to: ctitui's columns the file has,
	// and the kept ones.
	var cols []string
	for _, c := range wd.columns {
		if containsName(hd.columnNames(), c.name) {
			cols = append(cols, quoteIdent(c.name))
		}
	}
	for _, c := range shape.kept {
		cols = append(cols, quoteIdent(c.name))
	}
	list := strings.Join(cols, ", ")
	if !withoutRowID(wd) {
		list = "rowid, " + list
	}
	seq, err := readSequence(ctx, tx, want.Name)
	if err != nil {
		return err
	}
	for _, stmt := range append([]string{
		"INSERT INTO " + scratch + " (" + list + ") SELECT " + list + " FROM main." + quoteIdent(want.Name),
		"DROP TABLE main." + quoteIdent(want.Name),
		"ALTER TABLE " + scratch + " RENAME TO " + quoteIdent(want.Name),
	}, keepIndexes...) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return translate(err)
		}
	}
	// Renamed with the table, the counter holds the highest id copied, or
	// is made where the old table had none. It is put back as it was: a
	// counter past the newest row, or a counter gone, is evidence of a cut
	// log (see chainWriter.load) that a repair must not erase.
	var counters bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence')`).Scan(&counters); err != nil {
		return translate(err)
	}
	if counters {
		if _, err := tx.ExecContext(ctx, `DELETE FROM main.sqlite_sequence WHERE name = ?`, want.Name); err != nil {
			return translate(err)
		}
	}
	if seq.Valid {
		// The table's name is quoted as an identifier (quoteIdent).
		if _, err := tx.ExecContext(ctx, `INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, max(?, COALESCE((SELECT max(rowid) FROM main.`+quoteIdent(want.Name)+`), 0)))`, want.Name, seq.Int64); err != nil { //nolint:gosec // G202: see above
			return translate(err)
		}
	}
	return nil
}

// readSequence reads the AUTOINCREMENT counter of table: the highest id it
// has given; not valid when it has given none. A counter that holds
// something other than an integer (set outside ctitui) is a
// *badCounterError.
func readSequence(ctx context.Context, q queryer, table string) (sql.NullInt64, error) {
	var kind, text sql.NullString
	err := q.QueryRowContext(ctx, `SELECT (SELECT typeof(seq) FROM main.sqlite_sequence WHERE name = ?1),
			(SELECT CAST(seq AS TEXT) FROM main.sqlite_sequence WHERE name = ?1)
		WHERE EXISTS (SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence')`, table).Scan(&kind, &text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sql.NullInt64{}, nil
	case err != nil:
		return sql.NullInt64{}, translate(err)
	case !kind.Valid || kind.String == "null":
		return sql.NullInt64{}, nil
	}
	// SQLite reads a counter by its value: text that spells an integer
	// counts as that integer; anything else does not.
	n, err := strconv.ParseInt(text.String, 10, 64)
	if err != nil {
		return sql.NullInt64{}, &badCounterError{table: table, value: text.String}
	}
	return sql.NullInt64{Int64: n, Valid: true}, nil
}

// badCounterError reports an AUTOINCREMENT counter that holds no integer.
type badCounterError struct{ table, value string }

func (e *badCounterError) Error() string {
	return fmt.Sprintf("the id counter of table %s (in sqlite_sequence) holds %q, not a number: it was set outside ctitui", e.table, e.value)
}

// lexOrNil returns the tokens of stmt, or none when it does not lex.
func lexOrNil(stmt string) []sqlToken {
	toks, _ := lexSQL(stmt)
	return toks
}

// withoutRowID reports whether a table definition ends WITHOUT ROWID.
func withoutRowID(d tableDef) bool {
	return slices.ContainsFunc(d.tail, func(t sqlToken) bool { return t.is("ROWID") })
}
