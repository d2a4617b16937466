package db

import "time"

// MigrationStatus is one migration this binary knows and whether the
// database has it.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}
