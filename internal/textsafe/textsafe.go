// Package textsafe makes text from the database safe to draw on a terminal.
// A row written by another tool can hold escape sequences that would move the
// cursor, recolour the screen or set the window title.
package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with every control character, format character (such as a
// bidirectional override) and invalid byte replaced by a visible escape, so
// that it prints on one line and changes nothing on the terminal but the
// characters it shows. "\x1b[31m" becomes `\x1b[31m` as four visible runes
// and the rest; ordinary text, including non-Latin scripts, is unchanged.
//
// The visible form is unambiguous, so that two different texts, two emails
// say, never look alike: a backslash is shown doubled (`\\`), so text that
// spells an escape differs from the character; a control below U+0080 is
// `\xHH`, an invalid byte `\xHH` with HH at least 80, any other rune
// `\uHHHH` or, above U+FFFF, `\UHHHHHHHH`.
func Line(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex(uint32(s[i]), 2))
		case r == '\\':
			b.WriteString(`\\`)
		case !dangerous(r):
			b.WriteRune(r)
		case r < 0x80:
			b.WriteString(`\x`)
			b.WriteString(hex(uint32(r), 2))
		case r <= 0xffff:
			b.WriteString(`\u`)
			b.WriteString(hex(uint32(r), 4))
		default:
			b.WriteString(`\U`)
			b.WriteString(hex(uint32(r), 8))
		}
		i += size
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80 {
			return !slowDirty(s)
		}
	}
	return true
}

func slowDirty(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\\' || dangerous(r) {
			return true
		}
		i += size
	}
	return false
}

// dangerous reports whether r must not reach a terminal as it is: C0 and C1
// controls, DEL, and invisible format characters such as U+202E.
func dangerous(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// hex renders v as n lower-case hex digits.
func hex(v uint32, n int) string {
	const digits = "0123456789abcdef"
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = digits[v&0xf]
		v >>= 4
	}
	return string(out)
}
