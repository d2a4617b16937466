package transfer_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// The rule as the package comment states it, written independently of the
// code under test.
var (
	escapedByRule   = regexp.MustCompile(`^'*[=+\-@\t\r\n\x00]`)
	unescapedByRule = regexp.MustCompile(`^'+[=+\-@\t\r\n\x00]`)
)

func TestEscapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"alice@example.org", "alice@example.org"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-bob@example.org", "'-bob@example.org"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\x00", "'\x00"},
		{"'=1", "''=1"},
		{"'''-x", "''''-x"},
		{"'", "'"},
		{"''", "''"},
		{"'a", "'a"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"\n=1", "'\n=1"},
		{"＝1", "＝1"},
	}
	for _, tt := range tests {
		got := transfer.EscapeFormula(tt.in)
		if got != tt.want {
			t.Errorf("EscapeFormula(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if back := transfer.UnescapeFormula(got); back != tt.in {
			t.Errorf("UnescapeFormula(EscapeFormula(%q)) = %q; want %q", tt.in, back, tt.in)
		}
		if need := transfer.NeedsFormulaEscape(tt.in); need != (got != tt.in) {
			t.Errorf("NeedsFormulaEscape(%q) = %v; want %v", tt.in, need, got != tt.in)
		}
	}
}

func TestUnescapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"'=1", "=1"},
		{"''=1", "'=1"},
		{"'-bob@example.org", "-bob@example.org"},
		{"-bob@example.org", "-bob@example.org"}, // written by hand: taken as it is
		{"'plain", "'plain"},
		{"'", "'"},
		{"''", "''"},
		{"", ""},
		{"=1", "=1"},
	}
	for _, tt := range tests {
		if got := transfer.UnescapeFormula(tt.in); got != tt.want {
			t.Errorf("UnescapeFormula(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// checkFormulaRule holds EscapeFormula and UnescapeFormula to the rule and
// to being inverse: escape then unescape is the identity on every string,
// unescape leaves a string the rule does not name alone, and what escape
// writes never starts a formula.
func checkFormulaRule(t *testing.T, s string) {
	t.Helper()
	esc := transfer.EscapeFormula(s)
	if escapedByRule.MatchString(s) {
		if want := "'" + s; esc != want {
			t.Errorf("EscapeFormula(%q) = %q; want %q", s, esc, want)
		}
	} else if esc != s {
		t.Errorf("EscapeFormula(%q) = %q; want it unchanged", s, esc)
	}
	if back := transfer.UnescapeFormula(esc); back != s {
		t.Errorf("UnescapeFormula(EscapeFormula(%q)) = %q; want the input", s, back)
	}
	if !unescapedByRule.MatchString(s) {
		if got := transfer.UnescapeFormula(s); got != s {
			t.Errorf("UnescapeFormula(%q) = %q; want a plain value unchanged", s, got)
		}
	} else if got := transfer.UnescapeFormula(s); got != s[1:] {
		t.Errorf("UnescapeFormula(%q) = %q; want %q", s, got, s[1:])
	}
	if esc != "" && strings.ContainsRune("=+-@\t\r\n\x00", rune(esc[0])) {
		t.Errorf("EscapeFormula(%q) = %q starts a formula", s, esc)
	}
	if transfer.NeedsFormulaEscape(s) != (esc != s) {
		t.Errorf("NeedsFormulaEscape(%q) = %v; EscapeFormula gave %q", s, transfer.NeedsFormulaEscape(s), esc)
	}
}

func FuzzFormulaEscape(f *testing.F) {
	for _, s := range []string{"", "=", "'", "''=", "'a", "-x@y.z", "'\t", "\r\n", "a", "'''@", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(checkFormulaRule)
}

// FuzzWriterRoundTrip writes a user with any text in its fields, in both
// formats, and reads it back: what was written is what is read, and no CSV
// cell starts a formula.
func FuzzWriterRoundTrip(f *testing.F) {
	for _, s := range []string{"=cmd|' /C calc'!A0", "'-x", "a,b\"c\nd", "\ufeffbom", "\xff", "", " spaced ", "'\r\n=", "a\r\nb\rc"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, id, email, hash string) {
		u := user.User{ID: id, Email: email, PasswordHash: hash, Roles: []user.Role{user.RoleViewer},
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
			var buf bytes.Buffer
			w, err := transfer.NewWriter(&buf, format, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(u); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if format == transfer.CSV {
				for _, row := range csvCells(t, buf.String()) {
					for _, c := range row {
						if startsFormula(c) {
							t.Errorf("CSV cell %q starts a formula", c)
						}
					}
				}
			}
			var got []user.ImportRecord
			err = transfer.Read(&buf, format, func(r user.ImportRecord) error {
				got = append(got, r)
				return nil
			})
			if err != nil {
				t.Fatalf("%s: Read of what Writer wrote: %v", format, err)
			}
			// Read trims id and hash, and JSON carries only valid UTF-8
			// (encoding/json writes U+FFFD for the rest); blank lines and
			// a blank CSV email make no record.
			// encoding/csv reads CR LF inside a quoted field as LF.
			wantEmail := email
			if format == transfer.CSV {
				wantEmail = strings.ReplaceAll(email, "\r\n", "\n")
			}
			if format == transfer.JSONL {
				wantEmail = strings.Map(func(r rune) rune { return r }, email) // U+FFFD for each bad byte
			}
			if len(got) != 1 {
				if format == transfer.CSV && len(got) == 0 {
					continue // every cell blank: a blank line
				}
				t.Fatalf("%s: read %d records; want 1", format, len(got))
			}
			r := got[0]
			if r.Err != nil {
				t.Fatalf("%s: read back with error %v", format, r.Err)
			}
			if r.Email != wantEmail {
				t.Errorf("%s: email read back as %q; want %q", format, r.Email, wantEmail)
			}
			if format == transfer.CSV {
				crlf := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
				if r.ID != crlf(id) || r.HashedPassword != crlf(hash) {
					t.Errorf("%s: id, hash read back as %q, %q; want %q, %q", format, r.ID, r.HashedPassword, id, hash)
				}
			}
		}
	})
}
