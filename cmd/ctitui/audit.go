package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

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
	cmd.AddCommand(a.auditListCommand(), a.auditVerifyCommand(), a.auditRestartCommand())
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
		Long: `list prints audit entries, newest first.

--user EMAIL keeps the entries about the current user with that address and
about every user deleted with it (compared as ctitui compares emails: case and
Unicode forms do not matter), whose entries outlive them. When an address was
deleted and registered again, both accounts' entries show, told apart by
user_id; --user ID keeps one account's, current or deleted.`,
		Example: `  ctitui audit list
  ctitui audit list --user alice@example.org --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, listingFormats)
	cmd.Flags().StringVar(&emailOrID, "user", "", "only entries about this user: an email (its current user and users deleted with it) or an id")
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
			if err := auditSubject(cmd.Context(), svc, emailOrID, &filter); err != nil {
				return err
			}
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

// auditSubject narrows f to the entries --user names. An id, of a current
// user or of one since deleted, names one account. An email names the
// current user with it and every user deleted with it, so that a deleted
// account's history is found by the address people know it by, and is not
// hidden behind a new account registered with the same address. A name that
// matches neither a user nor any entry is an error: a typo would otherwise
// list nothing and succeed.
func auditSubject(ctx context.Context, svc *user.Service, emailOrID string, f *user.AuditFilter) error {
	u, err := svc.Get(ctx, emailOrID)
	switch {
	case err == nil && u.ID == strings.TrimSpace(emailOrID):
		f.UserID = u.ID
		return nil
	case err == nil:
		// The address as typed, which found the user: the stored one may
		// not normalise to the user's normalised email (a row written by
		// another tool).
		f.Email = emailOrID
		return nil
	case !errors.Is(err, user.ErrNotFound):
		return err
	}
	// No user: a deleted one, by its email or its id (ids hold no @).
	probe := user.AuditFilter{Limit: 1}
	if strings.Contains(emailOrID, "@") {
		probe.Email = emailOrID
	} else {
		probe.UserID = strings.TrimSpace(emailOrID)
	}
	found := false
	if err := svc.Audit(ctx, probe, func(user.AuditEntry) error { found = true; return nil }); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no user and no audit entry for %s", emailOrID)
	}
	f.Email, f.UserID = probe.Email, probe.UserID
	return nil
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
			a.stdout.printf("%s\n", textsafe.Line(rep.String()))
			return nil
		},
	}
	cmd.Flags().StringVar(&anchor, "anchor", "", "an ID:HASH printed by an earlier verify, to check the chain still holds it")
	getFormat = formatFlag(cmd, reportFormats)
	return cmd
}

// restartJSON is what audit restart --format json prints.
type restartJSON struct {
	ID            int64  `json:"id"`
	Hash          string `json:"hash"`
	Anchor        string `json:"anchor"`
	Found         string `json:"found"`
	EntriesSealed int    `json:"entries_sealed"`
	Backup        string `json:"backup"`
}

func (a *app) auditRestartCommand() *cobra.Command {
	var (
		reason string
		yes    bool
	)
	cmd := &cobra.Command{
		Use:   "restart --reason TEXT [--yes] [--format table|json]",
		Short: "After a break a person has looked at, record it and start a new chain segment",
		Long: `restart is for a broken audit chain, after a person has looked at the break
(see "If the audit chain breaks" in the README). It keeps a copy of the
database as it was found (.pre-restart-chain-*.bak, the evidence), then
appends one entry that records the reason, what 'audit verify' found, the
head record and the id counter, and begins a new segment of the chain. The
entries before it are never changed: they are sealed into the restart entry
as they were found, so changing, removing or adding one later breaks the
chain again. 'audit verify' and 'doctor' pass again, and keep naming the
restart. A whole chain is not restarted.`,
		Example: `  ctitui audit verify
  ctitui audit restart --reason "INC-2041: audit rows removed by a restore script"`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, in one line: an incident or ticket number (recorded in the log)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	getFormat := formatFlag(cmd, reportFormats)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		if strings.TrimSpace(reason) == "" {
			return usagef("--reason is required: say why, in one line (an incident or ticket number)")
		}
		store, err := a.open(cmd.Context())
		if err != nil {
			return err
		}
		found, err := store.VerifyAuditChain(cmd.Context())
		if err != nil {
			return err
		}
		if found.OK() {
			return fmt.Errorf("%w (%s)", db.ErrChainWhole, found)
		}
		if !yes {
			if _, ok := a.terminalFd(); !ok {
				return usagef("refusing to restart the audit chain without --yes when stdin is not a terminal")
			}
			tellf(a.stderr, "%s\n", textsafe.Line(found.String()))
			answer, err := a.confirmLine("Record this break and start a new chain segment? Type restart to confirm: ")
			if err != nil {
				return err
			}
			if strings.TrimSpace(answer) != "restart" {
				return errors.New("not restarted: type restart to confirm")
			}
		}
		res, err := store.RestartAuditChain(cmd.Context(), db.RestartOptions{Actor: user.CurrentOSUser(), Reason: reason})
		if err != nil {
			if errors.Is(err, db.ErrRestartReason) {
				return usageError{err}
			}
			return err
		}
		anchor := fmt.Sprintf("%d:%s", res.ID, res.Hash)
		if f == formatJSON {
			return writeJSON(a.stdout, restartJSON{ID: res.ID, Hash: res.Hash, Anchor: anchor, Found: res.Found.String(),
				EntriesSealed: res.Found.Rows, Backup: res.Backup})
		}
		a.stdout.printf("audit chain restarted at entry #%d; the entries before it (%d) are kept as found\n", res.ID, res.Found.Rows)
		a.stdout.printf("found: %s\n", textsafe.Line(res.Found.String()))
		a.stdout.printf("the database as found: %s (keep it as evidence)\n", textsafe.Line(res.Backup))
		a.stdout.printf("new anchor: %s (note it outside the database)\n", anchor)
		return nil
	}
	return cmd
}
