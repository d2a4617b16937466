package transfer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// rec is the comparable form of a user.ImportRecord: roles joined with "|",
// times in RFC 3339 as they came back (a non-UTC time shows its offset),
// and Err as text. In a want, Err is a substring the error must contain.
type rec struct {
	Line                                  int
	ID, Email, Roles, Password, Hash      string
	Created, Updated, DisabledAt, LastLog string
	Disabled                              bool
	Err                                   string
}

func (r rec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d email %q", r.Line, r.Email)
	for _, f := range []struct{ name, v string }{
		{"id", r.ID}, {"roles", r.Roles}, {"password", r.Password}, {"hash", r.Hash},
		{"created", r.Created}, {"updated", r.Updated}, {"disabled_at", r.DisabledAt}, {"last_login", r.LastLog},
	} {
		if f.v != "" {
			fmt.Fprintf(&b, " %s %q", f.name, f.v)
		}
	}
	if r.Disabled {
		b.WriteString(" disabled")
	}
	if r.Err != "" {
		fmt.Fprintf(&b, " err %q", r.Err)
	}
	return b.String()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func toRec(r user.ImportRecord) rec {
	out := rec{
		Line: r.Line, ID: r.ID, Email: r.Email, Roles: strings.Join(r.Roles, "|"),
		Password: r.Password, Hash: r.HashedPassword,
		Created: fmtTime(r.CreatedAt), Updated: fmtTime(r.UpdatedAt),
		DisabledAt: fmtTime(r.DisabledAt), LastLog: fmtTime(r.LastLoginAt),
		Disabled: r.Disabled,
	}
	if r.Err != nil {
		out.Err = r.Err.Error()
	}
	return out
}

// matches reports whether got is want, with want.Err a substring of got.Err
// (and both empty or both not).
func matches(got, want rec) bool {
	if (got.Err == "") != (want.Err == "") || !strings.Contains(got.Err, want.Err) {
		return false
	}
	got.Err, want.Err = "", ""
	return got == want
}

// readAll reads in with format f and returns every record. A panic inside
// Read is returned as an error, so that one bad case does not end the
// whole test binary.
func readAll(in string, f transfer.Format) (recs []rec, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	err = transfer.Read(strings.NewReader(in), f, func(r user.ImportRecord) error {
		recs = append(recs, toRec(r))
		return nil
	})
	return recs, err
}

func checkRecords(t *testing.T, name, in string, f transfer.Format, want []rec) {
	t.Helper()
	got, err := readAll(in, f)
	if err != nil {
		t.Errorf("%s: Read(%q) = %v; want nil", name, in, err)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: Read(%q) gave %d records; want %d:\ngot  %v\nwant %v", name, in, len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !matches(got[i], want[i]) {
			t.Errorf("%s: Read(%q) record %d:\ngot  %v\nwant %v", name, in, i, got[i], want[i])
		}
	}
}

func TestReadCSVHeader(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string // substring; "" means no error
		want     []rec
	}{
		{"plain", "email,roles\na@x.org,admin\n", "", []rec{{Line: 2, Email: "a@x.org", Roles: "admin"}}},
		{"byte order mark", "\ufeffemail,roles\na@x.org,admin\n", "", []rec{{Line: 2, Email: "a@x.org", Roles: "admin"}}},
		{"case and spaces", " Email , ROLES ,PassWord\na@x.org,admin,pw\n", "", []rec{{Line: 2, Email: "a@x.org", Roles: "admin", Password: "pw"}}},
		{"any order, any subset", "password,email\npw,a@x.org\n", "", []rec{{Line: 2, Email: "a@x.org", Password: "pw"}}},
		{"email only", "email\na@x.org\n", "", []rec{{Line: 2, Email: "a@x.org"}}},
		{"every column", strings.Join(transfer.Columns, ",") + "\n", "", nil},
		{"header only", "email,roles\n", "", nil},
		{"header without newline", "email,roles", "", nil},
		{"unknown column", "email,pasword\na@x.org,pw\n", `unknown column "pasword"`, nil},
		{"unknown column named as normalised", "email, PassWord2 \n", `unknown column "password2"`, nil},
		{"empty column name", "email,,roles\n", `unknown column ""`, nil},
		{"duplicate column", "email,roles,Email\n", `column "email" appears twice`, nil},
		{"duplicate column after trimming", "email, roles,roles \n", `column "roles" appears twice`, nil},
		{"no email column", "roles,password\nadmin,pw\n", "no email column", nil},
		{"empty file", "", "empty", nil},
		{"only blank lines", "\n\n\r\n", "empty", nil},
		{"malformed header", "\"email,roles\n", "header", nil},
	}
	for _, tt := range tests {
		got, err := readAll(tt.in, transfer.CSV)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: Read(%q) = %v; want nil", tt.name, tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: Read(%q) = %v; want an error containing %q", tt.name, tt.in, err, tt.wantErr)
		case tt.wantErr != "" && len(got) > 0:
			t.Errorf("%s: Read(%q) gave records %v before its header error", tt.name, tt.in, got)
		case tt.wantErr == "":
			checkRecords(t, tt.name, tt.in, transfer.CSV, tt.want)
		}
	}
}

