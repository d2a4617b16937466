package db

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
	"strings"
	"sync"

	"github.com/pressly/goose/v3"
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
	defer ref.Close()
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
	p, err := goose.NewProvider(goose.DialectSQLite3, ref, migrationsFS(), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		ref.Close()
		return nil, err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		ref.Close()
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
	Kind  string // trigger, view, index or rule (of a table's definition)
	Name  string // the trigger, view or index; for a rule, its table
	Table string
	SQL   string // the object's SQL; for a rule, the item of the definition
	Why   string // for an index or rule: what makes it foreign
}

func (f foreignItem) String() string {
	switch f.Kind {
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
			// Only a unique index can refuse a write: one of ctitui's
			// defined otherwise is a problem for doctor, not foreign.
			if slices.Contains(tables, h.Table) && !(known && canonicalSQL(h.SQL) == canonicalSQL(w.SQL)) &&
				uniqueOverOurs(h.SQL, ours["table "+h.Table], want) {
				out = append(out, foreignItem{Kind: "index", Name: h.Name, Table: h.Table, SQL: h.SQL, Why: "a unique index over columns ctitui writes"})
			}
		case "table":
			if known {
				out = append(out, tableRules(h, w, tables, want)...)
			}
		}
	}
	return out
}

// tableRules returns the items of have, one of ctitui's tables as a file
// defines it, that want, its definition by the migrations, does not allow:
// a column of ctitui's defined otherwise, a constraint of ctitui's missing,
// other table options, and the rules of the table's other columns and
// constraints that adoption would not keep (see shapeOf).
func tableRules(have, want schemaRow, tables []string, schema []schemaRow) []foreignItem {
	rule := func(item, why string) foreignItem {
		return foreignItem{Kind: "rule", Name: have.Name, Table: have.Name, SQL: item, Why: why}
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
		i := slices.IndexFunc(hd.columns, func(c columnDef) bool { return strings.EqualFold(c.name, wc.name) })
		if i >= 0 && canonical(hd.columns[i].toks) != canonical(wc.toks) {
			out = append(out, rule(joinTokens(hd.columns[i].toks), "ctitui defines it as "+joinTokens(wc.toks)))
		}
	}
	haveCons := make([]string, len(hd.constraints))
	for i, c := range hd.constraints {
		haveCons[i] = canonical(c)
	}
	for _, wc := range wd.constraints {
		if !slices.Contains(haveCons, canonical(wc)) {
			out = append(out, rule(joinTokens(wc), "ctitui's constraint is missing"))
		}
	}
	if canonical(hd.tail) != canonical(wd.tail) {
		out = append(out, rule("the options ("+joinTokens(hd.tail)+")", "ctitui's table is "+joinTokens(wd.tail)))
	}
	for _, n := range shapeOf(have.Name, hd, wd, tables, uniqueKeys(want.Name, wd, schema)).notKept {
		out = append(out, rule(n.item, n.why))
	}
	return out
}

