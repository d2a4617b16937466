package spoof_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/spoof"
)

// TestSkeletonData ties the confusables table to Unicode's confusables.txt:
// each mapping below is a line of that file (source ; target ; MA), the
// last ones added in Unicode 16.0, so an older table fails here.
func TestSkeletonData(t *testing.T) {
	tests := []struct {
		in   rune
		want string
	}{
		{0x0430, "a"},      // CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
		{0x0440, "p"},      // CYRILLIC SMALL LETTER ER → LATIN SMALL LETTER P
		{0x03BF, "o"},      // GREEK SMALL LETTER OMICRON → LATIN SMALL LETTER O
		{0x0131, "i"},      // LATIN SMALL LETTER DOTLESS I → LATIN SMALL LETTER I
		{0x04CF, "l"},      // CYRILLIC SMALL LETTER PALOCHKA → LATIN SMALL LETTER L
		{'m', "rn"},        // LATIN SMALL LETTER M → r, n
		{'0', "O"},         // DIGIT ZERO → LATIN CAPITAL LETTER O
		{'1', "l"},         // DIGIT ONE → LATIN SMALL LETTER L
		{'I', "l"},         // LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
		{0xFF41, "a"},      // FULLWIDTH LATIN SMALL LETTER A → LATIN SMALL LETTER A
		{0x1D41A, "a"},     // MATHEMATICAL BOLD SMALL A → LATIN SMALL LETTER A
		{0x1CCD6, "A"},     // OUTLINED LATIN CAPITAL LETTER A (Unicode 16.0) → A
		{0x1CCF0, "O"},     // OUTLINED DIGIT ZERO (Unicode 16.0) → O
		{'a', "a"},         // not a source: itself
		{0x0434, "\u0434"}, // CYRILLIC SMALL LETTER DE: no prototype
	}
	for _, tt := range tests {
		if got := spoof.Skeleton(string(tt.in)); got != tt.want {
			t.Errorf("Skeleton(%q %U) = %q; want %q", tt.in, tt.in, got, tt.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct{ a, b string }{
		{"admin", "\u0430dmin"},                            // Cyrillic а
		{"paypal", "\u0440\u0430\u0443\u0440\u0430\u04cf"}, // all Cyrillic
		{"google", "g\u03bf\u03bfgle"},                     // Greek omicrons
		{"admin", "ad\u034fmin"},                           // COMBINING GRAPHEME JOINER, default ignorable
		{"admin", "admin\ufe0f"},                           // VARIATION SELECTOR-16
		{"admin", "ad\u17b4min"},                           // KHMER VOWEL INHERENT AQ
		{"admin", "\u115fadmin"},                           // HANGUL CHOSEONG FILLER
		{"admin", "ad\u3164min"},                           // HANGUL FILLER
		{"admin", "adm\u200bin"},                           // ZERO WIDTH SPACE
		{"modern", "rnodern"},
		{"bill", "bi11"},
		{"\u00e9", "e\u0301"}, // composed and decomposed é
	}
	for _, tt := range tests {
		if a, b := spoof.Skeleton(tt.a), spoof.Skeleton(tt.b); a != b {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q; want equal", tt.a, a, tt.b, b)
		}
	}
	for _, pair := range [][2]string{{"admin", "admln"}, {"alice", "bob"}, {"дмитрий", "dmitrij"}} {
		if a, b := spoof.Skeleton(pair[0]), spoof.Skeleton(pair[1]); a == b {
			t.Errorf("Skeleton(%q) = Skeleton(%q) = %q; want different", pair[0], pair[1], a)
		}
	}
}

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

func TestInvisible(t *testing.T) {
	for _, r := range []rune{0x034F, 0xFE0F, 0xFE00, 0xE0100, 0x17B4, 0x17B5, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800,
		0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0xE0041, 0x202E, 0x00A0, 0x3000, ' ', '\t', 0x1B, 0x7F, 0x9B} {
		if !spoof.Invisible(r) {
			t.Errorf("Invisible(%U) = false; want true", r)
		}
	}
	for _, r := range []rune{'a', '0', '.', '@', 0x0430, 0x00E9, 0x0301, 0x4E00, 0xAC00, 0x1100} {
		if spoof.Invisible(r) {
			t.Errorf("Invisible(%U) = true; want false", r)
		}
	}
}

func TestDefaultIgnorable(t *testing.T) {
	tests := []struct {
		r    rune
		want bool
	}{
		{0x00AD, true}, {0x034F, true}, {0x115F, true}, {0x1160, true}, {0x17B4, true}, {0x180B, true},
		{0x200B, true}, {0x2060, true}, {0x3164, true}, {0xFE0F, true}, {0xFEFF, true}, {0xFFA0, true},
		{0xE0001, true}, {0xE0100, true}, {0xE0FFF, true},
		{0x0020, false}, {0x00A0, false}, {0x2800, false}, // not default ignorable (Invisible covers them)
		{0x0600, false}, {0x06DD, false}, {0x110BD, false}, // prepended concatenation marks are visible
		{0xFFF9, false}, {0x13430, false}, {'a', false},
	}
	for _, tt := range tests {
		if got := spoof.DefaultIgnorable(tt.r); got != tt.want {
			t.Errorf("DefaultIgnorable(%U) = %v; want %v", tt.r, got, tt.want)
		}
	}
}

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

func TestHighlyRestrictive(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"admin", true},
		{"first.last+tag_1", true},
		{"дмитрий", true},
		{"пример", true},
		{"δοκιμή", true},
		{"דוד", true},
		{"山田taro", true},      // Han + Latin
		{"やまだ山田", true},       // Hiragana + Han
		{"ヤマダtaro", true},     // Katakana + Latin
		{"김민준kim", true},      // Hangul + Latin
		{"ㄅㄆ山", true},         // Bopomofo + Han
		{"123-456", true},     // Common only
		{"e\u0301", true},     // Inherited mark with Latin
		{"\u0430dmin", false}, // Cyrillic + Latin
		{"g\u03bf\u03bfgle", false},
		{"ivan.иванов", false},
		{"김민준やまだ", false}, // Hangul + Hiragana
		{"ㄅ김", false},     // Bopomofo + Hangul
		{"abcдα", false},
	}
	for _, tt := range tests {
		if got := spoof.HighlyRestrictive(tt.in); got != tt.want {
			t.Errorf("HighlyRestrictive(%q) = %v (scripts %v); want %v", tt.in, got, spoof.Scripts(tt.in), tt.want)
		}
	}
}

func TestScript(t *testing.T) {
	tests := []struct {
		r    rune
		want string
	}{
		{'a', "Latin"}, {'Z', "Latin"}, {'0', "Common"}, {'.', "Common"}, {0x00E9, "Latin"}, {0x0301, "Inherited"},
		{0x0430, "Cyrillic"}, {0x03B1, "Greek"}, {0x4E00, "Han"}, {0x3042, "Hiragana"}, {0x30A2, "Katakana"},
		{0xAC00, "Hangul"}, {0x3105, "Bopomofo"}, {0x05D0, "Hebrew"}, {0x0627, "Arabic"}, {0x1F600, "Common"},
		{0x10FFFF, "Unknown"},
	}
	for _, tt := range tests {
		if got := spoof.Script(tt.r); got != tt.want {
			t.Errorf("Script(%U) = %q; want %q", tt.r, got, tt.want)
		}
	}
}

func TestDifferences(t *testing.T) {
	got := spoof.Differences("\u0430dmin@x.org", "admin@x.org", 4)
	if want := []string{"U+0430 (Cyrillic)", "U+0061 (Latin)"}; !slices.Equal(got, want) {
		t.Errorf("Differences = %q; want %q", got, want)
	}
	if got := spoof.Differences("abcdef", "ghijkl", 3); len(got) != 3 {
		t.Errorf("Differences with max 3 = %q; want 3", got)
	}
}

// FuzzSkeleton checks what UTS #39 promises of a skeleton: it is valid
// UTF-8 when its input is, and taking it twice changes nothing.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{"admin", "\u0430dmin", "paypal", "m", "rn", "0O", "ad\u034fmin", "e\u0301", "ｍ", "\ufb01", "𝐚"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sk := spoof.Skeleton(s)
		if utf8.ValidString(s) && !utf8.ValidString(sk) {
			t.Fatalf("Skeleton(%q) = %q: not valid UTF-8", s, sk)
		}
		if again := spoof.Skeleton(sk); again != sk {
			t.Fatalf("Skeleton(Skeleton(%q)) = %q; want %q", s, again, sk)
		}
		for _, r := range sk {
			if spoof.DefaultIgnorable(r) {
				t.Fatalf("Skeleton(%q) = %q keeps the default ignorable %U", s, sk, r)
			}
		}
		spoof.HighlyRestrictive(s)
		_ = strings.Join(spoof.Differences(s, sk, 3), "")
	})
}
