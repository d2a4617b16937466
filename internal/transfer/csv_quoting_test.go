package transfer

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVCellsMatchCSVWriterOnEveryShortString: the hand-written CSV
// encoder quotes and escapes every cell as csv.Writer writes
// EscapeFormula of it. Every string of up to three characters
// over the characters its rules look at is tried, as the first cell and
// as a later one, so that each rule meets each other at a cell's edges:
// the single characters that need quotes, a lone CR, "\." alone, leading
// white space of any kind, quotes to double, formula starts after quotes.
func TestCSVCellsMatchCSVWriterOnEveryShortString(t *testing.T) {
	alphabet := []string{",", `"`, "\r", "\n", " ", "\t", "\u00a0", `\`, ".", "'", "=", "-", "@", "+", "\x00", "a"}
	cells := []string{""}
	for n, prev := 0, []string{""}; n < 3; n++ {
		var next []string
		for _, p := range prev {
			for _, c := range alphabet {
				next = append(next, p+c)
			}
		}
		cells, prev = append(cells, next...), next
	}
	var want bytes.Buffer
	for _, cell := range cells {
		for _, record := range [][]string{{cell, "x"}, {"x", cell}} {
			want.Reset()
			cw := csv.NewWriter(&want)
			if err := cw.Write([]string{EscapeFormula(record[0]), EscapeFormula(record[1])}); err != nil {
				t.Fatal(err)
			}
			cw.Flush()
			got := appendCSVCell(nil, record[0])
			got = append(got, ',')
			got = append(appendCSVCell(got, record[1]), '\n')
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("cells %q encode as %q; want %q, as csv.Writer writes them", record, got, want.Bytes())
			}
			plain := append(append(appendCSVField(nil, record[0]), ','), append(appendCSVField(nil, record[1]), '\n')...)
			want.Reset()
			cw = csv.NewWriter(&want)
			if err := cw.Write(record); err != nil {
				t.Fatal(err)
			}
			cw.Flush()
			if !bytes.Equal(plain, want.Bytes()) {
				t.Fatalf("plain fields %q encode as %q; want %q, as csv.Writer writes it", record, plain, want.Bytes())
			}
		}
	}
}
