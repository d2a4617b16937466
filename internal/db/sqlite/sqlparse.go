package sqlite

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Adoption rebuilds a legacy file's users, roles and user_roles tables in
// ctitui's shape, keeping their other columns. PRAGMA table_xinfo gives a
// column's name, type, NOT NULL and default, but not its COLLATE, CHECK,
// REFERENCES or generation clauses, nor the table's own constraints: those
// are read here from the CREATE TABLE statement that sqlite_schema keeps.
// The statement comes from the file: the reader only splits it into
// tokens and items, and writes back only whole tokens as they were, so that
// a string stays a string and nothing is ever spliced into new SQL text.

// sqlToken is one token of a SQL statement.
type sqlToken struct {
	src    string // the whole statement
	idx    int    // the token's place among the statement's tokens
	pos    int    // where it starts in src
	text   string // as written, quotes included
	value  string // an identifier's name: unquoted; its ASCII letters upper-cased when bare
	bare   bool   // a bare word (keyword, identifier or number)
	quoted bool   // a quoted identifier: "x", `x` or [x]
	str    bool   // a string literal 'x'
	punct  byte   // a one-character token: ( ) , ; and operators
}

// name is the identifier t spells, as SQLite would name a column after it.
func (t sqlToken) name() string {
	switch {
	case t.bare:
		return t.text
	case t.quoted, t.str:
		return t.value
	}
	return ""
}

// sameName reports whether a and b name the same column or table for
// SQLite, which ignores the case of ASCII letters only: to Unicode, "ſ"
// (long s) is an "s", to SQLite a letter of its own.
func sameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if asciiUpper(a[i]) != asciiUpper(b[i]) {
			return false
		}
	}
	return true
}

func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// upperASCII upper-cases the ASCII letters of s, as SQLite folds names.
func upperASCII(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = asciiUpper(b[i])
	}
	return string(b)
}

// is reports whether t is the bare keyword kw (upper case).
func (t sqlToken) is(kw string) bool { return t.bare && t.value == kw }

// lexSQL splits s into tokens, dropping comments and white space.
func lexSQL(s string) ([]sqlToken, error) {
	toks, err := lexTokens(s)
	for i := range toks {
		toks[i].src, toks[i].idx = s, i
	}
	return toks, err
}

func lexTokens(s string) ([]sqlToken, error) {
	var out []sqlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s) // SQLite ends an open comment at the end of input
				break
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			var val strings.Builder
			for {
				k := strings.IndexByte(s[j:], closer)
				if k < 0 {
					return nil, fmt.Errorf("unterminated %c at byte %d", c, i)
				}
				val.WriteString(s[j : j+k])
				j += k + 1
				// A doubled quote is one quote inside; brackets have no escape.
				if closer != ']' && j < len(s) && s[j] == closer {
					val.WriteByte(closer)
					j++
					continue
				}
				break
			}
			out = append(out, sqlToken{pos: i, text: s[i:j], value: val.String(), quoted: c != '\'', str: c == '\''})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, sqlToken{pos: i, text: s[i:j], value: upperASCII(s[i:j]), bare: true})
			i = j
		default:
			out = append(out, sqlToken{pos: i, text: s[i : i+1], punct: c})
			i++
		}
	}
	return out, nil
}

// isWordByte reports whether c can be part of a bare word or number: ASCII
// letters, digits, '_', '$' and the bytes of multi-byte UTF-8 characters,
// which SQLite takes as identifier characters.
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// tableDef is what a CREATE TABLE statement declares: its column
// definitions and table constraints, each as its tokens, and the table
// options after them (WITHOUT ROWID, STRICT).
type tableDef struct {
	columns     []columnDef
	constraints [][]sqlToken
	tail        []sqlToken
}

// columnNames lists the names of d's columns.
func (d tableDef) columnNames() []string {
	names := make([]string, len(d.columns))
	for i, c := range d.columns {
		names[i] = c.name
	}
	return names
}

// columnDef is one column definition.
type columnDef struct {
	name string
	toks []sqlToken // the whole definition, the name first
}

// parseCreateTable splits a CREATE TABLE statement into its column
// definitions and table constraints.
func parseCreateTable(stmt string) (tableDef, error) {
	toks, err := lexSQL(stmt)
	if err != nil {
		return tableDef{}, err
	}
	if slices.ContainsFunc(toks, func(t sqlToken) bool { return t.punct == ';' }) {
		return tableDef{}, errors.New("more than one statement")
	}
	open := slices.IndexFunc(toks, func(t sqlToken) bool { return t.punct == '(' })
	if open < 0 || slices.ContainsFunc(toks[:open], func(t sqlToken) bool { return t.is("AS") }) {
		return tableDef{}, errors.New("no column list (a table made by CREATE TABLE ... AS SELECT?)")
	}
	items, end, err := splitList(toks, open)
	if err != nil {
		return tableDef{}, err
	}
	def := tableDef{tail: toks[end+1:]}
	for _, item := range items {
		if len(item) == 0 {
			return tableDef{}, errors.New("an empty item in the column list")
		}
		switch first := item[0]; {
		case startsTableConstraint(first):
			def.constraints = append(def.constraints, splitConstraints(item)...)
		case !first.bare && !first.quoted && !first.str:
			return tableDef{}, fmt.Errorf("a column without a name (%s)", first.text)
		default:
			def.columns = append(def.columns, columnDef{name: first.name(), toks: item})
		}
	}
	return def, nil
}

// startsTableConstraint reports whether t is a keyword that starts a table
// constraint.
func startsTableConstraint(t sqlToken) bool {
	return t.is("CONSTRAINT") || t.is("PRIMARY") || t.is("UNIQUE") || t.is("CHECK") || t.is("FOREIGN")
}

