package password

import (
	"slices"

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

// tooGuessable reports whether plain is one of the "expected" values NIST
// SP 800-63B tells verifiers to refuse besides breached passwords:
// repetitive or sequential characters and keyboard patterns. At the default
// 15-character minimum almost no breached password is long enough to be
// refused by the list alone, while "passwordpassword", "123456789012345" or
// "qwertyuiopasdfgh" are. (zxcvbn's estimator finds these too, but building
// its dictionaries costs ~50 ms at the start of every command.)
func tooGuessable(plain string) bool {
	r := []rune(fold(plain))
	if distinct(r) <= 3 || weakRun(r) {
		return true
	}
	// "passwordpassword1234", "qwerty123456": a weak run of letters
	// followed by a weak run of digits (or the other way round).
	runs := splitRuns(r)
	if len(runs) == 2 {
		return weakRun(runs[0]) && weakRun(runs[1])
	}
	return false
}

// weakRun reports whether r is a sequence, a keyboard walk, a breached
// password, or a repeat of a short or weak unit.
func weakRun(r []rune) bool {
	if len(r) < 3 || sequential(r) || keyboardWalk(string(r)) || isCommonFolded(string(r)) {
		return true
	}
	if unit := period(r); unit > 0 && (unit < 8 || weakRun(r[:unit])) {
		return true
	}
	return false
}

// period returns the length of the shortest unit that r repeats, at most
// half of r, or 0 when r does not repeat one: "abcabcab" gives 3.
func period(r []rune) int {
	for p := 1; p <= len(r)/2; p++ {
		same := true
		for i := p; i < len(r) && same; i++ {
			same = r[i] == r[i-p]
		}
		if same {
			return p
		}
	}
	return 0
}

// splitRuns cuts r where it turns from letters to digits or back.
func splitRuns(r []rune) [][]rune {
	var runs [][]rune
	start := 0
	for i := 1; i <= len(r); i++ {
		if i == len(r) || unicode.IsDigit(r[i]) != unicode.IsDigit(r[i-1]) {
			runs = append(runs, r[start:i])
			start = i
		}
	}
	return runs
}

// sequential reports whether r runs through consecutive characters one
// way, as in "abcdef" or "9876543210987", digits wrapping around.
func sequential(r []rune) bool {
	if len(r) < 3 {
		return false
	}
	step := func(a, b rune) rune {
		d := b - a
		if a >= '0' && a <= '9' && b >= '0' && b <= '9' {
			switch d {
			case -9:
				d = 1
			case 9:
				d = -1
			}
		}
		return d
	}
	first := step(r[0], r[1])
	if first != 1 && first != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if step(r[i-1], r[i]) != first {
			return false
		}
	}
	return true
}

// keyboardWalks are strings a finger walk along a QWERTY or AZERTY
// keyboard types, by rows and by columns.
var keyboardWalks = []string{
	"qwertyuiopasdfghjklzxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
	"1234567890qwertyuiop", "qazwsxedcrfvtgbyhnujmikolp", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
}

// keyboardWalk reports whether s is, forwards or backwards, a stretch of
// a keyboard walk.
func keyboardWalk(s string) bool {
	rev := []rune(s)
	slices.Reverse(rev)
	for _, w := range keyboardWalks {
		if strings.Contains(w, s) || strings.Contains(w, string(rev)) {
			return true
		}
	}
	return false
}

// distinct counts the different characters in r.
func distinct(r []rune) int {
	seen := map[rune]bool{}
	for _, c := range r {
		seen[c] = true
	}
	return len(seen)
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
