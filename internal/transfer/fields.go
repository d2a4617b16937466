package transfer

import (
	"slices"
	"strconv"
	"time"

	"github.com/ctitui/ctitui/internal/textsafe"
	"github.com/ctitui/ctitui/internal/user"
)

// A Field is one field of a user as ctitui writes it: a CSV column and a
// JSON key for programs, a table column or a line of 'user show' for
// people. Fields describes every field once; each output names the fields
// it carries, in its order, in the lists below. Adding a field to User is
// one entry in Fields and its name in the lists that should carry it;
// import also needs it in user.ImportRecord (a field and its Field bit) and
// its parsing in fill and jsonRecord.
type Field struct {
	Name  string // the CSV column and the JSON key
	Label string // for people: a line of 'user show'; in upper case a table heading
	// Secret marks a field written only on request (export
	// --include-hashes).
	Secret bool

	kind kind
	// The value, by kind.
	text  func(*user.User) string
	time  func(*user.User) time.Time
	flag  func(*user.User) bool
	count func(*user.User) int
	// person, when set, is what people see instead of the value, unless it
	// returns "": a state judged at now, or words where a time says too
	// little.
	person func(u *user.User, now time.Time) string

	jsonKey string // ,"name": which AppendJSON writes in one piece
}

// kind is how a field's value is written.
type kind int

const (
	kindText     kind = iota // a string
	kindRoles                // role names: a JSON array, in CSV joined by commas
	kindBool                 // true or false
	kindInt                  // a decimal number
	kindTime                 // user.FormatTime's text, "" when zero
	kindNullTime             // the same, but null in JSON when zero
	kindPerson               // only for people: no value for programs
	kindInput                // only read, by import: never written
)

// Fields describes every field of a user.
var Fields = withKeys([]*Field{
	{Name: "id", Label: "id", kind: kindText, text: func(u *user.User) string { return u.ID }},
	{Name: "email", Label: "email", kind: kindText, text: func(u *user.User) string { return u.Email }},
	{Name: "roles", Label: "roles", kind: kindRoles},
	{Name: "status", Label: "status", kind: kindPerson, person: func(u *user.User, now time.Time) string { return u.Status(now) }},
	{Name: "disabled", Label: "disabled", kind: kindBool, flag: (*user.User).Disabled},
	{Name: "created_at", Label: "created", kind: kindTime, time: func(u *user.User) time.Time { return u.CreatedAt }},
	{Name: "updated_at", Label: "updated", kind: kindTime, time: func(u *user.User) time.Time { return u.UpdatedAt }},
	{Name: "last_login_at", Label: "last login", kind: kindNullTime, time: func(u *user.User) time.Time { return u.LastLoginAt }},
	{Name: "disabled_at", Label: "disabled", kind: kindNullTime, time: func(u *user.User) time.Time { return u.DisabledAt }},
	{Name: "failed_logins", Label: "failed logins", kind: kindInt, count: func(u *user.User) int { return u.FailedLogins }},
	{Name: "locked_until", Label: "locked until", kind: kindNullTime, time: func(u *user.User) time.Time { return u.LockedUntil },
		person: func(u *user.User, _ time.Time) string {
			if u.NeedsAdminUnlock() {
				return "until an admin unlocks it ('ctitui user unlock')"
			}
			return ""
		}},
	{Name: "hashed_password", Label: "password hash", Secret: true, kind: kindText, text: func(u *user.User) string { return u.PasswordHash }},
	{Name: "password", Label: "password", kind: kindInput},
})

// withKeys sets the jsonKey of fields.
func withKeys(fields []*Field) []*Field {
	for _, f := range fields {
		f.jsonKey = `,"` + f.Name + `":` // names are plain ASCII
	}
	return fields
}

// The fields each output carries, in its order.
var (
	// TableFields are the columns of 'user list' for people.
	TableFields = pick("email", "roles", "status", "created_at", "updated_at")
	// DetailFields are the lines of 'user show' for people.
	DetailFields = pick("id", "email", "roles", "status", "failed_logins", "locked_until", "created_at", "updated_at",
		"disabled_at", "last_login_at")
	// JSONFields are the keys of a user in the JSON of 'user list', 'user
	// show' and 'user add'.
	JSONFields = forPrograms("id", "email", "roles", "disabled", "created_at", "updated_at", "last_login_at", "disabled_at",
		"failed_logins", "locked_until")
	// ExportFields are the fields of an export, which import reads back;
	// the secret ones only with hashes.
	ExportFields = forPrograms("id", "email", "roles", "disabled", "disabled_at", "created_at", "updated_at", "last_login_at",
		"hashed_password")
	// CSVFields are the columns of 'user list', 'user show' and 'user add'
	// in CSV: those of an export without hashes, in its order, so that a
	// listing and an export read alike, and 'user import' reads either.
	CSVFields = public(ExportFields)
	// Columns are the fields import reads: what export writes, and a
	// plaintext password.
	Columns = names(slices.Concat(ExportFields, pick("password")))
)

// pick returns the fields with these names, in this order.
func pick(names ...string) []*Field {
	fields := make([]*Field, len(names))
	for i, name := range names {
		for _, f := range Fields {
			if f.Name == name {
				fields[i] = f
			}
		}
		if fields[i] == nil {
			panic("transfer: no field " + name) // a mistake in the lists above
		}
	}
	return fields
}

// forPrograms is pick for an output that programs read: every field must
// have a value for them.
func forPrograms(names ...string) []*Field {
	fields := pick(names...)
	for _, f := range fields {
		if f.kind == kindPerson || f.kind == kindInput {
			panic("transfer: field " + f.Name + " has no value for programs") // a mistake in the lists above
		}
	}
	return fields
}

// public returns fields without the secret ones.
func public(fields []*Field) []*Field {
	return slices.DeleteFunc(slices.Clone(fields), func(f *Field) bool { return f.Secret })
}

// names returns the names of fields.
func names(fields []*Field) []string {
	n := make([]string, len(fields))
	for i, f := range fields {
		n[i] = f.Name
	}
	return n
}

// Text is f's value in u as programs read it in CSV: roles joined by
// commas, times as user.FormatTime writes them ("" when zero).
func (f *Field) Text(u *user.User) string {
	switch f.kind {
	case kindText:
		return f.text(u)
	case kindRoles:
		return user.JoinRoles(u.Roles)
	case kindBool:
		return strconv.FormatBool(f.flag(u))
	case kindInt:
		return strconv.Itoa(f.count(u))
	case kindTime, kindNullTime:
		return user.FormatTime(f.time(u))
	}
	return "" // a field only for people, or only read
}

// JSONValue is f's value in u for encoding/json, each string through text:
// role names as an array, a time that may be absent as null when zero.
func (f *Field) JSONValue(u *user.User, text func(string) string) any {
	switch f.kind {
	case kindText:
		return text(f.text(u))
	case kindRoles:
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = text(string(r))
		}
		return roles
	case kindBool:
		return f.flag(u)
	case kindInt:
		return f.count(u)
	case kindNullTime:
		if f.time(u).IsZero() {
			return nil
		}
	}
	return f.Text(u)
}

// ForPeople is f's value in u as a person reads it on a terminal at now:
// text made safe to show (textsafe.Line), times as showTime writes them.
func (f *Field) ForPeople(u *user.User, now time.Time, showTime func(time.Time) string) string {
	if f.person != nil {
		if s := f.person(u, now); s != "" {
			return s
		}
	}
	switch f.kind {
	case kindTime, kindNullTime:
		return showTime(f.time(u))
	case kindText, kindRoles:
		return textsafe.Line(f.Text(u))
	}
	return f.Text(u)
}
