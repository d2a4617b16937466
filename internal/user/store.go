package user

import (
	"context"
	"time"

	"github.com/ctitui/ctitui/internal/password"
)

// Store is what the Service needs from storage. The engines under internal/db
// implement it (db.Store adds what the commands need, and the contracts every
// engine keeps); tests use the same real implementation on temp files.
type Store interface {
	// UserByEmail returns the user whose normalised email is normalized, or an
	// error matching ErrNotFound.
	UserByEmail(ctx context.Context, normalized string) (User, error)
	// UserByID returns the user with id, or an error matching ErrNotFound.
	UserByID(ctx context.Context, id string) (User, error)
	// UserLookingLike returns a user whose EmailSkeleton is skeleton and
	// whose normalised email is not normalized, or an error matching
	// ErrNotFound. It is an indexed lookup, and counts users written by
	// other tools, whose skeleton the store has not recorded.
	UserLookingLike(ctx context.Context, skeleton, normalized string) (User, error)
	// ListUsers calls fn for each user matching opts, in opts' order, streaming
	// rows so that memory does not grow with their number. An error from fn
	// stops the listing and is returned.
	ListUsers(ctx context.Context, opts ListOptions, fn func(User) error) error
	// CountUsers counts the users matching f.
	CountUsers(ctx context.Context, f Filter) (int, error)
	// EnabledAdmins counts the admins whose accounts are not disabled
	// (locked or not: a lock ends with time or 'ctitui user unlock'), from
	// user_roles.
	EnabledAdmins(ctx context.Context) (int, error)
	// EachPasswordHash calls fn with the email and stored password hash of
	// every user, streaming; an error from fn stops it and is returned.
	EachPasswordHash(ctx context.Context, fn func(email, hash string) error) error
	// ListAudit calls fn for each audit entry matching f, newest first
	// unless f.OldestFirst.
	ListAudit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error
	// LockoutPolicy returns the lockout settings of the database.
	LockoutPolicy(ctx context.Context) (LockoutPolicy, error)
	// PasswordHashSetting returns the stored password-hash scheme setting
	// as it is stored, "" when none is. The Service judges it (see
	// Service.PasswordHashScheme): the engine only keeps it, with the
	// lockout settings.
	PasswordHashSetting(ctx context.Context) (string, error)
	// WithTx runs fn in one write transaction: all of its changes commit
	// together, or none do when fn or the commit fails.
	WithTx(ctx context.Context, fn func(Tx) error) error
	// WithBulkTx is WithTx for a transaction that inserts many users: the
	// store may defer work, such as search indexing, to the end of it.
	WithBulkTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is the set of writes a Service makes inside Store.WithTx.
type Tx interface {
	// UserByEmail reads inside the transaction, so a check and the write that
	// depends on it see the same data.
	UserByEmail(ctx context.Context, normalized string) (User, error)
	// UserByID reads inside the transaction.
	UserByID(ctx context.Context, id string) (User, error)
	// InsertUser adds u with its roles. A duplicate email is an *ExistsError;
	// an email whose EmailSkeleton another user's shares is a
	// *LookAlikeError, checked inside the transaction so that two look-alikes
	// registered at once cannot both get in.
	InsertUser(ctx context.Context, u User) error
	// UpdateUser writes u's email, password hash, roles, disabled and
	// last-login times, failed logins, locked-until and updated_at.
	UpdateUser(ctx context.Context, u User) error
	// LockoutPolicy reads the lockout settings inside the transaction.
	LockoutPolicy(ctx context.Context) (LockoutPolicy, error)
	// SetLockoutPolicy stores p, stamped at.
	SetLockoutPolicy(ctx context.Context, p LockoutPolicy, at time.Time) error
	// PasswordHashSetting reads the stored scheme setting inside the
	// transaction, "" when none is stored.
	PasswordHashSetting(ctx context.Context) (string, error)
	// SetPasswordHashSetting stores scheme, stamped at.
	SetPasswordHashSetting(ctx context.Context, scheme password.Scheme, at time.Time) error
	// DeleteUser removes the user with id and its roles.
	DeleteUser(ctx context.Context, id string) error
	// EnabledAdminsBesides counts the admins other than the user with id
	// whose accounts are not disabled, inside the transaction.
	EnabledAdminsBesides(ctx context.Context, id string) (int, error)
	// AppendAudit records e.
	AppendAudit(ctx context.Context, e AuditEntry) error
}

// Status selects users by their state at Filter.Now: disabled, locked by
// failed logins (for a time or until an admin unlocks them), or neither.
// A disabled user counts as disabled whether or not it is also locked, as
// User.Status reports it.
type Status int

// The statuses a Filter can ask for.
const (
	AnyStatus Status = iota
	Active           // neither disabled nor locked
	Disabled         // disabled by an admin
	Locked           // locked by failed logins, for a time or until unlocked (Blocked), and not disabled
	Blocked          // locked until an admin unlocks it (User.NeedsAdminUnlock), and not disabled
)

// Filter selects users. The zero Filter selects everyone.
type Filter struct {
	Role   Role   // only users with this role, when set
	Status Status // only users in this state, when set
	// Search keeps users whose email contains it, ignoring case (Unicode-aware).
	Search string
	// Now is the time Active and Locked are judged at; the Service fills it
	// from its clock.
	Now time.Time
}

// SortKey is the column users are listed by.
type SortKey int

// The orders users can be listed in. Created and Updated list newest first,
// Email lists alphabetically by normalised email.
const (
	ByCreated SortKey = iota
	ByUpdated
	ByEmail
)

func (k SortKey) String() string {
	switch k {
	case ByUpdated:
		return "updated"
	case ByEmail:
		return "email"
	default:
		return "created"
	}
}

// Cursor marks a position in a listing for keyset pagination: the sort key's
// value and the id of the user at that position.
type Cursor struct {
	Key string
	ID  string
}

// CursorOf returns the position of u in a listing sorted by k.
func CursorOf(u User, k SortKey) Cursor {
	switch k {
	case ByUpdated:
		return Cursor{Key: FormatTime(u.UpdatedAt), ID: u.ID}
	case ByEmail:
		return Cursor{Key: NormalizeEmail(u.Email), ID: u.ID}
	default:
		return Cursor{Key: FormatTime(u.CreatedAt), ID: u.ID}
	}
}

// ListOptions select, order and window a listing.
type ListOptions struct {
	Filter
	Sort SortKey
	// After, when set, starts the listing just past this position; with
	// Reverse it walks the other way (towards the start of the order), which is
	// how a window scrolls up. Results are always returned in walking order.
	After   *Cursor
	Reverse bool
	// Inclusive makes the listing start at After rather than just past it,
	// which is how a window is reloaded around the row it shows first.
	Inclusive bool
	Limit     int // 0 means no limit
	// WithHashes fills User.PasswordHash, which listings leave empty
	// unless an export asks for it.
	WithHashes bool
	// LinkedRoles reads each user's roles from user_roles, the source of
	// truth, rather than the copy listings show: for output that grants
	// roles elsewhere (an export another database imports).
	LinkedRoles bool
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	UserID string // only entries about this user, when set
	// Email, when set, keeps only the entries about the users that have
	// had this address, compared normalised (NormalizeEmail): the current
	// user with it and every user deleted with it (found by its delete
	// entry; all of a user's entries count, whatever email they record),
	// and entries that record it without naming a user.
	Email  string
	Search string // only entries whose action, actor, email or details contain it
	// BeforeID, when set, lists only entries older than the entry with this
	// id: the next page after an entry already shown.
	BeforeID int64
	// AfterID, when set, lists only entries newer than the entry with this
	// id; with OldestFirst, the page before an entry already shown.
	AfterID int64
	// OldestFirst lists the entries oldest first, so that Limit keeps the
	// oldest of them rather than the newest.
	OldestFirst bool
	Limit       int // 0 means no limit
}

// TimeLayout is how ctitui stores times: UTC, fixed width, millisecond
// precision, so that stored times sort as text.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t for storage. The zero time formats as "".
func FormatTime(t time.Time) string {
	var buf [len(TimeLayout)]byte
	return string(AppendTime(buf[:0], t))
}
