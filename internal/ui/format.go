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

// inline makes database text safe and cuts it to width columns without
// padding, for text inside a sentence.
func inline(s string, width int) string {
	return fit(textsafe.Line(s), width)
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