// uniqueOverOurs reports whether stmt, a CREATE INDEX on one of ctitui's
// tables (defined by table, in schema), makes a unique index that could
// refuse a write of ctitui's: one that reads a column ctitui writes and is
// not implied by a key ctitui already keeps (uniqueKeys). An index on an
// expression is taken to be such an index.
func uniqueOverOurs(stmt string, table schemaRow, schema []schemaRow) bool {
	toks, err := lexSQL(stmt)
	if err != nil || len(toks) < 2 {
		return true
	}
	if !toks[1].is("UNIQUE") {
		return false
	}
	wd, err := parseCreateTable(table.SQL)
	if err != nil {
		return true
	}
	open := slices.IndexFunc(toks, func(t sqlToken) bool { return t.punct == '(' })
	if open < 0 {
		return true
	}
	items, _, err := splitList(toks, open)
	if err != nil {
		return true
	}
	var cols []string
	for _, item := range items {
		if len(item) == 0 || item[0].name() == "" || slices.ContainsFunc(item, func(t sqlToken) bool { return t.punct == '(' }) {
			return true // an expression
		}
		cols = append(cols, item[0].name())
	}
	return readsColumns(toks, wd.columnNames()) && !implied(cols, uniqueKeys(table.Name, wd, schema))
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
	keyOf := func(toks []sqlToken) []string {
		open := slices.IndexFunc(toks, func(t sqlToken) bool { return t.punct == '(' })
		if open < 0 {
			return nil
		}
		items, _, err := splitList(toks, open)
		if err != nil {
			return nil
		}
		var cols []string
		for _, item := range items {
			if len(item) > 0 {
				cols = append(cols, item[0].name())
			}
		}
		return cols
	}
	for _, c := range def.constraints {
		body := c
		if body[0].is("CONSTRAINT") && len(body) > 2 {
			body = body[2:]
		}
		if body[0].is("PRIMARY") || body[0].is("UNIQUE") {
			keys = append(keys, keyOf(body))
		}
	}
	for _, o := range schema {
		if o.Type == "index" && o.Table == table {
			if toks, err := lexSQL(o.SQL); err == nil && len(toks) > 1 && toks[1].is("UNIQUE") {
				keys = append(keys, keyOf(toks))
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
			return !slices.ContainsFunc(cols, func(c string) bool { return strings.EqualFold(c, k) })
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

// ErrUnknownSchema reports schema that ctitui did not create.
var ErrUnknownSchema = errors.New("database has triggers, views or table rules that ctitui did not create")

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
		ErrUnknownSchema, describeForeign(e.Items), shellQuote(e.Path), shellQuote(".schema "+e.Items[0].Name))
	if e.Remedy != "" {
		msg += "; " + e.Remedy
	}
	return msg
}

// Is makes errors.Is(err, ErrUnknownSchema) true.
func (e *UnknownSchemaError) Is(target error) bool { return target == ErrUnknownSchema }

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
// what of its own reads none of ctitui's columns (rebuildTable). Then the
// objects of want (the schema of the file's version) that are missing are
// made again: one may have been dropped for carrying a foreign body under
// ctitui's name, and a rebuilt table's indexes and triggers went with it.
// tx must be on a connection with foreign keys off (rebuilding a table
// drops it) and legacy_alter_table on.
func removeForeign(ctx context.Context, tx *sql.Tx, items []foreignItem, want []schemaRow) error {
	var rebuild []string
	for _, f := range items {
		switch f.Kind {
		case "rule":
			if !slices.Contains(rebuild, f.Table) {
				rebuild = append(rebuild, f.Table)
			}
		default:
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP %s IF EXISTS main.%s", strings.ToUpper(f.Kind), quoteIdent(f.Name))); err != nil {
				return fmt.Errorf("drop %s: %w", f, translate(err))
			}
		}
	}
	for _, table := range rebuild {
		i := slices.IndexFunc(want, func(w schemaRow) bool { return w.Type == "table" && w.Name == table })
		if err := rebuildTable(ctx, tx, want[i], want); err != nil {
			return fmt.Errorf("rebuild table %s: %w", table, err)
		}
	}
	return restoreMissing(ctx, tx, want)
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
// plus the table's own columns and constraints that shapeOf keeps. The rows
// keep their rowids (the search index and the users' order rest on them) and
// every value; the table's own indexes that are not foreign are made again
// (ctitui's, by the caller).
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
	var tables []string
	for _, w := range schema {
		if w.Type == "table" {
			tables = append(tables, w.Name)
		}
	}
	shape := shapeOf(want.Name, hd, wd, tables, uniqueKeys(want.Name, wd, schema))
	// The table's own indexes that stay: not ctitui's, not foreign.
	rows, err := readSchemaRows(ctx, tx)
	if err != nil {
		return err
	}
	var keepIndexes []string
	for _, h := range rows {
		if h.Type == "index" && h.Table == want.Name && !slices.ContainsFunc(schema, func(w schemaRow) bool { return w.Type == "index" && w.Name == h.Name }) &&
			!uniqueOverOurs(h.SQL, want, schema) {
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
	// and the kept ones that are not computed.
	var cols []string
	for _, c := range wd.columns {
		if slices.ContainsFunc(hd.columns, func(h columnDef) bool { return strings.EqualFold(h.name, c.name) }) {
			cols = append(cols, quoteIdent(c.name))
		}
	}
	for _, c := range shape.kept {
		if !c.generated {
			cols = append(cols, quoteIdent(c.name))
		}
	}
	list := strings.Join(cols, ", ")
	if !withoutRowID(wd) {
		list = "rowid, " + list
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
	return nil
}

// withoutRowID reports whether a table definition ends WITHOUT ROWID.
func withoutRowID(d tableDef) bool {
	return slices.ContainsFunc(d.tail, func(t sqlToken) bool { return t.is("ROWID") })
}
