package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

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
