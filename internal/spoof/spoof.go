// Package spoof finds text that looks like other text: the confusable
// skeleton, script restriction and invisible characters of Unicode Technical
// Standard #39 (Unicode Security Mechanisms). ICU calls the same thing a spoof
// checker.
//
// The confusables data comes from go.mau.fi/util/confusable, a table
// generated from Unicode's confusables.txt (version 17.0.0 at the module
// version in go.mod); normalisation comes from golang.org/x/text and script
// and property tables from Go's unicode package (unicode.Version).
package spoof

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/unicode/norm"
)

// Skeleton returns the UTS #39 skeleton of s: s in NFD, without its default
// ignorable code points, each character replaced by its prototype from the
// confusables table, and in NFD again. Two strings whose skeletons are equal
// are confusable. A skeleton is for comparing, never for showing: it is a
// hodgepodge of scripts ("аdmin" and "admin" both give "adrnin").
//
// UTS #39 means a skeleton to be one (skeleton(skeleton(s)) == skeleton(s)),
// but a prototype in the table can decompose into a character that has a
// prototype itself (U+048B gives "й̦", whose NFD holds и, which maps to ᴎ), so
// the mapping is repeated until it changes nothing: Skeleton is idempotent.
func Skeleton(s string) string {
	if sk, ok := asciiSkeleton(s); ok {
		return sk
	}
	// Invalid bytes become U+FFFD first: normalisation leaves them in place,
	// where they could hide the character after them from it.
	sk, again := skeletonOnce(strings.ToValidUTF8(s, "\uFFFD"))
	for i := 0; again && i < maxRounds; i++ {
		var next string
		next, again = skeletonOnce(sk)
		if next == sk {
			break
		}
		sk = next
	}
	return sk
}

// skeletonOnce maps s once. again reports whether it used a prototype whose
// NFD holds a character the table maps further, so that another round may
// change the result; without one, the result is final.
func skeletonOnce(s string) (sk string, again bool) {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if r < utf8.RuneSelf {
			if p := asciiPrototypes()[r]; p != "" {
				b.WriteString(p)
				continue
			}
		} else if DefaultIgnorable(r) {
			// UTS #39 (since 15.1) drops them before mapping: they draw
			// nothing, so "ad\u034fmin" is "admin" to a reader.
			continue
		}
		if p := confusable.GetReplacement(r); p != "" {
			b.WriteString(p)
			again = again || unstable(r, p)
		} else {
			b.WriteRune(r)
		}
	}
	return norm.NFD.String(b.String()), again
}

// unstableCache remembers, by character, what unstable found.
var unstableCache sync.Map // rune -> bool

// unstable reports whether p, the prototype of r, holds in NFD a character
// the table maps or drops: mapping r once is then not the end.
func unstable(r rune, p string) bool {
	if v, ok := unstableCache.Load(r); ok {
		return v.(bool)
	}
	found := false
	for _, q := range norm.NFD.String(p) {
		if confusable.GetReplacement(q) != "" || DefaultIgnorable(q) {
			found = true
			break
		}
	}
	unstableCache.Store(r, found)
	return found
}

// asciiPrototypes holds the prototype of each ASCII character, "" where
// the confusables table maps it outside ASCII (so far only "%").
var asciiPrototypes = sync.OnceValue(func() (t [utf8.RuneSelf]string) {
	for c := range rune(utf8.RuneSelf) {
		p := confusable.GetReplacement(c)
		switch {
		case p == "":
			t[c] = string(c)
		case isASCII(p):
			t[c] = p
		}
	}
	return t
})

// asciiSkeleton is Skeleton for ASCII s, which most addresses are, without
// normalising: ASCII is its own NFD, has no default ignorables, and the
// table maps it to ASCII except for "%". ok is false when s needs the
// general path.
func asciiSkeleton(s string) (sk string, ok bool) {
	if !isASCII(s) {
		return "", false
	}
	t := asciiPrototypes()
	for range maxRounds + 1 {
		var b strings.Builder
		b.Grow(len(s) + 8)
		for i := 0; i < len(s); i++ {
			p := t[s[i]]
			if p == "" {
				return "", false
			}
			b.WriteString(p)
		}
		if b.String() == s {
			return s, true
		}
		s = b.String()
	}
	return s, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxRounds bounds the repetitions of the mapping; the table needs two.
const maxRounds = 8

// DefaultIgnorable reports whether r has the derived Unicode property
// Default_Ignorable_Code_Point: a character that renders as nothing unless a
// font gives it a glyph on purpose. Go's unicode package has the contributory
// properties, not the derived one; this is its derivation from
// DerivedCoreProperties.txt:
//
//	Other_Default_Ignorable_Code_Point + Cf + Variation_Selector
//	- White_Space - FFF9..FFFB - 13430..13440 - Prepended_Concatenation_Mark
func DefaultIgnorable(r rune) bool {
	if !unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Variation_Selector, r) {
		return false
	}
	switch {
	case unicode.Is(unicode.White_Space, r),
		r >= 0xFFF9 && r <= 0xFFFB,   // interlinear annotation controls
		r >= 0x13430 && r <= 0x13440, // Egyptian hieroglyph format controls
		unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		return false
	}
	return true
}

