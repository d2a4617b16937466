package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// SessionSettings returns what a session of s's pool has set: the search
// path, the time zone and the application name.
func SessionSettings(ctx context.Context, s *Store) (searchPath, timeZone, app string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT current_setting('search_path'), current_setting('TimeZone'), current_setting('application_name')`).
		Scan(&searchPath, &timeZone, &app)
	return searchPath, timeZone, app, err
}

// WriterLockKey is the advisory lock every write transaction takes.
const WriterLockKey = writerLockKey

// LocationOf is the Location a Store on connString would have.
func LocationOf(connString string) (string, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "", err
	}
	return location(cfg), nil
}
