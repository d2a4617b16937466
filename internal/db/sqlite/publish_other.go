//go:build !linux && !darwin && !windows

package sqlite

import (
	"errors"
	"runtime"
)

// renameNoReplace fails: this platform has no rename that refuses to
// replace a file, and a rename that might would not do.
func renameNoReplace(string, string) error {
	return errors.New("no rename that refuses to replace a file on " + runtime.GOOS)
}
