// Package transfer reads and writes the files that move users between
// ctitui databases: CSV with a header row, and JSON Lines. Reading is
// streaming and strict: an unknown column or field is an error, so that a
// typo such as "pasword" is not silently dropped; a JSON key must be a
// column name exactly, once, in valid Unicode, so that no other reader of
// the line sees another record; and no record may take more than 1 MiB of
// the file, so that a hostile file cannot exhaust memory. CSV cells that a
// spreadsheet would run as a formula are written with a leading quote, which
// reading takes off again (see EscapeFormula).
//
// It also describes, once, the fields of a user that every output shows
// (Fields, for 'user list', 'user show' and export alike), and holds the
// fast encoders that write them (AppendJSON, AppendCSV).
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
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/textsafe"
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
// one the file name's extension suggests (CSV otherwise). "json" names JSON
// Lines, as a .json file is read: one object per line, which JSON tools
// such as jq read as a stream, and which needs no array held open.
func ParseFormat(name, file string) (Format, error) {
	switch strings.ToLower(name) {
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson", "json":
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

// maxRecord bounds one record, in bytes of the file: no valid record comes
// near it, and a file without line breaks (or with a quoted field that
// never ends) must not be read into memory whole.
const maxRecord = 1 << 20

// ErrRecordTooLong reports a record longer than the limit; Read stops there.
var ErrRecordTooLong = fmt.Errorf("longer than %d bytes", maxRecord)

// Read parses r in format f and calls fn with each record in order.
// Problems with one record are reported in its Err field and reading goes
// on, so that every bad line can be listed; a problem with the file as a
// whole (an unreadable header, a record over 1 MiB, an I/O error) ends
// reading with an error.
func Read(r io.Reader, f Format, fn func(user.ImportRecord) error) error {
	if f == JSONL {
		return readJSONL(r, fn)
	}
	return readCSV(r, fn)
}

// bufSize is the size of the buffer between the file and csv.Reader: what
// the reader may have read ahead of the record it is parsing.
const bufSize = 4096

// recordLimit stops delivering bytes to a csv.Reader once it has been
// given more than maxRecord bytes past the start of the record it is
// reading (plus what its buffer holds ahead). csv.Reader gathers a record
// line by line, a quoted field across any number of lines, into memory;
// this is what bounds that memory.
type recordLimit struct {
	r     io.Reader
	read  int64 // bytes delivered
	limit int64
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.read >= l.limit {
		return 0, ErrRecordTooLong
	}
	if rest := l.limit - l.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// startRecord allows the next record, starting at offset, its bytes.
func (l *recordLimit) startRecord(offset int64) { l.limit = offset + maxRecord + bufSize }

func readCSV(r io.Reader, fn func(user.ImportRecord) error) error {
	lim := &recordLimit{r: r}
	lim.startRecord(0)
	br := bufio.NewReaderSize(lim, bufSize) // csv.Reader reads through it, not through a buffer of its own
	// A byte-order mark (spreadsheets write one) is not part of the header;
	// left in, it would break a quoted first column.
	var base int64
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3) //nolint:errcheck // the bytes were just peeked
		base = 3
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	// read reads one record, and fails reading as a whole on one that is
	// too long, naming the line where it starts.
	prevLine := 0
	read := func() ([]string, error) {
		start := cr.InputOffset()
		lim.startRecord(base + start)
		fields, err := cr.Read()
		if errors.Is(err, ErrRecordTooLong) || (err == nil && cr.InputOffset()-start > maxRecord) {
			line := prevLine + 1
			if len(fields) > 0 {
				line, _ = cr.FieldPos(0)
			}
			return nil, fmt.Errorf("line %d: a record %w; is this a CSV file?", line, ErrRecordTooLong)
		}
		if err == nil {
			prevLine, _ = cr.FieldPos(0)
		}
		return fields, err
	}
	header, err := read()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty: want a header row such as email,roles,password")
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	index := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		if _, known := user.FieldNamed(name); !known {
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
	width := len(header)
	for {
		fields, err := read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			// The reader resynchronises at the next line.
			if err := fn(user.ImportRecord{Line: parseErr.StartLine, Err: fmt.Errorf("malformed CSV: %w", parseErr.Err)}); err != nil {
				return err
			}
			prevLine = parseErr.Line
			continue
		}
		if err != nil {
			return err
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) (string, bool) {
			if i, ok := index[name]; ok && i < len(fields) {
				return UnescapeFormula(fields[i]), true
			}
			return "", false
		}
		rec := user.ImportRecord{Line: line}
		if len(fields) != width {
			rec.Err = fmt.Errorf("%d fields, the header has %d", len(fields), width)
		} else {
			rec.Err = fill(&rec, get)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// fill sets rec's fields, and rec.Given, from the text values get returns
// (ok when the file has the field at all). An empty value gives nothing.
func fill(rec *user.ImportRecord, get func(string) (string, bool)) error {
	value := func(name string, trim bool) string {
		v, ok := get(name)
		if trim {
			v = strings.TrimSpace(v)
		}
		if ok && v != "" {
			f, _ := user.FieldNamed(name)
			rec.Given |= f
		}
		return v
	}
	rec.ID = value("id", true)
	rec.Email = value("email", false)
	rec.Roles = user.SplitRoles(value("roles", false))
	if len(rec.Roles) == 0 {
		rec.Given &^= user.FieldRoles // "," or " ": no role named
	}
	rec.Password = value("password", false)
	rec.HashedPassword = value("hashed_password", true)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"created_at", &rec.CreatedAt}, {"updated_at", &rec.UpdatedAt}, {"disabled_at", &rec.DisabledAt}, {"last_login_at", &rec.LastLoginAt}} {
		t, err := parseTime(value(f.name, true))
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = t
	}
	switch d := strings.ToLower(value("disabled", true)); d {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		rec.Disabled = true
	default:
		return fmt.Errorf("disabled: %q is not true or false", d)
	}
	if rec.Has(user.FieldDisabled|user.FieldDisabledAt) && !rec.Disabled {
		return errors.New("disabled is false but disabled_at is set")
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

func readJSONL(r io.Reader, fn func(user.ImportRecord) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxRecord)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			// A byte-order mark, as some editors write one, is not part of
			// the first record.
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		text = bytes.TrimSpace(text)
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
		return fmt.Errorf("line %d: a record %w", line+1, ErrRecordTooLong)
	}
	return sc.Err()
}

// jsonRecord is a JSON Lines record. A nil pointer is a field that is
// absent or null.
type jsonRecord struct {
	ID             *string         `json:"id"`
	Email          *string         `json:"email"`
	Roles          json.RawMessage `json:"roles"` // an array or a string
	Disabled       *bool           `json:"disabled"`
	DisabledAt     *string         `json:"disabled_at"`
	CreatedAt      *string         `json:"created_at"`
	UpdatedAt      *string         `json:"updated_at"`
	LastLoginAt    *string         `json:"last_login_at"`
	HashedPassword *string         `json:"hashed_password"`
	Password       *string         `json:"password"`
}

// decodeJSONRecord reads one JSON object into rec. It is stricter than
// encoding/json, which matches keys without regard to case, keeps the last
// of two equal keys and turns invalid UTF-8 and lone surrogates into U+FFFD:
// each of those lets two readers see two different records in one line. So
// every key must be a column name exactly, at most once, and the text valid
// Unicode.
func decodeJSONRecord(text []byte, rec *user.ImportRecord) error {
	if !utf8.Valid(text) {
		return errors.New("malformed JSON: the line is not valid UTF-8")
	}
	if err := checkSurrogates(text); err != nil {
		return err
	}
	if text[0] != '{' {
		return errors.New("malformed JSON: want an object such as {\"email\": \"alice@example.org\"}")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var j jsonRecord
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if rest := bytes.TrimSpace(text[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("malformed JSON: more than one value on the line")
	}
	// The line is one valid object: its keys can be read off it.
	var seen user.Field
	for key := range objectKeys(text) {
		f, known := fieldOf(key)
		if !known {
			return fmt.Errorf("malformed JSON: unknown field %q (known, in lower case: %s)", key, strings.Join(Columns, ", "))
		}
		if seen&f != 0 {
			return fmt.Errorf("malformed JSON: field %q appears twice", key)
		}
		seen |= f
	}
	values := map[string]string{}
	for name, p := range map[string]*string{"id": j.ID, "email": j.Email, "password": j.Password, "hashed_password": j.HashedPassword,
		"created_at": j.CreatedAt, "updated_at": j.UpdatedAt, "disabled_at": j.DisabledAt, "last_login_at": j.LastLoginAt} {
		if p != nil {
			values[name] = *p
		}
	}
	if j.Disabled != nil {
		values["disabled"] = strconv.FormatBool(*j.Disabled)
	}
	if err := fill(rec, func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	}); err != nil {
		return err
	}
	roles, err := jsonRoles(j.Roles)
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		rec.Roles = roles
		rec.Given |= user.FieldRoles
	}
	return nil
}

// fieldOf returns the field whose column name is key, without the copy
// that a string conversion would make for every key of every line.
func fieldOf(key []byte) (user.Field, bool) {
	for _, c := range Columns {
		if string(key) == c {
			return user.FieldNamed(c)
		}
	}
	return 0, false
}

// objectKeys yields the keys of the object text, which must be one valid
// JSON object, in order and unescaped. A key is only valid until the next.
func objectKeys(text []byte) func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		depth := 0
		for i := 0; i < len(text); i++ {
			switch text[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			case '"':
				end, escaped := i+1, false
				for ; end < len(text) && text[end] != '"'; end++ {
					if text[end] == '\\' {
						end++
						escaped = true
					}
				}
				next := end + 1
				for next < len(text) && (text[next] == ' ' || text[next] == '\t' || text[next] == '\r' || text[next] == '\n') {
					next++
				}
				if depth == 1 && next < len(text) && text[next] == ':' {
					key := text[i+1 : end]
					if escaped {
						var unescaped string
						json.Unmarshal(text[i:end+1], &unescaped) //nolint:errcheck // valid JSON: a valid string
						key = []byte(unescaped)
					}
					if !yield(key) {
						return
					}
				}
				i = end
			}
		}
	}
}

// jsonRoles reads roles given as an array of names, a string such as
// "admin,analyst", or null (or nothing).
func jsonRoles(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var list []string
	var cell *string
	switch {
	case json.Unmarshal(raw, &list) == nil:
		return slices.DeleteFunc(list, func(s string) bool { return s == "" }), nil
	case json.Unmarshal(raw, &cell) == nil:
		if cell == nil {
			return nil, nil
		}
		return user.SplitRoles(*cell), nil
	}
	return nil, errors.New("roles: want an array of names or a string such as \"admin,analyst\"")
}

// checkSurrogates refuses a \u escape of half a UTF-16 surrogate pair,
// which encoding/json would read as U+FFFD and other readers as something
// else. Text is valid UTF-8; a backslash in valid JSON only ever starts an
// escape inside a string.
func checkSurrogates(text []byte) error {
	for i := 0; i < len(text); i++ {
		next := bytes.IndexByte(text[i:], '\\')
		if next < 0 {
			return nil
		}
		i += next
		if i+1 < len(text) && text[i+1] != 'u' {
			i++ // \" \\ \n and the like
			continue
		}
		r, ok := hex4(text, i+2)
		if !ok {
			continue // malformed; the decoder says so
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			low, ok := hex4(text, i+8)
			if !ok || i+7 >= len(text) || text[i+6] != '\\' || text[i+7] != 'u' || low < 0xdc00 || low >= 0xe000 {
				return errors.New("malformed JSON: an escape of half a UTF-16 surrogate pair (no character)")
			}
			i += 11
		case r >= 0xdc00 && r < 0xe000:
			return errors.New("malformed JSON: an escape of half a UTF-16 surrogate pair (no character)")
		default:
			i += 5
		}
	}
	return nil
}

// hex4 reads the four hex digits at text[i:].
func hex4(text []byte, i int) (rune, bool) {
	if i+4 > len(text) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(text[i:i+4]), 16, 16)
	return rune(v), err == nil
}

