package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// The reports of settings, migrate status and audit verify, for people and
// as JSON; docs/json.md describes each JSON object.

// settingsJSON is the settings object.
type settingsJSON struct {
	LockoutThreshold int `json:"lockout_threshold"`
	LockoutMinutes   int `json:"lockout_minutes"`
}

// writeSettings prints the settings in force.
func (a *app) writeSettings(f format, p user.LockoutPolicy) error {
	minutes := int(p.Duration / time.Minute)
	if f == formatJSON {
		return writeJSON(a.stdout, settingsJSON{LockoutThreshold: p.Threshold, LockoutMinutes: minutes})
	}
	a.stdout.printf("lockout-threshold: %s\nlockout-minutes: %d\n", plural(p.Threshold, "failed login"), minutes)
	return nil
}

// migrationStatusJSON is the migration status object.
type migrationStatusJSON struct {
	Database      string          `json:"database"`
	SchemaVersion int64           `json:"schema_version"`
	LatestVersion int64           `json:"latest_version"`
	Migrations    []migrationJSON `json:"migrations"`
}

type migrationJSON struct {
	Version   int64   `json:"version"`
	Name      string  `json:"name"`
	Applied   bool    `json:"applied"`
	AppliedAt *string `json:"applied_at"` // null while pending
}

// writeMigrationStatus prints every migration this binary knows for
// store's engine (status) and whether store's database has it.
func (a *app) writeMigrationStatus(f format, store db.Store, status []db.MigrationStatus) error {
	path, version := store.Location(), store.SchemaVersion()
	if f == formatJSON {
		out := migrationStatusJSON{Database: path, SchemaVersion: version, LatestVersion: store.LatestVersion(), Migrations: []migrationJSON{}}
		for _, m := range status {
			j := migrationJSON{Version: m.Version, Name: m.Name, Applied: m.Applied}
			if m.Applied {
				at := programTime(m.AppliedAt)
				j.AppliedAt = &at
			}
			out.Migrations = append(out.Migrations, j)
		}
		return writeJSON(a.stdout, out)
	}
	a.stdout.printf("database: %s\nschema version: %d (this ctitui knows up to %d)\n\n", textsafe.Line(path), version, store.LatestVersion())
	tab := newTable(a.stdout, "VERSION", "MIGRATION", "APPLIED")
	for _, m := range status {
		applied := "pending"
		if m.Applied {
			applied = personTime(m.AppliedAt)
		}
		tab.Row(fmt.Sprint(m.Version), m.Name, applied)
	}
	return tab.Flush()
}

// chainJSON is the audit chain object: what audit verify found.
type chainJSON struct {
	OK      bool   `json:"ok"`
	Entries int    `json:"entries"`
	HeadID  *int64 `json:"head_id"`   // null when the log is empty
	Head    string `json:"head_hash"` // "" when the log is empty
	// BrokenAt is the first entry that fails; null when none does.
	BrokenAt      *int64      `json:"broken_at"`
	BrokenEntries int         `json:"broken_entries"`
	Problem       string      `json:"problem"`
	EndProblem    string      `json:"end_problem"`
	Message       string      `json:"message"`
	Anchor        *anchorJSON `json:"anchor"` // null without --anchor
	// Restarts are the restart entries that hold, oldest first; never null.
	Restarts []restartEntryJSON `json:"restarts"`
}

// restartEntryJSON is a restart of the chain as audit verify reports it.
type restartEntryJSON struct {
	ID      int64  `json:"id"`
	At      string `json:"at"`
	Actor   string `json:"actor"`
	Details string `json:"details"`
}

type anchorJSON struct {
	Anchor  string `json:"anchor"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem"`
}

// writeChainJSON prints rep and the anchor check (anchorErr, when anchor
// was given) as the audit chain object, and returns the error that makes
// verify exit 1 when either failed.
func (a *app) writeChainJSON(rep db.ChainReport, anchor string, anchorErr error) error {
	out := chainJSON{OK: rep.OK() && anchorErr == nil, Entries: rep.Rows, BrokenEntries: rep.Broken, Problem: rep.Problem,
		EndProblem: rep.EndProblem, Message: rep.String(), Restarts: []restartEntryJSON{}}
	for _, r := range rep.Restarts {
		out.Restarts = append(out.Restarts, restartEntryJSON{ID: r.ID, At: r.At, Actor: r.Actor, Details: r.Details})
	}
	if rep.Rows > 0 {
		out.HeadID, out.Head = &rep.HeadID, rep.HeadHash
	}
	if rep.BrokenAt != 0 {
		out.BrokenAt = &rep.BrokenAt
	}
	if anchor != "" {
		out.Anchor = &anchorJSON{Anchor: anchor, OK: anchorErr == nil}
		if anchorErr != nil {
			out.Anchor.Problem = anchorErr.Error()
		}
	}
	if err := writeJSON(a.stdout, out); err != nil {
		return err
	}
	switch {
	case !rep.OK():
		return errors.New(rep.String())
	case anchorErr != nil:
		return anchorErr
	}
	return nil
}
