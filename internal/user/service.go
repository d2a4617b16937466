package user

import (
	"context"
	"errors"
	"fmt"
	"os"
	osuser "os/user"
	"runtime/debug"
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
	// floor is the least time a failed Verify takes; sleep waits it out.
	floor time.Duration
	sleep func(ctx context.Context, d time.Duration) error
}

// DefaultFailureFloor is the least time every failed Verify takes, whatever
// failed: an unknown email, a disabled or locked account, a wrong password
// against any stored hash, a malformed or refused hash, a password too long.
// It must be above the slowest verify the cost limits of internal/password
// allow, plus the failure's write transaction. On the 2-core machine ctitui
// was measured on (BenchmarkVerifyCost, medians), bcrypt at
// password.MaxBcryptCost (14) takes 0.94 s (1.06 s with other work
// running), the costliest argon2id allowed 0.62 s (0.93 s), ctitui's own
// argon2id 0.024 s. A 2 s floor was overrun there when other work loaded
// both cores (scripts/timing.sh saw the costliest argon2id take two
// floors); 3 s leaves a margin of about three for a slower or busier
// machine, or an attacker loading it with logins of their own. It is also
// the FAIL_DELAY that login.defs has long given a failed Unix login. An
// overrun still shows only as whole floors (see padding).
const DefaultFailureFloor = 3 * time.Second

// Option configures a Service.
type Option func(*Service)

// WithHasher sets the password hasher. Tests use cheap parameters through
// this option; the binary always uses password.DefaultParams.
func WithHasher(h *password.Hasher) Option { return func(s *Service) { s.hasher = h } }

// WithPolicy sets the password policy.
func WithPolicy(p password.Policy) Option { return func(s *Service) { s.policy = p } }

// WithClock sets the clock that stamps created, updated and audit times, and
// that measures how long a failed Verify has taken.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithFailureFloor sets the least time a failed Verify takes
// (DefaultFailureFloor when not set; 0 or less turns the floor off). Tests
// pass a small floor through this option; the binary has no flag or
// variable for it.
func WithFailureFloor(d time.Duration) Option { return func(s *Service) { s.floor = max(d, 0) } }

// WithSleep sets how a failed Verify waits out the floor: sleep returns
// after d, or at once with the context's error when ctx ends first. Tests
// record the waits instead of sleeping.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Service) { s.sleep = sleep }
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithIDs sets the generator of new user ids (random UUIDs by default), so
// that tests can draw screens that do not change from run to run.
func WithIDs(next func() string) Option { return func(s *Service) { s.newID = next } }

// WithActor sets the name recorded as the actor of audit entries. It defaults
// to the OS user running the process.
func WithActor(name string) Option { return func(s *Service) { s.actor = name } }

// newUUIDv7 returns a random UUID whose first bits are the time, increasing
// within the process: users created in one millisecond (an import writes
// hundreds) then sort by id in the order they were made, which keeps the
// users table's rowids in the listing's (created_at, id) order.
func newUUIDv7() string { return uuid.Must(uuid.NewV7()).String() }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:  store,
		hasher: password.NewHasher(password.DefaultParams),
		now:    time.Now,
		actor:  CurrentOSUser(),
		newID:  newUUIDv7,
		floor:  DefaultFailureFloor,
		sleep:  sleepContext,
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// CurrentOSUser names the operating-system user running ctitui, the actor
// recorded in audit entries: the name the system's user database gives the
// process's uid. When the uid has none (no passwd entry, as in many
// containers), it is "uid N", with the name $USER claims beside it, marked
// as a claim: the caller chooses $USER, not the uid.
func CurrentOSUser() string {
	return osUserName(os.Getuid(), uidName, osuser.Current, os.Getenv)
}

