package postgres_test

import (
	"context"
	"testing"

	"github.com/ctitui/ctitui/internal/db/postgres"
	"github.com/ctitui/ctitui/internal/user"
)

// TestOpenAdoptsTheDashboard opens a dashboard's database with Open: it is
// adopted, migrated to the latest version on top of the baseline, and
// ctitui lists the dashboard's users, inactive ones disabled.
func TestOpenAdoptsTheDashboard(t *testing.T) {
	// Blocked on two changes outside adopt*.go (pg-adopt's report lists
	// them): migration 11's role_names_of takes a text id, which a uuid id
	// cannot be passed as, and the store orders ids with COLLATE "C",
	// which uuid does not support. Remove this skip when both are in.
	t.Skip("blocked: migration 11's role_names_of(text) and the store's id COLLATE \"C\" do not accept the dashboard's uuid ids")
	ctx := context.Background()
	dbURL := newDashboard(t)
	store := openStore(t, dbURL, postgres.Options{})
	conn := dashboardConn(t, dbURL)
	var version int64
	if err := conn.QueryRow(ctx, `SELECT max(version_id) FROM ctitui.goose_db_version WHERE is_applied`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := postgres.LatestVersion(); version != want {
		t.Errorf("schema version %d after Open; want %d", version, want)
	}
	got := map[string]bool{}
	if err := store.ListUsers(ctx, user.ListOptions{}, func(u user.User) error {
		got[u.Email] = u.Disabled()
		return nil
	}); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	want := map[string]bool{"Alice@Example.org": false, "bob@example.org": true, "carol@example.org": true, " Straße@Example.DE": false}
	for email, disabled := range want {
		if d, ok := got[email]; !ok || d != disabled {
			t.Errorf("ctitui lists %q: present %v, disabled %v; want present, disabled %v", email, ok, d, disabled)
		}
	}
}
