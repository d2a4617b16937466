package user_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// csvFile is an import file in CSV.
func csvFile(text string) fileSource { return fileSource{[]byte(text), transfer.CSV} }

// importEntries returns the details of the import audit entries about the
// user with id, oldest first.
func importEntries(t *testing.T, svc *user.Service, id string) []string {
	t.Helper()
	var details []string
	err := svc.Audit(context.Background(), user.AuditFilter{UserID: id}, func(e user.AuditEntry) error {
		if e.Action == user.ActionImport {
			details = append(details, e.Details)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(details)
	return details
}

// updateFixture is a database of four users, each different: alice (admin,
// a password), bob (analyst, disabled), carol (viewer, no password yet,
// imported) and dave (two roles, logged in).
type updateFixture struct {
	svc   *user.Service
	store testStore
	clock *clock
	users map[string]user.User
}

func newUpdateFixture(t *testing.T) *updateFixture {
	t.Helper()
	ctx := context.Background()
	svc, store, c := newService(t)
	f := &updateFixture{svc: svc, store: store, clock: c, users: map[string]user.User{}}
	mustRegister(t, svc, "alice@example.org", user.RoleAdmin)
	c.Advance(time.Second)
	mustRegister(t, svc, "Bob@Example.org")
	c.Advance(time.Second)
	mustImport(t, svc, csvFile("email,roles\ncarol@example.org,viewer\n"), user.ImportOptions{})
	c.Advance(time.Second)
	mustRegister(t, svc, "dave@example.org", user.RoleAnalyst, user.RoleViewer)
	c.Advance(time.Minute)
	if _, _, err := svc.SetDisabled(ctx, "bob@example.org", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, "dave@example.org", goodPassword); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	f.snapshot(t)
	return f
}

func (f *updateFixture) snapshot(t *testing.T) {
	t.Helper()
	for _, u := range allUsers(t, f.svc) {
		f.users[user.NormalizeEmail(u.Email)] = u
	}
}

func (f *updateFixture) get(t *testing.T, email string) user.User {
	t.Helper()
	u, err := f.svc.Get(context.Background(), email)
	if err != nil {
		t.Fatalf("Get(%s): %v", email, err)
	}
	return u
}

// A default export (no hashes) imported back with --on-conflict update
// changes nothing: every password, disabled state and role is kept, and
// nothing is audited, since nothing changed.
func TestImportUpdateDefaultExportChangesNothing(t *testing.T) {
	f := newUpdateFixture(t)
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		var buf bytes.Buffer
		w, err := transfer.NewWriter(&buf, format, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.List(context.Background(), user.ListOptions{Sort: user.ByCreated, Reverse: true}, w.Write); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		before := countRows(t, f.store)
		f.clock.Advance(time.Hour)
		rep := mustImport(t, f.svc, fileSource{buf.Bytes(), format}, user.ImportOptions{OnConflict: user.ConflictUpdate})
		if got, want := reportCounts(rep), "read 4, invalid 0, added 0, updated 0, skipped 4"; got != want {
			t.Errorf("%s: report %s; want %s", format, got, want)
		}
		if after := countRows(t, f.store); after != before {
			t.Errorf("%s: rows %+v -> %+v; want nothing written, not even an audit entry", format, before, after)
		}
		for email, want := range f.users {
			if got := f.get(t, email); !sameUser(got, want) {
				t.Errorf("%s: %s after re-importing the default export:\n%+v\nwant\n%+v", format, email, got, want)
			}
		}
		if _, err := f.svc.Verify(context.Background(), "alice@example.org", goodPassword); err != nil {
			t.Errorf("%s: Verify(alice) after re-importing the default export: %v", format, err)
		}
		f.snapshot(t) // the verify stamped a login
	}
}

// An update changes exactly the fields the file gives, and its audit entry
// names each of them; a record that changes nothing is not an update.
func TestImportUpdateOnlyGivenFields(t *testing.T) {
	ctx := context.Background()
	hash := cheapHash(t, "an imported passphrase")
	tests := []struct {
		name, file   string
		email        string // the user the record is about
		want         func(u *user.User, now time.Time, newHash string)
		audit        []string // substrings of the one import audit entry; nil: none
		notInAudit   []string
		updated      int
		verifies     string // a password that must verify afterwards, when set
		plainChanged bool   // the password was given in plaintext
	}{
		{name: "roles only: password and disabled state kept", file: "email,roles\nBob@Example.org,viewer\n", email: "bob@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.Roles = []user.Role{user.RoleViewer}; u.UpdatedAt = now },
			audit: []string{"roles analyst -> viewer"}, notInAudit: []string{"password", "disabled", "enabled", "email"}, updated: 1},
		{name: "no disabled column: a disabled account stays disabled", file: "email,roles\nBob@Example.org,analyst\n", email: "bob@example.org",
			want: func(*user.User, time.Time, string) {}},
		{name: "disabled column empty: the same", file: "email,disabled\nBob@Example.org,\n", email: "bob@example.org",
			want: func(*user.User, time.Time, string) {}},
		{name: "disabled false enables", file: "email,disabled\nBob@Example.org,false\n", email: "bob@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.DisabledAt, u.UpdatedAt = time.Time{}, now },
			audit: []string{"enabled"}, notInAudit: []string{"roles", "password"}, updated: 1, verifies: goodPassword},
		// dave, not alice: she is the only enabled admin, whom no update may disable.
		{name: "disabled true disables now", file: "email,disabled\ndave@example.org,true\n", email: "dave@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.DisabledAt, u.UpdatedAt = now, now },
			audit: []string{"disabled"}, notInAudit: []string{"roles", "password"}, updated: 1},
		{name: "disabled true on a disabled account keeps its time", file: "email,disabled\nBob@Example.org,true\n", email: "bob@example.org",
			want: func(*user.User, time.Time, string) {}},
		{name: "disabled_at moves a disabled account's time", file: "email,disabled_at\nBob@Example.org,2025-01-01T00:00:00.000Z\n", email: "bob@example.org",
			want: func(u *user.User, now time.Time, _ string) {
				u.DisabledAt, u.UpdatedAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), now
			},
			audit: []string{"disabled_at"}, updated: 1},
		{name: "email case", file: "email\nALICE@example.org\n", email: "alice@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.Email, u.UpdatedAt = "ALICE@example.org", now },
			audit: []string{"email alice@example.org -> ALICE@example.org"}, notInAudit: []string{"roles", "password"}, updated: 1, verifies: goodPassword},
		{name: "a stored hash", file: "email,hashed_password\ndave@example.org," + csvQuote(hash) + "\n", email: "dave@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.PasswordHash, u.UpdatedAt = hash, now },
			audit: []string{"password"}, notInAudit: []string{"roles", "disabled", "$"}, updated: 1, verifies: "an imported passphrase"},
		{name: "the same stored hash changes nothing", file: "email,hashed_password\ncarol@example.org,!\n", email: "carol@example.org",
			want: func(*user.User, time.Time, string) {}},
		{name: "no password any more", file: "email,hashed_password\nalice@example.org,!\n", email: "alice@example.org",
			want:  func(u *user.User, now time.Time, _ string) { u.PasswordHash, u.UpdatedAt = password.NoPassword, now },
			audit: []string{"password"}, updated: 1},
		{name: "a plaintext password, hashed", file: "email,password\ncarol@example.org,a brand new passphrase\n", email: "carol@example.org",
			want:  func(u *user.User, now time.Time, newHash string) { u.PasswordHash, u.UpdatedAt = newHash, now },
			audit: []string{"password"}, notInAudit: []string{"brand new", "$"}, updated: 1, verifies: "a brand new passphrase", plainChanged: true},
		{name: "empty password cells keep the password", file: "email,password,hashed_password\nalice@example.org,,\n", email: "alice@example.org",
			want: func(*user.User, time.Time, string) {}, verifies: goodPassword},
		{name: "every field at once", file: "email,roles,disabled,hashed_password\nbob@example.org,\"admin,viewer\",false," + csvQuote(hash) + "\n", email: "bob@example.org",
			want: func(u *user.User, now time.Time, _ string) {
				u.Email, u.Roles, u.DisabledAt, u.PasswordHash, u.UpdatedAt = "bob@example.org", []user.Role{user.RoleAdmin, user.RoleViewer}, time.Time{}, hash, now
			},
			audit: []string{"email Bob@Example.org -> bob@example.org", "roles analyst -> admin,viewer", "password", "enabled"}, updated: 1, verifies: "an imported passphrase"},
		{name: "times are history, not settings", file: "email,created_at,updated_at,last_login_at\ndave@example.org,2020-01-01T00:00:00Z,2020-01-01T00:00:00Z,2020-01-01T00:00:00Z\n", email: "dave@example.org",
			want: func(*user.User, time.Time, string) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newUpdateFixture(t)
			want := f.users[user.NormalizeEmail(tt.email)]
			before := countRows(t, f.store)
			rep := mustImport(t, f.svc, csvFile(tt.file), user.ImportOptions{OnConflict: user.ConflictUpdate})
			if rep.Updated != tt.updated || rep.Skipped != 1-tt.updated || rep.Added != 0 {
				t.Errorf("report %s; want %d updated, the rest skipped", reportCounts(rep), tt.updated)
			}
			got := f.get(t, tt.email)
			tt.want(&want, f.clock.now, got.PasswordHash)
			if tt.plainChanged && (got.PasswordHash == f.users[user.NormalizeEmail(tt.email)].PasswordHash || !password.IsArgon2id(got.PasswordHash)) {
				t.Errorf("hash %q after a plaintext password; want a new argon2id hash", got.PasswordHash)
			}
			if !sameUser(got, want) {
				t.Errorf("after the import:\n%+v\nwant\n%+v", got, want)
			}
			for email, other := range f.users {
				if email != user.NormalizeEmail(tt.email) && !sameUser(f.get(t, email), other) {
					t.Errorf("%s changed too", email)
				}
			}
			entries := importEntries(t, f.svc, want.ID)
			if f.users[user.NormalizeEmail(tt.email)].Email == "carol@example.org" {
				entries = entries[1:] // her own import
			}
			after := countRows(t, f.store)
			if tt.audit == nil {
				if len(entries) != 0 || after != before {
					t.Errorf("audit %q, rows %+v -> %+v; want nothing written", entries, before, after)
				}
			} else {
				if len(entries) != 1 || after.audit != before.audit+1 {
					t.Fatalf("import audit entries %q; want one", entries)
				}
				for _, s := range tt.audit {
					if !strings.Contains(entries[0], s) {
						t.Errorf("audit entry %q does not say %q", entries[0], s)
					}
				}
				for _, s := range tt.notInAudit {
					if strings.Contains(entries[0], s) {
						t.Errorf("audit entry %q says %q, which did not change", entries[0], s)
					}
				}
			}
			if tt.verifies != "" {
				if _, _, err := f.svc.SetDisabled(ctx, tt.email, false); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Verify(ctx, tt.email, tt.verifies); err != nil {
					t.Errorf("Verify(%s, %q) after the import: %v", tt.email, tt.verifies, err)
				}
			}
			checkChain(t, f.store)
		})
	}
}

// export --include-hashes then import gives every user back exactly,
// users without a password too, in both formats and through the Service's
// own reading of the file.
func TestImportRoundTripEveryKindOfUser(t *testing.T) {
	f := newUpdateFixture(t)
	want := allUsers(t, f.svc)
	if len(want) != 4 || want[2].PasswordHash != password.NoPassword {
		t.Fatalf("fixture: %+v; want carol third, with no password", want)
	}
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		exported := exportAll(t, f.svc, format)
		svc2, store2, c2 := newService(t)
		c2.Advance(100 * time.Hour)
		rep := mustImport(t, svc2, fileSource{exported, format}, user.ImportOptions{})
		if rep.Added != len(want) {
			t.Errorf("%s: added %d; want %d", format, rep.Added, len(want))
		}
		got := allUsers(t, svc2)
		if len(got) != len(want) {
			t.Fatalf("%s: %d users; want %d", format, len(got), len(want))
		}
		for i := range want {
			if !sameUser(got[i], want[i]) {
				t.Errorf("%s: user %d:\n%+v\nwant\n%+v", format, i, got[i], want[i])
			}
		}
		if again := exportAll(t, svc2, format); !bytes.Equal(again, exported) {
			t.Errorf("%s: export of the copy differs:\n%s\nwant\n%s", format, again, exported)
		}
		checkChain(t, store2)
	}
}

