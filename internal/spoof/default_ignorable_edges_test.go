package spoof_test

import (
	"testing"
	"unicode"

	"github.com/ctitui/ctitui/internal/spoof"
)

// TestDefaultIgnorableExclusions: the derivation of Default_Ignorable_Code_Point
// in DerivedCoreProperties.txt takes whole ranges of format characters out
// again, the interlinear annotation controls (U+FFF9..U+FFFB) and the
// Egyptian hieroglyph format controls (U+13430..U+13440): every character
// of both, to its last, is visible in the sense that matters here. Each
// format character just outside them is default ignorable as usual.
func TestDefaultIgnorableExclusions(t *testing.T) {
	for _, r := range [][2]rune{{0xFFF9, 0xFFFB}, {0x13430, 0x13440}} {
		for c := r[0]; c <= r[1]; c++ {
			if spoof.DefaultIgnorable(c) {
				t.Errorf("DefaultIgnorable(%U) = true; want false (Cf %v, excluded from the derivation)", c, unicode.Is(unicode.Cf, c))
			}
		}
	}
	// Still format characters, and so default ignorable: the ones
	// nearest the excluded ranges.
	for _, c := range []rune{0xFEFF, 0xE0001} {
		if !spoof.DefaultIgnorable(c) {
			t.Errorf("DefaultIgnorable(%U) = false; want true", c)
		}
	}
}
