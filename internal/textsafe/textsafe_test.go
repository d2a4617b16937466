package textsafe_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/ctitui/ctitui/internal/textsafe"
)

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.org", "alice@example.org"},
		{"élodie@exemple.fr", "élodie@exemple.fr"},
		{"анна@пример.рф", "анна@пример.рф"},
		{"evil\x1b[2J@x.org", `evil\x1b[2J@x.org`},
		{"title\x1b]0;pwned\x07@x.org", `title\x1b]0;pwned\x07@x.org`},
		{"a\nb\rc\td", `a\x0ab\x0dc\x09d`},
		{"nul\x00", `nul\x00`},
		{"rtl\u202eelif", `rtl\u202eelif`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"", ""},
		// The visible form is unambiguous: a backslash is doubled, so text
		// that spells an escape cannot pass for the character; a C1
		// control (a rune) and an invalid byte differ; runes above U+FFFF
		// keep all their digits.
		{`a\x1bb`, `a\\x1bb`},
		{`C:\temp`, `C:\\temp`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"tag\u0041", "tagA"},
		{"\U0001D173", `\U0001d173`},
		{"\xc2\x85", `\u0085`},
		{"\x85", `\x85`},
	}
	for _, tt := range tests {
		if got := textsafe.Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

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

// unescape undoes Line: the test's proof that Line loses nothing, so that
// two different texts never look alike.
func unescape(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			t.Fatalf("unescape(%q): a lone backslash at the end", s)
		}
		digits := map[byte]int{'\\': 0, 'x': 2, 'u': 4, 'U': 8}[s[i+1]]
		if s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		if digits == 0 || i+2+digits > len(s) {
			t.Fatalf("unescape(%q): a bad escape at %d", s, i)
		}
		n, err := strconv.ParseUint(s[i+2:i+2+digits], 16, 32)
		if err != nil {
			t.Fatalf("unescape(%q): %v", s, err)
		}
		if s[i+1] == 'x' {
			b.WriteByte(byte(n))
		} else {
			b.WriteRune(rune(n))
		}
		i += 1 + digits
	}
	return b.String()
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\u202e", "\xff\xfe", "a\u2028b", `a\x1b`, "\U000E0041", "\xc2\x85\x85"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := textsafe.Line(s)
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Line(%q) = %q keeps %U", s, got, r)
			}
		}
		if back := unescape(t, got); back != s {
			t.Fatalf("Line(%q) = %q reads back as %q: two texts would look alike", s, got, back)
		}
		if strings.Count(got, "\n") > 0 {
			t.Fatalf("Line(%q) = %q spans lines", s, got)
		}
	})
}
