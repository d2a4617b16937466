package password

import (
	"crypto/rand"
	"fmt"
)

// generateAlphabet has no characters that are easily confused when read or
// typed: no 0/O/o, 1/l/I/i. 55 symbols, about 5.78 bits each.
const generateAlphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// GenerateLength is the length of passwords from GenerateFor, unless the
// policy asks for more: 24 symbols from an alphabet of 55 letters and digits
// carry about 138 bits of entropy.
const GenerateLength = 24

// generateAttempts bounds the retries of GenerateFor. A random password
// fails the policy with probability well under 1%, so running out means the
// policy or email can never be satisfied.
const generateAttempts = 100

// GenerateFor returns a strong random password from crypto/rand that passes
// p.Check for email: GenerateLength characters from an unambiguous alphabet
// of letters and digits (about 138 bits), or more if p requires more. A
// random draw fails the policy only by rare chance (containing the email's
// local part, say); it is then drawn again.
func GenerateFor(p Policy, email string) (string, error) {
	n := max(GenerateLength, p.minLength())
	for range generateAttempts {
		s, err := randomString(n)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		if p.Check(s, email) == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("generate password: no password of %d characters passes the policy after %d attempts", n, generateAttempts)
}

// randomString returns n symbols of generateAlphabet drawn uniformly with
// crypto/rand, by rejection sampling random bytes.
func randomString(n int) (string, error) {
	const size = len(generateAlphabet)
	// Bytes at or above limit would bias the modulo; skip them.
	const limit = 256 - 256%size
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, generateAlphabet[int(b)%size])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}
