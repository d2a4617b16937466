package main

import (
	"bufio"
	"errors"
	"io"
	"strconv"

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
		Use:   "list [--user EMAIL] [--search TEXT] [--limit N] [--format table|json|jsonl|csv]",
		Short: "List audit entries, newest first",
		Example: `  ctitui audit list
  ctitui audit list --user alice@example.org --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, listingFormats)
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
		// Buffered, as user list is: one write system call per entry was
		// most of the time of a long log.
		out := bufio.NewWriterSize(a.stdout, 64*1024)
		w := newAuditWriter(out, f, a.stdoutIsTerminal())
		if err := svc.Audit(cmd.Context(), filter, w.Write); err != nil {
			// Show the entries listed before the failure; a failed write is
			// kept by a.stdout.
			out.Flush() //nolint:errcheck // see above
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		return out.Flush()
	}
	return cmd
}

// auditWriter writes a stream of audit entries in one format, as
// userWriter writes users.
type auditWriter struct {
	format format
	w      io.Writer
	tab    *table
	csv    *csvWriter
	n      int
}

func newAuditWriter(w io.Writer, f format, terminal bool) *auditWriter {
	aw := &auditWriter{format: f, w: w}
	switch f {
	case formatTable:
		aw.tab = newTable(w, "TIME", "ACTOR", "ACTION", "USER", "DETAILS")
	case formatCSV:
		aw.csv = newCSVWriter(w, terminal)
		aw.csv.Write(auditColumns...) //nolint:errcheck // reported by Flush
	}
	return aw
}

// auditColumns are the CSV columns of an audit entry: its JSON keys.
var auditColumns = []string{"id", "at", "actor", "action", "user_id", "user_email", "details"}

func (aw *auditWriter) Write(e user.AuditEntry) error {
	defer func() { aw.n++ }()
	switch aw.format {
	case formatTable:
		aw.tab.Row(personTime(e.At), textsafe.Line(e.Actor), textsafe.Line(string(e.Action)), textsafe.Line(e.UserEmail), textsafe.Line(e.Details))
		if aw.n%1000 == 999 {
			return aw.tab.Flush()
		}
		return nil
	case formatCSV:
		return aw.csv.Write(strconv.FormatInt(e.ID, 10), programTime(e.At), e.Actor, string(e.Action), e.UserID, e.UserEmail, e.Details)
	}
	b, err := marshalJSON(auditJSON{e.ID, programTime(e.At), e.Actor, string(e.Action), e.UserID, e.UserEmail, e.Details})
	if err != nil {
		return err
	}
	switch {
	case aw.format == formatJSONL:
		b = append(b, '\n')
	case aw.n == 0:
		b = append([]byte("[\n"), b...)
	default:
		b = append([]byte(",\n"), b...)
	}
	_, err = aw.w.Write(b)
	return err
}

func (aw *auditWriter) Close() error {
	switch aw.format {
	case formatTable:
		return aw.tab.Flush()
	case formatCSV:
		return aw.csv.Flush()
	case formatJSONL:
		return nil
	}
	return closeJSONArray(aw.w, aw.n)
}

func (a *app) auditVerifyCommand() *cobra.Command {
	var anchor string
	var getFormat func() (format, error)
	cmd := &cobra.Command{
		Use:   "verify [--anchor ID:HASH] [--format table|json]",
		Short: "Check the audit log's hash chain: exit 1 if an entry was changed, deleted or inserted",
		Long: `verify walks the audit log's hash chain, oldest entry first, and reports the
first entry that was changed, deleted around or inserted by a tool other than
ctitui. It prints the head hash: note it somewhere else, and pass it later
as --anchor to check that the log still holds that entry unchanged, which a
wholesale rewrite of the chain would not.`,
		Example: "  ctitui audit verify\n  ctitui audit verify --anchor 1042:9f2c…\n  ctitui audit verify --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := getFormat()
			if err != nil {
				return err
			}
			store, err := a.openReadOnly(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := store.VerifyAuditChain(cmd.Context())
			if err != nil {
				return err
			}
			if f == formatJSON {
				var anchorErr error
				if anchor != "" {
					anchorErr = store.CheckAuditAnchor(cmd.Context(), anchor)
					if errors.Is(anchorErr, db.ErrBadAnchor) {
						return usageError{anchorErr}
					}
				}
				return a.writeChainJSON(rep, anchor, anchorErr)
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
	getFormat = formatFlag(cmd, reportFormats)
	return cmd
}
