package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCommand writes the man pages, one per command, generated from the
// commands themselves: ctitui.1, ctitui-user.1, ctitui-user-add.1, ... It is
// hidden: it is for whoever packages ctitui (the release script ships the
// pages), not for the person running it.
func (a *app) manCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages of every command into DIR",
		Hidden: true,
		Long: `man writes one man page per command into DIR (made if missing), named as man
looks them up: ctitui.1, ctitui-user.1, ctitui-user-add.1, ... Existing pages
there are replaced. The date in the pages is $SOURCE_DATE_EPOCH when set (for
reproducible builds), else the time of the commit ctitui was built from.`,
		Example: "  ctitui man ./man && man -l ./man/ctitui-user-add.1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			date, err := a.manDate()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(args[0], 0o755); err != nil { //nolint:gosec // man pages are for everyone to read
				return fmt.Errorf("man pages: %w", err)
			}
			root := cmd.Root()
			var visit func(*cobra.Command)
			visit = func(c *cobra.Command) {
				// The pages carry no "Auto generated" line: the date in
				// their header says when, and cobra's line would add today.
				c.DisableAutoGenTag = true
				for _, sub := range c.Commands() {
					visit(sub)
				}
			}
			visit(root)
			header := &doc.GenManHeader{Section: "1", Date: &date, Source: "ctitui " + version(), Manual: "ctitui manual"}
			if err := doc.GenManTree(root, header, args[0]); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			a.stdout.printf("wrote the man pages to %s\n", args[0])
			return nil
		},
	}
}

// manDate is the date the man pages carry: $SOURCE_DATE_EPOCH, the
// convention of reproducible builds, else the time of the commit the binary
// was built from, else now.
func (a *app) manDate() (time.Time, error) {
	if epoch := a.getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil || secs < 0 {
			return time.Time{}, usagef("SOURCE_DATE_EPOCH must be a number of seconds since 1970, not %q", epoch)
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t.UTC(), nil
				}
			}
		}
	}
	return time.Now().UTC(), nil
}
