package user_test

import (
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// formatTimeSlow is what FormatTime returned before AppendTime: the reference.
func formatTimeSlow(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(user.TimeLayout)
}

func TestFormatTimeMatchesTimeFormat(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	west := time.FixedZone("west", -11*3600)
	for _, tm := range []time.Time{
		{},
		time.Now(), // with a monotonic reading
		time.Date(2025, 12, 31, 23, 54, 25, 67_999_999, time.UTC),
		time.Date(2026, 1, 1, 3, 0, 0, 999_999_999, east), // the UTC date is the day before
		time.Date(2025, 12, 31, 20, 0, 0, 1, west),        // the UTC date is the day after
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 500e6, time.UTC),
		time.Unix(0, 0),
	} {
		want := formatTimeSlow(tm)
		if got := user.FormatTime(tm); got != want {
			t.Errorf("FormatTime(%v) = %q; want %q", tm, got, want)
		}
		if got := string(user.AppendTime([]byte("x"), tm)); got != "x"+want {
			t.Errorf("AppendTime(x, %v) = %q; want %q", tm, got, "x"+want)
		}
	}
}

func FuzzFormatTime(f *testing.F) {
	f.Add(int64(1767225265), int64(67e6), int32(0))
	f.Add(int64(-62135596800), int64(0), int32(-3600))
	f.Add(int64(253402300799), int64(999999999), int32(50400))
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("z", int(offset%(26*3600))))
		if got, want := user.FormatTime(tm), formatTimeSlow(tm); got != want {
			t.Fatalf("FormatTime(%v) = %q; want %q", tm, got, want)
		}
	})
}
