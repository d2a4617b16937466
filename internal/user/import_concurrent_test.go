package user_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// otherProcess opens a second Store on the database of store, as another
// ctitui process would: its own connections and its own write queue.
func otherProcess(t *testing.T, store testStore) *user.Service {
	t.Helper()
	other := openStore(t, store.Location())
	return user.NewService(other, user.WithHasher(passwordtest.Hasher()), user.WithActor("tester"))
}

// plainRecords are n records with plaintext passwords, numbered from first.
func plainRecords(first, n int) importSource {
	recs := make([]user.ImportRecord, n)
	for i := range recs {
		recs[i] = user.ImportRecord{Email: fmt.Sprintf("plain%03d@example.org", first+i), Password: goodPassword}
	}
	return lined(recs...)
}

// While an import hashes its plaintext passwords, which takes minutes for
// thousands of users, it holds no lock: another process logs in, fails a
// login and registers a user meanwhile. The import still writes all of its
// users, in one transaction.
func TestImportHashesWithoutHoldingTheWriteLock(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newService(t)
	mustRegister(t, svc, "alice@example.org")
	other := otherProcess(t, store)

	var mu sync.Mutex
	hashes := 0
	var during []error
	opts := user.ImportOptions{}
	user.SetBeforeHash(&opts, func() {
		mu.Lock()
		defer mu.Unlock()
		if hashes++; hashes == 8 {
			// Runs inside the import, before its last hash: each call
			// returns before the import goes on, so a lock held by the
			// import would make them wait out the busy timeout and fail.
			_, err := other.Verify(ctx, "alice@example.org", goodPassword)
			during = append(during, err)
			_, err = other.Verify(ctx, "alice@example.org", "a wrong passphrase")
			if errors.Is(err, user.ErrInvalidCredentials) {
				err = nil
			}
			during = append(during, err)
			_, err = other.Register(ctx, "bob@example.org", goodPassword, nil)
			during = append(during, err)
		}
	})
	rep, err := svc.Import(ctx, plainRecords(0, 8), opts)
	if err != nil || rep.Added != 8 {
		t.Fatalf("Import = %s, %v; want 8 added", reportCounts(rep), err)
	}
	for i, what := range []string{"a login", "a failed login", "a registration"} {
		if i >= len(during) || during[i] != nil {
			t.Errorf("%s in another process while the import hashed: %v; want it to succeed", what, during)
		}
	}
	if _, err := svc.Verify(ctx, "plain007@example.org", goodPassword); err != nil {
		t.Errorf("Verify of an imported user: %v", err)
	}
	if _, err := svc.Get(ctx, "bob@example.org"); err != nil {
		t.Errorf("the user registered during the import: %v", err)
	}
	checkChain(t, store)
}

// What changes in the database while an import hashes is seen by its
// write, which checks every record again inside its transaction: a new
// user with a file's email or id fails the whole import (or is skipped,
// with --on-conflict skip), and nothing is half written.
func TestImportRechecksConflictsThatAppearWhileHashing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		policy   user.OnConflict
		meantime func(other *user.Service) error
		want     string // a substring of the error; "" means the import goes through
		report   string
	}{
		{"an email taken meanwhile", user.ConflictFail, func(o *user.Service) error {
			_, err := o.Register(ctx, "PLAIN003@example.org", goodPassword, nil)
			return err
		}, "line 5: the database changed while the import ran: user already exists: plain003@example.org", ""},
		{"an email taken meanwhile, skip", user.ConflictSkip, func(o *user.Service) error {
			_, err := o.Register(ctx, "plain003@example.org", goodPassword, nil)
			return err
		}, "", "read 6, invalid 0, added 5, updated 0, skipped 1"},
		{"an email taken meanwhile, update", user.ConflictUpdate, func(o *user.Service) error {
			_, err := o.Register(ctx, "plain003@example.org", "a passphrase to be replaced", nil)
			return err
		}, "", "read 6, invalid 0, added 5, updated 1, skipped 0"},
		{"an id taken meanwhile", user.ConflictFail, func(o *user.Service) error {
			_, err := o.Import(ctx, lined(user.ImportRecord{ID: "id-0002", Email: "someone@example.org", Given: user.FieldID | user.FieldEmail}), user.ImportOptions{})
			return err
		}, "line 4: the database changed while the import ran: id id-0002 belongs to another user", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, _ := newService(t)
			other := otherProcess(t, store)
			src := plainRecords(0, 6)
			if strings.HasPrefix(tt.name, "an id") {
				for i := range src {
					src[i].ID = fmt.Sprintf("id-%04d", i)
					src[i].Given |= user.FieldID
				}
			}
			var once sync.Once
			var meantimeErr error
			opts := user.ImportOptions{OnConflict: tt.policy}
			user.SetBeforeHash(&opts, func() { once.Do(func() { meantimeErr = tt.meantime(other) }) })
			before := countRows(t, store)
			rep, err := svc.Import(ctx, src, opts)
			if meantimeErr != nil {
				t.Fatalf("the change made meanwhile: %v", meantimeErr)
			}
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Import = %v; want an error containing %q", err, tt.want)
				}
				if after := countRows(t, store); after.users != before.users+1 {
					t.Errorf("rows %+v -> %+v; want only the user added meanwhile", before, after)
				}
				if _, err := svc.Get(ctx, "plain000@example.org"); !errors.Is(err, user.ErrNotFound) {
					t.Errorf("Get(plain000) after the failed import = %v; want not found", err)
				}
			} else if err != nil || reportCounts(rep) != tt.report {
				t.Errorf("Import = %s, %v; want %s", reportCounts(rep), err, tt.report)
			}
			checkChain(t, store)
		})
	}
}
