package user

import (
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/spoof"
)

// MaxEmailLength is the longest address accepted, in bytes (RFC 5321's path
// limit less the angle brackets).
const MaxEmailLength = 254

// domainProfile maps a domain as UTS #46 does for lookup (nontransitional:
// "ß" stays "ß"): case, width and compatibility forms are mapped, punycode
// labels decoded and checked, the ideographic full stops (U+3002, U+FF0E,
// U+FF61) become dots, and labels must follow the STD3 host-name rules,
// the hyphen, joiner and bidi rules. So "xn--e1afmkfd.xn--p1ai",
// "ПРИМЕР.рф" and "пример。рф" are all "пример.рф".
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

// localProfile is the PRECIS IdentifierClass (RFC 8264) with NFC and the
// bidi rule, but without width mapping: letters and digits of any script,
// and printable ASCII, and nothing else. It refuses what makes a local part
// look like another one that the other checks do not name: symbols,
// compatibility forms (fullwidth "ａ", ligatures), unassigned code points and
// joiners outside their context.
var localProfile = precis.NewIdentifier(precis.BidiRule, precis.Norm(norm.NFC))

// ValidateEmail trims s and returns it if it is a bare address that cannot
// pass for another one: no display name, no comment, at most MaxEmailLength
// bytes, no control or invisible characters, a local part that is a PRECIS
// identifier in one script (UTS #39 Highly Restrictive), and a domain that
// IDNA (UTS #46) accepts, has a dot, and whose labels are each in one script.
// Errors wrap ErrInvalidEmail and say why.
//
// The address returned is what was typed, trimmed, except that a domain IDNA
// maps to anything but its own lower case is replaced by the mapped, Unicode
// form: "admin@xn--e1afmkfd.xn--p1ai" and "admin@ｅxample。org" come back
// as "admin@пример.рф" and "admin@example.org". The case a person typed is
// theirs to keep (an export imports as it was) and changes nothing, since
// NormalizeEmail and the look-alike skeleton both fold case; but punycode
// hides the script of a domain from whoever reads the list, and fullwidth
// letters or ideographic full stops show one domain two ways and reach no
// mail server, so those are stored as the form IDNA looks up.
func ValidateEmail(s string) (string, error) {
	email := strings.TrimSpace(s)
	invalid := func(why string) (string, error) {
		return "", &emailError{why: why}
	}
	switch {
	case email == "":
		return invalid("empty")
	case !utf8.ValidString(email):
		return invalid("not valid UTF-8")
	case len(email) > MaxEmailLength:
		return invalid(fmt.Sprintf("longer than %d bytes", MaxEmailLength))
	}
	if strings.ContainsAny(email, "<>()") {
		// Caught before the space check so "Bob <bob@x.org>" hears why.
		return invalid("want a bare address like name@example.org, without a name or comment")
	}
	for _, r := range email {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			// Cf covers bidirectional overrides and zero-width characters,
			// which make one address look like another.
			return invalid("contains control or invisible characters")
		}
		if unicode.IsSpace(r) {
			return invalid("contains spaces")
		}
		if spoof.Invisible(r) {
			// Default ignorable code points outside Cf (U+034F, variation
			// selectors, U+17B4) and letters that draw nothing (the Hangul
			// fillers, U+2800) hide inside an address just as well.
			return "", &emailError{why: fmt.Sprintf("contains the invisible character %U", r), spoof: true}
		}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil {
		return invalid("not an address like name@example.org")
	}
	// ParseAddress accepts "Bob <bob@example.org>" and comments: insist that
	// what it found is exactly what was typed.
	if addr.Name != "" || addr.Address != email {
		return invalid("want a bare address like name@example.org, without a name or comment")
	}
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if local == "" {
		return invalid("missing the part before @")
	}
	if err := checkLocal(local); err != nil {
		return "", err
	}
	shown, err := checkDomain(domain)
	if err != nil {
		return "", err
	}
	email = local + "@" + shown
	if len(email) > MaxEmailLength {
		// Decoding punycode can lengthen a domain.
		return invalid(fmt.Sprintf("longer than %d bytes once its domain is decoded", MaxEmailLength))
	}
	return email, nil
}

// emailError is a refused address. It matches ErrInvalidEmail and reads
// "invalid email: <why>".
type emailError struct {
	why string
	// spoof is set when the address is refused for what could make it look
	// like another one (invisible characters, mixed scripts, compatibility
	// forms) rather than for being no address at all.
	spoof bool
}

func (e *emailError) Error() string { return ErrInvalidEmail.Error() + ": " + e.why }

// Is makes errors.Is(err, ErrInvalidEmail) true.
func (e *emailError) Is(target error) bool { return target == ErrInvalidEmail }

