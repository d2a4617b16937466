package sqlite

// What adoption keeps of a legacy table besides ctitui's own columns, and
// the reading of the legacy definitions that decides it.

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

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
	name string
	def  string // its definition, whole tokens of the original
}

// legacyShape is what a table keeps besides ctitui's own columns and
// constraints, and what it leaves out, for the report.
type legacyShape struct {
	kept        []keptColumn
	constraints []string // its own table constraints that stay
	// fillsNull names the kept columns that every row ctitui adds leaves
	// NULL (no default, or DEFAULT NULL): a key over them refuses none.
	fillsNull []string
	notKept   []notKept
}

// notKept is an item of a table's definition that ctitui does not keep.
type notKept struct {
	item, why string
	// quiet: a key over ctitui's columns only, which ctitui defines itself;
	// an adoption does not mention it.
	quiet bool
}

// tablesWithOwnColumns are ctitui's tables that may hold a legacy file's
// own columns, which adoption keeps. Every other table of ctitui's must be
// exactly as its migrations define it.
var tablesWithOwnColumns = []string{"users", "roles", "user_roles"}

// Why a rule of a table's own is not kept.
const (
	whyOnConflict = "ON CONFLICT changes what ctitui's writes do"
	whyCheck      = "a CHECK runs with ctitui's writes and could refuse them"
	whyKey        = "the id is the key"
	// A foreign key makes SQLite look its parent table up on writes to the
	// table, whatever the values: a parent that is missing or has no key to
	// match fails every one of them, the count of failed logins among them.
	whyReference = "a foreign key makes SQLite look up its parent table on ctitui's writes, and a missing or changed parent would refuse them"
	// SQLite lets a column take the name of the row id, which then reads the
	// column instead: ctitui's searches and row order rely on the real one.
	whyRowidName = "a column of that name hides SQLite's row id, which ctitui relies on; rename it with the sqlite3 shell to keep its values"
)

// rowidNames are the names by which SQL reads a table's row id.
var rowidNames = []string{"rowid", "oid", "_rowid_"}

