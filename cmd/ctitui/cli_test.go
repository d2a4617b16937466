package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spf13/cobra"
)

// Tables pad each cell by the columns it takes on a terminal: CJK and most
// emoji take two, combining marks none. The want texts are written out by
// hand, so that they do not depend on the width function under test.
func TestTableAlignsWideCharacters(t *testing.T) {
	tests := []struct {
		name string
		rows [][]string
		want string
	}{
		{"ascii", [][]string{{"EMAIL", "ROLES"}, {"a@x.org", "admin"}, {"bb@x.org", "viewer"}},
			"EMAIL     ROLES\n" +
				"a@x.org   admin\n" +
				"bb@x.org  viewer\n"},
		{"cjk", [][]string{{"EMAIL", "ROLES", "STATUS"}, {"用户@例子.中国", "viewer", "active"}, {"a@x.org", "admin", "locked"}},
			"EMAIL           ROLES   STATUS\n" +
				"用户@例子.中国  viewer  active\n" +
				"a@x.org         admin   locked\n"},
		{"emoji", [][]string{{"ACTOR", "DETAILS"}, {"😀😀", "x"}, {"bob", "y"}},
			"ACTOR  DETAILS\n" +
				"😀😀   x\n" +
				"bob    y\n"},
		{"combining", [][]string{{"NAME", "X"}, {"jose\u0301", "1"}, {"josé", "2"}, {"ab", "3"}},
			"NAME  X\n" +
				"jose\u0301  1\n" +
				"josé  2\n" +
				"ab    3\n"},
		{"last column unpadded", [][]string{{"A", "漢字"}, {"BB", "x"}},
			"A   漢字\n" +
				"BB  x\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		tab := newTable(&b, tt.rows[0]...)
		for _, r := range tt.rows[1:] {
			tab.Row(r...)
		}
		if err := tab.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%s: table =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// A table flushed in batches keeps a column as wide as it has grown.
func TestTableBatchesNeverNarrow(t *testing.T) {
	var b bytes.Buffer
	tab := newTable(&b, "EMAIL", "ROLES")
	tab.Row("用户@例子.中国", "viewer")
	if err := tab.Flush(); err != nil {
		t.Fatal(err)
	}
	tab.Row("a@x.org", "admin")
	if err := tab.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "EMAIL           ROLES\n" +
		"用户@例子.中国  viewer\n" +
		"a@x.org         admin\n"
	if got := b.String(); got != want {
		t.Errorf("table in two batches =\n%s\nwant\n%s", got, want)
	}
}

func TestPersonDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "less than a second"},
		{400 * time.Millisecond, "less than a second"},
		{time.Second, "1 second"},
		{3 * time.Second, "3 seconds"},
		{1500 * time.Millisecond, "2 seconds"},
		{time.Minute, "1 minute"},
		{15 * time.Minute, "15 minutes"},
		{61 * time.Second, "1 minute 1 second"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{time.Hour + 5*time.Second, "1 hour"},
		{30 * 24 * time.Hour, "30 days"},
		{49*time.Hour + 59*time.Minute, "2 days 1 hour"},
	}
	for _, tt := range tests {
		if got := personDuration(tt.d); got != tt.want {
			t.Errorf("personDuration(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0 users"}, {1, "1 user"}, {2, "2 users"}, {1000, "1000 users"}}
	for _, tt := range tests {
		if got := plural(tt.n, "user"); got != tt.want {
			t.Errorf("plural(%d, user) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

func TestVersionList(t *testing.T) {
	tests := []struct {
		in   []int64
		want string
	}{{nil, ""}, {[]int64{7}, "7"}, {[]int64{7, 8}, "7 and 8"}, {[]int64{8, 9, 10}, "8, 9 and 10"}}
	for _, tt := range tests {
		if got := versionList(tt.in); got != tt.want {
			t.Errorf("versionList(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"list", "list", 0}, {"lst", "list", 1}, {"usr", "user", 1}, {"lsit", "list", 2},
		{"fromat", "format", 2}, {"", "abc", 3}, {"用户", "用戶", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestArgNames(t *testing.T) {
	tests := []struct {
		use  string
		want string
	}{
		{"show EMAIL", "EMAIL"},
		{"set-role EMAIL --role ROLE...", "EMAIL"},
		{"import FILE [--format csv|jsonl]", "FILE"},
		{"backup [FILE]", ""},
		{"list [--role ROLE]", ""},
		{"man DIR", "DIR"},
		{"bash", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(argNames(tt.use), " "); got != tt.want {
			t.Errorf("argNames(%q) = %q; want %q", tt.use, got, tt.want)
		}
	}
}

// Every mistake in how ctitui is called is one line in people's words,
// exit 2: no parser's message ("strconv.ParseInt"), no "arg(s)", no Go
// durations.
func TestUsageErrorsInPeoplesWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user", "lst"}, `unknown command "lst" for "ctitui user"; did you mean "list"?`},
		{[]string{"usr", "list"}, `unknown command "usr" for "ctitui"; did you mean "user"?`},
		{[]string{"user", "lst", "--format", "json"}, `unknown command "lst" for "ctitui user"; did you mean "list"?`},
		{[]string{"audit", "verfy"}, `unknown command "verfy" for "ctitui audit"; did you mean "verify"?`},
		{[]string{"migrate", "stats"}, `unknown command "stats" for "ctitui migrate"; did you mean "status"?`},
		{[]string{"completion", "fsh"}, `unknown command "fsh" for "ctitui completion"; did you mean "fish" or "zsh"?`},
		{[]string{"help", "usr"}, `unknown command "usr" for "ctitui"; did you mean "user"?`},
		{[]string{"user", "list", "--fromat", "json"}, `unknown flag: --fromat; did you mean --format?`},
		{[]string{"user", "list", "--limit", "ten"}, `invalid argument "ten" for "--limit" flag: want a whole number, such as 10`},
		{[]string{"user", "list", "--limit", "1.5"}, `invalid argument "1.5" for "--limit" flag: want a whole number, such as 10`},
		{[]string{"user", "list", "--limit", "99999999999999999999"}, `invalid argument "99999999999999999999" for "--limit" flag: the number is too large`},
		{[]string{"user", "delete", "a@x.org", "--yes=maybe"}, `invalid argument "maybe" for "-y, --yes" flag: want true or false`},
		{[]string{"user", "show"}, `user show: missing EMAIL; see 'ctitui user show --help'`},
		{[]string{"user", "show", "a@x.org", "b@x.org"}, `user show: unexpected argument "b@x.org"; see 'ctitui user show --help'`},
		{[]string{"audit", "verify", "x"}, `audit verify takes no arguments, got "x"; see 'ctitui audit verify --help'`},
		{[]string{"user", "list", "--active", "--disabled"}, `--disabled and --active cannot be used together; give at most one of --disabled, --active or --locked`},
		{[]string{"user", "add", "--email", "a@x.org", "--generate-password", "--password-stdin"}, `--password-stdin and --generate-password cannot be used together`},
		{[]string{"settings", "--format", "csv"}, `invalid --format "csv": want table or json`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := runIn(t, path, strings.NewReader(""), &stdout, &stderr, tt.args...)
		if want := "ctitui: " + tt.want + "\n"; code != exitUsage || stderr.String() != want || stdout.Len() > 0 {
			t.Errorf("ctitui %q = exit %d, stderr %q, stdout %q; want exit 2, stderr %q", tt.args, code, stderr.String(), stdout.String(), want)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error created the database: %v", err)
	}
}

// Help text and messages say durations in words: "3 seconds", not "3s".
func TestHelpSaysDurationsInWords(t *testing.T) {
	var stdout bytes.Buffer
	if code := runIn(t, filepath.Join(t.TempDir(), "x.db"), strings.NewReader(""), &stdout, io.Discard, "user", "verify", "--help"); code != exitOK {
		t.Fatalf("user verify --help: exit %d", code)
	}
	if !strings.Contains(stdout.String(), "(3 seconds)") {
		t.Errorf("user verify --help = %q; want the failure time as (3 seconds)", stdout.String())
	}
}

// argsError reads cobra's messages, so it must word every check of cobra's
// that counts, and keep any other message.
func TestArgsErrorForEachCheck(t *testing.T) {
	cmd := &cobra.Command{Use: "pick EMAIL"}
	root := &cobra.Command{Use: "ctitui"}
	root.AddCommand(cmd)
	tests := []struct {
		check cobra.PositionalArgs
		args  []string
		want  string
	}{
		{cobra.ExactArgs(1), nil, "pick: missing EMAIL; see 'ctitui pick --help'"},
		{cobra.ExactArgs(1), []string{"a", "b"}, `pick: unexpected argument "b"; see 'ctitui pick --help'`},
		{cobra.MaximumNArgs(1), []string{"a", "b", "c"}, `pick: unexpected argument "b"; see 'ctitui pick --help'`},
		{cobra.MinimumNArgs(1), nil, "pick: missing EMAIL; see 'ctitui pick --help'"},
		{cobra.RangeArgs(2, 3), []string{"a", "b", "c", "d"}, `pick: unexpected argument "d"; see 'ctitui pick --help'`},
		{cobra.RangeArgs(2, 3), []string{"a"}, "pick: missing an argument; see 'ctitui pick --help'"},
		{cobra.NoArgs, []string{"a"}, `pick takes no arguments, got "a"; see 'ctitui pick --help'`},
	}
	for _, tt := range tests {
		err := tt.check(cmd, tt.args)
		if err == nil {
			t.Fatalf("check(%q) passed", tt.args)
		}
		if got := argsError(cmd, tt.args, err).Error(); got != tt.want {
			t.Errorf("argsError(%q) = %q; want %q", tt.args, got, tt.want)
		}
	}
	// A check that is not about the count keeps its own message.
	only := cobra.OnlyValidArgs
	cmd.ValidArgs = []string{"x"}
	err := only(cmd, []string{"y"})
	if got := argsError(cmd, []string{"y"}, err); !errors.Is(got, err) || got.Error() != err.Error() {
		t.Errorf("argsError(OnlyValidArgs) = %v; want %v unchanged", got, err)
	}
}

// cjkWidth is the width on a terminal of text made of ASCII, Latin letters
// and CJK ideographs and kana: the test's own measure, independent of the
// one under test.
func cjkWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), r == 'ー':
			w += 2
		default:
			w++
		}
	}
	return w
}

// The CLI's tables line up on a terminal with CJK emails, as the TUI's do:
// every column after the email starts at the same terminal column.
func TestCLITablesAlignWideCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctitui.db")
	emails := []string{"用户@例子.中国", "ユーザー@example.jp", "mañana@例え.jp", "al@x.org"}
	for _, e := range emails {
		var stderr bytes.Buffer
		if code := runIn(t, path, strings.NewReader(""), io.Discard, &stderr, "user", "add", "--email", e, "--role", "viewer", "--generate-password"); code != exitOK {
			t.Fatalf("user add %s: %s", e, stderr.String())
		}
	}
	for _, tt := range []struct {
		args   []string
		column string // the heading of the column after the emails
	}{
		{[]string{"user", "list"}, "ROLES"},
		{[]string{"audit", "list"}, "DETAILS"},
	} {
		var stdout bytes.Buffer
		if code := runIn(t, path, strings.NewReader(""), &stdout, io.Discard, tt.args...); code != exitOK {
			t.Fatalf("%q: exit %d", tt.args, code)
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		heading := strings.Index(lines[0], tt.column)
		if heading < 0 {
			t.Fatalf("%q: no %s in the heading %q", tt.args, tt.column, lines[0])
		}
		want := cjkWidth(lines[0][:heading])
		for _, line := range lines[1:] {
			at := -1
			for _, e := range emails {
				if i := strings.Index(line, e); i >= 0 {
					at = i + len(e)
				}
			}
			if at < 0 {
				t.Fatalf("%q: line %q shows none of the emails", tt.args, line)
			}
			gap := len(line[at:]) - len(strings.TrimLeft(line[at:], " "))
			if got := cjkWidth(line[:at]) + gap; got != want {
				t.Errorf("%q: in %q the column after the email starts at %d; want %d, as %s does", tt.args, line, got, want, tt.column)
			}
		}
	}
}
