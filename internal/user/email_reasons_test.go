package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// TestValidateEmailGivesTheRightReason: an address is refused for the rule
// it breaks first, and the error names that rule. Each case is one a
// neighbouring rule would also refuse, with a reason that misleads:
//
//   - the length is judged on what was typed, before any mapping, so an
//     address of 255 bytes is too long even when IDNA would map its domain
//     shorter, and an address that is too long as typed never hears that
//     it is too long "once its domain is decoded";
//   - a domain whose punycode decodes to more than 254 bytes is refused
//     after decoding, saying so;
//   - a name or comment after the address is named as such, not as a space;
//   - an empty label between two ideographic full stops breaks the dot
//     rule, as it does between two ASCII dots.
func TestValidateEmailGivesTheRightReason(t *testing.T) {
	// 55 Han characters: 61 bytes as punycode, 165 as UTF-8.
	han := strings.Repeat("\u5c71", 55)
	const hanPunycode = "xn--rhtaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	// Fullwidth letters are three bytes each and map to one.
	fullwidth := strings.Repeat("\uff42", 60) // ｂ
	tests := []struct {
		name, in string
		want     string // in the error
		notWant  string // not in the error
	}{
		{
			name:    "255 bytes of ASCII",
			in:      strings.Repeat("a", 64) + "@" + longDomain(186),
			want:    "longer than 254 bytes",
			notWant: "decoded",
		},
		{
			name:    "255 bytes as typed, fewer once IDNA maps its fullwidth letters",
			in:      strings.Repeat("a", 70) + "@" + fullwidth + ".org",
			want:    "longer than 254 bytes",
			notWant: "decoded",
		},
		{
			name: "192 bytes of punycode that decode to 400",
			in:   strings.Repeat("a", 64) + "@" + hanPunycode + "." + hanPunycode + ".org",
			want: "longer than 254 bytes once its domain is decoded",
		},
		{
			name: "a comment after the address",
			in:   "bob@example.org (Bob)",
			want: "without a name or comment",
		},
		{
			name: "a comment before the address",
			in:   "(Bob)bob@example.org",
			want: "without a name or comment",
		},
		{
			name: "two ideographic full stops in a row",
			in:   "a@example\u3002\u3002org",
			want: "needs a dot",
		},
		{
			name: "an ideographic full stop at the end",
			in:   "a@example\u3002",
			want: "needs a dot",
		},
	}
	if got := len(strings.Repeat("a", 70) + "@" + fullwidth + ".org"); got != 255 {
		t.Fatalf("fullwidth case is %d bytes; want 255", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := user.ValidateEmail(tt.in)
			if !errors.Is(err, user.ErrInvalidEmail) {
				t.Fatalf("ValidateEmail(%q) = %q, %v; want an error wrapping %v", tt.in, got, err, user.ErrInvalidEmail)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateEmail(%q) = %v; want the reason %q", tt.in, err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("ValidateEmail(%q) = %v; want no mention of %q", tt.in, err, tt.notWant)
			}
		})
	}
	// The decoded form on its own is a valid address: only its length
	// is wrong above.
	if _, err := user.ValidateEmail("a@" + han + ".org"); err != nil {
		t.Errorf("ValidateEmail(a@<55 Han>.org) = %v; want nil", err)
	}
}
