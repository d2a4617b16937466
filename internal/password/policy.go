package password

import (
	"github.com/trustelem/zxcvbn"

	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Length limits of NIST SP 800-63B-4 (section 3.1.1.2), counted in Unicode
// code points after NFC normalisation.
const (
	// MinLengthFloor is the lowest minimum a Policy may require: the
	// NIST minimum when the password is used with a second factor.
	MinLengthFloor = 8
	// DefaultMinLength is the NIST minimum for a password that is the
	// only authentication factor.
	DefaultMinLength = 15
	// MaxLength is the longest password accepted.
	MaxLength = 256
)

// minLocalPart is the shortest email local part that Check looks for in a
// password; shorter ones ("al", "x") match too much by chance.
const minLocalPart = 3

// ErrPolicy is matched, with errors.Is, by every *PolicyError.
var ErrPolicy = errors.New("password rejected")

// PolicyError says why Check rejected a password. Reason never contains the
// password.
type PolicyError struct {
	Reason string
}

// Error returns the reason, e.g. "password too short: 9 characters, need
// at least 15".
func (e *PolicyError) Error() string {
	return e.Reason
}

// Is reports whether target is ErrPolicy.
func (e *PolicyError) Is(target error) bool {
	return target == ErrPolicy
}

// Policy is a password policy after NIST SP 800-63B-4: a length of
// MinLength to MaxLength code points, no composition rules (no required
// digits or symbols), no control characters, not a commonly used password,
// and not containing the user's email local part. The zero Policy requires
// DefaultMinLength.
type Policy struct {
	// MinLength is the minimum length in code points. 0 means
	// DefaultMinLength; values below MinLengthFloor count as
	// MinLengthFloor and values above MaxLength as MaxLength. Use
	// NewPolicy to reject such values instead.
	MinLength int
}

// NewPolicy returns a Policy requiring at least minLength code points. It
// returns an error if minLength is below MinLengthFloor or above MaxLength.
func NewPolicy(minLength int) (Policy, error) {
	if minLength < MinLengthFloor || minLength > MaxLength {
		return Policy{}, fmt.Errorf("minimum password length must be between %d and %d", MinLengthFloor, MaxLength)
	}
	return Policy{MinLength: minLength}, nil
}

// minLength is p.MinLength with 0 meaning DefaultMinLength, clamped to
// MinLengthFloor..MaxLength.
func (p Policy) minLength() int {
	switch {
	case p.MinLength == 0:
		return DefaultMinLength
	case p.MinLength < MinLengthFloor:
		return MinLengthFloor
	case p.MinLength > MaxLength:
		return MaxLength
	}
	return p.MinLength
}

// Check returns nil if plain is an acceptable password for the account with
// the given email, or a *PolicyError saying why not. Rules apply in this
// order: plain must be valid UTF-8 without control characters; its length
// after NFC normalisation must be within the policy's bounds; it must not
// be a common password (compared case-insensitively); and it must not
// contain the email's local part (case-insensitively, when that part has at
// least 3 code points). email may be empty.
func (p Policy) Check(plain, email string) error {
	if !utf8.ValidString(plain) {
		return reject("password is not valid UTF-8")
	}
	if strings.IndexFunc(plain, unicode.IsControl) >= 0 {
		return reject("password contains control characters (such as tab, newline or NUL)")
	}
	normal := norm.NFC.String(plain)
	n := utf8.RuneCountInString(normal)
	if least := p.minLength(); n < least {
		return reject(fmt.Sprintf("password too short: %d characters, need at least %d", n, least))
	}
	if n > MaxLength {
		return reject(fmt.Sprintf("password too long: %d characters, at most %d allowed", n, MaxLength))
	}
	folded := fold(normal)
	if isCommonFolded(folded) {
		return reject("password is too common (found in a list of breached passwords)")
	}
	if local := localPart(email); utf8.RuneCountInString(local) >= minLocalPart && strings.Contains(folded, local) {
		return reject("password contains the email address's local part")
	}
	if tooGuessable(normal) {
		return reject("password is too easy to guess (repeated or sequential characters, keyboard patterns or common words)")
	}
	return nil
}

// guessesFloor is the fewest guesses zxcvbn may estimate for a password:
// below a million it rates the password "too guessable" or "very
// guessable" (scores 0 and 1).
const guessesFloor = 1e6

// zxcvbnWindow bounds the text zxcvbn analyses: its matching grows faster
// than linearly with length, and a password that is weak in its first 64
// characters is weak.
const zxcvbnWindow = 64

// tooGuessable reports whether zxcvbn (the estimator from Dropbox, on the
// same lists as IsCommon) finds plain easy to guess. NIST SP 800-63B names
// repetitive and sequential characters as values to refuse along with
// breached passwords; at the default 15-character minimum almost no breached
// password is long enough to be refused by the list alone, while
// "passwordpassword" or "123456789012345" are.
func tooGuessable(plain string) bool {
	if r := []rune(plain); len(r) > zxcvbnWindow {
		plain = string(r[:zxcvbnWindow])
	}
	return zxcvbn.PasswordStrength(plain, nil).Guesses < guessesFloor
}

func reject(reason string) error {
	return &PolicyError{Reason: reason}
}

// fold returns s case-folded for case-insensitive comparison.
func fold(s string) string {
	// A cases.Caser is stateful and must not be shared between
	// goroutines; building one is cheap.
	return cases.Fold().String(s)
}

// localPart returns the NFC-normalised, case-folded part of email before its
// last "@", or the whole of email if it has none.
func localPart(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		email = email[:i]
	}
	return fold(norm.NFC.String(email))
}