// splitConstraints splits one item of the column list into the table
// constraints it holds: SQLite takes them one after another with or without
// a comma between them (`UNIQUE (a) CHECK (a <> 'x')` is two), and takes a
// CONSTRAINT name on its own. Each starts at a constraint keyword outside
// parentheses, but for the one that follows CONSTRAINT name.
func splitConstraints(item []sqlToken) [][]sqlToken {
	var out [][]sqlToken
	start := 0
	for i := 0; i < len(item); i = skipGroup(item, i) {
		// The name after CONSTRAINT, and the keyword after the name, go
		// with it.
		named := item[start].is("CONSTRAINT") && (i == start+1 || i == start+2 && !item[i].is("CONSTRAINT"))
		if i > start && startsTableConstraint(item[i]) && !named {
			out = append(out, item[start:i])
			start = i
		}
	}
	return append(out, item[start:])
}

// constraintBody returns a table constraint without its CONSTRAINT name:
// from the keyword that says what it is; nil for a name alone.
func constraintBody(c []sqlToken) []sqlToken {
	for len(c) > 0 && c[0].is("CONSTRAINT") {
		c = c[min(2, len(c)):]
	}
	return c
}

// splitList splits the parenthesised list that opens at toks[open] into its
// comma-separated items, and returns the index of its closing parenthesis.
func splitList(toks []sqlToken, open int) (items [][]sqlToken, end int, err error) {
	depth, start := 0, open+1
	for i := open; i < len(toks); i++ {
		switch toks[i].punct {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(items, toks[start:i]), i, nil
			}
		case ',':
			if depth == 1 {
				items = append(items, toks[start:i])
				start = i + 1
			}
		}
	}
	return nil, 0, errors.New("unbalanced parentheses")
}

// clause is one constraint of a column definition: its tokens, from the
// keyword that starts it (or CONSTRAINT name) to the next one.
type clause struct {
	kind string // PRIMARY, NOT (NOT NULL), NULL, UNIQUE, CHECK, DEFAULT, COLLATE, REFERENCES, GENERATED (also AS)
	toks []sqlToken
}

// clauseStarts are the keywords that start a column constraint.
var clauseStarts = map[string]bool{"CONSTRAINT": true, "PRIMARY": true, "NOT": true, "NULL": true, "UNIQUE": true,
	"CHECK": true, "DEFAULT": true, "COLLATE": true, "REFERENCES": true, "GENERATED": true, "AS": true}

// clauses splits a column definition after its name into its type and its
// constraints. A NOT inside a REFERENCES clause (NOT DEFERRABLE) stays in it.
func (c columnDef) clauses() (typ []sqlToken, out []clause) {
	toks := c.toks[1:]
	i := 0
	for i < len(toks) && !(toks[i].bare && clauseStarts[toks[i].value]) {
		i = skipGroup(toks, i)
	}
	typ = toks[:i]
	var named []sqlToken // a CONSTRAINT name waiting for its constraint
	for i < len(toks) {
		start := i
		if toks[i].is("CONSTRAINT") {
			i += 2
			named = toks[start:min(i, len(toks))]
			continue
		}
		kind := toks[i].value
		if kind == "AS" {
			kind = "GENERATED"
		}
		i++
		if kind == "NOT" && i < len(toks) && toks[i].is("NULL") {
			i++ // NOT NULL is one constraint
		}
		for i < len(toks) && !startsClause(toks, i, kind) {
			i = skipGroup(toks, i)
		}
		out = append(out, clause{kind: kind, toks: append(slices.Clone(named), toks[start:i]...)})
		named = nil
	}
	return typ, out
}

// startsClause reports whether toks[i] starts a new column constraint
// inside one of kind: the words of a foreign key's actions (SET NULL, SET
// DEFAULT, NOT DEFERRABLE), GENERATED ALWAYS AS and the NULL of DEFAULT
// NULL do not.
func startsClause(toks []sqlToken, i int, kind string) bool {
	t := toks[i]
	if !t.bare || !clauseStarts[t.value] {
		return false
	}
	switch {
	case kind == "GENERATED" && t.is("AS"):
		return false
	case kind == "DEFAULT" && toks[i-1].is("DEFAULT"):
		return false // DEFAULT NULL: the value
	case kind == "REFERENCES" && (t.is("NULL") || t.is("DEFAULT")) && i > 0 && toks[i-1].is("SET"):
		return false
	case kind == "REFERENCES" && t.is("NOT") && i+1 < len(toks) && toks[i+1].is("DEFERRABLE"):
		return false
	}
	return true
}

// skipGroup returns the index after the token at i, or after the whole
// parenthesised group it opens.
func skipGroup(toks []sqlToken, i int) int {
	if toks[i].punct != '(' {
		return i + 1
	}
	if _, end, err := splitList(toks, i); err == nil {
		return end + 1
	}
	return len(toks)
}

// joinTokens writes toks back as SQL: each run of tokens that followed one
// another in the statement exactly as it was written there (so that "<>" or
// "||", two tokens here, stay one operator), runs apart by a space.
func joinTokens(toks []sqlToken) string {
	var b strings.Builder
	for i := 0; i < len(toks); {
		j := i
		for j+1 < len(toks) && toks[j+1].idx == toks[j].idx+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(toks[i].src[toks[i].pos : toks[j].pos+len(toks[j].text)])
		i = j + 1
	}
	return b.String()
}

// isNumber reports whether a bare word is a number: it starts with a digit.
func isNumber(s string) bool { return s != "" && '0' <= s[0] && s[0] <= '9' }