// blankLetters are characters that draw nothing yet are neither default
// ignorable nor format characters, so a check for those lets them through:
// letters of category Lo whose glyph is empty, and a blank symbol.
var blankLetters = []rune{
	0x115F, // HANGUL CHOSEONG FILLER
	0x1160, // HANGUL JUNGSEONG FILLER
	0x3164, // HANGUL FILLER
	0xFFA0, // HALFWIDTH HANGUL FILLER
	0x2800, // BRAILLE PATTERN BLANK
}

// Invisible reports whether r draws nothing (or only space) where a person
// would expect to see it: control and format characters, default ignorable
// code points (combining grapheme joiner, variation selectors, Khmer
// inherent vowels, tags, ...), the Hangul fillers, the blank Braille pattern,
// and spaces. Two strings that differ only in invisible characters look alike.
func Invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7F
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || DefaultIgnorable(r) ||
		unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || slices.Contains(blankLetters, r)
}

// Script returns the Unicode Script property value of r, such as "Latin",
// "Cyrillic", "Common" or "Inherited"; "Unknown" for a code point no script
// table of this Go's Unicode version lists.
func Script(r rune) string {
	if r < 0x80 {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return "Latin"
		}
		return "Common"
	}
	t := scriptTable()
	i := sort.Search(len(t), func(i int) bool { return t[i].hi >= r })
	if i < len(t) && t[i].lo <= r {
		return t[i].name
	}
	return "Unknown"
}

type scriptRange struct {
	lo, hi rune
	name   string
}

// scriptTable merges unicode.Scripts into one sorted list of ranges, so that
// finding a rune's script is one binary search instead of one per script.
var scriptTable = sync.OnceValue(func() []scriptRange {
	var t []scriptRange
	for name, table := range unicode.Scripts {
		for _, r := range table.R16 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				hi := lo
				if r.Stride == 1 {
					hi = rune(r.Hi)
				}
				t = append(t, scriptRange{lo, hi, name})
				if r.Stride == 1 {
					break
				}
			}
		}
		for _, r := range table.R32 {
			for lo := rune(r.Lo); lo <= rune(r.Hi); lo += rune(r.Stride) {
				hi := lo
				if r.Stride == 1 {
					hi = rune(r.Hi)
				}
				t = append(t, scriptRange{lo, hi, name})
				if r.Stride == 1 {
					break
				}
			}
		}
	}
	slices.SortFunc(t, func(a, b scriptRange) int { return int(a.lo - b.lo) })
	return t
})

// Scripts returns the scripts of the characters of s that belong to one,
// sorted: characters of the Common and Inherited scripts (digits,
// punctuation, combining marks) belong to whatever script surrounds them and
// are not counted.
func Scripts(s string) []string {
	var out []string
	for _, r := range s {
		switch sc := Script(r); sc {
		case "Common", "Inherited":
		default:
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	slices.Sort(out)
	return out
}

// highlyRestrictive lists the script combinations UTS #39's Highly
// Restrictive level allows besides a single script: Latin with the scripts
// that Japanese, Chinese (Bopomofo) and Korean writing mix with it.
var highlyRestrictive = [][]string{
	{"Han", "Hiragana", "Katakana", "Latin"},
	{"Bopomofo", "Han", "Latin"},
	{"Han", "Hangul", "Latin"},
}

// HighlyRestrictive reports whether s meets UTS #39's Highly Restrictive
// level: all its characters are of one script (Common and Inherited ones not
// counted), or the scripts are a subset of Latin + Han + Hiragana + Katakana,
// Latin + Han + Bopomofo, or Latin + Han + Hangul. So "дмитрий" and "山田taro"
// pass, and "аdmin" (a Cyrillic а among Latin letters) does not.
//
// It works on the Script property, not Script_Extensions, which Go's tables
// lack; characters that Script_Extensions would share between scripts are
// Common or Inherited in the Script property and are not counted.
func HighlyRestrictive(s string) bool {
	if isASCII(s) {
		return true // Latin and Common only
	}
	scripts := Scripts(s)
	if len(scripts) <= 1 {
		return true
	}
	for _, allowed := range highlyRestrictive {
		if subset(scripts, allowed) {
			return true
		}
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// Describe names r for a person comparing two strings that look alike:
// "U+0430 (Cyrillic)".
func Describe(r rune) string {
	return fmt.Sprintf("%U (%s)", r, Script(r))
}

// Differences lists, described, the characters that are in one of a and b
// but not in the other, at most max of them: what tells two look-alikes
// apart.
func Differences(a, b string, max int) []string {
	var out []string
	add := func(from, other string) {
		seen := map[rune]bool{}
		for _, r := range from {
			if len(out) >= max {
				return
			}
			if seen[r] || strings.ContainsRune(other, r) {
				continue
			}
			seen[r] = true
			out = append(out, Describe(r))
		}
	}
	add(a, b)
	add(b, a)
	return out
}
