// Package transfer reads and writes the files that move users between
// ctitui databases: CSV with a header row, and JSON Lines. Reading is
// streaming and strict: an unknown column or field is an error, so that a
// typo such as "pasword" is not silently dropped.
package transfer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// Format is a file format.
type Format string

// The formats ctitui reads and writes.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// ParseFormat returns the format named by name, or, when name is empty, the
// one the file name's extension suggests (CSV otherwise).
func ParseFormat(name, file string) (Format, error) {
	switch strings.ToLower(name) {
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson":
		return JSONL, nil
	case "":
		switch strings.ToLower(filepath.Ext(file)) {
		case ".jsonl", ".ndjson", ".json":
			return JSONL, nil
		}
		return CSV, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv or jsonl", name)
}

// Columns are the fields of a record, in the order export writes them.
var Columns = []string{"id", "email", "roles", "disabled", "disabled_at", "created_at", "updated_at", "last_login_at", "hashed_password", "password"}

// maxLine bounds one record: no valid record comes near it, and a file
// without line breaks must not be read into memory whole.
const maxLine = 1 << 20

// Read parses r in format f and calls fn with each record in order.
// Problems with one record are reported in its Err field and reading goes
// on, so that every bad line can be listed; a problem with the file as a
// whole (an unreadable header, an I/O error) ends reading with an error.
func Read(r io.Reader, f Format, fn func(user.ImportRecord) error) error {
	if f == JSONL {
		return readJSONL(r, fn)
	}
	return readCSV(r, fn)
}

func readCSV(r io.Reader, fn func(user.ImportRecord) error) error {
	br := bufio.NewReader(r)
	// A byte-order mark (spreadsheets write one) is not part of the header;
	// left in, it would break a quoted first column.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3) //nolint:errcheck // the bytes were just peeked
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty: want a header row such as email,roles,password")
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	index := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		if !known(name) {
			return fmt.Errorf("header: unknown column %q (known: %s)", name, strings.Join(Columns, ", "))
		}
		if _, dup := index[name]; dup {
			return fmt.Errorf("header: column %q appears twice", name)
		}
		index[name] = i
	}
	if _, ok := index["email"]; !ok {
		return errors.New("header: no email column")
	}
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			// The reader resynchronises at the next line.
			if err := fn(user.ImportRecord{Line: parseErr.StartLine, Err: fmt.Errorf("malformed CSV: %v", parseErr.Err)}); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := index[name]; ok && i < len(fields) {
				return fields[i]
			}
			return ""
		}
		rec := user.ImportRecord{Line: line}
		if len(fields) != len(header) {
			rec.Err = fmt.Errorf("%d fields, the header has %d", len(fields), len(header))
		} else {
			rec.Err = fill(&rec, get)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

func known(name string) bool {
	for _, c := range Columns {
		if c == name {
			return true
		}
	}
	return false
}

// fill sets rec's fields from the text values get returns.
func fill(rec *user.ImportRecord, get func(string) string) error {
	rec.ID = strings.TrimSpace(get("id"))
	rec.Email = get("email")
	rec.Roles = user.SplitRoles(get("roles"))
	rec.Password = get("password")
	rec.HashedPassword = strings.TrimSpace(get("hashed_password"))
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"created_at", &rec.CreatedAt}, {"updated_at", &rec.UpdatedAt}, {"disabled_at", &rec.DisabledAt}, {"last_login_at", &rec.LastLoginAt}} {
		t, err := parseTime(get(f.name))
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = t
	}
	switch d := strings.ToLower(strings.TrimSpace(get("disabled"))); d {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		rec.Disabled = true
	default:
		return fmt.Errorf("disabled: %q is not true or false", d)
	}
	return nil
}

// parseTime reads an RFC 3339 time, as export writes them; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-02T15:04:05.000Z", s)
	}
	return t.UTC(), nil
}

