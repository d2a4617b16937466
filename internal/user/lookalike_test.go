package user_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

func TestEmailSkeleton(t *testing.T) {
	alike := []struct{ a, b string }{
		{"admin@example.org", "\u0430dmin@example.org"},                // Cyrillic а
		{"admin@example.org", "ADMIN@EXAMPLE.ORG"},                     // case
		{"admin@example.org", "\u0410DMIN@example.org"},                // Cyrillic А among capitals
		{"paypal@x.org", "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org"}, // all Cyrillic
		{"admin@example.org", "ad\u034fmin@example.org"},               // COMBINING GRAPHEME JOINER
		{"admin@example.org", "admin\ufe0f@example.org"},               // VARIATION SELECTOR-16
		{"admin@example.org", "ad\u17b4min@example.org"},               // KHMER VOWEL INHERENT AQ
		{"admin@example.org", "\u115fadmin@example.org"},               // HANGUL CHOSEONG FILLER
		{"admin@example.org", "admin\u3164@example.org"},               // HANGUL FILLER
		{"admin@example.org", "\uff41dmin@example.org"},                // FULLWIDTH a
		{"admin@example.org", "admin@\uff45xample.org"},                // fullwidth in the domain
		{"admin@example.org", "admin@example\u3002org"},                // IDEOGRAPHIC FULL STOP
		{"admin@example.org", "admin@example\uff0eorg"},                // FULLWIDTH FULL STOP
		{"admin@example.org", "admin@example\uff61org"},                // HALFWIDTH IDEOGRAPHIC FULL STOP
		{"admin@example.org", "admin@exarnple.org"},                    // rn for m
		{"admin@пример.рф", "admin@xn--e1afmkfd.xn--p1ai"},             // punycode
		{"admin@apple.com", "admin@xn--80ak6aa92e.com"},                // аррӏе.com, all Cyrillic
		{"bob@example.org", "b0b@example.org"},                         // zero for o
		{"bill@example.org", "bi11@example.org"},                       // ones for l
		{"ADM0N@example.org", "admon@example.org"},                     // zero among capitals
		{"Élodie@exemple.fr", "E\u0301lodie@exemple.fr"},               // decomposed
		{"\U0001d408nfo@x.org", "info@x.org"},                          // MATHEMATICAL BOLD CAPITAL I: NFKC gives I, folded to i
	}
	for _, tt := range alike {
		if a, b := user.EmailSkeleton(tt.a), user.EmailSkeleton(tt.b); a != b {
			t.Errorf("EmailSkeleton(%q) = %q, EmailSkeleton(%q) = %q; want equal", tt.a, a, tt.b, b)
		}
	}
	different := []struct{ a, b string }{
		{"admin@example.org", "admins@example.org"},
		{"admin@example.org", "admin@example.com"},
		{"alice@example.org", "bob@example.org"},
		{"дмитрий@пример.рф", "dmitrij@primer.rf"},
		{"admin@example.org", "admin@exampie.org"},
	}
	for _, tt := range different {
		if a, b := user.EmailSkeleton(tt.a), user.EmailSkeleton(tt.b); a == b {
			t.Errorf("EmailSkeleton(%q) = EmailSkeleton(%q) = %q; want different", tt.a, tt.b, a)
		}
	}
}

