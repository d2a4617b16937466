package password_test

import (
	"flag"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/password"
)

var update = flag.Bool("update", false, "rewrite common_passwords.txt from the zxcvbn frequency list")

// commonFolded is zxcvbn's password list, each entry NFC-normalised and
// case-folded, as a set.
func commonFolded(t testing.TB) map[string]bool {
	set := map[string]bool{}
	for _, w := range frequency.FrequencyLists["passwords"] {
		w = cases.Fold().String(norm.NFC.String(w))
		if w == "" || strings.ContainsAny(w, "\r\n") {
			t.Fatalf("zxcvbn password %q cannot be one line of common_passwords.txt", w)
		}
		set[w] = true
	}
	return set
}

// TestCommonPasswordsFile proves that common_passwords.txt, which IsCommon
// embeds, is zxcvbn's password list with each entry NFC-normalised and
// case-folded, one a line, sorted by bytes without repeats (IsCommon's
// binary search needs no set built), and that IsCommon finds every entry.
// With -update it writes the file instead (go generate runs that).
func TestCommonPasswordsFile(t *testing.T) {
	list := frequency.FrequencyLists["passwords"]
	sorted := slices.Sorted(maps.Keys(commonFolded(t)))
	var want strings.Builder
	for _, w := range sorted {
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
		t.Fatal("common_passwords.txt is not zxcvbn's password list, NFC-normalised, case-folded and sorted; run go generate ./internal/password")
	}
	for _, w := range list {
		if !password.IsCommon(w) {
			t.Errorf("IsCommon(%q) = false; want true", w)
		}
	}
}

// TestIsCommonMisses: the binary search says no to what is not in the
// list, however close: an entry with a character more or less, the ends
// of the list and beyond, the empty string, line breaks.
func TestIsCommonMisses(t *testing.T) {
	set := commonFolded(t)
	sorted := slices.Sorted(maps.Keys(set))
	probes := []string{"", "\n", "\x00", "\xff\xff", sorted[0] + "\n", "\n" + sorted[0], sorted[len(sorted)-1] + "~"}
	for i := 0; i < len(sorted); i += 97 {
		w := sorted[i]
		probes = append(probes, w+"!", w[:len(w)-1], "!"+w, w+"\n"+w)
	}
	for _, p := range probes {
		if got, want := password.IsCommonFolded(p), set[p]; got != want {
			t.Errorf("IsCommonFolded(%q) = %v; want %v", p, got, want)
		}
	}
}

// FuzzIsCommon holds the binary search to the set it stands for.
func FuzzIsCommon(f *testing.F) {
	set := commonFolded(f)
	for _, s := range []string{"password", "password1", "", "zzzzzzzz", "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := password.IsCommonFolded(s), set[s]; got != want {
			t.Errorf("IsCommonFolded(%q) = %v; want %v", s, got, want)
		}
	})
}
