//go:build unix

package sqlite

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ctitui/ctitui/internal/db"
)

// noFollow makes open(2) fail on a symbolic link instead of following it.
const noFollow = unix.O_NOFOLLOW

// checkAccess refuses a file (or its directory) that this process cannot read
// and write: SQLite would open it read-only and fail at the first write,
// possibly half way through a command.
func checkAccess(path string, info fs.FileInfo) error {
	if err := unix.Access(path, unix.R_OK); err != nil {
		return fmt.Errorf("%w: %s is not readable", db.ErrNotAccessible, path)
	}
	// Root passes access(2) on a 0444 file; the missing write bit still says
	// the owner meant it to stay unchanged.
	if err := unix.Access(path, unix.W_OK); err != nil || info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("%w: %s is read-only", db.ErrReadOnly, path)
	}
	dir := filepath.Dir(path)
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		// SQLite needs to create the -wal and -shm files beside the database.
		return fmt.Errorf("%w: directory %s is read-only", db.ErrReadOnly, dir)
	}
	return nil
}

// writable reports whether this process could write path and create files
// beside it.
func writable(path string) bool {
	return unix.Access(path, unix.W_OK) == nil && unix.Access(filepath.Dir(path), unix.W_OK|unix.X_OK) == nil
}

// sqliteLockRange is the byte range SQLite's unix VFS locks in a database
// file (its PENDING, RESERVED and SHARED bytes, at 1 GiB).
const (
	sqliteLockStart = 0x40000000
	sqliteLockLen   = 512
)

// inUse reports whether another process holds one of SQLite's locks on the
// database file at path. It only asks (F_GETLK), taking no lock; this
// process must hold none on the file, as opening and closing a descriptor of
// it drops every POSIX lock this process holds there.
func inUse(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close() //nolint:errcheck // only read: a failed close loses nothing
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: sqliteLockStart, Len: sqliteLockLen}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil {
		return true // cannot tell: do not treat it as a quiet copy
	}
	return lk.Type != unix.F_UNLCK
}
