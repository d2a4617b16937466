package db

// What adoption keeps of a legacy table besides ctitui's own columns, and
// the reading of the legacy definitions that decides it.

import (
	"context"
	"database/sql"
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
