package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// SessionSettings returns what a session of s's pool has set: the search
// path, the time zone, the application name and the plan cache mode.
func SessionSettings(ctx context.Context, s *Store) (searchPath, timeZone, app, planCache string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT current_setting('search_path'), current_setting('TimeZone'), current_setting('application_name'),
		current_setting('plan_cache_mode')`).Scan(&searchPath, &timeZone, &app, &planCache)
	return searchPath, timeZone, app, planCache, err
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
