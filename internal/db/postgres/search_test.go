package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// Search answers as a brute-force substring test of normalised emails,
// whichever plan the server picks (the trigram index for rare terms), and
// rows written and changed by another program are found too.
func TestSearchMatchesBruteForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	store := openStore(t, dbURL, postgres.Options{})
	raw := rawConn(t, dbURL)

	var ids, emails, normalized []string
	var created []time.Time
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20000 {
		email := fmt.Sprintf("user%05d@example.org", i)
		switch {
		case i%5000 == 0:
			email = fmt.Sprintf("Ünïcode%05d@Exämple.org", i)
		case i%2500 == 1:
			email = fmt.Sprintf("under_score.%05d+100%%@team-%d.example", i, i%7)
		}
		ids, emails, normalized = append(ids, fmt.Sprintf("id%05d", i)), append(emails, email), append(normalized, user.NormalizeEmail(email))
		created = append(created, base.Add(time.Duration(i)*time.Second))
	}
	if _, err := raw.Exec(ctx, `INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at)
		SELECT id, email, norm, 'x', at, at FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, email, norm, at)`,
		ids, emails, normalized, created); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE users SET email = 'renamed@elsewhere.net', email_normalized = 'renamed@elsewhere.net' WHERE id = 'id00001'`,
		`DELETE FROM users WHERE id = 'id00002'`,
		`ANALYZE users`,
	} {
		if _, err := raw.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	// usesIndex reports whether the server plans a search for term
	// through the trigram index.
	usesIndex := func(term string) bool {
		t.Helper()
		rows, err := raw.Query(ctx, `EXPLAIN SELECT count(*) FROM users u WHERE u.email_normalized ILIKE $1 ESCAPE '\'`, "%"+term+"%")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return strings.Contains(plan.String(), "users_email_search_idx")
	}
	// Rare terms of three characters or more: the index serves them, and
	// they are among the terms checked below.
	for _, term := range []string{"renamed", "xämple", "team-3.ex", "under_score"} {
		if !usesIndex(likeEscape(term)) {
			t.Errorf("a search for %q does not read the trigram index", term)
		}
	}

	all := allUsers(t, store)
	for _, term := range []string{"user01", "USER012", "example", "ple.o", "xämple", "ÜNÏ", "renamed", "user00001@", "user00002",
		"ex", "9", "%", "_", `"`, "+100%", "under_score", "team-3.ex", "zzz", "a\x00", "\xff"} {
		var want []string
		norm := user.NormalizeEmail(term)
		for _, u := range all {
			if strings.Contains(user.NormalizeEmail(u.Email), norm) {
				want = append(want, u.ID)
			}
		}
		slices.Sort(want)
		var got []string
		err := store.ListUsers(ctx, user.ListOptions{Filter: user.Filter{Search: term}, Limit: 30000}, func(u user.User) error {
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
		n, err := store.CountUsers(ctx, user.Filter{Search: term})
		if err != nil || n != len(want) {
			t.Errorf("CountUsers(search %q) = %d, %v; want %d", term, n, err, len(want))
		}
	}
}

// likeEscape makes s match itself in a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
