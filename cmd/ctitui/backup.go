package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/textsafe"
)

func (a *app) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup [FILE]",
		Short: "Write a consistent, checked copy of the database (default <db>.<UTC time>.bak)",
		Long: `backup writes an online, consistent copy of the database, private (0600), and
checks it with SQLite's integrity check. It works while a terminal UI or
another command writes to the same file. FILE must not exist yet.`,
		Example: `  ctitui backup
  ctitui backup /media/usb/ctitui-2026-11-26.db`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			dst := ""
			if len(args) == 1 {
				dst = args[0]
			}
			name, err := store.Backup(cmd.Context(), dst, time.Now())
			if err != nil {
				return err
			}
			a.stdout.printf("backup written and checked: %s\n", name)
			return nil
		},
	}
}

func (a *app) restoreCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "restore FILE [--yes]",
		Short: "Replace the database with a backup, keeping a copy of the current one",
		Long: `restore replaces the database with FILE, a backup made by 'ctitui backup' or
an automatic one. It refuses a file that is not a ctitui database, fails its
integrity check or has a newer schema; backs up the current database first;
swaps the files atomically; and migrates the restored file if it is older.
Close every other ctitui using the database first.`,
		Example: "  " + restoreExample(runtime.GOOS) + `
  ctitui restore backup.db --yes`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&a.dropUnknown, "drop-unknown-objects", false, "leave out the backup's triggers and views that ctitui did not create, instead of refusing it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		path, err := a.databasePath()
		if err != nil {
			return err
		}
		if !yes {
			if _, ok := a.terminalFd(); !ok {
				return usagef("refusing to restore without --yes when stdin is not a terminal")
			}
			answer, err := a.confirmLine(fmt.Sprintf("Replace %s with %s? [y/N] ", path, args[0]))
			if err != nil {
				return err
			}
			if answer != "y" && answer != "Y" && answer != "yes" {
				return errors.New("not restored")
			}
		}
		if postgres.IsURL(path) {
			return a.restorePostgres(cmd, path, args[0])
		}
		store, rep, err := sqlite.Restore(cmd.Context(), path, args[0], a.dbOptions())
		if err != nil {
			return err
		}
		a.store = store
		a.stdout.printf("restored %s from %s\n", path, rep.From)
		if rep.Backup != "" {
			a.stdout.printf("the database it replaced is kept in %s\n", rep.Backup)
		}
		if len(rep.Dropped) > 0 {
			a.stdout.printf("left out %s, which ctitui did not create\n", textsafe.Line(strings.Join(rep.Dropped, ", ")))
		}
		if len(rep.Migrated) > 0 {
			a.stdout.printf("migrated the restored file to schema version %d (%s: %s)\n", store.SchemaVersion(), plural(len(rep.Migrated), "migration"), versionList(rep.Migrated))
		}
		return nil
	}
	return cmd
}

// restorePostgres restores the ctitui SQLite file src into the PostgreSQL
// database at url, in one transaction that keeps a copy of what it
// replaces in the database itself (schema ctitui_backup).
func (a *app) restorePostgres(cmd *cobra.Command, url, src string) error {
	store, rep, err := postgres.Restore(cmd.Context(), url, src, a.dbOptions())
	if err != nil {
		return err
	}
	a.store = store
	entries := "audit entries"
	if rep.Entries == 1 {
		entries = "audit entry"
	}
	a.stdout.printf("restored %s from %s (%s, %d %s)\n", store.Location(), rep.From, plural(int(rep.Users), "user"), rep.Entries, entries)
	if len(rep.Backup) > 0 {
		// The tables share their suffix: name the schema and the suffix once.
		_, suffix, _ := strings.Cut(rep.Backup[0], "_pre_restore_")
		a.stdout.printf("the data it replaced is kept in the database: %s (%d tables)\n", textsafe.Line("ctitui_backup.*_pre_restore_"+suffix), len(rep.Backup))
	}
	if len(rep.Dropped) > 0 {
		a.stdout.printf("left out %s, which ctitui did not create\n", textsafe.Line(strings.Join(rep.Dropped, ", ")))
	}
	if len(rep.Migrated) > 0 {
		a.stdout.printf("migrated the file's copy to schema version %d (%s: %s)\n", store.SchemaVersion(), plural(len(rep.Migrated), "migration"), versionList(rep.Migrated))
	}
	return nil
}
