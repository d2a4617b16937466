package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

var update = flag.Bool("update", false, "rewrite schema_reference.jsonl from the migrations")

// TestLatestSchemaFile keeps schema_reference.jsonl equal to the schema that
// the embedded migrations create. With -update (go generate) it writes the
// file instead.
func TestLatestSchemaFile(t *testing.T) {
	ctx := context.Background()
	ref, err := referenceDB(ctx, LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	objs, err := readSchemaRows(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	for _, o := range objs {
		if err := enc.Encode(o); err != nil {
			t.Fatal(err)
		}
	}
	if *update {
		if err := os.WriteFile("schema_reference.jsonl", want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(latestSchemaFile, want.Bytes()) {
		t.Fatalf("schema_reference.jsonl differs from the schema the migrations create; run: go generate ./internal/db/sqlite")
	}
	if len(latestSchema()) != len(objs) {
		t.Fatalf("latestSchema() has %d objects; want %d", len(latestSchema()), len(objs))
	}
	// Every table definition of the migrations can be read, and holds
	// nothing foreign to itself.
	if foreign := findForeign(objs, objs); len(foreign) > 0 {
		t.Fatalf("the migrations' own schema is foreign to itself: %s", describeForeign(foreign))
	}
}

// TestConnectionsDistrustTheFilesSchema checks that every connection ctitui
// opens on a file lets that file's schema use nothing that is not
// innocuous: a view over pragma_table_info, which a trusted schema may
// use, must not run.
func TestConnectionsDistrustTheFilesSchema(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/hostile.db"
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`CREATE TABLE t (x)`, `CREATE VIEW pages AS SELECT name FROM pragma_table_info('t')`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// The plain connection runs it: the view itself is valid.
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM pages`).Scan(&n); err != nil {
		t.Fatalf("plain connection reading the view: %v", err)
	}
	raw.Close()
	for name, dsn := range map[string]string{"read-write": readWriteDSN(path), "read-only": readOnlyDSN(path)} {
		conn, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		err = conn.QueryRowContext(ctx, `SELECT count(*) FROM pages`).Scan(&n)
		conn.Close()
		if err == nil {
			t.Errorf("%s connection read a view over pragma_table_info; want it refused (trusted_schema=OFF)", name)
		}
	}
}

// TestCheckReplacement: the last check before a built file is swapped in
// refuses one that runs foreign code, lacks ctitui's own, or is not at the
// latest schema.
func TestCheckReplacement(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"whole", nil, ""},
		{"a foreign trigger", []string{`CREATE TRIGGER x AFTER INSERT ON users BEGIN SELECT 1; END`}, "ctitui did not create"},
		{"a foreign view", []string{`CREATE VIEW v AS SELECT 1`}, "ctitui did not create"},
		{"a trigger missing", []string{`DROP TRIGGER users_order_insert`}, "missing"},
		{"an older schema", []string{`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`}, "schema version"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/built.db"
			s, err := Open(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range tt.stmts {
				if _, err := s.db.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if err := s.db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&s.version); err != nil {
				t.Fatal(err)
			}
			err = s.checkReplacement(ctx)
			s.Close()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("checkReplacement = %v; want %q", err, tt.want)
			}
		})
	}
}

// TestCheckReplacementRefusesDamage: the last check before a built file
// replaces a live database refuses one row that refers to nothing, and one
// value that breaks its column's NOT NULL, as written by a tool that
// switched foreign keys off or edited sqlite_schema.
func TestCheckReplacementRefusesDamage(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"one role of a user that does not exist", []string{
			`INSERT INTO user_roles (user_id, role_id) VALUES ('ghost', (SELECT id FROM roles WHERE name = 'admin'))`,
		}, "1 rows refer to rows that do not exist"},
		{"a NULL in a NOT NULL column", []string{
			`CREATE TABLE notes (body TEXT)`,
			`INSERT INTO notes VALUES (NULL)`,
			`PRAGMA writable_schema = ON`,
			`UPDATE sqlite_schema SET sql = 'CREATE TABLE notes (body TEXT NOT NULL)' WHERE name = 'notes'`,
			`PRAGMA writable_schema = OFF`,
		}, "integrity check says NULL value in notes.body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "built.db")
			s, err := Open(ctx, path, db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Foreign keys off and no defensive mode: another tool's connection.
			raw, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range tt.stmts {
				if _, err := raw.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			raw.Close()
			if s, err = Open(ctx, path, db.Options{}); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.checkReplacement(ctx); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkReplacement = %v; want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestRebuildTableKeepsTheIDCounter: rebuilding the audit log copies its
// rows, and must keep its id counter as it was: lowered to the highest id
// copied, it would hide a counter past the newest row, the trace of newest
// entries removed; made again where it was gone, it would hide that it was
// removed, the trace of a log cut and its counter dropped.
func TestRebuildTableKeepsTheIDCounter(t *testing.T) {
	tests := []struct {
		name string
		cut  []string
		want sql.NullInt64
	}{
		{"a counter past the newest row", []string{`DELETE FROM audit_log WHERE id = 3`}, sql.NullInt64{Int64: 3, Valid: true}},
		{"a counter removed", []string{`DELETE FROM audit_log WHERE id = 3`, `DELETE FROM sqlite_sequence WHERE name = 'audit_log'`}, sql.NullInt64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ref, err := referenceDB(ctx, LatestVersion())
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			for _, stmt := range append([]string{
				`INSERT INTO audit_log (id, at, actor, action) VALUES (1, 'a', 'x', 'register'), (2, 'b', 'x', 'register'), (3, 'c', 'x', 'register')`,
			}, tt.cut...) {
				if _, err := ref.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			tx, err := ref.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			schema := latestSchema()
			for _, w := range schema {
				if w.Type == "table" && w.Name == "audit_log" {
					if err := rebuildTable(ctx, tx, w, schema); err != nil {
						t.Fatal(err)
					}
				}
			}
			if seq, err := readSequence(ctx, tx, "audit_log"); err != nil || seq != tt.want {
				t.Errorf("audit_log id counter after the rebuild = %v, %v; want %v", seq, err, tt.want)
			}
		})
	}
}

// TestShapeOfKeepsOnlyInertRules: of a table's own columns and constraints,
// only what cannot run code or refuse one of ctitui's writes is kept; every
// other rule is named with its reason.
func TestShapeOfKeepsOnlyInertRules(t *testing.T) {
	const ours = `id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0`
	keys := [][]string{{"id"}, {"email"}}
	tests := []struct {
		item     string // a column or table constraint of the file's own
		kept     string // what stays of it; "" for nothing
		leftOut  string // in the reason of what goes; "" for nothing
		fillNull bool   // the rows ctitui adds leave the column NULL
	}{
		{item: `note TEXT`, kept: `note TEXT`, fillNull: true},
		{item: `note TEXT DEFAULT NULL`, kept: `note TEXT DEFAULT NULL`, fillNull: true},
		{item: `score INTEGER DEFAULT -1 NOT NULL`, kept: `score INTEGER DEFAULT -1 NOT NULL`},
		{item: `flag BOOLEAN NOT NULL DEFAULT TRUE`, kept: `flag BOOLEAN NOT NULL DEFAULT TRUE`},
		{item: `seen TEXT DEFAULT CURRENT_TIMESTAMP`, kept: `seen TEXT DEFAULT CURRENT_TIMESTAMP`},
		{item: `nick TEXT COLLATE nocase`, kept: `nick TEXT COLLATE nocase`, fillNull: true},
		{item: `nick TEXT COLLATE evil`, kept: `nick TEXT`, leftOut: "built-in collations", fillNull: true},
		{item: `badge TEXT UNIQUE`, kept: `badge TEXT UNIQUE`, fillNull: true},
		{item: `badge TEXT DEFAULT 'x' UNIQUE`, kept: `badge TEXT DEFAULT 'x'`, leftOut: "the same value"},
		{item: `badge TEXT UNIQUE ON CONFLICT REPLACE`, kept: `badge TEXT`, leftOut: "ON CONFLICT", fillNull: true},
		{item: `x TEXT NOT NULL ON CONFLICT IGNORE DEFAULT 'a'`, kept: `x TEXT DEFAULT 'a'`, leftOut: "ON CONFLICT"},
		{item: `x TEXT NOT NULL`, kept: `x TEXT`, leftOut: "no default", fillNull: true},
		{item: `x TEXT DEFAULT NULL NOT NULL`, kept: `x TEXT DEFAULT NULL`, leftOut: "no default", fillNull: true},
		{item: `x INTEGER DEFAULT (1 + 1)`, kept: `x INTEGER`, leftOut: "expression", fillNull: true},
		{item: `x INTEGER DEFAULT (1) NOT NULL`, kept: `x INTEGER`, leftOut: "expression", fillNull: true},
		{item: `x INTEGER CHECK (x > 0)`, kept: `x INTEGER`, leftOut: "CHECK", fillNull: true},
		{item: `x INTEGER AS (1) STORED`, kept: `x INTEGER`, leftOut: "keeps its values", fillNull: true},
		{item: `x INTEGER PRIMARY KEY`, kept: `x INTEGER`, leftOut: "the id is the key", fillNull: true},
		{item: `team INTEGER REFERENCES teams (id) ON DELETE SET NULL`, kept: `team INTEGER`, leftOut: whyReference, fillNull: true},
		{item: `team INTEGER DEFAULT 1 REFERENCES teams (id)`, kept: `team INTEGER DEFAULT 1`, leftOut: whyReference},
		{item: `boss TEXT REFERENCES users (id)`, kept: `boss TEXT`, leftOut: whyReference, fillNull: true},
		{item: `boss TEXT REFERENCES nosuch (k)`, kept: `boss TEXT`, leftOut: whyReference, fillNull: true},
		{item: `rowid INTEGER`, leftOut: "SQLite's row id"},
		{item: `"OID" TEXT`, leftOut: "SQLite's row id"},
		{item: `_ROWID_ TEXT`, leftOut: "SQLite's row id"},
		{item: `rowidx TEXT`, kept: `rowidx TEXT`, fillNull: true},
		{item: `CHECK (1)`, leftOut: "CHECK"},
		{item: `UNIQUE (email, id)`, kept: `UNIQUE (email, id)`},
		{item: `UNIQUE (email) ON CONFLICT REPLACE`, leftOut: "ON CONFLICT"},
		{item: `UNIQUE (failed_logins)`, leftOut: "a key over columns ctitui writes"},
		{item: `UNIQUE (email COLLATE NOCASE)`, leftOut: "a key over columns ctitui writes"},
		{item: `PRIMARY KEY (id)`, leftOut: "ctitui defines the keys"},
		{item: `CONSTRAINT k FOREIGN KEY (failed_logins) REFERENCES teams (id)`, leftOut: whyReference},
		{item: `CONSTRAINT k FOREIGN KEY (email) REFERENCES teams (id)`, leftOut: whyReference},
		{item: `CONSTRAINT alone`},
	}
	for _, tt := range tests {
		want, err := parseCreateTable("CREATE TABLE users (" + ours + ")")
		if err != nil {
			t.Fatal(err)
		}
		body := ours + ", " + tt.item
		if !strings.HasPrefix(tt.item, "CONSTRAINT") && !strings.HasPrefix(tt.item, "UNIQUE") && !strings.HasPrefix(tt.item, "CHECK") && !strings.HasPrefix(tt.item, "PRIMARY") {
			body += ", " + "filler TEXT" // a column after it, so that it is read as a column
		}
		have, err := parseCreateTable("CREATE TABLE users (" + body + ")")
		if err != nil {
			t.Fatalf("parseCreateTable(%q) = %v", body, err)
		}
		shape := shapeOf("users", have, want, keys)
		var kept []string
		for _, k := range shape.kept {
			if k.name != "filler" {
				kept = append(kept, k.def)
			}
		}
		kept = append(kept, shape.constraints...)
		var why []string
		for _, n := range shape.notKept {
			why = append(why, n.why)
		}
		if got := strings.Join(kept, "; "); got != tt.kept {
			t.Errorf("%s: kept %q; want %q", tt.item, got, tt.kept)
		}
		if got := strings.Join(why, "; "); tt.leftOut == "" && got != "" || !strings.Contains(got, tt.leftOut) {
			t.Errorf("%s: left out because %q; want a reason saying %q", tt.item, got, tt.leftOut)
		}
		if len(have.columns) > len(want.columns)+1 {
			name := have.columns[len(want.columns)].name
			if got := containsName(shape.fillsNull, name); got != tt.fillNull {
				t.Errorf("%s: fills NULL = %v; want %v", tt.item, got, tt.fillNull)
			}
		}
	}
}

// TestOtherTablesMustBeCtituis: ctitui's tables other than users, roles and
// user_roles hold nothing of a file's own, not even a plain column.
func TestOtherTablesMustBeCtituis(t *testing.T) {
	schema := latestSchema()
	for _, w := range schema {
		if w.Type != "table" || w.Name != "audit_log" {
			continue
		}
		have := w
		have.SQL = strings.Replace(w.SQL, "hash TEXT)", "hash TEXT, note TEXT)", 1)
		items := findForeign([]schemaRow{have}, schema)
		if len(items) != 1 || !strings.Contains(items[0].String(), "note TEXT in table audit_log (ctitui's table has no such column)") {
			t.Errorf("findForeign(audit_log with a column of its own) = %v; want that column", items)
		}
	}
}
