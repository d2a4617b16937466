package user

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/ctitui/ctitui/internal/password"
)

// ImportRecord is one user read from an import file.
type ImportRecord struct {
	Line  int    // where the record starts in the file, for error messages
	Err   error  // a problem the parser found; the record is invalid
	Given Field  // the set of fields the record gives a value for
	ID    string // kept when given, so that an export imports as the same users
	Email string
	Roles []string // role names as written; none means DefaultRole
	// At most one of Password (hashed on import) and HashedPassword (an
	// argon2id PHC or bcrypt string, or password.NoPassword, stored as it
	// is) is set.
	Password       string
	HashedPassword string
	CreatedAt      time.Time // zero means now
	UpdatedAt      time.Time // zero means CreatedAt
	DisabledAt     time.Time
	Disabled       bool // with FieldDisabled given: the record's disabled state
	LastLoginAt    time.Time
}

// Field is a set of the fields of an import record, one bit each.
type Field uint16

// The fields of an import record. A file gives a field when it has the
// column (CSV) or the key (JSON Lines) with a value that is not empty: an
// empty cell, "", null and [] give nothing, exactly as a missing column or
// key. A new user takes defaults for what is not given; an update
// (--on-conflict update) changes only what is given.
const (
	FieldID Field = 1 << iota
	FieldEmail
	FieldRoles
	FieldDisabled
	FieldDisabledAt
	FieldCreatedAt
	FieldUpdatedAt
	FieldLastLoginAt
	FieldHashedPassword
	FieldPassword
)

var fieldNames = []string{"id", "email", "roles", "disabled", "disabled_at", "created_at", "updated_at", "last_login_at", "hashed_password", "password"}

