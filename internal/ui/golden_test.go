package ui

import (
	"bytes"
	"fmt"
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
		drive func(t *testing.T, tm *teatest.TestModel)
	}
	scenarios := []scenario{
		{"list", func(t *testing.T, tm *teatest.TestModel) {}},
		{"search", func(t *testing.T, tm *teatest.TestModel) {
			tm.Send(keyMsg("/"))
			tm.Type("ana")
			waitFor(t, tm, "5 users")
		}},
		{"register_duplicate", func(t *testing.T, tm *teatest.TestModel) {
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
		{"details", func(t *testing.T, tm *teatest.TestModel) {
			for range 18 { // fay, disabled: two audit entries
				tm.Send(keyMsg("j"))
			}
			tm.Send(keyMsg("enter"))
			waitFor(t, tm, "roles=viewer")
		}},
		{"audit", func(t *testing.T, tm *teatest.TestModel) {
			tm.Send(keyMsg("a"))
			waitFor(t, tm, "roles=admin")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				tm := startGolden(t, size[0], size[1])
				waitFor(t, tm, "30 users")
				sc.drive(t, tm)
				requireGolden(t, tm)
			})
		}
	}
	t.Run("too_small_50x10", func(t *testing.T) {
		tm := startGolden(t, 50, 10)
		waitFor(t, tm, "too small")
		requireGolden(t, tm)
	})
}

// startGolden runs the program over the fixture users at width×height.
func startGolden(t *testing.T, width, height int) *teatest.TestModel {
	t.Helper()
	e := newEnv(t)
	e.fixtures(t)
	m := New(e.svc, Options{
		DBPath:        "/data/ctitui.db",
		SchemaVersion: 4,
		Now:           func() time.Time { return goldenNow },
		Location:      time.UTC,
	})
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))
}

// waitFor waits until the program has drawn text.
func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(text))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// requireGolden quits the program and compares its final view with the
// golden file named after the test.
func requireGolden(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !ok {
		t.Fatal("the final model is not a *Model")
	}
	if err := fm.Err(); err != nil {
		t.Fatalf("the program ended with %v", err)
	}
	teatest.RequireEqualOutput(t, []byte(fm.View()))
}
