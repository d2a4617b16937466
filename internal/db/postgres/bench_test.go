package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// benchUsers is how many users the listing benchmarks run over.
const benchUsers = 100_000

// benchStore returns a Store on a new database of benchUsers users,
// written in one statement as another program would.
func benchStore(b *testing.B) *postgres.Store {
	b.Helper()
	ctx := context.Background()
	dbURL := pgtestDatabase(b)
	store, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	raw := rawConnTB(b, dbURL)
	for _, stmt := range []string{
		fmt.Sprintf(`INSERT INTO users (id, email, email_normalized, email_skeleton, hashed_password, created_at, updated_at)
			SELECT 'id-' || lpad(i::text, 7, '0'), e, e, e, 'x', at, at FROM (
				SELECT i, 'user' || i || '@team-' || (i %% 97) || '.example.org' AS e,
				       timestamptz '2020-01-01' + i * interval '1 minute' AS at
				FROM generate_series(1, %d) AS i) AS v`, benchUsers),
		`INSERT INTO user_roles (user_id, role_id) SELECT id, 2 FROM users`,
		`INSERT INTO user_roles (user_id, role_id) SELECT id, 1 FROM users WHERE id LIKE '%777'`, // 100 admins
		`VACUUM ANALYZE`, // statistics, and the GIN index's pending list, as autovacuum would
	} {
		if _, err := raw.Exec(ctx, stmt); err != nil {
			b.Fatal(err)
		}
	}
	return store
}

// BenchmarkListUsers measures a window of 200 users: the first, one deep
// in the listing (keyset from a cursor), and searches for a rare and a
// common term, newest first and by email.
func BenchmarkListUsers(b *testing.B) {
	ctx := context.Background()
	store := benchStore(b)
	deep := &user.Cursor{Key: "2020-02-01T00:00:00.000Z", ID: "id-0044640"}
	deepEmail := &user.Cursor{Key: "user5000@team-53.example.org", ID: "id-0005000"}
	for _, bm := range []struct {
		name string
		opts user.ListOptions
	}{
		{"first", user.ListOptions{}},
		{"deep", user.ListOptions{After: deep}},
		{"deep-by-email", user.ListOptions{Sort: user.ByEmail, After: deepEmail}},
		{"by-updated-reverse", user.ListOptions{Sort: user.ByUpdated, Reverse: true}},
		{"search-rare", user.ListOptions{Filter: user.Filter{Search: "user77777@"}}},
		{"search-common", user.ListOptions{Filter: user.Filter{Search: "team-3"}}},
		{"search-common-by-email", user.ListOptions{Sort: user.ByEmail, Filter: user.Filter{Search: "team-3"}}},
		{"active-analysts", user.ListOptions{Filter: user.Filter{Status: user.Active, Role: user.RoleAnalyst}}},
		{"admins", user.ListOptions{Filter: user.Filter{Role: user.RoleAdmin}}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			bm.opts.Limit = 200
			for b.Loop() {
				n := 0
				if err := store.ListUsers(ctx, bm.opts, func(user.User) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatal("no users listed")
				}
			}
		})
	}
}