// FieldNamed returns the field with the column name name.
func FieldNamed(name string) (Field, bool) {
	for i, n := range fieldNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// String lists the column names of the fields in f, comma-separated.
func (f Field) String() string {
	var names []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// Has reports whether r gives every field in f.
func (r ImportRecord) Has(f Field) bool { return r.Given&f == f }

// ImportSource yields the records of an import, in file order, each time
// Records is called: an import reads them once to validate, once to hash
// plaintext passwords (when there are any) and once to write.
type ImportSource interface {
	Records(ctx context.Context, fn func(ImportRecord) error) error
}

// OnConflict says what an import does with a record whose email already
// belongs to a user.
type OnConflict int

// The conflict policies.
const (
	ConflictFail   OnConflict = iota // the record is invalid
	ConflictSkip                     // the existing user is left as it is
	ConflictUpdate                   // the existing user gets what the record gives: email spelling, roles, password, disabled state
)

// ImportOptions tune Service.Import.
type ImportOptions struct {
	OnConflict OnConflict
	// DryRun validates and reports what would happen, writing nothing.
	DryRun bool
	// SkipInvalid imports the valid records even when some are invalid;
	// without it one invalid record means nothing is written.
	SkipInvalid bool
	// HashProgress, when set, is called as plaintext passwords are hashed,
	// which is most of the time an import of them takes.
	HashProgress func(done, total int)
	// Progress, when set, is called as records are written.
	Progress func(done, total int)

	beforeHash func() // a test's hook; see export_test.go
}

// RowError is an invalid record.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap gives errors.Is and errors.As the record's error.
func (e RowError) Unwrap() error { return e.Err }

// ImportReport says what an import found and did. Skipped counts the
// records about existing users that were left as they are: by
// ConflictSkip, or because the record changes nothing.
type ImportReport struct {
	Read, Invalid, Added, Updated, Skipped int
	Errors                                 []RowError
}

// ErrInvalidRecords reports that an import wrote nothing because records
// were invalid; ImportReport.Errors lists them.
var ErrInvalidRecords = errors.New("import has invalid records; nothing was written")

// ErrInvalidID reports an id an import does not take.
var ErrInvalidID = errors.New("invalid id")

// errSourceChanged reports that the records differ between two readings.
var errSourceChanged = errors.New("the import file changed while it was read")

// maxIDLen bounds an imported id.
const maxIDLen = 128

// ValidateID checks an id given in an import: a UUID, an integer or
// another token of 1 to 128 ASCII letters, digits and . _ : -, starting
// with a letter or digit. Ids are shown, typed (ctitui user show takes an
// id where no email matches) and written to files: no spaces, quotes,
// control or invisible characters, nothing a spreadsheet or a command line
// reads as more than text (a leading - is an option), and no @, so that
// an id never looks like an email.
func ValidateID(id string) error {
	ok := id != "" && len(id) <= maxIDLen && isAlnum(id[0])
	for i := 1; ok && i < len(id); i++ {
		c := id[i]
		ok = isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w %q: want a UUID or 1 to %d letters, digits and . _ : -, starting with a letter or digit", ErrInvalidID, id, maxIDLen)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// plan is what validation decided for one record.
type plan uint8

const (
	planInvalid plan = iota
	planAdd
	planUpdate
	planSkip
)

// importRun is what one import learnt from validating its records.
type importRun struct {
	opts   ImportOptions
	plans  []plan // one per record, in file order
	plain  int    // records to write whose password is given in plaintext
	seed   maphash.Seed
	digest uint64 // of every record, to recognise the same file later
	admins adminTally
	// scheme is what new hashes are written in (see PasswordHashScheme):
	// validation refuses passwords it cannot hash whole, hashing uses it.
	scheme password.Scheme
}

// adminTally follows what an import does to the enabled admins: like a
// delete, disable or demotion by hand, an update must not remove the last
// one (see keepAnAdmin).
type adminTally struct {
	removed int      // enabled admins the import disables or demotes
	names   []string // the first few of them, to name
	added   int      // users the import makes enabled admins: added, promoted or enabled
}

// note counts what d does to the enabled admins.
func (a *adminTally) note(d decision) {
	was := d.plan == planUpdate && isEnabledAdmin(d.before)
	switch is := isEnabledAdmin(d.user); {
	case (d.plan != planAdd && d.plan != planUpdate) || was == is:
	case was:
		if a.removed++; a.removed <= namesShown {
			a.names = append(a.names, d.before.Email)
		}
	default:
		a.added++
	}
}

// keepsAnAdmin refuses an import that removes enabled admins and leaves
// none; enabled counts the enabled admins after it.
func (a *adminTally) keepsAnAdmin(enabled int) error {
	if a.removed == 0 || enabled > 0 {
		return nil
	}
	return fmt.Errorf("%w: the import disables or demotes %s and leaves no other; keep one an admin in the file, make another user an admin first ('ctitui user set-role EMAIL --role admin') or enable a disabled admin ('ctitui user enable EMAIL')",
		ErrLastAdmin, listSome(a.names, a.removed))
}

// Import adds the users of src (and with ConflictUpdate changes existing
// ones) in one transaction: after a crash or a cancelled context either all
// of it is written or none. It works in three passes over src:
//
//  1. validate every record (email, id, roles, password policy or hash
//     format, duplicates in the file, conflicts with existing users),
//     writing nothing; all invalid records are reported;
//  2. hash the plaintext passwords on all cores, holding no lock, so that
//     logins and edits go on meanwhile (a hash takes tens of milliseconds:
//     thousands of them take minutes);
//  3. write, in one short transaction that checks every record again
//     against the database as it is then: a user added meanwhile with a
//     file's email or id fails the import (or is skipped, or updated, as
//     the policy says) and nothing is half written.
//
// Between the passes the import holds one byte per record (its plan) and,
// from pass 2 to pass 3, the hashes: 128 bytes per plaintext password with
// the default parameters (a 97-byte PHC string, allocated as 112, and its
// 16-byte header), 640 kB for 5,000 users. A file of stored hashes holds
// none. If the records differ between passes (the file was edited), the
// import fails and writes nothing.
func (s *Service) Import(ctx context.Context, src ImportSource, opts ImportOptions) (ImportReport, error) {
	var rep ImportReport
	run := &importRun{opts: opts, seed: maphash.MakeSeed()}
	// Judged without recording it, as a dry run writes nothing; the
	// write below records it (hashScheme) before hashing.
	hs, err := s.PasswordHashScheme(ctx)
	if err != nil {
		return rep, err
	}
	run.scheme = hs.Scheme
	if err := s.validateImport(ctx, src, run, &rep); err != nil {
		return rep, err
	}
	if rep.Invalid > 0 && !opts.SkipInvalid {
		return rep, ErrInvalidRecords
	}
	// Refused before the hashing, and in a dry run too; the write checks
	// again in its transaction.
	if run.admins.removed > 0 {
		enabled, err := s.store.EnabledAdmins(ctx)
		if err != nil {
			return rep, err
		}
		if err := run.admins.keepsAnAdmin(enabled - run.admins.removed + run.admins.added); err != nil {
			return rep, err
		}
	}
	if opts.DryRun || rep.Added+rep.Updated == 0 {
		return rep, nil
	}
	if run.plain > 0 {
		sc, err := s.hashScheme(ctx)
		if err != nil {
			return rep, err
		}
		if sc != run.scheme {
			// An admin changed the setting since validation, which
			// checked passwords against the old scheme.
			return rep, fmt.Errorf("the password hash setting changed to %s during the import; run it again", sc)
		}
	}
	hashes, err := s.hashImport(ctx, src, run)
	if err != nil {
		return rep, err
	}
	written, err := s.writeImport(ctx, src, run, hashes)
	if err != nil {
		return rep, err
	}
	rep.Added, rep.Updated, rep.Skipped = written.Added, written.Updated, written.Skipped
	return rep, nil
}

// validateImport reads src once and decides each record's fate.
func (s *Service) validateImport(ctx context.Context, src ImportSource, run *importRun, rep *ImportReport) error {
	seen := map[string]int{}   // normalised email -> line
	seenID := map[string]int{} // id -> line
	var d maphash.Hash
	d.SetSeed(run.seed)
	now := s.stamp()
	err := src.Records(ctx, func(r ImportRecord) error {
		addDigest(&d, r)
		rep.Read++
		p, err := s.validateRecord(ctx, r, run.opts, run.scheme, seen, seenID, now, &run.admins)
		if err != nil {
			var rowErr RowError
			if !errors.As(err, &rowErr) {
				return err // the store failed, not the record
			}
			rep.Invalid++
			rep.Errors = append(rep.Errors, rowErr)
			p = planInvalid
		}
		switch p {
		case planAdd:
			rep.Added++
		case planUpdate:
			rep.Updated++
		case planSkip:
			rep.Skipped++
		}
		if (p == planAdd || p == planUpdate) && r.Has(FieldPassword) {
			run.plain++
		}
		run.plans = append(run.plans, p)
		return nil
	})
	run.digest = d.Sum64()
	return err
}

func (s *Service) validateRecord(ctx context.Context, r ImportRecord, opts ImportOptions, scheme password.Scheme, seen, seenID map[string]int, now time.Time, admins *adminTally) (plan, error) {
	if err := s.checkRecord(r, scheme); err != nil {
		return planInvalid, RowError{Line: r.Line, Err: err}
	}
	email, _ := ValidateEmail(r.Email)
	normalized := NormalizeEmail(email)
	if line, dup := seen[normalized]; dup {
		return planInvalid, RowError{Line: r.Line, Err: fmt.Errorf("%s is already on line %d", email, line)}
	}
	seen[normalized] = r.Line
	if r.Has(FieldID) {
		if line, dup := seenID[r.ID]; dup {
			return planInvalid, RowError{Line: r.Line, Err: fmt.Errorf("id %s is already on line %d", r.ID, line)}
		}
		seenID[r.ID] = r.Line
	}
	d, err := s.decide(ctx, s.store, r, "", opts, now)
	if err == nil && d.plan == planAdd {
		// A new user must not look like an existing one, nor like one an
		// earlier line of the file adds.
		err = s.checkImportLookAlike(ctx, r.Line, email, seen)
	}
	if err != nil {
		return planInvalid, err
	}
	admins.note(d)
	return d.plan, nil
}

// checkRecord checks what a record says on its own, without the database
// but for its hash scheme, which a password must fit (see Scheme.Check).
// Roles are checked by decide, which knows the roles a user already holds.
func (s *Service) checkRecord(r ImportRecord, scheme password.Scheme) error {
	email, err := checkIdentity(r)
	if err != nil {
		return err
	}
	switch {
	case r.Has(FieldPassword) && r.Has(FieldHashedPassword):
		return errors.New("give password or hashed_password, not both")
	case r.Has(FieldPassword):
		if err := s.policy.Check(r.Password, email); err != nil {
			return err
		}
		if err := scheme.Check(r.Password); err != nil {
			return err
		}
	case r.Has(FieldHashedPassword):
		if err := checkStoredHash(r.HashedPassword); err != nil {
			return err
		}
	}
	// A record without either (an export made without --include-hashes)
	// imports as an account with no password yet, which nothing verifies
	// against until 'ctitui user passwd' sets one.
	if r.Has(FieldUpdatedAt|FieldCreatedAt) && r.UpdatedAt.Before(r.CreatedAt) {
		return errors.New("updated_at is before created_at")
	}
	if r.Has(FieldDisabled|FieldDisabledAt) && !r.Disabled {
		return errors.New("disabled is false but disabled_at is set")
	}
	return nil
}

// checkIdentity checks what names the user of r: the parser's verdict, the
// email and the id. It returns the email as it is to be stored.
func checkIdentity(r ImportRecord) (string, error) {
	if r.Err != nil {
		return "", r.Err
	}
	email, err := ValidateEmail(r.Email)
	if err != nil {
		return "", err
	}
	if r.Has(FieldID) {
		if err := ValidateID(r.ID); err != nil {
			return "", err
		}
	}
	return email, nil
}

// decision is what to do with one record, given the users of the database.
type decision struct {
	plan    plan
	user    User     // the user to insert, or the existing user as changed
	changes []string // for an update: what it changes, for the audit entry
	before  User     // for an update: the existing user as it was
}

// decide checks r against the users f holds (the Store when validating,
// the write transaction when writing) and says what to do with it. hash is
// the hash of r's plaintext password, "" when validating (a plaintext
// password always counts as a change). r has passed checkRecord. Problems
// with the record are RowErrors; other errors are the store's.
func (s *Service) decide(ctx context.Context, f finder, r ImportRecord, hash string, opts ImportOptions, now time.Time) (decision, error) {
	invalid := func(err error) (decision, error) { return decision{}, RowError{Line: r.Line, Err: err} }
	email, err := checkIdentity(r)
	if err != nil {
		return invalid(err)
	}
	existing, err := f.UserByEmail(ctx, NormalizeEmail(email))
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return decision{}, err
	default:
		switch opts.OnConflict {
		case ConflictSkip:
			return decision{plan: planSkip}, nil
		case ConflictUpdate:
			if r.Has(FieldID) && r.ID != existing.ID {
				return invalid(fmt.Errorf("%s exists with another id (%s)", email, existing.ID))
			}
			u, changes, err := applyRecord(existing, r, email, hash, now)
			if err != nil {
				return invalid(err)
			}
			if len(changes) == 0 {
				return decision{plan: planSkip}, nil
			}
			return decision{plan: planUpdate, user: u, changes: changes, before: existing}, nil
		}
		return invalid(&ExistsError{Email: email})
	}
	if r.Has(FieldID) {
		if _, err := f.UserByID(ctx, r.ID); err == nil {
			return invalid(fmt.Errorf("id %s belongs to another user", r.ID))
		} else if !errors.Is(err, ErrNotFound) {
			return decision{}, err
		}
	}
	u, err := newImportedUser(r, email, hash, now)
	if err != nil {
		return invalid(err)
	}
	return decision{plan: planAdd, user: u}, nil
}

// newImportedUser is the user r adds: what r gives, defaults for the rest.
func newImportedUser(r ImportRecord, email, hash string, now time.Time) (User, error) {
	var roles []Role
	if r.Has(FieldRoles) {
		var err error
		if roles, err = assignable(roleList(r.Roles)); err != nil {
			return User{}, err
		}
	}
	if len(roles) == 0 {
		roles = []Role{DefaultRole}
	}
	created := now
	if r.Has(FieldCreatedAt) {
		created = r.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	updated := created
	if r.Has(FieldUpdatedAt) {
		updated = r.UpdatedAt.UTC().Truncate(time.Millisecond)
	}
	// Without an id in the record, ID stays empty: the write gives it one,
	// and validation does not use up the generator's ids.
	var id string
	if r.Has(FieldID) {
		id = r.ID
	}
	u := User{ID: id, Email: email, Roles: roles, PasswordHash: password.NoPassword, CreatedAt: created, UpdatedAt: updated}
	switch {
	case r.Has(FieldPassword):
		u.PasswordHash = hash
	case r.Has(FieldHashedPassword):
		u.PasswordHash = r.HashedPassword
	}
	if disabled, at := disabledState(r); disabled {
		u.DisabledAt = at
		if at.IsZero() {
			u.DisabledAt = now
		}
	}
	if r.Has(FieldLastLoginAt) {
		u.LastLoginAt = r.LastLoginAt.UTC().Truncate(time.Millisecond)
	}
	return u, nil
}

// disabledState is the disabled state r gives, when it gives one: disabled
// or not, and since when (zero when r does not say).
func disabledState(r ImportRecord) (disabled bool, at time.Time) {
	if r.Has(FieldDisabledAt) {
		at = r.DisabledAt.UTC().Truncate(time.Millisecond)
	}
	if r.Has(FieldDisabled) {
		return r.Disabled, at
	}
	return r.Has(FieldDisabledAt), at
}

// applyRecord changes u as r says, field by field, and names each change.
// Only the fields r gives change; the id and the times, which are history
// rather than settings, never do.
func applyRecord(u User, r ImportRecord, email, hash string, now time.Time) (User, []string, error) {
	var changes []string
	if email != u.Email {
		changes = append(changes, fmt.Sprintf("email %s -> %s", u.Email, email))
		u.Email = email
	}
	if r.Has(FieldRoles) {
		// A role the user already holds stays allowed even if ctitui cannot
		// assign it (one kept from an adopted database), as in SetRoles: a
		// re-imported export must not fail on it.
		var held, wanted []Role
		for _, name := range r.Roles {
			if slices.Contains(u.Roles, Role(name)) {
				held = append(held, Role(name))
			} else {
				wanted = append(wanted, Role(name))
			}
		}
		wanted, err := assignable(wanted)
		if err != nil {
			return u, nil, err
		}
		roles := SortRoles(slices.Compact(SortRoles(append(held, wanted...))))
		if !slices.Equal(roles, u.Roles) {
			changes = append(changes, fmt.Sprintf("roles %s -> %s", JoinRoles(u.Roles), JoinRoles(roles)))
			u.Roles = roles
		}
	}
	switch {
	case r.Has(FieldPassword):
		// The same password hashes differently each time: always a change.
		changes = append(changes, "password set")
		u.PasswordHash = hash
	case r.Has(FieldHashedPassword) && r.HashedPassword != u.PasswordHash:
		changes = append(changes, "password hash replaced")
		u.PasswordHash = r.HashedPassword
	}
	if r.Has(FieldDisabled) || r.Has(FieldDisabledAt) {
		disabled, at := disabledState(r)
		switch {
		case !disabled && u.Disabled():
			changes = append(changes, "enabled")
			u.DisabledAt = time.Time{}
		case disabled && !u.Disabled():
			if at.IsZero() {
				at = now
			}
			changes = append(changes, "disabled")
			u.DisabledAt = at
		case disabled && !at.IsZero() && !at.Equal(u.DisabledAt):
			changes = append(changes, fmt.Sprintf("disabled_at %s -> %s", FormatTime(u.DisabledAt), FormatTime(at)))
			u.DisabledAt = at
		}
	}
	if len(changes) > 0 {
		u.UpdatedAt = now
	}
	return u, changes, nil
}

// checkStoredHash accepts what ctitui can verify, an argon2id PHC string
// within bounds or a bcrypt hash, and password.NoPassword, which an export
// with hashes writes for a user without a password.
func checkStoredHash(h string) error {
	if h == password.NoPassword {
		return nil
	}
	if err := password.CheckStored(h); err != nil {
		return fmt.Errorf("hashed_password: %w", err)
	}
	return nil
}

func roleList(names []string) []Role {
	roles := make([]Role, 0, len(names))
	for _, n := range names {
		roles = append(roles, Role(n))
	}
	return roles
}

// addDigest adds r to d: every field, each with its length, so that two
// different sequences of records cannot give the same bytes.
func addDigest(d *maphash.Hash, r ImportRecord) {
	var b [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		d.Write(b[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		d.WriteString(s)
	}
	num(int64(r.Line))
	num(int64(r.Given))
	if r.Err != nil {
		str(r.Err.Error())
	} else {
		str("")
	}
	str(r.ID)
	str(r.Email)
	num(int64(len(r.Roles)))
	for _, role := range r.Roles {
		str(role)
	}
	str(r.Password)
	str(r.HashedPassword)
	for _, t := range []time.Time{r.CreatedAt, r.UpdatedAt, r.DisabledAt, r.LastLoginAt} {
		num(t.Unix())
		num(int64(t.Nanosecond()))
	}
	if r.Disabled {
		num(1)
	} else {
		num(0)
	}
}

// hashImport reads src again and hashes, on all cores, the plaintext
// passwords of the records to write, in file order. It holds no lock.
func (s *Service) hashImport(ctx context.Context, src ImportSource, run *importRun) ([]string, error) {
	if run.plain == 0 {
		return nil, nil
	}
	hashes := make([]string, run.plain)
	type job struct {
		k        int
		line     int
		password string
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 64)
	g.Go(func() error {
		defer close(jobs)
		var d maphash.Hash
		d.SetSeed(run.seed)
		i, k := 0, 0
		err := src.Records(ctx, func(r ImportRecord) error {
			addDigest(&d, r)
			if i >= len(run.plans) {
				return errSourceChanged
			}
			p := run.plans[i]
			i++
			if (p != planAdd && p != planUpdate) || !r.Has(FieldPassword) {
				return nil
			}
			if k >= len(hashes) {
				return errSourceChanged
			}
			select {
			case jobs <- job{k: k, line: r.Line, password: r.Password}:
				k++
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			return err
		}
		if i != len(run.plans) || k != len(hashes) || d.Sum64() != run.digest {
			return errSourceChanged
		}
		return nil
	})
	var (
		mu   sync.Mutex
		done int
	)
	for range runtime.GOMAXPROCS(0) {
		g.Go(func() error {
			for j := range jobs {
				if err := ctx.Err(); err != nil {
					return err
				}
				if run.opts.beforeHash != nil {
					run.opts.beforeHash()
				}
				h, err := s.hasher.HashScheme(run.scheme, j.password)
				if err != nil {
					return fmt.Errorf("line %d: hash password: %w", j.line, err)
				}
				hashes[j.k] = h
				if run.opts.HashProgress != nil {
					mu.Lock()
					done++
					run.opts.HashProgress(done, len(hashes))
					mu.Unlock()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return hashes, nil
}

// writeImport reads src a last time and writes, in one transaction, the
// records that validation meant to write, each decided again against the
// database as the transaction sees it.
func (s *Service) writeImport(ctx context.Context, src ImportSource, run *importRun, hashes []string) (ImportReport, error) {
	var rep ImportReport
	total := 0
	for _, p := range run.plans {
		if p == planAdd || p == planUpdate {
			total++
		}
	}
	err := s.store.WithBulkTx(ctx, func(tx Tx) error {
		rep = ImportReport{}
		var admins adminTally
		var d maphash.Hash
		d.SetSeed(run.seed)
		i, k, n := 0, 0, 0
		err := src.Records(ctx, func(r ImportRecord) error {
			addDigest(&d, r)
			if i >= len(run.plans) {
				return errSourceChanged
			}
			p := run.plans[i]
			i++
			switch p {
			case planSkip:
				rep.Skipped++
				return nil
			case planAdd, planUpdate:
			default:
				return nil
			}
			hash := ""
			if r.Has(FieldPassword) {
				if k >= len(hashes) {
					return errSourceChanged
				}
				hash = hashes[k]
				k++
			}
			if err := s.writeRecord(ctx, tx, r, hash, run.opts, &rep, &admins); err != nil {
				if ctx.Err() != nil {
					return ctx.Err() // cancelled: the record is not the story
				}
				return err
			}
			n++
			if run.opts.Progress != nil {
				run.opts.Progress(n, total)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if i != len(run.plans) || k != len(hashes) || d.Sum64() != run.digest {
			return errSourceChanged
		}
		if admins.removed > 0 {
			// Counted after the writes, in their transaction: exact, even
			// if admins changed while the import hashed. No user has the
			// empty id, so none is left out.
			enabled, err := tx.EnabledAdminsBesides(ctx, "")
			if err != nil {
				return err
			}
			return admins.keepsAnAdmin(enabled)
		}
		return nil
	})
	if errors.Is(err, errSourceChanged) {
		err = fmt.Errorf("import: %w", err)
	}
	return rep, err
}

// writeRecord decides r again inside the transaction, and writes it. The
// checks of the record on its own (password policy, hash format) are not
// repeated: the digest of the records, compared before the commit, proves
// that they are the records validation checked, and a difference rolls
// everything back.
func (s *Service) writeRecord(ctx context.Context, tx Tx, r ImportRecord, hash string, opts ImportOptions, rep *ImportReport, admins *adminTally) error {
	now := s.stamp()
	d, err := s.decide(ctx, tx, r, hash, opts, now)
	var rowErr RowError
	if errors.As(err, &rowErr) {
		return RowError{Line: r.Line, Err: fmt.Errorf("the database changed while the import ran: %w", rowErr.Err)}
	}
	if err != nil {
		return err
	}
	admins.note(d)
	switch d.plan {
	case planSkip:
		rep.Skipped++
		return nil
	case planUpdate:
		if err := tx.UpdateUser(ctx, d.user); err != nil {
			return recordError(r.Line, err)
		}
		rep.Updated++
		return tx.AppendAudit(ctx, s.audit(now, ActionImport, d.user, "updated by import: "+strings.Join(d.changes, "; ")))
	}
	if d.user.ID == "" {
		d.user.ID = s.newID()
	}
	if err := tx.InsertUser(ctx, d.user); err != nil {
		return recordError(r.Line, err)
	}
	rep.Added++
	return tx.AppendAudit(ctx, s.audit(now, ActionImport, d.user, "roles="+JoinRoles(d.user.Roles)))
}

// recordError puts the line of its record on an error that is about the
// record (a conflict, a role the database lacks); a failure of the store
// itself, such as a full disk, is the import's and stays as it is.
func recordError(line int, err error) error {
	var exists *ExistsError
	if errors.As(err, &exists) || errors.Is(err, ErrInvalidRole) || errors.Is(err, ErrNotFound) {
		return RowError{Line: line, Err: err}
	}
	return err
}

// SplitRoles splits a roles cell such as "admin,analyst" or "admin; viewer".
func SplitRoles(cell string) []string {
	fields := strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '|' || unicode.IsSpace(r) })
	return slices.DeleteFunc(fields, func(s string) bool { return s == "" })
}
