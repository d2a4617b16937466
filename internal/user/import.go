package user

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/ctitui/ctitui/internal/password"
)

// ImportRecord is one user read from an import file.
type ImportRecord struct {
	Line  int    // where the record starts in the file, for error messages
	Err   error  // a problem the parser found; the record is invalid
	ID    string // kept when given, so that an export imports as the same users
	Email string
	Roles []string // role names as written; none means DefaultRole
	// Exactly one of Password (hashed on import) and HashedPassword (an
	// argon2id PHC or bcrypt string, stored as it is) is set.
	Password       string
	HashedPassword string
	CreatedAt      time.Time // zero means now
	UpdatedAt      time.Time // zero means CreatedAt
	DisabledAt     time.Time
	Disabled       bool // disabled with no time given: disabled at import
	LastLoginAt    time.Time
}

// ImportSource yields the records of an import, in file order, each time
// Records is called: an import reads them once to validate and once to write.
type ImportSource interface {
	Records(ctx context.Context, fn func(ImportRecord) error) error
}

// OnConflict says what an import does with a record whose email (or id)
// already belongs to a user.
type OnConflict int

// The conflict policies.
const (
	ConflictFail   OnConflict = iota // the record is invalid
	ConflictSkip                     // the existing user is left as it is
	ConflictUpdate                   // the existing user gets the record's roles, password and state
)

// ImportOptions tune Service.Import.
type ImportOptions struct {
	OnConflict OnConflict
	// DryRun validates and reports what would happen, writing nothing.
	DryRun bool
	// SkipInvalid imports the valid records even when some are invalid;
	// without it one invalid record means nothing is written.
	SkipInvalid bool
	// Progress, when set, is called as records are written.
	Progress func(done, total int)
}

// RowError is an invalid record.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap gives errors.Is and errors.As the record's error.
func (e RowError) Unwrap() error { return e.Err }

// ImportReport says what an import found and did.
type ImportReport struct {
	Read, Invalid, Added, Updated, Skipped int
	Errors                                 []RowError
}

// ErrInvalidRecords reports that an import wrote nothing because records
// were invalid; ImportReport.Errors lists them.
var ErrInvalidRecords = errors.New("import has invalid records; nothing was written")

// plan is what validation decided for one record.
type plan int

const (
	planInvalid plan = iota
	planAdd
	planUpdate
	planSkip
)

// Import adds the users of src in one transaction: after a crash or a
// cancelled context either all of them are in or none is. Every record is
// validated before anything is written (email, roles, password policy or
// hash format, duplicates in the file, conflicts with existing users), and
// all invalid records are reported. Plaintext passwords are hashed on all
// cores while the writer inserts.
func (s *Service) Import(ctx context.Context, src ImportSource, opts ImportOptions) (ImportReport, error) {
	var rep ImportReport
	plans, err := s.validateImport(ctx, src, opts, &rep)
	if err != nil {
		return rep, err
	}
	if rep.Invalid > 0 && !opts.SkipInvalid {
		return rep, ErrInvalidRecords
	}
	if opts.DryRun {
		return rep, nil
	}
	total := rep.Added + rep.Updated
	if total == 0 {
		return rep, nil
	}
	return rep, s.writeImport(ctx, src, plans, total, opts)
}

// validateImport reads src once and decides each record's fate.
func (s *Service) validateImport(ctx context.Context, src ImportSource, opts ImportOptions, rep *ImportReport) ([]plan, error) {
	var plans []plan
	seen := map[string]int{}   // normalised email -> line
	seenID := map[string]int{} // id -> line
	err := src.Records(ctx, func(r ImportRecord) error {
		rep.Read++
		p, err := s.validateRecord(ctx, r, opts, seen, seenID)
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
		plans = append(plans, p)
		return nil
	})
	return plans, err
}

func (s *Service) validateRecord(ctx context.Context, r ImportRecord, opts ImportOptions, seen, seenID map[string]int) (plan, error) {
	invalid := func(err error) (plan, error) { return planInvalid, RowError{Line: r.Line, Err: err} }
	if r.Err != nil {
		return invalid(r.Err)
	}
	email, err := ValidateEmail(r.Email)
	if err != nil {
		return invalid(err)
	}
	normalized := NormalizeEmail(email)
	if line, dup := seen[normalized]; dup {
		return invalid(fmt.Errorf("%s is already on line %d", email, line))
	}
	seen[normalized] = r.Line
	if r.ID != "" {
		if line, dup := seenID[r.ID]; dup {
			return invalid(fmt.Errorf("id %s is already on line %d", r.ID, line))
		}
		seenID[r.ID] = r.Line
	}
	if _, err := assignable(roleList(r.Roles)); err != nil {
		return invalid(err)
	}
	switch {
	case r.Password != "" && r.HashedPassword != "":
		return invalid(errors.New("give password or hashed_password, not both"))
	case r.Password != "":
		if err := s.policy.Check(r.Password, email); err != nil {
			return invalid(err)
		}
	case r.HashedPassword != "":
		if err := checkStoredHash(r.HashedPassword); err != nil {
			return invalid(err)
		}
	}
	// A record without either (an export made without --include-hashes)
	// imports as an account with no password yet, which nothing verifies
	// against until 'ctitui user passwd' sets one.
	if !r.UpdatedAt.IsZero() && r.UpdatedAt.Before(r.CreatedAt) {
		return invalid(errors.New("updated_at is before created_at"))
	}
	existing, err := s.store.UserByEmail(ctx, normalized)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return planInvalid, err
	default:
		switch opts.OnConflict {
		case ConflictSkip:
			return planSkip, nil
		case ConflictUpdate:
			if r.ID != "" && r.ID != existing.ID {
				return invalid(fmt.Errorf("%s exists with another id (%s)", email, existing.ID))
			}
			return planUpdate, nil
		}
		return invalid(&ExistsError{Email: email})
	}
	if r.ID != "" {
		if _, err := s.store.UserByID(ctx, r.ID); err == nil {
			return invalid(fmt.Errorf("id %s belongs to another user", r.ID))
		} else if !errors.Is(err, ErrNotFound) {
			return planInvalid, err
		}
	}
	if err := s.checkImportLookAlike(ctx, r.Line, email, seen); err != nil {
		return planInvalid, err
	}
	return planAdd, nil
}

