package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestCheckCopyRejectsADamagedCopy: a backup is checked before anyone relies
// on it, and a copy that fails SQLite's integrity check is refused.
func TestCheckCopyRejectsADamagedCopy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "copy.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE t (x TEXT)`,
		`CREATE INDEX t_x ON t (x)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT printf('row %06d', i) FROM n`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	var leaf, size int64
	if err := raw.QueryRow(`SELECT max(pageno), (SELECT page_size FROM pragma_page_size) FROM dbstat WHERE name = 't' AND pagetype = 'leaf'`).Scan(&leaf, &size); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if err := checkCopy(ctx, path); err != nil {
		t.Fatalf("checkCopy of a whole copy = %v; want nil", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", int(size)/8)), (leaf-1)*size+size/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := checkCopy(ctx, path); !errors.Is(err, db.ErrCorrupt) {
		t.Errorf("checkCopy of a damaged copy = %v; want %v", err, db.ErrCorrupt)
	}
}