// jsonRecord is a JSON Lines record. Roles may be an array or a string.
type jsonRecord struct {
	ID             string          `json:"id"`
	Email          string          `json:"email"`
	Roles          json.RawMessage `json:"roles"`
	Disabled       *bool           `json:"disabled"`
	DisabledAt     *string         `json:"disabled_at"`
	CreatedAt      *string         `json:"created_at"`
	UpdatedAt      *string         `json:"updated_at"`
	LastLoginAt    *string         `json:"last_login_at"`
	HashedPassword string          `json:"hashed_password"`
	Password       string          `json:"password"`
}

func readJSONL(r io.Reader, fn func(user.ImportRecord) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		rec := user.ImportRecord{Line: line}
		rec.Err = decodeJSONRecord(text, &rec)
		if err := fn(rec); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("line %d: longer than %d bytes", line+1, maxLine)
	}
	return sc.Err()
}

func decodeJSONRecord(text []byte, rec *user.ImportRecord) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var j jsonRecord
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if rest := bytes.TrimSpace(text[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("malformed JSON: more than one value on the line")
	}
	values := map[string]string{"id": j.ID, "email": j.Email, "password": j.Password, "hashed_password": j.HashedPassword}
	for name, p := range map[string]*string{"created_at": j.CreatedAt, "updated_at": j.UpdatedAt, "disabled_at": j.DisabledAt, "last_login_at": j.LastLoginAt} {
		if p != nil {
			values[name] = *p
		}
	}
	if j.Disabled != nil && *j.Disabled {
		values["disabled"] = "true"
	}
	if err := fill(rec, func(name string) string { return values[name] }); err != nil {
		return err
	}
	if len(j.Roles) > 0 && string(j.Roles) != "null" {
		var list []string
		var cell string
		switch {
		case json.Unmarshal(j.Roles, &list) == nil:
			rec.Roles = list
		case json.Unmarshal(j.Roles, &cell) == nil:
			rec.Roles = user.SplitRoles(cell)
		default:
			return errors.New("roles: want an array of names or a string such as \"admin,analyst\"")
		}
	}
	return nil
}

// Writer writes users in one format, streaming.
type Writer struct {
	format Format
	hashes bool
	w      io.Writer
	csv    *csv.Writer
	enc    *json.Encoder
}

// NewWriter returns a Writer of f to w. With hashes, records carry the
// stored password hash, so that an import gives the same working passwords.
func NewWriter(w io.Writer, f Format, hashes bool) (*Writer, error) {
	wr := &Writer{format: f, hashes: hashes, w: w}
	if f == JSONL {
		wr.enc = json.NewEncoder(w)
		wr.enc.SetEscapeHTML(false)
		return wr, nil
	}
	wr.csv = csv.NewWriter(w)
	return wr, wr.csv.Write(wr.columns())
}

func (wr *Writer) columns() []string {
	cols := Columns[:8]
	if wr.hashes {
		cols = Columns[:9]
	}
	return cols
}

// Write writes u.
func (wr *Writer) Write(u user.User) error {
	if wr.format == JSONL {
		j := map[string]any{
			"id": u.ID, "email": u.Email, "roles": roleNames(u.Roles), "disabled": u.Disabled(),
			"disabled_at": nullTime(u.DisabledAt), "created_at": user.FormatTime(u.CreatedAt),
			"updated_at": user.FormatTime(u.UpdatedAt), "last_login_at": nullTime(u.LastLoginAt),
		}
		if wr.hashes {
			j["hashed_password"] = u.PasswordHash
		}
		return wr.enc.Encode(j)
	}
	rec := []string{u.ID, u.Email, user.JoinRoles(u.Roles), fmt.Sprint(u.Disabled()), user.FormatTime(u.DisabledAt),
		user.FormatTime(u.CreatedAt), user.FormatTime(u.UpdatedAt), user.FormatTime(u.LastLoginAt)}
	if wr.hashes {
		rec = append(rec, u.PasswordHash)
	}
	return wr.csv.Write(rec)
}

// Close flushes what is buffered.
func (wr *Writer) Close() error {
	if wr.csv != nil {
		wr.csv.Flush()
		return wr.csv.Error()
	}
	return nil
}

func roleNames(roles []user.Role) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return names
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return user.FormatTime(t)
}
