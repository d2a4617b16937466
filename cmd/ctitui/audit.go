package main

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log of changes to users",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.auditListCommand(), a.auditVerifyCommand())
	return cmd
}

// auditJSON is an audit entry as scripts see it.
type auditJSON struct {
	ID        int64  `json:"id"`
	At        string `json:"at"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email"`
	Details   string `json:"details"`
}

func (a *app) auditListCommand() *cobra.Command {
	var (
		emailOrID, search string
		limit             int
	)
	cmd := &cobra.Command{
		Use:   "list [--user EMAIL] [--search TEXT] [--limit N] [--format table|json|csv]",
		Short: "List audit entries, newest first",
		Example: `  ctitui audit list
  ctitui audit list --user alice@example.org --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd)
	cmd.Flags().StringVar(&emailOrID, "user", "", "only entries about this user")
	cmd.Flags().StringVar(&search, "search", "", "only entries whose action, actor, email or details contain this text")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		if limit < 0 {
			return usagef("--limit must be 0 or more")
		}
		svc, err := a.readService(cmd.Context())
		if err != nil {
			return err
		}
		filter := user.AuditFilter{Search: search, Limit: limit}
		if emailOrID != "" {
			u, err := svc.Get(cmd.Context(), emailOrID)
			if err != nil {
				return err
			}
			filter.UserID = u.ID
		}
		var (
			tw    *tabwriter.Writer
			cw    *csvWriter
			count int
		)
		switch f {
		case formatTable:
			tw = tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			if _, err := fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tUSER\tDETAILS"); err != nil {
				return err
			}
		case formatCSV:
			cw = newCSVWriter(a.stdout, a.stdoutIsTerminal())
			cw.Write("id", "at", "actor", "action", "user_id", "user_email", "details") //nolint:errcheck // reported by Flush
		}
		err = svc.Audit(cmd.Context(), filter, func(e user.AuditEntry) error {
			defer func() { count++ }()
			switch f {
			case formatTable:
				_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", personTime(e.At), textsafe.Line(e.Actor), textsafe.Line(string(e.Action)),
					textsafe.Line(e.UserEmail), textsafe.Line(e.Details))
				return err
			case formatCSV:
				return cw.Write(strconv.FormatInt(e.ID, 10), programTime(e.At), e.Actor, string(e.Action), e.UserID, e.UserEmail, e.Details)
			}
			b, err := marshalJSON(auditJSON{e.ID, programTime(e.At), e.Actor, string(e.Action), e.UserID, e.UserEmail, e.Details})
			if err != nil {
				return err
			}
			sep := ",\n"
			if count == 0 {
				sep = "[\n"
			}
			_, err = fmt.Fprintf(a.stdout, "%s%s", sep, b)
			return err
		})
		if err != nil {
			return err
		}
		switch f {
		case formatTable:
			return tw.Flush()
		case formatCSV:
			return cw.Flush()
		}
		if count == 0 {
			_, err = fmt.Fprintln(a.stdout, "[]")
		} else {
			_, err = fmt.Fprintln(a.stdout, "\n]")
		}
		return err
	}
	return cmd
}

func (a *app) auditVerifyCommand() *cobra.Command {
	var anchor string
	cmd := &cobra.Command{
		Use:   "verify [--anchor ID:HASH]",
		Short: "Check the audit log's hash chain: exit 1 if an entry was changed, deleted or inserted",
		Long: `verify walks the audit log's hash chain, oldest entry first, and reports the
first entry that was changed, deleted around or inserted by a tool other than
ctitui. It prints the head hash: note it somewhere else, and pass it later
as --anchor to check that the log still holds that entry unchanged, which a
wholesale rewrite of the chain would not.`,
		Example: "  ctitui audit verify\n  ctitui audit verify --anchor 1042:9f2c…",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.openReadOnly(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := store.VerifyAuditChain(cmd.Context())
			if err != nil {
				return err
			}
			if !rep.OK() {
				return errors.New(rep.String())
			}
			if anchor != "" {
				err := store.CheckAuditAnchor(cmd.Context(), anchor)
				if errors.Is(err, db.ErrBadAnchor) {
					return usageError{err}
				}
				if err != nil {
					return err
				}
				a.stdout.printf("anchor %s: ok\n", anchor)
			}
			a.stdout.printf("%s\n", rep.String())
			return nil
		},
	}
	cmd.Flags().StringVar(&anchor, "anchor", "", "an ID:HASH printed by an earlier verify, to check the chain still holds it")
	return cmd
}
