package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams are the OWASP parameters: m=19456 KiB, t=2, p=1, 16-byte
// salt, 32-byte key.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on the form of argon2id parameters, applied both to parameters we
// hash with and to PHC strings we parse. What a hash may cost to verify is
// bounded separately, by the limits in limits.go.
const (
	// argon2Version is the only argon2 version accepted: 0x13 (v=19).
	argon2Version = 19
	// memoryPerThread: argon2 needs at least 8 KiB per lane.
	memoryPerThread = 8
	minTime         = 1
	minThreads      = 1
	minSaltLen      = 8
	maxSaltLen      = 64
	minKeyLen       = 16
	maxKeyLen       = 64
	// maxPHCLen caps the whole encoded string. The longest valid string,
	// with a 64-byte salt and key and the largest parameters, is about
	// 210 bytes.
	maxPHCLen = 512
	// maxNumberDigits caps a decimal parameter before it is converted.
	maxNumberDigits = 10
)

const argon2idPrefix = "$argon2id$"

// Validate reports whether p is within the bounds that ParsePHC accepts:
// memory at least 8 KiB per thread, time and threads at least 1, salt 8..64
// bytes, key 16..64 bytes, and within the cost limits (MaxArgon2Memory,
// MaxArgon2Time, MaxArgon2Threads, MaxArgon2Work), so that every hash made
// with p can be verified. The error wraps ErrInvalidParams.
func (p Params) Validate() error {
	if err := p.check(); err != "" {
		return fmt.Errorf("%w: %s", ErrInvalidParams, err)
	}
	return nil
}

// check returns why p is out of bounds, or "" when it is within them.
func (p Params) check() string {
	if why := p.checkForm(); why != "" {
		return why
	}
	return costlyArgon2(uint64(p.Memory), uint64(p.Time), uint64(p.Threads))
}

