package user

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/password"
)

// Severity grades a health finding.
type Severity int

// Severities, from harmless to needing attention. Only Problem makes a
// database unhealthy.
const (
	SeverityOK Severity = iota
	SeverityInfo
	SeverityProblem
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityProblem:
		return "problem"
	}
	return "ok"
}

// Finding is the outcome of one health check: of the storage (the store's
// doctor) or of the accounts (Service.Checkup).
type Finding struct {
	Check    string
	Severity Severity
	Message  string
	// Repair names what a repair would do; empty when there is no safe one.
	Repair string
	// Fixed is set when the repair was made.
	Fixed bool
}

// Healthy reports whether no finding is a problem.
func Healthy(findings []Finding) bool {
	return !slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SeverityProblem })
}

// namesShown is how many emails a finding names before "…".
const namesShown = 5

// listSome joins up to namesShown of names, the first of total, with an
// ellipsis when there are more.
func listSome(names []string, total int) string {
	list := strings.Join(names[:min(len(names), namesShown)], ", ")
	if total > namesShown {
		list += ", …"
	}
	return list
}

// Checkup judges the accounts by the rules of this package, where the
// store's doctor judges the storage: password hashes ctitui cannot use or
// would replace, admins who are disabled, accounts locked by failed logins.
// Its findings have no repairs: each fix is a person's decision, which the
// message names.
//
// A check that cannot run is a problem finding, not an error: a user row
// the store cannot read (a time that is no time, written outside ctitui)
// stops the listings a check makes, and the storage's doctor names such
// rows; the report must still come out. Only an ended context stops it.
func (s *Service) Checkup(ctx context.Context) ([]Finding, error) {
	var out []Finding
	for _, check := range []struct {
		name string
		run  func(context.Context) ([]Finding, error)
	}{{"password hashes", s.checkHashes}, {"accounts", s.checkAccounts}} {
		found, err := check.run(ctx)
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil, err
		case err != nil:
			found = []Finding{{Check: check.name, Severity: SeverityProblem, Message: fmt.Sprintf("the check could not run: %v", err)}}
		}
		out = append(out, found...)
	}
	return out, nil
}

// checkHashes sorts the stored hashes with password.CheckStored, the one
// judge of what Verify will compute, as it is for imports.
func (s *Service) checkHashes(ctx context.Context) ([]Finding, error) {
	var outdated, bcrypt, unreadable, unset, costly, total int
	var costlyNames []string // the first few, to name
	// Under bcrypt (see PasswordHashScheme) what is outdated is argon2id
	// and bcrypt below the hasher's cost: login rewrites those as bcrypt.
	hs, err := s.PasswordHashScheme(ctx)
	if err != nil {
		return nil, fmt.Errorf("check password hashes: %w", err)
	}
	var lowBcrypt, argon int
	err = s.store.EachPasswordHash(ctx, func(email, hash string) error {
		total++
		switch err := password.CheckStored(hash); {
		case hash == password.NoPassword:
			unset++
		case errors.Is(err, password.ErrHashTooCostly):
			if costly++; costly <= namesShown {
				costlyNames = append(costlyNames, email)
			}
		case err != nil:
			unreadable++
		case hs.Scheme == password.SchemeBcrypt:
			if password.IsBcrypt(hash) {
				if s.hasher.NeedsRehash(hs.Scheme, "", hash) {
					lowBcrypt++
				}
			} else {
				argon++
			}
		case password.IsBcrypt(hash):
			bcrypt++
		default:
			if phc, _ := password.ParsePHC(hash); phc.Params != s.hasher.Params() {
				outdated++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check password hashes: %w", err)
	}
	const check = "password hashes"
	var out []Finding
	if n := lowBcrypt + argon; n > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo,
			Message: fmt.Sprintf("%d of %d users have hashes other than this database's bcrypt at cost %d (%d argon2id, %d bcrypt of a lower cost); each is rewritten as bcrypt at its next successful login", n, total, s.hasher.BcryptCost(), argon, lowBcrypt)})
	}
	if n := outdated + bcrypt; n > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo,
			Message: fmt.Sprintf("%d of %d users have outdated hashes (%d bcrypt, %d older argon2id); each is replaced at its next successful login", n, total, bcrypt, outdated)})
	}
	if unset > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo,
			Message: fmt.Sprintf("%d users have no password yet (imported without hashes); 'ctitui user passwd EMAIL' sets one", unset)})
	}
	if costly > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityProblem,
			Message: fmt.Sprintf("%d users have password hashes beyond ctitui's cost limits (%s): %s; ctitui refuses to compute them, so they cannot log in until 'ctitui user passwd EMAIL' sets a new password",
				costly, password.Limits(), listSome(costlyNames, costly))})
	}
	if unreadable > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityProblem,
			Message: fmt.Sprintf("%d users have a password hash ctitui cannot read; they cannot log in until 'ctitui user passwd' sets a new one", unreadable)})
	}
	if len(out) == 0 && hs.Scheme == password.SchemeBcrypt {
		return []Finding{{Check: check, Message: fmt.Sprintf("all %d use bcrypt, this database's password hash setting", total)}}, nil
	}
	if len(out) == 0 {
		return []Finding{{Check: check, Message: fmt.Sprintf("all %d use current argon2id parameters", total)}}, nil
	}
	return out, nil
}

