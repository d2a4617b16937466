package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctitui/ctitui/internal/user"
)

func TestTooSmall(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	for _, tc := range []struct {
		w, h  int
		small bool
	}{
		{59, 15, true},
		{60, 14, true},
		{60, 15, false},
		{40, 10, true},
		{20, 4, true},
	} {
		h.send(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
		v := h.view()
		if got := strings.Contains(v, "too small"); got != tc.small {
			t.Errorf("at %d×%d the view says too small: %v; want %v\n%s", tc.w, tc.h, got, tc.small, v)
		}
		requireFits(t, fmt.Sprintf("%d×%d", tc.w, tc.h), v, tc.w, tc.h)
		if tc.small {
			h.press("n", "enter")
			h.requireScreen(screenList)
		}
	}
	h.send(tea.WindowSizeMsg{Width: 59, Height: 15})
	h.press("q")
	if !h.quit {
		t.Error("q does not quit a too-small terminal")
	}
}

// TestEveryScreenFits draws each screen at several sizes.
func TestEveryScreenFits(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("hanako@example.org")
	screens := []struct {
		name string
		keys []string
	}{
		{"list", nil},
		{"search", []string{"/", "a"}},
		{"help", []string{"?"}},
		{"details", []string{"enter"}},
		{"register", []string{"n"}},
		{"password", []string{"p"}},
		{"roles", []string{"e"}},
		{"disable", []string{"d"}},
		{"delete", []string{"x"}},
		{"audit", []string{"a"}},
		{"audit search", []string{"a", "/", "r"}},
		{"audit entry", []string{"a", "enter"}},
	}
	for _, size := range [][2]int{{60, 15}, {80, 24}, {120, 40}, {250, 60}} {
		for _, s := range screens {
			h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			h.press(s.keys...)
			requireFits(t, fmt.Sprintf("%s at %d×%d", s.name, size[0], size[1]), h.view(), size[0], size[1])
			// Back to the list as it was.
			h.press("esc", "esc")
			if s.name == "help" {
				h.press("?")
			}
			h.requireScreen(screenList)
		}
	}
}

// TestHelpKeySaysWhatItDoes: with the full help shown, ? shows fewer keys,
// and its help says so.
func TestHelpKeySaysWhatItDoes(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 120, 40)
	for _, screen := range []struct {
		name string
		open []string
	}{{"list", nil}, {"details", []string{"enter"}}, {"audit", []string{"a"}}} {
		h.press(screen.open...)
		if v := h.view(); lineWith(v, "? more keys") < 0 {
			t.Errorf("%s: the short help does not offer ? more keys:\n%s", screen.name, v)
		}
		h.press("?")
		// The full help is in columns: "?   fewer keys".
		if v := h.view(); lineWith(v, "fewer keys") < 0 || lineWith(v, "more keys") >= 0 {
			t.Errorf("%s: the full help does not offer ? fewer keys:\n%s", screen.name, v)
		}
		h.press("?")
		if v := h.view(); lineWith(v, "? more keys") < 0 || lineWith(v, "fewer keys") >= 0 {
			t.Errorf("%s: back to the short help:\n%s", screen.name, v)
		}
		h.press("esc")
		h.requireScreen(screenList)
	}
}

