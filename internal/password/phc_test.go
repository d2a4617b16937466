package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
)

// Parts of a valid PHC string: a 16-byte salt and a 32-byte key.
const (
	salt16 = "c2FsdHlzYWx0eXNhbHQxNg"
	key32  = "kbCOvSnXHmtp8381KS6TWRK2PAhNk5rHXBGG9YpX0YM"
	valid  = "$argon2id$v=19$m=64,t=1,p=1$" + salt16 + "$" + key32
)

func TestParsePHC(t *testing.T) {
	p, err := password.ParsePHC(valid)
	if err != nil {
		t.Fatalf("ParsePHC(%q) error: %v", valid, err)
	}
	want := password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	if p.Params != want || string(p.Salt) != "saltysaltysalt16" || len(p.Key) != 32 {
		t.Errorf("ParsePHC(%q) = %+v; want params %+v, salt %q, 32-byte key", valid, p, want, "saltysaltysalt16")
	}
	if got := p.String(); got != valid {
		t.Errorf("ParsePHC(%q).String() = %q; want the input", valid, got)
	}
}

func TestParsePHCBounds(t *testing.T) {
	salt8 := "c29tZXNhbHQ"                 // 8 bytes, the minimum
	salt64 := strings.Repeat("A", 86)      // 64 bytes, the maximum
	key16 := "AAAAAAAAAAAAAAAAAAAAAA"      // 16 bytes, the minimum
	key64 := strings.Repeat("B", 85) + "A" // 64 bytes, the maximum
	tests := []struct {
		in   string
		want password.Params
	}{
		{"$argon2id$v=19$m=8,t=1,p=1$" + salt8 + "$" + key16, password.Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 16}},
		{"$argon2id$v=19$m=262144,t=3,p=16$" + salt64 + "$" + key64, password.Params{Memory: 256 << 10, Time: 3, Threads: 16, SaltLen: 64, KeyLen: 64}},
		{"$argon2id$v=19$m=24576,t=32,p=16$" + salt16 + "$" + key32, password.Params{Memory: 24576, Time: 32, Threads: 16, SaltLen: 16, KeyLen: 32}},
		{"$argon2id$v=19$m=128,t=3,p=16$" + salt16 + "$" + key32, password.Params{Memory: 128, Time: 3, Threads: 16, SaltLen: 16, KeyLen: 32}},
	}
	for _, tt := range tests {
		p, err := password.ParsePHC(tt.in)
		if err != nil || p.Params != tt.want {
			t.Errorf("ParsePHC(%q) = %+v, %v; want %+v, nil", tt.in, p.Params, err, tt.want)
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

func TestParsePHCErrors(t *testing.T) {
	const pre = "$argon2id$v=19$"
	tail := "$" + salt16 + "$" + key32
	tests := []struct {
		in   string
		want error
	}{
		{"", password.ErrMalformedHash},
		{"$", password.ErrMalformedHash},
		{"$argon2id$", password.ErrMalformedHash},
		{"$argon2id$v=19", password.ErrMalformedHash},
		{"argon2id$v=19$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2i$v=19$m=64,t=1,p=1" + tail, password.ErrUnsupportedHash},
		{"$argon2d$v=19$m=64,t=1,p=1" + tail, password.ErrUnsupportedHash},
		{"$ARGON2ID$v=19$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", password.ErrMalformedHash},
		// Version.
		{"$argon2id$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2id$v=16$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2id$v=20$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2id$v=019$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2id$v=$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		{"$argon2id$v=99999999999999999999$m=64,t=1,p=1" + tail, password.ErrMalformedHash},
		// Parameters out of bounds: below argon2's minimums is malformed,
		// above the cost limits too costly.
		{pre + "m=7,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=0,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=15,t=1,p=2" + tail, password.ErrMalformedHash},
		{pre + "m=127,t=1,p=16" + tail, password.ErrMalformedHash},
		{pre + "m=262145,t=1,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=262144,t=4,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=64,t=33,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=1024,t=1,p=17" + tail, password.ErrHashTooCostly},
		{pre + "m=2097153,t=1,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=4294967295,t=1,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=4294967296,t=1,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=99999999999999999999,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=64,t=0,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=64,t=65,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=64,t=4294967297,p=1" + tail, password.ErrHashTooCostly},
		{pre + "m=64,t=1,p=0" + tail, password.ErrMalformedHash},
		{pre + "m=1024,t=1,p=65" + tail, password.ErrHashTooCostly},
		{pre + "m=1024,t=1,p=256" + tail, password.ErrHashTooCostly},
		{pre + "m=1024,t=1,p=257" + tail, password.ErrHashTooCostly},
		// Parameter syntax.
		{pre + "m=-64,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=+64,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=064,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=0x40,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m= 64,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=,t=1,p=1" + tail, password.ErrMalformedHash},
		{pre + "t=1,m=64,p=1" + tail, password.ErrMalformedHash},
		{pre + "m=64,t=1" + tail, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1,keyid=abc" + tail, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1,data=abc" + tail, password.ErrMalformedHash},
		{pre + "m=64;t=1;p=1" + tail, password.ErrMalformedHash},
		{pre + "m=６４,t=1,p=1" + tail, password.ErrMalformedHash},
		// Salt and key.
		{pre + "m=64,t=1,p=1$" + salt16, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1$" + salt16 + "$", password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1$$" + key32, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1" + tail + "$", password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1" + tail + "$extra", password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1$c29tZXNhbA$" + key32, password.ErrMalformedHash},                        // 7-byte salt
		{pre + "m=64,t=1,p=1$" + strings.Repeat("A", 87) + "$" + key32, password.ErrMalformedHash},   // 65-byte salt
		{pre + "m=64,t=1,p=1$" + strings.Repeat("A", 400) + "$" + key32, password.ErrMalformedHash},  // huge salt
		{pre + "m=64,t=1,p=1$" + strings.Repeat("A", 4000) + "$" + key32, password.ErrMalformedHash}, // huge string
		{pre + "m=64,t=1,p=1$" + salt16 + "$" + key32[:20], password.ErrMalformedHash},               // 15-byte key
		{pre + "m=64,t=1,p=1$" + salt16 + "$" + strings.Repeat("A", 87), password.ErrMalformedHash},  // 65-byte key
		{pre + "m=64,t=1,p=1$" + salt16 + "$" + key32[:42], password.ErrMalformedHash},               // truncated key
		{pre + "m=64,t=1,p=1$" + salt16 + "=$" + key32, password.ErrMalformedHash},                   // padded
		{pre + "m=64,t=1,p=1$" + salt16 + "$" + key32 + "=", password.ErrMalformedHash},              // padded
		{pre + "m=64,t=1,p=1$" + salt16[:21] + "!$" + key32, password.ErrMalformedHash},              // bad character
		{pre + "m=64,t=1,p=1$" + salt16[:21] + "-$" + key32, password.ErrMalformedHash},              // URL alphabet
		{pre + "m=64,t=1,p=1$" + salt16[:11] + "\n" + salt16[11:] + "$" + key32, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1$" + salt16[:20] + "\r\n$" + key32, password.ErrMalformedHash},
		{pre + "m=64,t=1,p=1$" + salt16[:21] + "h$" + key32, password.ErrMalformedHash}, // non-zero trailing bits
		{pre + "m=64,t=1,p=1$" + salt16 + "$" + key32[:42] + "N", password.ErrMalformedHash},
	}
	for _, tt := range tests {
		got, err := password.ParsePHC(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParsePHC(%q) = %+v, %v; want %v", tt.in, got, err, tt.want)
		}
		if got.Salt != nil || got.Key != nil {
			t.Errorf("ParsePHC(%q) returned salt or key with error %v", tt.in, err)
		}
	}
}

func TestIsArgon2idIsBcrypt(t *testing.T) {
	tests := []struct {
		in                 string
		argon2id, isBcrypt bool
	}{
		{valid, true, false},
		{"$argon2i$v=19$m=64,t=1,p=1$" + salt16 + "$" + key32, false, false},
		{"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", false, true},
		{"$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false, true},
		{"$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", false, true},
		{"$2x$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", false, false},
		{"$2$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := password.IsArgon2id(tt.in); got != tt.argon2id {
			t.Errorf("IsArgon2id(%q) = %v; want %v", tt.in, got, tt.argon2id)
		}
		if got := password.IsBcrypt(tt.in); got != tt.isBcrypt {
			t.Errorf("IsBcrypt(%q) = %v; want %v", tt.in, got, tt.isBcrypt)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		p  password.Params
		ok bool
	}{
		{password.DefaultParams, true},
		{passwordtest.Params, true},
		{password.Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 16}, true},
		{password.Params{Memory: 256 << 10, Time: 3, Threads: 16, SaltLen: 64, KeyLen: 64}, true},
		{password.Params{Memory: 256 << 10, Time: 4, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{password.Params{}, false},
		{password.Params{Memory: 1<<21 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{password.Params{Memory: 127, Time: 1, Threads: 16, SaltLen: 16, KeyLen: 32}, false},
		{password.Params{Memory: 1024, Time: 1, Threads: 17, SaltLen: 16, KeyLen: 32}, false},
		{password.Params{Memory: 64, Time: 1, Threads: 255, SaltLen: 16, KeyLen: 32}, false},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, password.ErrInvalidParams)) {
			t.Errorf("%+v.Validate() = %v; want ok %v", tt.p, err, tt.ok)
		}
	}
}

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
