package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ctitui/ctitui/internal/db"
)

// TestRenumberUsers: users written where no rowid in order was free lose the
// order; RenumberUsers puts every rowid back in (created_at, id) order,
// records it, and searches that rely on it list as the order says. On a
// table in order it changes nothing.
func TestRenumberUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "renumber.db")
	s := openStore(t, path, db.Options{})
	raw := openRawSQLite(t, path, false)

	// In order: nothing to do, and no rowid moves.
	insertAllInOneTx(t, s, []orderUser{{id: "k", created: "2024-01-01T00:00:00.000Z", email: "k@example.org"}})
	rowidsBefore := queryStrings(t, raw, `SELECT rowid FROM users ORDER BY rowid`)
	if inOrder, err := s.RenumberUsers(ctx); err != nil || !inOrder {
		t.Fatalf("RenumberUsers on a table in order = %v, %v; want true, nil", inOrder, err)
	}
	if got := queryStrings(t, raw, `SELECT rowid FROM users ORDER BY rowid`); !slices.Equal(got, rowidsBefore) {
		t.Errorf("RenumberUsers on a table in order moved rowids %v to %v", rowidsBefore, got)
	}

	// Users in one millisecond whose ids come ever closer to "k": the gap
	// halves each time until no rowid is left.
	var users []orderUser
	for _, id := range []string{"z", "q", "m", "l", "kz", "km", "kf", "kc", "kb", "ka"} {
		users = append(users, orderUser{id: id, created: "2024-01-01T00:00:00.000Z", email: id + "@example.org"})
	}
	insertAllInOneTx(t, s, users)
	if recordedInOrder(t, raw) || rowidsFollowCreatedAt(t, raw) {
		t.Fatalf("fixture: in_order %v, rowids in order %v; want the order lost", recordedInOrder(t, raw), rowidsFollowCreatedAt(t, raw))
	}
	all := append(slices.Clone(users), orderUser{id: "k", created: "2024-01-01T00:00:00.000Z", email: "k@example.org"})

	inOrder, err := s.RenumberUsers(ctx)
	if err != nil || !inOrder {
		t.Fatalf("RenumberUsers = %v, %v; want true, nil", inOrder, err)
	}
	if !recordedInOrder(t, raw) || !rowidsFollowCreatedAt(t, raw) {
		t.Errorf("after RenumberUsers: in_order %v, rowids in order %v; want both", recordedInOrder(t, raw), rowidsFollowCreatedAt(t, raw))
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM users`); n != int64(len(all)) {
		t.Errorf("after RenumberUsers %d users; want %d", n, len(all))
	}
	checkListings(t, s, all, "after RenumberUsers")
	if got := fmt.Sprint(queryStrings(t, raw, `SELECT id FROM users WHERE rowid IN (SELECT rowid FROM users_email_search WHERE email_normalized MATCH 'example') ORDER BY rowid`)); got != fmt.Sprint([]string{"k", "ka", "kb", "kc", "kf", "km", "kz", "l", "m", "q", "z"}) {
		t.Errorf("the search index after RenumberUsers finds %s; want every user, in id order", got)
	}
}
