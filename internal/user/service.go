package user

import (
	"context"
	"errors"
	"fmt"
	"os"
	osuser "os/user"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ctitui/ctitui/internal/password"
)

// Service is everything ctitui does with users. The CLI and the terminal UI
// call it; it validates, hashes and audits, and leaves storage to its Store.
type Service struct {
	store  Store
	hasher *password.Hasher
	policy password.Policy
	now    func() time.Time
	actor  string
	newID  func() string
}

// Option configures a Service.
type Option func(*Service)

// WithHasher sets the password hasher. Tests use cheap parameters through
// this option; the binary always uses password.DefaultParams.
func WithHasher(h *password.Hasher) Option { return func(s *Service) { s.hasher = h } }

// WithPolicy sets the password policy.
func WithPolicy(p password.Policy) Option { return func(s *Service) { s.policy = p } }

// WithClock sets the clock that stamps created, updated and audit times.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs sets the generator of new user ids (random UUIDs by default), so
// that tests can draw screens that do not change from run to run.
func WithIDs(next func() string) Option { return func(s *Service) { s.newID = next } }

// WithActor sets the name recorded as the actor of audit entries. It defaults
// to the OS user running the process.
func WithActor(name string) Option { return func(s *Service) { s.actor = name } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:  store,
		hasher: password.NewHasher(password.DefaultParams),
		now:    time.Now,
		actor:  CurrentOSUser(),
		newID:  uuid.NewString,
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// CurrentOSUser names the operating-system user running ctitui, the actor
// recorded in audit entries.
func CurrentOSUser() string {
	if u, err := osuser.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "unknown"
}

// Policy returns the password policy in force.
func (s *Service) Policy() password.Policy { return s.policy }

// CheckPassword applies the password policy to plain for the account email,
// without hashing. Errors match password.ErrPolicy and say why.
func (s *Service) CheckPassword(plain, email string) error {
	return s.policy.Check(plain, email)
}

// stamp returns the current time at the precision times are stored with, so
// a returned User shows exactly what a later read would.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Register creates a user. The email must be valid and unused, the password
// must pass the policy, and roles (DefaultRole when empty) must be assignable.
func (s *Service) Register(ctx context.Context, email, plain string, roles []Role) (User, error) {
	checked, err := ValidateEmail(email)
	if err != nil {
		return User{}, s.namedLookAlike(ctx, email, err)
	}
	email = checked
	roles, err = assignable(roles)
	if err != nil {
		return User{}, err
	}
	if len(roles) == 0 {
		roles = []Role{DefaultRole}
	}
	normalized := NormalizeEmail(email)
	// Look before hashing: a duplicate is the likeliest mistake and should
	// not cost a hash. The insert checks again under the unique index.
	if _, err := s.store.UserByEmail(ctx, normalized); err == nil {
		return User{}, &ExistsError{Email: email}
	} else if !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	if err := s.checkLookAlike(ctx, email, normalized); err != nil {
		return User{}, err
	}
	if err := s.policy.Check(plain, email); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(plain)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	now := s.stamp()
	u := User{
		ID:           s.newID(),
		Email:        email,
		Roles:        roles,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	err = s.store.WithTx(ctx, func(tx Tx) error {
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.audit(now, ActionRegister, u, "roles="+JoinRoles(u.Roles)))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// assignable returns roles in their canonical spelling, sorted, without
// duplicates, or an error naming the first that cannot be assigned.
func assignable(roles []Role) ([]Role, error) {
	out := make([]Role, 0, len(roles))
	for _, r := range roles {
		parsed, err := ParseRole(string(r))
		if err != nil {
			return nil, err
		}
		out = append(out, parsed)
	}
	return SortRoles(out), nil
}

func (s *Service) audit(at time.Time, action Action, u User, details string) AuditEntry {
	return AuditEntry{At: at, Actor: s.actor, Action: action, UserID: u.ID, UserEmail: u.Email, Details: details}
}

// Get returns the user with email (compared after normalisation), or, when
// no email matches, the user whose id is email: a row written by another
// tool may have an address nobody can type.
func (s *Service) Get(ctx context.Context, email string) (User, error) {
	return find(ctx, s.store, email)
}

// finder looks users up; Store and Tx both are one.
type finder interface {
	UserByEmail(ctx context.Context, normalized string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
}

// find resolves ref, an email or else an id, to a user.
func find(ctx context.Context, f finder, ref string) (User, error) {
	u, err := f.UserByEmail(ctx, NormalizeEmail(ref))
	if errors.Is(err, ErrNotFound) && strings.TrimSpace(ref) != "" {
		u, err = f.UserByID(ctx, strings.TrimSpace(ref))
	}
	if errors.Is(err, ErrNotFound) {
		return User{}, &NotFoundError{Email: ref}
	}
	return u, err
}

// GetByID returns the user with id.
func (s *Service) GetByID(ctx context.Context, id string) (User, error) {
	return s.store.UserByID(ctx, id)
}

// List calls fn for every user matching opts, streaming.
func (s *Service) List(ctx context.Context, opts ListOptions, fn func(User) error) error {
	opts.Filter = s.judged(opts.Filter)
	return s.store.ListUsers(ctx, opts, fn)
}

// judged sets the time a filter's Active and Locked are judged at.
func (s *Service) judged(f Filter) Filter {
	if f.Now.IsZero() {
		f.Now = s.stamp()
	}
	return f
}

// Page returns up to opts.Limit users matching opts.
func (s *Service) Page(ctx context.Context, opts ListOptions) ([]User, error) {
	users := make([]User, 0, max(opts.Limit, 0))
	err := s.List(ctx, opts, func(u User) error {
		users = append(users, u)
		return nil
	})
	return users, err
}

// Count counts the users matching f.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	return s.store.CountUsers(ctx, s.judged(f))
}

// Audit calls fn for every audit entry matching f, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	return s.store.ListAudit(ctx, f, fn)
}

// update runs change on the user with email inside one transaction and
// records the audit entry it returns. change returns ok=false when there is
// nothing to do; then nothing is written and the user is returned as it was.
func (s *Service) update(ctx context.Context, email string, change func(u *User, now time.Time) (AuditEntry, bool, error)) (User, bool, error) {
	var (
		result  User
		changed bool
	)
	err := s.store.WithTx(ctx, func(tx Tx) error {
		u, err := find(ctx, tx, email)
		if err != nil {
			return err
		}
		now := s.stamp()
		entry, ok, err := change(&u, now)
		if err != nil || !ok {
			result = u
			return err
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if entry.Action != "" {
			if err := tx.AppendAudit(ctx, entry); err != nil {
				return err
			}
		}
		result, changed = u, true
		return nil
	})
	if err != nil {
		return User{}, false, err
	}
	return result, changed, nil
}

// SetRoles replaces the roles of the user with email. Setting the roles the
// user already has changes nothing and is not an error.
func (s *Service) SetRoles(ctx context.Context, email string, roles []Role) (User, error) {
	if len(roles) == 0 {
		return User{}, fmt.Errorf("%w: a user needs at least one role", ErrInvalidRole)
	}
	u, _, err := s.update(ctx, email, func(u *User, now time.Time) (AuditEntry, bool, error) {
		// A role the user already holds stays allowed even if ctitui cannot
		// assign it (one kept from an adopted database): setting roles must
		// not force dropping it.
		var held, wanted []Role
		for _, r := range roles {
			if slices.Contains(u.Roles, r) {
				held = append(held, r)
			} else {
				wanted = append(wanted, r)
			}
		}
		wanted, err := assignable(wanted)
		if err != nil {
			return AuditEntry{}, false, err
		}
		next := SortRoles(append(held, wanted...))
		if slices.Equal(u.Roles, next) {
			return AuditEntry{}, false, nil
		}
		details := fmt.Sprintf("roles %s -> %s", JoinRoles(u.Roles), JoinRoles(next))
		u.Roles, u.UpdatedAt = next, now
		return s.audit(now, ActionSetRoles, *u, details), true, nil
	})
	return u, err
}

// SetPassword gives the user with email a new password, which must pass the
// policy.
func (s *Service) SetPassword(ctx context.Context, email, plain string) (User, error) {
	current, err := s.Get(ctx, email)
	if err != nil {
		return User{}, err
	}
	if err := s.policy.Check(plain, current.Email); err != nil {
		return User{}, err
	}
	// Hash outside the transaction: it takes tens of milliseconds and the
	// write lock should not wait for it.
	hash, err := s.hasher.Hash(plain)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	u, _, err := s.update(ctx, email, func(u *User, now time.Time) (AuditEntry, bool, error) {
		u.PasswordHash, u.UpdatedAt = hash, now
		return s.audit(now, ActionSetPassword, *u, ""), true, nil
	})
	return u, err
}

// SetDisabled disables or enables the user with email. changed is false when
// the user was already in that state.
func (s *Service) SetDisabled(ctx context.Context, email string, disabled bool) (u User, changed bool, err error) {
	return s.update(ctx, email, func(u *User, now time.Time) (AuditEntry, bool, error) {
		if u.Disabled() == disabled {
			return AuditEntry{}, false, nil
		}
		action := ActionEnable
		u.DisabledAt = time.Time{}
		if disabled {
			action, u.DisabledAt = ActionDisable, now
		}
		u.UpdatedAt = now
		return s.audit(now, action, *u, ""), true, nil
	})
}

// Delete removes the user with email and its roles. The audit log keeps a
// record of the deletion.
func (s *Service) Delete(ctx context.Context, email string) (User, error) {
	var deleted User
	err := s.store.WithTx(ctx, func(tx Tx) error {
		u, err := find(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		deleted = u
		return tx.AppendAudit(ctx, s.audit(s.stamp(), ActionDelete, u, "roles="+JoinRoles(u.Roles)))
	})
	return deleted, err
}

// Verify checks plain against the password of the enabled, unlocked user
// with email and records the login. Every failure, whether the user is
// unknown, disabled, locked or the password wrong, is ErrInvalidCredentials
// and costs about one hash and one write transaction, so neither the answer
// nor its timing tells which. A wrong password counts towards the lockout
// threshold; reaching it locks the account for the policy's duration. A hash
// with outdated parameters, or a legacy bcrypt hash, is replaced with a
// current argon2id one.
func (s *Service) Verify(ctx context.Context, email, plain string) (User, error) {
	normalized := NormalizeEmail(email)
	u, err := s.store.UserByEmail(ctx, normalized)
	if errors.Is(err, ErrNotFound) {
		s.hasher.DummyVerify(plain)
		if err := s.recordFailure(ctx, normalized); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, needsRehash, err := s.hasher.Verify(plain, u.PasswordHash)
	if err != nil || !ok || u.Disabled() || u.Locked(s.stamp()) {
		if err := s.recordFailure(ctx, normalized); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials
	}
	var newHash string
	if needsRehash {
		if newHash, err = s.hasher.Hash(plain); err != nil {
			return User{}, fmt.Errorf("hash password: %w", err)
		}
	}
	verified := u.PasswordHash
	u, _, err = s.update(ctx, u.Email, func(u *User, now time.Time) (AuditEntry, bool, error) {
		// The check above ran outside the transaction: if the password was
		// changed, or the account disabled or locked, meanwhile, this login
		// must not go through, nor overwrite the new hash.
		if u.PasswordHash != verified || u.Disabled() || u.Locked(now) {
			return AuditEntry{}, false, ErrInvalidCredentials
		}
		u.LastLoginAt, u.FailedLogins, u.LockedUntil = now, 0, time.Time{}
		if newHash == "" {
			return AuditEntry{}, true, nil
		}
		u.PasswordHash, u.UpdatedAt = newHash, now
		return s.audit(now, ActionRehash, *u, "stored hash upgraded to current argon2id parameters"), true, nil
	})
	return u, err
}

// recordFailure counts a failed verify against the user with normalized
// email, locking the account at the threshold. For an unknown email it runs
// the same transaction and changes nothing, so that the two cost alike.
// Attempts on an account that is already locked or disabled do not count:
// they cannot succeed, and counting them would let anyone extend a lock.
func (s *Service) recordFailure(ctx context.Context, normalized string) error {
	return s.store.WithTx(ctx, func(tx Tx) error {
		policy, err := tx.LockoutPolicy(ctx)
		if err != nil {
			return err
		}
		u, err := tx.UserByEmail(ctx, normalized)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.stamp()
		if u.Disabled() || u.Locked(now) {
			return nil
		}
		if !u.LockedUntil.IsZero() {
			// A lock that has run out starts a fresh count.
			u.FailedLogins, u.LockedUntil = 0, time.Time{}
		}
		u.FailedLogins++
		if u.FailedLogins < policy.Threshold {
			return tx.UpdateUser(ctx, u)
		}
		u.LockedUntil = now.Add(policy.Duration)
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.audit(now, ActionLock, u,
			fmt.Sprintf("locked until %s after %d failed logins", FormatTime(u.LockedUntil), u.FailedLogins)))
	})
}

// Unlock clears the failed logins and lock of the user with email. changed
// is false when there was nothing to clear.
func (s *Service) Unlock(ctx context.Context, email string) (u User, changed bool, err error) {
	return s.update(ctx, email, func(u *User, now time.Time) (AuditEntry, bool, error) {
		if u.FailedLogins == 0 && u.LockedUntil.IsZero() {
			return AuditEntry{}, false, nil
		}
		details := fmt.Sprintf("cleared %d failed logins", u.FailedLogins)
		if u.Locked(now) {
			details += ", lock until " + FormatTime(u.LockedUntil)
		}
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		return s.audit(now, ActionUnlock, *u, details), true, nil
	})
}

// Lockout returns the lockout policy of the database.
func (s *Service) Lockout(ctx context.Context) (LockoutPolicy, error) {
	return s.store.LockoutPolicy(ctx)
}

// SetLockout stores a new lockout policy, recorded in the audit log.
func (s *Service) SetLockout(ctx context.Context, p LockoutPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(tx Tx) error {
		old, err := tx.LockoutPolicy(ctx)
		if err != nil {
			return err
		}
		if old == p {
			return nil
		}
		now := s.stamp()
		if err := tx.SetLockoutPolicy(ctx, p, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, AuditEntry{At: now, Actor: s.actor, Action: ActionSettings,
			Details: fmt.Sprintf("lockout %d failed logins / %v -> %d / %v", old.Threshold, old.Duration, p.Threshold, p.Duration)})
	})
}

// Now is the Service's clock, at stored precision.
func (s *Service) Now() time.Time { return s.stamp() }
