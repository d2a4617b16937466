package user

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/spoof"
)

// ErrLookAlike reports an address that a person could not tell from an
// existing user's.
var ErrLookAlike = errors.New("looks like an existing user")

// LookAlikeError reports that Email would look like Existing, a user's
// address, in a list or a log. It matches ErrLookAlike and ErrInvalidEmail
// with errors.Is, and names the characters that tell the two apart.
type LookAlikeError struct {
	Email    string // the address refused
	Existing string // the address it looks like
	// Where says where Existing is when it is not in the database, such as
	// "on line 3" of an import file.
	Where string
}

func (e *LookAlikeError) Error() string {
	what := "existing user " + e.Existing
	if e.Where != "" {
		what = e.Existing + " " + e.Where
	}
	msg := fmt.Sprintf("%s looks like %s", e.Email, what)
	if diff := spoof.Differences(e.Email, e.Existing, 4); len(diff) > 0 {
		msg += " (they differ in " + strings.Join(diff, ", ") + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrLookAlike) and errors.Is(err, ErrInvalidEmail)
// true: the address is refused as it stands.
func (e *LookAlikeError) Is(target error) bool {
	return target == ErrLookAlike || target == ErrInvalidEmail
}

// EmailSkeleton returns the key under which addresses that look alike meet:
// the UTS #39 confusable skeleton of the address's normalised form
// (NormalizeEmail: IDNA-mapped domain, case-folded) after NFKC, folded again
// (the confusables table maps "0" to "O"). Two addresses with the same
// skeleton and different normalised forms are two users a person could
// mistake for each other: "аdmin@example.org" (Cyrillic а) and
// "admin@example.org", "rn@x.org" and "m@x.org", "ADMIN@example.org" and
// "АDMIN@example.org".
//
// Case is folded before the skeleton is taken because an address is one
// user whatever its case: "АDMIN" (Cyrillic А) must meet "admin". The price
// is that confusions only between capitals ("I" and "l") are not caught.
// NFKC maps fullwidth and other compatibility forms, which the table leaves
// alone, so legacy rows that hold them meet their plain twins too.
func EmailSkeleton(email string) string {
	s := norm.NFKC.String(NormalizeEmail(email))
	s = spoof.Skeleton(foldCase(s))
	return norm.NFD.String(foldCase(s))
}

// checkLookAlike refuses email (valid, normalised to normalized) when it
// looks like an existing user's address. The store does the same check again
// inside the transaction that inserts the user; this one saves a password
// hash on the likely case.
func (s *Service) checkLookAlike(ctx context.Context, email, normalized string) error {
	other, err := s.store.UserLookingLike(ctx, EmailSkeleton(email), normalized)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	return &LookAlikeError{Email: email, Existing: other.Email}
}

// namedLookAlike returns refused, the reason ValidateEmail refused typed,
// unless typed was refused for what makes an address look like another one
// and does look like an existing user's: then it names that user, which says
// more ("аdmin@example.org looks like existing user admin@example.org" rather
// than "mixes scripts").
func (s *Service) namedLookAlike(ctx context.Context, typed string, refused error) error {
	var e *emailError
	if !errors.As(refused, &e) || !e.spoof {
		return refused
	}
	typed = strings.TrimSpace(typed)
	other, err := s.store.UserLookingLike(ctx, EmailSkeleton(typed), NormalizeEmail(typed))
	if err != nil {
		return refused
	}
	return &LookAlikeError{Email: typed, Existing: other.Email}
}

// lookAlikeKey is the prefix under which checkImportLookAlike keeps skeletons
// in the map of normalised emails that validateImport passes around: no
// normalised email starts with NUL, as ValidateEmail refuses control
// characters.
const lookAlikeKey = "\x00skeleton\x00"

// checkImportLookAlike refuses the address of the record on line that would
// add a user looking like an existing one, or like the address of an earlier
// record of the same file (in seen, by line), with a RowError; it records the
// skeleton in seen. Any other error is the store's.
func (s *Service) checkImportLookAlike(ctx context.Context, line int, email string, seen map[string]int) error {
	skeleton := EmailSkeleton(email)
	if first, dup := seen[lookAlikeKey+skeleton]; dup {
		return RowError{Line: line, Err: &LookAlikeError{Email: email, Existing: seenEmail(seen, first), Where: fmt.Sprintf("on line %d", first)}}
	}
	seen[lookAlikeKey+skeleton] = line
	err := s.checkLookAlike(ctx, email, NormalizeEmail(email))
	if errors.Is(err, ErrLookAlike) {
		return RowError{Line: line, Err: err}
	}
	return err
}

// seenEmail finds the normalised email recorded for line in seen.
func seenEmail(seen map[string]int, line int) string {
	for k, l := range seen {
		if l == line && !strings.HasPrefix(k, lookAlikeKey) {
			return k
		}
	}
	return fmt.Sprintf("the address on line %d", line)
}
