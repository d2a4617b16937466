package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add, list, change and remove users",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.userAddCommand(), a.userListCommand(), a.userShowCommand(), a.userSetRoleCommand(),
		a.userPasswdCommand(), a.userDisableCommand(true), a.userDisableCommand(false),
		a.userDeleteCommand(), a.userVerifyCommand(), a.userUnlockCommand(),
		a.userImportCommand(), a.userExportCommand())
	return cmd
}

func (a *app) userAddCommand() *cobra.Command {
	var (
		email          string
		roles          []string
		fromStdin, gen bool
	)
	cmd := &cobra.Command{
		Use:   "add --email EMAIL [--role ROLE]... [--password-stdin | --generate-password]",
		Short: "Register a user",
		Example: `  ctitui user add --email alice@example.org --role admin
  printf '%s\n' "$PASSWORD" | ctitui user add --email bob@example.org --password-stdin
  ctitui user add --email carol@example.org --role viewer --generate-password`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, objectFormats)
	cmd.Flags().StringVar(&email, "email", "", "the user's email address (required)")
	cmd.Flags().StringSliceVar(&roles, "role", nil, "role: admin, analyst or viewer; repeat for several (default analyst)")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().BoolVar(&gen, "generate-password", false, "generate a strong password and print it once")
	cmd.MarkFlagsMutuallyExclusive("password-stdin", "generate-password")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		if strings.TrimSpace(email) == "" {
			return usagef("--email is required")
		}
		parsed, err := user.ParseRoles(roles)
		if err != nil {
			return usageError{err}
		}
		// Check the address before asking for a password: a typo should not
		// cost the user two prompts.
		if _, err := user.ValidateEmail(email); err != nil {
			return err
		}
		var plain string
		if gen {
			if plain, err = password.GenerateFor(a.policy, email); err != nil {
				return err
			}
		} else if plain, err = a.readPassword(fromStdin, true); err != nil {
			return err
		}
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		if gen {
			// A pipe closed on stdout must come back as a write error, which
			// removes the user again below, rather than kill ctitui (SIGPIPE)
			// between creating the user and showing its only copy of the
			// password.
			sigpipe := make(chan os.Signal, 1)
			signal.Notify(sigpipe, syscall.SIGPIPE)
			defer signal.Stop(sigpipe)
		}
		u, err := svc.Register(cmd.Context(), email, plain, parsed)
		if err != nil {
			return err
		}
		shown, werr := a.printAdded(f, u, gen, plain)
		if werr == nil {
			return nil
		}
		if !gen || shown {
			return fmt.Errorf("added %s, but could not say so in full: %w", u.Email, werr)
		}
		// Nobody has seen the password, so nobody can use the account: take
		// it back (audited) rather than leave an account whose password is
		// lost. Ctrl+C after the failed write must not stop the removal.
		if _, err := svc.Delete(context.WithoutCancel(cmd.Context()), u.ID); err != nil {
			return fmt.Errorf("could not show the generated password (%v), and removing %s again failed too: %v; "+
				"set a password with 'ctitui user passwd' or delete the user", werr, u.Email, err)
		}
		return fmt.Errorf("could not show the generated password: %w; %s was removed again", werr, u.Email)
	}
	return cmd
}

// printAdded reports a new user, with its generated password when gen. It
// returns the first write that failed, and whether the password was written
// in full before it: the caller must know whether it reached anyone.
func (a *app) printAdded(f format, u user.User, gen bool, plain string) (shown bool, err error) {
	switch {
	case f == formatTable && gen:
		_, err = fmt.Fprintf(a.stdout, "added %s (%s)\ngenerated password (shown once): %s\n", textsafe.Line(u.Email), user.JoinRoles(u.Roles), plain)
		if err == nil {
			err = syncIfFile(a.rawStdout)
		}
		return err == nil, err
	case f == formatTable:
		_, err = fmt.Fprintf(a.stdout, "added %s (%s)\n", textsafe.Line(u.Email), user.JoinRoles(u.Roles))
		return false, err
	case f == formatJSON && gen:
		err = writeUserJSON(a.stdout, u, plain)
		if err == nil {
			err = syncIfFile(a.rawStdout)
		}
		return err == nil, err
	}
	if gen {
		// CSV is for programs: the password goes to stderr, for the person.
		if _, err = fmt.Fprintf(a.stderr, "generated password (shown once): %s\n", plain); err == nil {
			err = syncIfFile(a.stderr)
		}
		if err != nil {
			return false, err
		}
		shown = true
	}
	return shown, writeUserDetails(a.stdout, f, u, a.stdoutIsTerminal())
}