func TestImportValidatesID(t *testing.T) {
	svc, store, _ := newService(t)
	tests := []struct {
		id string
		ok bool
	}{
		{"1", true},
		{"42", true},
		{"9223372036854775807", true},
		{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", true},
		{"3F2504E0-4F89-11D3-9A0C-0305E82C3301", true},
		{"01HZY4R5B7KQ8W1X2Y3Z4A5B6C", true},
		{"user_1.legacy:7", true},
		{"id-alice", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"-5", false},
		{"+5", false},
		{"=1+1", false},
		{"@a", false},
		{"_a", false},
		{".a", false},
		{"a b", false},
		{"a\tb", false},
		{"a\x00b", false},
		{"a\x1b[2Jb", false},
		{`a"b`, false},
		{"a'b", false},
		{"a,b", false},
		{"alice@example.org", false},
		{"a/b", false},
		{"ａ", false},
		{"é", false},
		{"a\u202eb", false},
	}
	var b strings.Builder
	b.WriteString("id,email\n")
	for i, tt := range tests {
		fmt.Fprintf(&b, "%s,u%02d@example.org\n", csvQuote(tt.id), i)
	}
	before := countRows(t, store)
	rep, err := svc.Import(context.Background(), csvFile(b.String()), user.ImportOptions{DryRun: true})
	bad := map[int]string{}
	for _, e := range rep.Errors {
		bad[e.Line] = e.Error()
	}
	for i, tt := range tests {
		msg, isBad := bad[i+2]
		switch {
		case tt.ok && isBad:
			t.Errorf("id %q: %s; want it taken", tt.id, msg)
		case !tt.ok && !isBad:
			t.Errorf("id %q taken; want it refused", tt.id)
		case !tt.ok && (!strings.Contains(msg, "id") || strings.Count(msg, "\n") > 0 || !errors.Is(rowErr(rep, i+2), user.ErrInvalidID)):
			t.Errorf("id %q: error %q; want one line naming the id, matching ErrInvalidID", tt.id, msg)
		}
	}
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Errorf("Import = %v; want %v", err, user.ErrInvalidRecords)
	}
	if after := countRows(t, store); after != before {
		t.Errorf("rows %+v -> %+v; want nothing written", before, after)
	}
}

