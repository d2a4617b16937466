//go:build !unix

package main

import (
	"errors"
	"os/exec"
	"runtime"
	"testing"
)

// runAs makes cmd fail to start: only Unix starts a process as another
// uid. (The tests that call it skip before, unless os.Getuid is 0, which it
// never is here; this keeps them compiling, and failing plainly if not.)
func runAs(_ *testing.T, cmd *exec.Cmd, _ uint32) {
	cmd.Err = errors.New("running a command as another uid needs Unix, not " + runtime.GOOS)
}
