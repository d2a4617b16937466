package ui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// Every test in this package draws without colour or other escapes, so that
// views compare as plain text, whatever terminal runs the tests.
func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// goldenNow is the model's clock in golden tests: relative times, were they
// shown, would not change from run to run.
var goldenNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// TestGolden runs the real program (teatest) over the fixture users and
// compares each screen's final view with testdata/TestGolden/*.golden.
// Regenerate with: go test ./internal/ui -run Golden -update
func TestGolden(t *testing.T) {
	type scenario struct {
		name  string
		drive func(t *testing.T, tm *goldenModel)
	}
	scenarios := []scenario{
		{"list", func(t *testing.T, tm *goldenModel) {}},
		{"search", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("/"))
			// Typed fast, as one message: no answer for "a" or "an" can
			// land in between and pass for the answer for "ana".
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ana")})
			// The count and the rows arrive separately: wait for both, the
			// rows by a user they show and one they no longer show.
			waitUntil(t, tm, "5 users of 30 and the matching rows", func(v string) bool {
				return strings.Contains(v, "5 users of 30") && strings.Contains(v, "hanako@example.org") &&
					!strings.Contains(v, "otto@example.org")
			})
		}},
		{"register_duplicate", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("n"))
			waitFor(t, tm, "Register a user")
			tm.Type("ana@example.org")
			tm.Send(keyMsg("tab"))
			tm.Type(goodPassword)
			tm.Send(keyMsg("tab"))
			tm.Type(goodPassword)
			tm.Send(keyMsg("enter")) // on to the role
			tm.Send(keyMsg("enter")) // submit
			waitFor(t, tm, "user already exists")
		}},
		{"details", func(t *testing.T, tm *goldenModel) {
			for range 18 { // fay, disabled: two audit entries
				tm.Send(keyMsg("j"))
			}
			tm.Send(keyMsg("enter"))
			waitFor(t, tm, "roles=viewer")
		}},
		{"audit", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("a"))
			waitFor(t, tm, "roles=admin")
		}},
		// The chosen role shows without colour: (*) viewer.
		{"register_role", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("n"))
			waitFor(t, tm, "Register a user")
			tm.Send(keyMsg("shift+tab")) // up to the role, from the email
			tm.Send(keyMsg("right"))
			waitFor(t, tm, "(*) viewer")
		}},
		// Esc on a form holding what was typed asks first.
		{"register_discard", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("n"))
			waitFor(t, tm, "Register a user")
			tm.Type("half.typed@example.org")
			tm.Send(keyMsg("esc"))
			waitFor(t, tm, "Discard the new user?")
		}},
		{"full_help", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("?"))
			waitFor(t, tm, "fewer keys", "copy email")
		}},
		// Filters combine, and S reverses the order: the active admins,
		// oldest first, the newest still selected, now last.
		{"filtered_reversed", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("f"))
			tm.Send(keyMsg("F"))
			waitFor(t, tm, "9 users of 30", "role: admin", "1 of 9")
			tm.Send(keyMsg("S"))
			waitFor(t, tm, "(reversed)", "> nina@example.org", "9 of 9")
		}},
		// A long email, shortened in the middle, its domain whole.
		{"long_email", func(t *testing.T, tm *goldenModel) {
			tm.Send(keyMsg("n"))
			waitFor(t, tm, "Register a user")
			tm.Type("a.very.long.local.part.that.goes.on.and.on@research.example.org")
			tm.Send(keyMsg("tab"))
			tm.Type(goodPassword)
			tm.Send(keyMsg("tab"))
			tm.Type(goodPassword)
			tm.Send(keyMsg("enter")) // on to the role
			tm.Send(keyMsg("enter")) // submit
			waitFor(t, tm, "registered a.very", "31 users", "> a.very.long", "1 of 31")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				tm := startGolden(t, size[0], size[1])
				// The count and the first page arrive separately: wait
				// for both, the page by the newest user, always drawn.
				waitFor(t, tm, "30 users", "anastasia@example.org")
				sc.drive(t, tm)
				requireGolden(t, tm)
			})
		}
	}
	// The smallest size drawn: the full help keeps every key, in columns.
	t.Run("full_help_60x15", func(t *testing.T) {
		tm := startGolden(t, 60, 15)
		waitFor(t, tm, "30 users", "anastasia@example.org")
		tm.Send(keyMsg("?"))
		waitFor(t, tm, "fewer keys", "copy email")
		requireGolden(t, tm)
	})
	t.Run("too_small_50x10", func(t *testing.T) {
		tm := startGolden(t, 50, 10)
		waitFor(t, tm, "too small")
		requireGolden(t, tm)
	})
}

// goldenModel is the program under test. It keeps the model's latest view
// so that a test waits on what the model shows, whole: the program's output
// redraws only the lines that changed, and one frame there may hold the
// count without the rows.
type goldenModel struct {
	*teatest.TestModel
	m *watched
}

// watched wraps the model and records its view after every update, on the
// program's goroutine, for the test's goroutine to read.
type watched struct {
	*Model
	mu   sync.Mutex
	view string
}

func (w *watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := w.Model.Update(msg)
	view := w.Model.View()
	w.mu.Lock()
	w.view = view
	w.mu.Unlock()
	return w, cmd
}

func (w *watched) lastView() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.view
}

// startGolden runs the program over the fixture users at width×height.
func startGolden(t *testing.T, width, height int) *goldenModel {
	t.Helper()
	e := newEnv(t)
	e.fixtures(t)
	m := New(e.svc, Options{
		DBPath:        "/data/ctitui.db",
		SchemaVersion: 4,
		Now:           func() time.Time { return goldenNow },
		Location:      time.UTC,
	})
	w := &watched{Model: m}
	return &goldenModel{teatest.NewTestModel(t, w, teatest.WithInitialTermSize(width, height)), w}
}

// waitFor waits until the model's view shows every one of texts.
func waitFor(t *testing.T, tm *goldenModel, texts ...string) {
	t.Helper()
	waitUntil(t, tm, fmt.Sprintf("%q", texts), func(v string) bool {
		for _, text := range texts {
			if !strings.Contains(v, text) {
				return false
			}
		}
		return true
	})
}

// waitUntil waits until ok accepts the model's view.
func waitUntil(t *testing.T, tm *goldenModel, what string, ok func(view string) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := tm.m.lastView()
		if ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view does not show %s after 5s; it shows:\n%s", what, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// requireGolden quits the program and compares its final view with the
// golden file named after the test.
func requireGolden(t *testing.T, tm *goldenModel) {
	t.Helper()
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*watched)
	if !ok {
		t.Fatal("the final model is not the *Model under test")
	}
	if err := fm.Err(); err != nil {
		t.Fatalf("the program ended with %v", err)
	}
	teatest.RequireEqualOutput(t, []byte(fm.View()))
}
