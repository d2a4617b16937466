package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

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

// userJSON is a user as scripts see it. It never carries the password hash.
type userJSON struct {
	ID           string   `json:"id"`
	Email        string   `json:"email"`
	Roles        []string `json:"roles"`
	Disabled     bool     `json:"disabled"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
	LastLoginAt  *string  `json:"last_login_at"`
	DisabledAt   *string  `json:"disabled_at"`
	FailedLogins int      `json:"failed_logins"`
	LockedUntil  *string  `json:"locked_until"`
}

func toJSON(u user.User) userJSON {
	j := userJSON{
		ID: u.ID, Email: u.Email, Roles: make([]string, len(u.Roles)), Disabled: u.Disabled(),
		CreatedAt: programTime(u.CreatedAt), UpdatedAt: programTime(u.UpdatedAt),
	}
	for i, r := range u.Roles {
		j.Roles[i] = string(r)
	}
	if !u.LastLoginAt.IsZero() {
		s := programTime(u.LastLoginAt)
		j.LastLoginAt = &s
	}
	if !u.DisabledAt.IsZero() {
		s := programTime(u.DisabledAt)
		j.DisabledAt = &s
	}
	j.FailedLogins = u.FailedLogins
	if !u.LockedUntil.IsZero() {
		s := programTime(u.LockedUntil)
		j.LockedUntil = &s
	}
	return j
}

var csvHeader = []string{"id", "email", "roles", "disabled", "created_at", "updated_at", "last_login_at"}

// userCells are the cells of u's CSV row, as they are.
func userCells(u user.User) []string {
	return []string{u.ID, u.Email, user.JoinRoles(u.Roles), fmt.Sprint(u.Disabled()),
		programTime(u.CreatedAt), programTime(u.UpdatedAt), programTime(u.LastLoginAt)}
}

// csvRecord is u as a CSV row, each cell escaped so that a spreadsheet does
// not run it as a formula (transfer.EscapeFormula; import undoes it).
func csvRecord(u user.User) []string { return csvCells(userCells(u)...) }

// csvCells escapes each cell as transfer.EscapeFormula does, in place. An
// escaped cell must not be escaped again: the escape adds a quote each time.
func csvCells(cells ...string) []string {
	for i, c := range cells {
		cells[i] = transfer.EscapeFormula(c)
	}
	return cells
}

// terminalCells makes each cell safe to show on a terminal, in place: CSV
// printed to a terminal is for reading, and must not carry escape
// sequences; to a file or a pipe it stays exact data.
func terminalCells(cells []string) []string {
	for i, c := range cells {
		cells[i] = textsafe.Line(c)
	}
	return cells
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

// csvWriter writes CSV rows through a csv.Writer, each cell escaped against
// formulas and, for a terminal, against escape sequences.
type csvWriter struct {
	cw       *csv.Writer
	terminal bool
}

func newCSVWriter(w io.Writer, terminal bool) *csvWriter {
	return &csvWriter{cw: csv.NewWriter(w), terminal: terminal}
}

// Write writes one row; an error is also reported by Flush.
func (c *csvWriter) Write(cells ...string) error {
	cells = csvCells(cells...)
	if c.terminal {
		cells = terminalCells(cells)
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
// JSON and CSV rows are appended by hand into one reused buffer: a listing
// of a million users spent a third of its time in encoding/json, fmt and
// csv.Writer, allocating for every row. appendUserJSON and appendUserCSV
// write the bytes those did (output_test.go holds them to it).
type userWriter struct {
	format   format
	w        io.Writer
	tab      *tabwriter.Writer
	buf      []byte // the row being written, reused
	n        int
	now      time.Time // when "locked" is judged
	terminal bool      // CSV cells are made safe for a terminal (terminalCells)
}

// newUserWriter returns a userWriter of f to w; terminal says that w is a
// terminal.
func newUserWriter(w io.Writer, f format, terminal bool) *userWriter {
	uw := &userWriter{format: f, w: w, now: time.Now(), terminal: terminal}
	switch f {
	case formatTable:
		uw.tab = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(uw.tab, "EMAIL\tROLES\tSTATUS\tCREATED\tUPDATED")
	case formatCSV:
		uw.buf = appendCSVRecord(uw.buf, csvHeader...)
	}
	return uw
}

func (uw *userWriter) Write(u user.User) error {
	var err error
	switch uw.format {
	case formatTable:
		_, err = fmt.Fprintf(uw.tab, "%s\t%s\t%s\t%s\t%s\n", textsafe.Line(u.Email), textsafe.Line(user.JoinRoles(u.Roles)),
			u.Status(uw.now), personTime(u.CreatedAt), personTime(u.UpdatedAt))
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
		if uw.terminal {
			uw.buf = appendCSVRecord(uw.buf, terminalCells(csvRecord(u))...)
		} else {
			uw.buf = appendUserCSV(uw.buf, u)
		}
		_, err = uw.w.Write(uw.buf)
	case formatJSON:
		sep := ",\n"
		if uw.n == 0 {
			sep = "[\n"
		}
		uw.buf = appendUserJSON(append(uw.buf[:0], sep...), u)
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

// appendUserJSON appends u as marshalJSON(toJSON(u)) encodes it.
func appendUserJSON(b []byte, u user.User) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"roles":[`...)
	for i, r := range u.Roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, string(r))
	}
	b = append(b, `],"disabled":`...)
	b = strconv.AppendBool(b, u.Disabled())
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, u.CreatedAt, false)
	b = append(b, `,"updated_at":`...)
	b = appendJSONTime(b, u.UpdatedAt, false)
	b = append(b, `,"last_login_at":`...)
	b = appendJSONTime(b, u.LastLoginAt, true)
	b = append(b, `,"disabled_at":`...)
	b = appendJSONTime(b, u.DisabledAt, true)
	b = append(b, `,"failed_logins":`...)
	b = strconv.AppendInt(b, int64(u.FailedLogins), 10)
	b = append(b, `,"locked_until":`...)
	b = appendJSONTime(b, u.LockedUntil, true)
	return append(b, '}')
}

