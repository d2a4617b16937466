package user_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctitui/ctitui/internal/password"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/transfer"
	"github.com/ctitui/ctitui/internal/user"
)

// importSource is an import file already parsed: the records in order.
type importSource []user.ImportRecord

func (s importSource) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	for _, r := range s {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// lined numbers records from line 2, as below a CSV header, and gives each
// the fields it has a value for, as the parser does for a file with those
// columns (and disabled when it is true). Records that set Given keep it.
func lined(recs ...user.ImportRecord) importSource {
	for i := range recs {
		recs[i].Line = i + 2
		if recs[i].Given == 0 {
			recs[i].Given = givenByValue(recs[i])
		}
	}
	return recs
}

// givenByValue is the set of fields r has a value for.
func givenByValue(r user.ImportRecord) user.Field {
	var f user.Field
	for _, c := range []struct {
		f   user.Field
		has bool
	}{
		{user.FieldID, r.ID != ""}, {user.FieldEmail, r.Email != ""}, {user.FieldRoles, len(r.Roles) > 0},
		{user.FieldPassword, r.Password != ""}, {user.FieldHashedPassword, r.HashedPassword != ""},
		{user.FieldCreatedAt, !r.CreatedAt.IsZero()}, {user.FieldUpdatedAt, !r.UpdatedAt.IsZero()},
		{user.FieldDisabledAt, !r.DisabledAt.IsZero()}, {user.FieldLastLoginAt, !r.LastLoginAt.IsZero()},
		{user.FieldDisabled, r.Disabled},
	} {
		if c.has {
			f |= c.f
		}
	}
	return f
}

// fileSource is an import file as bytes, parsed afresh at each pass.
type fileSource struct {
	data   []byte
	format transfer.Format
}

func (s fileSource) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	return transfer.Read(bytes.NewReader(s.data), s.format, fn)
}

