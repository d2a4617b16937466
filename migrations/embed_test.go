package migrations

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"
)

// sqliteGoVersions are the SQLite migrations written in Go
// (internal/db/migrate.go's goMigrations) rather than as files here; their
// PostgreSQL twins are SQL files.
var sqliteGoVersions = []int64{7}

// versions lists the versions of the migration files in dir.
func versions(t *testing.T, dir string) []int64 {
	t.Helper()
	entries, err := fs.ReadDir(FS, dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var vs []int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err != nil {
			t.Errorf("%s/%s: %v", dir, e.Name(), err)
			continue
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// TestEnginesHaveTheSameVersions keeps the two engines' schemas counted
// alike: a version added to one engine needs its twin in the other, even if
// that twin only says why it has nothing to do (postgres/00008).
func TestEnginesHaveTheSameVersions(t *testing.T) {
	sqlite := slices.Concat(versions(t, "sqlite"), sqliteGoVersions)
	slices.Sort(sqlite)
	postgres := versions(t, "postgres")
	if !slices.Equal(sqlite, postgres) {
		t.Errorf("migration versions differ:\nsqlite (files and Go): %v\npostgres:              %v", sqlite, postgres)
	}
	if n := len(slices.Compact(slices.Clone(postgres))); n != len(postgres) {
		t.Errorf("postgres has two files of one version: %v", postgres)
	}
}
