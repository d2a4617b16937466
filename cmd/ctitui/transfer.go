package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// fileSource reads an import file afresh each time: the import reads it
// once to validate and once to write, without holding it in memory.
type fileSource struct {
	path   string
	format transfer.Format
}

func (f fileSource) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	file, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer file.Close() //nolint:errcheck // only read: a failed close loses nothing
	return transfer.Read(file, f.format, func(r user.ImportRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(r)
	})
}

// memorySource holds records read once from stdin, which cannot be read
// twice. It stays in memory rather than in a temporary file because
// records may carry plaintext passwords, which must not touch the disk.
type memorySource struct{ records []user.ImportRecord }

func (m *memorySource) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	for _, r := range m.records {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) userImportCommand() *cobra.Command {
	var (
		formatName, onConflict string
		dryRun, skipInvalid    bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE [--format csv|jsonl] [--on-conflict fail|skip|update] [--dry-run] [--skip-invalid]",
		Short: "Add users from a CSV or JSON Lines file (- reads stdin), all or nothing",
		Long: `import adds the users of FILE in one transaction: after a crash or Ctrl+C
either all of them are in or none is.

Columns (CSV header, or JSON Lines keys): email (required), roles
("admin,analyst"; default analyst), and either password (plaintext, hashed on
import with the password policy) or hashed_password (an argon2id PHC or bcrypt
string, or "!" for no password, stored as it is). Optional: id (a UUID, or
letters, digits and . _ : -), created_at, updated_at, disabled, disabled_at,
last_login_at (RFC 3339), as 'ctitui user export' writes them. An empty cell,
"" or null is the same as a missing column: it gives nothing.

With --on-conflict update, an existing user gets only what the file gives:
the spelling of the email, roles, password, disabled state. A file without a
password or disabled column keeps them; id and times never change. A record
that changes nothing is counted as skipped, and the audit entry of an update
names every field it changed. Updates that would disable or demote every
enabled admin are refused, as they are by hand.

Every record is checked before anything is written; all invalid ones are
listed with their line numbers, and nothing is written unless --skip-invalid.
Plaintext passwords are hashed on all cores before the write, holding no
lock: logins and edits go on meanwhile. The write checks every record again.

CSV cells that start with ' followed by = + - @ tab or CR lose that one
quote, which export adds so that spreadsheets do not run them. JSON Lines
keys must be lower case, each once; records over 1 MiB end the import.`,
		Example: `  ctitui user import team.csv
  ctitui user import users.jsonl --on-conflict skip --dry-run
  ctitui user export --include-hashes | ctitui --db other.db user import - --format csv`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&formatName, "format", "", "csv or jsonl (default: from the file name, else csv)")
	cmd.Flags().StringVar(&onConflict, "on-conflict", "fail", "when an email already exists: fail, skip or update")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and report what would happen, writing nothing")
	cmd.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "import the valid records even if some are invalid")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		format, err := transfer.ParseFormat(formatName, args[0])
		if err != nil {
			return usageError{err}
		}
		opts := user.ImportOptions{DryRun: dryRun, SkipInvalid: skipInvalid}
		switch onConflict {
		case "fail":
			opts.OnConflict = user.ConflictFail
		case "skip":
			opts.OnConflict = user.ConflictSkip
		case "update":
			opts.OnConflict = user.ConflictUpdate
		default:
			return usagef("invalid --on-conflict %q: want fail, skip or update", onConflict)
		}
		var src user.ImportSource = fileSource{path: args[0], format: format}
		if args[0] == "-" {
			mem := &memorySource{}
			err := transfer.Read(bufio.NewReader(a.stdin), format, func(r user.ImportRecord) error {
				mem.records = append(mem.records, r)
				return nil
			})
			if err != nil {
				return fmt.Errorf("import: read stdin: %w", err)
			}
			src = mem
		} else if _, err := os.Stat(args[0]); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		wasInOrder := false
		if order, ok := a.store.(userOrder); ok {
			if wasInOrder, err = order.UsersInOrder(cmd.Context()); err != nil {
				return err
			}
		}
		before, err := svc.Count(cmd.Context(), user.Filter{})
		if err != nil {
			return err
		}
		hashing, writing := a.progressLine("hashing"), a.progressLine("writing")
		opts.HashProgress, opts.Progress = hashing.update, func(done, total int) {
			hashing.finish() // ends its line before the first write
			writing.update(done, total)
		}
		rep, err := svc.Import(cmd.Context(), src, opts)
		hashing.finish()
		writing.finish()
		for _, e := range rep.Errors {
			tellf(a.stderr, "ctitui: %s\n", textsafe.Line(oneLine(e.Error())))
		}
		if err != nil {
			if errors.Is(err, user.ErrInvalidRecords) {
				verb := "are"
				if rep.Invalid == 1 {
					verb = "is"
				}
				return fmt.Errorf("%d of %s %s invalid; nothing was written (fix them, or pass --skip-invalid)", rep.Invalid, plural(rep.Read, "record"), verb)
			}
			return fmt.Errorf("import: %w; nothing was written", err)
		}
		verb := "imported"
		if dryRun {
			verb = "would import"
		}
		if _, err := fmt.Fprintf(a.stdout, "%s %s: %d added, %d updated, %d skipped (already there), %d invalid\n",
			verb, plural(rep.Added+rep.Updated, "user"), rep.Added, rep.Updated, rep.Skipped, rep.Invalid); err != nil {
			return fmt.Errorf("import done, but its summary could not be written: %w", err)
		}
		a.keepUsersInOrder(cmd.Context(), wasInOrder, before, rep.Added)
		return nil
	}
	return cmd
}

