package password_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/password"
)

var update = flag.Bool("update", false, "rewrite common_passwords.txt from the zxcvbn frequency list")

// TestCommonPasswordsFile proves that common_passwords.txt, which IsCommon
// embeds, is zxcvbn's password list with each entry NFC-normalised and
// case-folded, one a line and in the library's order, and that IsCommon
// finds every entry. With -update it writes the file instead (go generate
// runs that).
func TestCommonPasswordsFile(t *testing.T) {
	list := frequency.FrequencyLists["passwords"]
	var want strings.Builder
	for _, w := range list {
		w = cases.Fold().String(norm.NFC.String(w))
		if w == "" || strings.ContainsAny(w, "\r\n") {
			t.Fatalf("zxcvbn password %q cannot be one line of common_passwords.txt", w)
		}
		want.WriteString(w + "\n")
	}
	if *update {
		if err := os.WriteFile("common_passwords.txt", []byte(want.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("common_passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatal("common_passwords.txt is not zxcvbn's password list, NFC-normalised and case-folded; run go generate ./internal/password")
	}
	for _, w := range list {
		if !password.IsCommon(w) {
			t.Errorf("IsCommon(%q) = false; want true", w)
		}
	}
}
