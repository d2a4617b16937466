package db

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
	name      string
	def       string // its definition, whole tokens of the original
	generated bool   // computed by SQLite: not copied, it computes itself
}

// legacyShape is what a table keeps besides ctitui's own columns and
// constraints, and what it leaves out, for the report.
type legacyShape struct {
	kept        []keptColumn
	constraints []string // its own table constraints, which read none of ctitui's columns
	notKept     []notKept
}

// notKept is an item of a table's definition that ctitui does not keep.
type notKept struct {
	item, why string
	// quiet: a key over ctitui's columns only, which ctitui defines itself;
	// an adoption does not mention it.
	quiet bool
}

// shapeOf decides what of table, as have defines it, is kept when ctitui's
// definition of it, want, replaces it: the columns want does not define,
// each with its whole definition (type, default, COLLATE, CHECK,
// REFERENCES, a generation rule), and the table constraints want does not
// have. Left out, each named in notKept with the reason: whatever reads a
// column ctitui writes (a CHECK, a generation rule, a UNIQUE or PRIMARY KEY,
// a foreign key) or points at one of ctitui's tables (a REFERENCES, whose
// actions would change them): such a rule could refuse ctitui's writes, a
// failed login's count among them, or change its rows; a PRIMARY KEY on
// another column (the id is the key); and a NOT NULL without a default,
// with which ctitui could not add rows. A column that loses its generation
// rule keeps its values. tables names ctitui's tables; keys are the sets of
// columns ctitui keeps unique in this table (uniqueKeys): a UNIQUE or
// PRIMARY KEY that holds one of them whole refuses nothing ctitui allows.
func shapeOf(table string, have, want tableDef, tables []string, keys [][]string) legacyShape {
	var shape legacyShape
	ours := want.columnNames()
	isOurs := func(name string) bool {
		return slices.ContainsFunc(ours, func(o string) bool { return strings.EqualFold(o, name) })
	}
	readsOurs := func(toks []sqlToken) bool { return readsColumns(toks, ours) }
	pointsAtOurs := func(toks []sqlToken) bool {
		i := slices.IndexFunc(toks, func(t sqlToken) bool { return t.is("REFERENCES") })
		return i >= 0 && i+1 < len(toks) && slices.ContainsFunc(tables, func(t string) bool { return strings.EqualFold(t, toks[i+1].name()) })
	}
	leave := func(where string, toks []sqlToken, why string) {
		shape.notKept = append(shape.notKept, notKept{item: where + " " + joinTokens(toks), why: why})
	}
	for _, c := range have.columns {
		if isOurs(c.name) {
			continue
		}
		where := table + "." + c.name
		typ, clauses := c.clauses()
		hasDefault := slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "DEFAULT" })
		generated := false
		toks := append([]sqlToken{c.toks[0]}, typ...)
		for _, cl := range clauses {
			switch {
			case cl.kind == "PRIMARY":
				leave(where, cl.toks, "the id is the key")
			case cl.kind == "NULL":
			case cl.kind == "NOT" && !hasDefault && !slices.ContainsFunc(clauses, func(cl clause) bool { return cl.kind == "GENERATED" && !readsOurs(cl.toks) }):
				leave(where, cl.toks, "it has no default for the rows ctitui adds")
			case (cl.kind == "CHECK" || cl.kind == "GENERATED") && readsOurs(cl.toks):
				why := "it reads columns ctitui writes"
				if cl.kind == "GENERATED" {
					why += "; the column keeps its values"
				}
				leave(where, cl.toks, why)
			case cl.kind == "REFERENCES" && pointsAtOurs(cl.toks):
				leave(where, cl.toks, "it points at a table of ctitui's")
			default:
				generated = generated || cl.kind == "GENERATED"
				toks = append(toks, cl.toks...)
			}
		}
		shape.kept = append(shape.kept, keptColumn{name: c.name, def: joinTokens(toks), generated: generated})
	}
	var wantCons []string
	for _, c := range want.constraints {
		wantCons = append(wantCons, canonical(c))
	}
	for _, tc := range have.constraints {
		if slices.Contains(wantCons, canonical(tc)) {
			continue // ctitui's own
		}
		body := tc
		if body[0].is("CONSTRAINT") && len(body) > 2 {
			body = body[2:]
		}
		var keyCols []sqlToken // the columns a key or foreign key is over
		if open := slices.IndexFunc(body, func(t sqlToken) bool { return t.punct == '(' }); open >= 0 {
			if _, end, err := splitList(body, open); err == nil {
				keyCols = body[open : end+1]
			}
		}
		switch {
		case body[0].is("CHECK") && readsOurs(body):
			leave(table, tc, "it reads columns ctitui writes")
		case body[0].is("CHECK"):
			shape.constraints = append(shape.constraints, joinTokens(tc))
		case body[0].is("FOREIGN") && (readsOurs(keyCols) || pointsAtOurs(body)):
			leave(table, tc, "it constrains columns or tables ctitui writes")
		case body[0].is("PRIMARY") && !slices.ContainsFunc(names(keyCols), func(n string) bool { return !isOurs(n) }):
			// A key of ctitui's columns only: ctitui defines their keys.
			shape.notKept = append(shape.notKept, notKept{item: table + " " + joinTokens(tc), why: "ctitui defines the keys of its columns", quiet: true})
		case (body[0].is("PRIMARY") || body[0].is("UNIQUE")) && readsOurs(keyCols) && !implied(names(keyCols), keys):
			shape.notKept = append(shape.notKept, notKept{item: table + " " + joinTokens(tc), why: "it is a key over columns ctitui writes"})
		case body[0].is("PRIMARY"):
			leave(table, tc, "the id is the key")
		default: // a UNIQUE or FOREIGN KEY over the table's own columns
			shape.constraints = append(shape.constraints, joinTokens(tc))
		}
	}
	return shape
}

// readLegacyShape reads table, a legacy table that adoption rebuilds as
// want (its definition at the adoption baseline), and decides with shapeOf
// what it keeps. consumed names legacy columns adoption reads and does not
// keep (user_roles' role name). The rules of the columns ctitui defines
// itself go with their old definitions, named in notKept (such as "email
// COLLATE NOCASE": ctitui compares emails its own way).
func readLegacyShape(ctx context.Context, q queryer, table string, want tableDef, consumed []string, cols []column, tables []string, keys [][]string) (legacyShape, error) {
	var stmt string
	if err := q.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&stmt); err != nil {
		return legacyShape{}, translate(err)
	}
	have, err := parseCreateTable(stmt)
	if err != nil {
		return legacyShape{}, fmt.Errorf("cannot read the definition of table %s: %w", table, err)
	}
	if len(have.columns) != len(cols) || slices.ContainsFunc(have.columns, func(c columnDef) bool { return !hasColumn(cols, c.name) }) {
		return legacyShape{}, fmt.Errorf("cannot read the definition of table %s: it does not name the columns SQLite reports", table)
	}
	for _, c := range consumed {
		want.columns = append(want.columns, columnDef{name: c})
	}
	shape := shapeOf(table, have, want, tables, keys)
	var ours []notKept
	for _, c := range have.columns {
		if !slices.ContainsFunc(want.columns, func(w columnDef) bool { return strings.EqualFold(w.name, c.name) }) {
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
		// A column that lost a generation rule that read ctitui's columns
		// keeps its values as a plain column.
		if o.typ != n.typ || !sameDefault || (k.generated && o.hidden != n.hidden) || (n.notNull && !o.notNull) {
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
	return slices.ContainsFunc(cols, func(c column) bool { return strings.EqualFold(c.name, name) })
}
