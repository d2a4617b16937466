package user_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/spoof"
	"github.com/ctitui/ctitui/internal/user"
)

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice@example.org", "alice@example.org", true},
		{"  alice@example.org\t", "alice@example.org", true},
		{"Élodie@exemple.fr", "Élodie@exemple.fr", true},
		{"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk", true},
		{"", "", false},
		{"   ", "", false},
		{"alice", "", false},
		{"alice@localhost", "", false},
		{"alice@example.", "", false},
		{"alice@.example.org", "", false},
		{"alice@example..org", "", false},
		{"@example.org", "", false},
		{"Alice <alice@example.org>", "", false},
		{"<alice@example.org>", "", false},
		{"alice@example.org (Alice)", "", false},
		{"al ice@example.org", "", false},
		{"alice@exa\x00mple.org", "", false},
		{"alice\x1b[31m@example.org", "", false},
		{"alice\u202e@example.org", "", false},
		{"alice\u200b@example.org", "", false},
		{"alice@example.org\n", "alice@example.org", true},
		{"a\nb@example.org", "", false},
		{"bad\xff@example.org", "", false},
		{"'; DROP TABLE users; --@example.org", "", false},
		// 254 bytes in all, in labels DNS allows (63 bytes at most), is
		// the longest address; one more byte is too long.
		{strings.Repeat("a", 64) + "@" + longDomain(185), strings.Repeat("a", 64) + "@" + longDomain(185), true},
		{strings.Repeat("a", 64) + "@" + longDomain(186), "", false},
		{"a@" + strings.Repeat("b", 185) + ".org", "", false}, // a label over 63 bytes

		// Invisible code points outside category Cf.
		{"ad\u034fmin@example.org", "", false},     // COMBINING GRAPHEME JOINER
		{"admin\ufe0f@example.org", "", false},     // VARIATION SELECTOR-16
		{"ad\u17b4min@example.org", "", false},     // KHMER VOWEL INHERENT AQ
		{"\u115fadmin@example.org", "", false},     // HANGUL CHOSEONG FILLER
		{"ad\u1160min@example.org", "", false},     // HANGUL JUNGSEONG FILLER
		{"admin\u3164@example.org", "", false},     // HANGUL FILLER
		{"admin\uffa0@example.org", "", false},     // HALFWIDTH HANGUL FILLER
		{"admin\u2800@example.org", "", false},     // BRAILLE PATTERN BLANK
		{"admin\U000e0041@example.org", "", false}, // TAG LATIN CAPITAL LETTER A
		{"admin@exam\u034fple.org", "", false},
		// Look-alike letters: fullwidth in the local part, mixed scripts.
		{"\uff41dmin@example.org", "", false}, // FULLWIDTH LATIN SMALL LETTER A
		{"\u0430dmin@example.org", "", false}, // Cyrillic а among Latin letters
		{"p\u0430ypal@x.org", "", false},
		{"\u0391lice@example.org", "", false}, // Greek Α among Latin letters
		{"admin@\u0430pple.com", "", false},   // Cyrillic а in a Latin domain label
		{"admin@xn--pple-43d.com", "", false}, // the same, as punycode
		// A single script, or Latin with the CJK combinations UTS #39 allows.
		{"дмитрий@пример.рф", "дмитрий@пример.рф", true},
		{"Дмитрий@Пример.РФ", "Дмитрий@Пример.РФ", true},
		{"δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή", true},
		{"山田taro@example.jp", "山田taro@example.jp", true}, // Han + Latin
		{"やまだ山田@例え.jp", "やまだ山田@例え.jp", true},             // Hiragana + Han
		{"김민준kim@example.kr", "김민준kim@example.kr", true}, // Hangul + Latin
		{"ivan.иванов@example.org", "", false},           // Latin and Cyrillic in one local part
		{"admin@пример.com", "admin@пример.com", true},   // each label is one script
		// Domains go through IDNA (UTS #46): punycode is shown in Unicode,
		// fullwidth letters and the ideographic full stops map to ASCII.
		{"admin@xn--e1afmkfd.xn--p1ai", "admin@пример.рф", true},
		{"admin@XN--E1AFMKFD.XN--P1AI", "admin@пример.рф", true},
		{"admin@example\u3002org", "admin@example.org", true}, // IDEOGRAPHIC FULL STOP
		{"admin@example\uff0eorg", "admin@example.org", true}, // FULLWIDTH FULL STOP
		{"admin@example\uff61org", "admin@example.org", true}, // HALFWIDTH IDEOGRAPHIC FULL STOP
		{"admin@\uff45xample.org", "admin@example.org", true}, // FULLWIDTH e
		{"admin@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.org", "admin@example.org", true},
		{"admin@exa\u00admple.org", "", false},           // SOFT HYPHEN: IDNA would map it away, but it is invisible (Cf)
		{"admin@Example.ORG", "admin@Example.ORG", true}, // case alone is kept as typed
		{"admin@example\u3002\u3002org", "", false},
		{"admin@example\u3002", "", false},
		{"admin@example", "", false},
		{"admin@ex_ample.org", "", false},                        // not a host name (STD3)
		{"admin@-example.org", "", false},                        // hyphen rules
		{"admin@xn--a.org", "", false},                           // broken punycode
		{"admin@xn--example-.org", "", false},                    // punycode that decodes to ASCII
		{"admin@[192.0.2.1]", "", false},                         // address literal
		{"admin@exa\u200dmple.org", "", false},                   // ZWJ outside its context
		{"admin@" + strings.Repeat("b", 64) + ".org", "", false}, // label over 63
	}
	for _, tt := range tests {
		got, err := user.ValidateEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidateEmail(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, user.ErrInvalidEmail) {
			t.Errorf("ValidateEmail(%q) error %v does not match ErrInvalidEmail", tt.in, err)
		}
	}
}

