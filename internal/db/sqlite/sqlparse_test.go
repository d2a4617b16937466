package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
)

func TestColumnClauses(t *testing.T) {
	tests := []struct {
		def       string
		wantType  string
		wantKinds []string
		wantTexts []string
	}{
		{`email TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) > 3)`, "TEXT",
			[]string{"NOT", "COLLATE", "UNIQUE", "CHECK"}, []string{"NOT NULL", "COLLATE NOCASE", "UNIQUE", "CHECK (length(email) > 3)"}},
		{`"odd name" VARCHAR(50, 2) DEFAULT 'a,b' CONSTRAINT c1 CHECK ("odd name" <> '')`, "VARCHAR(50, 2)",
			[]string{"DEFAULT", "CHECK"}, []string{"DEFAULT 'a,b'", "CONSTRAINT c1 CHECK (\"odd name\" <> '')"}},
		{`team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL NOT DEFERRABLE NOT NULL`, "INTEGER",
			[]string{"REFERENCES", "NOT"}, []string{"REFERENCES teams (id) ON DELETE SET NULL NOT DEFERRABLE", "NOT NULL"}},
		{`d TEXT AS (lower(x) || 'y') STORED`, "TEXT", []string{"GENERATED"}, []string{"AS (lower(x) || 'y') STORED"}},
		{`d GENERATED ALWAYS AS (1) VIRTUAL`, "", []string{"GENERATED"}, []string{"GENERATED ALWAYS AS (1) VIRTUAL"}},
		{`x TEXT DEFAULT NULL NOT NULL`, "TEXT", []string{"DEFAULT", "NOT"}, []string{"DEFAULT NULL", "NOT NULL"}},
		{`plain`, "", nil, nil},
	}
	for _, tt := range tests {
		def, err := parseCreateTable("CREATE TABLE t (" + tt.def + ")")
		if err != nil || len(def.columns) != 1 {
			t.Errorf("parseCreateTable(%q) = %+v, %v; want one column", tt.def, def, err)
			continue
		}
		typ, clauses := def.columns[0].clauses()
		var kinds, texts []string
		for _, c := range clauses {
			kinds = append(kinds, c.kind)
			texts = append(texts, joinTokens(c.toks))
		}
		if got := joinTokens(typ); got != tt.wantType || !slices.Equal(kinds, tt.wantKinds) || !slices.Equal(texts, tt.wantTexts) {
			t.Errorf("clauses(%q) = %q %q %q; want %q %q %q", tt.def, got, kinds, texts, tt.wantType, tt.wantKinds, tt.wantTexts)
		}
	}
}

func TestParseCreateTableRefuses(t *testing.T) {
	for _, stmt := range []string{
		`CREATE TABLE t AS SELECT 1 AS x`,
		`CREATE TABLE t (a TEXT); DROP TABLE u`,
		`CREATE TABLE t (a "unterminated)`,
		`CREATE TABLE t (a TEXT`,
		`CREATE TABLE t (a TEXT,)`,
	} {
		if def, err := parseCreateTable(stmt); err == nil {
			t.Errorf("parseCreateTable(%q) = %+v, nil; want an error", stmt, def)
		}
	}
}

