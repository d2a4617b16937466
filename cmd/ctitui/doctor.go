package main

import (
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// errUnhealthy makes doctor exit 1 after printing its report.
var errUnhealthy = errors.New("doctor found problems")

func (a *app) doctorCommand() *cobra.Command {
	var fix, full bool
	cmd := &cobra.Command{
		Use:   "doctor [--full] [--fix] [--format table|json]",
		Short: "Check the database and its files; exit 1 if there are problems",
		Long: `doctor checks the storage: SQLite's integrity and foreign keys; the schema
against what the embedded migrations create, by exact name and body, so that a
trigger or view ctitui did not create is a problem, and the schema's version;
the columns derived from each email (its normalised form, which no two users
may share, and its look-alike key) and users whose addresses look alike; the
email search index; the users' rowid order, which fast searches rely on; the
permissions of the database, its -wal, -shm and .lock files, its directory and
its backups, and symbolic links planted among them; the seeded roles; and the
audit chain. Then the accounts: password hashes that are outdated, missing,
unreadable or beyond the cost limits; users without an enabled admin among
them; disabled admins; accounts locked by failed logins, for a time or until
an admin unlocks them.

By default the look is quick (seconds at a million users): SQLite's
quick_check of every table and index instead of its full integrity_check,
the search index counted rather than compared with the users, the recorded
look-alike keys trusted; the normalised emails, each user's counts and
times, the password hashes and the accounts are left out. --full runs every
check in full. The report says which kind ran and names what was left out,
and a quick "healthy" says "quick checks". On a terminal, a look that takes
over a second says on stderr which check it is running.

It only reads: the file is opened read-only and left as it was. With --fix it
writes a backup, then makes only safe repairs (tighten permissions, remove
triggers and views ctitui did not create, recreate missing indexes, triggers
and columns, recompute the derived email columns, rebuild the search index,
renumber the users into order, re-seed the roles), records them in the audit
log, and checks again. It never deletes or rewrites users or audit entries;
what it cannot repair, it names with the command that can. --fix runs every
check in full, so that it finds what it repairs.`,
		Example: `  ctitui doctor
  ctitui doctor --full
  ctitui doctor --fix
  ctitui doctor --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, reportFormats)
	cmd.Flags().BoolVar(&fix, "fix", false, "make the safe repairs, after a backup (runs every check in full)")
	cmd.Flags().BoolVar(&full, "full", false, "run every check in full: SQLite's integrity_check, the search index's contents, every user's derived columns, values, hash and account")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		// A look is read-only, so that a copy kept as evidence stays as it
		// is; --fix opens to write, which first removes (after a backup) the
		// triggers and views ctitui did not create.
		var rep db.DoctorReport
		var svc *user.Service
		if fix {
			a.dropUnknown = true
			svc, err = a.service(cmd.Context())
		} else {
			svc, err = a.readService(cmd.Context())
		}
		switch {
		case errors.Is(err, db.ErrSchemaTooOld) || errors.Is(err, db.ErrCannotAdopt):
			// Nothing else can be checked before the file is migrated.
			rep.Findings = []user.Finding{{Check: "schema", Severity: user.SeverityProblem, Message: err.Error()}}
			rep.Full = full || fix
		case err != nil:
			return err
		default:
			// The storage, then the accounts: the accounts are judged as
			// they are after any repair.
			prog := a.doctorProgress().begin()
			rep, err = a.store.Doctor(cmd.Context(), db.DoctorOptions{Fix: fix, Full: full, Now: time.Now(), Actor: user.CurrentOSUser(), Progress: prog.show})
			if err != nil {
				prog.stop()
				return err
			}
			if rep.Full {
				prog.show("accounts")
				accounts, err := svc.Checkup(cmd.Context())
				if err != nil {
					prog.stop()
					return err
				}
				rep.Findings = append(rep.Findings, accounts...)
			} else {
				// The hashes and most of the accounts read every user
				// (seconds at a million): a full run's. Whether an
				// enabled admin is left reads only the admins.
				prog.show("accounts")
				accounts, err := svc.QuickCheckup(cmd.Context())
				if err != nil {
					prog.stop()
					return err
				}
				rep.Findings = append(rep.Findings, accounts...)
				rep.Skipped = append(rep.Skipped, "password hashes")
			}
			prog.stop()
			if dropped := a.store.DroppedAtOpen(); len(dropped) > 0 {
				rep.Repairs = append([]string{"dropped " + strings.Join(dropped, ", ") + " (ctitui did not create them)"}, rep.Repairs...)
			}
		}
		if f == formatJSON {
			err = writeDoctorJSON(a, rep)
		} else {
			err = writeDoctorTable(a, rep)
		}
		if err != nil {
			return err
		}
		if !rep.Healthy() {
			return errUnhealthy
		}
		return nil
	}
	return cmd
}

// findingJSON is one finding of the doctor report (docs/json.md). Every key
// is always there, so that a script reads one shape.
type findingJSON struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Repair  string `json:"repair"`
	Fixed   bool   `json:"fixed"`
}

func writeDoctorJSON(a *app, rep db.DoctorReport) error {
	path, err := a.databasePath()
	if err != nil {
		return err
	}
	if a.store != nil && engine.IsURL(path) {
		path = a.store.Location() // the address without any password
	}
	out := struct {
		Healthy  bool          `json:"healthy"`
		Checks   string        `json:"checks"`
		Skipped  []string      `json:"skipped"`
		Database string        `json:"database"`
		Findings []findingJSON `json:"findings"`
		Backup   string        `json:"backup"`
		Repairs  []string      `json:"repairs"`
	}{Healthy: rep.Healthy(), Checks: checksKind(rep), Skipped: append([]string{}, rep.Skipped...), Database: path, Findings: []findingJSON{},
		Backup: rep.Backup, Repairs: append([]string{}, rep.Repairs...)}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, findingJSON{f.Check, f.Severity.String(), f.Message, f.Repair, f.Fixed})
	}
	return writeJSON(a.stdout, out)
}

func writeDoctorTable(a *app, rep db.DoctorReport) error {
	if rep.Backup != "" {
		a.stdout.printf("backup before repairs: %s\n", rep.Backup)
	}
	for _, r := range rep.Repairs {
		a.stdout.printf("repaired: %s\n", textsafe.Line(r))
	}
	if rep.Backup != "" || len(rep.Repairs) > 0 {
		a.stdout.printf("\n")
	}
	tab := newTable(a.stdout, "CHECK", "STATUS", "DETAILS")
	fixable := false
	for _, f := range rep.Findings {
		status := f.Severity.String()
		if f.Fixed {
			status = "fixed"
		}
		msg := textsafe.Line(f.Message)
		if f.Repair != "" {
			msg += " [--fix: " + textsafe.Line(f.Repair) + "]"
			fixable = true
		}
		tab.Row(f.Check, status, msg)
	}
	if err := tab.Flush(); err != nil {
		return err
	}
	if len(rep.Skipped) > 0 {
		a.stdout.printf("\nnot checked (quick look): %s; 'ctitui doctor --full' runs them\n", strings.Join(rep.Skipped, ", "))
	}
	switch {
	case rep.Healthy() && rep.Full:
		a.stdout.printf("\nhealthy (full checks)\n")
	case rep.Healthy():
		a.stdout.printf("\nhealthy (quick checks; 'ctitui doctor --full' runs them all)\n")
	case fixable:
		a.stdout.printf("\nproblems found; 'ctitui doctor --fix' repairs those marked --fix, after a backup\n")
	default:
		a.stdout.printf("\nproblems found\n")
	}
	return nil
}

// checksKind names, for programs, the kind of look a report is from.
func checksKind(rep db.DoctorReport) string {
	if rep.Full {
		return "full"
	}
	return "quick"
}

// doctorProgressAfter is how long doctor works in silence before it says,
// on a terminal, which check it is running.
const doctorProgressAfter = time.Second

// doctorProgress says on stderr, when it is a terminal, which check doctor
// is running, once the look has taken over doctorProgressAfter: one line
// that rewrites itself and is cleared at the end, so that nothing is left
// in the report. A pipe or a file gets nothing.
type doctorProgress struct {
	w       io.Writer
	start   time.Time
	after   time.Duration // doctorProgressAfter, but in tests
	mu      sync.Mutex
	current string
	drawn   bool
	done    chan struct{}
	stopped chan struct{}
}

func (a *app) doctorProgress() *doctorProgress {
	p := &doctorProgress{w: a.stderr, start: time.Now(), after: doctorProgressAfter}
	if f, ok := a.stderr.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	p.done, p.stopped = make(chan struct{}), make(chan struct{})
	return p
}

// begin starts drawing, when stderr is a terminal.
func (p *doctorProgress) begin() *doctorProgress {
	if p.done != nil {
		go p.run()
	}
	return p
}

// show records that check is starting.
func (p *doctorProgress) show(check string) {
	p.mu.Lock()
	p.current = check
	p.mu.Unlock()
}

func (p *doctorProgress) run() {
	defer close(p.stopped)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
		elapsed := time.Since(p.start)
		if elapsed < p.after {
			continue
		}
		p.mu.Lock()
		check := p.current
		p.drawn = true
		p.mu.Unlock()
		// \r and erase-line: the line rewrites itself in place.
		tellf(p.w, "\rdoctor: checking %s… %s\x1b[K", check, personDuration(elapsed))
	}
}

// stop ends the progress line, leaving the terminal as it was.
func (p *doctorProgress) stop() {
	if p.done == nil {
		return
	}
	close(p.done)
	<-p.stopped
	p.done = nil
	if p.drawn {
		tellf(p.w, "\r\x1b[K")
	}
}