// shapeOf decides what of table, as have defines it, is kept when ctitui's
// definition of it, want, replaces it: the columns want does not define,
// and the table constraints want does not have. It keeps only what cannot
// run code or refuse one of ctitui's writes, whatever the values: a type, a
// constant default, a built-in collation, NOT NULL with a constant default,
// UNIQUE over columns that every row ctitui adds leaves NULL, and a UNIQUE
// that holds one of ctitui's keys whole (keys, from uniqueKeys), which
// refuses nothing ctitui allows. Left out, each named in notKept with the
// reason: every CHECK, foreign key, generation rule (the column keeps its
// values), default computed by an expression, ON CONFLICT clause, other
// PRIMARY KEY and other key, and a column named like the row id (with its
// values: the backup keeps them).
func shapeOf(table string, have, want tableDef, keys [][]string) legacyShape {
	var shape legacyShape
	ours := want.columnNames()
	leave := func(where string, toks []sqlToken, why string) {
		shape.notKept = append(shape.notKept, notKept{item: where + " " + joinTokens(toks), why: why})
	}
	for _, c := range have.columns {
		if containsName(ours, c.name) {
			continue
		}
		where := table + "." + c.name
		if containsName(rowidNames, c.name) {
			shape.notKept = append(shape.notKept, notKept{item: "column " + where, why: whyRowidName})
			continue
		}
		typ, clauses := c.clauses()
		// What the rows ctitui adds get decides the rules that follow.
		fill := "NULL"
		for _, cl := range clauses {
			if v, ok := constantDefault(cl); ok {
				fill = v
			}
		}
		toks := append([]sqlToken{c.toks[0]}, typ...)
		for _, cl := range clauses {
			var why string
			switch {
			case hasOnConflict(cl.toks):
				why = whyOnConflict
			case cl.kind == "PRIMARY":
				why = whyKey
			case cl.kind == "CHECK":
				why = whyCheck
			case cl.kind == "GENERATED":
				why = "its rule runs with ctitui's writes and could refuse them; the column keeps its values"
			case cl.kind == "DEFAULT":
				if _, ok := constantDefault(cl); !ok {
					why = "a default computed by an expression runs with ctitui's writes"
				}
			case cl.kind == "COLLATE" && !builtinCollation(cl.toks):
				why = "ctitui knows only SQLite's built-in collations"
			case cl.kind == "NOT" && fill == "NULL":
				why = "it has no default for the rows ctitui adds"
			case cl.kind == "UNIQUE" && fill != "NULL":
				why = "every row ctitui adds gets its default, the same value"
			case cl.kind == "REFERENCES":
				why = whyReference
			}
			if why != "" {
				leave(where, cl.toks, why)
				continue
			}
			toks = append(toks, cl.toks...)
		}
		if fill == "NULL" {
			shape.fillsNull = append(shape.fillsNull, c.name)
		}
		shape.kept = append(shape.kept, keptColumn{name: c.name, def: joinTokens(toks)})
	}
	fillsNull := func(cols []string) bool {
		return !slices.ContainsFunc(cols, func(c string) bool { return !containsName(shape.fillsNull, c) })
	}
	var wantCons []string
	for _, c := range want.constraints {
		wantCons = append(wantCons, canonical(c))
	}
	for _, tc := range have.constraints {
		body := constraintBody(tc)
		if len(body) == 0 || slices.Contains(wantCons, canonical(tc)) {
			continue // a CONSTRAINT name alone, or ctitui's own
		}
		cols, plain := keyColumns(body)
		var why string
		quiet := false
		switch {
		case hasOnConflict(body):
			why = whyOnConflict
		case body[0].is("CHECK"):
			why = whyCheck
		case body[0].is("PRIMARY") && plain && !slices.ContainsFunc(cols, func(c string) bool { return !containsName(ours, c) }):
			why, quiet = "ctitui defines the keys of its columns", true
		case body[0].is("PRIMARY"):
			why = whyKey
		case body[0].is("UNIQUE") && plain && (implied(cols, keys) || fillsNull(cols)):
		case body[0].is("UNIQUE"):
			why = "it is a key over columns ctitui writes, or that the rows ctitui adds fill alike"
		case body[0].is("FOREIGN"):
			why = whyReference
		default:
			why = "it constrains columns or tables ctitui writes"
		}
		if why != "" {
			shape.notKept = append(shape.notKept, notKept{item: table + " " + joinTokens(tc), why: why, quiet: quiet})
			continue
		}
		shape.constraints = append(shape.constraints, joinTokens(tc))
	}
	return shape
}

// constantDefault returns the value a DEFAULT clause gives, as written, when
// it is a constant: a string, a number, NULL, TRUE, FALSE or the current
// time. ok is false for anything else, such as an expression in
// parentheses, which SQLite evaluates with every insert.
func constantDefault(cl clause) (value string, ok bool) {
	if cl.kind != "DEFAULT" {
		return "", false
	}
	toks := constraintBody(cl.toks)[1:] // after DEFAULT
	if len(toks) == 2 && (toks[0].punct == '-' || toks[0].punct == '+') && toks[1].bare && isNumber(toks[1].text) {
		return toks[0].text + toks[1].text, true
	}
	if len(toks) != 1 {
		return "", false
	}
	switch t := toks[0]; {
	case t.str, t.bare && isNumber(t.text):
		return t.text, true
	case t.is("NULL"):
		return "NULL", true
	case t.is("TRUE"), t.is("FALSE"), t.is("CURRENT_TIME"), t.is("CURRENT_DATE"), t.is("CURRENT_TIMESTAMP"):
		return t.value, true
	}
	return "", false
}

// hasOnConflict reports whether toks hold an ON CONFLICT clause.
func hasOnConflict(toks []sqlToken) bool {
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].is("ON") && toks[i+1].is("CONFLICT") {
			return true
		}
	}
	return false
}

