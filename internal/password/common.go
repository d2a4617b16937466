package password

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go test -run ^TestCommonPasswordsFile$ -update .

// commonPasswordsFile is the 30,000 most common passwords from the zxcvbn
// frequency lists (github.com/trustelem/zxcvbn/frequency, drawn from leaked
// password dumps), one a line, NFC-normalised and case-folded, in the
// library's order. It is embedded as text rather than read from that
// package because the package builds all its lists (1.5 MB) when the
// program starts, 8 to 15 ms at the start of every command, even those that
// never check a password. TestCommonPasswordsFile proves the file equals
// the library's list, and rewrites it with -update.
//
//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the set of the lines of commonPasswordsFile. It is
// built on first use (about 2 ms), so commands that never check a password
// never pay.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(commonPasswordsFile, "\n"))
	for line := range strings.Lines(commonPasswordsFile) {
		set[strings.TrimSuffix(line, "\n")] = struct{}{}
	}
	return set
})

// isCommonFolded reports whether folded, NFC-normalised and case-folded as
// Policy.Check does, is one of the common passwords (about 30,000 from
// breached password dumps, as shipped by zxcvbn).
func isCommonFolded(folded string) bool {
	_, ok := commonPasswords()[folded]
	return ok
}