// osUserName is CurrentOSUser with what it asks the system passed in.
// Where there are no uids (Windows, uid -1), current names the account.
func osUserName(uid int, name func(uid int) (string, error), current func() (*osuser.User, error), getenv func(string) string) string {
	if uid < 0 {
		if u, err := current(); err == nil && u.Username != "" {
			return u.Username
		}
	} else if n, err := name(uid); err == nil && n != "" {
		return n
	}
	claimed := getenv("USER")
	switch {
	case uid >= 0 && claimed != "":
		return fmt.Sprintf("uid %d ($USER says %s)", uid, claimed)
	case uid >= 0:
		return fmt.Sprintf("uid %d", uid)
	case claimed != "":
		return claimed + " (from $USER, unverified)"
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
	hash, err := s.hashNew(ctx, plain)
	if err != nil {
		return User{}, err
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

// Get returns the user with the email emailOrID (compared after
// normalisation), or, when no email matches, the user whose id is emailOrID:
// a row written by another tool may have an address nobody can type.
func (s *Service) Get(ctx context.Context, emailOrID string) (User, error) {
	return find(ctx, s.store, emailOrID)
}

// finder looks users up; Store and Tx both are one.
type finder interface {
	UserByEmail(ctx context.Context, normalized string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
}

// find resolves emailOrID, an email or else an id, to a user.
func find(ctx context.Context, f finder, emailOrID string) (User, error) {
	u, err := f.UserByEmail(ctx, NormalizeEmail(emailOrID))
	if errors.Is(err, ErrNotFound) && strings.TrimSpace(emailOrID) != "" {
		u, err = f.UserByID(ctx, strings.TrimSpace(emailOrID))
	}
	if errors.Is(err, ErrNotFound) {
		return User{}, &NotFoundError{Email: emailOrID}
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
	// Room for a screenful at most: the limit is a bound, not a size, and
	// one near math.MaxInt made this panic.
	users := make([]User, 0, min(max(opts.Limit, 0), 256))
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

// Audit calls fn for every audit entry matching f, newest first unless
// f.OldestFirst.
func (s *Service) Audit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	return s.store.ListAudit(ctx, f, fn)
}

// update runs change on the user emailOrID names (see Get) inside one
// transaction and records the audit entry it returns. change returns
// ok=false when there is nothing to do; then nothing is written and the user
// is returned as it was.
func (s *Service) update(ctx context.Context, emailOrID string, change func(u *User, now time.Time) (AuditEntry, bool, error)) (User, bool, error) {
	var (
		result  User
		changed bool
	)
	err := s.store.WithTx(ctx, func(tx Tx) error {
		u, err := find(ctx, tx, emailOrID)
		if err != nil {
			return err
		}
		now := s.stamp()
		before := u
		entry, ok, err := change(&u, now)
		if err != nil || !ok {
			result = u
			return err
		}
		if isEnabledAdmin(before) && !isEnabledAdmin(u) {
			if err := keepAnAdmin(ctx, tx, before); err != nil {
				return err
			}
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if entry.Action != "" {
			if err := tx.AppendAudit(ctx, entry); err != nil {
				return &auditError{err}
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

// isEnabledAdmin reports whether u can manage the platform's accounts.
func isEnabledAdmin(u User) bool { return u.HasRole(RoleAdmin) && !u.Disabled() }

// keepAnAdmin refuses, inside tx, a change that would leave no enabled
// admin once u is no longer one. Checked in the transaction that makes the
// change, two admins demoting each other at once cannot both succeed.
func keepAnAdmin(ctx context.Context, tx Tx, u User) error {
	n, err := tx.EnabledAdminsBesides(ctx, u.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %s is the only one; make another user an admin first ('ctitui user set-role EMAIL --role admin') or enable a disabled admin ('ctitui user enable EMAIL')", ErrLastAdmin, u.Email)
	}
	return nil
}

// SetRoles replaces the roles of the user emailOrID names (see Get). Setting
// the roles the user already has changes nothing and is not an error.
func (s *Service) SetRoles(ctx context.Context, emailOrID string, roles []Role) (User, error) {
	if len(roles) == 0 {
		return User{}, fmt.Errorf("%w: a user needs at least one role", ErrInvalidRole)
	}
	u, _, err := s.update(ctx, emailOrID, func(u *User, now time.Time) (AuditEntry, bool, error) {
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

// SetPassword gives the user emailOrID names (see Get) a new password, which
// must pass the policy.
func (s *Service) SetPassword(ctx context.Context, emailOrID, plain string) (User, error) {
	current, err := s.Get(ctx, emailOrID)
	if err != nil {
		return User{}, err
	}
	if err := s.policy.Check(plain, current.Email); err != nil {
		return User{}, err
	}
	// Hash outside the transaction: it takes tens of milliseconds and the
	// write lock should not wait for it.
	hash, err := s.hashNew(ctx, plain)
	if err != nil {
		return User{}, err
	}
	u, _, err := s.update(ctx, emailOrID, func(u *User, now time.Time) (AuditEntry, bool, error) {
		u.PasswordHash, u.UpdatedAt = hash, now
		return s.audit(now, ActionSetPassword, *u, ""), true, nil
	})
	return u, err
}

// SetDisabled disables or enables the user emailOrID names (see Get).
// changed is false when the user was already in that state.
func (s *Service) SetDisabled(ctx context.Context, emailOrID string, disabled bool) (u User, changed bool, err error) {
	return s.update(ctx, emailOrID, func(u *User, now time.Time) (AuditEntry, bool, error) {
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

// Delete removes the user emailOrID names (see Get) and its roles. The audit
// log keeps a record of the deletion.
func (s *Service) Delete(ctx context.Context, emailOrID string) (User, error) {
	var deleted User
	err := s.store.WithTx(ctx, func(tx Tx) error {
		u, err := find(ctx, tx, emailOrID)
		if err != nil {
			return err
		}
		if isEnabledAdmin(u) {
			if err := keepAnAdmin(ctx, tx, u); err != nil {
				return err
			}
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
// unknown, disabled, locked or the password wrong, is ErrInvalidCredentials,
// costs at least one hash and one write transaction, and returns no sooner
// than the failure floor (DefaultFailureFloor, see WithFailureFloor) after
// Verify began, so neither the answer nor its timing tells which. A failure
// whose context ends while it waits returns the context's error. A wrong
// password counts towards the lockout threshold; reaching it locks the
// account for the policy's duration, and MaxConsecutiveFailures in a row
// lock it until an admin unlocks it. A hash with outdated parameters, or a
// legacy bcrypt hash, is replaced with a current argon2id one.
func (s *Service) Verify(ctx context.Context, email, plain string) (User, error) {
	start := s.now()
	u, err := s.verify(ctx, email, plain)
	if err == nil {
		return u, nil
	}
	if s.floor == 0 {
		return User{}, err
	}
	// What the failure leaves for the end of the process is settled inside
	// the floor. Left to the runtime, a 256 MiB argon2id's memory made the
	// process end about 30 ms later than an unknown email's did
	// (scripts/timing.sh); left in the write-ahead log, a counted failure
	// made closing the database cost a checkpoint and an fsync (0.9 ms
	// against 0.15 ms here, more on a slow disk) that an unknown email's
	// did not; after a passive checkpoint the two closes differ by about
	// 0.25 ms, the unlink of a longer log.
	debug.FreeOSMemory()
	if c, ok := s.store.(checkpointer); ok {
		c.Checkpoint(ctx) //nolint:errcheck // best effort: it only evens out the close
	}
	if wait := padding(s.floor, s.now().Sub(start)); wait > 0 {
		if werr := s.sleep(ctx, wait); werr != nil {
			return User{}, fmt.Errorf("verify: %w", werr)
		}
	}
	return User{}, err
}

// checkpointer is a Store that can empty its write-ahead log (sqlite.Store).
type checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// padding is how long a failure that has taken spent must still wait: up to
// floor, or, when it overran the floor (a long wait for the write lock, a
// busy machine), up to the next multiple of floor, so that an overrun shows
// only as a whole number of floors.
func padding(floor, spent time.Duration) time.Duration {
	if floor <= 0 {
		return 0
	}
	spent = max(spent, 0)
	if spent < floor {
		return floor - spent
	}
	if over := spent % floor; over != 0 {
		return floor - over
	}
	return 0
}

// verify is Verify without the failure floor.
func (s *Service) verify(ctx context.Context, email, plain string) (User, error) {
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
	ok, _, err := s.hasher.Verify(plain, u.PasswordHash)
	if err != nil || !ok || u.Disabled() || u.Locked(s.stamp()) {
		if err := s.recordFailure(ctx, normalized); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials
	}
	// Whether the hash is rewritten is the database's scheme's call: a
	// bcrypt database keeps its bcrypt hashes. Read only once the password
	// is right, so that failures cost no setting read.
	scheme, err := s.hashScheme(ctx)
	if err != nil {
		return User{}, err
	}
	var newHash, rehashed string
	if s.hasher.NeedsRehash(scheme, plain, u.PasswordHash) {
		if newHash, err = s.hasher.HashScheme(scheme, plain); err != nil {
			return User{}, fmt.Errorf("hash password: %w", err)
		}
		rehashed = "stored hash upgraded to current argon2id parameters"
		if scheme == password.SchemeBcrypt {
			rehashed = fmt.Sprintf("stored hash rewritten as bcrypt cost %d, the database's password hash setting", s.hasher.BcryptCost())
		}
	}
	verified, email := u.PasswordHash, u.Email
	login := func(newHash string) (User, error) {
		u, _, err := s.update(ctx, email, func(u *User, now time.Time) (AuditEntry, bool, error) {
			// The check above ran outside the transaction: if the password
			// was changed, or the account disabled or locked, meanwhile,
			// this login must not go through, nor overwrite the new hash.
			if u.PasswordHash != verified || u.Disabled() || u.Locked(now) {
				return AuditEntry{}, false, ErrInvalidCredentials
			}
			u.LastLoginAt, u.FailedLogins, u.LockedUntil = now, 0, time.Time{}
			if newHash == "" {
				return AuditEntry{}, true, nil
			}
			u.PasswordHash, u.UpdatedAt = newHash, now
			return s.audit(now, ActionRehash, *u, rehashed), true, nil
		})
		return u, err
	}
	u, err = login(newHash)
	if newHash != "" && errors.As(err, new(*auditError)) {
		// The upgrade cannot be written without its audit entry, and a log
		// that refuses entries (see recordFailure) must not make the right
		// password fail where a current hash would log in: that error
		// would tell the right password from a wrong one, and count
		// neither. The login goes through; the upgrade waits for a login
		// after someone has mended the log.
		u, err = login("")
	}
	return u, err
}

// auditError is the failure to append an audit entry, told apart from the
// failure of the change it records. Its message is the append's.
type auditError struct{ err error }

func (e *auditError) Error() string { return e.err.Error() }
func (e *auditError) Unwrap() error { return e.err }

// recordFailure counts a failed verify against the user with normalized
// email: a timed lock at every multiple of the policy's threshold, and a
// lock until an admin unlocks it at MaxConsecutiveFailures. For an unknown
// email it runs the same transaction and changes nothing, so that the two
// cost alike. Attempts on an account that is already locked or disabled do
// not count: they cannot succeed, and counting them would let anyone extend
// a lock.
//
// The lock matters more than its audit entry. The log refuses entries
// when it shows signs of tampering (its head record is gone, its id counter
// was pushed past the head: see db's chainWriter.load), and anyone who can
// write the file can make it so. Rolled back with the entry, the count
// would stop one short of the threshold for good (unlimited guesses), and
// the entry's error would tell a known account from an unknown one. So the
// count and the lock are then written in a transaction of their own,
// without the entry, and the failure is ErrInvalidCredentials like any
// other. doctor and audit verify report such a log; ctitui appends nothing
// to it anyway.
func (s *Service) recordFailure(ctx context.Context, normalized string) error {
	err := s.countFailure(ctx, normalized, true)
	if !errors.As(err, new(*auditError)) {
		return err
	}
	// If the counter cannot be written either, writes fail altogether (a
	// full disk, a read-only file). Every counted failure and every right
	// password then fails with a write error as well, so returning it tells
	// nothing new; dressing it up as ErrInvalidCredentials would hide a
	// failure that was not counted, and make the right password's write
	// error the one answer that stands out.
	if err := s.countFailure(ctx, normalized, false); err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return nil
}

// countFailure is recordFailure's transaction; withAudit records a lock in
// the audit log.
func (s *Service) countFailure(ctx context.Context, normalized string, withAudit bool) error {
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
		// A lock that has run out is history (its audit entry stays); the
		// count goes on, so that waiting out locks does not reset it.
		u.FailedLogins, u.LockedUntil = u.FailedLogins+1, time.Time{}
		var details string
		switch {
		case u.NeedsAdminUnlock():
			details = fmt.Sprintf("locked until an admin unlocks it after %d consecutive failed logins", u.FailedLogins)
		case u.FailedLogins%policy.Threshold == 0:
			u.LockedUntil = now.Add(policy.Duration)
			details = fmt.Sprintf("locked until %s after %d failed logins", FormatTime(u.LockedUntil), u.FailedLogins)
		default:
			return tx.UpdateUser(ctx, u)
		}
		if err := tx.UpdateUser(ctx, u); err != nil || !withAudit {
			return err
		}
		if err := tx.AppendAudit(ctx, s.audit(now, ActionLock, u, details)); err != nil {
			return &auditError{err}
		}
		return nil
	})
}

// Unlock clears the failed logins and lock of the user emailOrID names (see
// Get), including the lock that MaxConsecutiveFailures leaves until an admin
// lifts it. changed is false when there was nothing to clear.
func (s *Service) Unlock(ctx context.Context, emailOrID string) (u User, changed bool, err error) {
	return s.update(ctx, emailOrID, func(u *User, now time.Time) (AuditEntry, bool, error) {
		if u.FailedLogins == 0 && u.LockedUntil.IsZero() {
			return AuditEntry{}, false, nil
		}
		details := fmt.Sprintf("cleared %d failed logins", u.FailedLogins)
		switch {
		case u.FailedLogins < 0:
			// No count ctitui writes (see NeedsAdminUnlock); the store
			// reads a value that is no count or no time as -1. Say so
			// rather than record an odd count as cleared.
			details = fmt.Sprintf("cleared a failed-login count or lock time that ctitui never writes (read as %d failed logins)", u.FailedLogins)
		case u.NeedsAdminUnlock():
			details += ", lock until an admin unlocked it"
		case u.Locked(now):
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
			Details: fmt.Sprintf("lockout %d failed logins / %d min -> %d / %d min", old.Threshold, old.Duration/time.Minute, p.Threshold, p.Duration/time.Minute)})
	})
}

// hashNew hashes a new password (register, passwd) in the database's
// scheme, refusing one the scheme cannot hash whole (see Scheme.Check) as
// the policy refuses others.
func (s *Service) hashNew(ctx context.Context, plain string) (string, error) {
	scheme, err := s.hashScheme(ctx)
	if err != nil {
		return "", err
	}
	if err := scheme.Check(plain); err != nil {
		return "", err
	}
	hash, err := s.hasher.HashScheme(scheme, plain)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}
