package main

import (
	"github.com/spf13/cobra"
)

func (a *app) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply schema migrations (ctitui also applies them at every open)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var getFormat func() (format, error)
	status := &cobra.Command{
		Use:     "status [--format table|json]",
		Short:   "List the embedded migrations and whether the database has them",
		Example: "  ctitui migrate status\n  ctitui migrate status --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := getFormat()
			if err != nil {
				return err
			}
			store, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			status, err := store.Migrations(cmd.Context())
			if err != nil {
				return err
			}
			return a.writeMigrationStatus(f, store, status)
		},
	}
	getFormat = formatFlag(status, reportFormats)
	cmd.AddCommand(status, a.migrateUpCommand())
	return cmd
}

func (a *app) migrateUpCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up [--drop-unknown-objects]",
		Short: "Apply pending migrations (and adopt a database made before migrations)",
		Long: `up applies the pending migrations, after a backup. A database made before
migrations existed is adopted: checked, backed up, converted on a copy and
swapped in only when complete.

A file with triggers or views that ctitui did not create is refused: they
would run on ctitui's writes. --drop-unknown-objects removes them instead,
after a backup that keeps them.`,
		Example: "  ctitui migrate up\n  ctitui --db legacy.db migrate up --drop-unknown-objects",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			applied := store.AppliedAtOpen()
			if len(applied) == 0 {
				a.stdout.printf("already up to date at schema version %d\n", store.SchemaVersion())
				return nil
			}
			a.stdout.printf("applied %s (%s); schema version %d\n", plural(len(applied), "migration"), versionList(applied), store.SchemaVersion())
			return nil
		},
	}
	cmd.Flags().BoolVar(&a.dropUnknown, "drop-unknown-objects", false, "remove triggers and views that ctitui did not create, after a backup, instead of refusing the file")
	return cmd
}