func TestRegisterRefusesLookAlikes(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	admin := mustRegister(t, svc, "admin@example.org")
	tests := []struct {
		email string
		want  error // ErrLookAlike: refused naming admin@example.org
	}{
		{"\u0430dmin@example.org", user.ErrLookAlike},           // Cyrillic а: mixed scripts, and a look-alike
		{"\u0430\u0501m\u0456n@example.org", user.ErrLookAlike}, // mixed, mostly Cyrillic
		{"ad\u034fmin@example.org", user.ErrLookAlike},          // invisible
		{"admin\u3164@example.org", user.ErrLookAlike},          // Hangul filler
		{"\uff41dmin@example.org", user.ErrLookAlike},           // fullwidth a
		{"admin@exarnple.org", user.ErrLookAlike},               // rn for m
		{"admin@xn--e1afmkfd.xn--p1ai", nil},                    // another domain altogether
		{"admin\u2800@example.org", user.ErrInvalidEmail},       // invisible, and not dropped by the skeleton
		{"ADMIN@example.org", user.ErrAlreadyExists},
		{"admin@example\u3002org", user.ErrAlreadyExists}, // the same domain
		{"admin@EXAMPLE\uff0eORG", user.ErrAlreadyExists},
		{"admin@\uff45xample.org", user.ErrAlreadyExists},
	}
	for _, tt := range tests {
		u, err := svc.Register(ctx, tt.email, goodPassword, nil)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("Register(%q) = %v; want accepted", tt.email, err)
		case tt.want == nil:
		case !errors.Is(err, tt.want):
			t.Errorf("Register(%q) = %q, %v; want %v", tt.email, u.Email, err, tt.want)
		case errors.Is(tt.want, user.ErrLookAlike):
			var la *user.LookAlikeError
			if !errors.As(err, &la) || la.Existing != admin.Email {
				t.Errorf("Register(%q) = %v; want a LookAlikeError naming %q", tt.email, err, admin.Email)
			}
			if msg := err.Error(); !strings.Contains(msg, "looks like existing user admin@example.org") || (hasNonASCII(tt.email) && !strings.Contains(msg, "U+")) {
				t.Errorf("Register(%q) error %q; want it to name admin@example.org and the characters that differ", tt.email, msg)
			}
			if !errors.Is(err, user.ErrInvalidEmail) {
				t.Errorf("Register(%q) error %v does not match ErrInvalidEmail", tt.email, err)
			}
		}
	}
	n, err := svc.Count(ctx, user.Filter{})
	if err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2 (admin and admin@пример.рф)", n, err)
	}

	// The look-alike is refused before anything else is checked, such as
	// the password (and before one is hashed).
	mustRegister(t, svc, "paypal@example.org")
	if _, err := svc.Register(ctx, "\u0440\u0430\u0443\u0440\u0430\u04cf@example.org", "short", nil); !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("Register(раураӏ, a short password) after paypal = %v; want ErrLookAlike, before the password policy", err)
	}
	// The first to register keeps the address: a look-alike registered
	// first keeps the real one out as well.
	mustRegister(t, svc, "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org")
	_, err = svc.Register(ctx, "paypal@x.org", goodPassword, nil)
	var la *user.LookAlikeError
	if !errors.As(err, &la) || la.Existing != "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org" {
		t.Errorf("Register(paypal@x.org) after its Cyrillic twin = %v; want a LookAlikeError naming the twin", err)
	}
}

func TestRegisterOneDomainWhateverItsForm(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	u := mustRegister(t, svc, "admin@xn--e1afmkfd.xn--p1ai")
	if u.Email != "admin@пример.рф" {
		t.Errorf("Register(admin@xn--e1afmkfd.xn--p1ai).Email = %q; want the Unicode form admin@пример.рф", u.Email)
	}
	for _, email := range []string{"admin@пример.рф", "ADMIN@ПРИМЕР.РФ", "admin@xn--e1afmkfd.xn--p1ai", "admin@XN--E1AFMKFD.XN--P1AI", "admin@пример\u3002рф"} {
		if _, err := svc.Register(ctx, email, goodPassword, nil); !errors.Is(err, user.ErrAlreadyExists) {
			t.Errorf("Register(%q) = %v; want ErrAlreadyExists", email, err)
		}
		if got, err := svc.Get(ctx, email); err != nil || got.ID != u.ID {
			t.Errorf("Get(%q) = %q, %v; want the user %q", email, got.Email, err, u.Email)
		}
	}
	v := mustRegister(t, svc, "admin@example\u3002org")
	if v.Email != "admin@example.org" {
		t.Errorf("Register(admin@example。org).Email = %q; want admin@example.org", v.Email)
	}
	for _, email := range []string{"admin@example.org", "admin@example\uff0eorg", "admin@example\uff61org", "admin@\uff45\uff58ample.org"} {
		if got, err := svc.Get(ctx, email); err != nil || got.ID != v.ID {
			t.Errorf("Get(%q) = %q, %v; want the user %q", email, got.Email, err, v.Email)
		}
	}
	if _, err := svc.Verify(ctx, "admin@example\uff0eorg", goodPassword); err != nil {
		t.Errorf("Verify through the fullwidth full stop: %v", err)
	}
}

