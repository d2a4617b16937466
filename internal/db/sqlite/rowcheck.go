package sqlite

import (
	"fmt"
	"time"
)

// The values ctitui writes in a user row are few: counts from zero up, and
// times in user.TimeLayout. Anything else was written by another tool, by
// hand, or by someone who wanted a weaker lockout. The Go reader
// (readLockout) and the SQL conditions here (the listing's status filters,
// doctor) judge them alike; FuzzCanonicalTimeSQL holds the two to that.

// canonicalTimeSQL is an SQL condition that holds when col is a time in
// user.TimeLayout, exactly as ctitui writes it: text of that shape, with a
// month, an hour and a day that exist. The shape and the fields are string
// comparisons; only a day from 29 on, which depends on the month and the
// year, asks SQLite's strftime, which refuses what is no time and moves a
// day that does not exist (Feb 30) to one that does, so that the text would
// not come back unchanged. strftime on every value made doctor's scan of
// 200,000 users 2.2 s against 1.3 s (medians of five, two busy cores; see
// BenchmarkCheckUserValues).
func canonicalTimeSQL(col string) string {
	return fmt.Sprintf(`(typeof(%[1]s) = 'text'`+
		` AND %[1]s GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'`+
		` AND substr(%[1]s, 6, 2) BETWEEN '01' AND '12' AND substr(%[1]s, 12, 2) <= '23'`+
		` AND (substr(%[1]s, 9, 2) BETWEEN '01' AND '28' OR strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %[1]s) IS %[1]s))`, col)
}

// badNullTimeSQL holds when col is neither NULL nor a time in ctitui's form.
func badNullTimeSQL(col string) string {
	return fmt.Sprintf(`(%s IS NOT NULL AND NOT %s)`, col, canonicalTimeSQL(col))
}

// badTimeSQL holds when col is not a time in ctitui's form, NULL included.
func badTimeSQL(col string) string {
	return fmt.Sprintf(`(%s IS NULL OR NOT %s)`, col, canonicalTimeSQL(col))
}

// badLockoutSQL holds for a user u whose failed_logins or locked_until is
// a value ctitui never writes: what readLockout reads as a count of -1.
var badLockoutSQL = `(typeof(u.failed_logins) <> 'integer' OR u.failed_logins < 0 OR ` + badNullTimeSQL("u.locked_until") + `)`

// readLockout reads a user's failed_logins and locked_until, which ctitui
// writes as a count from zero up and a time in user.TimeLayout or NULL. It
// fails closed: other values were set outside ctitui, perhaps to buy
// guesses (a count of -1000000 is a million failures before the cap), and a
// negative count, kept as it is, or -1 for a value that is no count or no
// time, is what user.User.NeedsAdminUnlock takes as locked until an admin
// unlocks it. Refusing the row, as for a timestamp that is no time, would
// stop every listing at it and leave 'user unlock', which must read the row
// to clear it, unable to; doctor names such rows (checkUserValues).
func readLockout(failed, lockedUntil any) (count int, until time.Time) {
	n, ok := failed.(int64)
	if !ok || int64(int(n)) != n { // the second: a 32-bit int
		return -1, time.Time{}
	}
	if lockedUntil == nil {
		return int(n), time.Time{}
	}
	// A blob is no time, whatever its bytes: the SQL, which compares
	// types, says so too.
	s, ok := lockedUntil.(string)
	if !ok {
		return -1, time.Time{}
	}
	t, ok := parseCanonicalTime(s)
	if !ok {
		return -1, time.Time{}
	}
	return int(n), t
}
