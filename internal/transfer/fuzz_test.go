package transfer_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// fuzzRead reads in and checks what holds for any input: Read does not
// panic, every record has a line number within the input, and line numbers
// grow strictly (records come in file order, one per starting line).
func fuzzRead(t *testing.T, f transfer.Format, in string, each func(r user.ImportRecord)) {
	t.Helper()
	defer func() {
		// Reported rather than re-panicked, so that a plain go test lists
		// every failing seed and the other tests of the package still run.
		if p := recover(); p != nil {
			t.Errorf("Read(%q) panicked: %v", in, p)
		}
	}()
	lines := strings.Count(in, "\n") + 1
	prev := 0
	err := transfer.Read(strings.NewReader(in), f, func(r user.ImportRecord) error {
		if r.Line < 1 || r.Line > lines {
			t.Errorf("record at line %d of a %d-line input", r.Line, lines)
		}
		if r.Line <= prev {
			t.Errorf("record at line %d after one at line %d", r.Line, prev)
		}
		prev = r.Line
		if r.Err != nil && r.Err.Error() == "" {
			t.Errorf("line %d: an error with no text", r.Line)
		}
		if r.Err == nil {
			checkGiven(t, r)
		}
		if each != nil {
			each(r)
		}
		return nil
	})
	if err != nil && err.Error() == "" {
		t.Errorf("Read failed with an error with no text")
	}
}

// checkGiven holds a record's Given set to its values: a field is given
// exactly when it has a value, except disabled, whose false is a value.
func checkGiven(t *testing.T, r user.ImportRecord) {
	t.Helper()
	for _, c := range []struct {
		f   user.Field
		has bool
	}{
		{user.FieldID, r.ID != ""}, {user.FieldEmail, r.Email != ""}, {user.FieldRoles, len(r.Roles) > 0},
		{user.FieldPassword, r.Password != ""}, {user.FieldHashedPassword, r.HashedPassword != ""},
		{user.FieldCreatedAt, !r.CreatedAt.IsZero()}, {user.FieldUpdatedAt, !r.UpdatedAt.IsZero()},
		{user.FieldDisabledAt, !r.DisabledAt.IsZero()}, {user.FieldLastLoginAt, !r.LastLoginAt.IsZero()},
	} {
		if r.Has(c.f) != c.has {
			t.Errorf("line %d: Given %v says %v given = %v; its value says %v", r.Line, r.Given, c.f, r.Has(c.f), c.has)
		}
	}
	if r.Disabled && !r.Has(user.FieldDisabled) {
		t.Errorf("line %d: disabled without FieldDisabled given", r.Line)
	}
	if r.Has(user.FieldDisabled) && !r.Disabled && r.Has(user.FieldDisabledAt) {
		t.Errorf("line %d: disabled false with a disabled_at read without error", r.Line)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"",
		"email\n",
		"\ufeffemail,roles,password\nalice@example.org,\"admin,analyst\",correct horse battery staple\n",
		strings.Join(transfer.Columns, ",") + "\n" +
			`u-1,a@x.org,admin;viewer,true,2026-01-02T03:04:05.000Z,2026-01-01T00:00:00Z,2026-01-02T03:04:05+02:00,,"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",` + "\n",
		"id,email,roles,disabled,disabled_at,created_at,updated_at,last_login_at\r\nx,b@x.org,viewer,false,,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,\r\n",
		"email,roles\n\n\na@x.org,admin\n   \nb@x.org\n",
		"email,roles,password\na@x.org,\"admin,\nviewer\",\"pass\nword\"\nb@x.org,viewer,pw\n",
		"email,roles\na@x.org,\"adm\"in\nb@x.org,viewer\n",
		"email,roles\na\"b@x.org,admin\nc@x.org,viewer\n",
		"email\n\"a\"b@x.org\n",
		"email,roles\na@x.org,\"unterminated\nb@x.org,viewer\n",
		"email,roles,password\na@x.org\nb@x.org,viewer,pw,extra\n",
		"email,disabled,created_at\na@x.org,maybe,yesterday\n",
		"email,pasword\n",
		"email,Email\n",
		"roles\nadmin\n",
		"\"email\n",
		"email\n\x00\xff\xfe\n",
		"email,roles\n,\n,,\n\"\"\n",
		"id,email,password\n'-5,'-bob@x.org,''=pw\n",
		"email,disabled,disabled_at\na@x.org,false,2026-01-02T03:04:05Z\nb@x.org,,\n",
		"email,password\na@x.org,\"" + strings.Repeat("x\n", 40) + "\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fuzzRead(t, transfer.CSV, in, nil)
	})
}

