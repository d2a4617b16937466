package user

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
)

// uidName returns the name /etc/passwd gives uid. It reads the file itself:
// os/user, built without cgo as ctitui's release is, answers for the
// process's own uid with $USER when the file has no entry for it (LookupId
// included), and the caller sets $USER.
func uidName(uid int) (string, error) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return "", err
	}
	defer f.Close() //nolint:errcheck // only read: a failed close loses nothing
	return passwdName(bufio.NewScanner(f), uid)
}

// errNoPasswdEntry reports a uid that the user database does not name.
var errNoPasswdEntry = errors.New("no passwd entry")

// passwdName finds uid in passwd(5) lines.
func passwdName(sc *bufio.Scanner, uid int) (string, error) {
	want := strconv.Itoa(uid)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 3 && fields[2] == want && fields[0] != "" && !strings.HasPrefix(fields[0], "#") {
			return fields[0], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errNoPasswdEntry
}
