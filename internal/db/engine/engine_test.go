package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
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
