package main

import (
	"strings"
	"testing"
)

// TestCreatesDatabaseNamesCommands: every entry of createsDatabase is the
// path of a command, so that renaming one cannot quietly turn it into a
// command that refuses to create its database.
func TestCreatesDatabaseNamesCommands(t *testing.T) {
	root := (&app{}).rootCommand()
	for path := range createsDatabase {
		cmd, _, err := root.Find(strings.Fields(path)[1:])
		if err != nil || cmd.CommandPath() != path {
			t.Errorf("createsDatabase[%q]: found %v, %v; want the command %q", path, cmd.CommandPath(), err, path)
		}
	}
}
