package password

import (
	"sync"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"
)

// commonPasswords is the set of the 30,000 most common passwords from the
// zxcvbn frequency lists (github.com/trustelem/zxcvbn/frequency, drawn from
// leaked password dumps), case-folded. It is built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, w := range list {
		set[fold(norm.NFC.String(w))] = struct{}{}
	}
	return set
})

// IsCommon reports whether plain, compared case-insensitively after NFC
// normalisation, is in the list of common passwords (about 30,000 entries
// from breached password dumps, as shipped by zxcvbn).
func IsCommon(plain string) bool {
	return isCommonFolded(fold(norm.NFC.String(plain)))
}

// isCommonFolded reports whether the normalised, case-folded folded is a
// common password.
func isCommonFolded(folded string) bool {
	_, ok := commonPasswords()[folded]
	return ok
}