func TestReadCSVRecords(t *testing.T) {
	const hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		name, in string
		want     []rec
	}{
		{"quoted roles", "email,roles\na@x.org,\"admin,analyst\"\n",
			[]rec{{Line: 2, Email: "a@x.org", Roles: "admin|analyst"}}},
		{"roles split on ; space and |", "email,roles\na@x.org, admin ; viewer \nb@x.org,admin viewer\nc@x.org,admin|analyst\nd@x.org,\"admin,,;analyst\"\n",
			[]rec{
				{Line: 2, Email: "a@x.org", Roles: "admin|viewer"},
				{Line: 3, Email: "b@x.org", Roles: "admin|viewer"},
				{Line: 4, Email: "c@x.org", Roles: "admin|analyst"},
				{Line: 5, Email: "d@x.org", Roles: "admin|analyst"},
			}},
		{"no roles", "email,roles\na@x.org,\n", []rec{{Line: 2, Email: "a@x.org"}}},
		{"blank lines are skipped and counted", "email,roles\n\na@x.org,admin\n\n   \n\nb@x.org,viewer\n",
			[]rec{{Line: 3, Email: "a@x.org", Roles: "admin"}, {Line: 7, Email: "b@x.org", Roles: "viewer"}}},
		{"CRLF", "email,roles\r\na@x.org,admin\r\n\r\nb@x.org,viewer\r\n",
			[]rec{{Line: 2, Email: "a@x.org", Roles: "admin"}, {Line: 4, Email: "b@x.org", Roles: "viewer"}}},
		{"no final newline", "email,roles\na@x.org,admin",
			[]rec{{Line: 2, Email: "a@x.org", Roles: "admin"}}},
		{"wrong field count", "email,roles,password\na@x.org,admin\nb@x.org,viewer,pw,extra\nc@x.org,viewer,pw\n",
			[]rec{
				{Line: 2, Err: "2 fields, the header has 3"},
				{Line: 3, Err: "4 fields, the header has 3"},
				{Line: 4, Email: "c@x.org", Roles: "viewer", Password: "pw"},
			}},
		{"bad quote in a later field, reading goes on", "email,roles\na@x.org,\"adm\"in\nb@x.org,viewer\n",
			[]rec{{Line: 2, Err: "malformed CSV"}, {Line: 3, Email: "b@x.org", Roles: "viewer"}}},
		{"bare quote in a later field, reading goes on", "email,roles\na@x.org,adm\"in\nb@x.org,viewer\n",
			[]rec{{Line: 2, Err: "malformed CSV"}, {Line: 3, Email: "b@x.org", Roles: "viewer"}}},
		{"bare quote in the first field, reading goes on", "email,roles\na@x.org,admin\na\"b@x.org,admin\nc@x.org,viewer\n",
			[]rec{{Line: 2, Email: "a@x.org", Roles: "admin"}, {Line: 3, Err: "malformed CSV"}, {Line: 4, Email: "c@x.org", Roles: "viewer"}}},
		{"bad quote in the first field, reading goes on", "email,roles\n\"a\"b@x.org,admin\nc@x.org,viewer\n",
			[]rec{{Line: 2, Err: "malformed CSV"}, {Line: 3, Email: "c@x.org", Roles: "viewer"}}},
		{"bad quote in the first record's first field", "email\n\"a\"b@x.org\n",
			[]rec{{Line: 2, Err: "malformed CSV"}}},
		{"unterminated quote runs to the end", "email,roles\na@x.org,admin\nb@x.org,\"viewer\nc@x.org,viewer\n",
			[]rec{{Line: 2, Email: "a@x.org", Roles: "admin"}, {Line: 3, Err: "malformed CSV"}}},
		{"multi-line quoted fields: Line is where the record starts", "email,password,roles\na@x.org,\"pass\nword\",\"admin,viewer\"\nb@x.org,\"a\n\nb\",viewer\nc@x.org,pw,viewer\n",
			[]rec{
				{Line: 2, Email: "a@x.org", Roles: "admin|viewer", Password: "pass\nword"},
				{Line: 4, Email: "b@x.org", Roles: "viewer", Password: "a\n\nb"},
				{Line: 7, Email: "c@x.org", Roles: "viewer", Password: "pw"},
			}},
		{"multi-line first field", "email,roles\n\"a@x\n.org\",admin\nb@x.org,viewer\n",
			[]rec{{Line: 2, Email: "a@x\n.org", Roles: "admin"}, {Line: 4, Email: "b@x.org", Roles: "viewer"}}},
		{"doubled quotes", "email,password\na@x.org,\"say \"\"hi\"\", twice\"\n",
			[]rec{{Line: 2, Email: "a@x.org", Password: `say "hi", twice`}}},
		{"id and hash trimmed, email and password kept as written",
			"id,email,password,hashed_password\n u-1 , a@x.org ,  spaced pass  ,\" " + hash + " \"\n",
			[]rec{{Line: 2, ID: "u-1", Email: " a@x.org ", Password: "  spaced pass  ", Hash: hash}}},
		{"timestamps",
			"email,created_at,updated_at,disabled_at,last_login_at\n" +
				"a@x.org,2026-01-02T03:04:05Z,2026-01-02T03:04:05.123Z,2026-01-02T05:04:05.123456+02:00,\n" +
				"b@x.org, 2026-01-02T03:04:05.000Z ,,,2025-12-31T23:00:00-01:00\n",
			[]rec{
				{Line: 2, Email: "a@x.org", Created: "2026-01-02T03:04:05Z", Updated: "2026-01-02T03:04:05.123Z", DisabledAt: "2026-01-02T03:04:05.123456Z"},
				{Line: 3, Email: "b@x.org", Created: "2026-01-02T03:04:05Z", LastLog: "2026-01-01T00:00:00Z"},
			}},
		{"bad timestamps",
			"email,created_at,updated_at,disabled_at,last_login_at\n" +
				"a@x.org,2026-01-02 03:04:05,,,\n" +
				"b@x.org,,2026-01-02T03:04:05,,\n" +
				"c@x.org,,,yesterday,\n" +
				"d@x.org,,,,2026-13-01T00:00:00Z\n" +
				"e@x.org,1767323045,,,\n" +
				"f@x.org,2026-01-02T03:04:05.000Z,,,\n",
			[]rec{
				{Line: 2, Email: "a@x.org", Err: "created_at: \"2026-01-02 03:04:05\" is not an RFC 3339 time"},
				{Line: 3, Email: "b@x.org", Err: "updated_at:"},
				{Line: 4, Email: "c@x.org", Err: "disabled_at:"},
				{Line: 5, Email: "d@x.org", Err: "last_login_at:"},
				{Line: 6, Email: "e@x.org", Err: "created_at:"},
				{Line: 7, Email: "f@x.org", Created: "2026-01-02T03:04:05Z"},
			}},
		{"disabled",
			"email,disabled\na@x.org,true\nb@x.org,FALSE\nc@x.org,1\nd@x.org,0\ne@x.org,yes\nf@x.org,no\ng@x.org,\nh@x.org, True \ni@x.org,maybe\nj@x.org,2\n",
			[]rec{
				{Line: 2, Email: "a@x.org", Disabled: true},
				{Line: 3, Email: "b@x.org"},
				{Line: 4, Email: "c@x.org", Disabled: true},
				{Line: 5, Email: "d@x.org"},
				{Line: 6, Email: "e@x.org", Disabled: true},
				{Line: 7, Email: "f@x.org"},
				{Line: 8, Email: "g@x.org"},
				{Line: 9, Email: "h@x.org", Disabled: true},
				{Line: 10, Email: "i@x.org", Err: `disabled: "maybe" is not true or false`},
				{Line: 11, Email: "j@x.org", Err: `disabled: "2"`},
			}},
	}
	for _, tt := range tests {
		checkRecords(t, tt.name, tt.in, transfer.CSV, tt.want)
	}
}

