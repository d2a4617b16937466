package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// A panic in a command is a bug, and shows as one line with exit 1, never
// as a stack trace: the clock panics while user add registers the user.
func TestPanicPrintsOneLine(t *testing.T) {
	for _, tt := range []struct {
		name  string
		clock func() time.Time
		want  string
	}{
		{"message over lines", func() time.Time { panic("clock broke\n\tgoroutine 1 [running]:\n\x1b[2J") },
			`ctitui: internal error: clock broke goroutine 1 [running]: \x1b[2J` + "\n"},
		{"runtime error", func() time.Time {
			var m map[string]int
			m["x"]++ //nolint:govet,staticcheck // the nil map is the point: a runtime error inside a command
			return time.Time{}
		}, "ctitui: internal error: assignment to entry in nil map\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctitui.db")
			var stdout, stderr bytes.Buffer
			if code := runWith(context.Background(), []string{"--db", path, "migrate", "up"}, nil, &stdout, &stderr, passwordtest.Params); code != exitOK {
				t.Fatalf("migrate up = %d: %s", code, stderr.String())
			}
			stderr.Reset()
			args := []string{"--db", path, "user", "add", "--email", "alice@example.org", "--password-stdin"}
			code := runWith(context.Background(), args, strings.NewReader("correct horse battery staple\n"), &stdout, &stderr,
				passwordtest.Params, user.WithClock(tt.clock))
			if code != exitFail || stderr.String() != tt.want {
				t.Errorf("runWith(%q) with a panicking clock = %d, stderr %q; want %d, %q", args, code, stderr.String(), exitFail, tt.want)
			}
		})
	}
}
