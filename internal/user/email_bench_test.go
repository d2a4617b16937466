package user_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

// benchEmails are addresses like those of a European CTI team: mostly
// ASCII, some with accents or another script.
var benchEmails = []struct{ name, email string }{
	{"ascii", "a.lindqvist.123456@intel-3.example.com"},
	{"accents", "Élodie.Müller+991@équipe-3.exemple.fr"},
	{"cyrillic", "дмитрий.иванов@пример.рф"},
	{"punycode", "admin@xn--e1afmkfd.xn--p1ai"},
}

func benchEach(b *testing.B, fn func(string)) {
	for _, e := range benchEmails {
		b.Run(e.name, func(b *testing.B) {
			for b.Loop() {
				fn(e.email)
			}
		})
	}
}

func BenchmarkValidateEmail(b *testing.B) {
	benchEach(b, func(s string) {
		if _, err := user.ValidateEmail(s); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkNormalizeEmail(b *testing.B) { benchEach(b, func(s string) { user.NormalizeEmail(s) }) }

func BenchmarkEmailSkeleton(b *testing.B) { benchEach(b, func(s string) { user.EmailSkeleton(s) }) }
