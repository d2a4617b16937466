package pgtest

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// stopSignal asks the server for an immediate shutdown.
var stopSignal = syscall.SIGQUIT

// runAs is whom initdb and the server run as: nil for this process's user;
// nobody when this process is root, which PostgreSQL refuses.
var runAs *syscall.Credential

// cannotStart says why no throwaway server can start here ("" when one can).
func cannotStart() string { return "" }

// prepareDir makes dir the server's own when the server runs as another
// user (root's case): set runAs and hand dir to nobody.
func prepareDir(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("running as root, PostgreSQL needs an unprivileged user to run as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return err
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return err
	}
	runAs = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	return nil
}

// procAttr runs PostgreSQL's programs as runAs.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: runAs}
}

// serverProcAttr runs the server as runAs, and has the kernel stop it
// (immediate shutdown) when this process dies: a test binary that panics or
// times out leaves no server behind.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: runAs, Pdeathsig: stopSignal}
}
