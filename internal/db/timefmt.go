package db

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// legacyTimeLayouts are the forms timestamps take in databases ctitui did not
// write: SQLite's CURRENT_TIMESTAMP, Python's isoformat and str(datetime),
// PostgreSQL text dumps, RFC 3339. A time without a zone is taken as UTC, as
// CURRENT_TIMESTAMP and datetime.utcnow() write them.
var legacyTimeLayouts = []string{
	user.TimeLayout,
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTime reads a stored timestamp: ctitui's own layout first, then the
// legacy forms, then Unix seconds.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(user.TimeLayout, s); err == nil {
		return t, nil
	}
	for _, layout := range legacyTimeLayouts[1:] {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil && secs > 0 && secs < 1e11 {
		return time.Unix(secs, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", s)
}

// parseNullTime reads a timestamp that may be NULL or empty.
func parseNullTime(s *string) (time.Time, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return time.Time{}, nil
	}
	return parseTime(*s)
}

// nullTime formats t for storage, NULL when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return user.FormatTime(t)
}
