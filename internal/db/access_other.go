//go:build !unix

package db

import (
	"fmt"
	"io/fs"
)

// checkAccess refuses a file whose owner write bit is off; other platforms
// report the rest when SQLite opens the file.
func checkAccess(path string, info fs.FileInfo) error {
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%w: %s is read-only", ErrReadOnly, path)
	}
	return nil
}