// TestStatusMessageExpires: a status message is cleared after
// Options.StatusTimeout unless another has replaced it; errors stay.
func TestStatusMessageExpires(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.m.opts.StatusTimeout = 10 * time.Millisecond

	h.press("r")
	if h.m.status != "" {
		t.Errorf("status %q after its timeout; want it cleared", h.m.status)
	}

	// A timer for an earlier message leaves a later one alone.
	reload := h.updates("r")[0]
	if h.m.status != "reloaded" {
		t.Fatalf("status %q; want reloaded", h.m.status)
	}
	cancel := h.updates("n", "esc")[1]
	h.run(reload)
	if h.m.status != "cancelled" {
		t.Errorf("status %q; want cancelled, left by the reload's timer", h.m.status)
	}
	h.run(cancel)
	if h.m.status != "" {
		t.Errorf("status %q after its own timer; want it cleared", h.m.status)
	}

	// An error stays.
	h.selectEmail("bob@example.org")
	if _, err := e.svc.Delete(context.Background(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	reload = h.updates("r")[0]
	h.press("d", "y", "esc")
	h.run(reload)
	if !h.m.statusError || !strings.Contains(h.m.status, "user not found") {
		t.Errorf("status %q (error %v); want the error kept", h.m.status, h.m.statusError)
	}

	// The notice shown at start expires too.
	m := New(e.svc, Options{Now: e.clock.Now, Location: time.UTC, Notice: "migrated", StatusTimeout: time.Millisecond})
	h2 := &harness{t: t, env: e, m: m}
	if !strings.Contains(m.View(), "migrated") {
		t.Errorf("the notice does not show at start:\n%s", m.View())
	}
	h2.run(m.Init())
	if m.status != "" {
		t.Errorf("notice %q after its timeout; want it cleared", m.status)
	}
}

func TestChangesFromAnotherWriter(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.selectEmail("otto@example.org")

	h.send(dataVersionMsg{version: 7}) // the first look at the data version
	e.register(t, "zed@example.org", user.RoleViewer)
	h.send(dataVersionMsg{version: 7})
	if slices.Contains(h.emails(), "zed@example.org") {
		t.Fatal("the list reloaded although the data version did not change")
	}
	h.send(dataVersionMsg{err: errors.New("database is locked")})
	if h.m.statusError {
		t.Errorf("a failed look at the data version shows an error: %q", h.m.status)
	}

	h.send(dataVersionMsg{version: 8})
	if got := h.emails(); len(got) != 31 || got[0] != "zed@example.org" {
		t.Fatalf("after a change: rows %v; want zed first of 31", got)
	}
	if h.selected() != "otto@example.org" {
		t.Errorf("selected %q; want otto kept selected", h.selected())
	}
	if h.m.list.count != 31 || !strings.Contains(firstLine(h.view()), "31 users") {
		t.Errorf("count %d, title %q; want 31 users", h.m.list.count, firstLine(h.view()))
	}

	// Details follow a change to the user they show.
	h.press("enter")
	later := e.clock.Advance(time.Hour)
	if _, _, err := e.svc.SetDisabled(context.Background(), "otto@example.org", true); err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: 9})
	if v := h.view(); lineWith(v, "disabled    "+later.Format("2006-01-02 15:04:05")) < 0 {
		t.Errorf("details did not follow the change:\n%s", v)
	}
}

// TestChangeBeforeFirstPollIsShown: the first look at the data version comes
// one WatchInterval after the first page loaded. A change committed in
// between must show then, not wait for some later change.
func TestChangeBeforeFirstPollIsShown(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24) // the first page is on screen
	e.register(t, "late@example.org")
	v, err := e.store.DataVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.send(dataVersionMsg{version: v})
	if !slices.Contains(h.emails(), "late@example.org") {
		t.Errorf("a user added before the first poll is not shown after it: rows %v", h.emails())
	}
}

func TestGuard(t *testing.T) {
	if guard(nil) != nil {
		t.Error("guard(nil) != nil")
	}
	msg := guard(func() tea.Msg { panic("boom") })()
	fm, ok := msg.(fatalMsg)
	if !ok || fm.err == nil || !strings.Contains(fm.err.Error(), "boom") {
		t.Fatalf("a panicking command gave %#v; want a fatalMsg naming the panic", msg)
	}
	if text := fm.err.Error(); text != "internal error: boom" {
		t.Errorf("a panicking command's error = %q; want internal error: boom, one line, no stack", text)
	}

	// Commands inside a batch are guarded too.
	msg = guard(func() tea.Msg {
		return tea.BatchMsg{func() tea.Msg { return countMsg{n: 1} }, func() tea.Msg { panic("inner") }}
	})()
	batch, ok := msg.(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("a batch came back as %#v", msg)
	}
	if _, ok := batch[0]().(countMsg); !ok {
		t.Error("a guarded batch lost its ordinary message")
	}
	if fm, ok := batch[1]().(fatalMsg); !ok || !strings.Contains(fm.err.Error(), "inner") {
		t.Errorf("a panic inside a batch gave %#v; want a fatalMsg", fm)
	}

	// A fatalMsg ends the program with its error.
	e := newEnv(t)
	m := New(e.svc, Options{Now: e.clock.Now, Location: time.UTC})
	want := errors.New("internal error: boom")
	_, cmd := m.Update(fatalMsg{want})
	if !errors.Is(m.Err(), want) {
		t.Errorf("Err() = %v; want %v", m.Err(), want)
	}
	if cmd == nil {
		t.Fatal("a fatalMsg returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("a fatalMsg does not quit")
	}
}

// TestUpdateRecoversFromPanic: a bug on the update path ends the program
// with a one-line error instead of a stack trace over a raw-mode terminal.
func TestUpdateRecoversFromPanic(t *testing.T) {
	e := newEnv(t)
	e.fixtures(t)
	h := newHarness(t, e, 80, 24)
	h.m.list.cursor = 99 // a state no key leads to: the cursor past the rows
	_, cmd := h.m.Update(keyMsg("enter"))
	if h.m.Err() == nil || !strings.Contains(h.m.Err().Error(), "internal error") {
		t.Fatalf("Err() = %v; want an internal error", h.m.Err())
	}
	if msg := h.m.Err().Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") {
		t.Errorf("Err() = %q; want one line, no stack", msg)
	}
	if cmd == nil {
		t.Fatal("no command after a panic")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("a panic in Update does not quit")
	}
}