func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		"",
		"\n\n",
		`{"email":"alice@example.org","roles":["admin","analyst"],"password":"correct horse battery staple"}` + "\n",
		`{"created_at":"2026-01-02T03:04:05.678Z","disabled":false,"disabled_at":null,"email":"a@x.org","hashed_password":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U","id":"u-1","last_login_at":null,"roles":["viewer"],"updated_at":"2026-01-02T03:04:05.678Z"}` + "\r\n",
		`{"email":"a@x.org","roles":"admin, viewer","disabled":true}`,
		`{"email":"a@x.org","roles":5}`,
		`{"email":"a@x.org","pasword":"x"}`,
		`{"email": "a@x.org"` + "\n" + `{"email":"b@x.org"}`,
		`{"email":"a@x.org"} {"email":"b@x.org"}`,
		`{"email":"a@x.org"}}`,
		`{"email":"a@x.org"}]`,
		`["a@x.org"]` + "\n" + `"a@x.org"` + "\n" + "null\n" + "5\n",
		`{"email":"a@x.org","created_at":"yesterday","disabled":"yes"}`,
		`{"email":"\u00c9lodie@exemple.fr","password":"\ud800"}`,
		"\xff\xfe{}\n",
		"\ufeff" + `{"email":"a@x.org"}`,
		`{"email":"a@x.org","EMAIL":"b@x.org"}`,
		`{"email":"a@x.org","email":"b@x.org"}`,
		`{"email":"a@x.org","password":"\ud83d\ude00 \ud800"}`,
		`{"email":"a@x.org","password":"\\ud800","disabled":false,"roles":[]}`,
		`{"email":"a` + "\xff" + `@x.org"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Split(in, "\n")
		fuzzRead(t, transfer.JSONL, in, func(r user.ImportRecord) {
			if r.Line > len(lines) {
				return // reported by fuzzRead
			}
			// A record read without error came from a line that holds
			// exactly one valid JSON value.
			text := bytes.TrimSpace(bytes.TrimPrefix([]byte(lines[r.Line-1]), []byte("\ufeff")))
			if r.Err == nil && !json.Valid(text) {
				t.Errorf("line %d %q is not valid JSON, yet it was read without error", r.Line, text)
			}
			if r.Err == nil {
				checkSameRecord(t, r, text)
			}
		})
	})
}

// checkSameRecord reads a line that Read accepted with encoding/json, as a
// reviewer's tool would, and checks that the two see the same record:
// every key exactly a column name, each once, and the same email.
func checkSameRecord(t *testing.T, r user.ImportRecord, text []byte) {
	t.Helper()
	// encoding/json turns invalid UTF-8 and lone surrogates into U+FFFD:
	// a U+FFFD read must have been written as one.
	lower := strings.ToLower(string(text))
	if !utf8.Valid(text) || (strings.ContainsRune(r.Email+r.Password+r.ID+r.HashedPassword, utf8.RuneError) &&
		!strings.ContainsRune(lower, utf8.RuneError) && !strings.Contains(lower, `\ufffd`)) {
		t.Errorf("line %d %q: read without error but not valid Unicode", r.Line, text)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	keys := 0
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("line %d %q: read without error but not an object", r.Line, text)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := user.FieldNamed(tok.(string)); !ok {
			t.Errorf("line %d: key %q read without error", r.Line, tok)
		}
		keys++
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(text, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != keys {
		t.Errorf("line %d %q: %d keys, %d distinct, read without error", r.Line, text, keys, len(m))
	}
	var email string
	if raw, ok := m["email"]; ok {
		json.Unmarshal(raw, &email) // null leaves it empty
	}
	if email != r.Email {
		t.Errorf("line %d %q: email %q; encoding/json reads %q", r.Line, text, r.Email, email)
	}
}
