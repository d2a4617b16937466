package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
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
	ctx       context.Context // ends at the first SIGINT, SIGTERM or SIGHUP (withSignals)
	stdin     io.Reader
	stdout    *checkedWriter // every write to stdout goes through it
	stderr    io.Writer
	rawStdout io.Writer // stdout as given, which stdout wraps
	getenv    func(string) string

	hash      password.Params // for new hashes
	svcOpts   []user.Option   // more options for the user service (tests)
	dbPath    string
	dbSet     bool // --db was given, even if empty
	mayCreate bool // the command may create a missing database (createsDatabase)
	minLength int
	policy    password.Policy // from minLength, once the flags are checked

	store   db.Store
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
		// A bug shows as one line like any other failure. No stack is kept:
		// a person can do nothing with it, and the message names the fault
		// for whoever reproduces it.
		if r := recover(); r != nil {
			code = printError(stderr, fmt.Errorf("internal error: %v", r))
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
	if se, ok := stoppedBy(ctx); ok {
		// The command's own words stay (what it did or did not write);
		// Go's "context canceled", or a prompt's "interrupted", becomes
		// the signal that cancelled it.
		if errors.Is(err, errInterrupted) {
			err = se
		} else {
			err = errors.New(strings.ReplaceAll(err.Error(), context.Canceled.Error(), se.Error()))
		}
		printError(stderr, err)
		return se.exitCode()
	}
	return printError(stderr, err)
}

