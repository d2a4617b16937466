// Package password hashes, verifies and vets user passwords.
//
// New hashes are argon2id (golang.org/x/crypto/argon2) stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with unpadded standard base64 for the salt and key. Passwords are
// normalised to Unicode NFC before argon2id hashing and verification, so the
// same password typed on keyboards that produce composed or decomposed
// characters verifies either way.
//
// bcrypt hashes ($2a$, $2b$, $2y$) written by Python's bcrypt or passlib are
// verified on the raw password bytes. Verify reports them as needing a
// rehash to argon2id; a database whose scheme is bcrypt (see Scheme, used
// through HashScheme and VerifyScheme) writes $2b$ bcrypt at
// DefaultBcryptCost instead and keeps them, so that the platform sharing it
// can still verify every hash.
//
// Policy implements the NIST SP 800-63B-4 rules for choosing a password:
// a minimum and maximum length in code points, no composition rules, and a
// check against a list of common passwords.
//
// Hashing is deliberately slow (tens of milliseconds with DefaultParams):
// callers with an interactive loop must hash off their update path.
package password