func TestReadJSONL(t *testing.T) {
	const hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		name, in string
		want     []rec
	}{
		{"every field",
			`{"id":"u-1","email":"a@x.org","roles":["admin","viewer"],"disabled":true,"disabled_at":"2026-01-02T03:04:05.123Z",` +
				`"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T05:04:05+02:00","last_login_at":null,"hashed_password":"` + hash + `"}` + "\n",
			[]rec{{Line: 1, ID: "u-1", Email: "a@x.org", Roles: "admin|viewer", Disabled: true, DisabledAt: "2026-01-02T03:04:05.123Z",
				Created: "2026-01-01T00:00:00Z", Updated: "2026-01-02T03:04:05Z", Hash: hash}}},
		{"password", `{"email":"a@x.org","password":"  spaced pass  "}`,
			[]rec{{Line: 1, Email: "a@x.org", Password: "  spaced pass  "}}},
		{"roles as a string", `{"email":"a@x.org","roles":"admin, viewer"}` + "\n" + `{"email":"b@x.org","roles":"analyst;viewer"}`,
			[]rec{{Line: 1, Email: "a@x.org", Roles: "admin|viewer"}, {Line: 2, Email: "b@x.org", Roles: "analyst|viewer"}}},
		{"roles null, empty or absent", `{"email":"a@x.org","roles":null}` + "\n" + `{"email":"b@x.org","roles":[]}` + "\n" + `{"email":"c@x.org","roles":""}` + "\n" + `{"email":"d@x.org"}`,
			[]rec{{Line: 1, Email: "a@x.org"}, {Line: 2, Email: "b@x.org"}, {Line: 3, Email: "c@x.org"}, {Line: 4, Email: "d@x.org"}}},
		{"roles of the wrong type", `{"email":"a@x.org","roles":5}` + "\n" + `{"email":"b@x.org","roles":["admin",5]}` + "\n" + `{"email":"c@x.org","roles":{"admin":true}}`,
			[]rec{{Line: 1, Email: "a@x.org", Err: "roles:"}, {Line: 2, Email: "b@x.org", Err: "roles:"}, {Line: 3, Email: "c@x.org", Err: "roles:"}}},
		{"unknown field", `{"email":"a@x.org","pasword":"x"}` + "\n" + `{"email":"b@x.org"}`,
			[]rec{{Line: 1, Err: `unknown field "pasword"`}, {Line: 2, Email: "b@x.org"}}},
		{"malformed JSON, reading goes on", `{"email":"a@x.org"}` + "\n" + `{"email": "b@x.org"` + "\n" + `{"email":"c@x.org"}`,
			[]rec{{Line: 1, Email: "a@x.org"}, {Line: 2, Err: "malformed JSON"}, {Line: 3, Email: "c@x.org"}}},
		{"garbage line", "email,roles\n" + `{"email":"c@x.org"}`,
			[]rec{{Line: 1, Err: "malformed JSON"}, {Line: 2, Email: "c@x.org"}}},
		{"two values on a line", `{"email":"a@x.org"} {"email":"b@x.org"}` + "\n" + `{"email":"c@x.org"}5`,
			[]rec{{Line: 1, Err: "malformed JSON"}, {Line: 2, Err: "malformed JSON"}}},
		{"a stray closing brace after the value", `{"email":"a@x.org"}}` + "\n" + `{"email":"b@x.org"}]`,
			[]rec{{Line: 1, Err: "malformed JSON"}, {Line: 2, Err: "malformed JSON"}}},
		{"not an object", `["a@x.org"]` + "\n" + `"a@x.org"` + "\n" + `{"email":["a@x.org"]}`,
			[]rec{{Line: 1, Err: "malformed JSON"}, {Line: 2, Err: "malformed JSON"}, {Line: 3, Err: "malformed JSON"}}},
		{"blank and white lines are skipped and counted", "\n  \n" + `{"email":"a@x.org"}` + "\n\t\n\n" + `  {"email":"b@x.org"}  ` + "\n\n",
			[]rec{{Line: 3, Email: "a@x.org"}, {Line: 6, Email: "b@x.org"}}},
		{"CRLF", `{"email":"a@x.org"}` + "\r\n\r\n" + `{"email":"b@x.org"}` + "\r\n",
			[]rec{{Line: 1, Email: "a@x.org"}, {Line: 3, Email: "b@x.org"}}},
		{"disabled", `{"email":"a@x.org","disabled":false}` + "\n" + `{"email":"b@x.org","disabled":"yes"}` + "\n" + `{"email":"c@x.org","disabled":null}`,
			[]rec{{Line: 1, Email: "a@x.org"}, {Line: 2, Err: "malformed JSON"}, {Line: 3, Email: "c@x.org"}}},
		{"bad timestamps",
			`{"email":"a@x.org","created_at":"2026-01-02 03:04:05"}` + "\n" +
				`{"email":"b@x.org","updated_at":"2026-01-02T03:04:05"}` + "\n" +
				`{"email":"c@x.org","disabled_at":"yesterday"}` + "\n" +
				`{"email":"d@x.org","last_login_at":"2026-02-30T00:00:00Z"}` + "\n" +
				`{"email":"e@x.org","created_at":1767323045}`,
			[]rec{
				{Line: 1, Email: "a@x.org", Err: "created_at:"},
				{Line: 2, Email: "b@x.org", Err: "updated_at:"},
				{Line: 3, Email: "c@x.org", Err: "disabled_at:"},
				{Line: 4, Email: "d@x.org", Err: "last_login_at:"},
				{Line: 5, Err: "malformed JSON"},
			}},
		{"escaped and Unicode text", `{"email":"\u00c9lodie@exemple.fr","password":"tab\there \"quoted\""}`,
			[]rec{{Line: 1, Email: "Élodie@exemple.fr", Password: "tab\there \"quoted\""}}},
	}
	for _, tt := range tests {
		checkRecords(t, tt.name, tt.in, transfer.JSONL, tt.want)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	long := `{"email":"` + strings.Repeat("a", 1<<20) + `@x.org"}`
	in := `{"email":"a@x.org"}` + "\n\n" + long + "\n" + `{"email":"b@x.org"}` + "\n"
	got, err := readAll(in, transfer.JSONL)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("Read of a file with a line over 1 MiB = %v; want an error naming line 3 and the limit", err)
	}
	if len(got) != 1 || got[0].Email != "a@x.org" {
		t.Errorf("Read of a file with a line over 1 MiB gave %v; want only the record before it", got)
	}

	// Just under the limit is a record like any other.
	fits := `{"email":"b@x.org","password":"` + strings.Repeat("p", 1<<20-40) + `"}`
	got, err = readAll(fits+"\n", transfer.JSONL)
	if err != nil || len(got) != 1 || got[0].Email != "b@x.org" || got[0].Err != "" {
		t.Errorf("Read of a %d-byte line = %v, %d records; want one valid record", len(fits), err, len(got))
	}
}

func TestReadStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	for _, tc := range []struct {
		f  transfer.Format
		in string
	}{
		{transfer.CSV, "email\na@x.org\nb@x.org\n"},
		{transfer.JSONL, `{"email":"a@x.org"}` + "\n" + `{"email":"b@x.org"}` + "\n"},
	} {
		calls := 0
		err := transfer.Read(strings.NewReader(tc.in), tc.f, func(user.ImportRecord) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Read(%s) with a callback that fails = %v after %d calls; want %v after 1", tc.f, err, calls, stop)
		}
	}
}

func TestReadIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, tc := range []struct {
		f      transfer.Format
		prefix string
	}{
		{transfer.CSV, ""},
		{transfer.CSV, "email\na@x.org\n"},
		{transfer.JSONL, ""},
		{transfer.JSONL, `{"email":"a@x.org"}` + "\n"},
	} {
		r := io.MultiReader(strings.NewReader(tc.prefix), iotest.ErrReader(boom))
		err := transfer.Read(r, tc.f, func(user.ImportRecord) error { return nil })
		if !errors.Is(err, boom) {
			t.Errorf("Read(%s) of %q then an I/O error = %v; want %v", tc.f, tc.prefix, err, boom)
		}
	}
}

// endless yields b forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// quoteBomb opens a quoted field and then writes lines into it forever: a
// record that csv.Reader would gather across lines without end.
type quoteBomb struct{ started bool }

