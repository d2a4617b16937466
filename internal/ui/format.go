package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/ctitui/ctitui/internal/textsafe"
)

// cell makes database text safe to draw and fits it into width columns:
// control characters become visible escapes and long text ends in "…",
// never wrapping.
func cell(s string, width int) string {
	if width <= 0 {
		return ""
	}
	s = ansi.Truncate(textsafe.Line(s), width, "…")
	if pad := width - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// emailCell is cell for an email: shortened by shortenEmail, never at its
// end, and padded to width.
func emailCell(s string, width int) string {
	s = shortenEmail(s, width)
	if pad := width - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// shortenEmail makes an email from the database safe to draw and fits it
// into width columns by cutting the middle of its local part, so that the
// domain stays whole and both ends of the name show:
// "averylongname@example.org" at 22 columns is "avery…name@example.org".
// Only when the domain leaves too little of the name (see minLocalWidth)
// is the whole text cut in its middle, keeping the end of the domain.
func shortenEmail(s string, width int) string {
	s = textsafe.Line(s)
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= width {
		return s
	}
	if at := strings.LastIndex(s, "@"); at > 0 {
		local, domain := s[:at], s[at:]
		room := width - ansi.StringWidth(domain) - 1
		if room >= min(ansi.StringWidth(local), minLocalWidth) {
			head := (room + 1) / 2
			return ansi.Truncate(local, head, "") + "…" + tail(local, room-head) + domain
		}
	}
	return shortenMiddle(s, width)
}

// minLocalWidth is the least of an email's local part shortenEmail keeps
// beside the whole domain: with less, "m…@example.org", the user cannot
// be told apart, and "max@ex…ple.org" serves better.
const minLocalWidth = 6

// shortenMiddle fits safe text into width columns by cutting its middle,
// keeping a little more of its end than of its start.
func shortenMiddle(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= width {
		return s
	}
	room := width - 1
	head := room / 2
	return ansi.Truncate(s, head, "") + "…" + tail(s, room-head)
}

// tail returns the end of s that fits in width columns, whole graphemes
// only: never a combining mark without its base, nor half a wide
// character.
func tail(s string, width int) string {
	if width <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw <= width {
		return s
	}
	// TruncateLeft keeps a wide character it would cut through whole, so
	// a cut can come out a column too wide.
	for cut := sw - width; cut <= sw; cut++ {
		if t := ansi.TruncateLeft(s, cut, ""); ansi.StringWidth(t) <= width {
			return t
		}
	}
	return ""
}

// inline makes database text safe and cuts it to width columns without
// padding, for text inside a sentence.
func inline(s string, width int) string {
	return fit(textsafe.Line(s), width)
}

// paragraph makes database text safe and wraps it at spaces to width
// columns, for a message that must be read whole: an error that says what
// to do next would lose its advice to a cut. Only spaces break a line
// (ansi's wrappers break at hyphens too, and "--role" split in two is no
// longer a flag); a word wider than the line is cut across lines.
func paragraph(s string, width int) string {
	if width <= 0 {
		return ""
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(textsafe.Line(s)) {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	lines = append(lines, line)
	return ansi.Hardwrap(strings.Join(lines, "\n"), width, true)
}

// fit truncates an already safe line to width columns without padding.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// timeFormat decides how times are drawn in the list.
type timeFormat struct {
	relative bool
	compact  bool // a narrow terminal drops the time of day, never the year
	loc      *time.Location
	now      time.Time
}

func (f timeFormat) width() int {
	switch {
	case f.relative:
		return 9
	case f.compact:
		return 10
	}
	return 16
}

func (f timeFormat) format(t time.Time) string {
	switch {
	case t.IsZero():
		return "-"
	case f.relative:
		return relative(f.now, t)
	case f.compact:
		return t.In(f.loc).Format("2006-01-02")
	}
	return t.In(f.loc).Format("2006-01-02 15:04")
}

// relative renders t as an age such as "3m ago".
func relative(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return "in future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	case d < 30*24*time.Hour:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	case d < 365*24*time.Hour:
		return fmt.Sprintf("%dmo ago", int(d/(30*24*time.Hour)))
	}
	return fmt.Sprintf("%dy ago", int(d/(365*24*time.Hour)))
}

// fullTime renders t in local time and UTC, for the details screen; once
// when local time is UTC.
func fullTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	utc := t.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
	if name, offset := t.In(loc).Zone(); offset == 0 && name == "UTC" {
		return utc
	}
	return fmt.Sprintf("%s  (%s)", t.In(loc).Format("2006-01-02 15:04:05 MST"), utc)
}

// thousands formats n with thousands separators: 1,000,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
