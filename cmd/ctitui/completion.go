package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/engine"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// Shell completion: cobra's "ctitui completion SHELL" writes the script,
// which asks "ctitui __complete ARGS..." for the words that fit. What the
// words are is set here: role names, formats and the other fixed values of
// flags, and the emails of the database, read without changing it.

// maxEmailCompletions bounds the emails offered at once: a shell shows a
// few screens of them at most, and a database may hold a million.
const maxEmailCompletions = 500

// registerCompletions sets what completes the arguments and flag values of
// root's commands. The --format values are set where the flag is made
// (formatFlag).
func (a *app) registerCompletions(root *cobra.Command) {
	roles := make([]string, len(user.Roles))
	for i, r := range user.Roles {
		roles[i] = string(r)
	}
	emails := a.completeEmails
	for _, path := range []string{"user show", "user set-role", "user passwd", "user disable", "user enable",
		"user delete", "user verify", "user unlock"} {
		commandAt(root, path).ValidArgsFunction = emails
	}
	completeWith(commandAt(root, "audit list"), "user", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return a.completeEmails(cmd, nil, toComplete)
	})
	for _, path := range []string{"user add", "user set-role", "user list"} {
		completeValues(commandAt(root, path), "role", roles...)
	}
	completeValues(commandAt(root, "user list"), "sort", "created", "updated", "email")
	completeValues(commandAt(root, "user import"), "on-conflict", "fail", "skip", "update")
	transferFormats := []string{string(transfer.CSV), string(transfer.JSONL), "json"}
	completeValues(commandAt(root, "user import"), "format", transferFormats...)
	completeValues(commandAt(root, "user export"), "format", transferFormats...)
	commandAt(root, "user import").ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []cobra.Completion{"csv", "jsonl", "ndjson", "json"}, cobra.ShellCompDirectiveFilterFileExt
	}
	// A command that takes no arguments offers none: not the files of the
	// folder, which is what a shell offers when told nothing.
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		if cmd.ValidArgsFunction == nil && !cmd.HasSubCommands() && takesNoArgs(cmd) {
			cmd.ValidArgsFunction = cobra.NoFileCompletions
		}
		for _, sub := range cmd.Commands() {
			visit(sub)
		}
	}
	visit(root)
}

// takesNoArgs reports whether cmd refuses every argument.
func takesNoArgs(cmd *cobra.Command) bool {
	return cmd.Args != nil && cmd.Args(cmd, nil) == nil && cmd.Args(cmd, []string{"x"}) != nil
}

// commandAt returns the command at path below root, such as "user show".
// The paths are ctitui's own: one that is missing is a mistake in this file,
// which every test that builds the commands finds.
func commandAt(root *cobra.Command, path string) *cobra.Command {
	cmd, rest, err := root.Find(strings.Fields(path))
	if err != nil || len(rest) > 0 || cmd.CommandPath() != root.Name()+" "+path {
		panic(fmt.Sprintf("completion: no command %q", path))
	}
	return cmd
}

// completeValues offers values for cmd's flag.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	completeWith(cmd, flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// completeWith completes cmd's flag with fn.
func completeWith(cmd *cobra.Command, flag string, fn cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(fmt.Sprintf("completion: %s: %v", cmd.CommandPath(), err)) // a flag named wrong above
	}
}

// completeEmails offers the emails of the database's users that start with
// what was typed, for a command's first argument.
func (a *app) completeEmails(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = a.ctx
	}
	return a.emailsStartingWith(ctx, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// errEnough ends a listing that found all it needs.
var errEnough = errors.New("enough")

// emailsStartingWith returns up to maxEmailCompletions emails that start
// with prefix (ignoring case as ctitui does), each with the user's roles and
// state as its description. It only ever reads: the database is opened
// read-only, and a missing one is not created, nor migrated, nor reported
// (a shell would show the message as a completion): it offers nothing.
// Emails that would not show as they are (escapes, invisible characters,
// written behind ctitui's back) are not offered either: a shell would paste
// them into the command line.
func (a *app) emailsStartingWith(ctx context.Context, prefix string) []cobra.Completion {
	path, err := a.databasePath()
	if err != nil {
		return nil
	}
	store, err := engine.OpenReadOnly(ctx, path, db.Options{}) // no Notify: nothing to say to a shell
	if err != nil {
		return nil
	}
	a.store = store // closed when ctitui ends
	svc := user.NewService(store)
	key := user.NormalizeEmail(prefix)
	now := time.Now()
	var found []cobra.Completion
	opts := user.ListOptions{Sort: user.ByEmail, After: &user.Cursor{Key: key}, Inclusive: true}
	err = svc.List(ctx, opts, func(u user.User) error {
		if !strings.HasPrefix(user.NormalizeEmail(u.Email), key) {
			return errEnough // sorted by that key: no later one starts with it
		}
		if textsafe.Line(u.Email) != u.Email || strings.ContainsAny(u.Email, " \t\n") {
			return nil
		}
		found = append(found, cobra.CompletionWithDesc(u.Email, user.JoinRoles(u.Roles)+", "+u.Status(now)))
		if len(found) == maxEmailCompletions {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil
	}
	return found
}