// printError prints err as one line and returns the exit code it calls for.
func printError(stderr io.Writer, err error) int {
	// Errors can quote text from the database, such as an email.
	tellf(stderr, "ctitui: %s\n", textsafe.Line(oneLine(err.Error())))
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, errInterrupted) || errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFail
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) rootCommand() *cobra.Command {
	dbRule, dbUsual := defaultDatabaseHelp(runtime.GOOS)
	var showVersion bool
	root := &cobra.Command{
		Use:   "ctitui",
		Short: "Manage the user accounts of a CTI platform in a SQLite file or on PostgreSQL",
		Long: `ctitui keeps the user accounts of a CTI platform in one SQLite file, or in a
PostgreSQL database. It brings every database it opens to the current schema,
including one made before migrations existed, after writing a backup.

Run without a command to open the terminal UI.

Database: --db, else ` + envVarHelp(runtime.GOOS, "CTITUI_DB") + `, else ` + dbRule + `
(` + dbUsual + `).
A leading ~ in --db or ` + envVarHelp(runtime.GOOS, "CTITUI_DB") + ` is the home directory. Only user add,
user import, migrate up, restore, demo and the terminal UI create a missing
database file; every other command refuses it, so a mistyped path is an error.

A postgres:// or postgresql:// URL (postgres://USER@HOST:PORT/DATABASE) selects
PostgreSQL for every command and the terminal UI. The database must exist:
ctitui never creates one. A password in the URL is refused; give it through
PGPASSWORD, ~/.pgpass or a service file (PGSERVICE).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion {
				return a.printVersion(formatTable)
			}
			return a.runTUI(cmd.Context(), nil)
		},
	}
	root.Flags().BoolVar(&showVersion, "version", false, "print the version, as ctitui version does")
	// Every mistake in how ctitui is called is a usageError where it is
	// found: flags as they are parsed, arguments as each command checks
	// them (typedArgs), and the rest just before the command runs.
	root.SetFlagErrorFunc(flagError)
	root.PersistentFlags().StringVar(&a.dbPath, "db", "", "database file or postgres:// URL (default "+envVarHelp(runtime.GOOS, "CTITUI_DB")+" or "+dbUsual+")")
	root.PersistentFlags().IntVar(&a.minLength, "min-password-length", password.DefaultMinLength,
		fmt.Sprintf("minimum password length in characters (at least %d)", password.MinLengthFloor))
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.dbSet = cmd.Flags().Changed("db")
		a.mayCreate = createsDatabase[cmd.CommandPath()]
		// cobra checks flag groups (MarkFlagsMutuallyExclusive) after this
		// hook, and its error there carries no type.
		if err := cmd.ValidateFlagGroups(); err != nil {
			return usageError{flagGroupError(err)}
		}
		// Refused by every command, even one that opens no database:
		// the password is already in the shell's history, and the sooner
		// the person hears it the better.
		if _, _, err := a.givenLocation(); err != nil {
			return err
		}
		policy, err := password.NewPolicy(a.minLength)
		if err != nil {
			return usageError{err}
		}
		a.policy = policy
		return nil
	}
	root.AddCommand(a.userCommand(), a.auditCommand(), a.migrateCommand(), a.versionCommand(), a.demoCommand(), a.settingsCommand(),
		a.backupCommand(), a.restoreCommand(), a.doctorCommand(), a.manCommand())
	// cobra adds its help and completion commands when it runs; added now,
	// their argument checks are typed too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	a.registerCompletions(root)
	suggestCommands(root)
	checkHelpTopics(root)
	typedArgs(root)
	return root
}

// createsDatabase names the commands that may create a missing database:
// those that put something into a new one. Every other command refuses a
// missing file, so that a mistyped --db or $CTITUI_DB is an error rather than
// a new, empty database that answers "no users" or "audit chain: empty".
var createsDatabase = map[string]bool{
	"ctitui":             true, // the terminal UI, which says it created one
	"ctitui demo":        true,
	"ctitui user add":    true,
	"ctitui user import": true,
	"ctitui migrate up":  true,
	"ctitui restore":     true, // through sqlite.Restore
}

// requireDatabase refuses a path where no database file is, naming it and
// the commands that create one.
func requireDatabase(path string) error {
	// Stat, not Lstat: a link to nowhere is no database either.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w at %s (check --db and $CTITUI_DB; 'ctitui user add', 'user import', 'migrate up' or 'restore' make one)",
			db.ErrNoDatabase, path)
	}
	return nil
}

// typedArgs makes the argument check of cmd and of every command under it
// return a usageError.
func typedArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{argsError(cmd, args, err)}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		typedArgs(sub)
	}
}

// databasePath resolves where the database lives: --db, $CTITUI_DB, then the
// platform's place for it (defaultDatabase). A PostgreSQL URL is returned as
// it is, once checked (checkLocation); in a file path, a leading ~ is the
// home directory.
func (a *app) databasePath() (string, error) {
	location, from, err := a.givenLocation()
	if err != nil || from == "" {
		if err == nil {
			location, err = a.defaultDatabasePath()
		}
		return location, err
	}
	if engine.IsURL(location) {
		return location, nil
	}
	return expandHome(location)
}

// givenLocation is the database --db or $CTITUI_DB names, and which of them
// named it ("" when neither did). A PostgreSQL URL that holds a password is
// refused here, before anything uses it, in words that do not repeat it.
func (a *app) givenLocation() (location, from string, err error) {
	switch {
	case a.dbSet && strings.TrimSpace(a.dbPath) == "":
		return "", "", usagef("--db needs a file name or a postgres:// URL")
	case a.dbPath != "":
		location, from = a.dbPath, "--db"
	case a.getenv("CTITUI_DB") != "":
		location, from = a.getenv("CTITUI_DB"), envVarHelp(runtime.GOOS, "CTITUI_DB")
	default:
		return "", "", nil
	}
	if err := engine.CheckLocation(location); err != nil {
		return "", "", usagef("%s: %w", from, err)
	}
	return location, from, nil
}

// service opens the database for reading and writing (open) and returns
// the user service over it.
func (a *app) service(ctx context.Context) (*user.Service, error) {
	return a.userService(a.open(ctx))
}

// readService opens the database only to read it (openReadOnly) and returns
// the user service over it.
func (a *app) readService(ctx context.Context) (*user.Service, error) {
	return a.userService(a.openReadOnly(ctx))
}

// userService returns the user service over store, built once.
func (a *app) userService(store db.Store, err error) (*user.Service, error) {
	if err != nil {
		return nil, err
	}
	if a.svc == nil {
		a.svc = user.NewService(store, append([]user.Option{user.WithPolicy(a.policy), user.WithActor(user.CurrentOSUser()),
			user.WithHasher(password.NewHasher(a.hash))}, a.svcOpts...)...)
	}
	return a.svc, nil
}

// open opens the database (once) for reading and writing, creating,
// adopting and migrating it as needed.
func (a *app) open(ctx context.Context) (db.Store, error) { return a.openWith(ctx, engine.Open) }

// openReadOnly opens the database (once) only to read it: a missing file is
// an error, nothing is migrated and the file is never changed, so that a
// copy kept as evidence, or one on read-only media, stays as it is.
func (a *app) openReadOnly(ctx context.Context) (db.Store, error) {
	return a.openWith(ctx, engine.OpenReadOnly)
}

func (a *app) openWith(ctx context.Context, open func(context.Context, string, db.Options) (db.Store, error)) (db.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	path, err := a.databasePath()
	if err != nil {
		return nil, err
	}
	// A server's database is never created (the engine refuses a missing
	// one itself); only a file can be missing before the engine sees it.
	if !a.mayCreate && !engine.IsURL(path) {
		if err := requireDatabase(path); err != nil {
			return nil, err
		}
	}
	store, err := open(ctx, path, a.dbOptions())
	if err != nil {
		return nil, err
	}
	a.store = store
	return store, nil
}

// dbOptions are the options of every open of the database, and of restore.
func (a *app) dbOptions() db.Options {
	return db.Options{Actor: user.CurrentOSUser(), Notify: a.notify, DropUnknownObjects: a.dropUnknown}
}

// notify tells the person running ctitui what opening the database did.
func (a *app) notify(msg string) {
	tellf(a.stderr, "ctitui: %s\n", textsafe.Line(msg))
	a.notices = append(a.notices, msg)
}

// tellf writes a message for the person to stderr: a notice, a prompt, a
// failure. A failed write is not reported: stderr is where ctitui reports
// failures, so there is nowhere left to report it, and no command's result
// depends on it (what a command produces goes to stdout, whose writes are
// checked, or, for a generated password, is written and checked directly).
func tellf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, format, args...) //nolint:errcheck // see above: nowhere left to report it
}

func (a *app) close() {
	if a.store != nil {
		// Every change was committed before the command returned; a close
		// that fails leaves the write-ahead log for the next open to apply.
		a.store.Close() //nolint:errcheck // see above: nothing is lost
	}
}

// expandHome expands a leading "~" or "~/" in path to the home directory,
// as a shell would have if the path had not been quoted, or had not been
// part of --db=~/x or a variable set in a service file. "~user" is left as
// it is: looking other users up is more than a path needs.
func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") && !strings.HasPrefix(path, "~"+string(filepath.Separator)) {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}
