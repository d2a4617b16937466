package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// linkFile is os.Link; tests replace it with one that fails as a file
// system without hard links does.
var linkFile = os.Link

// publish gives the finished copy tmp the name dst, refusing to replace a
// file that appeared there meanwhile: a copy never passes for a backup
// before it is whole, and never overwrites one. A hard link does that. On
// a file system without hard links (FAT32 and exFAT, as USB drives and
// memory cards often are) a rename that refuses to replace does it, where
// the platform has one (renameNoReplace); tmp is then gone.
func publish(tmp, dst string) error {
	err := linkFile(tmp, dst)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if rerr := renameNoReplace(tmp, dst); rerr != nil {
		if errors.Is(rerr, fs.ErrExist) {
			return rerr
		}
		return fmt.Errorf("%w; nor could it be renamed without replacing what may be there: %w", err, rerr)
	}
	return nil
}
