//go:build unix

package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// These benchmarks measure a database built by cmd/benchdb (see
// scripts/bench.sh), named by $CTITUI_BENCH_DB:
//
//	go run ./cmd/benchdb -n 1000000 -o /tmp/bench.db
//	CTITUI_BENCH_DB=/tmp/bench.db go test ./internal/db/sqlite -run '^$' -bench Search
//
// They are skipped when it is unset, so `go test ./...` never pays for them.
// The file is opened with sqlite.Open, as ctitui opens it, and only read.

// benchDBPath returns $CTITUI_BENCH_DB or skips b.
func benchDBPath(b *testing.B) string {
	b.Helper()
	path := os.Getenv("CTITUI_BENCH_DB")
	if path == "" {
		b.Skip("CTITUI_BENCH_DB is unset: build a database with `go run ./cmd/benchdb -n 1000000 -o FILE` and point CTITUI_BENCH_DB at it")
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("CTITUI_BENCH_DB: %v", err)
	}
	return path
}

// benchSearchTerm is one search the benchmarks run: what it stands for, and
// how to find the term in the file.
type benchSearchTerm struct {
	name string
	term string
}

// benchSearchTerms picks the search terms from the file itself, so that they
// mean the same at any size: cmd/benchdb ends user i's local part with i.
func benchSearchTerms(b *testing.B, path string) []benchSearchTerm {
	b.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var email string
	err = raw.QueryRow(`SELECT email FROM users ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM users)`).Scan(&email)
	if err != nil {
		b.Fatalf("pick a user from %s: %v", path, err)
	}
	local := email[:strings.LastIndexByte(email, '@')]
	digits := local[len(strings.TrimRightFunc(local, unicode.IsDigit)):]
	rare := digits + "@"
	if digits == "" {
		rare = email // not a benchdb file: the middle user's whole address
	}
	return []benchSearchTerm{
		// One user: the trigram index finds it, the LIKE confirms it.
		{"rare-user-number", rare},
		// A surname: a few thousand matches spread over the years.
		{"surname", "lindqvist"},
		// Non-ASCII, around 2,000 matches at 1M (searchIndexLimit, where
		// the plans for users out of rowid order switch).
		{"unicode-domain", "équipe-3."},
		// A domain part: ~1.4% of users.
		{"domain-part", "team-7.example"},
		// Every user matches.
		{"common", "example"},
		// Two characters: no trigram, LIKE alone.
		{"two-chars", "ma"},
		// What search-as-you-type passes through on the way to "+123456":
		// thousands of matches, all among the oldest users, so a
		// newest-first walk of the listing reads most of the table before it
		// has a page (the plan used when users are out of rowid order).
		{"skewed-prefix", "+12"},
		// No match: the index answers at once.
		{"no-match", "qxzqxz"},
	}
}

