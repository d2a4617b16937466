package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// format is an output format chosen with --format.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatJSONL format = "jsonl" // JSON Lines: one object per line
	formatCSV   format = "csv"
)

// The formats a command offers: a report (for people, or one JSON
// document), one object, or a listing, which can also stream JSON Lines
// and CSV.
var (
	reportFormats  = []format{formatTable, formatJSON}
	objectFormats  = []format{formatTable, formatJSON, formatCSV}
	listingFormats = []format{formatTable, formatJSON, formatJSONL, formatCSV}
)

// formatFlag adds --format to cmd, offering formats (the first is the
// default) to the person and to shell completion, and returns a function
// that validates it.
func formatFlag(cmd *cobra.Command, formats []format) func() (format, error) {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	var value string
	cmd.Flags().StringVar(&value, "format", names[0], "output format: "+orList(names))
	completeValues(cmd, "format", names...)
	return func() (format, error) {
		f := format(strings.ToLower(value))
		if slices.Contains(formats, f) {
			return f, nil
		}
		return "", usagef("invalid --format %q: want %s", value, orList(names))
	}
}

// programTime formats t for programs: UTC RFC 3339 with milliseconds, the
// same text the database holds. The zero time is "".
func programTime(t time.Time) string { return user.FormatTime(t) }

