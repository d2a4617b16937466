package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/demo"
	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// demoPath is where `ctitui demo` keeps its database when --db is not given.
// It is never the default database.
const demoPath = "ctitui-demo.db"

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Open the terminal UI on a fresh database of sample users (./" + demoPath + ", or --db)",
		Long: `demo creates a fresh database seeded with about 25 sample analysts across all
roles and states, and opens the terminal UI on it. Without --db it uses
./` + demoPath + `, replacing an earlier demo database there; it never touches
the default database. With --db it needs a new or empty file.`,
		Example: "  ctitui demo\n  ctitui demo --db /tmp/show.db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := a.terminal(); err != nil {
				return err
			}
			if a.dbPath == "" {
				// Ours by name: start it over.
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
				return fmt.Errorf("demo needs a new or empty database; %s has %s", a.store.Path(), plural(n, "user"))
			}
			err = demo.Seed(cmd.Context(), time.Now(), func(clock func() time.Time) *user.Service {
				return user.NewService(a.store, user.WithClock(clock), user.WithPolicy(a.policy), user.WithHasher(password.NewHasher(a.hash)))
			})
			if err != nil {
				return err
			}
			abs, err := filepath.Abs(a.store.Path())
			if err != nil {
				abs = a.store.Path()
			}
			return a.runTUI(cmd.Context(), []string{demo.Summary(abs)})
		},
	}
}