func benchOpen(b *testing.B, path string) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), path, db.Options{Actor: "bench"})
	if err != nil {
		b.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSearch is one `ctitui user list --search TERM --limit 200`
// without the process around it: ListUsers with the search, newest first,
// 200 rows. The target is under 20 ms a search at 1,000,000 users.
func BenchmarkSearch(b *testing.B) {
	path := benchDBPath(b)
	s := benchOpen(b, path)
	ctx := context.Background()
	for _, t := range benchSearchTerms(b, path) {
		b.Run(t.name, func(b *testing.B) {
			opts := user.ListOptions{Filter: user.Filter{Search: t.term, Now: time.Now()}, Limit: 200}
			var n int
			b.ReportAllocs()
			for b.Loop() {
				n = 0
				if err := s.ListUsers(ctx, opts, func(user.User) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "rows")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
		})
	}
}

// BenchmarkSearchCount is the count the terminal UI asks for beside every
// search ("1,234 users of 1,000,000"): CountUsers with the search.
func BenchmarkSearchCount(b *testing.B) {
	path := benchDBPath(b)
	s := benchOpen(b, path)
	ctx := context.Background()
	for _, t := range benchSearchTerms(b, path) {
		b.Run(t.name, func(b *testing.B) {
			f := user.Filter{Search: t.term, Now: time.Now()}
			var n int
			for b.Loop() {
				var err error
				if n, err = s.CountUsers(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "matches")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/count")
		})
	}
}

// BenchmarkListAll streams every user, as `ctitui user list` does before it
// formats them: the database's share of a full listing.
func BenchmarkListAll(b *testing.B) {
	s := benchOpen(b, benchDBPath(b))
	ctx := context.Background()
	var n int
	for b.Loop() {
		n = 0
		if err := s.ListUsers(ctx, user.ListOptions{}, func(user.User) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "rows")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(n, 1)), "ns/row")
}

// BenchmarkOpen is what every command pays before it does anything: sqlite.Open
// on an up-to-date file (probe, migrations check, audit seal check) and Close.
func BenchmarkOpen(b *testing.B) {
	path := benchDBPath(b)
	ctx := context.Background()
	for b.Loop() {
		s, err := sqlite.Open(ctx, path, db.Options{Actor: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Migrations(ctx); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// benchCPUTime is the CPU time (user and system) the process has used.
func benchCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHashAllCores is the yardstick of `ctitui user import` with
// plaintext passwords: argon2id with password.DefaultParams, hashed by
// GOMAXPROCS workers at once, no database at all. Its ns/op is the wall time
// per hash with every core busy, so N hashes take N × ns/op; the metric
// s/10k-hashes says so for the 10,000-user import of scripts/bench.sh. It
// needs no database file.
func BenchmarkHashAllCores(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	workers := runtime.GOMAXPROCS(0)
	b.SetParallelism(1) // RunParallel starts GOMAXPROCS goroutines
	var mu sync.Mutex
	var lat []time.Duration
	cpu0 := benchCPUTime()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			if _, err := h.Hash("correct horse battery staple"); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	cpu := benchCPUTime() - cpu0
	perHash := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perHash*10000, "s/10k-hashes")
	// CPU time does not count the waits for a core that other processes
	// cause: on a shared machine it is the steadier yardstick.
	b.ReportMetric(cpu.Seconds()/float64(b.N)*10000, "cpu-s/10k-hashes")
	b.ReportMetric(float64(workers), "workers")
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms/hash-one-core")
	}
}

// BenchmarkSearchAsYouType runs the listing's search for every prefix of a
// few terms, as the terminal UI does while they are typed: each keystroke
// is one such search (and one count, see BenchmarkSearchCount).
func BenchmarkSearchAsYouType(b *testing.B) {
	s := benchOpen(b, benchDBPath(b))
	ctx := context.Background()
	for _, term := range []string{"lindqvist", "équipe-3.", "+123456"} {
		r := []rune(term)
		for i := 1; i <= len(r); i++ {
			prefix := string(r[:i])
			b.Run(strings.ReplaceAll(prefix, "/", "_"), func(b *testing.B) {
				opts := user.ListOptions{Filter: user.Filter{Search: prefix, Now: time.Now()}, Limit: 200}
				var n int
				for b.Loop() {
					n = 0
					if err := s.ListUsers(ctx, opts, func(user.User) error { n++; return nil }); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "rows")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
			})
		}
	}
}

// BenchmarkSearchIndexPlan measures the plan searchCondition keeps for
// terms with at most searchIndexLimit (2,000) matches — the trigram index
// gives the matching rowids, LIKE confirms them, and the few rows are
// sorted — on terms with more matches, for which ListUsers walks the
// listing's index instead. It runs the statement ListUsers would run for
// that plan, through a plain connection: what raising the limit would cost.
func BenchmarkSearchIndexPlan(b *testing.B) {
	path := benchDBPath(b)
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	raw.SetMaxOpenConns(1)
	const q = `SELECT u.id, u.email, '', u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
	u.failed_logins, u.locked_until,
	COALESCE((SELECT group_concat(r.name, ',') FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), '')
FROM users u WHERE u.rowid IN (SELECT rowid FROM users_email_search WHERE users_email_search MATCH ?) AND u.email_normalized LIKE ? ESCAPE '\'
ORDER BY u.created_at DESC, u.id DESC LIMIT 200`
	for _, t := range benchSearchTerms(b, path) {
		if len([]rune(t.term)) < 3 {
			continue
		}
		b.Run(t.name, func(b *testing.B) {
			term := user.NormalizeEmail(t.term)
			match := `"` + strings.ReplaceAll(term, `"`, `""`) + `"`
			like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term) + "%"
			var matches int
			if err := raw.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM users_email_search WHERE users_email_search MATCH ? LIMIT 100001)`, match).Scan(&matches); err != nil {
				b.Fatal(err)
			}
			if matches > 100000 {
				b.Skipf("%q has over 100,000 matches: this plan is not a candidate", t.term)
			}
			var n int
			for b.Loop() {
				rows, err := raw.Query(q, match, like)
				if err != nil {
					b.Fatal(err)
				}
				n = 0
				for rows.Next() {
					n++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close() //nolint:sqlclosecheck // in the loop: a defer would keep every iteration's rows open
			}
			b.ReportMetric(float64(n), "rows")
			b.ReportMetric(float64(matches), "matches")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
		})
	}
}
