package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

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
			s, err := Open(ctx, path, Options{})
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
			if s, err = Open(ctx, path, Options{}); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.checkReplacement(ctx); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkReplacement = %v; want an error saying %q", err, tt.want)
			}
		})
	}
}
