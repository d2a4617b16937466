package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// The bounds of the settings flags: those user.LockoutPolicy.Validate
// allows, in each flag's unit (TestSettingsFlagBounds keeps them equal). The
// flags check them as they parse, before the minutes become a duration, which
// holds no more than about 1.5e11 minutes: past that the product wrapped,
// and 2^53+1 minutes was stored as one.
const (
	minLockoutThreshold = 1
	maxLockoutThreshold = 1000
	minLockoutMinutes   = 1
	maxLockoutMinutes   = 30 * 24 * 60
)

// boundedInt is an int flag that takes only a whole decimal number between
// min and max. pflag's own int flag reads 0x10 as 16 and 010 as 8, and any
// int at all; a setting is typed as a plain number.
type boundedInt struct {
	n        *int
	min, max int
	want     string // what to ask for, in the flag's unit
}

func (b *boundedInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < b.min || n > b.max {
		return errors.New(b.want)
	}
	*b.n = n
	return nil
}

func (b *boundedInt) String() string { return strconv.Itoa(*b.n) }
func (b *boundedInt) Type() string   { return "int" }

// schemeFlag is the --password-hash flag: exactly argon2id or bcrypt,
// refused as it parses.
type schemeFlag struct{ s *password.Scheme }

func (f schemeFlag) Set(v string) error {
	sc, err := password.ParseScheme(v)
	if err != nil {
		return errors.New("want argon2id or bcrypt")
	}
	*f.s = sc
	return nil
}

func (f schemeFlag) String() string { return string(*f.s) }
func (f schemeFlag) Type() string   { return "scheme" }

// settingsWithHashJSON is the settings object with the password-hash
// setting beside the lockout ones (docs/json.md).
type settingsWithHashJSON struct {
	settingsJSON
	PasswordHash string `json:"password_hash"`
}

// writeAllSettings prints the lockout settings (writeSettings) and the
// scheme of new password hashes.
func (a *app) writeAllSettings(f format, p user.LockoutPolicy, hs user.HashScheme) error {
	if f == formatJSON {
		return writeJSON(a.stdout, settingsWithHashJSON{
			settingsJSON: settingsJSON{LockoutThreshold: p.Threshold, LockoutMinutes: int(p.Duration / time.Minute)},
			PasswordHash: string(hs.Scheme)})
	}
	if err := a.writeSettings(f, p); err != nil {
		return err
	}
	a.stdout.printf("password-hash: %s\n", hs.Scheme)
	return nil
}

func (a *app) settingsCommand() *cobra.Command {
	var threshold, minutes int
	var scheme password.Scheme
	var getFormat func() (format, error)
	cmd := &cobra.Command{
		Use:   "settings [--lockout-threshold N] [--lockout-minutes M] [--password-hash argon2id|bcrypt]",
		Short: "Show or change the settings stored in the database",
		Long: `settings prints the settings kept in the database, which every ctitui on the
file applies. With flags it changes them; the change is audited.

Lockout: after --lockout-threshold consecutive failed 'user verify' attempts
(default 5, at most 1000) an account is locked for --lockout-minutes (default
15, at most 43200, 30 days), and again at every multiple of the threshold: a
lock running out does not reset the count, only a successful login or 'user
unlock' does. After 100 consecutive failures the account stays locked until
an admin runs 'ctitui user unlock'.

Password hash: --password-hash is the scheme of the hashes ctitui writes for
new passwords (user add, passwd, import) and at logins that rewrite an
outdated hash: argon2id, or bcrypt (cost 12, as passlib writes it) for a
database another program verifies with bcrypt. ctitui verifies both either
way. Until it is set, a database whose stored hashes are all bcrypt keeps
bcrypt, and any other argon2id; ctitui records that at its first write that
hashes. Under bcrypt, passwords over 72 bytes are refused (bcrypt would ignore
the rest); choosing argon2id on a bcrypt database rewrites each bcrypt hash at
that user's next login.`,
		Example: `  ctitui settings
  ctitui settings --lockout-threshold 10 --lockout-minutes 30
  ctitui settings --password-hash argon2id
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
			if flags.Changed("password-hash") {
				if err := svc.SetPasswordHashScheme(cmd.Context(), scheme); err != nil {
					return err
				}
			}
			hs, err := svc.PasswordHashScheme(cmd.Context())
			if err != nil {
				return err
			}
			return a.writeAllSettings(f, p, hs)
		},
	}
	cmd.Flags().Var(&boundedInt{n: &threshold, min: minLockoutThreshold, max: maxLockoutThreshold,
		want: fmt.Sprintf("want a whole number of failed logins from %d to %d", minLockoutThreshold, maxLockoutThreshold)},
		"lockout-threshold", "lock an account after this many consecutive failed logins")
	cmd.Flags().Var(&boundedInt{n: &minutes, min: minLockoutMinutes, max: maxLockoutMinutes,
		want: fmt.Sprintf("want whole minutes from %d to %d (30 days)", minLockoutMinutes, maxLockoutMinutes)},
		"lockout-minutes", "for this many minutes")
	cmd.Flags().Var(schemeFlag{&scheme}, "password-hash", "write new password hashes as argon2id or bcrypt")
	_ = cmd.RegisterFlagCompletionFunc("password-hash", cobra.FixedCompletions(
		[]string{string(password.SchemeArgon2id), string(password.SchemeBcrypt)}, cobra.ShellCompDirectiveNoFileComp))
	getFormat = formatFlag(cmd, reportFormats)
	return cmd
}
