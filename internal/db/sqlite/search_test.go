package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// Search answers the same whichever way it runs (trigram index for rare
// terms, a scan in listing order for common ones, LIKE alone for short
// ones), and it sees rows written and changed by other tools, through the
// triggers that keep the index in sync.
func TestSearchMatchesSubstringsWhateverThePlan(t *testing.T) {
	path := t.TempDir() + "/search.db"
	s := openStore(t, path, db.Options{})
	raw := openRawSQLite(t, path, false)

	// 2,500 users written by "another tool": enough that "example" is a
	// common term (more matches than the index is asked for) and "user01" a
	// rare one.
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		email := fmt.Sprintf("user%04d@example.org", i)
		if i%500 == 0 {
			email = fmt.Sprintf("Ünïcode%04d@Exämple.org", i)
		}
		_, err := tx.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
			VALUES (?, ?, ?, 'x', ?, ?)`, fmt.Sprintf("id%04d", i), email, user.NormalizeEmail(email),
			fmt.Sprintf("2025-01-01T00:%02d:%02d.000Z", i/60%60, i%60), "2025-01-01T00:00:00.000Z")
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Another tool renames one user and deletes another.
	if _, err := raw.Exec(`UPDATE users SET email = 'renamed@elsewhere.net', email_normalized = 'renamed@elsewhere.net' WHERE id = 'id0001'`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM users WHERE id = 'id0002'`); err != nil {
		t.Fatal(err)
	}

	all := allUsers(t, s)
	for _, term := range []string{"user01", "USER012", "example", "ple.o", "xämple", "ÜNÏ", "renamed", "user0001@", "user0002", "ex", "9", "%", "_", `"`, "zzz"} {
		var want []string
		norm := user.NormalizeEmail(term)
		for _, u := range all {
			if strings.Contains(user.NormalizeEmail(u.Email), norm) {
				want = append(want, u.ID)
			}
		}
		slices.Sort(want)
		var got []string
		err := s.ListUsers(context.Background(), user.ListOptions{Filter: user.Filter{Search: term}}, func(u user.User) error {
			got = append(got, u.ID)
			return nil
		})
		if err != nil {
			t.Fatalf("ListUsers(search %q): %v", term, err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("search %q found %d users; want %d (first got %.3q, want %.3q)", term, len(got), len(want), got, want)
		}
		n, err := s.CountUsers(context.Background(), user.Filter{Search: term})
		if err != nil || n != len(want) {
			t.Errorf("CountUsers(search %q) = %d, %v; want %d", term, n, err, len(want))
		}
	}
}
