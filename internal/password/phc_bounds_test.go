package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

// TestParamsValidateSaltAndKeyLengths: Validate refuses what ParsePHC would
// refuse to read back, at each end of the salt and key lengths, so that a
// Hasher never makes a hash it cannot verify.
func TestParamsValidateSaltAndKeyLengths(t *testing.T) {
	tests := []struct {
		salt, key uint32
		ok        bool
	}{
		{8, 16, true},
		{64, 64, true},
		{7, 32, false},
		{65, 32, false},
		{16, 15, false},
		{16, 65, false},
	}
	for _, tt := range tests {
		p := password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: tt.salt, KeyLen: tt.key}
		err := p.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, password.ErrInvalidParams)) {
			t.Errorf("%+v.Validate() = %v; want ok %v", p, err, tt.ok)
		}
		encoded, err := password.NewHasher(p).Hash("correct horse battery staple")
		if !tt.ok {
			if !errors.Is(err, password.ErrInvalidParams) {
				t.Errorf("Hash with %+v = %q, %v; want %v", p, encoded, err, password.ErrInvalidParams)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Hash with %+v = %v", p, err)
		}
		if _, err := password.ParsePHC(encoded); err != nil {
			t.Errorf("ParsePHC of a hash made with %+v = %v; want nil", p, err)
		}
	}
}

// TestParsePHCRefusesLeadingZeros: a number has one spelling, so two
// strings of different text never carry the same parameters; "01" is as
// wrong as "019".
func TestParsePHCRefusesLeadingZeros(t *testing.T) {
	tail := "$" + salt16 + "$" + key32
	for _, in := range []string{
		"$argon2id$v=19$m=64,t=01,p=1" + tail,
		"$argon2id$v=19$m=64,t=1,p=01" + tail,
		"$argon2id$v=19$m=08,t=1,p=1" + tail,
		"$argon2id$v=19$m=064,t=1,p=1" + tail,
		"$argon2id$v=19$m=64,t=00,p=1" + tail,
	} {
		got, err := password.ParsePHC(in)
		if !errors.Is(err, password.ErrMalformedHash) || !strings.Contains(err.Error(), "leading zero") {
			t.Errorf("ParsePHC(%q) = %+v, %v; want %v for a leading zero", in, got.Params, err, password.ErrMalformedHash)
		}
	}
}

// TestParsePHCChecksTheLengthFirst: a string over maxPHCLen (512 bytes) is
// refused for its length before it is split or read, however it goes on;
// one of 512 bytes is read, and refused for what is wrong with it.
func TestParsePHCChecksTheLengthFirst(t *testing.T) {
	pre := "$argon2id$v=19$m=64,t=1,p=1$" + salt16 + "$"
	tests := []struct {
		in       string
		tooLong  bool
		whatElse string
	}{
		{pre + strings.Repeat("A", 512-len(pre)), false, "key must be"},
		{pre + strings.Repeat("A", 513-len(pre)), true, ""},
		{pre + strings.Repeat("$", 1<<20), true, ""},
		{"$argon2id$" + strings.Repeat("v=19$", 1<<18), true, ""},
	}
	for _, tt := range tests {
		_, err := password.ParsePHC(tt.in)
		if !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("ParsePHC(%d bytes) = %v; want %v", len(tt.in), err, password.ErrMalformedHash)
			continue
		}
		if got := strings.Contains(err.Error(), "longer than 512 bytes"); got != tt.tooLong {
			t.Errorf("ParsePHC(%d bytes) = %v; want refused for its length: %v", len(tt.in), err, tt.tooLong)
		}
		if tt.whatElse != "" && !strings.Contains(err.Error(), tt.whatElse) {
			t.Errorf("ParsePHC(%d bytes) = %v; want the reason %q", len(tt.in), err, tt.whatElse)
		}
	}
}
