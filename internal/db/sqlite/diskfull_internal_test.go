package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/password/passwordtest"
	"github.com/ctitui/ctitui/internal/user"
)

// records is an import source of records already parsed.
type records []user.ImportRecord

func (r records) Records(ctx context.Context, fn func(user.ImportRecord) error) error {
	for _, rec := range r {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// openFull opens a new database whose single connection may grow the file
// by at most pages pages past what it holds now: SQLite then fails the
// statement that needs one more with SQLITE_FULL, as on a full disk, and
// rolls the whole transaction back itself when the statement has no
// journal of its own.
func openFull(t *testing.T) (*Store, func(pages int)) {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "full.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.db.SetMaxOpenConns(1) // the pragma holds for one connection
	var base int
	if err := s.db.QueryRow(`PRAGMA page_count`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	return s, func(pages int) {
		if _, err := s.db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, base+pages)); err != nil {
			t.Fatal(err)
		}
	}
}

func tableCounts(t *testing.T, s *Store) string {
	t.Helper()
	var users, audit, indexed int
	err := s.db.QueryRow(`SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM users_email_search)`).
		Scan(&users, &audit, &indexed)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d users, %d audit entries, %d indexed", users, audit, indexed)
}

// An import that fills the disk, wherever in its transaction that happens,
// reports the full disk and writes nothing; with room enough it writes
// everything. It used to end in "cannot commit - no transaction is
// active" when the disk filled in the statements that clean up after a bulk
// write, whose errors were dropped while SQLite had already rolled back.
func TestImportOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	hash, err := passwordtest.Hasher().Hash("a stored passphrase")
	if err != nil {
		t.Fatal(err)
	}
	var recs records
	for i := range 200 {
		recs = append(recs, user.ImportRecord{Line: i + 2, Email: fmt.Sprintf("user%04d@example.org", i), HashedPassword: hash,
			Given: user.FieldEmail | user.FieldHashedPassword})
	}
	s, limit := openFull(t)
	svc := user.NewService(s, user.WithActor("tester"))
	empty := tableCounts(t, s)
	fulls := 0
	for pages := 1; ; pages++ {
		limit(pages)
		_, err := svc.Import(ctx, recs, user.ImportOptions{})
		if err == nil {
			if got, want := tableCounts(t, s), "200 users, 200 audit entries, 200 indexed"; got != want {
				t.Errorf("import with %d pages of room: %s; want %s", pages, got, want)
			}
			break
		}
		fulls++
		if !errors.Is(err, db.ErrDiskFull) || strings.Contains(err.Error(), "transaction") {
			t.Errorf("import with %d pages of room = %v; want %v", pages, err, db.ErrDiskFull)
		}
		if strings.HasPrefix(err.Error(), "line ") {
			t.Errorf("import with %d pages of room = %q; a full disk is not a line's fault", pages, err)
		}
		if got := tableCounts(t, s); got != empty {
			t.Fatalf("import with %d pages of room failed (%v) and left %s; want %s", pages, err, got, empty)
		}
		if pages > 500 {
			t.Fatal("the import never fitted")
		}
	}
	if fulls < 10 {
		t.Errorf("the disk was full at %d points only; the test no longer covers the transaction", fulls)
	}
	// The database is usable afterwards.
	limit(1000)
	if _, err := svc.Register(ctx, "after@example.org", "a long enough passphrase", nil); err != nil {
		t.Errorf("Register after the full-disk imports: %v", err)
	}
}

// The other write paths report a full disk as such too, and each write
// is whole or absent: a user with its roles and its audit entry.
func TestRegisterOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	s, limit := openFull(t)
	svc := user.NewService(s, user.WithActor("tester"), user.WithHasher(passwordtest.Hasher()))
	limit(3)
	added := 0
	var err error
	for ; added < 1000; added++ {
		email := fmt.Sprintf("%s-%04d@example.org", strings.Repeat("x", 40), added)
		if _, err = svc.Register(ctx, email, "a long enough passphrase", []user.Role{user.RoleAdmin, user.RoleViewer}); err != nil {
			break
		}
	}
	if !errors.Is(err, db.ErrDiskFull) || strings.Contains(err.Error(), "transaction") {
		t.Errorf("Register on a full disk = %v; want %v", err, db.ErrDiskFull)
	}
	var roles int
	if err := s.db.QueryRow(`SELECT count(*) FROM user_roles`).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if got, want := tableCounts(t, s)+fmt.Sprintf(", %d roles", roles), fmt.Sprintf("%d users, %d audit entries, %d indexed, %d roles", added, added, added, 2*added); got != want {
		t.Errorf("after %d registrations and a full disk: %s; want %s", added, got, want)
	}
}
