package postgres_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// listFixture fills a new database with users whose times tie in groups
// (ordered then by id), whose ids do not follow their insertion, whose
// emails hold characters that are special to LIKE and letters outside
// ASCII, in every status, and some of them written by another program
// (no skeleton, roles linked by hand). It returns the Service, the store
// and the time statuses are judged at.
func listFixture(t *testing.T) (*user.Service, storeUnderTest, time.Time) {
	t.Helper()
	ctx := context.Background()
	svc, store, dbURL, c := newService(t)
	now := c.now
	base := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	roles := [][]user.Role{{user.RoleViewer}, {user.RoleAdmin}, {user.RoleAnalyst, user.RoleViewer}}
	for i := range 40 {
		email := fmt.Sprintf("user%02d@example.org", (i*7)%40)
		switch i % 5 {
		case 1:
			email = fmt.Sprintf("Match%02d@Exämple.org", (i*7)%40)
		case 2:
			email = fmt.Sprintf("per%%cent_%02d@match.example", (i*7)%40)
		case 3:
			email = fmt.Sprintf("ünïcode.%02d@example.org", (i*7)%40)
		}
		u := user.User{
			ID: fmt.Sprintf("id-%02d", (i*11)%40), Email: email, PasswordHash: "!", Roles: roles[i%3],
			CreatedAt: base.Add(time.Duration(i/3) * 17 * time.Minute), // threes share a millisecond
			UpdatedAt: base.Add(time.Duration((i*7)%40)*13*time.Minute + time.Duration(i%2)*time.Microsecond),
		}
		switch i % 7 {
		case 1:
			u.DisabledAt = now.Add(-time.Hour)
		case 2:
			u.FailedLogins, u.LockedUntil = 5, now.Add(time.Hour) // locked for a time
		case 3:
			u.FailedLogins, u.LockedUntil = 5, now.Add(-time.Hour) // a lock run out
		case 4:
			u.FailedLogins = user.MaxConsecutiveFailures // blocked
		case 5:
			u.FailedLogins, u.DisabledAt = user.MaxConsecutiveFailures, now // disabled and blocked
		}
		err := store.WithTx(ctx, func(tx user.Tx) error {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			return tx.UpdateUser(ctx, u) // the lockout columns
		})
		if err != nil {
			t.Fatalf("insert %s: %v", email, err)
		}
	}
	// Another program adds users without a skeleton, one with a
	// failed-login count ctitui never writes.
	raw := rawConn(t, dbURL)
	for i, email := range []string{"Other.Tool@Example.org", "neg@match.example"} {
		_, err := raw.Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, failed_logins)
			VALUES ($1, $2, $3, 'x', $4, $4, $5)`, fmt.Sprintf("raw-%d", i), email, user.NormalizeEmail(email), base.Add(time.Duration(i)*time.Hour), -i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(ctx, `INSERT INTO user_roles SELECT $1, id FROM roles WHERE name = 'viewer'`, fmt.Sprintf("raw-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// And one whose lock time is no instant, which reads as locked until
	// an admin unlocks it.
	if _, err := raw.Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, locked_until)
		VALUES ('raw-inf', 'inf@example.org', 'inf@example.org', 'x', $1, $1, 'infinity')`, base); err != nil {
		t.Fatal(err)
	}
	return svc, store, now
}

// storeUnderTest is the part of the Store the listing tests use.
type storeUnderTest interface {
	ListUsers(ctx context.Context, opts user.ListOptions, fn func(user.User) error) error
	CountUsers(ctx context.Context, f user.Filter) (int, error)
}