// Two look-alikes registered at the same moment: the check before hashing
// passes for both, and the one inside the insert's transaction lets only
// one in.
func TestRegisterLookAlikesConcurrently(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t)
	emails := []string{"bill@example.org", "bi1l@example.org", "bil1@example.org", "bi11@example.org", "bi|l@example.org", "bil|@example.org"}
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, len(emails))
		for i, e := range emails {
			wg.Go(func() {
				_, errs[i] = svc.Register(ctx, fmt.Sprintf("r%d.%s", round, e), goodPassword, nil)
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, user.ErrLookAlike):
				t.Errorf("round %d: Register(%s) = %v; want ErrLookAlike or success", round, emails[i], err)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d of %d look-alikes registered; want exactly 1 (%v)", round, ok, len(emails), errs)
		}
	}
}

// TestRegisterStopsWhenTheLookAlikeCheckFails: the look-alike check is a
// read; when it fails (a broken disk, a damaged index), Register returns
// its error and adds no one, rather than taking the failure for "no user
// looks like this one".
func TestRegisterStopsWhenTheLookAlikeCheckFails(t *testing.T) {
	ctx := context.Background()
	svc, h, plain, _ := newHookedService(t)
	broken := errors.New("disk I/O error")
	h.lookingLikeErr = broken
	if u, err := svc.Register(ctx, "new@example.org", goodPassword, nil); !errors.Is(err, broken) {
		t.Fatalf("Register with the look-alike check failing = %+v, %v; want %v", u, err, broken)
	}
	n, err := plain.Count(ctx, user.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d users after a failed Register; want 0", n)
	}
}

// The insert itself refuses a look-alike, whatever the caller checked: the
// guard holds inside the write transaction.
func TestInsertUserRefusesLookAlike(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "admin@example.org")
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := store.WithTx(ctx, func(tx user.Tx) error {
		return tx.InsertUser(ctx, user.User{ID: "twin", Email: "\u0430\u0501m\u0456n@example.org", Roles: []user.Role{user.RoleAdmin},
			PasswordHash: "!", CreatedAt: now, UpdatedAt: now})
	})
	var la *user.LookAlikeError
	if !errors.As(err, &la) || la.Existing != "admin@example.org" {
		t.Fatalf("InsertUser of a look-alike = %v; want a LookAlikeError naming admin@example.org", err)
	}
	if _, err := svc.GetByID(ctx, "twin"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("GetByID(twin) = %v; want not found: nothing written", err)
	}
}

// Rows written by another tool carry no skeleton: they are still compared,
// through the lookup before hashing and inside the insert's transaction;
// and an email edited outside ctitui is compared by its new address.
func TestLookAlikesOfRowsWrittenElsewhere(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	raw := shellDB(t, store)
	for _, stmt := range []string{
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('shell-1', 'root@example.org', 'root@example.org', '!', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
		`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES ('shell-2', 'old@example.org', 'old@example.org', '!', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:01.000Z')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM users WHERE email_skeleton IS NULL`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("users without a skeleton = %d, %v; want the 2 written by the shell", n, err)
	}
	// Found by the read before hashing.
	if _, err := svc.Register(ctx, "r\u043e\u043et@example.org", goodPassword, nil); !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("Register(rооt with Cyrillic о) = %v; want ErrLookAlike", err)
	}
	// Found inside the transaction, which records the missing skeletons.
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := store.WithTx(ctx, func(tx user.Tx) error {
		return tx.InsertUser(ctx, user.User{ID: "x", Email: "r00t@example.org", Roles: []user.Role{user.RoleViewer}, PasswordHash: "!", CreatedAt: now, UpdatedAt: now})
	})
	if !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("InsertUser(r00t) = %v; want ErrLookAlike", err)
	}
	mustRegister(t, svc, "fresh@example.org")
	if err := raw.QueryRow(`SELECT count(*) FROM users WHERE email_skeleton IS NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("users without a skeleton after a register = %d, %v; want 0", n, err)
	}
	// The shell renames a user and leaves the skeleton: a trigger clears it,
	// so the new address is what look-alikes are compared with.
	if _, err := raw.Exec(`UPDATE users SET email = 'boss@example.org', email_normalized = 'boss@example.org' WHERE id = 'shell-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, "b\u043ess@example.org", goodPassword, nil); !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("Register(bоss) after the shell renamed a user to boss = %v; want ErrLookAlike", err)
	}
	if _, err := svc.Register(ctx, "b0ss@example.org", goodPassword, nil); !errors.Is(err, user.ErrLookAlike) {
		t.Errorf("Register(b0ss) after the shell renamed a user to boss = %v; want ErrLookAlike", err)
	}
	if _, err := svc.Register(ctx, "old@example.org", goodPassword, nil); err != nil {
		t.Errorf("Register(old@example.org) after the shell renamed its holder = %v; want it free", err)
	}
}

