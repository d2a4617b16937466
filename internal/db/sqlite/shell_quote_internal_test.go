package sqlite

import (
	"os/exec"
	"testing"
)

// TestShellQuote: the commands ctitui's messages suggest are pasted into a
// shell, with the database path in them: a path is left bare only when
// every character of it is one a POSIX shell takes literally, and quoted
// so that the shell gives back exactly the path otherwise.
func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/var/lib/ctitui/ctitui.db", "/var/lib/ctitui/ctitui.db"},
		{"a-b_c.d,e:f@g+h=i", "a-b_c.d,e:f@g+h=i"},
		{"", "''"},
		{"my db.sqlite", "'my db.sqlite'"},
		{"a;rm -rf ~", "'a;rm -rf ~'"},
		{"it's.db", `'it'\''s.db'`},
		{"$HOME/x.db", "'$HOME/x.db'"},
		{"`id`.db", "'`id`.db'"},
		{"x.db|sh", "'x.db|sh'"},
		{"x&y", "'x&y'"},
		{"*.db", "'*.db'"},
		{"~/x.db", "'~/x.db'"},
		{"a\tb", "'a\tb'"},
		{"a\nb", "'a\nb'"},
		{"base de données.db", "'base de données.db'"},
	}
	sh, err := exec.LookPath("sh")
	for _, tt := range tests {
		got := shellQuote(tt.in)
		if got != tt.want {
			t.Errorf("shellQuote(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if err != nil {
			continue
		}
		out, err := exec.Command(sh, "-c", "printf %s "+got).Output()
		if err != nil {
			t.Fatalf("sh -c 'printf %%s %s' = %v", got, err)
		}
		if string(out) != tt.in {
			t.Errorf("sh reads shellQuote(%q) = %s as %q; want %q", tt.in, got, out, tt.in)
		}
	}
}