func (q *quoteBomb) Read(p []byte) (int, error) {
	if !q.started {
		q.started = true
		return copy(p, "email,roles\na@x.org,admin\nb@x.org,\""), nil
	}
	for i := range p {
		p[i] = "aaaaaaa\n"[i%8]
	}
	return len(p), nil
}

// A hostile file cannot make Read hold more than one bounded record: it
// fails with an error naming the line where the record starts.
func TestReadBoundsRecordSize(t *testing.T) {
	tests := []struct {
		name string
		f    transfer.Format
		r    io.Reader
		want string
		recs int // records read before the error
	}{
		{"CSV of zero bytes (/dev/zero)", transfer.CSV, endless(0), "line 1", 0},
		{"CSV without a line break", transfer.CSV, io.MultiReader(strings.NewReader("email\na@x.org\n"), endless('x')), "line 3", 1},
		{"CSV quoted field over endless lines", transfer.CSV, &quoteBomb{}, "line 3", 1},
		{"JSON Lines of zero bytes", transfer.JSONL, endless(0), "line 1", 0},
	}
	for _, tt := range tests {
		n := 0
		err := transfer.Read(tt.r, tt.f, func(user.ImportRecord) error { n++; return nil })
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("%s: Read = %v; want an error naming %s and the limit", tt.name, err, tt.want)
		}
		if n != tt.recs {
			t.Errorf("%s: %d records before the error; want %d", tt.name, n, tt.recs)
		}
	}

	// Records up to the limit are read like any other, multi-line ones too.
	big := strings.Repeat("p", 1<<20-64)
	in := "email,password\na@x.org,\"" + big + "\"\nb@x.org,\"x\n" + big[:1000] + "\"\n"
	got, err := readAll(in, transfer.CSV)
	if err != nil || len(got) != 2 || got[0].Password != big || got[1].Err != "" {
		t.Errorf("Read of a CSV record just under 1 MiB = %d records, %v; want two valid ones", len(got), err)
	}
	// The limit is per record: a file of many records is as long as it is.
	var many strings.Builder
	many.WriteString("email,password\n")
	for i := range 5 {
		fmt.Fprintf(&many, "u%d@x.org,\"%s\n%s\"\n", i, big[:600_000], big[:1000])
	}
	got, err = readAll(many.String(), transfer.CSV)
	if err != nil || len(got) != 5 {
		t.Errorf("Read of five 600 kB records = %d records, %v; want five", len(got), err)
	}

	over := "email,password\na@x.org,\"" + strings.Repeat("p", 1<<20) + "\"\nb@x.org,x\n"
	got, err = readAll(over, transfer.CSV)
	if err == nil || !strings.Contains(err.Error(), "line 2") || len(got) != 0 {
		t.Errorf("Read of a CSV record over 1 MiB = %v, %v; want an error naming line 2 and no record", got, err)
	}
}

