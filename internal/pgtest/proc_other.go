//go:build !linux

package pgtest

import (
	"os"
	"syscall"
)

// stopSignal stops the server; unused where no server starts.
var stopSignal = os.Kill

// cannotStart says why no throwaway server can start here: the helper ties
// the server's life to the test binary's with a Linux feature
// (serverProcAttr in proc_linux.go).
func cannotStart() string {
	return "pgtest starts a throwaway PostgreSQL on Linux only"
}

func prepareDir(string) error { return nil }

func procAttr() *syscall.SysProcAttr { return nil }

func serverProcAttr() *syscall.SysProcAttr { return nil }
