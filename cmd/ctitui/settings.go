package main

import (
	"time"

	"github.com/spf13/cobra"
)

func (a *app) settingsCommand() *cobra.Command {
	var threshold, minutes int
	var getFormat func() (format, error)
	cmd := &cobra.Command{
		Use:   "settings [--lockout-threshold N] [--lockout-minutes M]",
		Short: "Show or change the settings stored in the database",
		Long: `settings prints the settings kept in the database, which every ctitui on the
file applies. With flags it changes them; the change is audited.

Lockout: after --lockout-threshold consecutive failed 'user verify' attempts
(default 5) an account is locked for --lockout-minutes (default 15), and again
at every multiple of the threshold: a lock running out does not reset the
count, only a successful login or 'user unlock' does. After 100 consecutive
failures the account stays locked until an admin runs 'ctitui user unlock'.`,
		Example: `  ctitui settings
  ctitui settings --lockout-threshold 10 --lockout-minutes 30
  ctitui settings --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := getFormat()
			if err != nil {
				return err
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			p, err := svc.Lockout(cmd.Context())
			if err != nil {
				return err
			}
			flags := cmd.Flags()
			if flags.Changed("lockout-threshold") || flags.Changed("lockout-minutes") {
				if flags.Changed("lockout-threshold") {
					p.Threshold = threshold
				}
				if flags.Changed("lockout-minutes") {
					p.Duration = time.Duration(minutes) * time.Minute
				}
				if err := p.Validate(); err != nil {
					return usageError{err}
				}
				if err := svc.SetLockout(cmd.Context(), p); err != nil {
					return err
				}
			}
			return a.writeSettings(f, p)
		},
	}
	cmd.Flags().IntVar(&threshold, "lockout-threshold", 0, "lock an account after this many consecutive failed logins")
	cmd.Flags().IntVar(&minutes, "lockout-minutes", 0, "for this many minutes")
	getFormat = formatFlag(cmd, reportFormats)
	return cmd
}
