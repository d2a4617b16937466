package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/db/engine"
	"github.com/ctitui/ctitui/internal/demo"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// demoPath is where `ctitui demo` keeps its database when --db is not given.
// It is never the default database.
const demoPath = "ctitui-demo.db"

// demoLockPath is the file a demo without --db keeps locked while it runs,
// so that a second demo started in the same folder does not delete the
// database the first one has open. The lock is the operating system's
// (flock, LockFileEx): it ends with the process, however that ends, and the
// empty file left behind means nothing.
const demoLockPath = "ctitui-demo.lock"

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Open the terminal UI on a fresh database of sample users (./" + demoPath + ", or --db)",
		Long: `demo creates a fresh database seeded with 25 sample analysts across all
roles and states (active, disabled, locked, blocked, never logged in), prints
where it is and the password every sample user shares, and opens the terminal
UI on it; the password is printed again when the UI ends. Without --db it uses
./` + demoPath + `, replacing an earlier demo database there unless another
demo still runs on it; it never touches the default database. With --db it
needs a new or empty file.`,
		Example: "  ctitui demo\n  ctitui demo --db /tmp/show.db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := a.terminal(); err != nil {
				return err
			}
			if !a.dbSet {
				unlock, err := lockDemo()
				if err != nil {
					return err
				}
				defer func() {
					// Closed before the lock goes: the next demo may remove
					// the file as soon as it has the lock.
					a.close()
					a.store, a.svc = nil, nil
					unlock()
				}()
				// Ours by name, and no other demo has it open: start it over.
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(demoPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
						return fmt.Errorf("reset demo database: %w", err)
					}
				}
				a.dbPath = demoPath
			}
			svc, err := a.service(cmd.Context())
			if err != nil {
				return err
			}
			n, err := svc.Count(cmd.Context(), user.Filter{})
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("demo needs a new or empty database; %s has %s", a.store.Location(), plural(n, "user"))
			}
			err = demo.Seed(cmd.Context(), time.Now(), func(clock func() time.Time, opts ...user.Option) *user.Service {
				return user.NewService(a.store, append([]user.Option{user.WithClock(clock), user.WithPolicy(a.policy),
					user.WithHasher(password.NewHasher(a.hash))}, opts...)...)
			})
			if err != nil {
				return err
			}
			abs := a.store.Location()
			if !engine.IsURL(abs) {
				if p, err := filepath.Abs(abs); err == nil {
					abs = p
				}
			}
			// On the terminal, before the UI takes the screen and again
			// after it gives it back: the status line is cut to the
			// terminal's width and cleared after a few seconds.
			a.stdout.printf("Demo database: %s\n%s\nPassword of every sample user: %s\n", textsafe.Line(abs), demo.Summary(), demo.Password)
			err = a.runTUI(cmd.Context(), []string{demo.Notice()})
			a.stdout.printf("Demo database kept at %s\nPassword of every sample user: %s\n", textsafe.Line(abs), demo.Password)
			return err
		},
	}
}

// lockDemo locks demoLockPath for as long as this demo runs, or says that
// another demo holds it.
func lockDemo() (unlock func(), err error) {
	// A link planted in its place would make ctitui create or lock another
	// file.
	if info, err := os.Lstat(demoLockPath); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("lock the demo database: %s is not a regular file (a link?); ctitui does not follow links it did not make: remove it", demoLockPath)
	}
	lock := flock.New(demoLockPath, flock.SetPermissions(0o600))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock the demo database (%s): %w", demoLockPath, err)
	}
	if !ok {
		return nil, fmt.Errorf("another ctitui demo is running on ./%s in this folder; end it first, or give this one its own file with --db FILE", demoPath)
	}
	return func() { lock.Unlock() }, nil //nolint:errcheck // the lock also ends with the process
}
