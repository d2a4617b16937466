package ui

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// These benchmarks drive the Model over a real database built by
// cmd/benchdb (see scripts/bench.sh), named by $CTITUI_BENCH_DB, and are
// skipped when it is unset:
//
//	go run ./cmd/benchdb -n 1000000 -o /tmp/bench.db
//	CTITUI_BENCH_DB=/tmp/bench.db go test ./internal/ui -run '^$' -bench TUI
//
// Unlike the tests' harness, which runs each command to its end in turn,
// benchProgram runs commands concurrently as tea.Program does, and feeds
// their messages to Update on one goroutine; a benchmark waits until the
// model has what a person would be waiting for. Timers are off (no data
// version polling, status messages never expire), so every command running
// is a database read.
//
// Targets at 1,000,000 users: first frame under 100 ms; a cursor move and a
// search keystroke under 16 ms each; peak RSS under 64 MB.

const (
	benchWidth, benchHeight = 120, 40
	benchWait               = 2 * time.Minute
)

func benchStore(b *testing.B) (*sqlite.Store, string) {
	b.Helper()
	path := os.Getenv("CTITUI_BENCH_DB")
	if path == "" {
		b.Skip("CTITUI_BENCH_DB is unset: build a database with `go run ./cmd/benchdb -n 1000000 -o FILE` and point CTITUI_BENCH_DB at it")
	}
	store, err := sqlite.Open(context.Background(), path, db.Options{Actor: "bench"})
	if err != nil {
		b.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	b.Cleanup(func() { store.Close() })
	return store, path
}

// benchResult is what a command returned.
type benchResult struct{ msg tea.Msg }

// benchProgram runs a Model the way tea.Program does, without a terminal.
type benchProgram struct {
	b        *testing.B
	m        *Model
	results  chan benchResult
	inflight int
}

func newBenchProgram(b *testing.B, svc *user.Service, path string) *benchProgram {
	m := New(svc, Options{
		DBPath:        path,
		SchemaVersion: sqlite.LatestVersion(),
		StatusTimeout: -1, // no timers
	})
	return &benchProgram{b: b, m: m, results: make(chan benchResult, 64)}
}

var cmdSliceType = reflect.TypeOf([]tea.Cmd(nil))

// start runs cmd on its own goroutine.
func (p *benchProgram) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	p.inflight++
	go func() { p.results <- benchResult{cmd()} }()
}

// send gives msg to the model and starts what it returns.
func (p *benchProgram) send(msg tea.Msg) {
	_, cmd := p.m.Update(msg)
	p.start(cmd)
}

// handle takes one command's message.
func (p *benchProgram) handle(r benchResult) {
	p.inflight--
	switch msg := r.msg.(type) {
	case nil, tea.QuitMsg, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			p.start(c)
		}
	default:
		// tea.Sequence's message is an unexported []tea.Cmd.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().ConvertibleTo(cmdSliceType) {
			for _, c := range v.Convert(cmdSliceType).Interface().([]tea.Cmd) {
				p.start(c)
			}
			return
		}
		p.send(msg)
	}
}

// until feeds messages to the model until done reports true.
func (p *benchProgram) until(what string, done func() bool) {
	deadline := time.After(benchWait)
	for !done() {
		if p.inflight == 0 {
			p.b.Fatalf("waiting for %s: nothing left running", what)
		}
		select {
		case r := <-p.results:
			p.handle(r)
		case <-deadline:
			p.b.Fatalf("waiting for %s: still not there after %s", what, benchWait)
		}
	}
}

// settle waits until no command is running.
func (p *benchProgram) settle() { p.until("every command", func() bool { return p.inflight == 0 }) }

// shown reports whether the list shows rows of the listing asked for.
func (p *benchProgram) shown() bool { return !p.m.list.loading && len(p.m.list.rows) > 0 }