// builtinCollation reports whether a COLLATE clause names one of the
// collating sequences every SQLite has.
func builtinCollation(toks []sqlToken) bool {
	toks = constraintBody(toks)
	return len(toks) == 2 && slices.ContainsFunc([]string{"BINARY", "NOCASE", "RTRIM"}, func(c string) bool { return sameName(c, toks[1].name()) })
}

// keyColumns returns the columns of the first parenthesised list in toks,
// the list of a key, a foreign key or an index, when it names columns only,
// each maybe followed by ASC or DESC; plain is false when it holds anything
// else (an expression, a COLLATE).
func keyColumns(toks []sqlToken) (cols []string, plain bool) {
	open := slices.IndexFunc(toks, func(t sqlToken) bool { return t.punct == '(' })
	if open < 0 {
		return nil, false
	}
	items, _, err := splitList(toks, open)
	if err != nil {
		return nil, false
	}
	for _, item := range items {
		if len(item) == 2 && (item[1].is("ASC") || item[1].is("DESC")) {
			item = item[:1]
		}
		if len(item) != 1 || item[0].name() == "" {
			return nil, false
		}
		cols = append(cols, item[0].name())
	}
	return cols, true
}

// containsName reports whether names holds name, as SQLite matches names.
func containsName(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return sameName(n, name) })
}

// readLegacyShape reads table, a legacy table that adoption rebuilds as
// want (its definition at the adoption baseline), and decides with shapeOf
// what it keeps. consumed names legacy columns adoption reads and does not
// keep (user_roles' role name). The rules of the columns ctitui defines
// itself go with their old definitions, named in notKept (such as "email
// COLLATE NOCASE": ctitui compares emails its own way).
func readLegacyShape(ctx context.Context, q queryer, table string, want tableDef, consumed []string, cols []column, keys [][]string) (legacyShape, error) {
	have, err := legacyDef(ctx, q, table)
	if err != nil {
		return legacyShape{}, err
	}
	if len(have.columns) != len(cols) || slices.ContainsFunc(have.columns, func(c columnDef) bool { return !hasColumn(cols, c.name) }) {
		return legacyShape{}, fmt.Errorf("cannot read the definition of table %s: it does not name the columns SQLite reports", table)
	}
	for _, c := range consumed {
		want.columns = append(want.columns, columnDef{name: c})
	}
	shape := shapeOf(table, have, want, keys)
	var ours []notKept
	for _, c := range have.columns {
		if !containsName(want.columnNames(), c.name) {
			continue
		}
		_, clauses := c.clauses()
		for _, cl := range clauses {
			switch cl.kind {
			case "COLLATE", "CHECK", "GENERATED", "REFERENCES":
				ours = append(ours, notKept{item: table + "." + c.name + " " + joinTokens(cl.toks), why: "ctitui defines this column itself"})
			}
		}
	}
	shape.notKept = append(ours, shape.notKept...)
	return shape, nil
}

// legacyDef reads the definition of table in a legacy file.
func legacyDef(ctx context.Context, q queryer, table string) (tableDef, error) {
	var stmt string
	if err := q.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&stmt); err != nil {
		return tableDef{}, translate(err)
	}
	have, err := parseCreateTable(stmt)
	if err != nil {
		return tableDef{}, fmt.Errorf("cannot read the definition of table %s: %w", table, err)
	}
	return have, nil
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
		// A column that lost its generation rule keeps its values as a
		// plain column; one that lost its default (an expression) has none.
		if o.typ != n.typ || !sameDefault && n.dflt != nil || n.hidden != 0 || (n.notNull && !o.notNull) {
			return fmt.Errorf("could not keep column %s.%s as it was", legacy, k.name)
		}
	}
	return nil
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

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
	return slices.ContainsFunc(cols, func(c column) bool { return sameName(c.name, name) })
}
