package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

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
	formatCSV   format = "csv"
)

// formatFlag adds --format to cmd and returns a function that validates it.
func formatFlag(cmd *cobra.Command) func() (format, error) {
	var value string
	cmd.Flags().StringVar(&value, "format", "table", "output format: table, json or csv")
	return func() (format, error) {
		switch f := format(strings.ToLower(value)); f {
		case formatTable, formatJSON, formatCSV:
			return f, nil
		}
		return "", usagef("invalid --format %q: want table, json or csv", value)
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
// JSON as one array written element by element, CSV and table row by row.
// Each format shows its list of transfer.Fields; JSON and CSV rows are
// appended into one reused buffer by transfer's fast encoders.
type userWriter struct {
	format   format
	w        io.Writer
	tab      *tabwriter.Writer
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
		uw.tab = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		headings := make([]string, len(transfer.TableFields))
		for i, field := range transfer.TableFields {
			headings[i] = strings.ToUpper(field.Label)
		}
		// A line of several cells is only buffered: what fails to be
		// written shows at the tabwriter's Flush, in Write or Close.
		fmt.Fprintln(uw.tab, strings.Join(headings, "\t")) //nolint:errcheck // see above
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
		_, err = fmt.Fprintln(uw.tab, strings.Join(cells, "\t"))
		// Flush in batches so a long table streams instead of waiting for
		// the widest row; columns stay aligned within each batch.
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
	default:
		if uw.n == 0 {
			_, err := io.WriteString(uw.w, "[]\n")
			return err
		}
		_, err := io.WriteString(uw.w, "\n]\n")
		return err
	}
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
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	now := time.Now()
	for _, field := range transfer.DetailFields {
		if _, err := fmt.Fprintf(tw, "%s:\t%s\n", field.Label, field.ForPeople(&u, now, fullTime)); err != nil {
			return err
		}
	}
	return tw.Flush()
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