// TestValidateEmailGivesTheRightReason: an address is refused for the rule
// it breaks first, and the error names that rule. Each case is one a
// neighbouring rule would also refuse, with a reason that misleads:
//
//   - the length is judged on what was typed, before any mapping, so an
//     address of 255 bytes is too long even when IDNA would map its domain
//     shorter, and an address that is too long as typed never hears that
//     it is too long "once its domain is decoded";
//   - a domain whose punycode decodes to more than 254 bytes is refused
//     after decoding, saying so;
//   - a name or comment after the address is named as such, not as a space;
//   - an empty label between two ideographic full stops breaks the dot
//     rule, as it does between two ASCII dots.
func TestValidateEmailGivesTheRightReason(t *testing.T) {
	// 55 Han characters: 61 bytes as punycode, 165 as UTF-8.
	han := strings.Repeat("\u5c71", 55)
	const hanPunycode = "xn--rhtaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	// Fullwidth letters are three bytes each and map to one.
	fullwidth := strings.Repeat("\uff42", 60) // ｂ
	tests := []struct {
		name, in string
		want     string // in the error
		notWant  string // not in the error
	}{
		{
			name:    "255 bytes of ASCII",
			in:      strings.Repeat("a", 64) + "@" + longDomain(186),
			want:    "longer than 254 bytes",
			notWant: "decoded",
		},
		{
			name:    "255 bytes as typed, fewer once IDNA maps its fullwidth letters",
			in:      strings.Repeat("a", 70) + "@" + fullwidth + ".org",
			want:    "longer than 254 bytes",
			notWant: "decoded",
		},
		{
			name: "192 bytes of punycode that decode to 400",
			in:   strings.Repeat("a", 64) + "@" + hanPunycode + "." + hanPunycode + ".org",
			want: "longer than 254 bytes once its domain is decoded",
		},
		{
			name: "a comment after the address",
			in:   "bob@example.org (Bob)",
			want: "without a name or comment",
		},
		{
			name: "a comment before the address",
			in:   "(Bob)bob@example.org",
			want: "without a name or comment",
		},
		{
			name: "two ideographic full stops in a row",
			in:   "a@example\u3002\u3002org",
			want: "needs a dot",
		},
		{
			name: "an ideographic full stop at the end",
			in:   "a@example\u3002",
			want: "needs a dot",
		},
	}
	if got := len(strings.Repeat("a", 70) + "@" + fullwidth + ".org"); got != 255 {
		t.Fatalf("fullwidth case is %d bytes; want 255", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := user.ValidateEmail(tt.in)
			if !errors.Is(err, user.ErrInvalidEmail) {
				t.Fatalf("ValidateEmail(%q) = %q, %v; want an error wrapping %v", tt.in, got, err, user.ErrInvalidEmail)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateEmail(%q) = %v; want the reason %q", tt.in, err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("ValidateEmail(%q) = %v; want no mention of %q", tt.in, err, tt.notWant)
			}
		})
	}
	// The decoded form on its own is a valid address: only its length
	// is wrong above.
	if _, err := user.ValidateEmail("a@" + han + ".org"); err != nil {
		t.Errorf("ValidateEmail(a@<55 Han>.org) = %v; want nil", err)
	}
}

