package user

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctitui/ctitui/internal/password"
)

// HashScheme is the scheme of new password hashes in force on a database,
// and where it comes from.
type HashScheme struct {
	Scheme password.Scheme
	// Stored is true when the database holds the setting (an admin chose
	// it, or ctitui recorded its judgement at its first write that needed
	// it); false when it was judged from the stored hashes just now.
	Stored bool
}

// errStopScan stops judgeHashScheme's scan at the first hash that settles
// the question.
var errStopScan = errors.New("stop scanning")

// PasswordHashScheme returns the scheme ctitui writes new password hashes
// in: the database's setting, or, when it holds none (or a value ctitui does
// not know, set by another program), the default: argon2id, except on a
// database whose stored hashes are all bcrypt, with at least one, which
// keeps bcrypt so that the platform sharing it can still verify them.
//
// The judgement is made once: the first write that needs the scheme
// (a login, register, passwd, import) records it (see recordHashScheme), so
// logins read one setting rather than scan every hash. Until then a reader
// such as 'ctitui settings' scans, stopping at the first hash that is not
// bcrypt.
func (s *Service) PasswordHashScheme(ctx context.Context) (HashScheme, error) {
	value, err := s.store.PasswordHashSetting(ctx)
	if err != nil {
		return HashScheme{}, err
	}
	if sc, err := password.ParseScheme(value); err == nil {
		return HashScheme{Scheme: sc, Stored: true}, nil
	}
	sc, err := s.judgeHashScheme(ctx)
	return HashScheme{Scheme: sc}, err
}

// judgeHashScheme is the default of a database without the setting: bcrypt
// when every stored hash is bcrypt and there is at least one, argon2id
// otherwise. NoPassword (an account without a password) is no hash and does
// not count either way.
func (s *Service) judgeHashScheme(ctx context.Context) (password.Scheme, error) {
	bcrypts, others := 0, 0
	err := s.store.EachPasswordHash(ctx, func(_, hash string) error {
		switch {
		case hash == password.NoPassword:
		case password.IsBcrypt(hash):
			bcrypts++
		default:
			others++
			return errStopScan
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return "", fmt.Errorf("judge password hash scheme: %w", err)
	}
	if bcrypts > 0 && others == 0 {
		return password.SchemeBcrypt, nil
	}
	return password.SchemeArgon2id, nil
}

// hashScheme is PasswordHashScheme for a write that hashes or rehashes a
// password: a judged scheme is recorded first, so that it is judged once
// and later writes (by this or another ctitui) agree with this one. The
// recording is not audited: it changes nothing ctitui does, and 'ctitui
// settings' shows it; an admin's change is audited (SetPasswordHashScheme).
func (s *Service) hashScheme(ctx context.Context) (password.Scheme, error) {
	hs, err := s.PasswordHashScheme(ctx)
	if err != nil || hs.Stored {
		return hs.Scheme, err
	}
	err = s.store.WithTx(ctx, func(tx Tx) error {
		value, err := tx.PasswordHashSetting(ctx)
		if err != nil {
			return err
		}
		if sc, err := password.ParseScheme(value); err == nil {
			// Another ctitui recorded it, or an admin chose it,
			// meanwhile: theirs stands.
			hs.Scheme = sc
			return nil
		}
		return tx.SetPasswordHashSetting(ctx, hs.Scheme, s.stamp())
	})
	if err != nil {
		return "", fmt.Errorf("record password hash scheme: %w", err)
	}
	return hs.Scheme, nil
}

// SetPasswordHashScheme stores sc as the scheme of new password hashes,
// recorded in the audit log. Choosing argon2id on a bcrypt database is the
// admin's opt-in: bcrypt hashes are then rewritten to argon2id at each
// user's next login. Choosing bcrypt rewrites argon2id hashes to bcrypt at
// login instead (see password.Hasher.NeedsRehash), so that the platform can
// verify them.
func (s *Service) SetPasswordHashScheme(ctx context.Context, sc password.Scheme) error {
	if _, err := password.ParseScheme(string(sc)); err != nil {
		return err
	}
	// Judged outside the transaction: the scan must not hold the write
	// lock. The audit entry says what applied before.
	old, err := s.PasswordHashScheme(ctx)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(tx Tx) error {
		value, err := tx.PasswordHashSetting(ctx)
		if err != nil {
			return err
		}
		before := old.Scheme
		if stored, err := password.ParseScheme(value); err == nil {
			before = stored
			if stored == sc {
				return nil
			}
		}
		now := s.stamp()
		if err := tx.SetPasswordHashSetting(ctx, sc, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, AuditEntry{At: now, Actor: s.actor, Action: ActionSettings,
			Details: fmt.Sprintf("password hash %s -> %s", before, sc)})
	})
}