// cheapHash hashes plain with the tests' cheap parameters.
func cheapHash(t *testing.T, plain string) string {
	t.Helper()
	h, err := passwordtest.Hasher().Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func bcryptHash(t *testing.T, plain string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// rowCounts counts the rows an import writes to: users, their roles, and
// audit entries.
type rowCounts struct{ users, roles, audit int }

func countRows(t *testing.T, store testStore) rowCounts {
	t.Helper()
	var c rowCounts
	err := shellDB(t, store).QueryRow(`SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM user_roles), (SELECT count(*) FROM audit_log)`).
		Scan(&c.users, &c.roles, &c.audit)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkChain(t *testing.T, store testStore) {
	t.Helper()
	rep, err := store.VerifyAuditChain(context.Background())
	if err != nil || !rep.OK() {
		t.Errorf("VerifyAuditChain = %v, %v; want a whole chain", rep, err)
	}
}

func mustImport(t *testing.T, svc *user.Service, src user.ImportSource, opts user.ImportOptions) user.ImportReport {
	t.Helper()
	rep, err := svc.Import(context.Background(), src, opts)
	if err != nil {
		t.Fatalf("Import = %+v, %v; want no error", rep, err)
	}
	return rep
}

// reportCounts renders the counters of a report.
func reportCounts(r user.ImportReport) string {
	return fmt.Sprintf("read %d, invalid %d, added %d, updated %d, skipped %d", r.Read, r.Invalid, r.Added, r.Updated, r.Skipped)
}

func sameTime(a, b time.Time) bool { return a.Equal(b) }

// checkSearch checks that an email search for term finds want users.
func checkSearch(t *testing.T, svc *user.Service, term string, want int) {
	t.Helper()
	if n, err := svc.Count(context.Background(), user.Filter{Search: term}); err != nil || n != want {
		t.Errorf("Count(search %q) = %d, %v; want %d", term, n, err, want)
	}
}

func TestImportAddsEveryone(t *testing.T) {
	ctx := context.Background()
	svc, store, c := newService(t)
	created := time.Date(2025, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	argon := cheapHash(t, "imported argon2id passphrase")
	bc := bcryptHash(t, "imported bcrypt passphrase")
	src := lined(
		user.ImportRecord{ID: "id-alice", Email: "Alice@Example.org", Roles: []string{"admin", "analyst"}, Password: goodPassword,
			CreatedAt: created, UpdatedAt: created.Add(time.Hour), LastLoginAt: created.Add(2 * time.Hour)},
		user.ImportRecord{ID: "id-bob", Email: "bob@example.org", Roles: []string{" VIEWER "}, HashedPassword: argon,
			CreatedAt: created.Add(time.Minute), UpdatedAt: created.Add(3 * time.Hour), Disabled: true, DisabledAt: created.Add(3 * time.Hour)},
		user.ImportRecord{Email: "carol@example.org", HashedPassword: bc},
		user.ImportRecord{Email: "dave@example.org", Password: goodPassword, Disabled: true},
		user.ImportRecord{Email: "élodie@exemple.fr", Roles: []string{"viewer", "viewer", "admin"}, Password: "another fine passphrase here",
			CreatedAt: created.Add(999 * time.Microsecond)},
	)
	var progress []int
	rep := mustImport(t, svc, src, user.ImportOptions{Progress: func(done, total int) {
		if total != 5 {
			t.Errorf("Progress total = %d; want 5", total)
		}
		progress = append(progress, done)
	}})
	if got, want := reportCounts(rep), "read 5, invalid 0, added 5, updated 0, skipped 0"; got != want || len(rep.Errors) != 0 {
		t.Errorf("report = %s, errors %v; want %s and none", got, rep.Errors, want)
	}
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(progress, want) {
		t.Errorf("Progress done values = %v; want %v", progress, want)
	}

	now := c.now
	tests := []struct {
		email, id, roles                  string
		created, updated, disabled, login time.Time
		hash                              string // "" when hashed on import
	}{
		{"Alice@Example.org", "id-alice", "admin,analyst", created, created.Add(time.Hour), time.Time{}, created.Add(2 * time.Hour), ""},
		{"bob@example.org", "id-bob", "viewer", created.Add(time.Minute), created.Add(3 * time.Hour), created.Add(3 * time.Hour), time.Time{}, argon},
		{"carol@example.org", "", "analyst", now, now, time.Time{}, time.Time{}, bc},
		{"dave@example.org", "", "analyst", now, now, now, time.Time{}, ""},
		{"élodie@exemple.fr", "", "admin,viewer", created, created, time.Time{}, time.Time{}, ""},
	}
	ids := map[string]bool{}
	for _, tt := range tests {
		u, err := svc.Get(ctx, tt.email)
		if err != nil {
			t.Errorf("Get(%q) after import: %v", tt.email, err)
			continue
		}
		if u.Email != tt.email || (tt.id != "" && u.ID != tt.id) || u.ID == "" || ids[u.ID] {
			t.Errorf("%s: email %q id %q; want email as given and id %q (or a fresh one)", tt.email, u.Email, u.ID, tt.id)
		}
		ids[u.ID] = true
		if got := user.JoinRoles(u.Roles); got != tt.roles {
			t.Errorf("%s: roles %q; want %q", tt.email, got, tt.roles)
		}
		if !sameTime(u.CreatedAt, tt.created) || !sameTime(u.UpdatedAt, tt.updated) || !sameTime(u.DisabledAt, tt.disabled) || !sameTime(u.LastLoginAt, tt.login) {
			t.Errorf("%s: created %v updated %v disabled %v login %v; want %v %v %v %v", tt.email,
				u.CreatedAt, u.UpdatedAt, u.DisabledAt, u.LastLoginAt, tt.created, tt.updated, tt.disabled, tt.login)
		}
		switch {
		case tt.hash != "" && u.PasswordHash != tt.hash:
			t.Errorf("%s: stored hash %q; want the imported %q as it was", tt.email, u.PasswordHash, tt.hash)
		case tt.hash == "" && !password.IsArgon2id(u.PasswordHash):
			t.Errorf("%s: stored hash %q; want an argon2id hash of the imported password", tt.email, u.PasswordHash)
		}
	}

	// The imported users are found by search, like any others.
	checkSearch(t, svc, "example.org", 4)
	checkSearch(t, svc, "LODIE@", 1)

	// The passwords work: plaintext ones hashed, stored hashes as given.
	for email, plain := range map[string]string{
		"alice@example.org": goodPassword, "CAROL@example.org": "imported bcrypt passphrase", "Élodie@exemple.fr": "another fine passphrase here",
	} {
		if _, err := svc.Verify(ctx, email, plain); err != nil {
			t.Errorf("Verify(%q) after import: %v", email, err)
		}
	}
	if _, err := svc.Verify(ctx, "alice@example.org", goodPassword+"!"); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify(alice, wrong password) = %v; want %v", err, user.ErrInvalidCredentials)
	}
	if _, _, err := svc.SetDisabled(ctx, "bob@example.org", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, "bob@example.org", "imported argon2id passphrase"); err != nil {
		t.Errorf("Verify(bob) with the password of his imported hash: %v", err)
	}

	// One import audit entry each, at the time of the import.
	var entries []string
	err := svc.Audit(ctx, user.AuditFilter{}, func(e user.AuditEntry) error {
		if e.Action == user.ActionImport {
			entries = append(entries, e.UserEmail)
			if !e.At.Equal(now) || e.Actor != "tester" {
				t.Errorf("import entry for %s at %v by %q; want %v by tester", e.UserEmail, e.At, e.Actor, now)
			}
			if strings.Contains(e.Details, "$") || strings.Contains(e.Details, "passphrase") || strings.Contains(e.Details, goodPassword) {
				t.Errorf("import entry for %s holds a password or hash: %q", e.UserEmail, e.Details)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(entries)
	if want := []string{"Alice@Example.org", "bob@example.org", "carol@example.org", "dave@example.org", "élodie@exemple.fr"}; !slices.Equal(entries, want) {
		t.Errorf("import audit entries for %q; want one each for %q", entries, want)
	}
	checkChain(t, store)
}

func TestImportInvalidRecordsWriteNothing(t *testing.T) {
	ctx := context.Background()
	svc, store, c := newService(t)
	taken := mustRegister(t, svc, "taken@example.org")
	c.Advance(time.Minute)
	created := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	const weak = "x7#k2q"
	hashed := cheapHash(t, "a hashed passphrase")
	src := lined(
		user.ImportRecord{Email: "ok1@example.org", Password: goodPassword},                                                            // 2
		user.ImportRecord{Err: errors.New("malformed CSV: bare \" in non-quoted-field")},                                               // 3
		user.ImportRecord{Email: "not an email", Password: goodPassword},                                                               // 4
		user.ImportRecord{Email: "root@example.org", Roles: []string{"admin", "root"}, Password: goodPassword},                         // 5
		user.ImportRecord{Email: "weak@example.org", Password: weak},                                                                   // 6
		user.ImportRecord{Email: "both@example.org", Password: goodPassword, HashedPassword: hashed},                                   // 7
		user.ImportRecord{Email: "neither@example.org"},                                                                                // 8: valid, no password yet
		user.ImportRecord{Email: "garbage@example.org", HashedPassword: "not-a-hash"},                                                  // 9
		user.ImportRecord{ID: "id-ok2", Email: "ok2@example.org", HashedPassword: hashed},                                              // 10
		user.ImportRecord{Email: "OK1@EXAMPLE.ORG", Password: goodPassword},                                                            // 11
		user.ImportRecord{Email: "Taken@Example.org", Password: goodPassword},                                                          // 12
		user.ImportRecord{ID: taken.ID, Email: "newcomer@example.org", Password: goodPassword},                                         // 13
		user.ImportRecord{ID: "id-ok2", Email: "ok3@example.org", Password: goodPassword},                                              // 14
		user.ImportRecord{Email: "late@example.org", Password: goodPassword, CreatedAt: created, UpdatedAt: created.Add(-time.Second)}, // 15
		user.ImportRecord{Email: "ok4@example.org", Password: goodPassword, CreatedAt: created, UpdatedAt: created},                    // 16
	)
	type wantErr struct {
		line     int
		sentinel error  // matched with errors.Is, when set
		text     string // a substring of the message
	}
	want := []wantErr{
		{3, nil, "malformed CSV"},
		{4, user.ErrInvalidEmail, ""},
		{5, user.ErrInvalidRole, `"root"`},
		{6, password.ErrPolicy, "too short"},
		{7, nil, "not both"},
		{9, nil, "hashed_password"},
		{11, nil, "already on line 2"},
		{12, user.ErrAlreadyExists, "Taken@Example.org"},
		{13, nil, "belongs to another user"},
		{14, nil, "id id-ok2 is already on line 10"},
		{15, nil, "updated_at is before created_at"},
	}
	check := func(name string, rep user.ImportReport) {
		t.Helper()
		if len(rep.Errors) != len(want) {
			t.Errorf("%s: %d errors %v; want %d", name, len(rep.Errors), rep.Errors, len(want))
			return
		}
		for i, w := range want {
			e := rep.Errors[i]
			if e.Line != w.line || (w.sentinel != nil && !errors.Is(e.Err, w.sentinel)) || !strings.Contains(e.Error(), w.text) {
				t.Errorf("%s: error %d = %q; want line %d, %v, containing %q", name, i, e.Error(), w.line, w.sentinel, w.text)
			}
			if !strings.HasPrefix(e.Error(), fmt.Sprintf("line %d: ", w.line)) {
				t.Errorf("%s: error %q does not start with its line", name, e.Error())
			}
			for _, secret := range []string{weak, goodPassword, hashed} {
				if strings.Contains(e.Error(), secret) {
					t.Errorf("%s: error %q shows a password or hash", name, e.Error())
				}
			}
		}
		if got, want := reportCounts(rep), "read 15, invalid 11, added 4, updated 0, skipped 0"; got != want {
			t.Errorf("%s: report %s; want %s", name, got, want)
		}
	}

	before := countRows(t, store)
	progressed := false
	rep, err := svc.Import(ctx, src, user.ImportOptions{Progress: func(int, int) { progressed = true }})
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Fatalf("Import with invalid records = %v; want %v", err, user.ErrInvalidRecords)
	}
	check("all or nothing", rep)
	if after := countRows(t, store); after != before || progressed {
		t.Errorf("rows %+v -> %+v (progress called: %v); want nothing written", before, after, progressed)
	}

	// A dry run reports the same and writes nothing either.
	rep, err = svc.Import(ctx, src, user.ImportOptions{DryRun: true})
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Errorf("dry run with invalid records = %v; want %v", err, user.ErrInvalidRecords)
	}
	check("dry run", rep)
	if after := countRows(t, store); after != before {
		t.Errorf("dry run: rows %+v -> %+v; want nothing written", before, after)
	}

	// --skip-invalid writes the four valid ones, with their audit entries;
	// the one without a password gets none that verifies.
	rep, err = svc.Import(ctx, src, user.ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatalf("Import with SkipInvalid = %v", err)
	}
	check("skip invalid", rep)
	after := countRows(t, store)
	if after.users != before.users+4 || after.audit != before.audit+4 || after.roles != before.roles+4 {
		t.Errorf("skip invalid: rows %+v -> %+v; want 4 more users, roles and audit entries", before, after)
	}
	if _, err := svc.Verify(ctx, "neither@example.org", ""); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify of a user imported without a password = %v; want ErrInvalidCredentials", err)
	}
	for _, email := range []string{"ok1@example.org", "ok2@example.org", "ok4@example.org", "neither@example.org"} {
		if _, err := svc.Get(ctx, email); err != nil {
			t.Errorf("skip invalid: Get(%s) = %v", email, err)
		}
	}
	for _, email := range []string{"root@example.org", "weak@example.org", "both@example.org", "newcomer@example.org", "ok3@example.org", "late@example.org"} {
		if _, err := svc.Get(ctx, email); !errors.Is(err, user.ErrNotFound) {
			t.Errorf("skip invalid: Get(%s) = %v; want not found", email, err)
		}
	}
	checkChain(t, store)
}

func TestImportDryRun(t *testing.T) {
	ctx := context.Background()
	svc, store, c := newService(t)
	alice := mustRegister(t, svc, "alice@example.org", user.RoleAdmin)
	mustRegister(t, svc, "bob@example.org")
	// Another admin, so that the update's demotion of alice is not refused
	// as the last enabled admin's.
	mustRegister(t, svc, "erin@example.org", user.RoleAdmin)
	c.Advance(time.Hour)
	src := lined(
		user.ImportRecord{Email: "alice@example.org", Roles: []string{"viewer"}, Password: "a brand new passphrase"},
		user.ImportRecord{Email: "bob@example.org", Password: goodPassword},
		user.ImportRecord{Email: "carol@example.org", Password: goodPassword},
		user.ImportRecord{Email: "dave@example.org", Password: goodPassword},
		user.ImportRecord{Email: "bad", Password: goodPassword},
	)
	before := countRows(t, store)
	for _, tc := range []struct {
		policy user.OnConflict
		want   string
	}{
		{user.ConflictUpdate, "read 5, invalid 1, added 2, updated 2, skipped 0"},
		{user.ConflictSkip, "read 5, invalid 1, added 2, updated 0, skipped 2"},
		{user.ConflictFail, "read 5, invalid 3, added 2, updated 0, skipped 0"},
	} {
		progressed := false
		rep, err := svc.Import(ctx, src, user.ImportOptions{DryRun: true, SkipInvalid: true, OnConflict: tc.policy,
			Progress: func(int, int) { progressed = true }})
		if err != nil || reportCounts(rep) != tc.want {
			t.Errorf("dry run, conflict policy %d = %s, %v; want %s", tc.policy, reportCounts(rep), err, tc.want)
		}
		if progressed {
			t.Errorf("dry run, conflict policy %d: Progress was called", tc.policy)
		}
	}
	if after := countRows(t, store); after != before {
		t.Errorf("dry runs: rows %+v -> %+v; want nothing written", before, after)
	}
	if u, err := svc.Get(ctx, "alice@example.org"); err != nil || u.PasswordHash != alice.PasswordHash || user.JoinRoles(u.Roles) != "admin" || !u.UpdatedAt.Equal(alice.UpdatedAt) {
		t.Errorf("after dry runs alice = %+v, %v; want her as she was", u, err)
	}
}

// conflictFixture is a database holding alice (admin), bob (analyst) and
// carol (viewer, disabled), registered an hour before the import, and the
// file that the conflict tests import: the three of them changed, and dave,
// who is new.
type conflictFixture struct {
	svc               *user.Service
	store             testStore
	clock             *clock
	alice, bob, carol user.User
	bobHash           string
	src               importSource
}

const newPassphrase = "a brand new passphrase"

func newConflictFixture(t *testing.T) *conflictFixture {
	t.Helper()
	ctx := context.Background()
	svc, store, c := newService(t)
	f := &conflictFixture{svc: svc, store: store, clock: c}
	f.alice = mustRegister(t, svc, "alice@example.org", user.RoleAdmin)
	f.bob = mustRegister(t, svc, "bob@example.org")
	f.carol = mustRegister(t, svc, "carol@example.org", user.RoleViewer)
	c.Advance(time.Minute) // so that the disable stamps a time of its own
	var err error
	if f.carol, _, err = svc.SetDisabled(ctx, "carol@example.org", true); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	f.bobHash = cheapHash(t, "bob's imported passphrase")
	f.src = lined(
		// Another case, and a created_at that an update must not take.
		user.ImportRecord{Email: "ALICE@example.org", Roles: []string{"viewer"}, Password: newPassphrase,
			CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		user.ImportRecord{Email: "bob@example.org", HashedPassword: f.bobHash, Disabled: true},
		// Enabled by saying so: a record without a disabled field would
		// leave her disabled.
		user.ImportRecord{Email: "carol@example.org", Roles: []string{"viewer"}, Password: goodPassword,
			Given: user.FieldEmail | user.FieldRoles | user.FieldPassword | user.FieldDisabled},
		user.ImportRecord{Email: "dave@example.org", Password: goodPassword},
	)
	return f
}

func (f *conflictFixture) get(t *testing.T, email string) user.User {
	t.Helper()
	u, err := f.svc.Get(context.Background(), email)
	if err != nil {
		t.Fatalf("Get(%s): %v", email, err)
	}
	return u
}

func sameUser(a, b user.User) bool {
	return a.ID == b.ID && a.Email == b.Email && slices.Equal(a.Roles, b.Roles) && a.PasswordHash == b.PasswordHash &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.DisabledAt.Equal(b.DisabledAt) && a.LastLoginAt.Equal(b.LastLoginAt)
}

func TestImportConflictFail(t *testing.T) {
	f := newConflictFixture(t)
	before := countRows(t, f.store)
	rep, err := f.svc.Import(context.Background(), f.src, user.ImportOptions{})
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Fatalf("Import onto existing users = %v; want %v", err, user.ErrInvalidRecords)
	}
	var lines []int
	for _, e := range rep.Errors {
		lines = append(lines, e.Line)
		var exists *user.ExistsError
		if !errors.As(e.Err, &exists) {
			t.Errorf("error %q; want an *ExistsError", e.Error())
		}
	}
	if !slices.Equal(lines, []int{2, 3, 4}) || reportCounts(rep) != "read 4, invalid 3, added 1, updated 0, skipped 0" {
		t.Errorf("report %s, errors on lines %v; want the three existing users (2, 3, 4) invalid", reportCounts(rep), lines)
	}
	if after := countRows(t, f.store); after != before {
		t.Errorf("rows %+v -> %+v; want nothing written", before, after)
	}
}

func TestImportConflictSkip(t *testing.T) {
	f := newConflictFixture(t)
	before := countRows(t, f.store)
	rep := mustImport(t, f.svc, f.src, user.ImportOptions{OnConflict: user.ConflictSkip})
	if got, want := reportCounts(rep), "read 4, invalid 0, added 1, updated 0, skipped 3"; got != want {
		t.Errorf("report %s; want %s", got, want)
	}
	for _, u := range []user.User{f.alice, f.bob, f.carol} {
		if got := f.get(t, u.Email); !sameUser(got, u) {
			t.Errorf("skipped %s changed:\n%+v\nwant\n%+v", u.Email, got, u)
		}
	}
	f.get(t, "dave@example.org")
	if after := countRows(t, f.store); after.users != before.users+1 || after.audit != before.audit+1 {
		t.Errorf("rows %+v -> %+v; want one user and one audit entry more", before, after)
	}
	checkChain(t, f.store)
}

func TestImportConflictUpdate(t *testing.T) {
	ctx := context.Background()
	f := newConflictFixture(t)
	now := f.clock.now
	// Another admin, so that the update's demotion of alice is not refused
	// as the last enabled admin's.
	mustRegister(t, f.svc, "erin@example.org", user.RoleAdmin)
	before := countRows(t, f.store)
	rep := mustImport(t, f.svc, f.src, user.ImportOptions{OnConflict: user.ConflictUpdate})
	if got, want := reportCounts(rep), "read 4, invalid 0, added 1, updated 3, skipped 0"; got != want {
		t.Errorf("report %s; want %s", got, want)
	}

	alice := f.get(t, "alice@example.org")
	if alice.ID != f.alice.ID || alice.Email != "ALICE@example.org" || user.JoinRoles(alice.Roles) != "viewer" ||
		!alice.CreatedAt.Equal(f.alice.CreatedAt) || !alice.UpdatedAt.Equal(now) || alice.Disabled() {
		t.Errorf("updated alice = %+v; want the same id and created_at, the email as the file spells it, roles viewer, updated now (%v)", alice, now)
	}
	bob := f.get(t, "bob@example.org")
	if bob.PasswordHash != f.bobHash || !bob.DisabledAt.Equal(now) || !bob.CreatedAt.Equal(f.bob.CreatedAt) || user.JoinRoles(bob.Roles) != "analyst" {
		t.Errorf("updated bob = %+v; want the imported hash, disabled now, roles analyst (the default)", bob)
	}
	carol := f.get(t, "carol@example.org")
	if carol.Disabled() {
		t.Errorf("updated carol is still disabled; the record says enabled")
	}
	if _, err := f.svc.Verify(ctx, "alice@example.org", newPassphrase); err != nil {
		t.Errorf("Verify(alice, the imported password): %v", err)
	}
	if _, err := f.svc.Verify(ctx, "alice@example.org", goodPassword); !errors.Is(err, user.ErrInvalidCredentials) {
		t.Errorf("Verify(alice, her old password) = %v; want %v", err, user.ErrInvalidCredentials)
	}
	if _, err := f.svc.Verify(ctx, "carol@example.org", goodPassword); err != nil {
		t.Errorf("Verify(carol) once enabled by the import: %v", err)
	}

	after := countRows(t, f.store)
	if after.users != before.users+1 || after.audit != before.audit+4 {
		t.Errorf("rows %+v -> %+v; want one user more and an audit entry per record", before, after)
	}
	var details []string
	err := f.svc.Audit(ctx, user.AuditFilter{UserID: f.alice.ID}, func(e user.AuditEntry) error {
		if e.Action == user.ActionImport {
			details = append(details, e.Details)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(details) != 1 || !strings.Contains(details[0], "admin -> viewer") {
		t.Errorf("alice's import audit entries %q; want one saying admin -> viewer", details)
	}
	checkChain(t, f.store)
}

func TestImportConflictingIDs(t *testing.T) {
	ctx := context.Background()
	f := newConflictFixture(t)
	before := countRows(t, f.store)
	tests := []struct {
		name   string
		policy user.OnConflict
		rec    user.ImportRecord
		want   string // substring of the error; "" means valid
	}{
		{"a new email with another user's id", user.ConflictFail, user.ImportRecord{ID: f.bob.ID, Email: "new@example.org"}, "belongs to another user"},
		{"a new email with another user's id, skip", user.ConflictSkip, user.ImportRecord{ID: f.bob.ID, Email: "new@example.org"}, "belongs to another user"},
		{"a new email with another user's id, update", user.ConflictUpdate, user.ImportRecord{ID: f.bob.ID, Email: "new@example.org"}, "belongs to another user"},
		{"an existing email with another user's id", user.ConflictUpdate, user.ImportRecord{ID: f.bob.ID, Email: "alice@example.org"}, "exists with another id"},
		{"an existing email with an unknown id", user.ConflictUpdate, user.ImportRecord{ID: "someone-else", Email: "alice@example.org"}, "exists with another id"},
		{"an existing email with its own id", user.ConflictUpdate, user.ImportRecord{ID: f.alice.ID, Email: "alice@example.org"}, ""},
	}
	for _, tt := range tests {
		tt.rec.Password = goodPassword
		rep, err := f.svc.Import(ctx, lined(tt.rec), user.ImportOptions{OnConflict: tt.policy, DryRun: true})
		switch {
		case tt.want == "" && (err != nil || rep.Invalid != 0):
			t.Errorf("%s: Import = %v, %v; want valid", tt.name, rep.Errors, err)
		case tt.want != "" && (!errors.Is(err, user.ErrInvalidRecords) || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), tt.want)):
			t.Errorf("%s: Import = %v, %v; want one error containing %q", tt.name, rep.Errors, err, tt.want)
		}
	}
	if after := countRows(t, f.store); after != before {
		t.Errorf("rows %+v -> %+v; want nothing written", before, after)
	}
}

func TestImportDuplicatesInFile(t *testing.T) {
	svc, store, _ := newService(t)
	src := lined(
		user.ImportRecord{Email: "Élodie@Exemple.fr", Password: goodPassword},       // 2
		user.ImportRecord{Email: "élodie@EXEMPLE.FR", Password: goodPassword},       // 3: case
		user.ImportRecord{Email: "E\u0301LODIE@exemple.fr", Password: goodPassword}, // 4: decomposed
		user.ImportRecord{Email: "kate@example.org", Password: goodPassword},        // 5
		user.ImportRecord{Email: "\u212Aate@example.org", Password: goodPassword},   // 6: Kelvin sign
		user.ImportRecord{Email: " kate@example.org ", Password: goodPassword},      // 7: spaces
		user.ImportRecord{Email: "other@example.org", Password: goodPassword},       // 8
	)
	before := countRows(t, store)
	rep, err := svc.Import(context.Background(), src, user.ImportOptions{})
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Fatalf("Import with duplicates = %v; want %v", err, user.ErrInvalidRecords)
	}
	var got []string
	for _, e := range rep.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		"line 3: élodie@EXEMPLE.FR is already on line 2",
		"line 4: E\u0301LODIE@exemple.fr is already on line 2",
		"line 6: \u212Aate@example.org is already on line 5",
		"line 7: kate@example.org is already on line 5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n%q\nwant\n%q", got, want)
	}
	if after := countRows(t, store); after != before {
		t.Errorf("rows %+v -> %+v; want nothing written", before, after)
	}
}

func TestImportPasswordPolicy(t *testing.T) {
	policy, err := password.NewPolicy(20)
	if err != nil {
		t.Fatal(err)
	}
	svc, _, _ := newService(t, user.WithPolicy(policy))
	tests := []struct {
		email, plain string
		ok           bool
	}{
		{"a@example.org", goodPassword, true},
		{"b@example.org", "purple monkey dish", false}, // 18 < 20
		{"alice@example.org", "alice-in-wonderland-rules", false},
		{"c@example.org", "tab\there is a long passphrase", false},
		{"d@example.org", strings.Repeat("ab", 20), false},
		{"e@example.org", "passwordpassword1234", false},
	}
	for _, tt := range tests {
		rep, err := svc.Import(context.Background(), lined(user.ImportRecord{Email: tt.email, Password: tt.plain}), user.ImportOptions{DryRun: true})
		if tt.ok {
			if err != nil {
				t.Errorf("Import(%q, %q) = %v, %v; want valid", tt.email, tt.plain, rep.Errors, err)
			}
			continue
		}
		if !errors.Is(err, user.ErrInvalidRecords) || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0].Err, password.ErrPolicy) {
			t.Errorf("Import(%q, %q) = %v, %v; want one error matching %v", tt.email, tt.plain, rep.Errors, err, password.ErrPolicy)
			continue
		}
		if strings.Contains(rep.Errors[0].Error(), tt.plain) {
			t.Errorf("Import(%q) error %q shows the password", tt.email, rep.Errors[0].Error())
		}
	}
	// The policy is for plaintext: a stored hash cannot be checked, and an
	// imported hash of a short password is taken.
	if _, err := svc.Import(context.Background(), lined(user.ImportRecord{Email: "f@example.org", HashedPassword: cheapHash(t, "short")}), user.ImportOptions{}); err != nil {
		t.Errorf("Import of a hash = %v; want it taken as it is", err)
	}
}

