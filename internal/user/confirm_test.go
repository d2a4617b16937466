package user_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/user"
)

func TestConfirmsDelete(t *testing.T) {
	u := user.User{ID: "0b6f2c1e-4d7a-4c1b-9e55-3f1a2b3c4d5e", Email: "Élodie.Straße@Example.org"}
	tests := []struct {
		typed string
		want  bool
	}{
		{"Élodie.Straße@Example.org", true},       // the email as stored
		{"élodie.straße@example.org", true},       // another case
		{"ÉLODIE.STRASSE@EXAMPLE.ORG", true},      // Unicode case folding: ß and SS
		{"e\u0301lodie.straße@example.org", true}, // decomposed é, NFC
		{"  élodie.straße@example.org\t", true},   // spaces around
		{u.ID, true},
		{" " + u.ID + "\n", true},
		{"0B6F2C1E-4D7A-4C1B-9E55-3F1A2B3C4D5E", false}, // the id is matched exactly
		{"0b6f2c1e", false},                             // a prefix of the id
		{"élodie.straße@example", false},                // a prefix of the email
		{"élodie", false},
		{"", false},
		{"   ", false},
		{"bob@example.org", false}, // another user's email
		{"élodie.straße@example.org.evil", false},
	}
	for _, tt := range tests {
		if got := user.ConfirmsDelete(u, tt.typed); got != tt.want {
			t.Errorf("ConfirmsDelete(%q) = %v; want %v", tt.typed, got, tt.want)
		}
	}
	// A user without an id (a hostile file) is not confirmed by an empty answer.
	if user.ConfirmsDelete(user.User{Email: "a@example.org"}, "  ") {
		t.Errorf("ConfirmsDelete(user without an id, %q) = true; want false", "  ")
	}
}