func TestImportRefusesLookAlikes(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "admin@example.org")
	mustRegister(t, svc, "paypal@x.org")
	src := lined(
		user.ImportRecord{Email: "alice@example.org"},                          // 2
		user.ImportRecord{Email: "\u0430lice@example.org"},                     // 3: mixed scripts
		user.ImportRecord{Email: "\u0440\u0430\u0443\u0440\u0430\u04cf@x.org"}, // 4: looks like the existing paypal
		user.ImportRecord{Email: "carol@example.org"},                          // 5
		user.ImportRecord{Email: "caro1@example.org"},                          // 6: looks like line 5
		user.ImportRecord{Email: "dave@xn--e1afmkfd.xn--p1ai"},                 // 7
		user.ImportRecord{Email: "dave@пример\u3002рф"},                        // 8: the same address as line 7
		user.ImportRecord{Email: "admin@example.org"},                          // 9: exists
		user.ImportRecord{Email: "erin\u3164@example.org"},                     // 10: invisible
	)
	before := countRows(t, store)
	rep, err := svc.Import(ctx, src, user.ImportOptions{})
	if !errors.Is(err, user.ErrInvalidRecords) {
		t.Fatalf("Import = %v; want %v", err, user.ErrInvalidRecords)
	}
	got := map[int]error{}
	for _, e := range rep.Errors {
		got[e.Line] = e.Err
	}
	for line, want := range map[int]error{3: user.ErrInvalidEmail, 4: user.ErrLookAlike, 6: user.ErrLookAlike, 9: user.ErrAlreadyExists, 10: user.ErrInvalidEmail} {
		if !errors.Is(got[line], want) {
			t.Errorf("line %d: %v; want %v", line, got[line], want)
		}
	}
	if err := got[6]; err == nil || !strings.Contains(err.Error(), "carol@example.org on line 5") {
		t.Errorf("line 6: %v; want it to name carol@example.org on line 5", err)
	}
	if err := got[4]; err == nil || !strings.Contains(err.Error(), "looks like existing user paypal@x.org") {
		t.Errorf("line 4: %v; want it to name the existing paypal@x.org", err)
	}
	if err := got[8]; err == nil || !strings.Contains(err.Error(), "already on line 7") {
		t.Errorf("line 8: %v; want a duplicate of line 7", err)
	}
	if len(rep.Errors) != 6 {
		t.Errorf("%d invalid records: %v; want 6", len(rep.Errors), rep.Errors)
	}
	if after := countRows(t, store); after != before {
		t.Errorf("rows %+v -> %+v; want nothing written", before, after)
	}
	// With SkipInvalid the rest goes in, and only the first of each pair.
	if _, err := svc.Import(ctx, src, user.ImportOptions{SkipInvalid: true}); err != nil {
		t.Fatalf("Import with SkipInvalid: %v", err)
	}
	var emails []string
	for _, u := range allUsers(t, svc) {
		emails = append(emails, u.Email)
	}
	slices.Sort(emails)
	if want := []string{"admin@example.org", "alice@example.org", "carol@example.org", "dave@пример.рф", "paypal@x.org"}; !slices.Equal(emails, want) {
		t.Errorf("users after Import with SkipInvalid = %q; want %q", emails, want)
	}
}

func hasNonASCII(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r >= 0x80 }) >= 0
}

// Every row ctitui writes gets its skeleton, updates included: a user
// another tool added is recorded as soon as ctitui changes it.
func TestUpdateRecordsSkeleton(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	raw := shellDB(t, store)
	if _, err := raw.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		VALUES ('shell-1', 'Root@Example.org', 'root@example.org', '!', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetDisabled(ctx, "root@example.org", true); err != nil {
		t.Fatal(err)
	}
	var sk sql.NullString
	if err := raw.QueryRow(`SELECT email_skeleton FROM users WHERE id = 'shell-1'`).Scan(&sk); err != nil {
		t.Fatal(err)
	}
	if want := user.EmailSkeleton("Root@Example.org"); !sk.Valid || sk.String != want {
		t.Errorf("email_skeleton after an update = %v; want %q", sk, want)
	}
}
