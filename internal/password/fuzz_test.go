package password_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
)

func FuzzParsePHC(f *testing.F) {
	for _, v := range argon2idVectors {
		f.Add(v.encoded)
	}
	for _, s := range []string{
		valid,
		"",
		"$argon2id$",
		"$argon2id$v=19$m=2097152,t=64,p=64$" + strings.Repeat("A", 86) + "$" + strings.Repeat("A", 86),
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt16 + "=$" + key32,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt16[:11] + "\n" + salt16[11:] + "$" + key32,
		"$argon2i$v=19$m=64,t=1,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt16 + "$" + key32,
		"$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		phc, err := password.ParsePHC(s)
		if err != nil {
			if phc.Salt != nil || phc.Key != nil {
				t.Fatalf("ParsePHC(%q) returned salt or key with error %v", s, err)
			}
			return
		}
		if verr := phc.Params.Validate(); verr != nil {
			t.Fatalf("ParsePHC(%q).Params = %+v; out of bounds: %v", s, phc.Params, verr)
		}
		if int(phc.Params.SaltLen) != len(phc.Salt) || int(phc.Params.KeyLen) != len(phc.Key) {
			t.Fatalf("ParsePHC(%q) = %+v; lengths disagree with salt %d, key %d", s, phc.Params, len(phc.Salt), len(phc.Key))
		}
		// Parsing is strict, so a parsed string is canonical.
		if got := phc.String(); got != s {
			t.Fatalf("ParsePHC(%q).String() = %q; want the input", s, got)
		}
	})
}

// policyTemplates are the reasons Check may give, with numbers replaced by
// "#". A reason is a fixed text with counts filled in, so it can contain the
// password only where the password is made of that fixed text (say "word").
var policyTemplates = map[string]bool{
	"password is not valid UTF-#":                                                                          true,
	"password contains control characters (such as tab, newline or NUL)":                                   true,
	"password too short: # characters, need at least #":                                                    true,
	"password too long: # characters, at most # allowed":                                                   true,
	"password is too common (found in a list of breached passwords)":                                       true,
	"password is too easy to guess (repeated or sequential characters, keyboard patterns or common words)": true,
	"password contains the email address's local part":                                                     true,
}

var digits = regexp.MustCompile(`[0-9]+`)

func maskDigits(s string) string {
	return digits.ReplaceAllString(s, "#")
}

func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []struct{ plain, email string }{
		{"correct horse battery staple", "alice@example.com"},
		{"alice in wonderland forever", "alice@example.com"},
		{"password1", ""},
		{"qazwsxedcrfvtgb", ""},
		{"short", ""},
		{"\xff\xfe", ""},
		{"with\x00nul and more text", ""},
		{strings.Repeat("e\u0301", 20), "E\u0301@example.com"},
		{strings.Repeat("x", 300), ""},
		{"İstanbul ßtraße long password", "ISTANBUL@example.com"},
		{"word", ""},
	} {
		f.Add(s.plain, s.email)
	}
	policies := []password.Policy{{}, {MinLength: password.MinLengthFloor}}
	f.Fuzz(func(t *testing.T, plain, email string) {
		for _, p := range policies {
			err := p.Check(plain, email)
			if err == nil {
				if !utf8.ValidString(plain) || utf8.RuneCountInString(plain) == 0 {
					t.Fatalf("Policy{%d}.Check(%q, %q) = nil; want a rejection", p.MinLength, plain, email)
				}
				continue
			}
			msg := err.Error()
			if !policyTemplates[maskDigits(msg)] {
				t.Fatalf("Policy{%d}.Check(%q, %q) = %q; not one of the fixed reasons", p.MinLength, plain, email, msg)
			}
			if len(plain) >= 4 && strings.Contains(msg, plain) && !strings.Contains(maskDigits(msg), maskDigits(plain)) {
				t.Fatalf("Policy{%d}.Check(%q, %q) = %q; the message contains the password", p.MinLength, plain, email, msg)
			}
		}
	})
}

// FuzzCheckStored: CheckStored accepts only what Verify may compute, and
// says why in exactly one of its three ways.
func FuzzCheckStored(f *testing.F) {
	for _, v := range argon2idVectors {
		f.Add(v.encoded)
	}
	for _, s := range []string{
		valid,
		"!",
		"$2b$12$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
		"$2y$14$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
		"$2a$15$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
		"$2b$03$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
		"$argon2id$v=19$m=262144,t=3,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=262144,t=4,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=1048576,t=4,p=1$" + salt16 + "$" + key32,
		"$argon2id$v=19$m=128,t=1,p=17$" + salt16 + "$" + key32,
		"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := password.CheckStored(s)
		kinds := 0
		for _, sentinel := range []error{password.ErrMalformedHash, password.ErrUnsupportedHash, password.ErrHashTooCostly} {
			if errors.Is(err, sentinel) {
				kinds++
			}
		}
		if (err == nil) != (kinds == 0) || kinds > 1 {
			t.Fatalf("CheckStored(%q) = %v; want nil or exactly one of malformed, unsupported, too costly", s, err)
		}
		if err != nil {
			return
		}
		if password.IsBcrypt(s) {
			cost, cerr := bcrypt.Cost([]byte(s))
			if cerr != nil || cost < password.MinBcryptCost || cost > password.MaxBcryptCost || len(s) != 60 {
				t.Fatalf("CheckStored(%q) = nil for a bcrypt hash of cost %d (%v), length %d", s, cost, cerr, len(s))
			}
			return
		}
		phc, perr := password.ParsePHC(s)
		if perr != nil {
			t.Fatalf("CheckStored(%q) = nil but ParsePHC = %v", s, perr)
		}
		p := phc.Params
		if p.Memory > password.MaxArgon2Memory || p.Time > password.MaxArgon2Time || p.Threads > password.MaxArgon2Threads ||
			uint64(p.Memory)*uint64(p.Time) > password.MaxArgon2Work {
			t.Fatalf("CheckStored(%q) = nil for parameters %+v beyond the limits", s, p)
		}
	})
}
