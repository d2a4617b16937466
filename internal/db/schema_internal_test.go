package db

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite schema_code.jsonl from the migrations")

// TestLatestCodeFile keeps schema_code.jsonl equal to the triggers and views
// that the embedded migrations create. With -update (go generate) it writes
// the file instead.
func TestLatestCodeFile(t *testing.T) {
	ctx := context.Background()
	ref, err := referenceDB(ctx, LatestVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	objs, err := readCode(ctx, ref)
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
		if err := os.WriteFile("schema_code.jsonl", want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(latestCodeFile, want.Bytes()) {
		t.Fatalf("schema_code.jsonl differs from the triggers and views the migrations create; run: go generate ./internal/db")
	}
	if len(latestCode()) != len(objs) {
		t.Fatalf("latestCode() has %d objects; want %d", len(latestCode()), len(objs))
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
