package engine

import "github.com/ctitui/ctitui/internal/db/postgres"

// IsURL reports whether location names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file: only a file
// path has a home directory to expand, a default place, or a file that must
// exist before a command may read it.
func IsURL(location string) bool { return postgres.IsURL(location) }

// CheckLocation refuses a location that must not be used, before anything
// connects: a PostgreSQL URL that holds a password. Its error never repeats
// the location.
func CheckLocation(location string) error {
	if IsURL(location) {
		return postgres.CheckNoPassword(location)
	}
	return nil
}
