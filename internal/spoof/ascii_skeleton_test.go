package spoof_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/spoof"
)

// TestSkeletonOfASCIIAgreesWithTheGeneralPath: Skeleton takes a shortcut
// for ASCII, which most addresses are; it must give what the general path
// gives. A zero width space, which the skeleton drops, sends the same text
// down the general path. Every ASCII character is tried alone and in
// company, "%" (whose prototype is not ASCII) among them.
func TestSkeletonOfASCIIAgreesWithTheGeneralPath(t *testing.T) {
	var inputs []string
	for c := range rune(0x80) {
		inputs = append(inputs, string(c), "a"+string(c)+"b")
	}
	inputs = append(inputs, "100%@example.org", "rn%m@x.org", "%%", "admin@example.org", "l0gin@x.org")
	for _, s := range inputs {
		fast := spoof.Skeleton(s)
		for _, general := range []string{s + "\u200b", "\u200b" + s} {
			if want := spoof.Skeleton(general); fast != want {
				t.Errorf("Skeleton(%q) = %q; want %q, the skeleton of %q", s, fast, want, general)
			}
		}
	}
	if a, b := spoof.Skeleton("a%"), spoof.Skeleton("a"); a == b {
		t.Errorf("Skeleton(%q) = Skeleton(%q) = %q; want different: %% is not invisible", "a%", "a", a)
	}
}