func TestImportHashedPassword(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	const plain = "the imported passphrase"
	argonDefault, err := password.NewHasher(password.DefaultParams).Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	bc := bcryptHash(t, plain)
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		name, hash string
		ok         bool
	}{
		{"argon2id, cheap parameters", cheapHash(t, plain), true},
		{"argon2id, default parameters", argonDefault, true},
		{"bcrypt $2a$/$2b$", bc, true},
		{"bcrypt $2y$", "$2y$" + bc[4:], true},
		{"garbage", "not-a-hash", false},
		{"argon2id prefix only", "$argon2id$", false},
		{"argon2id without its key", "$argon2id$v=19$m=64,t=1,p=1$" + salt, false},
		{"argon2id, memory out of bounds", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, false},
		{"argon2id, time 0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, false},
		{"argon2id, time out of bounds", "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key, false},
		{"argon2id, 255 threads", "$argon2id$v=19$m=65536,t=1,p=255$" + salt + "$" + key, false},
		{"argon2id, version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, false},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, false},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$" + salt + "$" + key, false},
		{"bcrypt prefix and garbage", "$2b$10$garbage", false},
		{"bcrypt prefix only", "$2a$", false},
		{"bcrypt with a cost Verify refuses", "$2b$31$" + bc[7:], false},
	}
	for i, tt := range tests {
		email := fmt.Sprintf("u%02d@example.org", i)
		before := countRows(t, store)
		rep, err := svc.Import(ctx, lined(user.ImportRecord{Email: email, HashedPassword: tt.hash}), user.ImportOptions{})
		if !tt.ok {
			if !errors.Is(err, user.ErrInvalidRecords) || len(rep.Errors) != 1 {
				t.Errorf("%s: Import of hash %q = %v, %v; want it invalid", tt.name, tt.hash, rep.Errors, err)
			}
			if after := countRows(t, store); after != before {
				t.Errorf("%s: rows %+v -> %+v; want nothing written", tt.name, before, after)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Import of hash %q = %v, %v; want it taken", tt.name, tt.hash, rep.Errors, err)
			continue
		}
		u, err := svc.Get(ctx, email)
		if err != nil || u.PasswordHash != tt.hash {
			t.Errorf("%s: stored hash %q, %v; want %q as it was", tt.name, u.PasswordHash, err, tt.hash)
		}
		if _, err := svc.Verify(ctx, email, plain); err != nil {
			t.Errorf("%s: Verify with the hash's password: %v", tt.name, err)
		}
	}
}

func TestImportCancelledWhileWriting(t *testing.T) {
	svc, store, _ := newService(t)
	mustRegister(t, svc, "before@example.org")
	hashed := cheapHash(t, "a hashed passphrase")
	recs := make([]user.ImportRecord, 300)
	for i := range recs {
		recs[i] = user.ImportRecord{Email: fmt.Sprintf("user%03d@example.org", i), Roles: []string{"viewer"}}
		if i%2 == 0 {
			recs[i].Password = goodPassword
		} else {
			recs[i].HashedPassword = hashed
		}
	}
	src := lined(recs...)
	before := countRows(t, store)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	last := 0
	rep, err := svc.Import(ctx, src, user.ImportOptions{Progress: func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		last = done
		if done == 50 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Import cancelled after 50 of 300 writes = %v; want %v", err, context.Canceled)
	}
	if last < 50 || last >= 300 {
		t.Errorf("Progress reached %d; want the cancel at 50 to stop it short of 300", last)
	}
	if rep.Added != 300 {
		t.Errorf("report added %d; want the 300 the validation found", rep.Added)
	}
	if after := countRows(t, store); after != before {
		t.Errorf("rows %+v -> %+v after a cancelled import; want nothing written", before, after)
	}
	checkChain(t, store)

	// Cancelled while validating: the same.
	ctx2, cancel2 := context.WithCancel(context.Background())
	read := 0
	_, err = svc.Import(ctx2, importSource(nil), user.ImportOptions{})
	if err != nil {
		t.Errorf("Import of nothing = %v", err)
	}
	_, err = svc.Import(ctx2, sourceFunc(func(ctx context.Context, fn func(user.ImportRecord) error) error {
		for _, r := range src {
			if read++; read == 10 {
				cancel2()
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}), user.ImportOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Import cancelled while validating = %v; want %v", err, context.Canceled)
	}
	if after := countRows(t, store); after != before {
		t.Errorf("rows %+v -> %+v after an import cancelled while validating; want nothing written", before, after)
	}

	// The store is not left locked or half-used: a user registered now is
	// indexed for search as usual, and the same import goes through whole.
	mustRegister(t, svc, "after@example.org")
	checkSearch(t, svc, "after@", 1)
	checkSearch(t, svc, "user0", 0)
	rep = mustImport(t, svc, src, user.ImportOptions{})
	if after := countRows(t, store); rep.Added != 300 || after.users != before.users+301 || after.audit != before.audit+301 {
		t.Errorf("import after the cancelled ones: added %d, rows %+v -> %+v; want 300 users with their audit entries", rep.Added, before, after)
	}
	checkSearch(t, svc, "user0", 100)
	checkSearch(t, svc, "user299@", 1)
	mustRegister(t, svc, "later@example.org")
	checkSearch(t, svc, "later@", 1)
	checkChain(t, store)
}

// changingSource yields first on its first reading and second on every
// later one: a file edited between the validating and the writing pass.
type changingSource struct {
	first, second importSource
	reads         int
}

func (s *changingSource) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	s.reads++
	if s.reads == 1 {
		return s.first.Records(ctx, fn)
	}
	return s.second.Records(ctx, fn)
}

func TestImportFileChangedBetweenPasses(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "taken@example.org")
	hashed := cheapHash(t, "a hashed passphrase")
	recs := func(emails ...string) importSource {
		var out []user.ImportRecord
		for _, e := range emails {
			out = append(out, user.ImportRecord{Email: e, HashedPassword: hashed})
		}
		return lined(out...)
	}
	tests := []struct {
		name          string
		first, second importSource
	}{
		{"a record now names an existing user", recs("a@example.org", "b@example.org", "c@example.org"), recs("a@example.org", "taken@example.org", "c@example.org")},
		{"a record was added", recs("a@example.org", "b@example.org"), recs("a@example.org", "b@example.org", "c@example.org")},
		{"a record was removed", recs("a@example.org", "b@example.org", "c@example.org"), recs("a@example.org", "b@example.org")},
		{"a hash was replaced by garbage", recs("a@example.org", "b@example.org"), func() importSource {
			r := recs("a@example.org", "b@example.org")
			r[1].HashedPassword = "not-a-hash"
			return r
		}()},
		{"a plaintext password was swapped in", recs("a@example.org", "b@example.org"), func() importSource {
			r := recs("a@example.org", "b@example.org")
			r[1].HashedPassword, r[1].Password = "", "short"
			r[1].Given = r[1].Given&^user.FieldHashedPassword | user.FieldPassword
			return r
		}()},
	}
	before := countRows(t, store)
	for _, tt := range tests {
		_, err := svc.Import(ctx, &changingSource{first: tt.first, second: tt.second}, user.ImportOptions{})
		if err == nil {
			t.Errorf("%s: Import = nil; want an error", tt.name)
		}
		if after := countRows(t, store); after != before {
			t.Errorf("%s: rows %+v -> %+v; want nothing written", tt.name, before, after)
		}
	}
	// The failed writes rolled back whole: new users are still indexed.
	mustRegister(t, svc, "after@example.org")
	checkSearch(t, svc, "after@", 1)
	checkSearch(t, svc, "a@example", 0)
	checkChain(t, store)
}

// sourceFunc is an ImportSource made of a function.
type sourceFunc func(ctx context.Context, fn func(user.ImportRecord) error) error

func (f sourceFunc) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	return f(ctx, fn)
}

// exportAll writes every user of svc as `ctitui user export --include-hashes`
// does: oldest first, with hashes.
func exportAll(t *testing.T, svc *user.Service, f transfer.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := transfer.NewWriter(&buf, f, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.List(context.Background(), user.ListOptions{Sort: user.ByCreated, Reverse: true, WithHashes: true}, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func allUsers(t *testing.T, svc *user.Service) []user.User {
	t.Helper()
	users, err := svc.Page(context.Background(), user.ListOptions{Sort: user.ByCreated, Reverse: true, WithHashes: true})
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	svc, _, c := newService(t)
	passwords := map[string]string{}
	add := func(email, plain string, roles ...user.Role) {
		t.Helper()
		if _, err := svc.Register(ctx, email, plain, roles); err != nil {
			t.Fatal(err)
		}
		passwords[email] = plain
		c.Advance(1234 * time.Millisecond)
	}
	add("alice@example.org", goodPassword, user.RoleAdmin, user.RoleAnalyst)
	add("bob@example.org", "a long passphrase of his", user.RoleViewer)
	add("Élodie@Exemple.fr", "her own passphrase, accents: é")
	add("carol@example.org", "another secret passphrase", user.RoleAdmin, user.RoleAnalyst, user.RoleViewer)
	add("tie@example.org", goodPassword) // same created_at as the next
	c.Advance(-1234 * time.Millisecond)
	add("tie2@example.org", goodPassword)
	if _, _, err := svc.SetDisabled(ctx, "bob@example.org", true); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if _, err := svc.Verify(ctx, "carol@example.org", passwords["carol@example.org"]); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if _, err := svc.SetRoles(ctx, "alice@example.org", []user.Role{user.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	// A user with a bcrypt hash and times from another system.
	old := time.Date(2019, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	mustImport(t, svc, lined(user.ImportRecord{Email: "legacy@example.org", HashedPassword: bcryptHash(t, "legacy passphrase here"),
		CreatedAt: old, UpdatedAt: old.Add(time.Hour), LastLoginAt: old.Add(2 * time.Hour)}), user.ImportOptions{})
	passwords["legacy@example.org"] = "legacy passphrase here"
	want := allUsers(t, svc)

	for _, f := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		t.Run(string(f), func(t *testing.T) {
			exported := exportAll(t, svc, f)
			svc2, store2, c2 := newService(t)
			c2.Advance(365 * 24 * time.Hour) // the times must come from the file
			rep := mustImport(t, svc2, fileSource{exported, f}, user.ImportOptions{})
			if rep.Added != len(want) {
				t.Errorf("import added %d; want %d", rep.Added, len(want))
			}
			got := allUsers(t, svc2)
			if len(got) != len(want) {
				t.Fatalf("%d users after the round trip; want %d", len(got), len(want))
			}
			for i := range want {
				if !sameUser(got[i], want[i]) {
					t.Errorf("user %d after the round trip:\n%+v\nwant\n%+v", i, got[i], want[i])
				}
			}
			if again := exportAll(t, svc2, f); !bytes.Equal(again, exported) {
				t.Errorf("export of the imported database differs from the first export:\n%s\nwant\n%s", again, exported)
			}
			checkChain(t, store2)
			checkSearch(t, svc2, "example.org", len(want)-1)
			checkSearch(t, svc2, "élodie", 1)

			if _, _, err := svc2.SetDisabled(ctx, "bob@example.org", false); err != nil {
				t.Fatal(err)
			}
			for email, plain := range passwords {
				if _, err := svc2.Verify(ctx, email, plain); err != nil {
					t.Errorf("Verify(%s) in the imported database: %v", email, err)
				}
			}
		})
	}
}
