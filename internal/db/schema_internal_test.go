package db

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
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
		t.Fatalf("schema_reference.jsonl differs from the schema the migrations create; run: go generate ./internal/db")
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
			s, err := Open(ctx, path, Options{})
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
