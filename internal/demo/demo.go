// Package demo fills an empty database with realistic sample accounts of a
// threat-intelligence team, so that ctitui can be shown anywhere without
// real data.
package demo

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ctitui/ctitui/internal/user"
)

// Password is the password every sample user gets, so that `ctitui user
// verify` can be shown too. It passes the default policy.
const Password = "sample analysts share this passphrase"

// Person is one sample account.
type Person struct {
	Email    string
	Roles    []user.Role
	Disabled bool
	LoggedIn bool
	// Age is how long before the seeding time the account was created.
	Age time.Duration
}

const day = 24 * time.Hour

// People are the sample accounts: a CTI team of 25 across all roles and
// states, created over the last year and a half.
var People = []Person{
	{"amara.okafor@cti.example.org", []user.Role{user.RoleAdmin}, false, true, 540 * day},
	{"lukas.becker@cti.example.org", []user.Role{user.RoleAdmin, user.RoleAnalyst}, false, true, 512 * day},
	{"priya.raman@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 480 * day},
	{"jonas.lindqvist@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 455 * day},
	{"élodie.martin@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 431 * day},
	{"kenji.watanabe@cti.example.org", []user.Role{user.RoleAnalyst}, true, false, 402 * day},
	{"fatima.haddad@cti.example.org", []user.Role{user.RoleAnalyst, user.RoleViewer}, false, true, 377 * day},
	{"mateo.garcia@cti.example.org", []user.Role{user.RoleViewer}, false, false, 350 * day},
	{"olga.ivanova@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 321 * day},
	{"samuel.mensah@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 298 * day},
	{"hannah.schmidt@cti.example.org", []user.Role{user.RoleAdmin}, false, true, 270 * day},
	{"diego.fernandez@cti.example.org", []user.Role{user.RoleViewer}, true, false, 244 * day},
	{"aylin.demir@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 219 * day},
	{"noah.williams@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 190 * day},
	{"mei.chen@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 166 * day},
	{"tomasz.nowak@cti.example.org", []user.Role{user.RoleViewer}, false, false, 141 * day},
	{"zanele.dlamini@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 117 * day},
	{"arjun.mehta@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 93 * day},
	{"sofia.rossi@cti.example.org", []user.Role{user.RoleViewer}, false, true, 71 * day},
	{"liam.obrien@cti.example.org", []user.Role{user.RoleAnalyst}, true, false, 52 * day},
	{"yara.nasser@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 34 * day},
	{"erik.johansson@cti.example.org", []user.Role{user.RoleViewer}, false, false, 19 * day},
	{"grace.kim@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 8 * day},
	{"ravi.shankar@cti.example.org", []user.Role{user.RoleViewer}, false, false, 3 * day},
	{"ines.moreau@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 5 * time.Hour},
}

// Seed registers People in the store behind newService, stamping each
// account with its own creation time before now. newService builds a
// service whose clock reads the given time; Seed calls it once per event so
// that creations, logins and disablings land at plausible moments. Accounts
// are hashed on all cores.
func Seed(ctx context.Context, now time.Time, newService func(clock func() time.Time) *user.Service) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, p := range People {
		g.Go(func() error { return seedOne(ctx, now, p, newService) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("seed demo users: %w", err)
	}
	return nil
}

func seedOne(ctx context.Context, now time.Time, p Person, newService func(func() time.Time) *user.Service) error {
	at := func(t time.Time) *user.Service { return newService(func() time.Time { return t }) }
	created := now.Add(-p.Age)
	if _, err := at(created).Register(ctx, p.Email, Password, p.Roles); err != nil {
		return err
	}
	if p.LoggedIn {
		// Log in somewhere between creation and now, earlier for older accounts.
		login := created.Add(p.Age * 9 / 10)
		if _, err := at(login).Verify(ctx, p.Email, Password); err != nil {
			return err
		}
	}
	if p.Disabled {
		if _, _, err := at(created.Add(p.Age/2)).SetDisabled(ctx, p.Email, true); err != nil {
			return err
		}
	}
	return nil
}

// Summary says what a seeded demo database holds, for the status line.
func Summary(path string) string {
	admins, disabled := 0, 0
	for _, p := range People {
		if strings.Contains(user.JoinRoles(p.Roles), "admin") {
			admins++
		}
		if p.Disabled {
			disabled++
		}
	}
	return fmt.Sprintf("demo database %s: %d sample users (%d admins, %d disabled), password %q", path, len(People), admins, disabled, Password)
}
