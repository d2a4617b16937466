// Package demo fills an empty database with realistic sample accounts of a
// threat-intelligence team, so that ctitui can be shown anywhere without
// real data.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// Password is the password every sample user gets, so that `ctitui user
// verify` can be shown too. It passes the default policy.
const Password = "sample analysts share this passphrase"

// Lock is the lock that failed logins left on a sample account.
type Lock int

// The locks a sample account can have.
const (
	// Unlocked accounts have no failed logins since their last success.
	Unlocked Lock = iota
	// TimedLock: failed logins just before the seeding reached the lockout
	// threshold, so the account is locked for the lockout policy's duration
	// (15 minutes by default) from then.
	TimedLock
	// AdminLock: user.MaxConsecutiveFailures failed logins, spread over an
	// afternoon, locked the account until an admin unlocks it.
	AdminLock
)

// Person is one sample account.
type Person struct {
	Email    string
	Roles    []user.Role
	Disabled bool
	LoggedIn bool
	// Age is how long before the seeding time the account was created.
	Age  time.Duration
	Lock Lock
}

const day = 24 * time.Hour

// People are the sample accounts: a CTI team of 25 across all roles and
// states (active, disabled, locked for a time, locked until an admin
// unlocks it, never logged in), created over the last year and a half.
var People = []Person{
	{"amara.okafor@cti.example.org", []user.Role{user.RoleAdmin}, false, true, 540 * day, Unlocked},
	{"lukas.becker@cti.example.org", []user.Role{user.RoleAdmin, user.RoleAnalyst}, false, true, 512 * day, Unlocked},
	{"priya.raman@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 480 * day, Unlocked},
	{"jonas.lindqvist@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 455 * day, Unlocked},
	{"élodie.martin@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 431 * day, Unlocked},
	{"kenji.watanabe@cti.example.org", []user.Role{user.RoleAnalyst}, true, false, 402 * day, Unlocked},
	{"fatima.haddad@cti.example.org", []user.Role{user.RoleAnalyst, user.RoleViewer}, false, true, 377 * day, Unlocked},
	{"mateo.garcia@cti.example.org", []user.Role{user.RoleViewer}, false, false, 350 * day, Unlocked},
	{"olga.ivanova@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 321 * day, TimedLock},
	{"samuel.mensah@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 298 * day, AdminLock},
	{"hannah.schmidt@cti.example.org", []user.Role{user.RoleAdmin}, false, true, 270 * day, Unlocked},
	{"diego.fernandez@cti.example.org", []user.Role{user.RoleViewer}, true, false, 244 * day, Unlocked},
	{"aylin.demir@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 219 * day, Unlocked},
	{"noah.williams@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 190 * day, Unlocked},
	{"mei.chen@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 166 * day, Unlocked},
	{"tomasz.nowak@cti.example.org", []user.Role{user.RoleViewer}, false, false, 141 * day, Unlocked},
	{"zanele.dlamini@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 117 * day, Unlocked},
	{"arjun.mehta@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 93 * day, Unlocked},
	{"sofia.rossi@cti.example.org", []user.Role{user.RoleViewer}, false, true, 71 * day, Unlocked},
	{"liam.obrien@cti.example.org", []user.Role{user.RoleAnalyst}, true, false, 52 * day, Unlocked},
	{"yara.nasser@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 34 * day, Unlocked},
	{"erik.johansson@cti.example.org", []user.Role{user.RoleViewer}, false, false, 19 * day, Unlocked},
	{"grace.kim@cti.example.org", []user.Role{user.RoleAnalyst}, false, true, 8 * day, Unlocked},
	{"ravi.shankar@cti.example.org", []user.Role{user.RoleViewer}, false, false, 3 * day, Unlocked},
	{"ines.moreau@cti.example.org", []user.Role{user.RoleAnalyst}, false, false, 5 * time.Hour, Unlocked},
}

// NewServiceFunc builds a service over the demo database whose clock reads
// clock, with opts applied after the caller's own options.
type NewServiceFunc func(clock func() time.Time, opts ...user.Option) *user.Service

// Seed registers People in the store behind newService, stamping each
// account with its own creation time before now. Seed calls newService
// once per event so that creations, logins, failed logins and disablings
// land at plausible moments. Accounts are hashed on all cores.
func Seed(ctx context.Context, now time.Time, newService NewServiceFunc) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	// The locked accounts first: their failed logins are a run of small
	// write transactions, one after the other, which the other accounts'
	// hashing then overlaps instead of following.
	people := slices.Clone(People)
	slices.SortStableFunc(people, func(a, b Person) int { return cmp.Compare(b.Lock, a.Lock) })
	for _, p := range people {
		g.Go(func() error { return seedOne(ctx, now, p, newService) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("seed demo users: %w", err)
	}
	return nil
}

func seedOne(ctx context.Context, now time.Time, p Person, newService NewServiceFunc) error {
	at := func(t time.Time) *user.Service { return newService(func() time.Time { return t }) }
	created := now.Add(-p.Age)
	u, err := at(created).Register(ctx, p.Email, Password, p.Roles)
	if err != nil {
		return err
	}
	if p.LoggedIn {
		// Log in somewhere between creation and now, earlier for older accounts.
		login := created.Add(p.Age * 9 / 10)
		if _, err := at(login).Verify(ctx, p.Email, Password); err != nil {
			return err
		}
	}
	switch p.Lock {
	case TimedLock:
		// Guesses in the last minute: locked from then for the policy's duration.
		err = failLogins(ctx, now.Add(-time.Minute), u.ID, p.Email, newService, func(u user.User, t time.Time) bool { return u.Locked(t) })
	case AdminLock:
		// An afternoon of guessing, a little over a day ago, waiting out
		// each timed lock, until the account was locked for good.
		err = failLogins(ctx, now.Add(-30*time.Hour), u.ID, p.Email, newService, func(u user.User, _ time.Time) bool { return u.NeedsAdminUnlock() })
	}
	if err != nil {
		return err
	}
	if p.Disabled {
		if _, _, err := at(created.Add(p.Age/2)).SetDisabled(ctx, p.Email, true); err != nil {
			return err
		}
	}
	return nil
}

// tooLong is a password longer than password.MaxPasswordBytes.
var tooLong = strings.Repeat("x", password.MaxPasswordBytes+1)

// failLogins makes failed logins on the account with id and email, ten
// seconds apart from start, waiting out every timed lock as a patient
// guesser would, until done says the account is in the state wanted.
//
// Each is a real Verify that fails, so the service counts it, locks the
// account and writes the audit entries exactly as for any failed login.
// They take the cheapest failure Verify has: a password longer than
// password.MaxPasswordBytes is refused before any hash is computed, and the
// hasher without parameters makes the dummy verify that stands in for it
// return at once (with a wrong password, each would cost an argon2id verify,
// about 25 ms: 2.5 s for the 100 failures that lock an account for good).
// The failure floor, which hides from a guesser why a login failed, is off:
// nobody is guessing here.
func failLogins(ctx context.Context, start time.Time, id, email string, newService NewServiceFunc, done func(user.User, time.Time) bool) error {
	t := start
	// Each round makes at most one failure counted; the bound only stops a
	// policy change that done can never see from looping for ever.
	for range 4 * user.MaxConsecutiveFailures {
		svc := newService(func() time.Time { return t }, user.WithHasher(password.NewHasher(password.Params{})), user.WithFailureFloor(0))
		u, err := svc.GetByID(ctx, id)
		if err != nil {
			return err
		}
		if done(u, t) {
			return nil
		}
		if u.Locked(t) {
			t = u.LockedUntil.Add(time.Minute)
			continue
		}
		switch _, err := svc.Verify(ctx, email, tooLong); {
		case err == nil:
			return fmt.Errorf("a login of %s with a password too long went through", email)
		case !errors.Is(err, user.ErrInvalidCredentials):
			return fmt.Errorf("failed login for %s: %w", email, err)
		}
		t = t.Add(10 * time.Second)
	}
	return fmt.Errorf("failed logins did not lock %s", email)
}

// Summary says in one line of under 80 columns what a seeded demo
// database holds: its users, their roles and states, in the words of the
// terminal UI's status column.
func Summary() string {
	admins, disabled, locked, blocked, never := 0, 0, 0, 0, 0
	for _, p := range People {
		if slices.Contains(p.Roles, user.RoleAdmin) {
			admins++
		}
		switch {
		case p.Disabled:
			disabled++
		case p.Lock == AdminLock:
			blocked++
		case p.Lock == TimedLock:
			locked++
		}
		if !p.LoggedIn {
			never++
		}
	}
	return fmt.Sprintf("%d users: %d admins, %d disabled, %d locked, %d blocked, %d never logged in",
		len(People), admins, disabled, locked, blocked, never)
}

// Notice is the demo's line for the terminal UI's status line: the
// password, short enough to be read whole in 80 columns.
func Notice() string {
	return "demo password: " + Password
}
