package sqlite

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
	if t, ok := parseCanonicalTime(s); ok {
		return t, nil
	}
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

// parseCanonicalTime reads s in user.TimeLayout, the form ctitui writes,
// without time.Parse: a listing reads several timestamps per user, and
// time.Parse walking its layout was a tenth of a listing's time. It accepts
// only what time.Parse(user.TimeLayout, s) accepts and returns the same time
// (the fuzz test holds it to that); anything else, ok is false and the caller
// falls back to time.Parse.
func parseCanonicalTime(s string) (t time.Time, ok bool) {
	// 2006-01-02T15:04:05.000Z
	// 0123456789012345678901234
	if len(s) != len(user.TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' {
		return time.Time{}, false
	}
	year, ok1 := atoiFixed(s[0:4])
	month, ok2 := atoiFixed(s[5:7])
	day, ok3 := atoiFixed(s[8:10])
	hour, ok4 := atoiFixed(s[11:13])
	minute, ok5 := atoiFixed(s[14:16])
	sec, ok6 := atoiFixed(s[17:19])
	milli, ok7 := atoiFixed(s[20:23])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, milli*1e6, time.UTC), true
}

// atoiFixed reads s, which must be all ASCII digits.
func atoiFixed(s string) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days in month of year, proleptic Gregorian as
// time.Parse checks it.
func daysIn(month time.Month, year int) int {
	if month == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + int((month+month/8)%2)
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
