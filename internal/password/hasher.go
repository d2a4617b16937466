package password

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// bcryptMaxPassword is the number of password bytes bcrypt uses; it ignores
// the rest.
const bcryptMaxPassword = 72

// Hasher hashes and verifies passwords. The zero value is not usable; use
// NewHasher. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	// bcryptCost is the cost of the bcrypt hashes HashScheme writes.
	bcryptCost int
	// dummy is a PHC of h's parameters with a random salt and a random
	// key that no password derives; DummyVerify verifies against it.
	dummy PHC
}

// NewHasher returns a Hasher that hashes with p, and bcrypt (when a
// database's scheme asks for it) at DefaultBcryptCost. Production code uses
// DefaultParams; tests use the cheap ones of package passwordtest.
// Parameters outside the bounds of Params.Validate make Hash fail
// with ErrInvalidParams.
func NewHasher(p Params) *Hasher {
	h := &Hasher{params: p, bcryptCost: DefaultBcryptCost}
	if p.Validate() == nil {
		h.dummy = PHC{Params: p, Salt: make([]byte, p.SaltLen), Key: make([]byte, p.KeyLen)}
		// crypto/rand.Read never returns an error (it crashes the
		// program instead, since Go 1.24).
		rand.Read(h.dummy.Salt)
		rand.Read(h.dummy.Key)
	}
	return h
}

// Params returns the parameters h hashes with.
func (h *Hasher) Params() Params {
	return h.params
}

// Hash returns the argon2id PHC string of plain, normalised to NFC, with a
// fresh random salt:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// Hash does not apply a Policy; check the password first.
func (h *Hasher) Hash(plain string) (string, error) {
	if err := h.params.Validate(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read random salt: %w", err)
	}
	phc := PHC{Params: h.params, Salt: salt, Key: deriveKey(plain, salt, h.params)}
	return phc.String(), nil
}

// Verify reports whether plain matches encoded, an argon2id PHC string or a
// legacy bcrypt hash ($2a$, $2b$, $2y$). needsRehash is true when ok and the
// stored hash is bcrypt, or argon2id with parameters (including salt and key
// lengths) different from h's: the caller should then store h.Hash(plain).
//
// argon2id passwords are normalised to NFC. bcrypt passwords are compared
// as raw bytes, as Python wrote them; a password over 72 bytes returns
// ErrBcryptTooLong instead of being truncated. A password over
// MaxPasswordBytes returns ErrPasswordTooLong. A hash that cannot be parsed
// returns an error wrapping ErrMalformedHash; one beyond the cost limits
// returns one wrapping ErrHashTooCostly, without computing it; another
// algorithm returns one wrapping ErrUnsupportedHash. A wrong password is
// ok == false with a nil error.
//
// Every failure that computes no hash spends a DummyVerify instead, so that
// no kind of stored hash is much cheaper to fail against than another.
// (The caller's failure floor hides what remains.)
func (h *Hasher) Verify(plain, encoded string) (ok bool, needsRehash bool, err error) {
	ok, needsRehash, err = h.verify(plain, encoded)
	if err != nil {
		h.DummyVerify(plain)
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	return ok, needsRehash, nil
}

func (h *Hasher) verify(plain, encoded string) (ok bool, needsRehash bool, err error) {
	switch {
	case len(plain) > MaxPasswordBytes:
		return false, false, fmt.Errorf("%w: more than %d bytes", ErrPasswordTooLong, MaxPasswordBytes)
	case encoded == NoPassword:
		// Spend a verify's time: a quick refusal would tell an attacker
		// that this account exists without a password.
		h.DummyVerify(plain)
		return false, false, nil
	case IsArgon2id(encoded):
		phc, err := ParsePHC(encoded)
		if err != nil {
			return false, false, err
		}
		if !verifyArgon2id(plain, phc) {
			return false, false, nil
		}
		return true, phc.Params != h.params, nil
	case IsBcrypt(encoded):
		ok, err := verifyBcrypt(plain, encoded)
		if err != nil {
			return false, false, err
		}
		return ok, ok, nil
	default:
		return false, false, ErrUnsupportedHash
	}
}

// DummyVerify spends about the same time as Verify of a real argon2id hash
// with h's parameters, and matches nothing. Call it when the user is
// unknown, so that unknown users cost the same time as known ones and
// response time does not reveal which accounts exist. Only the first
// MaxPasswordBytes of plain are used. With parameters that Hash would
// refuse it returns at once.
func (h *Hasher) DummyVerify(plain string) {
	if h.dummy.Key == nil {
		return
	}
	plain = plain[:min(len(plain), MaxPasswordBytes)]
	// The dummy key is random, so this is false except with
	// probability 2^-128 or less; the result is deliberately unused.
	_ = verifyArgon2id(plain, h.dummy)
}

// deriveKey is argon2id of plain, normalised to NFC. Its memory is
// faulted in beforehand (see withArgon2Memory).
func deriveKey(plain string, salt []byte, p Params) []byte {
	return withArgon2Memory(uint64(p.Memory)<<10, func() []byte {
		return argon2.IDKey([]byte(norm.NFC.String(plain)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	})
}

// verifyArgon2id reports, in constant time over the key, whether plain
// derives phc.Key.
func verifyArgon2id(plain string, phc PHC) bool {
	key := deriveKey(plain, phc.Salt, phc.Params)
	return subtle.ConstantTimeCompare(key, phc.Key) == 1
}

// verifyBcrypt checks plain's raw bytes against a $2a$, $2b$ or $2y$ hash
// that checkBcrypt accepts.
// golang.org/x/crypto/bcrypt accepts all three prefixes as they are (it
// reads the minor version letter and re-emits it when comparing), so no
// rewriting of $2y$ is needed.
func verifyBcrypt(plain, encoded string) (bool, error) {
	if err := checkBcrypt(encoded); err != nil {
		return false, err
	}
	if len(plain) > bcryptMaxPassword {
		return false, ErrBcryptTooLong
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(plain)); {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: invalid bcrypt hash", ErrMalformedHash)
	}
}

// checkBcrypt reports whether encoded, which IsBcrypt, is a well-formed
// 60-character bcrypt hash of a cost within MinBcryptCost..MaxBcryptCost.
func checkBcrypt(encoded string) error {
	cost, err := bcrypt.Cost([]byte(encoded))
	switch {
	case err != nil || len(encoded) != 60 || cost < MinBcryptCost:
		return fmt.Errorf("%w: invalid bcrypt hash", ErrMalformedHash)
	case cost > MaxBcryptCost:
		return fmt.Errorf("%w: bcrypt cost %d above %d", ErrHashTooCostly, cost, MaxBcryptCost)
	}
	return nil
}

// NoPassword is stored for an account that has no password yet, such as one
// imported from an export made without hashes. No password verifies
// against it, as "!" in /etc/shadow; 'ctitui user passwd' sets one.
const NoPassword = "!"

// CheckStored reports whether encoded is a hash Verify will compute: an
// argon2id PHC string within bounds, or a well-formed bcrypt hash, in both
// cases within the cost limits (see Limits). An error wraps
// ErrHashTooCostly for a hash beyond the limits, ErrUnsupportedHash for
// another algorithm, and ErrMalformedHash for anything else. It is the one
// check behind an import accepting hashes made elsewhere, Verify refusing
// to compute, and doctor reporting stored hashes; NoPassword is not a hash
// and is refused as malformed.
func CheckStored(encoded string) error {
	if IsBcrypt(encoded) {
		return checkBcrypt(encoded)
	}
	_, err := ParsePHC(encoded)
	return err
}
