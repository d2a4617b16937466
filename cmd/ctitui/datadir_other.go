//go:build !windows

package main

import (
	"errors"
	"runtime"
)

// knownLocalAppData fails: Known Folders are Windows'.
func knownLocalAppData() (string, error) {
	return "", errors.New("no Known Folders on " + runtime.GOOS)
}
