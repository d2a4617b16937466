package user_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/user"
)

// TestNormalizeEmailFoldsCherokeeToCapitals: Unicode's case folding maps
// both cases of a Cherokee letter to the capital, where golang.org/x/text
// swaps them; NormalizeEmail restores the capitals, over the whole of both
// ranges of small letters (U+AB70..U+ABBF and U+13F8..U+13FD). Each pair
// is a letter at the end of a range and its capital: typed either way, it
// is one user.
func TestNormalizeEmailFoldsCherokeeToCapitals(t *testing.T) {
	tests := []struct {
		small, capital rune
	}{
		{0xAB70, 0x13A0}, // CHEROKEE SMALL LETTER A
		{0xABBF, 0x13EF}, // CHEROKEE SMALL LETTER YA
		{0x13F8, 0x13F0}, // CHEROKEE SMALL LETTER YE
		{0x13FD, 0x13F5}, // CHEROKEE SMALL LETTER MV
	}
	for _, tt := range tests {
		want := string(tt.capital) + "@x.org"
		for _, r := range []rune{tt.small, tt.capital} {
			if got := user.NormalizeEmail(string(r) + "@x.org"); got != want {
				t.Errorf("NormalizeEmail(%U@x.org) = %q; want %q (%U@x.org)", r, got, want, tt.capital)
			}
		}
	}
}

// TestNormalizeEmailIsNFC: folding can decompose what NFC composes ("ǰ",
// U+01F0, folds to "j" and a combining caron), and the normalised form is
// what the database stores and looks up: it is NFC however the address was
// typed, and normalising it again changes nothing.
func TestNormalizeEmailIsNFC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\u01f0@x.org", "\u01f0@x.org"},                // ǰ, precomposed
		{"j\u030c@x.org", "\u01f0@x.org"},               // j and a combining caron
		{"J\u030c@x.org", "\u01f0@x.org"},               // J̌, which has no precomposed form
		{"\u1e96@x.org", "\u1e96@x.org"},                // ẖ folds to h and a combining macron below, and composes back
		{"\u0130stanbul@x.org", "i\u0307stanbul@x.org"}, // İ folds to i and a combining dot
		{"\u00c5ngstr\u00f6m@x.org", "\u00e5ngstr\u00f6m@x.org"},
		{"A\u030angstro\u0308m@x.org", "\u00e5ngstr\u00f6m@x.org"},
	}
	for _, tt := range tests {
		got := user.NormalizeEmail(tt.in)
		if got != tt.want {
			t.Errorf("NormalizeEmail(%+q) = %+q; want %+q", tt.in, got, tt.want)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Errorf("NormalizeEmail(%+q) = %+q, which is not NFC", tt.in, got)
		}
		if again := user.NormalizeEmail(got); again != got {
			t.Errorf("NormalizeEmail(NormalizeEmail(%+q)) = %+q; want %+q", tt.in, again, got)
		}
	}
}