func benchKey(s string) tea.KeyMsg {
	switch s {
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// latencies collects one duration per operation and reports percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B, unit string) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	b.ReportMetric(ms(sum/time.Duration(len(s))), "ms/"+unit)
	b.ReportMetric(ms(s[len(s)/2]), "p50-ms/"+unit)
	b.ReportMetric(ms(s[min(len(s)-1, len(s)*99/100)]), "p99-ms/"+unit)
	b.ReportMetric(ms(s[len(s)-1]), "max-ms/"+unit)
}

// startList opens the program and waits for its first window of rows.
func startList(p *benchProgram) {
	p.start(p.m.Init())
	p.send(tea.WindowSizeMsg{Width: benchWidth, Height: benchHeight})
	p.until("the first rows", p.shown)
	_ = p.m.View()
}

// BenchmarkTUIFirstFrame is the time from ui.New to the first screen with
// rows on it: New, Init's commands, the window size, the first page, View.
// The count in the title ("1,000,000 users") comes by itself later; its
// time is reported as ms/counted.
func BenchmarkTUIFirstFrame(b *testing.B) {
	store, path := benchStore(b)
	svc := user.NewService(store, user.WithActor("bench"))
	var frame, counted latencies
	for i := 0; i < b.N; i++ {
		t := time.Now()
		p := newBenchProgram(b, svc, path)
		startList(p)
		frame = append(frame, time.Since(t))
		b.StopTimer()
		p.settle()
		counted = append(counted, time.Since(t))
		if !strings.Contains(firstLine(p.m.View()), "users") {
			b.Fatalf("no count in the title after settling: %q", firstLine(p.m.View()))
		}
		b.StartTimer()
	}
	frame.report(b, "frame")
	counted.report(b, "counted")
}

// BenchmarkTUICursorMove is one 'j' (or PgDn) down the list of every user:
// Update, the fetches it starts when the cursor nears the window's edge,
// and View. The window slides down through the listing as b.N grows.
func BenchmarkTUICursorMove(b *testing.B) {
	store, path := benchStore(b)
	svc := user.NewService(store, user.WithActor("bench"))
	for _, k := range []string{"j", "pgdown"} {
		b.Run(k, func(b *testing.B) {
			p := newBenchProgram(b, svc, path)
			startList(p)
			p.settle()
			key := benchKey(k)
			var lat latencies
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := time.Now()
				p.send(key)
				p.settle()
				_ = p.m.View()
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			if p.m.list.cursor == 0 && b.N > 1 {
				b.Fatalf("the cursor did not move")
			}
			lat.report(b, "move")
		})
	}
}

// BenchmarkTUISearchKeystroke types search terms one character at a time:
// each op is one keystroke, timed from Update until the screen shows the
// first page of the new results (View included): ms/key. What follows
// unseen, the count of matches in the title, is timed to the end as
// ms/counted, and is not part of ns/op.
func BenchmarkTUISearchKeystroke(b *testing.B) {
	store, path := benchStore(b)
	svc := user.NewService(store, user.WithActor("bench"))
	for _, term := range []struct{ name, text string }{
		{"surname", "lindqvist"},
		{"rare-user-number", benchRareTerm(b, path)},
		{"unicode-domain", "équipe-3."},
		{"skewed-prefix", "+123456"},
	} {
		b.Run(term.name, func(b *testing.B) {
			p := newBenchProgram(b, svc, path)
			startList(p)
			p.settle()
			runes := []rune(term.text)
			next := len(runes) // start a new search first
			var keys, counted latencies
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if next == len(runes) {
					b.StopTimer()
					p.send(benchKey("esc"))
					p.send(benchKey("esc"))
					p.settle()
					p.send(benchKey("/"))
					p.settle()
					if !p.m.list.searching {
						b.Fatal("/ did not start a search")
					}
					next = 0
					b.StartTimer()
				}
				t := time.Now()
				p.send(benchKey(string(runes[next])))
				p.until("the search results", func() bool { return !p.m.list.loading })
				_ = p.m.View()
				keys = append(keys, time.Since(t))
				b.StopTimer()
				p.settle()
				counted = append(counted, time.Since(t))
				b.StartTimer()
				next++
			}
			b.StopTimer()
			keys.report(b, "key")
			counted.report(b, "counted")
		})
	}
}

