package main

import (
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// TestSettingsFlagBounds: the settings flags accept exactly what
// user.LockoutPolicy.Validate accepts, at each bound and one past it.
func TestSettingsFlagBounds(t *testing.T) {
	valid := func(threshold, minutes int) bool {
		return user.LockoutPolicy{Threshold: threshold, Duration: time.Duration(minutes) * time.Minute}.Validate() == nil
	}
	for _, tt := range []struct {
		threshold, minutes int
		want               bool
	}{
		{minLockoutThreshold, minLockoutMinutes, true},
		{maxLockoutThreshold, maxLockoutMinutes, true},
		{minLockoutThreshold - 1, minLockoutMinutes, false},
		{maxLockoutThreshold + 1, minLockoutMinutes, false},
		{minLockoutThreshold, minLockoutMinutes - 1, false},
		{minLockoutThreshold, maxLockoutMinutes + 1, false},
	} {
		if got := valid(tt.threshold, tt.minutes); got != tt.want {
			t.Errorf("Validate(%d failed logins, %d minutes) ok = %v; want %v (the flags' bounds)", tt.threshold, tt.minutes, got, tt.want)
		}
	}
}

// TestBoundedIntFlag: a settings flag takes a plain decimal number within
// its bounds, and nothing else, leaving its value as it was.
func TestBoundedIntFlag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int // -1: refused
	}{
		{"1", 1}, {"43200", 43200}, {"010", 10}, {"+5", 5},
		{"0", -1}, {"43201", -1}, {"-1", -1}, {"9007199254740993", -1}, {"9223372036854775807", -1},
		{"9223372036854775808", -1}, {"-9223372036854775809", -1}, {"0x10", -1}, {"0b1", -1}, {"0o7", -1},
		{"1_0", -1}, {"1.5", -1}, {"1e3", -1}, {" 5", -1}, {"5 ", -1}, {"", -1}, {"五", -1},
	} {
		n := -1
		f := &boundedInt{n: &n, min: minLockoutMinutes, max: maxLockoutMinutes, want: "want minutes"}
		err := f.Set(tt.in)
		if n != tt.want || (err == nil) != (tt.want >= 0) {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.in, n, err, tt.want)
		}
	}
}
