//go:build unix

package main

import (
	"os/exec"
	"syscall"
	"testing"
)

// runAs makes cmd run as uid, with the group of the same number. Only root
// may do that: the tests that call it skip otherwise.
func runAs(_ *testing.T, cmd *exec.Cmd, uid uint32) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
}