// userOrder is what a store offers whose fast searches rely on the users'
// physical order: SQLite's, which keeps users in rowid order by created_at
// (migration 8). A store without it has no such order to keep.
type userOrder interface {
	UsersInOrder(ctx context.Context) (bool, error)
	RenumberUsers(ctx context.Context) (bool, error)
}

// keepUsersInOrder deals with an import that lost the users' rowid order,
// which fast searches rely on (migration 8). Users were in order before
// (wasInOrder) and before of them were there; the import added added. The
// import had no rowid left in order for some of its users: records in the
// same millisecond whose ids come in no order, or users created between two
// older ones with consecutive rowids. When the import is at least as big as
// what was there, as into an empty database, renumbering the whole table
// costs about what the import's own writes did (100,000 users without
// passwords into an empty file, on a loaded 2-core machine: 17 s of CPU for
// the import, 7 s more for the renumbering), and it is done now; otherwise
// it is the long job doctor --fix is for, and the person is told. Either
// way the import itself is already committed, whole; a renumbering that
// fails changes nothing and leaves the warning.
func (a *app) keepUsersInOrder(ctx context.Context, wasInOrder bool, before, added int) {
	order, ok := a.store.(userOrder)
	if !ok || !wasInOrder {
		return // nothing to keep, or doctor already reports it
	}
	inOrder, err := order.UsersInOrder(ctx)
	if err != nil || inOrder {
		return
	}
	if before <= added {
		// About as long as the import's own writes: say what the wait is
		// for, on a terminal, and take the line back after.
		terminal := a.progressLine("").enabled
		if terminal {
			tellf(a.stderr, "putting the users in created_at order for searches…")
		}
		inOrder, err = order.RenumberUsers(ctx)
		if terminal {
			tellf(a.stderr, "\r\033[K")
		}
		if err == nil && inOrder {
			return
		}
	}
	tellf(a.stderr, "ctitui: some imported users found no room in created_at order; "+
		"searches that match many users are slower until `ctitui doctor --fix` renumbers the users\n")
}

