package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestProbeTellsLegacyFromManaged: a users table makes a file legacy when
// goose's table beside it records nothing but version 0, whether applied or
// not, or nothing at all (the goose CLI's first look); a row of any other
// version, even one marked not applied, is history a migration wrote, and
// the file stays goose's.
func TestProbeTellsLegacyFromManaged(t *testing.T) {
	const (
		users = `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, created_at TEXT NOT NULL)`
		goose = `CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL,
			is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))`
	)
	names := map[fileKind]string{emptyFile: "empty", managedFile: "managed", legacyFile: "legacy"}
	for _, tt := range []struct {
		name  string
		stmts []string
		want  fileKind
	}{
		{"users alone", []string{users}, legacyFile},
		{"users and goose's empty table", []string{users, goose}, legacyFile},
		{"users and version 0", []string{users, goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`}, legacyFile},
		{"users and version 0 not applied", []string{users, goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 0)`}, legacyFile},
		{"users and version 1", []string{users, goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1)`}, managedFile},
		{"users and version 3 not applied", []string{users, goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (3, 0)`}, managedFile},
		{"users and a negative version", []string{users, goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (-1, 1)`}, managedFile},
		{"version 0 alone", []string{goose, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)`}, managedFile},
		{"nothing", nil, emptyFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cti.db")
			sqldb, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range append(tt.stmts, `PRAGMA user_version = 0`) { // the file exists even with no statement
				if _, err := sqldb.Exec(stmt); err != nil {
					t.Fatalf("exec %q: %v", stmt, err)
				}
			}
			if err := sqldb.Close(); err != nil {
				t.Fatal(err)
			}
			st, err := probe(context.Background(), path)
			if err != nil {
				t.Fatalf("probe = %v", err)
			}
			if st.kind != tt.want {
				t.Errorf("probe kind = %s; want %s", names[st.kind], names[tt.want])
			}
			if st.kind == legacyFile && len(st.applied) != 0 {
				t.Errorf("probe of a legacy file: applied = %v; want none", st.applied)
			}
		})
	}
}