// Writer writes users in one format, streaming: the ExportFields, in the
// order they are listed (CSV) or by name (JSON Lines).
type Writer struct {
	format   Format
	fields   []*Field
	terminal bool
	w        *bufio.Writer
	buf      []byte // the CSV line being written, reused
	enc      *json.Encoder
}

// ForTerminal makes w write for a person reading a terminal rather than for
// a file: every text goes through textsafe.Line, so that no escape sequence
// or invisible character written into the database by another tool acts on
// the terminal. What it writes then is no longer exact data.
func (wr *Writer) ForTerminal() { wr.terminal = true }

// NewWriter returns a Writer of f to w. With hashes, records carry the
// stored password hash (the Secret fields), so that an import gives the
// same working passwords.
func NewWriter(w io.Writer, f Format, hashes bool) (*Writer, error) {
	wr := &Writer{format: f, w: bufio.NewWriterSize(w, 64*1024)}
	for _, field := range ExportFields {
		if hashes || !field.Secret {
			wr.fields = append(wr.fields, field)
		}
	}
	if f == JSONL {
		wr.enc = json.NewEncoder(wr.w)
		wr.enc.SetEscapeHTML(false)
		return wr, nil
	}
	_, err := wr.w.Write(AppendCSVHeader(nil, wr.fields))
	return wr, err
}

// Write writes u.
func (wr *Writer) Write(u user.User) error {
	if wr.format == JSONL {
		text := func(s string) string { return s }
		if wr.terminal {
			text = textsafe.Line
		}
		// encoding/json writes a map's keys sorted by name.
		j := make(map[string]any, len(wr.fields))
		for _, f := range wr.fields {
			j[f.Name] = f.JSONValue(&u, text)
		}
		return wr.enc.Encode(j)
	}
	wr.buf = AppendCSV(wr.buf[:0], &u, wr.fields, wr.terminal) // Read undoes EscapeFormula
	_, err := wr.w.Write(wr.buf)
	return err
}

// Close writes what is buffered.
func (wr *Writer) Close() error { return wr.w.Flush() }