// syncIfFile flushes w to its disk when it is a regular file: a file system
// may accept a write and fail it later, and the generated password must be
// known to be stored before ctitui says it was.
func syncIfFile(w io.Writer) error {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	info, err := f.Stat()
	if err != nil {
		// Whether the password reached a disk cannot be known.
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	return f.Sync()
}

func (a *app) userListCommand() *cobra.Command {
	var (
		role, search, sortBy     string
		disabled, active, locked bool
		limit                    int
	)
	cmd := &cobra.Command{
		Use:   "list [--role ROLE] [--search TEXT] [--disabled | --active | --locked] [--sort created|updated|email] [--format table|json|jsonl|csv] [--limit N]",
		Short: "List users, newest first",
		Example: `  ctitui user list
  ctitui user list --role admin --format json
  ctitui user list --search example.org --format csv > users.csv`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, listingFormats)
	cmd.Flags().StringVar(&role, "role", "", "only users with this role")
	cmd.Flags().StringVar(&search, "search", "", "only users whose email contains this text (case-insensitive)")
	cmd.Flags().BoolVar(&disabled, "disabled", false, "only disabled users")
	cmd.Flags().BoolVar(&active, "active", false, "only active users (neither disabled nor locked)")
	cmd.Flags().BoolVar(&locked, "locked", false, "only users locked by failed logins (for a time, or blocked until an admin unlocks them)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many users (0: all)")
	cmd.Flags().StringVar(&sortBy, "sort", "created", "order: created, updated (newest first) or email")
	cmd.MarkFlagsMutuallyExclusive("disabled", "active", "locked")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		opts := user.ListOptions{Limit: limit}
		if limit < 0 {
			return usagef("--limit must be 0 or more")
		}
		if role != "" {
			if opts.Role, err = user.ParseRole(role); err != nil {
				return usageError{err}
			}
		}
		switch {
		case disabled:
			opts.Status = user.Disabled
		case active:
			opts.Status = user.Active
		case locked:
			opts.Status = user.Locked
		}
		switch strings.ToLower(sortBy) {
		case "created":
			opts.Sort = user.ByCreated
		case "updated":
			opts.Sort = user.ByUpdated
		case "email":
			opts.Sort = user.ByEmail
		default:
			return usagef("invalid --sort %q: want created, updated or email", sortBy)
		}
		opts.Search = search
		svc, err := a.readService(cmd.Context())
		if err != nil {
			return err
		}
		// Buffered: unbuffered, every user was its own write system call.
		out := bufio.NewWriterSize(a.stdout, 64*1024)
		w := newUserWriter(out, f, a.stdoutIsTerminal())
		if err := svc.List(cmd.Context(), opts, w.Write); err != nil {
			// Show the users listed before the failure; the failure is the
			// error to report, and a failed write is kept by a.stdout.
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

func (a *app) userShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show EMAIL",
		Short:   "Show one user in full",
		Example: `  ctitui user show alice@example.org --format json`,
		Args:    cobra.ExactArgs(1),
	}
	getFormat := formatFlag(cmd, objectFormats)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		svc, err := a.readService(cmd.Context())
		if err != nil {
			return err
		}
		u, err := svc.Get(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		return writeUserDetails(a.stdout, f, u, a.stdoutIsTerminal())
	}
	return cmd
}

func (a *app) userSetRoleCommand() *cobra.Command {
	var roles []string
	cmd := &cobra.Command{
		Use:   "set-role EMAIL --role ROLE...",
		Short: "Replace a user's roles",
		Long: `set-role replaces a user's roles with those given. The last enabled admin
cannot lose the admin role: make another user an admin first.`,
		Example: `  ctitui user set-role alice@example.org --role admin --role analyst`,
		Args:    cobra.ExactArgs(1),
	}
	cmd.Flags().StringSliceVar(&roles, "role", nil, "role: admin, analyst or viewer; repeat for several (required)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(roles) == 0 {
			return usagef("--role is required")
		}
		parsed, err := user.ParseRoles(roles)
		if err != nil {
			return usageError{err}
		}
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		u, err := svc.SetRoles(cmd.Context(), args[0], parsed)
		if err != nil {
			return err
		}
		a.stdout.printf("%s now has roles %s\n", textsafe.Line(u.Email), user.JoinRoles(u.Roles))
		return nil
	}
	return cmd
}

func (a *app) userPasswdCommand() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd EMAIL [--password-stdin]",
		Short: "Set a user's password",
		Example: `  ctitui user passwd alice@example.org
  printf '%s\n' "$NEW_PASSWORD" | ctitui user passwd alice@example.org --password-stdin`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of stdin")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		// Fail on an unknown user before asking for a password.
		if _, err := svc.Get(cmd.Context(), args[0]); err != nil {
			return err
		}
		plain, err := a.readPassword(fromStdin, true)
		if err != nil {
			return err
		}
		u, err := svc.SetPassword(cmd.Context(), args[0], plain)
		if err != nil {
			return err
		}
		a.stdout.printf("password changed for %s\n", textsafe.Line(u.Email))
		return nil
	}
	return cmd
}

