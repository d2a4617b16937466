package password

import (
	_ "embed"
	"strings"
)

//go:generate go test -run ^TestCommonPasswordsFile$ -update .

// commonPasswordsFile is the 30,000 most common passwords from the zxcvbn
// frequency lists (github.com/trustelem/zxcvbn/frequency, drawn from leaked
// password dumps), NFC-normalised and case-folded, one a line, sorted by
// bytes without repeats. It is embedded as text rather than read from that
// package because the package builds all its lists (1.5 MB) when the
// program starts, 8 to 15 ms at the start of every command, even those that
// never check a password; and sorted, so that a lookup is a binary search
// of the text as it is embedded, with nothing to build first (a set of its
// lines cost the first check about 2 ms). TestCommonPasswordsFile proves
// the file is the library's list, and rewrites it with -update.
//
//go:embed common_passwords.txt
var commonPasswordsFile string

// isCommonFolded reports whether folded, NFC-normalised and case-folded as
// Policy.Check does, is one of the common passwords (about 30,000 from
// breached password dumps, as shipped by zxcvbn): a binary search of the
// sorted lines of commonPasswordsFile, by byte offsets.
func isCommonFolded(folded string) bool {
	s := commonPasswordsFile
	// s[lo:hi] is whole lines, each ending in "\n".
	lo, hi := 0, len(s)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + strings.LastIndexByte(s[lo:mid], '\n') + 1
		end := start + strings.IndexByte(s[start:], '\n')
		switch line := s[start:end]; {
		case line == folded:
			return true
		case line < folded:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}
