package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
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
		Long: `doctor checks SQLite's integrity and foreign keys, the schema against what the
embedded migrations create, the email search index, the permissions of the
database and its directory, the seeded roles, password hashes with outdated
parameters, disabled admins, locked users and the audit chain.

With --fix it writes a backup, then makes only safe repairs (tighten
permissions, recreate missing indexes and triggers, add missing columns,
rebuild the search index, re-seed the roles), records them in the audit log,
and checks again. It never deletes or rewrites users or audit entries.`,
		Example: `  ctitui doctor
  ctitui doctor --fix
  ctitui doctor --format json`,
		Args: cobra.NoArgs,
	}
	getFormat := formatFlag(cmd)
	cmd.Flags().BoolVar(&fix, "fix", false, "make the safe repairs, after a backup")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := getFormat()
		if err != nil {
			return err
		}
		if f == formatCSV {
			return usagef("doctor prints table or json")
		}
		// A look is read-only, so that a copy kept as evidence stays as it
		// is; --fix opens to write, which first removes (after a backup) the
		// triggers and views ctitui did not create.
		var (
			rep   db.DoctorReport
			store *db.Store
		)
		if fix {
			a.dropUnknown = true
			store, err = a.open(cmd.Context())
		} else {
			store, err = a.openReadOnly(cmd.Context())
		}
		switch {
		case errors.Is(err, db.ErrSchemaTooOld) || errors.Is(err, db.ErrCannotAdopt):
			// Nothing else can be checked before the file is migrated.
			rep.Findings = []db.Finding{{Check: "schema", Severity: db.SeverityProblem, Message: err.Error()}}
		case err != nil:
			return err
		default:
			rep, err = store.Doctor(cmd.Context(), db.DoctorOptions{Fix: fix, Now: time.Now(), Actor: user.CurrentOSUser(), Hash: a.hash})
			if err != nil {
				return err
			}
			if dropped := store.DroppedAtOpen(); len(dropped) > 0 {
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

type findingJSON struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Repair  string `json:"repair,omitempty"`
	Fixed   bool   `json:"fixed,omitempty"`
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
		Backup   string        `json:"backup,omitempty"`
		Repairs  []string      `json:"repairs,omitempty"`
	}{Healthy: rep.Healthy(), Database: path, Backup: rep.Backup, Repairs: rep.Repairs}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, findingJSON{f.Check, f.Severity.String(), f.Message, f.Repair, f.Fixed})
	}
	return writeJSON(a.stdout, out)
}

func writeDoctorTable(a *app, rep db.DoctorReport) error {
	if rep.Backup != "" {
		fmt.Fprintf(a.stdout, "backup before repairs: %s\n", rep.Backup)
	}
	for _, r := range rep.Repairs {
		fmt.Fprintf(a.stdout, "repaired: %s\n", textsafe.Line(r))
	}
	if rep.Backup != "" || len(rep.Repairs) > 0 {
		fmt.Fprintln(a.stdout)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAILS")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Check, status, msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case rep.Healthy():
		fmt.Fprintln(a.stdout, "\nhealthy")
	case fixable:
		fmt.Fprintln(a.stdout, "\nproblems found; 'ctitui doctor --fix' repairs those marked --fix, after a backup")
	default:
		fmt.Fprintln(a.stdout, "\nproblems found")
	}
	return nil
}
