//go:build !unix

package main

import (
	"os/exec"
	"runtime"
	"testing"
)

// runAs skips the test: only Unix starts a process as another uid. (The
// tests that call it already skip unless os.Getuid is 0, which it never is
// here; this keeps them compiling.)
func runAs(t *testing.T, _ *exec.Cmd, _ uint32) {
	t.Skip("running a command as another uid needs Unix, not " + runtime.GOOS)
}
