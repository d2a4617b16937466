package transfer

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// The encoders below write users by hand into a reused buffer: a listing of
// a million users spent a third of its time in encoding/json, fmt and
// csv.Writer, allocating for every row. They write the bytes those do for
// each field's JSONValue and Text, which cmd/ctitui's output_test.go
// proves on hostile text and fuzzes.

// AppendJSON appends u as a JSON object of fields, in their order: what
// encoding/json (without HTML escapes) writes for each field's JSONValue,
// then EscapeInvisible.
func AppendJSON(b []byte, u *user.User, fields []*Field) []byte {
	b = append(b, '{')
	for i, f := range fields {
		key := f.jsonKey // ,"name":
		if i == 0 {
			key = key[1:]
		}
		b = append(b, key...)
		switch f.kind {
		case kindText:
			b = appendJSONString(b, f.text(u))
		case kindRoles:
			b = append(b, '[')
			for i, r := range u.Roles {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, string(r))
			}
			b = append(b, ']')
		case kindBool:
			b = strconv.AppendBool(b, f.flag(u))
		case kindInt:
			b = strconv.AppendInt(b, int64(f.count(u)), 10)
		case kindTime, kindNullTime:
			b = appendJSONTime(b, f.time(u), f.kind == kindNullTime)
		}
	}
	return append(b, '}')
}

// appendJSONTime appends t as user.FormatTime writes it, quoted, or null
// for the zero time when nullable. The text is digits and -T:.Z, which
// JSON takes as they are.
func appendJSONTime(b []byte, t time.Time, nullable bool) []byte {
	if nullable && t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = user.AppendTime(b, t)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes it without the
// HTML escapes (\", \\, \b, \f, \n, \r, \t, \u00XX for other controls,
// \ufffd for invalid UTF-8, \u2028 and \u2029), then EscapeInvisible's
// \uXXXX for DEL, C1 controls and format characters.
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
			default: // other controls, and DEL, which EscapeInvisible escapes
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
			b = appendRuneEscape(b, r)
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

// appendRuneEscape appends r as JSON's \uXXXX, a surrogate pair above
// U+FFFF.
func appendRuneEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendRuneEscape(appendRuneEscape(b, hi), lo)
	}
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// EscapeInvisible rewrites, in encoded JSON, the characters encoding/json
// leaves raw that a terminal acts on or hides: C1 controls such as U+009B
// (a CSI) and format characters such as U+202E. They can only stand inside
// strings, where \uXXXX means the same character, so the JSON is unchanged
// for a program and harmless on a screen.
func EscapeInvisible(b []byte) []byte {
	if !bytes.ContainsFunc(b, invisible) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if invisible(r) {
			out = appendRuneEscape(out, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

func invisible(r rune) bool {
	return r >= 0x7f && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
}

// AppendCSVHeader appends the names of fields as a CSV line. Names need
// neither quotes nor EscapeFormula.
func AppendCSVHeader(b []byte, fields []*Field) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.Name...)
	}
	return append(b, '\n')
}

// AppendCSV appends u's fields as a CSV line, as csv.Writer writes each
// field's EscapeFormula(Text): no cell runs as a formula in a spreadsheet,
// and Read takes the escape off again. For a terminal each cell then goes
// through textsafe.Line, and is no longer exact data.
func AppendCSV(b []byte, u *user.User, fields []*Field, terminal bool) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if terminal {
			b = appendCSVField(b, textsafe.Line(EscapeFormula(f.Text(u))))
			continue
		}
		switch f.kind {
		case kindText:
			b = appendCSVCell(b, f.text(u))
		case kindRoles:
			// Roles are joined with commas, so two or more are always
			// quoted; the common case of one plain role needs no joined
			// copy.
			switch len(u.Roles) {
			case 0:
			case 1:
				b = appendCSVCell(b, string(u.Roles[0]))
			default:
				b = appendCSVCell(b, user.JoinRoles(u.Roles))
			}
		case kindBool:
			b = strconv.AppendBool(b, f.flag(u))
		case kindInt:
			b = escapeMinus(strconv.AppendInt(b, int64(f.count(u)), 10), len(b))
		case kindTime, kindNullTime:
			b = escapeMinus(user.AppendTime(b, f.time(u)), len(b))
		}
	}
	return append(b, '\n')
}

// escapeMinus escapes the number or time that b holds from start on as
// EscapeFormula does. They are digits and -T:.Z, which CSV never quotes;
// only a leading minus (a negative number, a year before 1) is a formula
// to a spreadsheet, and gets the leading quote.
func escapeMinus(b []byte, start int) []byte {
	if len(b) > start && b[start] == '-' {
		b = append(b, 0)
		copy(b[start+1:], b[start:])
		b[start] = '\''
	}
	return b
}

// appendCSVCell appends f as csv.Writer writes EscapeFormula(f).
func appendCSVCell(b []byte, f string) []byte {
	if !NeedsFormulaEscape(f) {
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