// personTime formats t for people, in local time.
func personTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// stdoutIsTerminal reports whether stdout is a terminal.
func (a *app) stdoutIsTerminal() bool {
	f, ok := a.rawStdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// checkedWriter keeps the first error of the writes made through it. Every
// command prints through one, so that output lost on the way (a full disk,
// a closed pipe) turns an otherwise successful command into a failure
// instead of an exit 0 that nobody saw the result of.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// printf writes to c. It returns no error because c keeps the first one,
// and runWith fails the command with it when the command ends: a message
// about work already done cannot undo the work, only say it did not reach
// anyone.
func (c *checkedWriter) printf(format string, args ...any) {
	fmt.Fprintf(c, format, args...) //nolint:errcheck // kept in c.err and reported by runWith
}

// csvWriter writes CSV rows through a csv.Writer, each cell escaped against
// formulas (transfer.EscapeFormula, which import undoes) and, for a
// terminal, against escape sequences: CSV printed to a terminal is for
// reading; to a file or a pipe it stays exact data.
type csvWriter struct {
	cw       *csv.Writer
	terminal bool
}

func newCSVWriter(w io.Writer, terminal bool) *csvWriter {
	return &csvWriter{cw: csv.NewWriter(w), terminal: terminal}
}

// Write writes one row; an error is also reported by Flush.
func (c *csvWriter) Write(cells ...string) error {
	for i, cell := range cells {
		cells[i] = transfer.EscapeFormula(cell)
		if c.terminal {
			cells[i] = textsafe.Line(cells[i])
		}
	}
	return c.cw.Write(cells)
}

// Flush writes what is buffered and returns the first error of any write.
func (c *csvWriter) Flush() error {
	c.cw.Flush()
	return c.cw.Error()
}

// userWriter writes a stream of users in one format without holding them:
// JSON as one array written element by element, JSON Lines, CSV and table
// row by row. Each format shows its list of transfer.Fields; JSON and CSV
// rows are appended into one reused buffer by transfer's fast encoders.
type userWriter struct {
	format   format
	w        io.Writer
	tab      *table
	buf      []byte // the row being written, reused
	n        int
	now      time.Time // when "locked" is judged
	terminal bool      // CSV cells are made safe for a terminal
}

// newUserWriter returns a userWriter of f to w; terminal says that w is a
// terminal.
func newUserWriter(w io.Writer, f format, terminal bool) *userWriter {
	uw := &userWriter{format: f, w: w, now: time.Now(), terminal: terminal}
	switch f {
	case formatTable:
		headings := make([]string, len(transfer.TableFields))
		for i, field := range transfer.TableFields {
			headings[i] = strings.ToUpper(field.Label)
		}
		uw.tab = newTable(w, headings...)
	case formatCSV:
		uw.buf = transfer.AppendCSVHeader(uw.buf, transfer.CSVFields)
	}
	return uw
}

func (uw *userWriter) Write(u user.User) error {
	var err error
	switch uw.format {
	case formatTable:
		cells := make([]string, len(transfer.TableFields))
		for i, field := range transfer.TableFields {
			cells[i] = field.ForPeople(&u, uw.now, personTime)
		}
		uw.tab.Row(cells...)
		// Flush in batches so a long table streams instead of waiting for
		// the widest row; a column never narrows from one batch to the next.
		if uw.n%1000 == 999 {
			err = uw.tab.Flush()
		}
	case formatCSV:
		// The header is already in buf before the first row.
		if uw.n > 0 {
			uw.buf = uw.buf[:0]
		}
		uw.buf = transfer.AppendCSV(uw.buf, &u, transfer.CSVFields, uw.terminal)
		_, err = uw.w.Write(uw.buf)
	case formatJSONL:
		uw.buf = append(transfer.AppendJSON(uw.buf[:0], &u, transfer.JSONFields), '\n')
		_, err = uw.w.Write(uw.buf)
	case formatJSON:
		sep := ",\n"
		if uw.n == 0 {
			sep = "[\n"
		}
		uw.buf = transfer.AppendJSON(append(uw.buf[:0], sep...), &u, transfer.JSONFields)
		_, err = uw.w.Write(uw.buf)
	}
	uw.n++
	return err
}

func (uw *userWriter) Close() error {
	switch uw.format {
	case formatTable:
		return uw.tab.Flush()
	case formatCSV:
		if uw.n == 0 { // the header alone
			_, err := uw.w.Write(uw.buf)
			return err
		}
		return nil
	case formatJSONL:
		return nil // no users: no lines
	default:
		return closeJSONArray(uw.w, uw.n)
	}
}

// closeJSONArray ends a JSON array of n elements written one by one, each
// after "[\n" or ",\n".
func closeJSONArray(w io.Writer, n int) error {
	end := "\n]\n"
	if n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// writeUserDetails prints one user in full; terminal says that w is a
// terminal.
func writeUserDetails(w io.Writer, f format, u user.User, terminal bool) error {
	switch f {
	case formatJSON:
		return writeUserJSON(w, u, "")
	case formatCSV:
		uw := newUserWriter(w, f, terminal)
		if err := uw.Write(u); err != nil {
			return err
		}
		return uw.Close()
	}
	now := time.Now()
	tab := newTable(w)
	for _, field := range transfer.DetailFields {
		tab.Row(field.Label+":", field.ForPeople(&u, now, fullTime))
	}
	return tab.Flush()
}

// writeUserJSON prints u as indented JSON, with the password generated for
// it, if any, as one more key.
func writeUserJSON(w io.Writer, u user.User, generated string) error {
	b := transfer.AppendJSON(nil, &u, transfer.JSONFields)
	if generated != "" {
		pw, err := marshalJSON(generated)
		if err != nil {
			return err
		}
		b = append(append(append(b[:len(b)-1], `,"generated_password":`...), pw...), '}')
	}
	return writeIndented(w, b)
}

// fullTime shows t in local time and UTC, for details views.
func fullTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s (%s)", t.Local().Format("2006-01-02 15:04:05 MST"), programTime(t))
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return writeIndented(w, b)
}

// writeIndented prints the JSON value b indented, on lines of its own.
func writeIndented(w io.Writer, b []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// marshalJSON encodes v on one line without escaping <, > and &, which
// json.Marshal turns into \u003e and the like: nobody embeds this output in
// HTML, and people grep it. Characters a terminal would act on are escaped
// (transfer.EscapeInvisible).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return transfer.EscapeInvisible(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// table writes rows of cells in columns aligned for a terminal: each cell
// is padded by its width in terminal cells (ansi.StringWidth, as the TUI
// measures), so that CJK and emoji, two cells wide, keep the columns
// straight; text/tabwriter counts runes and bytes, and shifted every column
// after them. Cells must already be safe to show (textsafe.Line). Rows are
// held until Flush, which writes them; a column keeps, from one Flush to
// the next, the width it had grown to.
type table struct {
	w      io.Writer
	rows   [][]string
	widths []int
	buf    []byte
}

// newTable returns a table to w whose first row, when given, is headings.
func newTable(w io.Writer, headings ...string) *table {
	t := &table{w: w}
	if len(headings) > 0 {
		t.Row(headings...)
	}
	return t
}

// Row adds a row.
func (t *table) Row(cells ...string) {
	for i, c := range cells {
		if i == len(t.widths) {
			t.widths = append(t.widths, 0)
		}
		t.widths[i] = max(t.widths[i], ansi.StringWidth(c))
	}
	t.rows = append(t.rows, cells)
}

// tableGap is the space between two columns.
const tableGap = 2

// Flush writes the rows added since the last Flush: every cell but a row's
// last padded to its column's width and the gap.
func (t *table) Flush() error {
	b := t.buf[:0]
	for _, row := range t.rows {
		for i, c := range row {
			b = append(b, c...)
			if i < len(row)-1 {
				b = append(b, strings.Repeat(" ", t.widths[i]-ansi.StringWidth(c)+tableGap)...)
			}
		}
		b = append(b, '\n')
	}
	t.buf, t.rows = b, t.rows[:0]
	_, err := t.w.Write(b)
	return err
}

// plural is n and noun, in the plural unless n is 1: "1 user", "3 users".
// Every noun ctitui counts takes an s.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// personDuration writes d for people, in its two largest units: "3
// seconds", "15 minutes", "1 hour 5 minutes", rather than Go's "15m0s".
// It rounds to the second.
func personDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "less than a second"
	}
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if n := int(d / u.size); n > 0 || len(parts) > 0 {
			if n > 0 {
				parts = append(parts, plural(n, u.name))
			}
			d -= time.Duration(n) * u.size
			if len(parts) == 2 || (len(parts) == 1 && n == 0) {
				break
			}
		}
	}
	return strings.Join(parts, " ")
}

// versionList writes migration versions as people list them: "8, 9 and 10".
func versionList(versions []int64) string {
	words := make([]string, len(versions))
	for i, v := range versions {
		words[i] = fmt.Sprint(v)
	}
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
