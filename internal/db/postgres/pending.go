package postgres

// This file holds the db.Store method that other work brings to the
// PostgreSQL engine (Doctor in doctor.go; Backup is in backup.go). Until it
// merges, it refuses plainly, changing nothing; the file goes when it does.

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctitui/ctitui/internal/db"
)

// ErrNotAvailableYet reports a command that this build of ctitui cannot yet
// run on a PostgreSQL database. Nothing was read or changed.
var ErrNotAvailableYet = errors.New("is not available for PostgreSQL databases yet")

// Doctor implements db.Store: not yet on PostgreSQL (ErrNotAvailableYet).
// 'ctitui audit verify' checks the audit chain meanwhile.
func (s *Store) Doctor(ctx context.Context, opts db.DoctorOptions) (db.DoctorReport, error) {
	return db.DoctorReport{}, fmt.Errorf("doctor of %s %w: nothing was checked or changed; 'ctitui audit verify' checks the audit chain", s.location, ErrNotAvailableYet)
}
