//go:build !windows

package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Where file modes say who may open a file (Unix, macOS), doctor's
// permission check reads them. Windows' own is in permissions_windows.go.

func (s *Store) checkPermissions(context.Context, db.DoctorOptions) ([]finding, error) {
	var out []finding
	files := []string{s.path, s.path + "-wal", s.path + "-shm", s.path + ".lock"}
	backups := filesBeside(s.path, ".", ".bak")
	for _, name := range append(files, backups...) {
		info, err := os.Lstat(name)
		switch {
		case err != nil:
			continue
		case info.Mode()&fs.ModeSymlink != 0 && name != s.path:
			// ctitui makes none of these as links: one is planted, and a
			// chmod would change whatever it points to.
			out = append(out, finding{Check: "permissions", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("%s is a symbolic link, which ctitui never makes: remove it (doctor does not follow it)", name)})
			continue
		case info.Mode()&fs.ModeSymlink != 0:
			// The database itself may be a link a person made: look at the
			// file it points to, but never change it through the link.
			if info, err = os.Stat(name); err != nil || info.Mode().Perm()&0o077 == 0 {
				continue
			}
			out = append(out, finding{Check: "permissions", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("%s, which %s links to, is readable or writable by others (mode %04o): chmod 0600 it", info.Name(), name, info.Mode().Perm())})
			continue
		case !info.Mode().IsRegular():
			continue
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			out = append(out, finding{Check: "permissions", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("%s is readable or writable by others (mode %04o)", name, perm),
				Repair:  fmt.Sprintf("chmod 0600 %s", name), fs: func() error { return chmodNoFollow(name, 0o600) }})
		}
	}
	dir := filepath.Dir(s.path)
	if info, err := os.Lstat(dir); err == nil && info.IsDir() {
		perm := info.Mode().Perm()
		switch {
		case perm&0o077 == 0:
		case info.Mode()&fs.ModeSticky != 0 || filepath.Base(dir) != "ctitui":
			// /tmp, a project folder: shared on purpose, and not ctitui's to
			// change. Its own directory (~/.local/share/ctitui) it tightens.
			out = append(out, finding{Check: "permissions", Severity: user.SeverityInfo,
				Message: fmt.Sprintf("the directory %s can be listed by others (mode %04o): they see the file names, not their contents", dir, perm)})
		default:
			out = append(out, finding{Check: "permissions", Severity: user.SeverityProblem,
				Message: fmt.Sprintf("the directory %s can be listed by others (mode %04o)", dir, perm),
				Repair:  fmt.Sprintf("chmod 0700 %s", dir), fs: func() error { return chmodNoFollow(dir, 0o700) }})
		}
	}
	if len(out) == 0 {
		return okFinding("permissions", "the database and its directory are private"), nil
	}
	return out, nil
}

// chmodNoFollow changes the mode of name, which must not be a symbolic
// link: it changes the file it opened, so a link swapped in after the look
// is refused, not followed.
func chmodNoFollow(name string, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // opened only to change its mode, whose error is returned
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 || !(info.Mode().IsRegular() || info.IsDir()) {
		return fmt.Errorf("%s is not a regular file or directory", name)
	}
	return f.Chmod(mode)
}