func (a *app) userExportCommand() *cobra.Command {
	var (
		formatName, output string
		hashes, force      bool
	)
	cmd := &cobra.Command{
		Use:   "export [--format csv|jsonl] [--include-hashes] [--output FILE [--force]]",
		Short: "Write every user to stdout or a file, oldest first, in a form 'user import' reads",
		Long: `export streams every user, oldest first, as CSV or JSON Lines (--format json
is the same: one user per line). Imported into an empty database, its output
gives the same users, roles and timestamps; with --include-hashes also the
same working passwords. The hashes are secrets: keep such a file like a
backup. They are never printed to a terminal: pass --output, or redirect
stdout to a file.

--output FILE writes to FILE instead, readable by its owner only (mode 0600),
and refuses to replace a file that exists unless --force; with --force the
new file takes the old one's place only once it is complete.`,
		Example: `  ctitui user export > users.csv
  ctitui user export --format jsonl --include-hashes --output users.jsonl`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&formatName, "format", "csv", "csv, or jsonl (json is the same)")
	cmd.Flags().BoolVar(&hashes, "include-hashes", false, "include password hashes, so that passwords keep working after import")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (mode 0600) instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "with --output: replace the file if it exists")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		format, err := transfer.ParseFormat(formatName, "")
		if err != nil {
			return usageError{err}
		}
		if force && output == "" {
			return usagef("--force only applies to --output")
		}
		if hashes && output == "" && a.stdoutIsTerminal() {
			return usagef("refusing to print password hashes to a terminal: pass --output FILE, or redirect stdout to a file")
		}
		// Before the database is read, so that a mistake costs nothing.
		if output != "" && !force {
			if _, err := os.Lstat(output); err == nil {
				return fmt.Errorf("export: %s already exists; pass --force to replace it", output)
			}
		}
		svc, err := a.service(cmd.Context())
		if err != nil {
			return err
		}
		if output != "" {
			n, err := writeFileAtomically(output, force, func(w io.Writer) (int, error) {
				return exportTo(cmd.Context(), svc, w, format, hashes, false)
			})
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			a.stdout.printf("exported %s to %s\n", plural(n, "user"), textsafe.Line(output))
			return nil
		}
		_, err = exportTo(cmd.Context(), svc, a.stdout, format, hashes, a.stdoutIsTerminal())
		return err
	}
	return cmd
}

// exportTo writes every user to w, oldest first, and returns how many;
// terminal says w is one.
func exportTo(ctx context.Context, svc *user.Service, w io.Writer, format transfer.Format, hashes, terminal bool) (int, error) {
	tw, err := transfer.NewWriter(w, format, hashes)
	if err != nil {
		return 0, err
	}
	if terminal {
		tw.ForTerminal() // read on the screen, not imported from it
	}
	n := 0
	// Oldest first: the order an import recreates them in.
	opts := user.ListOptions{Sort: user.ByCreated, Reverse: true, WithHashes: hashes, LinkedRoles: true}
	err = svc.List(ctx, opts, func(u user.User) error {
		n++
		return tw.Write(u)
	})
	if err != nil {
		return n, err
	}
	return n, tw.Close()
}

// writeFileAtomically creates path, readable by its owner only, with what
// write writes, and returns write's count. Without replace it refuses a
// path that exists, whatever it is (a link too: O_EXCL does not follow
// one), and removes what it wrote if write fails. With replace it writes a
// temporary file beside path and renames it over path once complete and on
// disk, so that path never holds a partial file, nor, for a moment, the
// old file's wider mode.
func writeFileAtomically(path string, replace bool, write func(io.Writer) (int, error)) (int, error) {
	var (
		f   *os.File
		err error
	)
	if replace {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // mode 0600
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("%s already exists; pass --force to replace it", path)
	}
	if err != nil {
		return 0, err
	}
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && replace {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		// Only ever the file this call created.
		os.Remove(f.Name()) //nolint:errcheck // the write's error is the one to report
		return n, err
	}
	return n, nil
}

// progress draws one line that rewrites itself on a terminal, at most ten
// times a second; it draws nothing when stderr is not a terminal.
type progress struct {
	w       io.Writer
	label   string
	start   time.Time
	last    time.Time
	drawn   bool
	enabled bool
}

func (a *app) progressLine(label string) *progress {
	f, ok := a.stderr.(*os.File)
	return &progress{w: a.stderr, label: label, enabled: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) update(done, total int) {
	if p.start.IsZero() {
		p.start = time.Now() // the first call: the phase starts here, not at progressLine
	}
	if !p.enabled || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	elapsed := time.Since(p.start).Seconds()
	rate := float64(done) / max(elapsed, 1e-3)
	eta := "-"
	if rate > 0 {
		eta = personDuration(time.Duration(float64(total-done) / rate * float64(time.Second)))
	}
	const width = 30
	filled := width * done / max(total, 1)
	bar := make([]rune, width)
	for i := range bar {
		bar[i] = '░'
		if i < filled {
			bar[i] = '█'
		}
	}
	tellf(p.w, "\r%s %s %d/%d  %.0f rows/s  ETA %s  ", p.label, string(bar), done, total, rate, eta)
	p.drawn = true
}

func (p *progress) finish() {
	if p.drawn {
		tellf(p.w, "\n")
		p.drawn = false
	}
}
