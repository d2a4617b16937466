package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// rawCells splits CSV text into cells as a spreadsheet sees them: quoting
// undone, nothing else.
func rawCells(t *testing.T, text string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV %q does not parse: %v", text, err)
	}
	return rows
}

// formulaCell reports whether a spreadsheet would run cell as a formula.
func formulaCell(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r\x00", rune(cell[0]))
}

// terminalUnsafe reports whether s holds a byte a terminal acts on: a C0
// control other than the line break, DEL, or a C1 control.
func terminalUnsafe(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || r == '\u202e' || r == '\u2028' {
			return true
		}
	}
	return false
}

// checkListingCSV checks CSV output written for a file or a pipe: no cell
// runs as a formula, and every cell reads back as exactly the value once
// the escape is undone.
func checkListingCSV(t *testing.T, name, out string, want [][]string) {
	t.Helper()
	rows := rawCells(t, out)
	if len(rows) != len(want) {
		t.Fatalf("%s: %d rows; want %d", name, len(rows), len(want))
	}
	for i, row := range rows {
		for j, cell := range row {
			if formulaCell(cell) {
				t.Errorf("%s: row %d cell %d %q runs as a formula", name, i, j, cell)
			}
			// encoding/csv reads CR LF inside a quoted field as LF.
			if got := transfer.UnescapeFormula(cell); got != strings.ReplaceAll(want[i][j], "\r\n", "\n") {
				t.Errorf("%s: row %d cell %d reads back as %q; want %q", name, i, j, got, want[i][j])
			}
		}
	}
}

// user list, user show and audit list write CSV that no spreadsheet runs,
// and that is exact data once import's rule undoes the escape.
func TestListingCSVNeutralisesFormulas(t *testing.T) {
	users := sampleUsers()
	want := [][]string{fieldNames(transfer.CSVFields)}
	for _, u := range users {
		want = append(want, textCells(u, transfer.CSVFields))
	}
	checkListingCSV(t, "user list", writeUsers(t, formatCSV, users), want)

	for _, u := range users[len(users)-8:] {
		var out bytes.Buffer
		if err := writeUserDetails(&out, formatCSV, u, false); err != nil {
			t.Fatal(err)
		}
		checkListingCSV(t, "user show", out.String(), [][]string{fieldNames(transfer.CSVFields), textCells(u, transfer.CSVFields)})
	}

	var out bytes.Buffer
	cw := newCSVWriter(&out, false)
	var wantAudit [][]string
	for _, s := range hostileStrings {
		row := []string{"1", "2026-01-02T03:04:05.000Z", s, "import", s, s, "updated by import: " + s}
		wantAudit = append(wantAudit, append([]string(nil), row...))
		if err := cw.Write(row...); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	checkListingCSV(t, "audit list", out.String(), wantAudit)
}

// On a terminal, CSV is for reading: no escape sequence or other control
// character reaches the screen, and formulas are still escaped.
func TestListingCSVOnATerminal(t *testing.T) {
	users := sampleUsers()
	var out bytes.Buffer
	w := newUserWriter(&out, formatCSV, true)
	for _, u := range users {
		if err := w.Write(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := writeUserDetails(&out, formatCSV, u, true); err != nil {
			t.Fatal(err)
		}
	}
	cw := newCSVWriter(&out, true)
	for _, s := range hostileStrings {
		cw.Write("1", "2026-01-02T03:04:05.000Z", s, "import", s, s, s) // an error shows at Flush
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if terminalUnsafe(text) {
		t.Errorf("CSV for a terminal holds control characters:\n%q", text)
	}
	for _, row := range rawCells(t, text) {
		for _, cell := range row {
			if formulaCell(cell) {
				t.Errorf("CSV cell %q for a terminal runs as a formula", cell)
			}
		}
	}
	if !strings.Contains(text, `\x1b[2J`) {
		t.Errorf("CSV for a terminal does not show the escape sequence as text:\n%s", text)
	}
}

// AppendCSV escapes exactly the times a spreadsheet would compute.
func TestAppendCSVTime(t *testing.T) {
	created := fieldsNamed(t, "created_at")
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), "2026-01-02T03:04:05.006Z"},
		{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "'-0001-01-01T00:00:00.000Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "10000-01-01T00:00:00.000Z"},
	} {
		if got := string(transfer.AppendCSV([]byte("x,"), &user.User{CreatedAt: tt.t}, created, false)); got != "x,"+tt.want+"\n" {
			t.Errorf("AppendCSV(created_at %v) = %q; want %q", tt.t, got, "x,"+tt.want+"\n")
		}
	}
}

var _ = user.User{}
