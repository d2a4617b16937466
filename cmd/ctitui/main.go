// Command ctitui manages the user accounts of a CTI platform kept in a local
// SQLite file: a terminal UI for people and a CLI for scripts.
package main

import (
	"context"
	"io"
	"os"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

func main() {
	os.Exit(runProcess(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, password.DefaultParams))
}

// runProcess is runWith for a whole process: it owns the process's signals
// (withSignals).
// The tests' ctitui (see TestMain) goes through it too, so that the
// end-to-end tests send their signals to the code the binary runs.
func runProcess(args []string, stdin io.Reader, stdout, stderr io.Writer, hash password.Params, svcOpts ...user.Option) int {
	ctx, stop := withSignals(context.Background())
	defer stop()
	return runWith(ctx, args, stdin, stdout, stderr, hash, svcOpts...)
}
