package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/user"
)

// verifyBatchHelp is the part of 'user verify --help' about --batch.
var verifyBatchHelp = fmt.Sprintf(`
With --batch, verify answers many logins in one process, for programs that
check logins through it (a PAM helper, a web application's co-process): one
JSON object a line on stdin,
  {"email": "alice@example.org", "password": "..."}
and one a line on stdout, in the same order, each written as soon as known:
  {"line": 1, "email": "alice@example.org", "ok": true}
A refused login is "ok": false, with the same lockout, audit entry and
failure time as the single command; the lines after it are checked
meanwhile (two per core at once; one after another for the same account),
but their answers keep the order of the lines. A line that is not such an object (or is longer than %d bytes) gets
{"line": N, "ok": false, "error": "..."} and counts towards no account; the
lines after it are read as usual. verify ends when stdin ends: exit 0 if
every line logged in, 1 otherwise (and with no lines). docs/json.md has the
details.`, user.MaxBatchLine)

// verifyArgs is the argument check of 'user verify': one EMAIL, or none
// with --batch.
func verifyArgs(batch *bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if *batch {
			if len(args) > 0 {
				return fmt.Errorf("--batch reads the emails from stdin: no EMAIL argument")
			}
			return nil
		}
		return cobra.ExactArgs(1)(cmd, args)
	}
}

// verifyBatch runs 'user verify --batch'.
func (a *app) verifyBatch(cmd *cobra.Command) error {
	svc, err := a.service(cmd.Context())
	if err != nil {
		return err
	}
	sum, err := svc.VerifyBatch(cmd.Context(), a.stdin, a.stdout)
	if err != nil {
		return err
	}
	if sum.Lines == 0 || sum.OK < sum.Lines {
		return fmt.Errorf("verify: %d of %d lines logged in", sum.OK, sum.Lines)
	}
	return nil
}