// checkForm returns why p is not argon2id parameters at all (below argon2's
// minimums, or salt and key lengths outside the PHC bounds), or "".
func (p Params) checkForm() string {
	switch {
	case p.Threads < minThreads:
		return fmt.Sprintf("threads %d below %d", p.Threads, minThreads)
	case p.Memory < memoryPerThread*uint32(p.Threads):
		return fmt.Sprintf("memory %d KiB below %d for %d threads", p.Memory, memoryPerThread*uint32(p.Threads), p.Threads)
	case p.Time < minTime:
		return fmt.Sprintf("time %d below %d", p.Time, minTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Sprintf("salt length %d out of range %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Sprintf("key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return ""
}

// PHC is a parsed argon2id PHC string. Params.SaltLen and Params.KeyLen are
// the lengths of Salt and Key.
type PHC struct {
	Params Params
	Salt   []byte
	Key    []byte
}

// String encodes ph as an argon2id PHC string:
// $argon2id$v=19$m=<memory>,t=<time>,p=<threads>$<salt>$<key>, with salt
// and key in unpadded standard base64.
func (ph PHC) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, ph.Params.Memory, ph.Params.Time, ph.Params.Threads,
		base64.RawStdEncoding.EncodeToString(ph.Salt),
		base64.RawStdEncoding.EncodeToString(ph.Key))
}

// IsArgon2id reports whether s looks like an argon2id PHC string (it starts
// with "$argon2id$"). It does not validate the rest; ParsePHC does.
func IsArgon2id(s string) bool {
	return strings.HasPrefix(s, argon2idPrefix)
}

// IsBcrypt reports whether s looks like a bcrypt hash of a variant this
// package verifies: it starts with "$2a$", "$2b$" or "$2y$".
func IsBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// ParsePHC parses an argon2id PHC string of the form
//
//	$argon2id$v=19$m=<memory>,t=<time>,p=<threads>$<salt>$<key>
//
// in exactly that form: version 19 only, parameters in that order and
// without leading zeros, salt and key in canonical unpadded standard base64.
// Every bound (see Params.Validate) is checked, including the lengths of
// the base64 text of salt and key, before anything is decoded or allocated.
//
// A string for another argon2 variant (argon2i, argon2d) or another
// algorithm returns an error wrapping ErrUnsupportedHash; parameters above
// the cost limits return one wrapping ErrHashTooCostly; anything else that
// is wrong returns an error wrapping ErrMalformedHash. Errors never quote
// the salt or key.
func ParsePHC(s string) (PHC, error) {
	if len(s) > maxPHCLen {
		return PHC{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxPHCLen)
	}
	if !IsArgon2id(s) {
		if strings.HasPrefix(s, "$argon2i$") || strings.HasPrefix(s, "$argon2d$") {
			return PHC{}, fmt.Errorf("%w: argon2 variant other than argon2id", ErrUnsupportedHash)
		}
		return PHC{}, fmt.Errorf("%w: not an argon2id hash", ErrMalformedHash)
	}
	// After the prefix: "v=19", "m=..,t=..,p=..", salt, key.
	fields := strings.Split(s[len(argon2idPrefix):], "$")
	if len(fields) != 4 {
		return PHC{}, fmt.Errorf("%w: want 4 fields after the algorithm, got %d", ErrMalformedHash, len(fields))
	}
	version, ok := strings.CutPrefix(fields[0], "v=")
	if !ok {
		return PHC{}, fmt.Errorf("%w: missing version", ErrMalformedHash)
	}
	v, err := parseNumber(version)
	if err != nil {
		return PHC{}, fmt.Errorf("%w: version: %w", ErrMalformedHash, err)
	}
	if v != argon2Version {
		return PHC{}, fmt.Errorf("%w: version %d, want %d", ErrMalformedHash, v, argon2Version)
	}

	var p Params
	if p.Memory, p.Time, p.Threads, err = parseParams(fields[1]); err != nil {
		return PHC{}, err
	}
	saltText, keyText := fields[2], fields[3]
	// Check the encoded lengths before decoding: RawStdEncoding turns n
	// bytes into exactly EncodedLen(n) characters.
	if err := checkEncodedLen("salt", saltText, minSaltLen, maxSaltLen); err != nil {
		return PHC{}, err
	}
	if err := checkEncodedLen("key", keyText, minKeyLen, maxKeyLen); err != nil {
		return PHC{}, err
	}
	p.SaltLen = uint32(base64.RawStdEncoding.DecodedLen(len(saltText)))
	p.KeyLen = uint32(base64.RawStdEncoding.DecodedLen(len(keyText)))
	if why := p.checkForm(); why != "" {
		return PHC{}, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	salt, err := decodeBase64(saltText)
	if err != nil {
		return PHC{}, fmt.Errorf("%w: salt is not canonical unpadded base64", ErrMalformedHash)
	}
	key, err := decodeBase64(keyText)
	if err != nil {
		return PHC{}, fmt.Errorf("%w: key is not canonical unpadded base64", ErrMalformedHash)
	}
	return PHC{Params: p, Salt: salt, Key: key}, nil
}

// parseParams parses "m=<memory>,t=<time>,p=<threads>" and checks each value
// against argon2's minimums and the cost limits.
func parseParams(s string) (memory, time uint32, threads uint8, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, fmt.Errorf("%w: want parameters m,t,p, got %d parameters", ErrMalformedHash, len(parts))
	}
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		text, ok := strings.CutPrefix(parts[i], name)
		if !ok {
			return 0, 0, 0, fmt.Errorf("%w: parameter %d is not %s", ErrMalformedHash, i+1, name[:1])
		}
		if vals[i], err = parseNumber(text); err != nil {
			return 0, 0, 0, fmt.Errorf("%w: parameter %s: %w", ErrMalformedHash, name[:1], err)
		}
	}
	m, t, p := vals[0], vals[1], vals[2]
	switch {
	case p < minThreads:
		return 0, 0, 0, fmt.Errorf("%w: threads %d below %d", ErrMalformedHash, p, minThreads)
	case t < minTime:
		return 0, 0, 0, fmt.Errorf("%w: time %d below %d", ErrMalformedHash, t, minTime)
	}
	// The cost limits come before the memory minimum, whose product
	// could overflow for absurd thread counts.
	if why := costlyArgon2(m, t, p); why != "" {
		return 0, 0, 0, fmt.Errorf("%w: %s", ErrHashTooCostly, why)
	}
	if m < memoryPerThread*p {
		return 0, 0, 0, fmt.Errorf("%w: memory %d KiB below %d for %d threads", ErrMalformedHash, m, memoryPerThread*p, p)
	}
	return uint32(m), uint32(t), uint8(p), nil
}

// parseNumber parses a PHC decimal: ASCII digits only, no sign, no leading
// zero, at most maxNumberDigits digits.
func parseNumber(s string) (uint64, error) {
	switch {
	case s == "":
		return 0, fmt.Errorf("empty number")
	case len(s) > maxNumberDigits:
		return 0, fmt.Errorf("number longer than %d digits", maxNumberDigits)
	case len(s) > 1 && s[0] == '0':
		return 0, fmt.Errorf("number with a leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// checkEncodedLen checks that text is exactly as long as the unpadded base64
// encoding of some length in min..max bytes.
func checkEncodedLen(what, text string, min, max int) error {
	enc := base64.RawStdEncoding
	if len(text) < enc.EncodedLen(min) || len(text) > enc.EncodedLen(max) {
		return fmt.Errorf("%w: %s must be %d..%d bytes", ErrMalformedHash, what, min, max)
	}
	if enc.EncodedLen(enc.DecodedLen(len(text))) != len(text) {
		return fmt.Errorf("%w: %s has an impossible base64 length %d", ErrMalformedHash, what, len(text))
	}
	return nil
}

// decodeBase64 decodes canonical unpadded standard base64. It rejects what
// encoding/base64 would otherwise let through: embedded CR and LF (which
// the decoder skips) and non-zero trailing bits (via Strict).
func decodeBase64(text string) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(text)
	if err != nil {
		return nil, err
	}
	if base64.RawStdEncoding.EncodedLen(len(b)) != len(text) {
		return nil, fmt.Errorf("base64 text contains characters outside the alphabet")
	}
	return b, nil
}
