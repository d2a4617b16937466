package sqlite_test

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/db/sqlite"
	"github.com/ctitui/ctitui/internal/user"
)

// orderUser is what the order tests need to know of a user to predict a
// listing: its place in created_at order, its email and its state.
type orderUser struct {
	id, created, email string
	disabled           bool
}

// insertInOrderTest adds a user through the Store, as ctitui's own writes do.
func insertInOrderTest(t *testing.T, s *sqlite.Store, u orderUser) {
	t.Helper()
	created, err := time.Parse(user.TimeLayout, u.created)
	if err != nil {
		t.Fatal(err)
	}
	nu := user.User{ID: u.id, Email: u.email, PasswordHash: "!", Roles: []user.Role{user.RoleAnalyst},
		CreatedAt: created, UpdatedAt: created}
	if u.disabled {
		nu.DisabledAt = created
	}
	if err := s.WithTx(context.Background(), func(tx user.Tx) error { return tx.InsertUser(context.Background(), nu) }); err != nil {
		t.Fatalf("InsertUser(%s) = %v", u.email, err)
	}
}

// insertAllInOneTx adds users in one bulk transaction, as an import does.
func insertAllInOneTx(t *testing.T, s *sqlite.Store, users []orderUser) {
	t.Helper()
	ctx := context.Background()
	err := s.WithBulkTx(ctx, func(tx user.Tx) error {
		for _, u := range users {
			created, err := time.Parse(user.TimeLayout, u.created)
			if err != nil {
				return err
			}
			nu := user.User{ID: u.id, Email: u.email, PasswordHash: "!", Roles: []user.Role{user.RoleViewer}, CreatedAt: created, UpdatedAt: created}
			if u.disabled {
				nu.DisabledAt = created
			}
			if err := tx.InsertUser(ctx, nu); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bulk insert of %d users = %v", len(users), err)
	}
}

// insertRawInOrderTest adds a user the way another tool would: plain SQL,
// SQLite picking the rowid.
func insertRawInOrderTest(t *testing.T, raw interface {
	Exec(string, ...any) (sql.Result, error)
}, u orderUser) {
	t.Helper()
	var disabled any
	if u.disabled {
		disabled = u.created
	}
	_, err := raw.Exec(`INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at, disabled_at)
		VALUES (?, ?, ?, '!', ?, ?, ?)`, u.id, u.email, user.NormalizeEmail(u.email), u.created, u.created, disabled)
	if err != nil {
		t.Fatalf("insert %s: %v", u.email, err)
	}
}

// recordedInOrder reads users_order.in_order.
func recordedInOrder(t *testing.T, raw *sql.DB) bool {
	t.Helper()
	var inOrder bool
	if err := raw.QueryRow(`SELECT in_order FROM users_order`).Scan(&inOrder); err != nil {
		t.Fatal(err)
	}
	return inOrder
}

// rowidsFollowCreatedAt reports whether rowid order is (created_at, id) order.
func rowidsFollowCreatedAt(t *testing.T, raw *sql.DB) bool {
	t.Helper()
	var byRowid, byCreated []string
	for _, q := range []struct {
		order string
		dst   *[]string
	}{{"rowid", &byRowid}, {"created_at, id", &byCreated}} {
		rows, err := raw.Query(`SELECT id FROM users ORDER BY ` + q.order)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scanColumn(rows)
		if err != nil {
			t.Fatal(err)
		}
		*q.dst = got
	}
	return slices.Equal(byRowid, byCreated)
}

func scanColumn(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// wantPage is what a listing sorted by created_at must return, worked out
// from every user in Go.
func wantPage(all []orderUser, term string, status user.Status, after *user.Cursor, reverse, inclusive bool, limit int) []string {
	norm := user.NormalizeEmail(term)
	var matched []orderUser
	for _, u := range all {
		if !strings.Contains(user.NormalizeEmail(u.email), norm) {
			continue
		}
		if status == user.Disabled && !u.disabled || status == user.Active && u.disabled {
			continue
		}
		matched = append(matched, u)
	}
	// Newest first; Reverse walks oldest first.
	slices.SortFunc(matched, func(a, b orderUser) int {
		c := cmp.Or(cmp.Compare(b.created, a.created), cmp.Compare(b.id, a.id))
		if reverse {
			return -c
		}
		return c
	})
	var out []string
	for _, u := range matched {
		if after != nil {
			c := cmp.Or(cmp.Compare(u.created, after.Key), cmp.Compare(u.id, after.ID))
			if !reverse {
				c = -c
			}
			// c > 0: u comes after the cursor in walking order.
			if c < 0 || c == 0 && !inclusive {
				continue
			}
		}
		out = append(out, u.id)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// checkListings pages through searches every way the TUI and the CLI do and
// compares each page with wantPage.
func checkListings(t *testing.T, s *sqlite.Store, all []orderUser, label string) {
	t.Helper()
	ctx := context.Background()
	byID := map[string]orderUser{}
	for _, u := range all {
		byID[u.id] = u
	}
	cursorOf := func(id string) *user.Cursor { return &user.Cursor{Key: byID[id].created, ID: id} }
	for _, term := range []string{"example", "team-3.", "+12", "user1", "ünï", "ex", "zzz", ""} {
		for _, status := range []user.Status{user.AnyStatus, user.Disabled} {
			for _, reverse := range []bool{false, true} {
				var after *user.Cursor
				for page := 0; ; page++ {
					opts := user.ListOptions{Filter: user.Filter{Search: term, Status: status}, Sort: user.ByCreated,
						After: after, Reverse: reverse, Limit: 70}
					var got []string
					if err := s.ListUsers(ctx, opts, func(u user.User) error { got = append(got, u.ID); return nil }); err != nil {
						t.Fatalf("%s: ListUsers(%+v) = %v", label, opts, err)
					}
					want := wantPage(all, term, status, after, reverse, false, 70)
					if !slices.Equal(got, want) {
						t.Fatalf("%s: search %q status %v reverse %v page %d:\n got %q\nwant %q", label, term, status, reverse, page, got, want)
					}
					if len(got) < 70 {
						break
					}
					// The window also starts at a row itself (Inclusive), as
					// the TUI does when it keeps the selection in place.
					mid := cursorOf(got[35])
					opts.After, opts.Inclusive = mid, true
					var incl []string
					if err := s.ListUsers(ctx, opts, func(u user.User) error { incl = append(incl, u.ID); return nil }); err != nil {
						t.Fatal(err)
					}
					if want := wantPage(all, term, status, mid, reverse, true, 70); !slices.Equal(incl, want) {
						t.Fatalf("%s: search %q reverse %v inclusive from %s:\n got %q\nwant %q", label, term, reverse, mid.ID, incl, want)
					}
					after = cursorOf(got[len(got)-1])
				}
			}
		}
	}
}

// orderTestUsers makes n users with created_at spread over a year in a
// shuffled order, some sharing a millisecond, with emails that make common,
// rare and clustered search terms.
func orderTestUsers(n int) []orderUser {
	rng := rand.New(rand.NewPCG(8, 8))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]orderUser, n)
	for i := range out {
		at := base.Add(time.Duration(i) * 97 * time.Minute)
		if i%10 == 3 { // ties in created_at, ordered by id
			at = base.Add(time.Duration(i-1) * 97 * time.Minute)
		}
		email := fmt.Sprintf("user%d@team-%d.example.org", i, i%9)
		if i < n/5 {
			email = fmt.Sprintf("a.b+12%04d@old.example.com", i) // "+12" only among the oldest
		}
		if i%50 == 7 {
			email = fmt.Sprintf("Ünïcode%d@exämple.org", i)
		}
		out[i] = orderUser{id: fmt.Sprintf("%08x-id", rng.Uint32()), created: user.FormatTime(at), email: email, disabled: i%7 == 0}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// A search that walks the trigram index in rowid order relies on rowids
// following created_at. Users added by ctitui in any order of created_at
// keep it; a user written out of order by another tool loses it, searches
// then use the other plans with the same answers, and doctor --fix puts
// the rows back in order.
func TestUsersStayInRowidOrderAndSearchesAgree(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/order.db"
	s := openStore(t, path, db.Options{})
	raw := openRawSQLite(t, path, false)

	all := orderTestUsers(600)
	for _, u := range all[:100] {
		insertInOrderTest(t, s, u)
	}
	insertAllInOneTx(t, s, all[100:550])
	if !recordedInOrder(t, raw) || !rowidsFollowCreatedAt(t, raw) {
		t.Fatalf("after 550 users added by ctitui in shuffled created_at order: recorded in order %v, rowids in order %v; want both",
			recordedInOrder(t, raw), rowidsFollowCreatedAt(t, raw))
	}
	checkListings(t, s, all[:550], "in order")

	// Another tool adds users; SQLite gives each the next rowid, which is
	// out of order for all but the newest.
	for _, u := range all[550:] {
		insertRawInOrderTest(t, raw, u)
	}
	if recordedInOrder(t, raw) {
		t.Fatal("users added out of order by another tool: users_order still says in order")
	}
	checkListings(t, s, all, "out of order")
	rep, err := s.Doctor(ctx, db.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, "users order"); f.Severity != user.SeverityInfo || f.Repair == "" {
		t.Fatalf("doctor on users out of order: %+v; want info with a repair", f)
	}

	rep, err = s.Doctor(ctx, db.DoctorOptions{Fix: true})
	if err != nil {
		t.Fatalf("doctor --fix = %v", err)
	}
	if f := findingOf(rep, "users order"); f.Severity != user.SeverityOK || !f.Fixed {
		t.Fatalf("after doctor --fix: %+v; want ok, fixed", f)
	}
	if f := findingOf(rep, "search index"); f.Severity != user.SeverityOK {
		t.Fatalf("after renumbering, search index: %+v", f)
	}
	if !recordedInOrder(t, raw) || !rowidsFollowCreatedAt(t, raw) {
		t.Fatal("after doctor --fix the users are not in rowid order")
	}
	checkListings(t, s, all, "renumbered")

	// Renumbered rowids leave room: more users added by ctitui with older
	// times, some in the same millisecond as others, keep the order; in a
	// bulk transaction (an import) too, whose new rows are indexed for
	// search at its end.
	more := orderTestUsers(700)[600:]
	for i := range more {
		more[i].id += "-more"
		more[i].email = "more." + more[i].email
	}
	for _, u := range more[:50] {
		insertInOrderTest(t, s, u)
	}
	insertAllInOneTx(t, s, more[50:])
	rep, err = s.Doctor(ctx, db.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(rep, "search index"); f.Severity != user.SeverityOK {
		t.Fatalf("after a bulk insert, search index: %+v", f)
	}
	if !recordedInOrder(t, raw) || !rowidsFollowCreatedAt(t, raw) {
		t.Fatal("users added by ctitui after renumbering broke the order")
	}
	checkListings(t, s, append(all, more...), "renumbered and added to")
}

// Migration 8 leaves a file whose users are already in created_at order as
// it is (renumbering a million rows takes minutes) and renumbers one whose
// users are not, keeping every user and the search index whole.
func TestMigration8PutsUsersInRowidOrder(t *testing.T) {
	for _, shuffled := range []bool{false, true} {
		t.Run(fmt.Sprintf("shuffled=%v", shuffled), func(t *testing.T) {
			path := t.TempDir() + "/v7.db"
			p, raw := newGooseProvider(t, path)
			if _, err := p.UpTo(context.Background(), 7); err != nil {
				t.Fatalf("UpTo(7) = %v", err)
			}
			all := orderTestUsers(300)
			if !shuffled {
				slices.SortFunc(all, func(a, b orderUser) int { return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.id, b.id)) })
			}
			tx, err := raw.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range all {
				insertRawInOrderTest(t, tx, u)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			before := readRows(t, path, `SELECT rowid || ' ' || id FROM users ORDER BY rowid`)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			s := openStore(t, path, db.Options{})
			raw = openRawSQLite(t, path, true)
			if !recordedInOrder(t, raw) || !rowidsFollowCreatedAt(t, raw) {
				t.Fatalf("after migration 8: recorded in order %v, rowids in order %v; want both", recordedInOrder(t, raw), rowidsFollowCreatedAt(t, raw))
			}
			after := readRows(t, path, `SELECT rowid || ' ' || id FROM users ORDER BY rowid`)
			if unchanged := slices.Equal(before, after); unchanged == shuffled {
				t.Errorf("rowids unchanged = %v; want %v", unchanged, !shuffled)
			}
			rep, err := s.Doctor(context.Background(), db.DoctorOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, check := range []string{"integrity", "search index", "users order"} {
				if f := findingOf(rep, check); f.Severity != user.SeverityOK {
					t.Errorf("after migration 8, %s: %+v", check, f)
				}
			}
			checkListings(t, s, all, "migrated")
		})
	}
}
