package sqlite_test

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/user"
)

// TestListWindowsAreExactAtEveryBoundary: a listing that starts at a
// cursor returns exactly the rows after it in the listing's order (and the
// row at it, when Inclusive), for every sort, both directions, with and
// without a search (which, sorted by creation, walks the search index by
// rowid), from a cursor on every row, between two rows, before the first
// and after the last. The users include some created before 1970, whose
// rowids are negative, and some created in the same millisecond, ordered
// by id.
func TestListWindowsAreExactAtEveryBoundary(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "cursor.db"), db.Options{})
	type row struct{ id, email, created, updated string }
	var rows []row
	base := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	for i := range 24 {
		created := base.Add(time.Duration(i/2) * 17 * time.Minute) // pairs share a millisecond
		updated := base.Add(time.Duration((i*7)%24) * 13 * time.Minute)
		email := fmt.Sprintf("user%02d@example.org", (i*5)%24)
		if i%3 != 0 {
			email = fmt.Sprintf("match%02d@example.org", (i*5)%24)
		}
		u := user.User{ID: fmt.Sprintf("id-%02d", (i*11)%24), Email: email, PasswordHash: "!", Roles: []user.Role{user.RoleViewer},
			CreatedAt: created, UpdatedAt: updated}
		if err := s.WithTx(ctx, func(tx user.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatalf("InsertUser(%s) = %v", email, err)
		}
		rows = append(rows, row{u.ID, email, user.FormatTime(created), user.FormatTime(updated)})
	}
	inOrder, err := s.UsersInOrder(ctx)
	if err != nil || !inOrder {
		t.Fatalf("UsersInOrder = %v, %v; want true: the search must walk the index by rowid", inOrder, err)
	}
	if n := queryInt(t, openRawSQLite(t, s.Path(), true), `SELECT count(*) FROM users WHERE rowid < 0`); n == 0 {
		t.Fatal("no user has a negative rowid; want some, created before 1970")
	}

	keyOf := func(r row, k user.SortKey) string {
		switch k {
		case user.ByUpdated:
			return r.updated
		case user.ByEmail:
			return user.NormalizeEmail(r.email)
		}
		return r.created
	}
	for _, sort := range []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail} {
		for _, term := range []string{"", "match"} {
			for _, reverse := range []bool{false, true} {
				// Times list newest first, emails alphabetically; Reverse
				// walks back.
				descending := (sort != user.ByEmail) != reverse
				// compare orders a before b in walking order (< 0).
				compare := func(ak, aid, bk, bid string) int {
					c := cmp.Or(cmp.Compare(ak, bk), cmp.Compare(aid, bid))
					if descending {
						return -c
					}
					return c
				}
				var walk []row
				for _, r := range rows {
					if strings.Contains(r.email, term) {
						walk = append(walk, r)
					}
				}
				slices.SortFunc(walk, func(a, b row) int { return compare(keyOf(a, sort), a.id, keyOf(b, sort), b.id) })

				// Cursors on every row, between every two rows (the key of
				// one with an id below every id), and beyond both ends.
				var cursors []user.Cursor
				for _, r := range rows {
					cursors = append(cursors, user.Cursor{Key: keyOf(r, sort), ID: r.id}, user.Cursor{Key: keyOf(r, sort), ID: ""})
				}
				cursors = append(cursors, user.Cursor{Key: "", ID: ""}, user.Cursor{Key: "\U0010ffff", ID: "\U0010ffff"},
					user.Cursor{Key: "0001-01-01T00:00:00.000Z", ID: "id"}, user.Cursor{Key: "9999-12-31T23:59:59.999Z", ID: "id"})
				for _, c := range cursors {
					for _, inclusive := range []bool{false, true} {
						var want []string
						for _, r := range walk {
							if d := compare(keyOf(r, sort), r.id, c.Key, c.ID); d > 0 || d == 0 && inclusive {
								want = append(want, r.id)
							}
						}
						for _, limit := range []int{0, 3} {
							opts := user.ListOptions{Filter: user.Filter{Search: term}, Sort: sort, After: &c, Reverse: reverse, Inclusive: inclusive, Limit: limit}
							var got []string
							if err := s.ListUsers(ctx, opts, func(u user.User) error { got = append(got, u.ID); return nil }); err != nil {
								t.Fatalf("ListUsers(%+v) = %v", opts, err)
							}
							w := want
							if limit > 0 && len(w) > limit {
								w = w[:limit]
							}
							if !slices.Equal(got, w) {
								t.Fatalf("sort %v, search %q, reverse %v, inclusive %v, limit %d, after %+v:\n got %q\nwant %q",
									sort, term, reverse, inclusive, limit, c, got, w)
							}
						}
					}
				}
			}
		}
	}
}