func (a *app) userDisableCommand(disable bool) *cobra.Command {
	verb, done, already := "enable", "enabled", "already enabled"
	short := "Let a disabled user log in again"
	if disable {
		verb, done, already = "disable", "disabled", "already disabled"
		short = "Stop a user from logging in, keeping the account"
	}
	long := ""
	if disable {
		long = "disable stops a user from logging in, keeping the account and its roles.\nThe last enabled admin cannot be disabled: make another user an admin first."
	}
	return &cobra.Command{
		Use:     verb + " EMAIL",
		Short:   short,
		Long:    long,
		Example: "  ctitui user " + verb + " alice@example.org",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			u, changed, err := svc.SetDisabled(cmd.Context(), args[0], disable)
			if err != nil {
				return err
			}
			state := done
			if !changed {
				state = already
			}
			a.stdout.printf("%s %s\n", textsafe.Line(u.Email), state)
			return nil
		},
	}
}

func (a *app) userDeleteCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete EMAIL [--yes]",
		Short: "Delete a user and its roles (the audit log keeps a record)",
		Long: `delete removes a user and its roles; the audit log keeps a record. The last
enabled admin cannot be deleted: make another user an admin first.`,
		Example: `  ctitui user delete alice@example.org
  ctitui user delete alice@example.org --yes`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		u, err := svc.Get(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if !yes {
			if _, ok := a.terminalFd(); !ok {
				return usagef("refusing to delete without --yes when stdin is not a terminal")
			}
			answer, err := a.confirmLine(fmt.Sprintf("Delete %s (id %s)? Type the email or the id to confirm: ", textsafe.Line(u.Email), textsafe.Line(u.ID)))
			if err != nil {
				return err
			}
			if !user.ConfirmsDelete(u, answer) {
				return errors.New("not deleted: what was typed matches neither the email nor the id")
			}
		}
		if _, err := svc.Delete(cmd.Context(), u.ID); err != nil {
			return err
		}
		a.stdout.printf("deleted %s\n", textsafe.Line(u.Email))
		return nil
	}
	return cmd
}

func (a *app) userVerifyCommand() *cobra.Command {
	var fromStdin, batch bool
	cmd := &cobra.Command{
		Use:   "verify EMAIL [--password-stdin]",
		Short: "Check a password: exit 0 if it matches an enabled user, 1 otherwise",
		Long: fmt.Sprintf(`verify checks a password: exit 0 if it matches an enabled, unlocked user,
1 otherwise. Every failure gives the same message and takes the same time
(%s), whatever failed, so that neither tells whether the account exists, is
locked, or what kind of hash it has. Failures count towards the lockout
('ctitui settings'); %d in a row lock the account until an admin runs
'ctitui user unlock'.`, personDuration(user.DefaultFailureFloor), user.MaxConsecutiveFailures) + verifyBatchHelp,
		Example: `  printf '%s\n' "$PASSWORD" | ctitui user verify alice@example.org --password-stdin && echo ok
  printf '{"email": "alice@example.org", "password": "%s"}\n' "$PASSWORD" | ctitui user verify --batch`,
		Args: verifyArgs(&batch),
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().BoolVar(&batch, "batch", false, "check many logins: JSON Lines on stdin, one answer a line on stdout")
	cmd.MarkFlagsMutuallyExclusive("password-stdin", "batch")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if batch {
			return a.verifyBatch(cmd)
		}
		plain, err := a.readPassword(fromStdin, false)
		if err != nil {
			return err
		}
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		u, err := svc.Verify(cmd.Context(), args[0], plain)
		if err != nil {
			return err
		}
		a.stdout.printf("ok: %s\n", textsafe.Line(u.Email))
		return nil
	}
	return cmd
}

func (a *app) userUnlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "unlock EMAIL",
		Short:   "Clear a user's failed logins and lockout, including a block after 100 failures",
		Example: "  ctitui user unlock alice@example.org",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			before, err := svc.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			u, changed, err := svc.Unlock(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			switch {
			case !changed:
				a.stdout.printf("%s was not locked\n", textsafe.Line(u.Email))
			case before.NeedsAdminUnlock():
				a.stdout.printf("%s unlocked (it was blocked after %d consecutive failed logins, until an admin unlocked it)\n",
					textsafe.Line(u.Email), before.FailedLogins)
			default:
				a.stdout.printf("%s unlocked\n", textsafe.Line(u.Email))
			}
			return nil
		},
	}
}
