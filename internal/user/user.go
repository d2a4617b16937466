// Package user is ctitui's domain: users, roles, the rules an account must follow,
// and the Service that scripts and the terminal UI call. It declares the Store it
// needs and holds no SQL; the engines under internal/db implement the Store.
package user

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is a named set of permissions on the CTI platform.
type Role string

// The roles ctitui assigns. A database adopted from an older tool may hold
// other role names; they are shown but cannot be assigned.
const (
	RoleAdmin   Role = "admin"
	RoleAnalyst Role = "analyst"
	RoleViewer  Role = "viewer"
)

// DefaultRole is given to a user registered without a role.
const DefaultRole = RoleAnalyst

// Roles lists the assignable roles, most privileged first.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleViewer}

// ParseRole returns the Role named s, ignoring case and surrounding space.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("%w: %q (want one of admin, analyst, viewer)", ErrInvalidRole, s)
}

// ParseRoles parses each name and returns the roles sorted and without
// duplicates. An empty list gives the DefaultRole.
func ParseRoles(names []string) ([]Role, error) {
	var roles []Role
	for _, name := range names {
		// Accept "admin,viewer" as well as repeated flags.
		for part := range strings.SplitSeq(name, ",") {
			r, err := ParseRole(part)
			if err != nil {
				return nil, err
			}
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return []Role{DefaultRole}, nil
	}
	return SortRoles(roles), nil
}

// SortRoles sorts roles most privileged first, unknown roles last by name, and
// drops duplicates. It sorts in place and returns its argument.
func SortRoles(roles []Role) []Role {
	rank := func(r Role) int {
		if i := slices.Index(Roles, r); i >= 0 {
			return i
		}
		return len(Roles)
	}
	slices.SortFunc(roles, func(a, b Role) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(string(a), string(b))
	})
	return slices.Compact(roles)
}

// JoinRoles renders roles as "admin,analyst".
func JoinRoles(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

// User is an account on the CTI platform.
type User struct {
	ID    string
	Email string
	Roles []Role
	// PasswordHash is the stored PHC (argon2id) or bcrypt string, a secret:
	// listings leave it empty unless ListOptions.WithHashes asks for it,
	// which only 'user export --include-hashes' does, and no other output
	// shows it. (Backups, being copies of the database, hold it too.)
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DisabledAt   time.Time // zero while the user is active
	LastLoginAt  time.Time // zero until the first successful verify
	// FailedLogins counts consecutive failed verifies: since the last
	// success or the last unlock by an admin. A lock running out does not
	// reset it. At every multiple of the lockout threshold the account is
	// locked until LockedUntil; at MaxConsecutiveFailures it stays locked
	// until an admin unlocks it.
	FailedLogins int
	// LockedUntil ends the current timed lock; zero when there is none.
	LockedUntil time.Time
}

// Disabled reports whether the user is disabled.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// MaxConsecutiveFailures is the number of consecutive failed verifies after
// which an account stays locked until an admin unlocks it, whatever the
// lockout policy: NIST SP 800-63B-4 section 3.2.2 allows no more than 100
// consecutive failed attempts on one account. Without it, timed locks alone
// would let a patient attacker guess forever (480 a day at 5 per 15 minutes).
const MaxConsecutiveFailures = 100

// Locked reports whether failed logins have locked the account at now:
// before LockedUntil, or for good after MaxConsecutiveFailures.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) || u.NeedsAdminUnlock() }

// NeedsAdminUnlock reports whether the account has failed
// MaxConsecutiveFailures times in a row and so stays locked until an admin
// unlocks it ('ctitui user unlock', or u in the terminal UI). A count below
// zero, which ctitui never writes, counts as the cap: the store reads
// lockout values it did not write so (see db's readLockout), and a count of
// -1000000 would otherwise buy a million free guesses.
func (u User) NeedsAdminUnlock() bool {
	return u.FailedLogins >= MaxConsecutiveFailures || u.FailedLogins < 0
}

// Status is "disabled", "blocked" (locked until an admin unlocks it),
// "locked" (for a time) or "active" at now.
func (u User) Status(now time.Time) string {
	switch {
	case u.Disabled():
		return "disabled"
	case u.NeedsAdminUnlock():
		return "blocked"
	case u.Locked(now):
		return "locked"
	}
	return "active"
}

// HasRole reports whether the user has role r.
func (u User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// AuditEntry is one recorded change to a user or its roles.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Actor     string // the OS user who ran ctitui
	Action    Action
	UserID    string
	UserEmail string
	Details   string
}

// Action names what an audit entry records.
type Action string

// The actions recorded in the audit log.
const (
	ActionRegister    Action = "register"
	ActionSetRoles    Action = "set-roles"
	ActionSetPassword Action = "set-password"
	ActionRehash      Action = "rehash-password"
	ActionDisable     Action = "disable"
	ActionEnable      Action = "enable"
	ActionDelete      Action = "delete"
	ActionLock        Action = "lock"
	ActionUnlock      Action = "unlock"
	ActionSettings    Action = "settings"
	ActionAdopt       Action = "adopt-database"
	ActionRestore     Action = "restore-database"
	ActionRepair      Action = "repair-database"
	ActionImport      Action = "import"
	// ActionRestartChain starts a new segment of the audit chain after a
	// break a person has looked at (ctitui audit restart).
	ActionRestartChain Action = "restart-audit-chain"
)

// LockoutPolicy locks an account for Duration at every Threshold consecutive
// failed verifies (Threshold, 2 x Threshold, ...). Whatever the policy, the
// MaxConsecutiveFailures-th locks it until an admin unlocks it, so a
// Threshold above that never locks for a time.
type LockoutPolicy struct {
	Threshold int
	Duration  time.Duration
}

// DefaultLockout is the policy of a new database.
var DefaultLockout = LockoutPolicy{Threshold: 5, Duration: 15 * time.Minute}

// Validate refuses policies that would lock on nothing or forever.
func (p LockoutPolicy) Validate() error {
	if p.Threshold < 1 || p.Threshold > 1000 {
		return fmt.Errorf("lockout threshold must be between 1 and 1000 failed attempts, not %d", p.Threshold)
	}
	if p.Duration < time.Minute || p.Duration > 30*24*time.Hour || p.Duration%time.Minute != 0 {
		given := fmt.Sprintf("%d minutes", p.Duration/time.Minute)
		if p.Duration%time.Minute != 0 {
			given = fmt.Sprintf("%d seconds", p.Duration/time.Second)
		}
		return fmt.Errorf("lockout duration must be whole minutes between 1 minute and 30 days, not %s", given)
	}
	return nil
}
