package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

func TestParseCanonicalTime(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2025-12-31T23:54:25.067Z", true},
		{"0000-01-01T00:00:00.000Z", true},
		{"9999-12-31T23:59:59.999Z", true},
		{"2024-02-29T12:00:00.000Z", true},
		{"2000-02-29T12:00:00.000Z", true},
		{"1900-02-29T12:00:00.000Z", false}, // not a leap year
		{"2025-02-29T12:00:00.000Z", false},
		{"2025-04-31T12:00:00.000Z", false},
		{"2025-13-01T12:00:00.000Z", false},
		{"2025-00-01T12:00:00.000Z", false},
		{"2025-01-00T12:00:00.000Z", false},
		{"2025-01-01T24:00:00.000Z", false},
		{"2025-01-01T23:60:00.000Z", false},
		{"2025-01-01T23:59:60.000Z", false},
		{"2025-01-01T23:59:59.000", false},
		{"2025-01-01T23:59:59.0000Z", false},
		{"2025-01-01 23:59:59.000Z", false},
		{"2025-01-01T23:59:59,000Z", false}, // time.Parse takes it; the slow path does
		{"2025-01-01T23:59:59.+12Z", false},
		{"+025-01-01T23:59:59.000Z", false},
		{"2025-01-01T23:59:59.000+", false},
		{"", false},
	} {
		got, ok := parseCanonicalTime(tt.in)
		if ok != tt.ok {
			t.Errorf("parseCanonicalTime(%q) ok = %v; want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := time.Parse(user.TimeLayout, tt.in)
		if err != nil || got != want {
			t.Errorf("parseCanonicalTime(%q) = %v; time.Parse gives %v, %v", tt.in, got, want, err)
		}
	}
}

// Every day of four centuries, leap years included, reads as time.Parse reads it.
func TestParseCanonicalTimeEveryDay(t *testing.T) {
	for d := time.Date(1899, 12, 25, 1, 2, 3, 4e6, time.UTC); d.Year() < 2301; d = d.AddDate(0, 0, 1) {
		s := d.Format(user.TimeLayout)
		got, ok := parseCanonicalTime(s)
		if !ok || got != d {
			t.Fatalf("parseCanonicalTime(%q) = %v, %v; want %v, true", s, got, ok, d)
		}
		if next := d.AddDate(0, 0, 1); next.Day() == 1 {
			// The day after the month's last does not exist.
			bad := s[:8] + "32" + s[10:]
			if d.Day() < 31 {
				bad = s[:8] + time.Date(0, 1, d.Day()+1, 0, 0, 0, 0, time.UTC).Format("02") + s[10:]
			}
			if _, ok := parseCanonicalTime(bad); ok {
				t.Fatalf("parseCanonicalTime(%q) accepted a day past the month's end", bad)
			}
		}
	}
}

// FuzzParseCanonicalTime holds the fast path to time.Parse: whatever it
// accepts, time.Parse accepts with the same result, and every string in the
// canonical form that time.Parse reads back exactly, it accepts.
func FuzzParseCanonicalTime(f *testing.F) {
	for _, s := range []string{
		"2025-12-31T23:54:25.067Z", "2024-02-29T00:00:00.000Z", "2025-02-29T00:00:00.000Z",
		"0000-01-01T00:00:00.000Z", "2025-01-01T23:59:59,000Z", "2025-01-01T23:59:60.000Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseCanonicalTime(s)
		want, err := time.Parse(user.TimeLayout, s)
		if ok {
			if err != nil {
				t.Fatalf("parseCanonicalTime(%q) = %v; time.Parse fails: %v", s, got, err)
			}
			if got != want || got.Location() != want.Location() {
				t.Fatalf("parseCanonicalTime(%q) = %v; time.Parse gives %v", s, got, want)
			}
			return
		}
		if err == nil && want.Format(user.TimeLayout) == s {
			t.Fatalf("parseCanonicalTime(%q) refused a canonical time", s)
		}
	})
}

// FuzzParseCanonicalTimeFields builds canonical-shaped strings from fields
// in and out of range, which random strings rarely reach.
func FuzzParseCanonicalTimeFields(f *testing.F) {
	f.Add(uint16(2024), uint8(2), uint8(29), uint8(23), uint8(59), uint8(59), uint16(999))
	f.Add(uint16(1900), uint8(2), uint8(29), uint8(24), uint8(60), uint8(60), uint16(0))
	f.Fuzz(func(t *testing.T, year uint16, month, day, hour, minute, sec uint8, milli uint16) {
		s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year%10000, month%100, day%100, hour%100, minute%100, sec%100, milli%1000)
		got, ok := parseCanonicalTime(s)
		want, err := time.Parse(user.TimeLayout, s)
		if ok != (err == nil) || got != want {
			t.Fatalf("parseCanonicalTime(%q) = %v, %v; time.Parse gives %v, %v", s, got, ok, want, err)
		}
	})
}