// JSON Lines mean one thing to every reader: no key twice, in any case,
// only valid UTF-8 and valid Unicode escapes.
func TestReadJSONLAmbiguous(t *testing.T) {
	in := strings.Join([]string{
		`{"email":"a@x.org","EMAIL":"b@x.org"}`,
		`{"email":"a@x.org","email":"b@x.org"}`,
		`{"Email":"c@x.org"}`,
		`{"email":"d@x.org","roles":["viewer"],"Roles":["admin"]}`,
		`{"email":"e@x.org","password":"pass` + "\xff" + `word"}`,
		`{"email":"f@x.org","password":"lone \ud800 surrogate"}`,
		`{"email":"g@x.org","password":"lone \udc00 low"}`,
		`{"email":"h@x.org","password":"pair \ud83d\ude00 ok"}`,
		`{"email":"i@x.org","password":"escaped \\ud800 is text"}`,
		`{"email":"j@x.org","disabled":false,"disabled":true}`,
		`{"\u0065mail":"k@x.org","email":"l@x.org"}`,
		`{"email":"m@x.org","\u0050assword":"x"}`,
		`{"email":"n\":@x.org","roles":["a\":b"],"password":"{\"email\":1}"}`,
	}, "\n")
	checkRecords(t, "ambiguous JSON Lines", in, transfer.JSONL, []rec{
		{Line: 1, Err: `"EMAIL"`},
		{Line: 2, Err: `"email" appears twice`},
		{Line: 3, Err: `"Email"`},
		{Line: 4, Err: `"Roles"`},
		{Line: 5, Err: "UTF-8"},
		{Line: 6, Err: "surrogate"},
		{Line: 7, Err: "surrogate"},
		{Line: 8, Email: "h@x.org", Password: "pair 😀 ok"},
		{Line: 9, Email: "i@x.org", Password: `escaped \ud800 is text`},
		{Line: 10, Err: `"disabled" appears twice`},
		{Line: 11, Err: `"email" appears twice`},
		{Line: 12, Err: `unknown field "Password"`},
		{Line: 13, Email: `n":@x.org`, Roles: `a":b`, Password: `{"email":1}`},
	})
}

