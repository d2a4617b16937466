//go:build !unix

package sqlite

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/ctitui/ctitui/internal/db"
)

// noFollow is 0 where open has no flag to refuse symbolic links: there the
// checks that use it fall back on Lstat.
const noFollow = 0

// checkAccess refuses a file whose owner write bit is off; other platforms
// report the rest when SQLite opens the file.
func checkAccess(path string, info fs.FileInfo) error {
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%w: %s is read-only", db.ErrReadOnly, path)
	}
	return nil
}

// writable reports whether path can be opened for writing.
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close() //nolint:errcheck // opened only to learn whether it could be, for writing; nothing was written
	return true
}

// inUse reports whether another process has the database open. Where
// SQLite's locks cannot be asked about without taking one, it says no.
func inUse(string) bool { return false }
