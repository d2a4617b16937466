package postgres

import "context"

// SessionSettings returns what a session of s's pool has set: the search
// path, the time zone and the application name.
func SessionSettings(ctx context.Context, s *Store) (searchPath, timeZone, app string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT current_setting('search_path'), current_setting('TimeZone'), current_setting('application_name')`).
		Scan(&searchPath, &timeZone, &app)
	return searchPath, timeZone, app, err
}

// WriterLockKey is the advisory lock every write transaction takes.
const WriterLockKey = writerLockKey