func TestReadJSONLByteOrderMark(t *testing.T) {
	in := "\ufeff" + `{"email":"a@x.org"}` + "\n" + "\ufeff" + `{"email":"b@x.org"}` + "\n"
	checkRecords(t, "BOM", in, transfer.JSONL, []rec{
		{Line: 1, Email: "a@x.org"},
		{Line: 2, Err: "malformed JSON"}, // only the file's first bytes may be a BOM
	})
}

// A record that says disabled is false and gives a disabled time contradicts
// itself.
func TestReadDisabledContradiction(t *testing.T) {
	checkRecords(t, "CSV", "email,disabled,disabled_at\na@x.org,false,2026-01-02T03:04:05Z\n", transfer.CSV,
		[]rec{{Line: 2, Email: "a@x.org", DisabledAt: "2026-01-02T03:04:05Z", Err: "disabled is false"}})
	checkRecords(t, "JSON", `{"email":"a@x.org","disabled":false,"disabled_at":"2026-01-02T03:04:05Z"}`, transfer.JSONL,
		[]rec{{Line: 1, Email: "a@x.org", DisabledAt: "2026-01-02T03:04:05Z", Err: "disabled is false"}})
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name, file string
		want       transfer.Format
		wantErr    bool
	}{
		{"csv", "", transfer.CSV, false},
		{"CSV", "users.jsonl", transfer.CSV, false}, // an explicit format wins
		{"jsonl", "", transfer.JSONL, false},
		{"JSONL", "users.csv", transfer.JSONL, false},
		{"ndjson", "", transfer.JSONL, false},
		// json names the same: one object per line, as a .json file is read.
		{"json", "", transfer.JSONL, false},
		{"JSON", "users.csv", transfer.JSONL, false},
		{"", "users.jsonl", transfer.JSONL, false},
		{"", "/tmp/dir.csv/USERS.NDJSON", transfer.JSONL, false},
		{"", "users.json", transfer.JSONL, false},
		{"", "users.csv", transfer.CSV, false},
		{"", "users.txt", transfer.CSV, false},
		{"", "users", transfer.CSV, false},
		{"", "-", transfer.CSV, false},
		{"", "", transfer.CSV, false},
		{"xml", "users.csv", "", true},
		{"tsv", "", "", true},
		{" csv", "", "", true},
	}
	for _, tt := range tests {
		got, err := transfer.ParseFormat(tt.name, tt.file)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q, %q) = %q, %v; want %q, error %v", tt.name, tt.file, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.name)) {
			t.Errorf("ParseFormat(%q, %q) error %q does not name the format", tt.name, tt.file, err)
		}
	}
}

// writerUsers exercise CSV quoting (commas, quotes, newlines in values the
// writer does not validate), Unicode, every role count, and each optional
// time set and unset.
func writerUsers() []user.User {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return []user.User{
		{ID: "id-1", Email: "alice@example.org", Roles: []user.Role{user.RoleAdmin, user.RoleAnalyst},
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			CreatedAt:    at("2026-01-02T03:04:05.678Z"), UpdatedAt: at("2026-01-03T03:04:05.001Z")},
		{ID: "id,2", Email: `o"brien,x@example.org`, Roles: []user.Role{user.RoleViewer},
			PasswordHash: "$2b$10$abcdefghijklmnopqrstuu5Zx5y5q5u5H5v5r5o5w5x5y5z5A5B5C",
			CreatedAt:    at("2026-01-02T03:04:06Z"), UpdatedAt: at("2026-01-04T00:00:00Z"),
			DisabledAt: at("2026-01-04T00:00:00Z"), LastLoginAt: at("2026-01-03T12:00:00.5Z")},
		{ID: "id-3", Email: "Élodie@Exemple.fr", Roles: nil, PasswordHash: "x\ny",
			CreatedAt: at("2026-01-02T03:04:07.999Z"), UpdatedAt: at("2026-01-02T03:04:07.999Z"),
			LastLoginAt: at("2026-02-01T00:00:00Z")},
	}
}

