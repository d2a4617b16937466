package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// SQLiteVersion returns the version of the SQLite library compiled into
// ctitui, as sqlite_version() reports it. It asks an in-memory database, so
// that no file is opened or created: it is what the engine in this binary
// says of itself, not a number written down beside it.
func SQLiteVersion(ctx context.Context) (string, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return "", fmt.Errorf("sqlite version: %w", err)
	}
	// Nothing was written; closing an in-memory database cannot lose data.
	defer db.Close() //nolint:errcheck // see above
	var v string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err != nil {
		return "", fmt.Errorf("sqlite version: %w", err)
	}
	return v, nil
}