// BenchmarkTUIPeakRSS runs a session — first frame, 2,000 rows down with j,
// a few pages, to the end and back, and a search typed and cleared — and
// reports the process's peak resident memory (VmHWM). Run it alone, in a
// process of its own, for the figure to mean the session:
//
//	go test ./internal/ui -run '^$' -bench '^BenchmarkTUIPeakRSS$' -benchtime 1x
func BenchmarkTUIPeakRSS(b *testing.B) {
	store, path := benchStore(b)
	svc := user.NewService(store, user.WithActor("bench"))
	for i := 0; i < b.N; i++ {
		p := newBenchProgram(b, svc, path)
		startList(p)
		p.settle()
		for range 2000 {
			p.send(benchKey("j"))
			p.settle()
			_ = p.m.View()
		}
		for range 50 {
			p.send(benchKey("pgdown"))
			p.settle()
			_ = p.m.View()
		}
		for _, k := range []string{"G", "g", "/"} {
			p.send(benchKey(k))
			p.settle()
			_ = p.m.View()
		}
		for _, r := range "lindqvist" {
			p.send(benchKey(string(r)))
			p.settle()
			_ = p.m.View()
		}
		p.send(benchKey("esc"))
		p.send(benchKey("esc"))
		p.settle()
		if n := len(p.m.list.rows); n > maxWindow+windowChunk {
			b.Fatalf("the list holds %d rows; the window is %d", n, maxWindow)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "go-sys-MB")
	if hwm, rss, ok := procStatus(); ok {
		b.ReportMetric(hwm, "peak-rss-MB")
		b.ReportMetric(rss, "rss-MB")
	}
}

// procStatus reads VmHWM and VmRSS, in MB, from /proc/self/status.
func procStatus() (hwm, rss float64, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "VmHWM:":
			hwm, ok = kb/1024, true
		case "VmRSS:":
			rss = kb / 1024
		}
	}
	return hwm, rss, ok
}

// benchRareTerm is the number that cmd/benchdb ends the middle user's local
// part with, and "@": one user in the file.
func benchRareTerm(b *testing.B, path string) string {
	b.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var email string
	err = raw.QueryRow(`SELECT email FROM users ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM users)`).Scan(&email)
	if err != nil {
		b.Fatalf("pick a user: %v", err)
	}
	local := email[:strings.LastIndexByte(email, '@')]
	if digits := local[len(strings.TrimRightFunc(local, unicode.IsDigit)):]; digits != "" {
		return digits + "@"
	}
	return email
}

// BenchmarkTUIPositionCount is the count behind the position indicator
// ("1,204 of 25,000") when a window is loaded around a user away from both
// ends of the listing (after a change elsewhere, a new order or filter):
// the users before it, or after it, walked without being kept, up to
// positionCountMax each way (see userPager.locate). It runs off the update
// path and is cancelled by the next window; the indicator shows "… of N"
// meanwhile, and "? of N" past the cap. Each op places the user 2,000 rows,
// a tenth, half and nine tenths of the way down the listing, newest first.
func BenchmarkTUIPositionCount(b *testing.B) {
	store, path := benchStore(b)
	svc := user.NewService(store, user.WithActor("bench"))
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, frac := range []struct {
		name string
		f    float64
	}{{"2k", 0}, {"10pc", 0.1}, {"50pc", 0.5}, {"90pc", 0.9}} {
		b.Run(frac.name, func(b *testing.B) {
			var id string
			// Newest first: the user frac of the way down is the one
			// (1-frac) of the way up the created order.
			q := `SELECT id FROM users ORDER BY created_at, id LIMIT 1 OFFSET (SELECT CAST(count(*) * ? AS INTEGER) FROM users)`
			args := []any{1 - frac.f}
			if frac.f == 0 {
				q, args = `SELECT id FROM users ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 2000`, nil
			}
			err := raw.QueryRow(q, args...).Scan(&id)
			if err != nil {
				b.Fatal(err)
			}
			u, err := svc.GetByID(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			p := userPager{svc: svc, opts: user.ListOptions{Sort: user.ByCreated}}
			var lat latencies
			var n int
			var fromEnd, tooFar bool
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := time.Now()
				n, fromEnd, tooFar, err = p.locate(context.Background(), u, positionCountMax)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			switch {
			case tooFar:
				b.ReportMetric(-1, "counted")
			case fromEnd:
				b.ReportMetric(float64(n), "users-after")
			default:
				b.ReportMetric(float64(n), "users-before")
			}
			lat.report(b, "count")
		})
	}
}
