package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	// exitInterrupted is the shells' code for a command ended by SIGINT.
	exitInterrupted = 130
)

// usageError marks a mistake in how ctitui was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app is what every command shares: the streams, the global flags and the
// database, opened on first use.
type app struct {
	ctx            context.Context // ends on Ctrl+C
	stdin          io.Reader
	stdout, stderr io.Writer
	rawStdout      io.Writer // stdout as given, which stdout wraps (see checkedWriter)
	getenv         func(string) string

	hash      password.Params // for new hashes
	svcOpts   []user.Option   // more options for the user service (tests)
	dbPath    string
	dbSet     bool // --db was given, even if empty
	minLength int

	store   *db.Store
	svc     *user.Service
	notices []string // what opening the database did, for people
	// dropUnknown is the person's consent (--drop-unknown-objects) to remove
	// triggers and views that ctitui did not create, after a backup.
	dropUnknown bool
}

// run executes ctitui with args and returns the process exit code. It never
// panics out and prints every failure as one line on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	return runWith(ctx, args, stdin, stdout, stderr, password.DefaultParams)
}

// runWith is run with the argon2id parameters new hashes get, and options
// for the user service. The binary always passes password.DefaultParams and
// no options; the tests, which start ctitui hundreds of times, pass cheap
// parameters and a short failure floor through this Go API, never through a
// flag or variable of the binary.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, hash password.Params, svcOpts ...user.Option) (code int) {
	out := &checkedWriter{w: stdout}
	a := &app{ctx: ctx, stdin: stdin, stdout: out, rawStdout: stdout, stderr: stderr, getenv: os.Getenv, hash: hash, svcOpts: svcOpts}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ctitui: internal error: %v\n", r)
			code = exitFail
		}
	}()
	defer a.close()

	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil && out.err != nil {
		err = fmt.Errorf("the output could not be written: %w", out.err)
	}
	if err == nil {
		return exitOK
	}
	// Errors can quote text from the database, such as an email.
	fmt.Fprintf(stderr, "ctitui: %s\n", textsafe.Line(oneLine(err.Error())))
	var ue usageError
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		return exitUsage
	case errors.Is(err, errInterrupted) || errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFail
}

// isCobraUsage recognises the argument errors cobra makes itself.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag", "if any flags in the group", "accepts ", "requires at least"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ctitui",
		Short: "Manage the user accounts of a CTI platform in a local SQLite file",
		Long: `ctitui keeps the user accounts of a CTI platform in one SQLite file.
It brings every database it opens to the current schema, including one made
before migrations existed, after writing a backup.

Run without a command to open the terminal UI.

Database: --db, else $CTITUI_DB, else $XDG_DATA_HOME/ctitui/ctitui.db
(~/.local/share/ctitui/ctitui.db).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTUI(cmd.Context(), nil)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&a.dbPath, "db", "", "database file (default $CTITUI_DB or ~/.local/share/ctitui/ctitui.db)")
	root.PersistentFlags().IntVar(&a.minLength, "min-password-length", password.DefaultMinLength,
		fmt.Sprintf("minimum password length in characters (at least %d)", password.MinLengthFloor))
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		a.dbSet = cmd.Flags().Changed("db")
	}
	root.AddCommand(a.userCommand(), a.auditCommand(), a.migrateCommand(), a.versionCommand(), a.demoCommand(), a.settingsCommand(),
		a.backupCommand(), a.restoreCommand(), a.doctorCommand())
	return root
}

// usageArgs makes cobra's argument checks exit with the usage code.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// databasePath resolves where the database lives: --db, $CTITUI_DB, then the
// XDG data directory.
func (a *app) databasePath() (string, error) {
	if a.dbSet && strings.TrimSpace(a.dbPath) == "" {
		return "", usagef("--db needs a file name")
	}
	if a.dbPath != "" {
		return expandHome(a.dbPath)
	}
	if p := a.getenv("CTITUI_DB"); p != "" {
		return p, nil
	}
	if dir := a.getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "ctitui", "ctitui.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the default database: %w; pass --db", err)
	}
	return filepath.Join(home, ".local", "share", "ctitui", "ctitui.db"), nil
}

// service opens the database (once) for reading and writing, creating,
// adopting and migrating it as needed, and returns the user service over it.
func (a *app) service(ctx context.Context) (*user.Service, error) {
	return a.openService(ctx, false)
}

// readService opens the database (once) only to read it: a missing file is
// an error, nothing is migrated and the file is never changed, so that a
// copy kept as evidence, or one on read-only media, stays as it is.
func (a *app) readService(ctx context.Context) (*user.Service, error) {
	return a.openService(ctx, true)
}

func (a *app) openService(ctx context.Context, readOnly bool) (*user.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	policy, err := a.policy()
	if err != nil {
		return nil, err
	}
	path, err := a.databasePath()
	if err != nil {
		return nil, err
	}
	actor := user.CurrentOSUser()
	opts := db.Options{Actor: actor, Notify: a.notify, DropUnknownObjects: a.dropUnknown}
	open := db.Open
	if readOnly {
		open = db.OpenReadOnly
	}
	store, err := open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	a.store = store
	a.svc = user.NewService(store, append([]user.Option{user.WithPolicy(policy), user.WithActor(actor), user.WithHasher(password.NewHasher(a.hash))}, a.svcOpts...)...)
	return a.svc, nil
}

// policy is the password policy chosen by --min-password-length.
func (a *app) policy() (password.Policy, error) {
	p, err := password.NewPolicy(a.minLength)
	if err != nil {
		return password.Policy{}, usageError{err}
	}
	return p, nil
}

// notify tells the person running ctitui what opening the database did.
func (a *app) notify(msg string) {
	fmt.Fprintf(a.stderr, "ctitui: %s\n", textsafe.Line(msg))
	a.notices = append(a.notices, msg)
}

func (a *app) close() {
	if a.store != nil {
		a.store.Close()
	}
}

// version is the module version the binary was built from.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

// expandHome expands a leading "~/" in path, as a shell would have if the
// path had not been quoted.
func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}
