package password

import "errors"

// ErrMalformedHash reports a stored hash that cannot be parsed, or whose
// parameters are out of the accepted bounds.
var ErrMalformedHash = errors.New("malformed password hash")

// ErrUnsupportedHash reports a stored hash of an algorithm this package does
// not verify (anything but argon2id and bcrypt $2a$, $2b$, $2y$).
var ErrUnsupportedHash = errors.New("unsupported password hash")

// ErrBcryptTooLong reports a password of more than 72 bytes checked against a
// bcrypt hash. bcrypt ignores everything after the 72nd byte; rather than
// silently truncating, Verify refuses.
var ErrBcryptTooLong = errors.New("password longer than 72 bytes cannot be checked against a bcrypt hash")

// ErrInvalidParams reports argon2id parameters outside the bounds that
// ParsePHC accepts; Hash refuses them so that every hash it writes can be
// verified later.
var ErrInvalidParams = errors.New("invalid argon2id parameters")

// ErrHashTooCostly reports a stored hash whose parameters (argon2id memory,
// time or parallelism, or bcrypt cost) exceed the limits Verify computes:
// see CheckStored.
var ErrHashTooCostly = errors.New("password hash too costly to verify")

// ErrPasswordTooLong reports a password of more than MaxPasswordBytes bytes
// given to Verify: longer than any password the policy accepts.
var ErrPasswordTooLong = errors.New("password too long")
