package password_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

func TestPolicyCheck(t *testing.T) {
	def := password.Policy{}
	eight, err := password.NewPolicy(8)
	if err != nil {
		t.Fatal(err)
	}
	const (
		ok       = ""
		short    = "password too short"
		long     = "password too long"
		common   = "password is too common (found in a list of breached passwords)"
		local    = "password contains the email address's local part"
		utf8     = "password is not valid UTF-8"
		control  = "password contains control characters"
		email    = "alice.smith@example.com"
		noEmail  = ""
		eAcute   = "\u00e9"          // é, one code point
		eDecomp  = "e\u0301"         // e + combining acute, two code points
		fifteen  = "plum quartz sky" // 15 code points, 15 bytes
		fourteen = "plum quartz sk"
	)
	tests := []struct {
		p     password.Policy
		plain string
		email string
		want  string // "" for accepted, else a prefix of the reason
	}{
		{def, fourteen, noEmail, "password too short: 14 characters, need at least 15"},
		{def, fifteen, noEmail, ok},
		{def, fifteen, email, ok},
		{def, "", noEmail, "password too short: 0 characters, need at least 15"},
		// 15 code points, 30 bytes: length counts code points.
		{def, "éèêëàâäîïôöùûüç", noEmail, ok},
		{def, "€£¥₩₽€£¥₩₽€£¥₩₹", noEmail, ok},
		{def, "€£¥₩₽€£¥₩₽€£¥₹", noEmail, "password too short: 14 characters"},
		// Emoji outside the BMP: 4 bytes, one code point each.
		{def, "🔑🗝🔒🔓🛡🔐🧷📎🧲🔗⛓🪝🧰🔧🔩", noEmail, ok},
		// Decomposed é is two code points but one after NFC.
		{def, decomposed("aceginoprsuwyz"), noEmail, "password too short: 14 characters, need at least 15"},
		{def, decomposed("aceginoprsuwyzl"), noEmail, ok},
		// The same character over and over is a repeat, however it is written.
		{def, strings.Repeat(eAcute, 15), noEmail, "password is too easy to guess"},
		{def, strings.Repeat(eDecomp, 15), noEmail, "password is too easy to guess"},
		{def, "tr" + eDecomp + "s caf" + eDecomp + " noir", noEmail, "password too short: 14 characters"},
		{def, "tr" + eDecomp + "s caf" + eDecomp + " noir!", noEmail, ok},
		// Maximum length.
		{def, randomText(256), noEmail, ok},
		// Long enough, but built from repeats, sequences, keyboard rows or
		// a repeated common password: NIST's "expected" values.
		{def, "passwordpassword", noEmail, "password is too easy to guess"},
		{def, "aaaaaaaaaaaaaaaa", noEmail, "password is too easy to guess"},
		{def, "123456789012345", noEmail, "password is too easy to guess"},
		{def, "qwertyuiopasdfgh", noEmail, "password is too easy to guess"},
		{def, "iloveyouiloveyou", noEmail, "password is too easy to guess"},
		{def, "correct horse battery staple", noEmail, ok},
		{def, strings.Repeat("a", 256), noEmail, "password is too easy to guess"},
		{def, strings.Repeat("a", 257), noEmail, "password too long: 257 characters, at most 256 allowed"},
		{def, strings.Repeat(eAcute, 257), noEmail, "password too long: 257 characters"},
		{def, decomposed(strings.Repeat("aceginoprsuwyzl", 18)[:256]), noEmail, ok}, // 512 code points before NFC, 256 after: not too long
		{def, decomposed(randomLetters("aceginoprsuwyzl", 256)), noEmail, ok},
		// No composition rules: lowercase letters and spaces suffice.
		{def, "correct horse battery staple", noEmail, ok},
		// Common passwords.
		{eight, "password1", noEmail, common},
		{eight, "iloveyou", noEmail, common},
		{eight, "ILoveYou", noEmail, common},
		{eight, "baseball1", noEmail, common},
		{eight, "1qaz2wsx3edc4rfv", noEmail, common},
		{def, "1qaz2wsx3edc4rfv", noEmail, common},
		{def, "qazwsxedcrfvtgb", noEmail, common},
		{eight, "iloveyou2much!", noEmail, ok},
		// Too short is reported before common.
		{def, "password1", noEmail, "password too short: 9 characters, need at least 15"},
		// Email local part.
		{def, "my name is alice.smith ok", email, local},
		{def, "my name is ALICE.SMITH ok", email, local},
		{def, "my name is alice smith ok", email, ok},
		{def, "alice.smith@example.com!", email, local},
		{def, "bob likes long passwords", "bob@example.com", local},
		{def, "bob likes long passwords", "BOB@example.com", local},
		{def, "al likes long passwords", "al@example.com", ok}, // local part under 3 characters
		{def, "caf" + eDecomp + " is where we met", "Caf" + eAcute + "@example.com", local},
		{def, "strong horse battery staple", "weird@name@example.com", ok},
		{def, "weird@name likes long passwords", "weird@name@example.com", local},
		{def, "bob likes long passwords", "bob", local},
		// Invalid input is reported first and says why.
		{def, "correct horse \xff battery", noEmail, utf8},
		{def, "\xff", noEmail, utf8},
		{def, "correct horse\x00battery staple", noEmail, control},
		{def, "correct horse\tbattery staple", noEmail, control},
		{def, "correct horse\nbattery staple", noEmail, control},
		{def, "correct horse\u0085battery staple", noEmail, control},
		{def, "correct horse\x7fbattery staple", noEmail, control},
		{def, "\x00", noEmail, control},
		// Minimum lengths.
		{eight, "plum qua", noEmail, ok},
		{eight, "plum qu", noEmail, "password too short: 7 characters, need at least 8"},
		{password.Policy{MinLength: 3}, "plum qu", noEmail, "password too short: 7 characters, need at least 8"},
		{password.Policy{MinLength: 300}, randomText(256), noEmail, ok},
	}
	for _, tt := range tests {
		err := tt.p.Check(tt.plain, tt.email)
		if tt.want == ok {
			if err != nil {
				t.Errorf("Policy{%d}.Check(%q, %q) = %v; want nil", tt.p.MinLength, tt.plain, tt.email, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Policy{%d}.Check(%q, %q) = %v; want %s", tt.p.MinLength, tt.plain, tt.email, err, tt.want)
			continue
		}
		if !errors.Is(err, password.ErrPolicy) {
			t.Errorf("Policy{%d}.Check(%q, %q) = %v; want an error matching ErrPolicy", tt.p.MinLength, tt.plain, tt.email, err)
		}
		var pe *password.PolicyError
		if !errors.As(err, &pe) || pe.Reason != err.Error() {
			t.Errorf("Policy{%d}.Check(%q, %q) = %#v; want a *PolicyError", tt.p.MinLength, tt.plain, tt.email, err)
		}
		if len(tt.plain) >= 4 && strings.Contains(err.Error(), tt.plain) {
			t.Errorf("Policy{%d}.Check(%q, %q) = %v; the message contains the password", tt.p.MinLength, tt.plain, tt.email, err)
		}
	}
}

// TestPolicyGuessableBoundaries: each rule against guessable passwords,
// at its edge: the password just inside the rule is refused as too easy to
// guess, the one just outside passes. Every one is long enough and in no
// breached list, so only that rule decides.
func TestPolicyGuessableBoundaries(t *testing.T) {
	tests := []struct {
		rule, plain string
		refused     bool
	}{
		{"three distinct characters in no pattern", "aabbcaabcbbacabcab", true},
		{"four distinct characters in no pattern", "aabbcaabcbbacabcad", false},
		{"a unit of 7 characters repeated", "Tr0ub4dTr0ub4dTr0ub4d", true},
		{"a unit of 8 characters repeated", "Tr0ub4dxTr0ub4dx", false},
		{"a descending run of letters", "zyxwvutsrqponmlk", true},
		{"an ascending run of letters", "klmnopqrstuvwxyz", true},
		{"a run of letters with one step out of line", "zyxwvutsrqponmlj", false},
		{"a keyboard walk backwards", "lkjhgfdsapoiuytrewq", true},
		{"a keyboard walk forwards", "qwertyuiopasdfghjkl", true},
		{"a keyboard walk with one key out of line", "lkjhgfdsapoiuytrewz", false},
		{"a column walk backwards", "plokimjunhybgtvfrcdexswzaq", true},
		{"a column walk backwards with two keys swapped", "plokimjunhybgtvfrcdexswaqz", false},
	}
	p := password.Policy{}
	for _, tt := range tests {
		err := p.Check(tt.plain, "")
		guessable := err != nil && strings.Contains(err.Error(), "too easy to guess")
		if guessable != tt.refused || (err != nil && !guessable) {
			t.Errorf("%s: Check(%q) = %v; want refused as too easy to guess: %v", tt.rule, tt.plain, err, tt.refused)
		}
		if err != nil && !errors.Is(err, password.ErrPolicy) {
			t.Errorf("%s: Check(%q) = %v; want it to match %v", tt.rule, tt.plain, err, password.ErrPolicy)
		}
	}
}

func TestNewPolicy(t *testing.T) {
	tests := []struct {
		min int
		ok  bool
	}{
		{-1, false},
		{0, false},
		{7, false},
		{8, true},
		{15, true},
		{256, true},
		{257, false},
	}
	for _, tt := range tests {
		p, err := password.NewPolicy(tt.min)
		if tt.ok {
			if err != nil || p.MinLength != tt.min {
				t.Errorf("NewPolicy(%d) = %+v, %v; want {%d}, nil", tt.min, p, err, tt.min)
			}
			continue
		}
		if err == nil || err.Error() != "minimum password length must be between 8 and 256" {
			t.Errorf("NewPolicy(%d) = %+v, %v; want error %q", tt.min, p, err, "minimum password length must be between 8 and 256")
		}
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"123456", true},
		{"password", true},
		{"PASSWORD", true},
		{"Password1", true},
		{"iloveyou", true},
		{"trustno1", true},
		{"correct horse battery staple", false},
		{"", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if got := password.IsCommon(tt.in); got != tt.want {
			t.Errorf("IsCommon(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestPolicyErrorIs(t *testing.T) {
	err := error(&password.PolicyError{Reason: "password too short: 9 characters, need at least 15"})
	if !errors.Is(err, password.ErrPolicy) {
		t.Errorf("errors.Is(%v, ErrPolicy) = false; want true", err)
	}
	if errors.Is(err, password.ErrMalformedHash) {
		t.Errorf("errors.Is(%v, ErrMalformedHash) = true; want false", err)
	}
	if got, want := err.Error(), "password too short: 9 characters, need at least 15"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestGenerate(t *testing.T) {
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
	seen := make(map[string]bool)
	for range 200 {
		s, err := password.Generate()
		if err != nil {
			t.Fatalf("Generate() error: %v", err)
		}
		if len(s) != password.GenerateLength {
			t.Errorf("Generate() = %q; want %d characters", s, password.GenerateLength)
		}
		if i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(alphabet, r) }); i >= 0 {
			t.Errorf("Generate() = %q; character %q is not in the unambiguous alphabet", s, s[i])
		}
		if err := (password.Policy{}).Check(s, ""); err != nil {
			t.Errorf("Policy{}.Check(Generate() = %q) = %v; want nil", s, err)
		}
		if seen[s] {
			t.Errorf("Generate() = %q twice", s)
		}
		seen[s] = true
	}
}

func TestGenerateFor(t *testing.T) {
	long, err := password.NewPolicy(40)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p     password.Policy
		email string
	}{
		{password.Policy{}, "bob@example.com"},
		{password.Policy{}, "abc@example.com"},
		{password.Policy{}, "x@example.com"},
		{long, "alice.smith@example.com"},
	}
	for _, tt := range tests {
		for range 50 {
			s, err := password.GenerateFor(tt.p, tt.email)
			if err != nil {
				t.Fatalf("GenerateFor(%+v, %q) error: %v", tt.p, tt.email, err)
			}
			if err := tt.p.Check(s, tt.email); err != nil {
				t.Errorf("Check(GenerateFor(%+v, %q) = %q) = %v; want nil", tt.p, tt.email, s, err)
			}
		}
	}
}

// randomText returns n letters that follow no pattern zxcvbn knows, the
// same on every run.
func randomText(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// decomposed puts a combining acute accent after every letter of s: twice
// the code points before NFC, as many as s after.
func decomposed(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		b.WriteRune('\u0301')
	}
	return b.String()
}

// randomLetters draws n letters from alphabet, the same on every run.
func randomLetters(alphabet string, n int) string {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
