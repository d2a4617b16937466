package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice@example.org", "alice@example.org", true},
		{"  alice@example.org\t", "alice@example.org", true},
		{"Élodie@exemple.fr", "Élodie@exemple.fr", true},
		{"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk", true},
		{"", "", false},
		{"   ", "", false},
		{"alice", "", false},
		{"alice@localhost", "", false},
		{"alice@example.", "", false},
		{"alice@.example.org", "", false},
		{"alice@example..org", "", false},
		{"@example.org", "", false},
		{"Alice <alice@example.org>", "", false},
		{"<alice@example.org>", "", false},
		{"alice@example.org (Alice)", "", false},
		{"al ice@example.org", "", false},
		{"alice@exa\x00mple.org", "", false},
		{"alice\x1b[31m@example.org", "", false},
		{"alice\u202e@example.org", "", false},
		{"alice\u200b@example.org", "", false},
		{"alice@example.org\n", "alice@example.org", true},
		{"a\nb@example.org", "", false},
		{"bad\xff@example.org", "", false},
		{"'; DROP TABLE users; --@example.org", "", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".org", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".org", true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".org", "", false},
	}
	for _, tt := range tests {
		got, err := user.ValidateEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidateEmail(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, user.ErrInvalidEmail) {
			t.Errorf("ValidateEmail(%q) error %v does not match ErrInvalidEmail", tt.in, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Élodie@X.org", "élodie@x.org"},
		{"E\u0301lodie@x.org", "élodie@x.org"}, // decomposed É
		{"STRASSE@x.org", "strasse@x.org"},
		{"ΣΊΣΥΦΟΣ@x.gr", "σίσυφοσ@x.gr"},
		{" alice@x.org ", "ALICE@X.ORG"},
	}
	for _, tt := range tests {
		if a, b := user.NormalizeEmail(tt.a), user.NormalizeEmail(tt.b); a != b {
			t.Errorf("NormalizeEmail(%q) = %q, NormalizeEmail(%q) = %q; want equal", tt.a, a, tt.b, b)
		}
	}
	if a, b := user.NormalizeEmail("alice@x.org"), user.NormalizeEmail("alicia@x.org"); a == b {
		t.Errorf("NormalizeEmail made different addresses equal: %q", a)
	}
}

func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"alice@example.org", "Bob <bob@x.org>", "a@b", "\x00@x.org", "é@é.fr", "a@b.c (d)", `"quoted"@x.org`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := user.ValidateEmail(s)
		if err != nil {
			if !errors.Is(err, user.ErrInvalidEmail) {
				t.Fatalf("ValidateEmail(%q) error %v does not match ErrInvalidEmail", s, err)
			}
			return
		}
		if got != strings.TrimSpace(s) {
			t.Fatalf("ValidateEmail(%q) = %q; want the trimmed input", s, got)
		}
		if len(got) > user.MaxEmailLength || !strings.Contains(got, "@") || strings.ContainsAny(got, " <>()\x00\n") {
			t.Fatalf("ValidateEmail(%q) accepted %q", s, got)
		}
		// Accepted addresses are stable: validating again changes nothing.
		if again, err := user.ValidateEmail(got); err != nil || again != got {
			t.Fatalf("ValidateEmail(%q) = %q, %v; want %q", got, again, err, got)
		}
		if n := user.NormalizeEmail(got); user.NormalizeEmail(n) != n {
			t.Fatalf("NormalizeEmail is not idempotent on %q", got)
		}
	})
}

func TestParseRoles(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		ok   bool
	}{
		{nil, "analyst", true},
		{[]string{"admin"}, "admin", true},
		{[]string{"Viewer", " admin "}, "admin,viewer", true},
		{[]string{"admin,analyst", "admin"}, "admin,analyst", true},
		{[]string{"root"}, "", false},
		{[]string{""}, "", false},
	}
	for _, tt := range tests {
		got, err := user.ParseRoles(tt.in)
		if (err == nil) != tt.ok || user.JoinRoles(got) != tt.want {
			t.Errorf("ParseRoles(%q) = %q, %v; want %q, ok=%v", tt.in, user.JoinRoles(got), err, tt.want, tt.ok)
		}
	}
}
