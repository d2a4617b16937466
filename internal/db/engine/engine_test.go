package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/pgtest"
)

func TestOpenFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	store, err := engine.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	if got := store.Location(); got != path {
		t.Errorf("Location() = %q; want %q", got, path)
	}
	if got, want := store.SchemaVersion(), store.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d, the latest", got, want)
	}
	if err := store.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ro, err := engine.OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly(%s): %v", path, err)
	}
	defer ro.Close()
	if got := ro.Location(); got != path {
		t.Errorf("read-only Location() = %q; want %q", got, path)
	}
}

// TestOpenFailureIsNilStore: a failed open returns a nil db.Store, which a
// caller can test with == nil, not an interface holding a nil pointer.
func TestOpenFailureIsNilStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		name string
		open func(context.Context, string, db.Options) (db.Store, error)
		path string
		want error // nil: any error
	}{
		{"Open of a directory", engine.Open, dir, nil},
		{"OpenReadOnly of a missing file", engine.OpenReadOnly, filepath.Join(dir, "missing.db"), db.ErrNoDatabase},
	}
	for _, tt := range tests {
		store, err := tt.open(ctx, tt.path, db.Options{})
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: error %v; want %v", tt.name, err, tt.want)
		}
		if store != nil {
			t.Errorf("%s: store = %#v; want nil", tt.name, store)
		}
	}
}

// TestOpenPostgres: a postgres:// URL opens the PostgreSQL engine, both
// for writing and read-only, and a failure is a nil Store, not a nil
// *postgres.Store in the interface.
func TestOpenPostgres(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	ro, err := engine.OpenReadOnly(ctx, dbURL, db.Options{})
	if !errors.Is(err, db.ErrSchemaTooOld) || ro != nil {
		t.Errorf("OpenReadOnly of an empty database = %v, %v; want nil, ErrSchemaTooOld", ro, err)
	}
	store, err := engine.Open(ctx, dbURL, db.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dbURL, err)
	}
	if _, ok := store.(*postgres.Store); !ok {
		t.Errorf("Open(%s) = %T; want *postgres.Store", dbURL, store)
	}
	if got, want := store.SchemaVersion(), store.LatestVersion(); got != want {
		t.Errorf("SchemaVersion() = %d; want %d", got, want)
	}
	store.Close()
	ro, err = engine.OpenReadOnly(ctx, dbURL, db.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	if _, ok := ro.(*postgres.Store); !ok {
		t.Errorf("OpenReadOnly = %T; want *postgres.Store", ro)
	}
	ro.Close()
	bad, err := engine.Open(ctx, strings.Replace(dbURL, "postgres://", "postgres://u:pw@", 1), db.Options{})
	if err == nil || bad != nil {
		t.Errorf("Open with a password in the URL = %v, %v; want nil and an error", bad, err)
	}
}
