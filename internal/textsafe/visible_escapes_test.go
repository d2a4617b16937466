package textsafe_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/textsafe"
)

// TestLineEdges: the characters at the edges of Line's rules. DEL is a
// control below U+0080, so it is \x7f even in text that is otherwise plain
// ASCII (which Line looks at quickly); U+FFFD is a character like any
// other, shown as it is, while an invalid byte, which a decoder also turns
// into U+FFFD, is \xHH: the two never look alike.
func TestLineEdges(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x7f", `\x7f`},
		{"del\x7f@example.org", `del\x7f@example.org`},
		{"\x1f", `\x1f`},
		{"\x20~", " ~"},
		{"\u0080", `\u0080`},
		{"\u009f", `\u009f`},
		{"\u00a0", "\u00a0"},
		{"a\ufffdb", "a\ufffdb"},
		{"\ufffd\xff", "\ufffd\\xff"},
		{"\xef\xbf\xbd", "\ufffd"},
		{"\xef\xbf", `\xef\xbf`},
	}
	for _, tt := range tests {
		if got := textsafe.Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
