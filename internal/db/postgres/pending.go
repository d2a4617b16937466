package postgres

// This file holds the two db.Store methods that other work brings to the
// PostgreSQL engine (Backup in backup.go, Doctor in doctor.go). Until it
// merges, both refuse plainly, changing nothing; the file goes when it does.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ctitui/ctitui/internal/db"
)

// ErrNotAvailableYet reports a command that this build of ctitui cannot yet
// run on a PostgreSQL database. Nothing was read or changed.
var ErrNotAvailableYet = errors.New("is not available for PostgreSQL databases yet")

// Backup implements db.Store: not yet on PostgreSQL (ErrNotAvailableYet).
// Until it is, pg_dump keeps a copy of the database.
func (s *Store) Backup(ctx context.Context, dst string, now time.Time) (string, error) {
	return "", fmt.Errorf("backup of %s %w: nothing was written; use pg_dump meanwhile", s.location, ErrNotAvailableYet)
}

// Doctor implements db.Store: not yet on PostgreSQL (ErrNotAvailableYet).
// 'ctitui audit verify' checks the audit chain meanwhile.
func (s *Store) Doctor(ctx context.Context, opts db.DoctorOptions) (db.DoctorReport, error) {
	return db.DoctorReport{}, fmt.Errorf("doctor of %s %w: nothing was checked or changed; 'ctitui audit verify' checks the audit chain", s.location, ErrNotAvailableYet)
}