// checkAccounts says when users exist but no enabled admin does, lists the
// disabled admins and counts the accounts locked by failed logins, as the
// listing's filters count them: those only an admin can open apart from
// those a time opens. These are information, not problems: anyone can lock
// an account by guessing, a first user added without the admin role makes
// a database with no admin, and the exit status of a health check judges
// the database, not its users.
func (s *Service) checkAccounts(ctx context.Context) ([]Finding, error) {
	now := s.stamp()
	names := func(f Filter, limit int) ([]string, error) {
		var out []string
		err := s.store.ListUsers(ctx, ListOptions{Filter: f, Sort: ByEmail, Limit: limit}, func(u User) error {
			out = append(out, u.Email)
			return nil
		})
		return out, err
	}
	noAdmin, err := s.noEnabledAdmin(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("check accounts: %w", err)
	}
	disabled, err := names(Filter{Role: RoleAdmin, Status: Disabled, Now: now}, namesShown+1)
	if err != nil {
		return nil, fmt.Errorf("check accounts: %w", err)
	}
	blocked, err := s.store.CountUsers(ctx, Filter{Status: Blocked, Now: now})
	if err != nil {
		return nil, fmt.Errorf("check accounts: %w", err)
	}
	blockedNames, err := names(Filter{Status: Blocked, Now: now}, namesShown)
	if err != nil {
		return nil, fmt.Errorf("check accounts: %w", err)
	}
	locked, err := s.store.CountUsers(ctx, Filter{Status: Locked, Now: now})
	if err != nil {
		return nil, fmt.Errorf("check accounts: %w", err)
	}
	const check = "accounts"
	var out []Finding
	if noAdmin {
		out = append(out, noEnabledAdminFinding)
	}
	if len(disabled) > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo, Message: "disabled admins: " + listSome(disabled, len(disabled))})
	}
	if blocked > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo,
			Message: fmt.Sprintf("%d users are locked until an admin unlocks them, after %d consecutive failed logins: %s ('ctitui user unlock EMAIL' after checking who tried)",
				blocked, MaxConsecutiveFailures, listSome(blockedNames, blocked))})
	}
	if timed := locked - blocked; timed > 0 {
		out = append(out, Finding{Check: check, Severity: SeverityInfo,
			Message: fmt.Sprintf("%d users are locked by failed logins for a time ('ctitui user list --locked'; 'ctitui user unlock EMAIL')", timed)})
	}
	if len(out) == 0 {
		return []Finding{{Check: check, Message: "no disabled admins, no locked users"}}, nil
	}
	return out, nil
}

// noEnabledAdminFinding says that users exist but none can manage them.
var noEnabledAdminFinding = Finding{Check: "accounts", Severity: SeverityInfo,
	Message: "no enabled admin: no user can manage the platform's accounts; make one an admin ('ctitui user set-role EMAIL --role admin') or enable a disabled admin ('ctitui user enable EMAIL')"}

// QuickCheckup is the accounts check of a quick look: whether users exist
// but none of them is an enabled admin, which reads only the admins. The
// disabled admins and the locked users, which read every user, are
// Checkup's.
func (s *Service) QuickCheckup(ctx context.Context) ([]Finding, error) {
	const later = " (doctor --full also looks for disabled admins and locked users)"
	admins, err := s.store.EnabledAdmins(ctx)
	users := 0
	if err == nil && admins == 0 {
		users, err = s.store.CountUsers(ctx, Filter{Now: s.stamp()})
	}
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return nil, err
	case err != nil:
		return []Finding{{Check: "accounts", Severity: SeverityProblem, Message: fmt.Sprintf("the check could not run: %v", err)}}, nil
	case admins > 0:
		return []Finding{{Check: "accounts", Message: "an enabled admin exists" + later}}, nil
	case users > 0:
		return []Finding{noEnabledAdminFinding}, nil
	}
	return []Finding{{Check: "accounts", Message: "no users yet"}}, nil
}

// noEnabledAdmin reports whether users exist and none of them is an enabled
// admin.
func (s *Service) noEnabledAdmin(ctx context.Context, now time.Time) (bool, error) {
	admins, err := s.store.EnabledAdmins(ctx)
	if err != nil || admins > 0 {
		return false, err
	}
	users, err := s.store.CountUsers(ctx, Filter{Now: now})
	return users > 0, err
}
