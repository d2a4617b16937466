package ui

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	_ "modernc.org/sqlite" // the driver rawDB opens the file with

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// The tests of this package drive the Model through Update with key
// messages, running its commands synchronously against a real SQLite file,
// one file per screen: list, details, form, dialogs, audit, the window both
// page through, and ui_test.go for what the frame does around them. Views
// are compared with lipgloss drawing in the Ascii profile, set in
// golden_test.go, so that styles emit no escape sequences.

const goodPassword = "correct horse battery staple"

// epoch is when the fixture users start being registered.
var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testClock is a settable clock, safe to read from commands running in other
// goroutines.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// env is a real SQLite database in a temp dir with a service over it whose
// clock and ids are deterministic.
type env struct {
	svc   *user.Service
	store *sqlite.Store
	clock *testClock
	path  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctitui.db")
	clock := &testClock{now: epoch}
	store, err := sqlite.Open(context.Background(), path, db.Options{Now: clock.Now, Actor: "tester"})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	var n atomic.Int64
	ids := func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
	svc := user.NewService(store,
		user.WithHasher(passwordtest.Hasher()),
		user.WithClock(clock.Now),
		user.WithActor("tester"),
		user.WithIDs(ids),
		user.WithFailureFloor(0))
	return &env{svc: svc, store: store, clock: clock, path: path}
}

// register adds a user at the current time, then moves the clock on a minute.
func (e *env) register(t testing.TB, email string, roles ...user.Role) user.User {
	t.Helper()
	u, err := e.svc.Register(context.Background(), email, goodPassword, roles)
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	e.clock.Advance(time.Minute)
	return u
}

// fixtureNames are the local parts of the fixture users, in the order they
// are registered: not alphabetical, so that each sort order differs.
var fixtureNames = []string{
	"mara", "ana", "zoe", "bob", "diana", "yusuf", "carl", "xena", "juliana", "eve",
	"walt", "fay", "victor", "gus", "ursula", "hanako", "tom", "ida", "sven", "jack",
	"rita", "kim", "quinn", "lena", "pia", "max", "olga", "nina", "otto", "anastasia",
}

// fixtureRoles gives the i-th fixture user one or two roles.
func fixtureRoles(i int) []user.Role {
	roles := []user.Role{user.Roles[i%3]}
	if i%5 == 0 && i%3 != 2 {
		roles = append(roles, user.RoleViewer)
	}
	return roles
}

// fixtureDisabled reports whether the i-th fixture user is disabled.
func fixtureDisabled(i int) bool { return i%7 == 4 }

// fixtures registers the 30 fixture users a minute apart with several roles,
// then disables a few of them.
func (e *env) fixtures(t testing.TB) {
	t.Helper()
	for i, name := range fixtureNames {
		e.register(t, name+"@example.org", fixtureRoles(i)...)
	}
	for i, name := range fixtureNames {
		if fixtureDisabled(i) {
			if _, _, err := e.svc.SetDisabled(context.Background(), name+"@example.org", true); err != nil {
				t.Fatalf("SetDisabled(%s): %v", name, err)
			}
			e.clock.Advance(time.Minute)
		}
	}
}

// many registers n users named bulkNNNN@example.org, a second apart.
func (e *env) many(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := e.svc.Register(ctx, fmt.Sprintf("bulk%04d@example.org", i), goodPassword, nil); err != nil {
			t.Fatalf("Register #%d: %v", i, err)
		}
		e.clock.Advance(time.Second)
	}
}

// listing returns every user matching opts, straight from the service.
func (e *env) listing(t testing.TB, opts user.ListOptions) []user.User {
	t.Helper()
	var all []user.User
	if err := e.svc.List(context.Background(), opts, func(u user.User) error {
		all = append(all, u)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return all
}

func (e *env) get(t testing.TB, email string) user.User {
	t.Helper()
	u, err := e.svc.Get(context.Background(), email)
	if err != nil {
		t.Fatalf("Get(%q): %v", email, err)
	}
	return u
}

func (e *env) auditEntries(t testing.TB, f user.AuditFilter) []user.AuditEntry {
	t.Helper()
	var entries []user.AuditEntry
	if err := e.svc.Audit(context.Background(), f, func(a user.AuditEntry) error {
		entries = append(entries, a)
		return nil
	}); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return entries
}

// harness drives a Model the way a tea.Program would, but synchronously:
// every command runs to its message, which goes back into Update, until
// nothing is left to do. Timers (spinner ticks) are not followed, so a test
// never waits on the clock.
type harness struct {
	t *testing.T
	*env
	m    *Model
	quit bool
}

// cmdTimeout bounds one command: a command that is a timer, or that hangs,
// is dropped rather than hanging the test.
const cmdTimeout = 2 * time.Second

func newHarness(t *testing.T, e *env, width, height int) *harness {
	t.Helper()
	m := New(e.svc, Options{
		DBPath:        "/data/ctitui.db", // shown in the title; short, so the count fits
		SchemaVersion: 4,
		Now:           e.clock.Now,
		Location:      time.UTC,
		// A status message is not cleared by a timer: the harness would
		// wait for it (see TestStatusMessageExpires).
		StatusTimeout: -1,
	})
	h := &harness{t: t, env: e, m: m}
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: width, Height: height})
	return h
}

