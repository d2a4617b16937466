package ui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// TestShortenEmail: a long email loses the middle of its local part and
// keeps its domain whole; only a domain that cannot fit is cut, in its
// middle too, keeping its end. Text is made safe first, and wide
// characters and combining marks are never split.
func TestShortenEmail(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"ana@example.org", 20, "ana@example.org"},
		{"ana@example.org", 15, "ana@example.org"},
		{"averylongname@example.org", 22, "avery…name@example.org"},
		{"averylongname@example.org", 19, "ave…ame@example.org"},
		{"averylongname@example.org", 18, "averylon…ample.org"},
		{"averylongname@example.org", 13, "averyl…le.org"},
		{"averylongname@example.org", 12, "avery…le.org"},
		{"max@example.org", 14, "max@ex…ple.org"},
		{"山田太郎山田太郎@example.org", 20, "山田…郎@example.org"},
		{"no-at-sign-in-this-text", 10, "no-a…-text"},
		{"ana@example.org", 1, "…"},
		{"ana@example.org", 0, ""},
		{"a@b", 2, "…b"},
		{"evil\x1b[2J@example.org", 23, `evil\x1b[2J@example.org`},
		{"evil\x1b[2J\x1b]0;pwned\x07@example.org", 24, `evil\x…d\x07@example.org`},
	} {
		got := shortenEmail(tt.in, tt.width)
		if got != tt.want {
			t.Errorf("shortenEmail(%q, %d) = %q; want %q", tt.in, tt.width, got, tt.want)
		}
		if w := ansi.StringWidth(got); w > tt.width {
			t.Errorf("shortenEmail(%q, %d) is %d columns wide", tt.in, tt.width, w)
		}
		if cell := emailCell(tt.in, tt.width); max(tt.width, 0) != ansi.StringWidth(cell) || !strings.HasPrefix(cell, got) {
			t.Errorf("emailCell(%q, %d) = %q; want %q padded to %d columns", tt.in, tt.width, cell, got, tt.width)
		}
	}
	// A combining mark after the cut would draw on the ellipsis.
	accents := strings.Repeat("e\u0301", 20) + "@example.org"
	for width := 1; width < 35; width++ {
		got := shortenEmail(accents, width)
		if !utf8.ValidString(got) || ansi.StringWidth(got) > width {
			t.Fatalf("shortenEmail(accents, %d) = %q", width, got)
		}
		if _, after, ok := strings.Cut(got, "…"); ok && after != "" {
			if r, _ := utf8.DecodeRuneInString(after); unicode.Is(unicode.Mn, r) {
				t.Errorf("shortenEmail(accents, %d) = %q: a combining mark follows the ellipsis", width, got)
			}
		}
		if width >= 12+1+6 && !strings.HasSuffix(got, "@example.org") {
			t.Errorf("shortenEmail(accents, %d) = %q: the domain is lost", width, got)
		}
	}
}

// TestEmailColumnIsFair: at 80 columns a long email is shown whole, the
// table giving up the column it needs least (the time it is not sorted
// by), and one longer still keeps its domain.
func TestEmailColumnIsFair(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	e.fixtures(t)
	const long = "firstname.lastname@research.example.org" // 39 columns
	const longer = "a.very.long.local.part.that.goes.on.and.on@research.example.org"
	e.register(t, long, user.RoleAnalyst)
	e.register(t, longer, user.RoleViewer)
	h := newHarness(t, e, 80, 24)
	v := h.view()
	row := strings.Split(v, "\n")[lineWith(v, "firstname")]
	if !strings.Contains(row, long) {
		t.Errorf("at 80 columns the 39-column email is cut: %q", row)
	}
	if !strings.Contains(row, "2026-03-01") {
		t.Errorf("at 80 columns the row lost its date: %q", row)
	}
	row = strings.Split(v, "\n")[lineWith(v, "a.very")]
	if !strings.Contains(row, "…") || !strings.Contains(row, "@research.example.org") {
		t.Errorf("the longer email is not shortened in the middle, domain kept: %q", row)
	}
	requireFits(t, "80 columns", v, 80, 24)

	// The details and the audit log keep the domain too.
	h.selectEmail(longer)
	h.send(tea.WindowSizeMsg{Width: 60, Height: 15})
	h.press("enter")
	if v := h.view(); lineWith(v, "@research.example.org") < 0 {
		t.Errorf("at 60 columns the details lost the domain:\n%s", v)
	}
	h.press("esc", "a")
	if v := h.view(); lineWith(v, "a.very") < 0 || lineWith(v, "xample.org ") < 0 {
		t.Errorf("at 60 columns the audit log lost the email's start or the domain's end:\n%s", v)
	}
}

// FuzzShortenEmail: whatever a database holds, a shortened email fits its
// width, carries no control character, is valid UTF-8, and keeps the
// domain whole whenever shortenEmail says it does: when the name keeps at
// least minLocalWidth columns (or all of a shorter name) beside it.
func FuzzShortenEmail(f *testing.F) {
	for _, s := range []string{"averylongname@example.org", "山田太郎@例え.jp", "e\u0301e\u0301@x.org", "evil\x1b[2J\x07@example.org", "@", "a@", "no-at", "\xff\xfe@\x80"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		width %= 300
		got := shortenEmail(s, width)
		if w := ansi.StringWidth(got); w > max(width, 0) {
			t.Fatalf("shortenEmail(%q, %d) = %q is %d columns wide", s, width, got, w)
		}
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
			t.Fatalf("shortenEmail(%q, %d) = %q holds a control character or invalid UTF-8", s, width, got)
		}
		safe := textsafe.Line(s)
		at := strings.LastIndex(safe, "@")
		if at <= 0 || ansi.StringWidth(safe) <= width {
			return
		}
		local, domain := safe[:at], safe[at:]
		if width-ansi.StringWidth(domain)-1 >= min(ansi.StringWidth(local), minLocalWidth) && !strings.HasSuffix(got, domain) {
			t.Fatalf("shortenEmail(%q, %d) = %q lost the domain %q", s, width, got, domain)
		}
	})
}