// checkLocal refuses local, the part of an address before its @, saying why.
func checkLocal(local string) error {
	spoofing := func(why string) error { return &emailError{why: why, spoof: true} }
	if isASCII(local) {
		// Printable ASCII (ValidateEmail refused controls and spaces) is all
		// a PRECIS identifier may hold, and all Latin or Common.
		return nil
	}
	if _, err := localProfile.String(local); err != nil {
		for _, r := range local {
			if nfkc := norm.NFKC.String(string(r)); nfkc != norm.NFC.String(string(r)) {
				return spoofing(fmt.Sprintf("the part before @ has %U %q, a compatibility form of %q: type %q instead", r, r, nfkc, nfkc))
			}
			if _, err := localProfile.String(string(r)); err != nil {
				return &emailError{why: fmt.Sprintf("the part before @ has %U %q: only letters, digits, marks and ASCII punctuation are allowed", r, r)}
			}
		}
		return &emailError{why: "the part before @ breaks the rules for Unicode identifiers (RFC 8264: joiners or right-to-left text out of place)"}
	}
	if !spoof.HighlyRestrictive(local) {
		return spoofing(fmt.Sprintf("the part before @ mixes scripts (%s): use one, or Latin with Han and Kana, Bopomofo or Hangul", strings.Join(spoof.Scripts(local), ", ")))
	}
	return nil
}

// idnaDots replaces the full stops IDNA maps to "." with it.
var idnaDots = strings.NewReplacer("\u3002", ".", "\uFF0E", ".", "\uFF61", ".")

// checkDomain maps domain through IDNA and returns the form to store (see
// ValidateEmail), or refuses it saying why.
func checkDomain(domain string) (string, error) {
	// The structure is checked on the dots IDNA will see, so that
	// "example。" hears the same reason as "example.".
	dotted := domain
	if strings.ContainsAny(domain, "\u3002\uFF0E\uFF61") {
		dotted = idnaDots.Replace(domain)
	}
	if !strings.Contains(dotted, ".") || strings.HasPrefix(dotted, ".") || strings.HasSuffix(dotted, ".") || strings.Contains(dotted, "..") {
		return "", &emailError{why: fmt.Sprintf("domain %q needs a dot, as in example.org", domain)}
	}
	var mapped string
	var err error
	if isPlainASCII(domain) {
		// Both forms are the same lower-case ASCII: one pass checks it.
		mapped, err = domainProfile.ToASCII(domain)
	} else if mapped, err = domainProfile.ToUnicode(domain); err == nil {
		_, err = domainProfile.ToASCII(mapped) // lengths are those of the ASCII form
	}
	if err != nil {
		return "", &emailError{why: fmt.Sprintf("domain %q is not a valid domain name: %s", domain, idnaReason(err))}
	}
	for label := range strings.SplitSeq(mapped, ".") {
		if !spoof.HighlyRestrictive(label) {
			return "", &emailError{why: fmt.Sprintf("domain label %q mixes scripts (%s)", label, strings.Join(spoof.Scripts(label), ", ")), spoof: true}
		}
	}
	if strings.ToLower(domain) == mapped {
		return domain, nil
	}
	return mapped, nil
}

// idnaReason rewords an error of package idna for a person.
func idnaReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "idna: ")
	var r rune
	if _, scanErr := fmt.Sscanf(msg, "disallowed rune U+%X", &r); scanErr == nil {
		return fmt.Sprintf("%U %q is not allowed in a host name (letters, digits and hyphens)", r, r)
	}
	if strings.HasPrefix(msg, "invalid label") {
		return "a label breaks the IDNA rules (a hyphen at its start or end, \"--\" in third and fourth place, bad punycode, over 63 bytes, or mixed directions)"
	}
	return msg
}

// NormalizeEmail returns the form of email used to decide whether two
// addresses are the same user: trimmed, its domain mapped as IDNA looks it up
// (punycode decoded, width and the ideographic full stops mapped), NFC, and
// Unicode case-folded. So "Élodie@X.org" and "élodie@x.org" normalise alike,
// and so do "a@xn--e1afmkfd.xn--p1ai", "a@ПРИМЕР.рф" and "a@пример。рф".
// It accepts any string, valid or not: a domain IDNA refuses is only
// case-folded, as it always was.
func NormalizeEmail(email string) string {
	s := strings.TrimSpace(email)
	if isASCII(s) && !strings.Contains(strings.ToLower(s), "xn--") {
		// What IDNA, NFC and folding do to ASCII without punycode.
		return strings.ToLower(s)
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[:at+1] + lookupDomain(s[at+1:])
	}
	return norm.NFC.String(foldCase(norm.NFC.String(s)))
}

var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// foldCase returns s with Unicode case folding applied. golang.org/x/text's
// folding swaps Cherokee letters between their two cases instead of
// mapping both to the capital, as CaseFolding.txt does, so that folding twice
// gave back the original: the capitals are restored here.
func foldCase(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	// A Caser keeps state between calls: each call takes one of its own
	// from the pool, where making one was most of the cost.
	c := folders.Get().(*cases.Caser)
	c.Reset()
	s = c.String(s)
	folders.Put(c)
	return strings.Map(func(r rune) rune {
		if (r >= 0xAB70 && r <= 0xABBF) || (r >= 0x13F8 && r <= 0x13FD) {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// lookupDomain returns domain as IDNA maps it for lookup, or domain itself
// when IDNA refuses it.
func lookupDomain(domain string) string {
	if isPlainASCII(domain) {
		// The common case: IDNA would only lower the case, which the fold
		// after it does anyway.
		return domain
	}
	mapped, err := domainProfile.ToUnicode(domain)
	if err != nil {
		return domain
	}
	return mapped
}

// isPlainASCII reports whether domain is ASCII without a punycode label.
func isPlainASCII(domain string) bool {
	return isASCII(domain) && !strings.Contains(strings.ToLower(domain), "xn--")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