// send delivers msg to the model and runs what it returns.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// run executes cmd and feeds its message (each of a batch's, depth first)
// back into the model.
func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(cmdTimeout):
		h.t.Logf("dropped a command still running after %s (a timer?)", cmdTimeout)
		return
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	case spinner.TickMsg:
		// A spinner frame: following it would only start a timer.
	case tea.QuitMsg:
		h.quit = true
	default:
		h.send(msg)
	}
}

var namedKeys = map[string]tea.KeyType{
	"enter":     tea.KeyEnter,
	"tab":       tea.KeyTab,
	"shift+tab": tea.KeyShiftTab,
	"esc":       tea.KeyEsc,
	"up":        tea.KeyUp,
	"down":      tea.KeyDown,
	"left":      tea.KeyLeft,
	"right":     tea.KeyRight,
	"pgdown":    tea.KeyPgDown,
	"pgup":      tea.KeyPgUp,
	"home":      tea.KeyHome,
	"end":       tea.KeyEnd,
	"space":     tea.KeySpace,
	"backspace": tea.KeyBackspace,
	"ctrl+c":    tea.KeyCtrlC,
}

// keyMsg returns the message for a key named as bubbletea names it ("enter",
// "pgdown") or for one printable character ("n", "G", "/").
func keyMsg(name string) tea.KeyMsg {
	if t, ok := namedKeys[name]; ok {
		if t == tea.KeySpace {
			return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
		}
		return tea.KeyMsg{Type: t}
	}
	r := []rune(name)
	if len(r) != 1 {
		panic(fmt.Sprintf("keyMsg: unknown key %q", name))
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: r}
}

// press sends keys one after the other.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

// typeText sends s one character at a time, as a person types it.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (h *harness) view() string { return h.m.View() }

// emails returns the emails of the rows the list holds, in order.
func (h *harness) emails() []string {
	var out []string
	for _, u := range h.m.list.rows {
		out = append(out, u.Email)
	}
	return out
}

// selected returns the email of the user under the cursor.
func (h *harness) selected() string {
	u, ok := h.m.selected()
	if !ok {
		return ""
	}
	return u.Email
}

// selectEmail moves the cursor onto email with j/k, as a person would.
func (h *harness) selectEmail(email string) {
	h.t.Helper()
	i := slices.Index(h.emails(), email)
	if i < 0 {
		h.t.Fatalf("%s is not in the list: %v", email, h.emails())
	}
	for h.m.list.cursor < i {
		h.press("j")
	}
	for h.m.list.cursor > i {
		h.press("k")
	}
	if got := h.selected(); got != email {
		h.t.Fatalf("selected %q after moving; want %q", got, email)
	}
}

// requireScreen fails unless the model shows s.
func (h *harness) requireScreen(s screen) {
	h.t.Helper()
	if h.m.screen != s {
		h.t.Fatalf("screen = %d; want %d\n%s", h.m.screen, s, h.view())
	}
}

func emailsOf(users []user.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	return out
}

// lineWith returns the index of the first line of view containing s, or -1.
func lineWith(view, s string) int {
	for i, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// requireFits fails unless view is exactly height lines, none wider than width.
func requireFits(t *testing.T, what, view string, width, height int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != height {
		t.Errorf("%s: %d lines; want %d\n%s", what, len(lines), height, view)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%s: line %d is %d columns wide; want at most %d: %q", what, i, w, width, l)
		}
	}
}

// rawDB opens a second connection to the file, as another tool would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// requireWindow fails unless the list holds a contiguous run of full with
// the cursor on sel.
func (h *harness) requireWindow(what string, full []string, sel string) {
	h.t.Helper()
	rows := h.emails()
	if len(rows) == 0 {
		h.t.Fatalf("%s: no rows", what)
	}
	start := slices.Index(full, rows[0])
	if start < 0 || start+len(rows) > len(full) || !slices.Equal(rows, full[start:start+len(rows)]) {
		h.t.Fatalf("%s: the window (%d rows from %s) is not a contiguous run of the listing", what, len(rows), rows[0])
	}
	if got := h.selected(); got != sel {
		h.t.Fatalf("%s: selected %s; want %s", what, got, sel)
	}
}

// collect runs cmd and the commands of its batches and returns their
// messages without delivering them, so that a test can deliver them in an
// order of its choosing.
func (h *harness) collect(cmd tea.Cmd) []tea.Msg {
	h.t.Helper()
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, h.collect(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// updates sends keys without running what they return, as keys typed
// faster than the database answers, and returns the commands.
func (h *harness) updates(keys ...string) []tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		_, cmd := h.m.Update(keyMsg(k))
		cmds = append(cmds, cmd)
	}
	return cmds
}

func repeat(key string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = key
	}
	return keys
}

// escape presses esc and, when a form asks whether to throw away what it
// holds, answers y.
func (h *harness) escape() {
	h.t.Helper()
	h.press("esc")
	if (h.m.screen == screenRegister || h.m.screen == screenPassword) && h.m.form.discarding {
		h.press("y")
	}
}

// helpLine is the last line of the view, the help.
func helpLine(view string) string {
	lines := strings.Split(view, "\n")
	return lines[len(lines)-1]
}
