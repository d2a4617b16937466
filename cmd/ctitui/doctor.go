package main

import (
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// errUnhealthy makes doctor exit 1 after printing its report.
var errUnhealthy = errors.New("doctor found problems")

func (a *app) doctorCommand() *cobra.Command {
	var fix bool
	cmd := &cobra.Command{
		Use:   "doctor [--fix] [--format table|json]",
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

It only reads: the file is opened read-only and left as it was. With --fix it
writes a backup, then makes only safe repairs (tighten permissions, remove
triggers and views ctitui did not create, recreate missing indexes, triggers
and columns, recompute the derived email columns, rebuild the search index,
renumber the users into order, re-seed the roles), records them in the audit
log, and checks again. It never deletes or rewrites users or audit entries;
what it cannot repair, it names with the command that can.`,
		Example: `  ctitui doctor
  ctitui doctor --fix
  ctitui doctor --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd, reportFormats)
	cmd.Flags().BoolVar(&fix, "fix", false, "make the safe repairs, after a backup")
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
		case err != nil:
			return err
		default:
			// The storage, then the accounts: the accounts are judged as
			// they are after any repair.
			rep, err = a.store.Doctor(cmd.Context(), db.DoctorOptions{Fix: fix, Now: time.Now(), Actor: user.CurrentOSUser()})
			if err != nil {
				return err
			}
			accounts, err := svc.Checkup(cmd.Context())
			if err != nil {
				return err
			}
			rep.Findings = append(rep.Findings, accounts...)
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
	out := struct {
		Healthy  bool          `json:"healthy"`
		Database string        `json:"database"`
		Findings []findingJSON `json:"findings"`
		Backup   string        `json:"backup"`
		Repairs  []string      `json:"repairs"`
	}{Healthy: rep.Healthy(), Database: path, Findings: []findingJSON{}, Backup: rep.Backup, Repairs: append([]string{}, rep.Repairs...)}
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
	switch {
	case rep.Healthy():
		a.stdout.printf("\nhealthy\n")
	case fixable:
		a.stdout.printf("\nproblems found; 'ctitui doctor --fix' repairs those marked --fix, after a backup\n")
	default:
		a.stdout.printf("\nproblems found\n")
	}
	return nil
}
