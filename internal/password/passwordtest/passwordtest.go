// Package passwordtest provides cheap argon2id parameters for tests, as
// net/http/httptest provides servers: one definition instead of a copy in
// every package that registers users in its tests.
//
// The parameters are for tests only. They cost a fraction of a millisecond
// to hash, far below what protects a real password; ctitui hashes with
// password.DefaultParams, and no code outside a _test.go file may import
// this package.
package passwordtest

import "github.com/ctitui/ctitui/internal/password"

// Params are argon2id parameters that keep tests fast: 64 KiB of memory and
// one pass, about a three-hundredth of password.DefaultParams' cost. Tests
// that need other parameters (a hash that is costly to verify, the cheapest
// argon2id allows, the defaults themselves) spell theirs out.
var Params = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// BcryptCost is the cost of the bcrypt hashes Hasher writes: bcrypt's
// least, 4, a 256th of password.DefaultBcryptCost's work.
const BcryptCost = 4

// Hasher returns a password.Hasher that hashes with Params, and bcrypt at
// BcryptCost.
func Hasher() *password.Hasher {
	return password.NewHasher(Params).WithBcryptCost(BcryptCost)
}
