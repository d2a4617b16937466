package textsafe_test

import (
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
		{"c1\u009b31m", `c1\x9b31m`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := textsafe.Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\u202e", "\xff\xfe", "a\u2028b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := textsafe.Line(s)
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Line(%q) = %q keeps %U", s, got, r)
			}
		}
		if again := textsafe.Line(got); again != got {
			t.Fatalf("Line(Line(%q)) = %q; want %q (already safe text must pass unchanged)", s, again, got)
		}
		if strings.Count(got, "\n") > 0 {
			t.Fatalf("Line(%q) = %q spans lines", s, got)
		}
	})
}
