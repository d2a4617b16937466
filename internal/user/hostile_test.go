package user_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/user"
)

// safeToPrint reports whether s can go to a terminal as it is: valid UTF-8
// without control or invisible format characters.
func safeToPrint(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
	}) < 0
}

// TestRegisterHostileInput runs a corpus of hostile emails and passwords
// through Register on one database, in order (later cases collide with
// earlier ones on purpose). Each is accepted or refused as the policy says:
//
//   - an email is trimmed; then it must be valid UTF-8, at most 254 bytes,
//     without control, invisible-format or space characters, and a bare
//     address that net/mail reads back unchanged, with a dotted domain;
//   - two emails are the same user when equal after NFC and Unicode case
//     folding; homoglyphs from other scripts (Cyrillic а) are different
//     addresses and must not collide with the Latin ones;
//   - a password is taken as typed (no trimming): valid UTF-8, no control
//     characters (Cc), 15 to 256 code points after NFC, not a common
//     password, not containing the email's local part.
//
// A refused attempt writes nothing at all; an accepted one writes one user
// and one audit entry, and the password verifies exactly as given.
func TestRegisterHostileInput(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	const pw = goodPassword
	long := strings.Repeat("a", 10_000)
	tests := []struct {
		name, email, password string
		want                  error  // nil: accepted
		stored                string // the email as stored when accepted; "" means trimmed input
	}{
		{"baseline", "alice@example.org", pw, nil, ""},

		// Empty and huge.
		{"empty email", "", pw, user.ErrInvalidEmail, ""},
		{"blank email", " \t\n ", pw, user.ErrInvalidEmail, ""},
		{"10,000-character email", long + "@example.org", pw, user.ErrInvalidEmail, ""},
		{"254-byte email", strings.Repeat("m", 242) + "@example.org", pw, nil, ""},
		{"255-byte email", strings.Repeat("n", 243) + "@example.org", pw, user.ErrInvalidEmail, ""},
		{"254 characters, 446 bytes", strings.Repeat("é", 200) + "@example.org", pw, user.ErrInvalidEmail, ""},

		// Not UTF-8.
		{"invalid UTF-8 byte", "\xff@example.org", pw, user.ErrInvalidEmail, ""},
		{"truncated UTF-8", "alice\xc3@example.org", pw, user.ErrInvalidEmail, ""},
		{"UTF-8 surrogate", "\xed\xa0\x80@example.org", pw, user.ErrInvalidEmail, ""},
		{"overlong NUL", "a\xc0\x80b@example.org", pw, user.ErrInvalidEmail, ""},

		// NUL, controls and escape sequences.
		{"NUL inside", "ali\x00ce@example.org", pw, user.ErrInvalidEmail, ""},
		{"NUL at the end", "alice@example.org\x00", pw, user.ErrInvalidEmail, ""},
		{"clear screen", "\x1b[2J@example.org", pw, user.ErrInvalidEmail, ""},
		{"OSC window title", "\x1b]0;pwned\x07@example.org", pw, user.ErrInvalidEmail, ""},
		{"SGR colour", "\x1b[31mred@example.org", pw, user.ErrInvalidEmail, ""},
		{"C1 CSI", "a\u009b2Jb@example.org", pw, user.ErrInvalidEmail, ""},
		{"DEL", "a\x7fb@example.org", pw, user.ErrInvalidEmail, ""},
		{"carriage return inside", "a\rb@example.org", pw, user.ErrInvalidEmail, ""},
		{"backspace", "admin\b\b\b\b\bx@example.org", pw, user.ErrInvalidEmail, ""},

		// Right-to-left and invisible characters.
		{"RTL override", "\u202egro.elpmaxe@ecila", pw, user.ErrInvalidEmail, ""},
		{"RTL override inside", "alice\u202e@example.org", pw, user.ErrInvalidEmail, ""},
		{"RTL mark", "alice\u200f@example.org", pw, user.ErrInvalidEmail, ""},
		{"isolate", "\u2066alice@example.org\u2069", pw, user.ErrInvalidEmail, ""},
		{"zero-width space", "ali\u200bce@example.org", pw, user.ErrInvalidEmail, ""},
		{"zero-width joiner", "ali\u200dce@example.org", pw, user.ErrInvalidEmail, ""},
		{"byte-order mark", "\ufeffalice@example.org", pw, user.ErrInvalidEmail, ""},
		{"soft hyphen", "ali\u00adce@example.org", pw, user.ErrInvalidEmail, ""},
		{"line separator inside", "ali\u2028ce@example.org", pw, user.ErrInvalidEmail, ""},
		{"no-break space inside", "ali\u00a0ce@example.org", pw, user.ErrInvalidEmail, ""},

		// Homoglyphs: no address may look like another. Mixed scripts and
		// compatibility forms are refused outright; an address in one other
		// script that looks like an existing user's is refused by its
		// confusable skeleton.
		{"Latin paypal", "paypal@x.org", pw, nil, ""},
		{"Cyrillic а in paypal", "p\u0430ypal@x.org", pw, user.ErrInvalidEmail, ""},
		{"Cyrillic раура with a Latin l", "\u0440\u0430\u0443\u0440\u0430l@x.org", pw, user.ErrInvalidEmail, ""},
		{"all-Cyrillic раураӏ", "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org", pw, user.ErrLookAlike, ""},
		{"all-Cyrillic раураӏ, other domain", "\u0440\u0430\u0443\u0440\u0430\u04cf@y.org", pw, nil, ""},
		{"Greek omicron", "g\u03bf\u03bfgle@x.org", pw, user.ErrInvalidEmail, ""},
		{"fullwidth a", "\uff41lice@example.org", pw, user.ErrInvalidEmail, ""},
		{"fullwidth @", "alice\uff20example.org", pw, user.ErrInvalidEmail, ""},
		{"dotless ı", "\u0131stanbul@example.tr", pw, nil, ""},
		{"dotted i, like dotless ı", "istanbul@example.tr", pw, user.ErrLookAlike, ""},
		{"rn for m", "paypal@exarnple.org", pw, nil, ""},
		{"m for rn", "paypal@example.org", pw, user.ErrLookAlike, ""},
		{"combining grapheme joiner", "pay\u034fpal@x.org", pw, user.ErrInvalidEmail, ""},
		{"Hangul filler", "paypal\u3164@x.org", pw, user.ErrInvalidEmail, ""},
		{"Braille blank", "paypal\u2800@x.org", pw, user.ErrInvalidEmail, ""},
		{"variation selector", "paypal\ufe0f@x.org", pw, user.ErrInvalidEmail, ""},
		{"punycode domain", "paypal@xn--e1afmkfd.xn--p1ai", pw, nil, "paypal@пример.рф"},
		{"Unicode form of that domain", "paypal@пример.рф", pw, user.ErrAlreadyExists, ""},
		{"ideographic full stop", "paypal@x\u3002org", pw, user.ErrAlreadyExists, ""},
		{"fullwidth domain", "paypal@\uff58.org", pw, user.ErrAlreadyExists, ""},
		{"Cyrillic domain label", "alice@\u0430pple.com", pw, user.ErrInvalidEmail, ""},

		// SQL fragments: stored verbatim when they are valid addresses.
		{"apostrophe", "o'brien@example.org", pw, nil, ""},
		{"OR 1=1", "x'OR'1'='1@example.org", pw, nil, ""},
		{"LIKE wildcards", "100%_sure@example.org", pw, nil, ""},
		{"percent alone", "%@example.org", pw, nil, ""},
		{"DROP TABLE with spaces", "a@example.org'; DROP TABLE users; --", pw, user.ErrInvalidEmail, ""},
		{"DROP TABLE without spaces", "a@example.org';DROP/**/TABLE/**/users;--", pw, user.ErrInvalidEmail, ""},
		{"Bobby Tables", "robert');DROP@example.org", pw, user.ErrInvalidEmail, ""},
		{"quoted local part", `"a;b"@example.org`, pw, user.ErrInvalidEmail, ""},
		{"display name", "Mallory <alice@example.org>", pw, user.ErrInvalidEmail, ""},
		{"two addresses", "alice@example.org,bob@example.org", pw, user.ErrInvalidEmail, ""},
		{"comment", "bob@example.org(admin)", pw, user.ErrInvalidEmail, ""},
		{"no dot in domain", "bob@localhost", pw, user.ErrInvalidEmail, ""},
		{"no local part", "@example.org", pw, user.ErrInvalidEmail, ""},

		// Leading and trailing space is trimmed, so these are one user.
		{"spaces around", "  bob@example.org  ", pw, nil, "bob@example.org"},
		{"bare after spaces", "bob@example.org", pw, user.ErrAlreadyExists, ""},
		{"tab and newline around", "\tbob@example.org\n", pw, user.ErrAlreadyExists, ""},
		{"no-break space around", "\u00a0bob@example.org\u00a0", pw, user.ErrAlreadyExists, ""},

		// Mixed-case and Unicode-case duplicates.
		{"mixed case", "Carol@Example.ORG", pw, nil, ""},
		{"lower case", "carol@example.org", pw, user.ErrAlreadyExists, ""},
		{"upper case", "CAROL@EXAMPLE.ORG", pw, user.ErrAlreadyExists, ""},
		{"accented", "Élodie@exemple.fr", pw, nil, ""},
		{"accented upper", "ÉLODIE@EXEMPLE.FR", pw, user.ErrAlreadyExists, ""},
		{"accented NFD", "E\u0301lodie@exemple.fr", pw, user.ErrAlreadyExists, ""},
		{"sharp s", "straße@example.de", pw, nil, ""},
		{"sharp s upper", "STRASSE@example.de", pw, user.ErrAlreadyExists, ""},
		{"capital sharp s", "STRA\u1e9eE@example.de", pw, user.ErrAlreadyExists, ""},
		{"Greek capitals", "ΟΔΥΣΣΕΥΣ@example.gr", pw, nil, ""},
		{"Greek final sigma", "οδυσσευς@example.gr", pw, user.ErrAlreadyExists, ""},
		{"Kelvin sign", "kelvin@example.org", pw, nil, ""},
		{"Kelvin sign K", "\u212aelvin@example.org", pw, user.ErrAlreadyExists, ""},
		{"Latin paypal in capitals", "PAYPAL@X.ORG", pw, user.ErrAlreadyExists, ""},
		{"Cyrillic paypal in capitals", "P\u0410YPAL@X.ORG", pw, user.ErrInvalidEmail, ""},
		{"all-Cyrillic paypal in capitals", "\u0420\u0410\u04ae\u0420\u0410\u04c0@X.ORG", pw, user.ErrLookAlike, ""},

		// Passwords.
		{"empty password", "pw1@example.org", "", password.ErrPolicy, ""},
		{"10,000-character password", "pw2@example.org", long, password.ErrPolicy, ""},
		{"256-character password", "pw3@example.org", strings.Repeat("horse battery ", 19)[:256], nil, ""},
		{"257-character password", "pw4@example.org", strings.Repeat("horse battery ", 19)[:257], password.ErrPolicy, ""},
		{"256 é decomposed (512 code points)", "pw5@example.org", strings.Repeat("e\u0301", 256), password.ErrPolicy, ""},
		{"256 accented letters decomposed (512 code points)", "pw5b@example.org", decomposedLetters(256), nil, ""},
		{"invalid UTF-8 password", "pw6@example.org", pw + "\xff", password.ErrPolicy, ""},
		{"NUL in password", "pw7@example.org", "correct horse\x00battery staple", password.ErrPolicy, ""},
		{"ESC in password", "pw8@example.org", "\x1b[2Jcorrect horse battery", password.ErrPolicy, ""},
		{"tab in password", "pw9@example.org", "correct\thorse battery staple", password.ErrPolicy, ""},
		{"newline in password", "pw10@example.org", "correct horse\nbattery staple", password.ErrPolicy, ""},
		{"C1 control in password", "pw11@example.org", "correct horse \u009bbattery staple", password.ErrPolicy, ""},
		{"RTL override in password", "pw12@example.org", "correct horse \u202ebattery staple", nil, ""},
		{"SQL in password", "pw13@example.org", "'; DROP TABLE users; --", nil, ""},
		{"spaces around password", "pw14@example.org", "  correct horse battery staple  ", nil, ""},
		{"homoglyph password", "pw15@example.org", "c\u043errect h\u043erse battery staple", nil, ""},
		{"emoji password", "pw16@example.org", "🐴🔋📎✅🦓🌋🧭🎻🪁🧉🦔🛶🗿🎲🪐🍋", nil, ""},
		{"emoji repeated", "pw16b@example.org", strings.Repeat("🐴🔋📎✅", 4), password.ErrPolicy, ""},
		{"common password", "pw17@example.org", "1qaz2wsx3edc4rfv", password.ErrPolicy, ""},
		{"common password, other case", "pw18@example.org", "1QAZ2WSX3EDC4RFV", password.ErrPolicy, ""},
		{"password holds local part", "mallory@example.org", "i-am-MALLORY-and-proud", password.ErrPolicy, ""},
		{"bad email and bad password", "\x1b@example.org", "", user.ErrInvalidEmail, ""},
	}

	accepted := map[string]string{} // stored email -> password
	for _, tt := range tests {
		before := dbSnapshot(t, store)
		nUsers, err := svc.Count(ctx, user.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		nAudit := len(auditOf(t, svc, ""))
		u, err := svc.Register(ctx, tt.email, tt.password, nil)
		if tt.want != nil {
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: Register(%.60q) = %v; want %v", tt.name, tt.email, err, tt.want)
			}
			if err == nil {
				continue
			}
			if after := dbSnapshot(t, store); after != before {
				t.Errorf("%s: refused Register(%.60q) changed the database", tt.name, tt.email)
			}
			if !safeToPrint(err.Error()) {
				t.Errorf("%s: error %q is not safe to print", tt.name, err)
			}
			if len(tt.password) >= 8 && strings.Contains(err.Error(), tt.password) {
				t.Errorf("%s: error %q shows the password", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Register(%.60q) = %v; want accepted", tt.name, tt.email, err)
			continue
		}
		want := tt.stored
		if want == "" {
			want = strings.TrimSpace(tt.email)
		}
		if u.Email != want {
			t.Errorf("%s: stored email %q; want %q", tt.name, u.Email, want)
		}
		if n, _ := svc.Count(ctx, user.Filter{}); n != nUsers+1 {
			t.Errorf("%s: %d users after an accepted Register; want %d", tt.name, n, nUsers+1)
		}
		if n := len(auditOf(t, svc, "")); n != nAudit+1 {
			t.Errorf("%s: %d audit entries after an accepted Register; want %d", tt.name, n, nAudit+1)
		}
		accepted[u.Email] = tt.password
	}

	// Every accepted user is found by exactly its own address, and its
	// password works exactly as given.
	if n, _ := svc.Count(ctx, user.Filter{}); n != len(accepted) {
		t.Errorf("Count = %d; want %d accepted users", n, len(accepted))
	}
	for email, plain := range accepted {
		got, err := svc.Get(ctx, email)
		if err != nil || got.Email != email {
			t.Errorf("Get(%q) = %q, %v", email, got.Email, err)
			continue
		}
		if _, err := svc.Verify(ctx, email, plain); err != nil {
			t.Errorf("Verify(%q) with its own password: %v", email, err)
		}
		if trimmed := strings.TrimSpace(plain); trimmed != plain {
			if _, err := svc.Verify(ctx, email, trimmed); err != user.ErrInvalidCredentials {
				t.Errorf("Verify(%q) with the password trimmed = %v; want ErrInvalidCredentials: spaces are part of it", email, err)
			}
		}
	}
	// The homoglyphs did not become accounts: the Cyrillic paypal is not a
	// user, and looking it up does not find the Latin one either.
	if got, err := svc.Get(ctx, "p\u0430ypal@x.org"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(Cyrillic paypal) = %q, %v; want not found", got.Email, err)
	}
	// A decomposed password verifies composed, and the other way round.
	if _, err := svc.Verify(ctx, "pw5b@example.org", norm.NFC.String(decomposedLetters(256))); err != nil {
		t.Errorf("Verify of the NFC form of an NFD password: %v", err)
	}
	// Searches for LIKE wildcards find only the addresses that hold them.
	for term, want := range map[string][]string{"%": {"%@example.org", "100%_sure@example.org"}, "_": {"100%_sure@example.org"}, "'1'='1": {"x'OR'1'='1@example.org"}} {
		page, err := svc.Page(ctx, user.ListOptions{Filter: user.Filter{Search: term}, Sort: user.ByEmail})
		if err != nil {
			t.Fatalf("Search %q: %v", term, err)
		}
		if got := emails(page); !slices.Equal(got, want) {
			t.Errorf("Search %q = %q; want %q", term, got, want)
		}
	}
	// The schema survived the SQL in the corpus.
	tableCount := `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`
	if testEngine() == enginePostgres {
		tableCount = `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ctitui' AND table_name = ?`
	}
	for _, table := range []string{"users", "roles", "user_roles", "audit_log", "settings"} {
		var n int
		if err := shellDB(t, store).QueryRow(rebind(tableCount), table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: %d, %v", table, n, err)
		}
	}
}

// TestHostileRoles: roles that are not assignable are refused before any
// write; a role name in another case is either taken as that role or
// refused, never half-written.
func TestHostileRoles(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	// alice is an admin, so that deleting case@, an admin too, is not
	// refused as the last enabled admin's.
	mustRegister(t, svc, "alice@example.org", user.RoleAdmin)
	for _, roles := range [][]user.Role{
		{"root"},
		{"admin'; DROP TABLE roles; --"},
		{"admin\x00"},
		{"\x1b[2Jadmin"},
		{""},
		{user.RoleViewer, "superuser"},
	} {
		before := dbSnapshot(t, store)
		if _, err := svc.Register(ctx, "new@example.org", goodPassword, roles); !errors.Is(err, user.ErrInvalidRole) {
			t.Errorf("Register with roles %q = %v; want ErrInvalidRole", roles, err)
		}
		if _, err := svc.SetRoles(ctx, "alice@example.org", roles); !errors.Is(err, user.ErrInvalidRole) {
			t.Errorf("SetRoles(%q) = %v; want ErrInvalidRole", roles, err)
		}
		if after := dbSnapshot(t, store); after != before {
			t.Errorf("refused roles %q changed the database", roles)
		}
	}
	for _, name := range []user.Role{"ADMIN", " viewer "} {
		before := dbSnapshot(t, store)
		u, err := svc.Register(ctx, "case@example.org", goodPassword, []user.Role{name})
		switch {
		case err == nil:
			if want, _ := user.ParseRole(string(name)); !slices.Equal(u.Roles, []user.Role{want}) {
				t.Errorf("Register with role %q gave roles %q; want %q", name, u.Roles, want)
			}
			if _, err := svc.Delete(ctx, "case@example.org"); err != nil {
				t.Fatal(err)
			}
		case errors.Is(err, user.ErrInvalidRole):
			if after := dbSnapshot(t, store); after != before {
				t.Errorf("refused role %q changed the database", name)
			}
		default:
			t.Errorf("Register with role %q = %v; want accepted or ErrInvalidRole", name, err)
		}
	}
}

// decomposedLetters returns n letters that have a precomposed acute form,
// each followed by a combining acute: 2n code points before NFC, n after.
func decomposedLetters(n int) string {
	const letters = "aceginoprsuwyzl"
	var b strings.Builder
	x := uint32(7)
	for range n {
		x = x*1103515245 + 12345
		b.WriteByte(letters[(x>>16)%uint32(len(letters))])
		b.WriteRune('\u0301')
	}
	return b.String()
}