func TestWriterRoundTrip(t *testing.T) {
	users := writerUsers()
	for _, f := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		for _, hashes := range []bool{false, true} {
			name := fmt.Sprintf("%s hashes=%v", f, hashes)
			var buf bytes.Buffer
			w, err := transfer.NewWriter(&buf, f, hashes)
			if err != nil {
				t.Fatalf("%s: NewWriter: %v", name, err)
			}
			for _, u := range users {
				if err := w.Write(u); err != nil {
					t.Fatalf("%s: Write(%s): %v", name, u.Email, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("%s: Close: %v", name, err)
			}
			out := buf.String()
			if strings.Contains(out, `"password"`) || strings.HasPrefix(out, "password") || strings.Contains(out, ",password") {
				t.Errorf("%s: output has a plaintext password field:\n%s", name, out)
			}
			if got := strings.Contains(out, "hashed_password"); got != hashes {
				t.Errorf("%s: output names hashed_password = %v; want %v", name, got, hashes)
			}
			if got := strings.Contains(out, users[0].PasswordHash); got != hashes {
				t.Errorf("%s: output holds the hash = %v; want %v", name, got, hashes)
			}
			checkWriterShape(t, name, f, hashes, out)

			got, err := readAll(out, f)
			if err != nil {
				t.Fatalf("%s: Read of what Writer wrote: %v\n%s", name, err, out)
			}
			if len(got) != len(users) {
				t.Fatalf("%s: read %d records; want %d\n%s", name, len(got), len(users), out)
			}
			for i, u := range users {
				want := rec{
					ID: u.ID, Email: u.Email, Roles: user.JoinRoles(u.Roles),
					Created: fmtTime(u.CreatedAt), Updated: fmtTime(u.UpdatedAt),
					DisabledAt: fmtTime(u.DisabledAt), LastLog: fmtTime(u.LastLoginAt),
					Disabled: u.Disabled(),
				}
				want.Roles = strings.ReplaceAll(want.Roles, ",", "|")
				if hashes {
					want.Hash = u.PasswordHash
				}
				g := got[i]
				g.Line = 0
				if g != want {
					t.Errorf("%s: user %d read back as\n%v\nwant\n%v", name, i, g, want)
				}
			}
		}
	}
}

// checkWriterShape checks the layout of Writer's output: a CSV header row
// with the documented columns, or one JSON object per line with exactly the
// documented keys.
func checkWriterShape(t *testing.T, name string, f transfer.Format, hashes bool, out string) {
	t.Helper()
	cols := []string{"id", "email", "roles", "disabled", "disabled_at", "created_at", "updated_at", "last_login_at"}
	if hashes {
		cols = append(cols, "hashed_password")
	}
	if f == transfer.CSV {
		header, _, _ := strings.Cut(out, "\n")
		if want := strings.Join(cols, ","); header != want {
			t.Errorf("%s: header %q; want %q", name, header, want)
		}
		return
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(writerUsers()) {
		t.Errorf("%s: %d lines; want one per user:\n%s", name, len(lines), out)
	}
	slices.Sort(cols)
	for i, line := range lines {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("%s: line %d is not a JSON object: %v", name, i+1, err)
			continue
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, cols) {
			t.Errorf("%s: line %d has keys %v; want %v", name, i+1, keys, cols)
		}
		if string(obj["roles"])[0] != '[' {
			t.Errorf("%s: line %d roles = %s; want an array", name, i+1, obj["roles"])
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsWriteErrors(t *testing.T) {
	for _, f := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		w, err := transfer.NewWriter(failingWriter{}, f, true)
		if err == nil {
			err = w.Write(writerUsers()[0])
		}
		if err == nil {
			err = w.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: writing to a failing writer = %v; want the write error", f, err)
		}
	}
}

// An export shown on a terminal carries no escape sequence or invisible
// character; formulas stay escaped.
func TestWriterForTerminal(t *testing.T) {
	hostile := "x\x1b[2J\x1b]0;pwned\x07y\u009b31m\u202e\u2028@evil"
	users := append(formulaUsers(), user.User{ID: hostile, Email: hostile, Roles: []user.Role{user.Role(hostile)}, PasswordHash: hostile,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		var buf bytes.Buffer
		w, err := transfer.NewWriter(&buf, format, true)
		if err != nil {
			t.Fatal(err)
		}
		w.ForTerminal()
		for _, u := range users {
			if err := w.Write(u); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for _, r := range buf.String() {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || r == '\u202e' || r == '\u2028' {
				t.Errorf("%s for a terminal holds %U:\n%q", format, r, buf.String())
				break
			}
		}
		if format == transfer.CSV {
			for _, row := range csvCells(t, buf.String()) {
				for _, c := range row {
					if startsFormula(c) {
						t.Errorf("CSV for a terminal: cell %q starts a formula", c)
					}
				}
			}
		}
	}
}
