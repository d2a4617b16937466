package password_test

import (
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
)

// BenchmarkVerifyCost times one failed Verify against stored hashes of the
// costs that matter for the limits and for the failure floor: bcrypt costs
// 10 to 14 (passlib's default is 12), the real argon2id defaults, and the
// corners of what the limits allow. The slowest must stay below
// user.DefaultFailureFloor with a margin for slower machines:
//
//	go test -run '^$' -bench VerifyCost -benchtime 5x -count 5 ./internal/password
func BenchmarkVerifyCost(b *testing.B) {
	const plain = "correct horse battery staple"
	for cost := 10; cost <= password.MaxBcryptCost; cost++ {
		b.Run(fmt.Sprintf("bcrypt/cost=%d", cost), func(b *testing.B) {
			encoded, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
			if err != nil {
				b.Fatal(err)
			}
			benchFailedVerify(b, string(encoded))
		})
	}
	for _, tt := range []struct {
		name    string
		m, t, p uint32
	}{
		{"argon2id/ctitui-default", 19456, 2, 1},
		{"argon2id/owasp-m=47104,t=1", 47104, 1, 1},
		{"argon2id/cheap-m=8,t=1", 8, 1, 1},
		{"argon2id/argon2-cffi-m=65536,t=3,p=4", 65536, 3, 4},
		{"argon2id/php-m=65536,t=4", 65536, 4, 1},
		{"argon2id/django-m=102400,t=2,p=8", 102400, 2, 8},
		// The limits' corners: the most work, on one lane (a busy
		// machine runs lanes one after another anyway) and on the most
		// lanes; the most passes; the most memory in one pass.
		{"argon2id/limit-m=262144,t=3,p=1", 262144, 3, 1},
		{"argon2id/limit-m=262144,t=3,p=16", 262144, 3, 16},
		{"argon2id/limit-m=24576,t=32,p=1", 24576, 32, 1},
		{"argon2id/limit-m=8,t=32,p=1", 8, 32, 1},
	} {
		b.Run(tt.name, func(b *testing.B) {
			p := password.Params{Memory: tt.m, Time: tt.t, Threads: uint8(tt.p), SaltLen: 16, KeyLen: 32}
			encoded, err := password.NewHasher(p).Hash(plain)
			if err != nil {
				b.Fatal(err)
			}
			benchFailedVerify(b, encoded)
		})
	}
	b.Run("refused/bcrypt-cost=15", func(b *testing.B) {
		encoded, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
		if err != nil {
			b.Fatal(err)
		}
		benchFailedVerify(b, "$2b$15"+string(encoded[6:]))
	})
}

func benchFailedVerify(b *testing.B, encoded string) {
	h := password.NewHasher(password.DefaultParams)
	for b.Loop() {
		if ok, _, _ := h.Verify("not the password", encoded); ok {
			b.Fatal("a wrong password verified")
		}
	}
}
