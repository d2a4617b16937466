package user

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address accepted, in bytes (RFC 5321's path
// limit less the angle brackets).
const MaxEmailLength = 254

// ValidateEmail trims s and returns it if it is a bare address: no display
// name, no comment, at most MaxEmailLength bytes, no control characters, and a
// domain that contains a dot. Errors wrap ErrInvalidEmail and say why.
func ValidateEmail(s string) (string, error) {
	email := strings.TrimSpace(s)
	invalid := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrInvalidEmail, why)
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
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return invalid(fmt.Sprintf("domain %q needs a dot, as in example.org", domain))
	}
	return email, nil
}

// NormalizeEmail returns the form of email used to decide whether two
// addresses are the same user: trimmed, NFC, Unicode case-folded. So
// "Élodie@X.org" and "élodie@x.org" normalise alike.
func NormalizeEmail(email string) string {
	s := norm.NFC.String(strings.TrimSpace(email))
	// A Caser keeps state between calls, so each call makes its own.
	return norm.NFC.String(cases.Fold().String(s))
}

// LocalPart returns the part of email before its last '@'.
func LocalPart(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[:at]
	}
	return email
}