// longDomain returns a domain of n bytes before ".org", in labels of at
// most 63 bytes.
func longDomain(n int) string {
	var labels []string
	for n > 0 {
		k := min(n, 63)
		if n-k == 1 {
			k-- // leave room for a dot and a label of one byte
		}
		labels = append(labels, strings.Repeat("b", k))
		n -= k + 1
	}
	return strings.Join(labels, ".") + ".org"
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Élodie@X.org", "élodie@x.org"},
		{"E\u0301lodie@x.org", "élodie@x.org"}, // decomposed É
		{"STRASSE@x.org", "strasse@x.org"},
		{"ΣΊΣΥΦΟΣ@x.gr", "σίσυφοσ@x.gr"},
		{" alice@x.org ", "ALICE@X.ORG"},
		// IDNA: the punycode and Unicode forms of a domain, its fullwidth
		// letters and the ideographic full stops are one domain.
		{"admin@xn--e1afmkfd.xn--p1ai", "admin@пример.рф"},
		{"admin@XN--E1AFMKFD.xn--P1AI", "ADMIN@ПРИМЕР.РФ"},
		{"admin@example\u3002org", "admin@example.org"},
		{"admin@example\uff0eorg", "admin@example.org"},
		{"admin@example\uff61org", "admin@example.org"},
		{"admin@\uff45\uff58ample.org", "admin@example.org"},
		{"admin@exa\u00admple.org", "admin@example.org"},
		{"admin@xn--strae-oqa.de", "admin@straße.de"},
		// Cherokee folds to its capitals (x/text swaps the two cases).
		{"\u13c6@x.org", "\uab96@x.org"},
		{"\u13f0@x.org", "\u13f8@x.org"},
	}
	for _, tt := range tests {
		if a, b := user.NormalizeEmail(tt.a), user.NormalizeEmail(tt.b); a != b {
			t.Errorf("NormalizeEmail(%q) = %q, NormalizeEmail(%q) = %q; want equal", tt.a, a, tt.b, b)
		}
	}
	if a, b := user.NormalizeEmail("alice@x.org"), user.NormalizeEmail("alicia@x.org"); a == b {
		t.Errorf("NormalizeEmail made different addresses equal: %q", a)
	}
}

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

// FuzzValidateEmail checks ValidateEmail, NormalizeEmail and EmailSkeleton
// on any input: no panic; normalising is idempotent and keeps valid UTF-8
// valid; an accepted address keeps its local part as typed and its domain as
// typed or as IDNA maps it, normalises and has the skeleton of what was
// typed, holds nothing invisible nor mixed scripts, and validates again as
// itself.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"alice@example.org", "Bob <bob@x.org>", "a@b", "\x00@x.org", "é@é.fr", "a@b.c (d)", `"quoted"@x.org`,
		"\u0430dmin@example.org", "admin@xn--e1afmkfd.xn--p1ai", "admin@example\u3002org", "admin@\uff45xample.org", "ad\u034fmin@x.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := user.NormalizeEmail(s)
		if again := user.NormalizeEmail(n); again != n {
			t.Fatalf("NormalizeEmail(%q) = %q, and of that %q: not idempotent", s, n, again)
		}
		sk := user.EmailSkeleton(s)
		if utf8.ValidString(s) && (!utf8.ValidString(n) || !utf8.ValidString(sk)) {
			t.Fatalf("NormalizeEmail(%q) = %q, EmailSkeleton = %q: want valid UTF-8", s, n, sk)
		}
		if again := user.EmailSkeleton(n); again != sk {
			t.Fatalf("EmailSkeleton(%q) = %q, EmailSkeleton of its normal form %q = %q; want equal", s, sk, n, again)
		}
		got, err := user.ValidateEmail(s)
		if err != nil {
			if !errors.Is(err, user.ErrInvalidEmail) {
				t.Fatalf("ValidateEmail(%q) error %v does not match ErrInvalidEmail", s, err)
			}
			return
		}
		typed := strings.TrimSpace(s)
		if localPart(got) != localPart(typed) {
			t.Fatalf("ValidateEmail(%q) = %q; want the local part as typed", s, got)
		}
		if user.NormalizeEmail(got) != user.NormalizeEmail(typed) || user.EmailSkeleton(got) != user.EmailSkeleton(typed) {
			t.Fatalf("ValidateEmail(%q) = %q, which normalises to %q, not %q", s, got, user.NormalizeEmail(got), user.NormalizeEmail(typed))
		}
		if len(got) > user.MaxEmailLength || !strings.Contains(got, "@") || strings.ContainsAny(got, " <>()\x00\n") {
			t.Fatalf("ValidateEmail(%q) accepted %q", s, got)
		}
		for _, r := range got {
			if spoof.Invisible(r) {
				t.Fatalf("ValidateEmail(%q) accepted %q with the invisible %U", s, got, r)
			}
		}
		if local := localPart(got); !spoof.HighlyRestrictive(local) {
			t.Fatalf("ValidateEmail(%q) accepted %q, whose local part mixes %v", s, got, spoof.Scripts(local))
		}
		// Accepted addresses are stable: validating again changes nothing.
		if again, err := user.ValidateEmail(got); err != nil || again != got {
			t.Fatalf("ValidateEmail(%q) = %q, %v; want %q", got, again, err, got)
		}
	})
}

func TestParseRoles(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		ok   bool
	}{
		{nil, "analyst", true},
		{[]string{"admin"}, "admin", true},
		{[]string{"Viewer", " admin "}, "admin,viewer", true},
		{[]string{"admin,analyst", "admin"}, "admin,analyst", true},
		{[]string{"root"}, "", false},
		{[]string{""}, "", false},
	}
	for _, tt := range tests {
		got, err := user.ParseRoles(tt.in)
		if (err == nil) != tt.ok || user.JoinRoles(got) != tt.want {
			t.Errorf("ParseRoles(%q) = %q, %v; want %q, ok=%v", tt.in, user.JoinRoles(got), err, tt.want, tt.ok)
		}
	}
}

// localPart is the part of email before its last '@'.
func localPart(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[:at]
	}
	return email
}
