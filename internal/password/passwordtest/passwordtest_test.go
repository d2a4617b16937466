package passwordtest_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

// TestParamsHashCheaply: the parameters hash and verify, and cost less than
// the defaults on every axis, so that a test using them is fast and a change
// that made them dearer shows here.
func TestParamsHashCheaply(t *testing.T) {
	p, d := passwordtest.Params, password.DefaultParams
	if err := p.Validate(); err != nil {
		t.Fatalf("Params.Validate() = %v; want nil", err)
	}
	if p.Memory >= d.Memory || p.Time > d.Time || p.Threads > d.Threads {
		t.Errorf("Params = %+v; want cheaper than DefaultParams %+v", p, d)
	}
	h := passwordtest.Hasher()
	if h.Params() != p {
		t.Errorf("Hasher().Params() = %+v; want %+v", h.Params(), p)
	}
	const plain = "correct horse battery staple"
	encoded, err := h.Hash(plain)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if ok, rehash, err := h.Verify(plain, encoded); !ok || rehash || err != nil {
		t.Errorf("Verify(Hash(%q)) = %v, %v, %v; want true, false, nil", plain, ok, rehash, err)
	}
}

// TestOnlyTestsImportIt: the parameters protect nothing, so no file of the
// binary may import this package; only _test.go files do.
func TestOnlyTestsImportIt(t *testing.T) {
	const self = "github.com/ctitui/ctitui/internal/password/passwordtest"
	root := filepath.Join("..", "..", "..") // the module's root
	fset := token.NewFileSet()
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		seen++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self {
				t.Errorf("%s imports %s; only tests may", path, self)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("walked %d non-test Go files under %s; want the whole module", seen, root)
	}
}