func rowErr(rep user.ImportReport, line int) error {
	for _, e := range rep.Errors {
		if e.Line == line {
			return e
		}
	}
	return nil
}

// csvQuote quotes s as a CSV cell.
func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Users imported without a created_at all get the time of the write, many
// in one millisecond now that the write no longer waits for hashing: their
// new ids must then follow the order they are written in, or the table's
// rowids lose the listing's order (and searches their fast plan) until
// doctor --fix renumbers it.
func TestImportKeepsUsersInOrder(t *testing.T) {
	svc, store, _ := newService(t, user.WithClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }))
	hash := cheapHash(t, "a stored passphrase")
	var b strings.Builder
	b.WriteString("email,hashed_password\n")
	for i := range 300 {
		fmt.Fprintf(&b, "user%03d@example.org,%s\n", i, csvQuote(hash))
	}
	mustImport(t, svc, csvFile(b.String()), user.ImportOptions{})
	// Whatever the engine: ordered by id, the users are in the file's order.
	rows, err := shellDB(t, store).Query(`SELECT email FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var email string
		if err := rows.Scan(&email); err != nil {
			t.Fatal(err)
		}
		got = append(got, email)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, email := range got {
		if want := fmt.Sprintf("user%03d@example.org", i); email != want {
			t.Fatalf("user %d by id = %s; want %s (ids out of the order written)", i, email, want)
		}
	}
	if len(got) != 300 {
		t.Errorf("%d users; want 300", len(got))
	}
	// On SQLite, the rowids too (the table's order, which the SQLite
	// engine's searches rely on).
	if o, ok := store.(interface {
		UsersInOrder(context.Context) (bool, error)
	}); ok {
		if inOrder, err := o.UsersInOrder(context.Background()); err != nil || !inOrder {
			t.Errorf("UsersInOrder after importing 300 users in one millisecond = %v, %v; want true", inOrder, err)
		}
	} else if testEngine() == engineSQLite {
		t.Error("the SQLite store has no UsersInOrder")
	}
}