// appendJSONTime appends t as programTime writes it, quoted, or null for the
// zero time when nullable. The text is digits and -T:.Z, which JSON takes as
// they are.
func appendJSONTime(b []byte, t time.Time, nullable bool) []byte {
	if nullable && t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = user.AppendTime(b, t)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as marshalJSON writes it: encoding/json's
// escapes without the HTML ones (\", \\, \b, \f, \n, \r, \t, \u00XX for
// other controls, \ufffd for invalid UTF-8, \u2028 and \u2029), then
// escapeInvisible's \uXXXX for DEL, C1 controls and format characters.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other controls, and DEL, which escapeInvisible escapes
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029' || invisible(r):
			b = append(b, s[start:i]...)
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				b = appendUnicodeEscape(appendUnicodeEscape(b, hi), lo)
			} else {
				b = appendUnicodeEscape(b, r)
			}
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendUnicodeEscape appends \uXXXX for r, which is at most 0xffff.
func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendUserCSV appends u as csv.Writer writes csvRecord(u).
func appendUserCSV(b []byte, u user.User) []byte {
	b = appendCSVCell(b, u.ID)
	b = append(b, ',')
	b = appendCSVCell(b, u.Email)
	b = append(b, ',')
	// Roles are joined with commas, so two or more are always quoted; the
	// common case of one plain role needs no joined copy.
	switch len(u.Roles) {
	case 0:
	case 1:
		b = appendCSVCell(b, string(u.Roles[0]))
	default:
		b = appendCSVCell(b, user.JoinRoles(u.Roles))
	}
	b = append(b, ',')
	b = strconv.AppendBool(b, u.Disabled())
	b = append(b, ',')
	b = appendCSVTime(b, u.CreatedAt)
	b = append(b, ',')
	b = appendCSVTime(b, u.UpdatedAt)
	b = append(b, ',')
	b = appendCSVTime(b, u.LastLoginAt)
	return append(b, '\n')
}

