package db

import (
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// DoctorReport is everything Store.Doctor found, after any repairs.
type DoctorReport struct {
	Findings []user.Finding
	Backup   string   // the backup written before repairing
	Repairs  []string // the repairs made
	// Full says that every check ran in full (DoctorOptions.Full); when it
	// is false, Skipped names the checks that only a full run makes, and
	// a healthy report claims only what the quick checks can see.
	Full    bool
	Skipped []string
}

// Healthy reports whether no finding is a problem.
func (r DoctorReport) Healthy() bool { return user.Healthy(r.Findings) }

// DoctorOptions tune Store.Doctor.
type DoctorOptions struct {
	Fix bool // make the safe repairs, after a backup; implies Full
	// Full runs every check in full: the engine's whole integrity check
	// (SQLite's integrity_check instead of its quick_check of each table),
	// the search index's contents, and the email columns recomputed from
	// every address. Without it doctor costs a fraction (1M users on
	// SQLite: seconds, not half a minute).
	Full  bool
	Now   time.Time // stamps the backup and the audit entry
	Actor string    // recorded in the audit entry of a repair
	// Progress, when set, is called as each check starts, with its name.
	Progress func(check string)
}
