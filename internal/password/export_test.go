package password

import "golang.org/x/text/unicode/norm"

// IsCommon reports whether plain is one of the common passwords, compared
// as Policy.Check compares it (NFC, then case-folded). The program asks
// only Policy.Check; the tests ask the list itself, which Check does not
// reach for a password shorter than the policy's minimum.
func IsCommon(plain string) bool { return isCommonFolded(fold(norm.NFC.String(plain))) }

// Generate is GenerateFor under the default policy, with no email.
func Generate() (string, error) { return GenerateFor(Policy{}, "") }

// IsCommonFolded is isCommonFolded: whether folded, already normalised and
// case-folded, is one of the common passwords.
func IsCommonFolded(folded string) bool { return isCommonFolded(folded) }
