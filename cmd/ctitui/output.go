package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ctitui/ctitui/internal/textsafe"
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

func csvRecord(u user.User) []string {
	return []string{u.ID, u.Email, user.JoinRoles(u.Roles), fmt.Sprint(u.Disabled()),
		programTime(u.CreatedAt), programTime(u.UpdatedAt), programTime(u.LastLoginAt)}
}

// userWriter writes a stream of users in one format without holding them:
// JSON as one array written element by element, CSV and table row by row.
type userWriter struct {
	format format
	w      io.Writer
	tab    *tabwriter.Writer
	csv    *csv.Writer
	n      int
	now    time.Time // when "locked" is judged
}

func newUserWriter(w io.Writer, f format) *userWriter {
	uw := &userWriter{format: f, w: w, now: time.Now()}
	switch f {
	case formatTable:
		uw.tab = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(uw.tab, "EMAIL\tROLES\tSTATUS\tCREATED\tUPDATED")
	case formatCSV:
		uw.csv = csv.NewWriter(w)
		uw.csv.Write(csvHeader) //nolint:errcheck // reported by Flush
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
		err = uw.csv.Write(csvRecord(u))
	case formatJSON:
		sep := ",\n"
		if uw.n == 0 {
			sep = "[\n"
		}
		var b []byte
		if b, err = marshalJSON(toJSON(u)); err == nil {
			_, err = fmt.Fprintf(uw.w, "%s%s", sep, b)
		}
	}
	uw.n++
	return err
}

func (uw *userWriter) Close() error {
	switch uw.format {
	case formatTable:
		return uw.tab.Flush()
	case formatCSV:
		uw.csv.Flush()
		return uw.csv.Error()
	default:
		if uw.n == 0 {
			_, err := io.WriteString(uw.w, "[]\n")
			return err
		}
		_, err := io.WriteString(uw.w, "\n]\n")
		return err
	}
}

// writeUserDetails prints one user in full.
func writeUserDetails(w io.Writer, f format, u user.User) error {
	switch f {
	case formatJSON:
		return writeJSON(w, toJSON(u))
	case formatCSV:
		cw := csv.NewWriter(w)
		cw.Write(csvHeader)    //nolint:errcheck // reported by Flush
		cw.Write(csvRecord(u)) //nolint:errcheck // reported by Flush
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"id", textsafe.Line(u.ID)},
		{"email", textsafe.Line(u.Email)},
		{"roles", textsafe.Line(user.JoinRoles(u.Roles))},
		{"status", u.Status(time.Now())},
		{"failed logins", fmt.Sprint(u.FailedLogins)},
		{"locked until", fullTime(u.LockedUntil)},
		{"created", fullTime(u.CreatedAt)},
		{"updated", fullTime(u.UpdatedAt)},
		{"disabled", fullTime(u.DisabledAt)},
		{"last login", fullTime(u.LastLoginAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
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