// appendCSVTime appends t as csv.Writer writes
// transfer.EscapeFormula(programTime(t)). Times are digits and -T:.Z,
// which CSV never quotes; only a year before 1 starts with a minus, which
// a spreadsheet would compute with, so it gets the leading quote.
func appendCSVTime(b []byte, t time.Time) []byte {
	start := len(b)
	b = user.AppendTime(b, t)
	if len(b) > start && b[start] == '-' {
		b = append(b, 0)
		copy(b[start+1:], b[start:])
		b[start] = '\''
	}
	return b
}

// appendCSVCell appends f as csv.Writer writes transfer.EscapeFormula(f):
// with a leading quote when a spreadsheet would run it as a formula.
func appendCSVCell(b []byte, f string) []byte {
	if !transfer.NeedsFormulaEscape(f) {
		return appendCSVField(b, f)
	}
	// With the quote in front, the field starts with neither white space
	// nor \. : it is quoted exactly when it holds a comma, quote, CR or LF.
	if !strings.ContainsAny(f, ",\"\r\n") {
		b = append(b, '\'')
		return append(b, f...)
	}
	b = append(b, '"', '\'')
	return appendQuotedBody(b, f)
}

// appendCSVRecord appends fields as one line, as csv.Writer writes them.
func appendCSVRecord(b []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	return append(b, '\n')
}

// appendCSVField appends f as csv.Writer (comma, no CRLF) writes it: quoted,
// with quotes doubled, when it holds a comma, quote, CR or LF, starts with
// white space or is \. alone.
func appendCSVField(b []byte, f string) []byte {
	if !csvNeedsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	return appendQuotedBody(b, f)
}

// appendQuotedBody appends f with its quotes doubled, and the closing quote.
func appendQuotedBody(b []byte, f string) []byte {
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

// csvNeedsQuotes is csv.Writer's fieldNeedsQuotes for a comma separator.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// writeUserDetails prints one user in full; terminal says that w is a
// terminal.
func writeUserDetails(w io.Writer, f format, u user.User, terminal bool) error {
	switch f {
	case formatJSON:
		return writeJSON(w, toJSON(u))
	case formatCSV:
		cw := newCSVWriter(w, terminal)
		cw.Write(csvHeader...)    //nolint:errcheck // reported by Flush
		cw.Write(userCells(u)...) //nolint:errcheck // reported by Flush
		return cw.Flush()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"id", textsafe.Line(u.ID)},
		{"email", textsafe.Line(u.Email)},
		{"roles", textsafe.Line(user.JoinRoles(u.Roles))},
		{"status", u.Status(time.Now())},
		{"failed logins", fmt.Sprint(u.FailedLogins)},
		{"locked until", lockedUntil(u)},
		{"created", fullTime(u.CreatedAt)},
		{"updated", fullTime(u.UpdatedAt)},
		{"disabled", fullTime(u.DisabledAt)},
		{"last login", fullTime(u.LastLoginAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// lockedUntil says when u's lock ends: a time, or never by itself.
func lockedUntil(u user.User) string {
	if u.NeedsAdminUnlock() {
		return "until an admin unlocks it ('ctitui user unlock')"
	}
	return fullTime(u.LockedUntil)
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
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeInvisible(b.Bytes()))
	return err
}

// marshalJSON encodes v on one line without escaping <, > and &, which
// json.Marshal turns into \u003e and the like: nobody embeds this output in
// HTML, and people grep it.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeInvisible(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// escapeInvisible rewrites, in encoded JSON, the characters encoding/json
// leaves raw that a terminal acts on or hides: C1 controls such as U+009B
// (a CSI) and format characters such as U+202E. They can only stand inside
// strings, where \uXXXX means the same character, so the JSON is unchanged
// for a program and harmless on a screen.
func escapeInvisible(b []byte) []byte {
	if !bytes.ContainsFunc(b, invisible) {
		return b
	}
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if invisible(r) {
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&out, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(&out, `\u%04x`, r)
			}
		} else {
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

func invisible(r rune) bool {
	return r >= 0x7f && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
}
