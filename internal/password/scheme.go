package password

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Scheme names the algorithm new password hashes are written with. A
// database stores its scheme (ctitui settings --password-hash); Verify
// accepts both whatever it is.
type Scheme string

// The schemes ctitui writes.
const (
	// SchemeArgon2id writes argon2id PHC strings with the Hasher's Params.
	SchemeArgon2id Scheme = "argon2id"
	// SchemeBcrypt writes $2b$ bcrypt hashes at the Hasher's BcryptCost,
	// for a database whose other programs (a passlib dashboard) verify
	// only bcrypt.
	SchemeBcrypt Scheme = "bcrypt"
)

// DefaultBcryptCost is the cost of the bcrypt hashes ctitui writes: passlib's
// and pyca/bcrypt's default, and OWASP's least for bcrypt. It takes about a
// quarter of a second on the machine ctitui was tuned on.
const DefaultBcryptCost = 12

// ParseScheme returns the Scheme s names, exactly "argon2id" or "bcrypt".
func ParseScheme(s string) (Scheme, error) {
	switch sc := Scheme(s); sc {
	case SchemeArgon2id, SchemeBcrypt:
		return sc, nil
	}
	return "", fmt.Errorf("password hash scheme must be argon2id or bcrypt, not %q", s)
}

// Check refuses a password that s cannot hash whole: under bcrypt, one of
// more than 72 bytes. bcrypt ignores every byte after the 72nd; truncating
// would let the rest of a password count for nothing, and pre-hashing it
// (passlib's bcrypt_sha256) would write hashes the platform's plain bcrypt
// cannot verify, the one reason to choose bcrypt. The error is a
// *PolicyError, as the policy's are: the user picks another password.
func (s Scheme) Check(plain string) error {
	if s == SchemeBcrypt && len(plain) > bcryptMaxPassword {
		return reject(fmt.Sprintf("password too long for this database's bcrypt hashes: %d bytes, at most %d (bcrypt ignores the rest)", len(plain), bcryptMaxPassword))
	}
	return nil
}

// WithBcryptCost returns a copy of h that writes bcrypt hashes at cost.
// Production uses DefaultBcryptCost (NewHasher's); tests pass a cheap one
// through package passwordtest. A cost outside MinBcryptCost..MaxBcryptCost
// makes HashScheme(SchemeBcrypt, …) fail with ErrInvalidParams.
func (h *Hasher) WithBcryptCost(cost int) *Hasher {
	c := *h
	c.bcryptCost = cost
	return &c
}

// BcryptCost returns the cost h writes bcrypt hashes at.
func (h *Hasher) BcryptCost() int {
	return h.bcryptCost
}

// HashScheme returns a new hash of plain in scheme s: Hash's argon2id, or a
// $2b$ bcrypt hash of plain's raw bytes (as passlib hashes them) at h's
// bcrypt cost. A password bcrypt cannot hash whole returns an error wrapping
// ErrBcryptTooLong (see Scheme.Check); check it first to tell the user.
func (h *Hasher) HashScheme(s Scheme, plain string) (string, error) {
	switch s {
	case SchemeArgon2id:
		return h.Hash(plain)
	case SchemeBcrypt:
	default:
		return "", fmt.Errorf("hash password: unknown scheme %q", s)
	}
	if h.bcryptCost < MinBcryptCost || h.bcryptCost > MaxBcryptCost {
		return "", fmt.Errorf("hash password: %w: bcrypt cost %d outside %d..%d", ErrInvalidParams, h.bcryptCost, MinBcryptCost, MaxBcryptCost)
	}
	if len(plain) > bcryptMaxPassword {
		return "", fmt.Errorf("hash password: %w", ErrBcryptTooLong)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(plain), h.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	// Go writes $2a$; passlib and pyca/bcrypt write $2b$, and so does
	// ctitui, so that its hashes look like the platform's. The two differ
	// only for passwords over 255 bytes (OpenBSD's length wrap), which
	// bcrypt never gets here; Go's compare re-emits whichever prefix it
	// reads.
	if len(b) < 4 || string(b[:4]) != "$2a$" {
		return "", errors.New("hash password: bcrypt wrote an unexpected prefix")
	}
	b[2] = 'b'
	return string(b), nil
}

// VerifyScheme is Verify for a database whose scheme is s: it reports
// whether plain matches encoded (either scheme verifies under either), and
// needsRehash as NeedsRehash decides.
func (h *Hasher) VerifyScheme(s Scheme, plain, encoded string) (ok bool, needsRehash bool, err error) {
	ok, _, err = h.Verify(plain, encoded)
	if err != nil || !ok {
		return false, false, err
	}
	return true, h.NeedsRehash(s, plain, encoded), nil
}

// NeedsRehash reports whether encoded, a hash plain has just verified
// against, is not what h writes in scheme s now, so that the caller should
// store h.HashScheme(s, plain). It computes no hash. Under argon2id that is
// Verify's rule: bcrypt, or argon2id with other parameters. Under bcrypt it
// is argon2id, or bcrypt below h's bcrypt cost; a bcrypt hash at or above
// it is kept whatever its prefix ($2a$, $2b$, $2y$ all verify in passlib),
// and so is an argon2id hash of a password bcrypt cannot hash whole.
func (h *Hasher) NeedsRehash(s Scheme, plain, encoded string) bool {
	if s != SchemeBcrypt {
		if IsBcrypt(encoded) {
			return true
		}
		phc, err := ParsePHC(encoded)
		return err == nil && phc.Params != h.params
	}
	if IsBcrypt(encoded) {
		cost, err := bcrypt.Cost([]byte(encoded))
		return err == nil && cost < h.bcryptCost
	}
	return IsArgon2id(encoded) && s.Check(plain) == nil
}
