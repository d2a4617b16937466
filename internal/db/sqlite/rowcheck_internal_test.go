package sqlite

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// lockoutTable opens a table with the lockout columns of users, declared
// alike, so that SQLite's type affinity turns what is written into what a
// users row would hold.
func lockoutTable(t testing.TB) *sql.DB {
	t.Helper()
	// In memory, on one connection that stays open: the fuzzer writes a
	// row per input.
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetMaxOpenConns(1)
	raw.SetConnMaxLifetime(0)
	if _, err := raw.Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT)`); err != nil {
		t.Fatal(err)
	}
	return raw
}

// FuzzLockoutSQL: readLockout, which the store reads users with, and
// badLockoutSQL, which the status filters and doctor judge them with, agree
// on every failed_logins and locked_until a row can hold: a count below
// zero exactly when the SQL calls the values ones ctitui never writes. kind
// chooses how failed is written (its two low bits: as text, which the
// column's affinity may turn into a number, as a blob, as a real or as an
// integer) and whether until is written as a blob (the next bit).
func FuzzLockoutSQL(f *testing.F) {
	for _, seed := range []struct {
		kind          byte
		failed, until string
		locked        bool
	}{
		{3, "0", "", false}, {3, "4", "2026-01-02T03:04:05.678Z", true}, {3, "-1000000", "", false},
		{3, "9223372036854775807", "", false}, {0, "abc", "", false}, {0, "5", "", false}, {0, " 5", "", false},
		{1, "\x00", "", false}, {2, "1.5", "", false}, {2, "2", "", false}, {3, "0", "garbage", true},
		{3, "0", "2025-02-29T00:00:00.000Z", true}, {3, "0", "2024-02-29T23:59:59.999Z", true},
		{3, "0", "2026-01-02T24:00:00.000Z", true}, {3, "0", "2026-01-02T23:59:60.000Z", true},
		{3, "0", "2026-01-02 03:04:05.678Z", true}, {3, "0", "2026-01-02t03:04:05.678z", true},
		{3, "0", "0000-01-01T00:00:00.000Z", true}, {3, "0", " 2026-01-02T03:04:05.678Z", true},
		{3, "0", "2026-01-02T03:04:05.678+00:00", true}, {3, "0", "", true}, {3, "0", "1700000000", true},
		{7, "0", "2026-01-02T03:04:05.678Z", true}, {4, "1", "garbage", true},
	} {
		f.Add(seed.kind, seed.failed, seed.until, seed.locked)
	}
	raw := lockoutTable(f)
	f.Fuzz(func(t *testing.T, kind byte, failed, until string, locked bool) {
		var value any = failed
		switch kind % 4 {
		case 1:
			value = []byte(failed)
		case 2:
			n, err := strconv.ParseFloat(failed, 64)
			if err != nil {
				t.Skip()
			}
			value = n
		case 3:
			n, err := strconv.ParseInt(failed, 10, 64)
			if err != nil {
				t.Skip()
			}
			value = n
		}
		var lock any
		switch {
		case !locked:
		case kind/4%2 == 1:
			lock = []byte(until)
		default:
			lock = until
		}
		if _, err := raw.Exec(`INSERT OR REPLACE INTO users (id, failed_logins, locked_until) VALUES (1, ?, ?)`, value, lock); err != nil {
			t.Fatal(err)
		}
		var (
			stored, lu any
			bad        bool
		)
		if err := raw.QueryRow(`SELECT u.failed_logins, u.locked_until, `+badLockoutSQL+` FROM users u`).Scan(&stored, &lu, &bad); err != nil {
			t.Fatal(err)
		}
		count, readUntil := readLockout(stored, lu)
		if (count < 0) != bad {
			t.Errorf("failed_logins %#v, locked_until %v: readLockout = %d, %v; SQL says ctitui never writes them: %v", stored, lu, count, readUntil, bad)
		}
		if lu != nil && count >= 0 {
			if s, ok := lu.(string); !ok || !inCanonicalForm(s) {
				t.Errorf("locked_until %#v read as %v though it is not in ctitui's form", lu, readUntil)
			}
		}
	})
}

func inCanonicalForm(s string) bool {
	_, ok := parseCanonicalTime(s)
	return ok
}

// TestCanonicalTimeSQLAgreesWithGo: canonicalTimeSQL holds exactly for the
// times parseCanonicalTime reads, at the edges of each field.
func TestCanonicalTimeSQLAgreesWithGo(t *testing.T) {
	raw := lockoutTable(t)
	for _, s := range []string{
		"2026-01-02T03:04:05.678Z", "2024-02-29T00:00:00.000Z", "2025-02-29T00:00:00.000Z", "2026-04-31T00:00:00.000Z",
		"2026-12-31T23:59:59.999Z", "2026-13-01T00:00:00.000Z", "2026-00-01T00:00:00.000Z", "2026-01-00T00:00:00.000Z",
		"2026-01-01T24:00:00.000Z", "2026-01-01T23:60:00.000Z", "2026-01-01T23:59:60.000Z", "0000-01-01T00:00:00.000Z",
		"9999-12-31T23:59:59.999Z", "2026-01-01T00:00:00.00Z", "2026-01-01T00:00:00.0000Z", "2026-01-01T00:00:00Z",
		"2026-01-01 00:00:00.000Z", "2026-01-01T00:00:00.000", "+026-01-01T00:00:00.000Z", "-026-01-01T00:00:00.000Z",
		"２０２６-01-01T00:00:00.000Z", "", "garbage", "2026-01-28T00:00:00.000Z", "2026-01-29T00:00:00.000Z",
		"2026-01-31T00:00:00.000Z", "2026-01-32T00:00:00.000Z", "2026-01-39T00:00:00.000Z", "2026-02-28T23:59:59.999Z",
		"2026-19-01T00:00:00.000Z", "2026-10-01T29:00:00.000Z", "2026-10-01T20:00:00.000Z", "2100-02-29T00:00:00.000Z",
		"2000-02-29T00:00:00.000Z", "2026-06-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z\n", "2026-01-01T00:00:00.000ZZ",
	} {
		var sqlSays bool
		if err := raw.QueryRow(`SELECT `+canonicalTimeSQL("v")+` FROM (SELECT ? AS v)`, s).Scan(&sqlSays); err != nil {
			t.Fatal(err)
		}
		if _, goSays := parseCanonicalTime(s); goSays != sqlSays {
			t.Errorf("%q: parseCanonicalTime ok = %v, canonicalTimeSQL = %v; want them equal", s, goSays, sqlSays)
		}
	}
}

// BenchmarkCheckUserValues measures doctor's scan of the user values on
// the database $CTITUI_BENCH_DB names (see bench_test.go), per user.
func BenchmarkCheckUserValues(b *testing.B) {
	path := os.Getenv("CTITUI_BENCH_DB")
	if path == "" {
		b.Skip("CTITUI_BENCH_DB is unset: build a database with `go run ./cmd/benchdb -n 1000000 -o FILE` and point CTITUI_BENCH_DB at it")
	}
	ctx := context.Background()
	s, err := OpenReadOnly(ctx, path, db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var users int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		found, err := s.checkUserValues(ctx, db.DoctorOptions{})
		if err != nil || len(found) != 1 || found[0].Severity != user.SeverityOK {
			b.Fatalf("checkUserValues = %+v, %v; want one ok finding", found, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(users), "ns/user")
}