// allUsers lists every user with roles from user_roles, in no order.
func allUsers(t *testing.T, s storeUnderTest) []user.User {
	t.Helper()
	var all []user.User
	if err := s.ListUsers(context.Background(), user.ListOptions{LinkedRoles: true}, func(u user.User) error {
		all = append(all, u)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return all
}

// matches is the Filter's meaning, judged in Go.
func matches(u user.User, f user.Filter) bool {
	if f.Role != "" && !u.HasRole(f.Role) {
		return false
	}
	if term := user.NormalizeEmail(f.Search); term != "" && !strings.Contains(user.NormalizeEmail(u.Email), term) {
		return false
	}
	switch st := u.Status(f.Now); f.Status {
	case user.Active:
		return st == "active"
	case user.Disabled:
		return st == "disabled"
	case user.Locked:
		return st == "locked" || st == "blocked"
	case user.Blocked:
		return st == "blocked"
	}
	return true
}

// walkOrder sorts users as a listing by k walks them.
func walkOrder(users []user.User, k user.SortKey, reverse bool) {
	descending := (k != user.ByEmail) != reverse
	slices.SortFunc(users, func(a, b user.User) int {
		ca, cb := user.CursorOf(a, k), user.CursorOf(b, k)
		c := cmp.Or(cmp.Compare(ca.Key, cb.Key), cmp.Compare(ca.ID, cb.ID))
		if descending {
			return -c
		}
		return c
	})
}

func ids(users []user.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// Every filter lists exactly the users Go's judgement keeps, counted alike,
// and pages of every size, in every order and both directions, walked by
// cursors, put together are the full sorted listing.
func TestListPagesEqualFullSort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, store, now := listFixture(t)
	all := allUsers(t, store)
	if len(all) != 43 {
		t.Fatalf("fixture has %d users; want 43", len(all))
	}
	var filters []user.Filter
	for _, term := range []string{"", "match", "MATCH0", "ÜNÏ", "xämple.o", "%", "_", "%c", "e", "@", "zz", "a\x00b", "\xff"} {
		filters = append(filters, user.Filter{Search: term, Now: now})
	}
	for _, st := range []user.Status{user.Active, user.Disabled, user.Locked, user.Blocked} {
		filters = append(filters, user.Filter{Status: st, Now: now}, user.Filter{Status: st, Role: user.RoleAdmin, Search: "match", Now: now})
	}
	filters = append(filters, user.Filter{Role: user.RoleViewer, Now: now}, user.Filter{Role: "nosuchrole", Now: now})

	for _, f := range filters {
		var kept []user.User
		for _, u := range all {
			if matches(u, f) {
				kept = append(kept, u)
			}
		}
		if n, err := store.CountUsers(ctx, f); n != len(kept) || err != nil {
			t.Errorf("CountUsers(%+v) = %d, %v; want %d", f, n, err, len(kept))
		}
		for _, k := range []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail} {
			for _, reverse := range []bool{false, true} {
				want := slices.Clone(kept)
				walkOrder(want, k, reverse)
				for _, limit := range []int{0, 1, 6} {
					var got []user.User
					var after *user.Cursor
					for page := 0; ; page++ {
						opts := user.ListOptions{Filter: f, Sort: k, Reverse: reverse, After: after, Limit: limit}
						var n int
						if err := store.ListUsers(ctx, opts, func(u user.User) error {
							got = append(got, u)
							n++
							return nil
						}); err != nil {
							t.Fatalf("ListUsers(%+v) = %v", opts, err)
						}
						if limit == 0 || n < limit || page > len(all) {
							break
						}
						c := user.CursorOf(got[len(got)-1], k)
						after = &c
					}
					if !slices.Equal(ids(got), ids(want)) {
						t.Errorf("filter %+v, sort %v, reverse %v, pages of %d:\n got %q\nwant %q", f, k, reverse, limit, ids(got), ids(want))
					}
				}
				// A window reloaded around a row starts at it.
				if len(want) > 3 {
					c := user.CursorOf(want[3], k)
					var got []user.User
					opts := user.ListOptions{Filter: f, Sort: k, Reverse: reverse, After: &c, Inclusive: true}
					if err := store.ListUsers(ctx, opts, func(u user.User) error { got = append(got, u); return nil }); err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(ids(got), ids(want[3:])) {
						t.Errorf("filter %+v, sort %v, reverse %v, inclusive from #3:\n got %q\nwant %q", f, k, reverse, ids(got), ids(want[3:]))
					}
				}
			}
		}
	}
}

// Cursors that are not a user's position (the empty key, a key above
// every time, ids between ids) start a listing where their text would
// sort, as on SQLite.
func TestListFromOddCursors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, store, now := listFixture(t)
	all := allUsers(t, store)
	for _, k := range []user.SortKey{user.ByCreated, user.ByUpdated, user.ByEmail} {
		for _, reverse := range []bool{false, true} {
			descending := (k != user.ByEmail) != reverse
			walk := slices.Clone(all)
			walkOrder(walk, k, reverse)
			var cursors []user.Cursor
			for _, u := range all {
				c := user.CursorOf(u, k)
				cursors = append(cursors, c, user.Cursor{Key: c.Key, ID: ""}, user.Cursor{Key: c.Key, ID: c.ID + "!"})
			}
			cursors = append(cursors, user.Cursor{}, user.Cursor{Key: "\U0010ffff", ID: "\U0010ffff"},
				user.Cursor{Key: "0001-01-01T00:00:00.000Z", ID: "id"}, user.Cursor{Key: "9999-12-31T23:59:59.999Z", ID: "id"})
			for _, c := range cursors {
				for _, inclusive := range []bool{false, true} {
					var want []string
					for _, u := range walk {
						uc := user.CursorOf(u, k)
						d := cmp.Or(cmp.Compare(uc.Key, c.Key), cmp.Compare(uc.ID, c.ID))
						if descending {
							d = -d
						}
						if d > 0 || d == 0 && inclusive {
							want = append(want, u.ID)
						}
					}
					var got []string
					opts := user.ListOptions{Filter: user.Filter{Now: now}, Sort: k, Reverse: reverse, After: &c, Inclusive: inclusive}
					if err := store.ListUsers(ctx, opts, func(u user.User) error { got = append(got, u.ID); return nil }); err != nil {
						t.Fatalf("ListUsers(%+v) = %v", opts, err)
					}
					if !slices.Equal(got, want) {
						t.Errorf("sort %v, reverse %v, inclusive %v, after %+q:\n got %q\nwant %q", k, reverse, inclusive, c, got, want)
					}
				}
			}
		}
	}
}