// FuzzParseCreateTable checks the reader of CREATE TABLE statements against
// SQLite itself: for every column list SQLite accepts, it must find the
// columns SQLite reports, in order, and write each definition back so that
// SQLite reads the same column from it.
func FuzzParseCreateTable(f *testing.F) {
	for _, seed := range []string{
		`id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE`,
		`"a""b" INT DEFAULT (1 + 2), [c d] TEXT COLLATE NOCASE, ` + "`e`" + ` BLOB`,
		`x INTEGER CHECK (x <> 0 AND x != 1 OR x || 'a' = 'b'), CONSTRAINT k CHECK (x >= 2)`,
		`g TEXT GENERATED ALWAYS AS (upper('a,b)')) STORED, h AS (1) VIRTUAL`,
		`t INTEGER REFERENCES p (id) ON DELETE CASCADE NOT DEFERRABLE, FOREIGN KEY (t) REFERENCES p (id)`,
		`/* c */ a -- d
		TEXT, 'quoted' TEXT, b VARCHAR(10, 2) NOT NULL ON CONFLICT IGNORE DEFAULT -1`,
		`α TEXT, "é" TEXT`,
	} {
		f.Add(seed)
	}
	ref, err := sql.Open("sqlite", "file:fuzz-create-table?mode=memory")
	if err != nil {
		f.Fatal(err)
	}
	defer ref.Close()
	ref.SetMaxOpenConns(1)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body string) {
		if _, err := ref.ExecContext(ctx, `DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS t2`); err != nil {
			t.Fatal(err)
		}
		stmt := "CREATE TABLE t (" + body + ")"
		if strings.ContainsRune(body, 0) {
			return
		}
		if _, err := ref.ExecContext(ctx, stmt); err != nil {
			parseCreateTable(stmt) // must only not panic
			return
		}
		var stored string
		if err := ref.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 't'`).Scan(&stored); err != nil {
			return // a statement that made no table t (a temp table, say)
		}
		want, err := tableColumns(ctx, ref, "t")
		if err != nil {
			t.Fatal(err)
		}
		def, err := parseCreateTable(stored)
		if err != nil {
			t.Fatalf("parseCreateTable(%q) = %v; SQLite accepts it", stored, err)
		}
		if len(def.columns) != len(want) {
			t.Fatalf("parseCreateTable(%q) found %d columns; SQLite has %d", stored, len(def.columns), len(want))
		}
		var defs []string
		for i, c := range def.columns {
			if c.name != want[i].name {
				t.Fatalf("parseCreateTable(%q) column %d = %q; SQLite says %q", stored, i, c.name, want[i].name)
			}
			typ, clauses := c.clauses()
			toks := append([]sqlToken{c.toks[0]}, typ...)
			for _, cl := range clauses {
				toks = append(toks, cl.toks...)
			}
			defs = append(defs, joinTokens(toks))
		}
		for _, tc := range def.constraints {
			defs = append(defs, joinTokens(tc))
		}
		again := "CREATE TABLE t2 (" + strings.Join(defs, ", ") + ")"
		if _, err := ref.ExecContext(ctx, again); err != nil {
			t.Fatalf("the definitions of %q, written back as %q: %v", stored, again, err)
		}
		got, err := tableColumns(ctx, ref, "t2")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, func(a, b column) bool {
			return a.name == b.name && a.typ == b.typ && a.notNull == b.notNull && a.hidden == b.hidden &&
				(a.dflt == nil) == (b.dflt == nil) && (a.dflt == nil || *a.dflt == *b.dflt)
		}) {
			t.Fatalf("written back as %q, the columns of %q differ", again, stored)
		}
	})
}

// TestParseCreateTableSplitsConstraints: SQLite takes table constraints
// one after another with or without commas between them, and a
// CONSTRAINT name on its own.
func TestParseCreateTableSplitsConstraints(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`a TEXT, UNIQUE (a) CHECK (a <> '')`, []string{"UNIQUE (a)", "CHECK (a <> '')"}},
		{`a TEXT, CONSTRAINT k UNIQUE (a) CONSTRAINT c CHECK (a <> '') FOREIGN KEY (a) REFERENCES p (id) ON DELETE SET NULL`,
			[]string{"CONSTRAINT k UNIQUE (a)", "CONSTRAINT c CHECK (a <> '')", "FOREIGN KEY (a) REFERENCES p (id) ON DELETE SET NULL"}},
		{`a TEXT, PRIMARY KEY (a) ON CONFLICT ABORT, CHECK (1)`, []string{"PRIMARY KEY (a) ON CONFLICT ABORT", "CHECK (1)"}},
		{`a TEXT, CONSTRAINT x CONSTRAINT y CHECK (a)`, []string{"CONSTRAINT x", "CONSTRAINT y CHECK (a)"}},
	}
	for _, tt := range tests {
		def, err := parseCreateTable("CREATE TABLE t (" + tt.body + ")")
		if err != nil {
			t.Errorf("parseCreateTable(%q) = %v", tt.body, err)
			continue
		}
		var got []string
		for _, c := range def.constraints {
			got = append(got, joinTokens(c))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("constraints of %q = %q; want %q", tt.body, got, tt.want)
		}
	}
}

// TestIdentifiersFoldOnlyASCII: SQLite matches names ignoring the case of
// ASCII letters only; "ſ" (long s) and "K" (Kelvin sign) are letters of
// their own, though Unicode folds them to s and k.
func TestIdentifiersFoldOnlyASCII(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"failed_logins", "FAILED_LOGINS", true},
		{"failed_loginſ", "failed_logins", false},
		{"Key", "key", true},
		{"\u212aey", "key", false},
		{"é", "É", false},
	}
	for _, tt := range tests {
		if got := sameName(tt.a, tt.b); got != tt.want {
			t.Errorf("sameName(%q, %q) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
		toks, err := lexSQL(tt.a + " " + tt.b)
		if err != nil || len(toks) != 2 {
			t.Fatalf("lexSQL(%q %q) = %v, %v", tt.a, tt.b, toks, err)
		}
		if got := toks[0].value == toks[1].value; got != tt.want {
			t.Errorf("lexed %q and %q alike = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
