package user

import (
	"bufio"
	"errors"
	osuser "os/user"
	"strings"
	"testing"
)

// TestOSUserName: the actor is the name the system gives the uid, never a
// name the caller's $USER supplies; a uid without a name is recorded as
// such, with the claim beside it.
func TestOSUserName(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/bash\n# comment\nana:x:1000:1000::/home/ana:/bin/sh\nbroken line\n"
	name := func(uid int) (string, error) { return passwdName(bufio.NewScanner(strings.NewReader(passwd)), uid) }
	// What os/user.Current does without cgo for a uid with no entry.
	current := func() (*osuser.User, error) { return &osuser.User{Username: "root"}, nil }
	noCurrent := func() (*osuser.User, error) { return nil, errors.New("no user") }
	env := func(v string) func(string) string { return func(string) string { return v } }
	tests := []struct {
		uid     int
		current func() (*osuser.User, error)
		user    string
		want    string
	}{
		{1000, current, "root", "ana"},
		{0, current, "mallory", "root"},
		{4242, current, "root", "uid 4242 ($USER says root)"},
		{4242, current, "", "uid 4242"},
		{-1, current, "x", "root"},
		{-1, noCurrent, "bob", "bob (from $USER, unverified)"},
		{-1, noCurrent, "", "unknown"},
	}
	for _, tt := range tests {
		if got := osUserName(tt.uid, name, tt.current, env(tt.user)); got != tt.want {
			t.Errorf("osUserName(uid %d, $USER=%q) = %q; want %q", tt.uid, tt.user, got, tt.want)
		}
	}
}