// recheck repeats the checks of a record that do not need the database.
func (s *Service) recheck(r ImportRecord) error {
	if r.Err != nil {
		return r.Err
	}
	email, err := ValidateEmail(r.Email)
	if err != nil {
		return err
	}
	switch {
	case r.Password != "" && r.HashedPassword != "":
		return errors.New("give password or hashed_password, not both")
	case r.Password != "":
		return s.policy.Check(r.Password, email)
	case r.HashedPassword != "":
		return checkStoredHash(r.HashedPassword)
	}
	return nil
}

// checkStoredHash accepts what ctitui can verify: an argon2id PHC string
// within bounds, or a bcrypt hash.
func checkStoredHash(h string) error {
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

// prepared is a record ready to write: hashed, with its plan.
type prepared struct {
	rec  ImportRecord
	plan plan
	hash string
}

// writeImport reads src again and writes the records that validation
// accepted, in one transaction, hashing plaintext passwords on all cores
// meanwhile.
func (s *Service) writeImport(ctx context.Context, src ImportSource, plans []plan, total int, opts ImportOptions) error {
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan prepared, 256)
	done := make(chan prepared, 256)
	g.Go(func() error {
		defer close(jobs)
		i := 0
		return src.Records(ctx, func(r ImportRecord) error {
			if i >= len(plans) {
				return errors.New("import file changed while it was read")
			}
			p := plans[i]
			i++
			if p != planAdd && p != planUpdate {
				return nil
			}
			select {
			case jobs <- prepared{rec: r, plan: p}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	workers := runtime.GOMAXPROCS(0)
	var hashers errgroup.Group
	for range workers {
		hashers.Go(func() error {
			for p := range jobs {
				p.hash = p.rec.HashedPassword
				if p.hash == "" && p.rec.Password == "" {
					p.hash = password.NoPassword
				}
				if p.rec.Password != "" {
					h, err := s.hasher.Hash(p.rec.Password)
					if err != nil {
						return fmt.Errorf("line %d: hash password: %w", p.rec.Line, err)
					}
					p.hash = h
				}
				select {
				case done <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := hashers.Wait()
		close(done)
		return err
	})
	g.Go(func() error {
		return s.store.WithBulkTx(ctx, func(tx Tx) error {
			n := 0
			for p := range done {
				if err := s.writeRecord(ctx, tx, p); err != nil {
					if ctx.Err() != nil {
						return ctx.Err() // cancelled: the record is not the story
					}
					return err
				}
				n++
				if opts.Progress != nil {
					opts.Progress(n, total)
				}
			}
			if err := ctx.Err(); err != nil {
				return err // the pipeline stopped early: write nothing
			}
			if n != total {
				return fmt.Errorf("import: wrote %d of %d records", n, total)
			}
			return nil
		})
	})
	return g.Wait()
}

func (s *Service) writeRecord(ctx context.Context, tx Tx, p prepared) error {
	r := p.rec
	now := s.stamp()
	// The file was read again for this pass: check again what validation
	// checked, so that an edit in between cannot slip a password past the
	// policy or a hash past its check.
	if err := s.recheck(r); err != nil {
		return RowError{Line: r.Line, Err: fmt.Errorf("changed since it was checked: %w", err)}
	}
	roles, err := assignable(roleList(r.Roles))
	if err != nil {
		return RowError{Line: r.Line, Err: err}
	}
	if len(roles) == 0 {
		roles = []Role{DefaultRole}
	}
	email, _ := ValidateEmail(r.Email)
	disabledAt := r.DisabledAt
	if r.Disabled && disabledAt.IsZero() {
		disabledAt = now
	}
	if p.plan == planUpdate {
		u, err := tx.UserByEmail(ctx, NormalizeEmail(email))
		if err != nil {
			return RowError{Line: r.Line, Err: err}
		}
		before := JoinRoles(u.Roles)
		u.Roles, u.PasswordHash, u.DisabledAt, u.UpdatedAt = roles, p.hash, disabledAt, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return RowError{Line: r.Line, Err: err}
		}
		return tx.AppendAudit(ctx, s.audit(now, ActionImport, u, fmt.Sprintf("updated by import: roles %s -> %s", before, JoinRoles(roles))))
	}
	created := r.CreatedAt
	if created.IsZero() {
		created = now
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	id := r.ID
	if id == "" {
		id = s.newID()
	}
	u := User{ID: id, Email: email, Roles: roles, PasswordHash: p.hash,
		CreatedAt: created.UTC().Truncate(time.Millisecond), UpdatedAt: updated.UTC().Truncate(time.Millisecond),
		DisabledAt: disabledAt, LastLoginAt: r.LastLoginAt}
	if err := tx.InsertUser(ctx, u); err != nil {
		return RowError{Line: r.Line, Err: err}
	}
	return tx.AppendAudit(ctx, s.audit(now, ActionImport, u, "roles="+JoinRoles(roles)))
}

// SplitRoles splits a roles cell such as "admin,analyst" or "admin; viewer".
func SplitRoles(cell string) []string {
	fields := strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '|' || unicode.IsSpace(r) })
	return slices.DeleteFunc(fields, func(s string) bool { return s == "" })
}
